"""prices(tariff, slots, tz, start, end): the price in force per 15-minute slot, DST-correct."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.tariffs import (
    SLOT,
    PricedSlot,
    PriceSlot,
    Tariff,
    TariffInputError,
    Weekday,
    local_day_bounds,
    prices,
)
from tests.tariffs.builders import ALL_DAYS, dynamic, fixed, tou, window

BERLIN = ZoneInfo("Europe/Berlin")
SAT, SUN, MON = Weekday.SATURDAY, Weekday.SUNDAY, Weekday.MONDAY
# 2026: Europe/Berlin springs forward on Sunday 29 March, falls back on Sunday 25 October.
SPRING, AUTUMN, PLAIN = date(2026, 3, 29), date(2026, 10, 25), date(2026, 6, 14)


def day_prices(tariff: Tariff, day: date, tz: ZoneInfo = BERLIN, slots=()) -> list[PricedSlot]:
    start, end = local_day_bounds(day, tz)
    return prices(tariff, slots, tz, start, end)


def local_hhmm(slot: PricedSlot, tz: ZoneInfo = BERLIN) -> str:
    return slot.start.astimezone(tz).strftime("%H:%M")


class TestSlotCount:
    @pytest.mark.parametrize(
        ("day", "count"), [(PLAIN, 96), (SPRING, 92), (AUTUMN, 100), (date(2026, 3, 28), 96)]
    )
    def test_a_local_day_has_92_96_or_100_slots(self, day: date, count: int) -> None:
        slots = day_prices(fixed(), day)
        assert len(slots) == count
        start, end = local_day_bounds(day, BERLIN)
        assert slots[0].start == start
        assert slots[-1].end == end
        assert all(s.end - s.start == SLOT for s in slots)
        assert all(a.end == b.start for a, b in zip(slots, slots[1:], strict=False))
        assert all(s.start.tzinfo is UTC for s in slots)

    def test_the_skipped_and_repeated_hours(self) -> None:
        spring = [local_hhmm(s) for s in day_prices(fixed(), SPRING)]
        assert "02:00" not in spring
        assert spring[7:9] == ["01:45", "03:00"]
        autumn = [local_hhmm(s) for s in day_prices(fixed(), AUTUMN)]
        assert autumn.count("02:00") == 2
        assert autumn.count("01:45") == 1

    @pytest.mark.parametrize(
        ("zone", "day", "count"),
        [
            ("America/New_York", date(2026, 3, 8), 92),
            ("America/New_York", date(2026, 11, 1), 100),
            ("Australia/Sydney", date(2026, 4, 5), 100),
            ("Australia/Sydney", date(2026, 10, 4), 92),
            # Lord Howe Island moves its clocks by half an hour.
            ("Australia/Lord_Howe", date(2026, 4, 5), 98),
            ("Australia/Lord_Howe", date(2026, 10, 4), 94),
            ("Asia/Kathmandu", date(2026, 3, 29), 96),
            ("UTC", date(2026, 3, 29), 96),
        ],
    )
    def test_other_zones(self, zone: str, day: date, count: int) -> None:
        assert len(day_prices(fixed(), day, ZoneInfo(zone))) == count

    def test_a_day_whose_midnight_is_skipped_starts_after_the_gap(self) -> None:
        santiago = ZoneInfo("America/Santiago")
        # Chile springs forward at 24:00 on Saturday 5 September 2026: Sunday starts at 01:00.
        start, end = local_day_bounds(date(2026, 9, 6), santiago)
        assert start.astimezone(santiago).hour == 1
        assert start.astimezone(UTC) == datetime(2026, 9, 6, 4, tzinfo=UTC)
        assert len(day_prices(fixed(), date(2026, 9, 6), santiago)) == 92

    def test_range_edges_floor_and_ceil_to_the_quarter_hour(self) -> None:
        start = datetime(2026, 6, 1, 10, 7, 30, tzinfo=UTC)
        slots = prices(fixed(), [], BERLIN, start, start + timedelta(minutes=16))
        assert [s.start.strftime("%H:%M") for s in slots] == ["10:00", "10:15"]
        aligned = datetime(2026, 6, 1, 10, tzinfo=UTC)
        assert len(prices(fixed(), [], BERLIN, aligned, aligned + SLOT)) == 1
        with pytest.raises(TariffInputError) as caught:
            prices(fixed(), [], BERLIN, aligned, aligned)
        assert caught.value.field == "to"

    def test_the_range_is_checked(self) -> None:
        start = datetime(2026, 6, 1, tzinfo=UTC)
        assert len(prices(fixed(), [], BERLIN, start, start + timedelta(days=31))) == 31 * 96
        with pytest.raises(TariffInputError) as caught:
            prices(fixed(), [], BERLIN, start, start + timedelta(days=31, minutes=15))
        assert caught.value.field == "to"
        with pytest.raises(TariffInputError) as caught:
            prices(fixed(), [], BERLIN, start.replace(tzinfo=None), start + SLOT)
        assert caught.value.field == "from"


class TestFixed:
    def test_one_price_all_day(self) -> None:
        slots = day_prices(fixed(0.31, 0.07), AUTUMN)
        assert {(s.import_price_per_kwh, s.export_price_per_kwh) for s in slots} == {(0.31, 0.07)}

    def test_export_defaults_to_zero(self) -> None:
        assert {s.export_price_per_kwh for s in day_prices(fixed(exp=None), PLAIN)} == {0.0}


class TestTimeOfUse:
    NIGHT = (0.10, 0.05)

    def night_hours(self, tariff: Tariff, *days: date) -> list[str]:
        return [
            s.start.astimezone(BERLIN).strftime("%a %H:%M")
            for day in days
            for s in day_prices(tariff, day)
            if (s.import_price_per_kwh, s.export_price_per_kwh) == self.NIGHT
        ]

    @pytest.mark.parametrize(
        ("saturday", "slots"),
        [(date(2026, 3, 28), 28), (date(2026, 10, 24), 36), (date(2026, 6, 13), 32)],
    )
    def test_a_window_across_midnight_into_a_dst_change(self, saturday: date, slots: int) -> None:
        # SATURDAY 22:00-06:00 is 8 wall-clock hours: 7 real hours into the spring change, 9 into
        # the autumn change.
        tariff = tou(window([SAT], "22:00", "06:00", *self.NIGHT))
        night = self.night_hours(tariff, saturday, saturday + timedelta(days=1))
        assert len(night) == slots
        assert night[0] == "Sat 22:00"
        assert night[-1] == "Sun 05:45"

    def test_the_other_slots_take_the_fallback(self) -> None:
        tariff = tou(window([SAT], "22:00", "06:00", *self.NIGHT), imp=0.3, exp=0.08)
        other = {
            (s.import_price_per_kwh, s.export_price_per_kwh)
            for s in day_prices(tariff, SPRING)
            if local_hhmm(s) >= "06:00"
        }
        assert other == {(0.3, 0.08)}

    def test_no_fallback_means_zero(self) -> None:
        tariff = tou(window([MON], "07:00", "08:00"), imp=None, exp=None)
        assert (day_prices(tariff, PLAIN)[0].import_price_per_kwh) == 0.0

    def test_a_window_inside_the_changing_hour(self) -> None:
        tariff = tou(window([SUN], "02:00", "03:00", *self.NIGHT))
        assert self.night_hours(tariff, SPRING) == []
        assert (
            self.night_hours(tariff, AUTUMN)
            == ["Sun 02:00", "Sun 02:15", "Sun 02:30", "Sun 02:45"] * 2
        )

    def test_sunday_night_wraps_into_monday(self) -> None:
        tariff = tou(window([SUN], "23:00", "01:00", *self.NIGHT))
        night = self.night_hours(tariff, date(2026, 6, 14), date(2026, 6, 15), date(2026, 6, 16))
        assert night == [
            "Sun 23:00", "Sun 23:15", "Sun 23:30", "Sun 23:45",
            "Mon 00:00", "Mon 00:15", "Mon 00:30", "Mon 00:45",
        ]  # fmt: skip

    def test_midnight_end_stops_at_midnight(self) -> None:
        tariff = tou(window([MON], "23:30", "00:00", *self.NIGHT))
        night = self.night_hours(tariff, date(2026, 6, 15), date(2026, 6, 16))
        assert night == ["Mon 23:30", "Mon 23:45"]

    def test_windows_follow_the_home_clock_not_utc(self) -> None:
        tariff = tou(window(ALL_DAYS, "17:00", "20:00", 0.45, 0.0))
        for day in (PLAIN, date(2026, 1, 14)):
            peak = [
                local_hhmm(s) for s in day_prices(tariff, day) if s.import_price_per_kwh == 0.45
            ]
            assert peak[0] == "17:00"
            assert peak[-1] == "19:45"
            assert len(peak) == 12

    def test_a_home_elsewhere_sees_its_own_clock(self) -> None:
        tokyo = ZoneInfo("Asia/Tokyo")
        tariff = tou(window(ALL_DAYS, "17:00", "20:00", 0.45, 0.0))
        peak = [s for s in day_prices(tariff, PLAIN, tokyo) if s.import_price_per_kwh == 0.45]
        assert peak[0].start == datetime(2026, 6, 14, 8, tzinfo=UTC)


class TestDynamic:
    def slots(self, day: date) -> list[PriceSlot]:
        start, _ = local_day_bounds(day, BERLIN)
        return [
            PriceSlot(start + timedelta(hours=12), -0.05, -0.02),
            PriceSlot(start + timedelta(hours=12, minutes=15), -0.01),
            PriceSlot(start + timedelta(hours=13), 0.12, 0.11),
        ]

    def test_uploaded_slots_with_negative_prices_and_the_fallback(self) -> None:
        got = day_prices(dynamic(0.25, 0.07), PLAIN, slots=self.slots(PLAIN))
        by_time = {local_hhmm(s): (s.import_price_per_kwh, s.export_price_per_kwh) for s in got}
        assert by_time["12:00"] == (-0.05, -0.02)
        assert by_time["12:15"] == (-0.01, 0.07)  # no export price uploaded: the fallback's
        assert by_time["12:30"] == (0.25, 0.07)  # no slot: the fallback
        assert by_time["13:00"] == (0.12, 0.11)
        assert by_time["00:00"] == (0.25, 0.07)

    def test_without_a_fallback_a_missing_slot_is_zero(self) -> None:
        got = day_prices(dynamic(None, None), PLAIN, slots=self.slots(PLAIN))
        by_time = {local_hhmm(s): (s.import_price_per_kwh, s.export_price_per_kwh) for s in got}
        assert by_time["12:15"] == (-0.01, 0.0)
        assert by_time["23:45"] == (0.0, 0.0)

    def test_slots_on_a_dst_day_are_by_instant(self) -> None:
        start, _ = local_day_bounds(AUTUMN, BERLIN)
        # the two 02:00s are different instants with different uploaded prices
        first, second = start + timedelta(hours=2), start + timedelta(hours=3)
        assert local_hhmm(prices(fixed(), [], BERLIN, first, first + SLOT)[0]) == "02:00"
        assert local_hhmm(prices(fixed(), [], BERLIN, second, second + SLOT)[0]) == "02:00"
        got = day_prices(dynamic(), AUTUMN, slots=[PriceSlot(first, 0.5), PriceSlot(second, -0.5)])
        assert len(got) == 100
        assert [s.import_price_per_kwh for s in got if local_hhmm(s) == "02:00"] == [0.5, -0.5]

    def test_a_later_slot_for_the_same_quarter_wins(self) -> None:
        at = datetime(2026, 6, 1, 10, tzinfo=UTC)
        got = prices(dynamic(), [PriceSlot(at, 0.1), PriceSlot(at, 0.2)], BERLIN, at, at + SLOT)
        assert got[0].import_price_per_kwh == 0.2

    def test_slots_are_ignored_for_other_kinds(self) -> None:
        at = datetime(2026, 6, 1, 10, tzinfo=UTC)
        got = prices(fixed(0.3), [PriceSlot(at, -1.0)], BERLIN, at, at + SLOT)
        assert got[0].import_price_per_kwh == 0.3
