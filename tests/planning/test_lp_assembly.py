"""The vectorised LP assembly and the direct HiGHS call give the plan the row-by-row assembly
and `linprog` gave, on the reference homes (every place, tariff and start of
test_optimizer.py's reference test) and on random homes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.planning import optimizer
from app.planning.forecast import Horizon, forecast_home
from app.planning.optimizer import PlanResult, optimize
from tests.planning.builders import reference_home
from tests.planning.rows_optimizer import optimize as optimize_by_rows
from tests.planning.test_optimizer import MONDAY_DAWN, PLACES, WEEKEND, _dynamic, _tou


def _same(a: PlanResult, b: PlanResult) -> None:
    assert a.solved
    assert b.solved
    for name in ("battery_w", "ev_w", "grid_w", "battery_level_wh", "ev_level_wh"):
        np.testing.assert_array_equal(getattr(a.flows, name), getattr(b.flows, name))
    assert a.expected_cost == b.expected_cost
    assert a.baseline_cost == b.baseline_cost
    assert a.target_missed == b.target_missed


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("prices", ["tou", "dynamic"])
@pytest.mark.parametrize("start", [MONDAY_DAWN, WEEKEND])
def test_reference_homes_get_the_plan_of_the_row_by_row_assembly(place, prices, start):
    tz, lat, lon = place
    home = replace(reference_home(timezone=tz), latitude=lat, longitude=lon)
    horizon = Horizon.at(start, 48)
    imp, exp = _tou(horizon) if prices == "tou" else _dynamic(horizon)
    forecast = forecast_home(home, horizon)
    _same(optimize(home, forecast, imp, exp), optimize_by_rows(home, forecast, imp, exp))


@settings(max_examples=25, deadline=None)
@given(
    battery_wh=st.sampled_from([0.0, 5_000.0, 13_500.0]),
    ev_kwh=st.sampled_from([None, 40.0, 75.0]),
    level=st.floats(0.0, 1.0),
    hour=st.integers(0, 23),
    negative=st.booleans(),
)
def test_random_homes_get_the_plan_of_the_row_by_row_assembly(
    battery_wh, ev_kwh, level, hour, negative
):
    home = reference_home(
        battery_wh=battery_wh,
        battery_level_wh=level * battery_wh,
        ev_kwh=ev_kwh,
        ev_level_kwh=level * (ev_kwh or 0.0),
    )
    horizon = Horizon.at(datetime(2026, 6, 1, hour, tzinfo=UTC), 48)
    imp, exp = _dynamic(horizon) if negative else _tou(horizon)
    forecast = forecast_home(home, horizon)
    _same(optimize(home, forecast, imp, exp), optimize_by_rows(home, forecast, imp, exp))


def test_linprog_fallback_solves_the_same_model(monkeypatch):
    """Without scipy's HiGHS core the planner falls back to linprog, with the same plan."""
    home = reference_home()
    horizon = Horizon.at(MONDAY_DAWN, 48)
    imp, exp = _dynamic(horizon)
    forecast = forecast_home(home, horizon)
    direct = optimize(home, forecast, imp, exp)
    assert optimizer._SOLVE is optimizer._solve_highs
    monkeypatch.setattr(optimizer, "_SOLVE", optimizer._solve_linprog)
    _same(optimize(home, forecast, imp, exp), direct)


def test_an_infeasible_model_is_no_solution_on_both_paths():
    """x >= 1 and x <= 0: neither solver path returns a point."""
    from scipy import sparse

    a = sparse.csr_matrix(np.array([[1.0]]))
    for solve in (optimizer._solve_highs, optimizer._solve_linprog):
        assert solve(np.ones(1), a, np.zeros(1), None, None, np.ones(1), np.full(1, 2.0)) is None
