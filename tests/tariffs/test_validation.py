"""Tariff, upload and range validation: every problem names its field, nothing is half-accepted."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from app.errors import BadUserInput
from app.tariffs import (
    MAX_SLOTS_PER_UPLOAD,
    MAX_WINDOWS,
    SlotInput,
    TariffInput,
    TariffInputError,
    TariffKind,
    Weekday,
    WindowInput,
    validate_range,
    validate_tariff,
    validate_upload,
)
from app.tariffs.validation import MAX_REPORTED_ERRORS
from tests.tariffs.builders import ALL_DAYS, dynamic, fixed, window

MON, TUE, SUN = Weekday.MONDAY, Weekday.TUESDAY, Weekday.SUNDAY
T0 = datetime(2026, 3, 29, tzinfo=UTC)


def tariff_input(**overrides: Any) -> TariffInput:
    fields: dict[str, Any] = {
        "kind": TariffKind.TIME_OF_USE,
        "currency": "EUR",
        "daily_fixed_charge": 0.4,
        "import_price_per_kwh": 0.30,
        "export_price_per_kwh": 0.08,
        "windows": [window([MON], "22:00", "06:00")],
    }
    fields.update(overrides)
    return TariffInput(**fields)


def problems(value: TariffInput) -> list[tuple[str, str]]:
    with pytest.raises(TariffInputError) as caught:
        validate_tariff(value)
    return [(e.field, e.problem) for e in caught.value.errors]


class TestValidateTariff:
    def test_a_valid_time_of_use_tariff_is_normalised(self) -> None:
        tariff = validate_tariff(tariff_input(currency=" eur "))
        assert tariff.currency == "EUR"
        assert tariff.kind is TariffKind.TIME_OF_USE
        (w,) = tariff.windows
        assert (w.start_minute, w.end_minute, w.crosses_midnight) == (1320, 360, True)
        assert (w.start_time, w.end_time) == ("22:00", "06:00")

    def test_fixed_export_defaults_to_zero_and_others_keep_none(self) -> None:
        assert fixed(exp=None).export_price_per_kwh == 0.0
        dyn = validate_tariff(TariffInput(TariffKind.DYNAMIC, "EUR"))
        assert (dyn.import_price_per_kwh, dyn.export_price_per_kwh) == (None, None)
        assert (dyn.fallback_import, dyn.fallback_export) == (0.0, 0.0)

    def test_midnight_as_end_and_the_whole_day(self) -> None:
        tariff = validate_tariff(
            tariff_input(windows=[window([MON], "18:00", "00:00"), window([TUE], "00:00", "00:00")])
        )
        assert [(w.start_minute, w.end_minute) for w in tariff.windows] == [(1080, 1440), (0, 1440)]
        assert [w.end_time for w in tariff.windows] == ["00:00", "00:00"]
        assert not any(w.crosses_midnight for w in tariff.windows)

    def test_adjacent_windows_do_not_overlap(self) -> None:
        # End times are exclusive: 07:00-09:00 then 09:00-07:00 (crossing midnight) tile the day.
        validate_tariff(
            tariff_input(
                windows=[window(ALL_DAYS, "07:00", "09:00"), window(ALL_DAYS, "09:00", "07:00")]
            )
        )

    def test_weekday_names_and_duplicates_are_accepted(self) -> None:
        tariff = validate_tariff(
            tariff_input(windows=[window(["TUESDAY", MON, MON], "07:00", "08:00")])
        )
        assert tariff.windows[0].days == (MON, TUE)

    @pytest.mark.parametrize(
        ("overrides", "field", "says"),
        [
            ({"currency": "EUX"}, "currency", "not an ISO 4217"),
            ({"currency": ""}, "currency", "not an ISO 4217"),
            ({"currency": "euro"}, "currency", "not an ISO 4217"),
            ({"currency": "XXX"}, "currency", "not an ISO 4217"),
            ({"currency": "XAU"}, "currency", "not an ISO 4217"),
            ({"currency": 978}, "currency", "ISO 4217"),
            ({"kind": "MONTHLY"}, "kind", "FIXED, TIME_OF_USE, DYNAMIC"),
            ({"daily_fixed_charge": -0.1}, "dailyFixedCharge", "negative"),
            ({"daily_fixed_charge": math.nan}, "dailyFixedCharge", "finite"),
            ({"daily_fixed_charge": math.inf}, "dailyFixedCharge", "finite"),
            ({"import_price_per_kwh": -0.01}, "importPricePerKwh", "DYNAMIC slots only"),
            ({"import_price_per_kwh": 2e6}, "importPricePerKwh", "out of range"),
            ({"export_price_per_kwh": math.nan}, "exportPricePerKwh", "finite"),
            ({"import_price_per_kwh": True}, "importPricePerKwh", "must be a number"),
            ({"windows": []}, "windows", "at least one window"),
            ({"windows": None}, "windows", "at least one window"),
            ({"windows": [window([MON], "7:00", "08:00")]}, "windows[0].startTime", "'HH:MM'"),
            ({"windows": [window([MON], "07:10", "08:00")]}, "windows[0].startTime", "quarter"),
            ({"windows": [window([MON], "07:00", "24:00")]}, "windows[0].endTime", "'00:00'"),
            ({"windows": [window([MON], "25:00", "08:00")]}, "windows[0].startTime", "'HH:MM'"),
            ({"windows": [window([MON], "07:00", "07:60")]}, "windows[0].endTime", "'HH:MM'"),
            ({"windows": [window([MON], "07:00", "07:00")]}, "windows[0].endTime", "empty"),
            ({"windows": [window([], "07:00", "08:00")]}, "windows[0].days", "at least one"),
            (
                {"windows": [WindowInput(None, "07:00", "08:00", 0.1, 0.0)]},  # type: ignore[arg-type]
                "windows[0].days",
                "at least one",
            ),
            ({"windows": [window(["MON"], "07:00", "08:00")]}, "windows[0].days[0]", "weekday"),
            (
                {"windows": [window([MON], "07:00", "08:00", imp=-0.1)]},
                "windows[0].importPricePerKwh",
                "negative",
            ),
            (
                {"windows": [window([MON], "07:00", "08:00", exp=math.inf)]},
                "windows[0].exportPricePerKwh",
                "finite",
            ),
        ],
    )
    def test_a_bad_field_is_named(self, overrides: dict[str, Any], field: str, says: str) -> None:
        found = problems(tariff_input(**overrides))
        assert found[0][0] == field, found
        assert says in found[0][1]

    def test_the_error_is_bad_user_input_naming_the_first_field(self) -> None:
        with pytest.raises(BadUserInput) as caught:
            validate_tariff(
                tariff_input(
                    windows=[window([MON], "07:00", "08:00"), window([MON], "07:00", "07:05")]
                )
            )
        assert caught.value.code == "BAD_USER_INPUT"
        assert caught.value.field == "windows[1].endTime"
        assert caught.value.message.startswith("windows[1].endTime: ")

    def test_every_problem_is_reported_in_input_order(self) -> None:
        found = problems(
            tariff_input(
                currency="EUX",
                daily_fixed_charge=-1,
                windows=[window([MON], "07:00", "08:00"), window([MON], "07:07", "08:00")],
            )
        )
        assert [f for f, _ in found] == ["currency", "dailyFixedCharge", "windows[1].startTime"]

    @pytest.mark.parametrize(
        ("windows", "field", "where"),
        [
            (
                [window([MON], "07:00", "09:00"), window([MON], "08:00", "10:00")],
                "windows[1]",
                "MONDAY 08:00",
            ),
            (
                [window([MON], "07:00", "09:00"), window([MON], "06:00", "07:15")],
                "windows[1]",
                "MONDAY 07:00",
            ),
            (
                [window([MON], "07:00", "09:00"), window([MON], "07:30", "08:00")],
                "windows[1]",
                "MONDAY 07:30",
            ),
            # across midnight into the next day's window
            (
                [window([MON], "22:00", "02:00"), window([TUE], "01:00", "03:00")],
                "windows[1]",
                "TUESDAY 01:00",
            ),
            # Sunday night wraps into Monday morning
            (
                [window([MON], "00:00", "01:00"), window([SUN], "23:00", "00:30")],
                "windows[1]",
                "MONDAY 00:00",
            ),
            # a later window overlapping an earlier one that ends late (the sweep keeps the max end)
            (
                [
                    window([MON], "01:00", "12:00"),
                    window([MON], "02:00", "03:00"),
                    window([MON], "11:00", "13:00"),
                ],
                "windows[1]",
                "MONDAY 02:00",
            ),
        ],
    )
    def test_overlapping_windows_name_the_later_window(
        self, windows: list[Any], field: str, where: str
    ) -> None:
        found = problems(tariff_input(windows=windows))
        assert found[0][0] == field
        assert "overlaps windows[0]" in found[0][1]
        assert where in found[0][1]

    def test_each_overlapping_pair_is_reported_once(self) -> None:
        found = problems(
            tariff_input(
                windows=[
                    window(ALL_DAYS, "01:00", "12:00"),
                    window(ALL_DAYS, "02:00", "03:00"),
                    window([MON], "11:00", "13:00"),
                ]
            )
        )
        assert [f for f, _ in found] == ["windows[1]", "windows[2]"]
        assert "overlaps windows[0] at MONDAY 02:00" in found[0][1]
        assert "overlaps windows[0] at MONDAY 11:00" in found[1][1]

    def test_same_times_on_other_days_do_not_overlap(self) -> None:
        validate_tariff(
            tariff_input(windows=[window([MON], "22:00", "06:00"), window([TUE], "22:00", "06:00")])
        )

    def test_window_count_is_capped(self) -> None:
        def quarter(q: int) -> str:
            return f"{q // 4:02d}:{q % 4 * 15:02d}"

        many = [
            window([Weekday(i % 7)], quarter(i // 7), quarter(i // 7 + 1))
            for i in range(MAX_WINDOWS + 1)
        ]
        assert problems(tariff_input(windows=many)) == [
            ("windows", f"{MAX_WINDOWS + 1} windows; at most {MAX_WINDOWS}")
        ]
        validate_tariff(tariff_input(windows=many[:MAX_WINDOWS]))

    @pytest.mark.parametrize("kind", [TariffKind.FIXED, TariffKind.DYNAMIC])
    def test_only_time_of_use_has_windows(self, kind: TariffKind) -> None:
        assert problems(tariff_input(kind=kind))[0][0] == "windows"

    def test_fixed_needs_an_import_price(self) -> None:
        found = problems(
            tariff_input(kind=TariffKind.FIXED, windows=None, import_price_per_kwh=None)
        )
        assert found == [("importPricePerKwh", "is required for a FIXED tariff")]

    def test_negative_export_prices_are_allowed_for_every_kind(self) -> None:
        # Feed-in fees exist (a retailer charging per kWh fed in): export may be negative.
        assert fixed(exp=-0.02).export_price_per_kwh == -0.02
        assert dynamic(exp=-0.02).export_price_per_kwh == -0.02
        validate_tariff(tariff_input(windows=[window([MON], "11:00", "15:00", exp=-0.01)]))


def slot(start: datetime, imp: Any = 0.2, exp: Any = None) -> SlotInput:
    return SlotInput(start, imp, exp)


def upload_problems(slots: list[SlotInput]) -> list[tuple[str, str]]:
    with pytest.raises(TariffInputError) as caught:
        validate_upload(slots, dynamic())
    return [(e.field, e.problem) for e in caught.value.errors]


class TestValidateUpload:
    def test_slots_come_back_in_utc_with_negative_prices_kept(self) -> None:
        kathmandu = timezone(timedelta(hours=5, minutes=45))
        stored = validate_upload(
            [
                slot(datetime(2026, 3, 29, 5, 45, tzinfo=kathmandu), -0.05, -0.01),
                slot(T0 + timedelta(minutes=15)),
            ],
            dynamic(),
        )
        assert [s.start for s in stored] == [T0, T0 + timedelta(minutes=15)]
        assert stored[0].start.tzinfo is UTC
        assert (stored[0].import_price_per_kwh, stored[0].export_price_per_kwh) == (-0.05, -0.01)
        assert stored[1].export_price_per_kwh is None

    def test_an_empty_upload_is_valid(self) -> None:
        assert validate_upload([], dynamic()) == ()

    @pytest.mark.parametrize(
        ("start", "says"),
        [
            (T0 + timedelta(minutes=7), "not on a quarter hour"),
            (T0 + timedelta(seconds=30), "not on a quarter hour"),
            (T0 + timedelta(microseconds=1), "not on a quarter hour"),
            (datetime(2026, 3, 29, 0, 0), "needs a UTC offset"),
            (
                datetime(2026, 3, 29, 0, 10, tzinfo=timezone(timedelta(minutes=-25))),
                "not on a quarter hour",
            ),
            (datetime(1969, 12, 31, 23, 45, tzinfo=UTC), "must lie between"),
            ("2026-03-29T00:00:00Z", "must be a date-time"),
        ],
    )
    def test_a_bad_start_is_named(self, start: Any, says: str) -> None:
        found = upload_problems([slot(T0), slot(start)])
        assert found[0][0] == "prices[1].start"
        assert says in found[0][1]

    def test_the_same_slot_twice_is_refused_even_written_differently(self) -> None:
        berlin_summer = timezone(timedelta(hours=2))
        found = upload_problems(
            [slot(T0), slot(T0 + timedelta(minutes=15)), slot(T0.astimezone(berlin_summer))]
        )
        assert found == [("prices[2].start", "the same slot as prices[0].start")]

    @pytest.mark.parametrize(
        ("imp", "exp", "field"),
        [
            (math.nan, None, "prices[0].importPricePerKwh"),
            (math.inf, None, "prices[0].importPricePerKwh"),
            (None, None, "prices[0].importPricePerKwh"),
            (0.1, -math.inf, "prices[0].exportPricePerKwh"),
            (-3e6, None, "prices[0].importPricePerKwh"),
        ],
    )
    def test_a_bad_price_is_named(self, imp: Any, exp: Any, field: str) -> None:
        assert upload_problems([slot(T0, imp, exp)])[0][0] == field

    def test_the_upload_cap(self) -> None:
        slots = [slot(T0 + i * timedelta(minutes=15)) for i in range(MAX_SLOTS_PER_UPLOAD + 1)]
        assert len(validate_upload(slots[:MAX_SLOTS_PER_UPLOAD], dynamic())) == MAX_SLOTS_PER_UPLOAD
        assert upload_problems(slots) == [("prices", "1,001 slots; at most 1,000 per upload")]

    def test_one_bad_slot_refuses_the_whole_upload(self) -> None:
        slots = [slot(T0 + i * timedelta(minutes=15)) for i in range(999)]
        slots.insert(500, slot(T0 - timedelta(minutes=1)))
        with pytest.raises(TariffInputError) as caught:
            validate_upload(slots, dynamic())
        assert caught.value.field == "prices[500].start"

    def test_reported_problems_are_capped(self) -> None:
        slots = [slot(T0 + timedelta(minutes=1 + 15 * i), math.nan) for i in range(600)]
        with pytest.raises(TariffInputError) as caught:
            validate_upload(slots, dynamic())
        assert len(caught.value.errors) == MAX_REPORTED_ERRORS
        assert f"(and {MAX_REPORTED_ERRORS - 1} more problems)" in caught.value.message

    @pytest.mark.parametrize("tariff", [None, fixed()])
    def test_prices_need_a_dynamic_tariff(self, tariff: Any) -> None:
        with pytest.raises(TariffInputError) as caught:
            validate_upload([slot(T0)], tariff)
        assert caught.value.field == "prices"


class TestValidateRange:
    def test_a_valid_range_comes_back_in_utc(self) -> None:
        plus2 = timezone(timedelta(hours=2))
        start, end = validate_range(
            datetime(2026, 6, 1, 2, tzinfo=plus2), datetime(2026, 7, 2, tzinfo=UTC)
        )
        assert (start, end) == (datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 7, 2, tzinfo=UTC))
        assert start.tzinfo is UTC

    @pytest.mark.parametrize(
        ("start", "end", "field", "says"),
        [
            (datetime(2026, 6, 1), datetime(2026, 6, 2, tzinfo=UTC), "from", "UTC offset"),
            (datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 2), "to", "UTC offset"),
            (
                datetime(2026, 6, 2, tzinfo=UTC),
                datetime(2026, 6, 2, tzinfo=UTC),
                "to",
                "after from",
            ),
            (
                datetime(2026, 6, 1, tzinfo=UTC),
                datetime(2026, 7, 2, 0, 15, tzinfo=UTC),
                "to",
                "at most 31 days",
            ),
        ],
    )
    def test_bad_ranges(self, start: datetime, end: datetime, field: str, says: str) -> None:
        with pytest.raises(TariffInputError) as caught:
            validate_range(start, end)
        assert caught.value.field == field
        assert says in caught.value.message
