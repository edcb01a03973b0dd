"""The vectorised LP assembly and the direct, warm-started HiGHS call give plans as cheap as the
row-by-row assembly and `linprog` gave (the same optimum to 1e-6 relative; among equally cheap
plans the one returned may differ, since each solve starts from the previous LP's basis), on the
reference homes (every place, tariff and start of test_optimizer.py's reference test) and on
random homes."""

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
    """The same baseline (bit for bit), the same optimum (to 1e-6 relative), the same flag, and
    `a` is a plan of the home: its grid flow balances its battery and EV flows."""
    assert a.solved
    assert b.solved
    for name in ("battery_w", "ev_w", "grid_w", "battery_level_wh", "ev_level_wh"):
        np.testing.assert_array_equal(getattr(a.baseline, name), getattr(b.baseline, name))
    assert a.baseline_cost == b.baseline_cost
    assert abs(a.expected_cost - b.expected_cost) <= 1e-6 * max(1.0, abs(b.expected_cost))
    assert a.target_missed == b.target_missed
    net = b.flows.grid_w - b.flows.battery_w - b.flows.ev_w
    np.testing.assert_allclose(a.flows.grid_w, net + a.flows.battery_w + a.flows.ev_w, atol=1e-6)


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
        model = optimizer.LinearProgram(
            np.ones(1), a, np.zeros(1), None, None, np.ones(1), np.full(1, 2.0)
        )
        assert solve(model) is None


def test_the_optimum_does_not_depend_on_the_previous_lp_of_the_batch():
    """Warm starts: the homes planned in one order and in the reverse order (so each starts
    from another neighbour's basis, or cold) cost the same, to 1e-6 relative."""
    cases = []
    for k, (tz, lat, lon) in enumerate(PLACES):
        for level in (0.1, 0.5, 0.95):
            home = replace(
                reference_home(timezone=tz, battery_level_wh=level * 10_000.0, key=k + 1),
                latitude=lat,
                longitude=lon,
            )
            horizon = Horizon.at(MONDAY_DAWN, 48)
            cases.append((home, forecast_home(home, horizon), *_dynamic(horizon)))
    forward = [optimize(*c).expected_cost for c in cases]
    optimizer._WARM.shapes = {}
    backward = [optimize(*c).expected_cost for c in reversed(cases)][::-1]
    assert optimizer._WARM.shapes  # the structure's basis is kept for the next home
    np.testing.assert_allclose(forward, backward, rtol=1e-6, atol=1e-9)
