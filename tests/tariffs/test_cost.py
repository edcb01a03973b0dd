"""Money from energy and prices; fixed charges per local day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from app.tariffs import (
    HomeTariff,
    PriceBook,
    PriceSlot,
    cost_of,
    cost_rate_per_hour,
    fixed_charges,
    local_day_bounds,
    prices,
)
from tests.tariffs.builders import dynamic, fixed

BERLIN = ZoneInfo("Europe/Berlin")


class TestCostOf:
    def test_positive_prices(self) -> None:
        assert cost_of(2000.0, 500.0, 0.30, 0.08) == pytest.approx((0.60, 0.04))

    def test_a_negative_import_price_earns_and_a_negative_export_price_costs(self) -> None:
        import_cost, export_revenue = cost_of(1000.0, 1000.0, -0.05, -0.02)
        assert import_cost == pytest.approx(-0.05)  # paid to draw power
        assert export_revenue == pytest.approx(-0.02)  # paying to feed in
        assert import_cost - export_revenue == pytest.approx(-0.03)

    def test_arrays(self) -> None:
        import_cost, export_revenue = cost_of(
            np.array([1000.0, 0.0]),
            np.array([0.0, 250.0]),
            np.array([0.3, 0.3]),
            np.array([0.1, -0.1]),
        )
        assert import_cost.tolist() == pytest.approx([0.3, 0.0])
        assert export_revenue.tolist() == pytest.approx([0.0, -0.025])


class TestCostRate:
    def test_importing_pays_exporting_earns(self) -> None:
        assert cost_rate_per_hour(2000.0, 0.30, 0.08) == pytest.approx(0.60)
        assert cost_rate_per_hour(-1000.0, 0.30, 0.08) == pytest.approx(-0.08)
        assert cost_rate_per_hour(0.0, 0.30, 0.08) == 0.0
        assert isinstance(cost_rate_per_hour(1.0, 0.3, 0.1), float)

    def test_negative_prices_flip_the_sign(self) -> None:
        assert cost_rate_per_hour(1000.0, -0.05, 0.0) == pytest.approx(-0.05)
        assert cost_rate_per_hour(-1000.0, 0.3, -0.02) == pytest.approx(0.02)

    def test_arrays(self) -> None:
        rate = cost_rate_per_hour(
            np.array([1000.0, -1000.0]), np.array([0.3, 0.3]), np.array([0.1, 0.1])
        )
        assert rate.tolist() == pytest.approx([0.3, -0.1])


class TestFixedCharges:
    @pytest.mark.parametrize("day", [date(2026, 3, 29), date(2026, 10, 25), date(2026, 6, 1)])
    def test_one_local_day_has_one_charge_whatever_its_length(self, day: date) -> None:
        start, end = local_day_bounds(day, BERLIN)
        assert fixed_charges(fixed(daily=0.45), BERLIN, start, end) == pytest.approx(0.45)

    def test_a_charge_belongs_to_the_first_instant_of_its_day(self) -> None:
        start, end = local_day_bounds(date(2026, 6, 1), BERLIN)
        tariff = fixed(daily=0.5)
        assert fixed_charges(tariff, BERLIN, start, start + timedelta(minutes=1)) == 0.5
        assert fixed_charges(tariff, BERLIN, start + timedelta(minutes=1), end) == 0.0
        assert fixed_charges(tariff, BERLIN, start - timedelta(days=2), end) == pytest.approx(1.5)
        assert fixed_charges(tariff, BERLIN, end, start) == 0.0
        assert fixed_charges(fixed(daily=0.0), BERLIN, start, end) == 0.0

    def test_a_month_of_days(self) -> None:
        start, _ = local_day_bounds(date(2026, 10, 1), BERLIN)
        end, _ = local_day_bounds(date(2026, 11, 1), BERLIN)
        assert fixed_charges(fixed(daily=1.0), BERLIN, start, end) == pytest.approx(31.0)


class TestNegativeDynamicDay:
    def test_a_day_of_negative_prices_earns_on_import_and_costs_on_export(self) -> None:
        start, end = local_day_bounds(date(2026, 6, 14), BERLIN)
        midday = start + timedelta(hours=12)
        slots = [PriceSlot(midday + k * timedelta(minutes=15), -0.10, -0.03) for k in range(8)]
        book = PriceBook.build([HomeTariff(dynamic(0.25, 0.06), BERLIN, slots)])
        earned = paid = 0.0
        for minute in range(120):
            t0 = midday + timedelta(minutes=minute)
            got = book.interval_prices(t0, t0 + timedelta(minutes=1))
            import_cost, export_revenue = cost_of(
                50.0, 20.0, float(got.import_price_per_kwh[0]), float(got.export_price_per_kwh[0])
            )
            earned += import_cost
            paid += export_revenue
        assert earned == pytest.approx(-0.10 * 6.0)  # 6 kWh imported at -0.10: earned 0.60
        assert paid == pytest.approx(-0.03 * 2.4)  # 2.4 kWh exported at -0.03: cost 0.072
        two_hours = prices(dynamic(0.25, 0.06), slots, BERLIN, midday, midday + timedelta(hours=2))
        assert {s.import_price_per_kwh for s in two_hours} == {-0.10}
        assert len(prices(dynamic(), slots, BERLIN, start, end)) == 96

    def test_day_bounds_are_utc(self) -> None:
        start, end = local_day_bounds(date(2026, 3, 29), BERLIN)
        assert (start, end) == (
            datetime(2026, 3, 28, 23, tzinfo=UTC),
            datetime(2026, 3, 29, 22, tzinfo=UTC),
        )
