"""OPTIMIZED batteries and SMART EVs follow the planner's current slot, within the physics."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.simulation.control import (
    BATTERY_OPTIMIZED,
    BATTERY_SELF_CONSUMPTION,
    EV_SMART,
    BatteryControls,
    EVControls,
    PriceHorizon,
)
from app.simulation.fleet import FleetInput, simulate_fleet
from tests.simulation import homes as h

UTC_HOME = ("UTC", 69.65, 18.96)  # Tromso's winter on a UTC clock: heaters run, no sun
START = datetime(2026, 1, 12, 0, 0, tzinfo=UTC)  # a Monday night
NEVER = ()


def _bats(
    mode: int | list[int], n: int = 1, reserve: float = 0.0, eff: float = 1.0
) -> BatteryControls:
    modes = np.broadcast_to(np.asarray(mode, dtype=np.int8), (n,)).copy()
    return BatteryControls(modes, np.full(n, reserve), np.full(n, eff))


def _evs(n: int = 1, *, min_soc: float = 0.0, limit_soc: float = 0.9) -> EVControls:
    return EVControls(
        charge_mode=np.full(n, EV_SMART, dtype=np.int8),
        min_soc=np.full(n, min_soc),
        limit_soc=np.full(n, limit_soc),
        schedule_id=np.zeros(n, dtype=np.int64),
        schedules=(NEVER,),
    )


def _battery_home(plan_w: float, **battery: float) -> FleetInput:
    return h.fleet(
        START + timedelta(minutes=1),
        homes=h.users(UTC_HOME),
        heaters=h.loads([1_500.0]),
        batteries=h.batteries(simulated_at_s=START.timestamp(), **battery),  # type: ignore[arg-type]
        battery_controls=_bats(BATTERY_OPTIMIZED),
        planned_battery_w=np.array([plan_w]),
    )


class TestOptimizedBattery:
    @pytest.mark.parametrize("plan_w", [-2_000.0, -300.0, 0.0, 1_200.0, 4_000.0])
    def test_follows_the_planned_flow(self, plan_w: float) -> None:
        r = simulate_fleet(_battery_home(plan_w))
        assert r.batteries.flow_w[0] == pytest.approx(plan_w)
        consumption = r.users.consumption_w[0]
        assert r.users.net_grid_flow_w[0] == pytest.approx(consumption + plan_w)

    def test_is_clamped_by_the_c_rate_capacity_and_reserve(self) -> None:
        assert simulate_fleet(_battery_home(9_000.0)).batteries.flow_w[0] == pytest.approx(5_000.0)
        full = _battery_home(3_000.0, level_wh=9_990.0)
        assert simulate_fleet(full).batteries.flow_w[0] == pytest.approx(10.0 * 60.0)
        reserved = replace(
            _battery_home(-3_000.0, level_wh=2_010.0),
            battery_controls=_bats(BATTERY_OPTIMIZED, 1, 0.2),
        )
        r = simulate_fleet(reserved)
        assert r.batteries.flow_w[0] == pytest.approx(-600.0)
        assert r.batteries.level_wh[0] == pytest.approx(2_000.0)

    def test_efficiency_clamps_what_fits(self) -> None:
        inp = replace(
            _battery_home(3_000.0, level_wh=9_990.0),
            battery_controls=_bats(BATTERY_OPTIMIZED, 1, 0.0, 0.81),
        )
        r = simulate_fleet(inp)
        assert r.batteries.flow_w[0] == pytest.approx(10.0 * 60.0 / 0.9)
        assert r.batteries.level_wh[0] == pytest.approx(10_000.0)

    def test_without_a_plan_it_is_self_consumption(self) -> None:
        nan = simulate_fleet(_battery_home(float("nan")))
        none = simulate_fleet(replace(_battery_home(0.0), planned_battery_w=None))
        sc = simulate_fleet(
            replace(_battery_home(0.0), planned_battery_w=None, battery_controls=_bats(0))
        )
        assert nan.users.consumption_w[0] > 100.0
        assert nan.batteries.flow_w[0] == pytest.approx(-nan.users.consumption_w[0])
        for r in (nan, none):
            np.testing.assert_array_equal(r.batteries.flow_w, sc.batteries.flow_w)
            np.testing.assert_array_equal(r.batteries.level_wh, sc.batteries.level_wh)

    def test_split_by_power_and_other_modes_do_not_follow(self) -> None:
        inp = h.fleet(
            START + timedelta(minutes=1),
            homes=h.users(UTC_HOME),
            heaters=h.loads([1_000.0]),
            batteries=h.batteries(
                3,
                capacity_wh=np.array([10_000.0, 5_000.0, 10_000.0]),
                level_wh=np.array([5_000.0, 2_500.0, 5_000.0]),
                simulated_at_s=START.timestamp(),
            ),
            battery_controls=_bats(
                [BATTERY_OPTIMIZED, BATTERY_OPTIMIZED, BATTERY_SELF_CONSUMPTION], 3
            ),
            planned_battery_w=np.array([3_000.0]),
        )
        r = simulate_fleet(inp)
        assert r.batteries.flow_w[0] == pytest.approx(2_000.0)
        assert r.batteries.flow_w[1] == pytest.approx(1_000.0)
        # The self-consumption battery covers the home's load, not the plan's grid charging.
        assert r.users.consumption_w[0] > 100.0
        assert r.batteries.flow_w[2] == pytest.approx(-r.users.consumption_w[0])
        assert r.users.net_grid_flow_w[0] == pytest.approx(3_000.0)

    def test_a_replayed_cycle_keeps_its_flow(self) -> None:
        inp = _battery_home(2_000.0)
        r = simulate_fleet(inp)
        again = replace(
            inp,
            batteries=replace(
                inp.batteries,
                level_wh=r.batteries.level_wh,
                flow_w=r.batteries.flow_w,
                simulated_at_s=r.batteries.simulated_at_s,
            ),
            planned_battery_w=np.array([-1_000.0]),
        )
        r2 = simulate_fleet(again)
        assert r2.batteries.flow_w[0] == pytest.approx(2_000.0)
        assert r2.batteries.level_wh[0] == r.batteries.level_wh[0]

    @settings(max_examples=150, deadline=None)
    @given(
        plan=st.lists(st.floats(-20_000.0, 20_000.0), min_size=1, max_size=30),
        capacity=st.floats(100.0, 30_000.0),
        c_rate=st.floats(0.05, 2.0),
        level=st.floats(0.0, 1.0),
        reserve=st.floats(0.0, 0.9),
        efficiency=st.floats(0.5, 1.0),
        step_s=st.sampled_from([1.0, 60.0, 600.0, 3_600.0]),
    )
    def test_never_breaks_a_bound(
        self,
        plan: list[float],
        capacity: float,
        c_rate: float,
        level: float,
        reserve: float,
        efficiency: float,
        step_s: float,
    ) -> None:
        reserve_wh = reserve * capacity
        level_wh = reserve_wh + level * (capacity - reserve_wh)
        inp = h.fleet(
            START,
            homes=h.users(UTC_HOME),
            heaters=h.loads([800.0]),
            batteries=h.batteries(
                capacity_wh=capacity,
                c_rate=c_rate,
                level_wh=level_wh,
                simulated_at_s=START.timestamp(),
            ),
            battery_controls=_bats(BATTERY_OPTIMIZED, 1, reserve, efficiency),
        )
        at = START
        for plan_w in plan:
            at = at + timedelta(seconds=step_s)
            inp = replace(inp, cycle_at=at, planned_battery_w=np.array([plan_w]))
            r = simulate_fleet(inp)
            flow, new_level = float(r.batteries.flow_w[0]), float(r.batteries.level_wh[0])
            assert abs(flow) <= capacity * c_rate * (1 + 1e-9) + 1e-9
            assert reserve_wh - 1e-6 <= new_level <= capacity + 1e-9
            # Exactly what the plan asked unless a bound was in the way.
            if abs(flow - plan_w) > 1e-6:
                at_bound = (
                    abs(flow) >= capacity * c_rate * (1 - 1e-9)
                    or new_level >= capacity - 1e-6
                    or new_level <= reserve_wh + 1e-6
                )
                assert at_bound
            assert np.sign(flow) in (0.0, np.sign(plan_w))
            inp = replace(
                inp,
                batteries=replace(
                    inp.batteries,
                    level_wh=r.batteries.level_wh,
                    flow_w=r.batteries.flow_w,
                    simulated_at_s=r.batteries.simulated_at_s,
                ),
            )


def _ev_home(plan_w: float, n: int = 1, **kw: object) -> FleetInput:
    controls = kw.pop("controls", None) or _evs(n)
    return h.fleet(
        START + timedelta(minutes=1),
        homes=h.users(UTC_HOME),
        evs=h.evs(n, simulated_at_s=START.timestamp(), **kw),  # type: ignore[arg-type]
        ev_controls=controls,
        prices=PriceHorizon(START.timestamp(), np.full((1, 96), 0.30)),
        planned_ev_w=np.array([plan_w]),
    )


class TestSmartEV:
    @pytest.mark.parametrize("plan_w", [0.0, 2_500.0, 7_000.0])
    def test_follows_the_planned_power(self, plan_w: float) -> None:
        r = simulate_fleet(_ev_home(plan_w))
        assert r.evs.flow_w[0] == pytest.approx(plan_w)

    def test_clamped_by_rate_and_limit(self) -> None:
        assert simulate_fleet(_ev_home(20_000.0)).evs.flow_w[0] == pytest.approx(7_000.0)
        near = simulate_fleet(_ev_home(7_000.0, charge_kwh=53.99))
        assert near.evs.flow_w[0] == pytest.approx(10.0 * 60.0)
        assert near.evs.charge_kwh[0] == pytest.approx(54.0)
        assert simulate_fleet(_ev_home(-3_000.0)).evs.flow_w[0] == 0.0

    def test_below_min_soc_charges_at_once(self) -> None:
        r = simulate_fleet(_ev_home(0.0, charge_kwh=6.0, controls=_evs(min_soc=0.2)))
        assert r.evs.flow_w[0] == pytest.approx(7_000.0)

    def test_split_among_the_smart_evs_at_home(self) -> None:
        r = simulate_fleet(_ev_home(6_000.0, 2, charge_rate_kw=np.array([11.0, 3.7])))
        assert r.evs.flow_w.sum() == pytest.approx(6_000.0)
        assert r.evs.flow_w[0] / r.evs.flow_w[1] == pytest.approx(11.0 / 3.7)

    def test_without_a_plan_the_price_heuristic_stays(self) -> None:
        plain = replace(_ev_home(0.0), planned_ev_w=None)
        nan = replace(_ev_home(0.0), planned_ev_w=np.array([np.nan]))
        a, b = simulate_fleet(plain), simulate_fleet(nan)
        np.testing.assert_array_equal(a.evs.flow_w, b.evs.flow_w)
        # Flat prices, no departure: nothing cheaper later is needed, so it waits.
        assert a.evs.flow_w[0] == 0.0
