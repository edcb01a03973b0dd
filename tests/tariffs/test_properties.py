"""Property tests (derandomized: the same examples every run, so no result depends on luck)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.tariffs import (
    SLOT,
    HomeTariff,
    PriceBook,
    PriceSlot,
    SlotColumns,
    Tariff,
    TariffInput,
    TariffInputError,
    TariffKind,
    Weekday,
    WindowInput,
    cost_of,
    local_day_bounds,
    price_at,
    prices,
    validate_tariff,
)
from app.tariffs.clock import quarter_start
from app.tariffs.schedule import slot_map
from tests.tariffs.builders import (
    as_price_slots,
    coverage_count,
    dynamic,
    fixed,
    reference_tou_price,
)

ZONES = (
    "UTC",
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Santiago",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
)
PROPERTY = settings(derandomize=True, deadline=None, max_examples=150, database=None)

zones = st.sampled_from(ZONES).map(ZoneInfo)
money = st.sampled_from([0.0, 0.05, 0.1, 0.12, 0.2, 0.3, 0.45])
signed_money = st.sampled_from([-0.3, -0.05, -0.01, 0.0, 0.07, 0.21, 0.5])
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2037, 12, 31))
quarters = st.integers(
    min_value=(datetime(2000, 1, 1, tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)) // SLOT,
    max_value=(datetime(2037, 12, 31, tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)) // SLOT,
)


def hhmm(quarter_of_day: int) -> str:
    return f"{quarter_of_day // 4:02d}:{quarter_of_day % 4 * 15:02d}"


@st.composite
def candidate_windows(draw: st.DrawFn) -> WindowInput:
    start = draw(st.integers(0, 95))
    length = draw(st.integers(1, 95))
    return WindowInput(
        days=sorted(draw(st.sets(st.sampled_from(list(Weekday)), min_size=1))),
        start_time=hhmm(start),
        end_time=hhmm((start + length) % 96),
        import_price_per_kwh=draw(money),
        export_price_per_kwh=draw(signed_money),
    )


@st.composite
def tou_tariffs(draw: st.DrawFn) -> Tariff:
    """Valid TIME_OF_USE tariffs: candidates kept while they overlap nothing kept so far."""
    kept: list[WindowInput] = []
    for candidate in draw(st.lists(candidate_windows(), min_size=1, max_size=10)):
        if max(coverage_count([*kept, candidate])) <= 1:
            kept.append(candidate)
    fallback = draw(st.one_of(st.none(), money))
    return validate_tariff(
        TariffInput(
            TariffKind.TIME_OF_USE, "EUR", 0.0, fallback, draw(st.none() | signed_money), kept
        )
    )


@st.composite
def homes(draw: st.DrawFn, around: int) -> HomeTariff:
    tz = draw(zones)
    kind = draw(st.sampled_from(["none", "fixed", "tou", "dynamic"]))
    if kind == "none":
        return HomeTariff(None, tz)
    if kind == "fixed":
        return HomeTariff(fixed(draw(money), draw(signed_money)), tz)
    if kind == "tou":
        return HomeTariff(draw(tou_tariffs()), tz)
    offsets = draw(st.lists(st.integers(-3, 3), max_size=6))
    slots = [
        PriceSlot(quarter_start(around + k), draw(signed_money), draw(st.none() | signed_money))
        for k in offsets
    ]
    tariff = dynamic(draw(st.none() | money), draw(st.none() | signed_money))
    if draw(st.booleans()):
        return HomeTariff(tariff, tz, SlotColumns.from_slots(slots))
    return HomeTariff(tariff, tz, slots)


class TestValidationProperties:
    @PROPERTY
    @given(st.lists(candidate_windows(), min_size=1, max_size=8))
    def test_overlap_is_refused_exactly_when_some_quarter_is_covered_twice(
        self, windows: list[WindowInput]
    ) -> None:
        overlapping = max(coverage_count(windows)) > 1
        tariff = TariffInput(TariffKind.TIME_OF_USE, "EUR", 0.0, 0.3, 0.1, windows)
        if overlapping:
            with pytest.raises(TariffInputError) as caught:
                validate_tariff(tariff)
            assert all(e.field.startswith("windows[") for e in caught.value.errors)
            assert all("overlaps windows[" in e.problem for e in caught.value.errors)
        else:
            assert len(validate_tariff(tariff).windows) == len(windows)


class TestPriceProperties:
    @PROPERTY
    @given(tou_tariffs(), zones, days)
    def test_time_of_use_matches_the_windows_definition(
        self, tariff: Tariff, tz: ZoneInfo, day: date
    ) -> None:
        start, end = local_day_bounds(day, tz)
        slots = prices(tariff, [], tz, start, end)
        assert len(slots) == (end - start) // SLOT
        assert len(slots) in {92, 94, 96, 98, 100}
        for slot in slots:
            want = reference_tou_price(tariff, slot.start, tz)
            assert (slot.import_price_per_kwh, slot.export_price_per_kwh) == want

    @PROPERTY
    @given(days)
    def test_berlin_days_have_96_slots_except_on_the_two_change_sundays(self, day: date) -> None:
        start, end = local_day_bounds(day, ZoneInfo("Europe/Berlin"))
        count = len(prices(fixed(), [], ZoneInfo("Europe/Berlin"), start, end))
        last_sunday = day.weekday() == 6 and (day + timedelta(days=7)).month != day.month
        if last_sunday and day.month == 3:
            assert count == 92
        elif last_sunday and day.month == 10:
            assert count == 100
        else:
            assert count == 96

    @PROPERTY
    @given(st.data(), quarters)
    def test_the_book_agrees_with_price_at(self, data: st.DataObject, quarter: int) -> None:
        many = data.draw(st.lists(homes(around=quarter), max_size=12))
        book = PriceBook.build(many)
        for k in (-1, 0, 1):
            imp, exp = book.quarter_prices(quarter + k)
            for h, home in enumerate(many):
                want = (
                    (0.0, 0.0)
                    if home.tariff is None
                    else price_at(
                        home.tariff, slot_map(as_price_slots(home.slots)), home.tz, quarter + k
                    )
                )
                assert (imp[h], exp[h]) == want


class TestCostProperties:
    @PROPERTY
    @given(
        st.data(),
        quarters,
        st.lists(st.floats(0, 5_000), min_size=60, max_size=60),
        st.lists(st.floats(0, 5_000), min_size=60, max_size=60),
    )
    def test_an_hours_cost_by_quarter_equals_the_sum_of_its_minutes(
        self, data: st.DataObject, quarter: int, import_wh: list[float], export_wh: list[float]
    ) -> None:
        many = data.draw(st.lists(homes(around=quarter + 1), min_size=1, max_size=6))
        book = PriceBook.build(many)
        hour = quarter_start(quarter)
        minute_import = np.zeros(len(many))
        minute_export = np.zeros(len(many))
        for m in range(60):
            t0 = hour + timedelta(minutes=m)
            got = book.interval_prices(t0, t0 + timedelta(minutes=1))
            cost, revenue = cost_of(
                np.full(len(many), import_wh[m]),
                np.full(len(many), export_wh[m]),
                got.import_price_per_kwh,
                got.export_price_per_kwh,
            )
            minute_import += cost
            minute_export += revenue
        quarter_import = np.zeros(len(many))
        quarter_export = np.zeros(len(many))
        for q in range(4):
            imp, exp = book.quarter_prices(quarter + q)
            cost, revenue = cost_of(
                np.full(len(many), sum(import_wh[15 * q : 15 * q + 15])),
                np.full(len(many), sum(export_wh[15 * q : 15 * q + 15])),
                imp,
                exp,
            )
            quarter_import += cost
            quarter_export += revenue
        np.testing.assert_allclose(minute_import, quarter_import, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(minute_export, quarter_export, rtol=1e-9, atol=1e-9)

    @PROPERTY
    @given(st.data(), quarters, st.integers(1, 59), st.floats(0, 10_000))
    def test_unaligned_minutes_at_steady_power_sum_to_the_quarter_costs(
        self, data: st.DataObject, quarter: int, offset_s: int, power_w: float
    ) -> None:
        many = data.draw(st.lists(homes(around=quarter + 1), min_size=1, max_size=6))
        book = PriceBook.build(many)
        start = quarter_start(quarter) + timedelta(seconds=offset_s)
        wh_per_minute = power_w / 60.0
        by_minutes = np.zeros(len(many))
        for m in range(30):
            t0 = start + timedelta(minutes=m)
            got = book.interval_prices(t0, t0 + timedelta(minutes=1))
            import_cost, _ = cost_of(
                np.full(len(many), wh_per_minute),
                np.zeros(len(many)),
                got.import_price_per_kwh,
                got.export_price_per_kwh,
            )
            by_minutes += import_cost
        # the same 30 minutes by quarter hour: the seconds of each quarter inside them
        end = start + timedelta(minutes=30)
        by_quarters = np.zeros(len(many))
        for q in range(quarter, quarter + 3):
            inside = min(end, quarter_start(q + 1)) - max(start, quarter_start(q))
            imp, _ = book.quarter_prices(q)
            by_quarters += imp * power_w / 1000.0 * (inside / timedelta(hours=1))
        np.testing.assert_allclose(by_minutes, by_quarters, rtol=1e-9, atol=1e-9)
