"""Property tests over random homes and times: energy bookkeeping, bounds, self-consumption, sun."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from app.simulation.fleet import (
    EV_CHARGING,
    EV_DISCHARGING,
    EV_OFFLINE,
    BatteryArrays,
    EVArrays,
    FleetInput,
    FleetResult,
    GeneratorArrays,
    LoadArrays,
    SolarArrays,
    simulate_fleet,
)
from app.simulation.solar import sun_elevation_deg
from tests.simulation.homes import fleet, users

TIMEZONES = (
    "America/Los_Angeles",
    "America/New_York",
    "America/Sao_Paulo",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
)
MAX_ELAPSED_S = 86_400.0
EPS_W = 1e-6
EPS_WH = 1e-6

cycle_instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2060, 12, 31), timezones=st.just(UTC)
)
# How long before the cycle the device was last simulated: never (NaN), an older or the same
# cycle (<= 0 s, a replay), or some time ago (possibly more than MAX_ELAPSED_S).
last_simulated_ago_s = st.one_of(
    st.just(math.nan),
    st.just(0.0),
    st.floats(-3_600.0, 0.0),
    st.floats(1.0, 120.0),
    st.floats(0.0, 3 * 86_400.0),
)
fractions = st.floats(0.0, 1.0)


@dataclass(frozen=True)
class Scenario:
    inp: FleetInput
    n_users: int


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    n_users = draw(st.integers(1, 3))
    homes = [
        (draw(st.sampled_from(TIMEZONES)), draw(st.floats(-66, 66)), draw(st.floats(-180, 180)))
        for _ in range(n_users)
    ]
    cycle_at = draw(cycle_instants)
    cycle_s = cycle_at.timestamp()
    user = st.integers(0, n_users - 1)

    def rows(*columns: st.SearchStrategy) -> list[tuple[Any, ...]]:
        return draw(st.lists(st.tuples(user, *columns), max_size=4))

    solar = rows(
        st.floats(0.5, 3.0), st.floats(0.05, 1.0), st.floats(0.0, 2_000.0), st.floats(-90, 90),
        st.floats(-180, 180),
    )  # fmt: skip
    gens = rows(st.floats(0.0, 10_000.0))
    acs = rows(st.floats(0.0, 5_000.0))
    heaters = rows(st.floats(0.0, 5_000.0))
    bats = rows(
        st.floats(100.0, 20_000.0), st.floats(0.05, 2.0), st.floats(-0.1, 1.1),
        last_simulated_ago_s, st.floats(-5_000.0, 5_000.0),
    )  # fmt: skip
    cars = rows(
        st.floats(10.0, 120.0), st.floats(-0.1, 1.1), st.floats(1.0, 22.0), st.floats(0.0, 20.0),
        st.sampled_from([EV_CHARGING, EV_DISCHARGING, EV_OFFLINE]), last_simulated_ago_s,
        st.floats(-7_000.0, 7_000.0),
    )  # fmt: skip

    def col(table: list[tuple[Any, ...]], i: int, dtype: type = np.float64) -> np.ndarray:
        return np.array([r[i] for r in table], dtype=dtype)

    def keys(table: list[tuple[Any, ...]], base: int) -> np.ndarray:
        return np.arange(base, base + len(table), dtype=np.uint64)

    inp = fleet(
        cycle_at,
        homes=users(*homes),
        solar=SolarArrays(
            key=keys(solar, 1),
            user=col(solar, 0, np.int64),
            panel_area_m2=col(solar, 1),
            efficiency=col(solar, 2),
            max_capacity_w=col(solar, 3),
            latitude=col(solar, 4),
            longitude=col(solar, 5),
        ),
        generators=GeneratorArrays(keys(gens, 100), col(gens, 0, np.int64), col(gens, 1)),
        air_conditioners=LoadArrays(keys(acs, 200), col(acs, 0, np.int64), col(acs, 1)),
        heaters=LoadArrays(keys(heaters, 300), col(heaters, 0, np.int64), col(heaters, 1)),
        batteries=BatteryArrays(
            key=keys(bats, 400),
            user=col(bats, 0, np.int64),
            capacity_wh=col(bats, 1),
            c_rate=col(bats, 2),
            level_wh=col(bats, 1) * col(bats, 3),
            simulated_at_s=cycle_s - col(bats, 4),
            flow_w=col(bats, 5),
        ),
        evs=EVArrays(
            key=keys(cars, 500),
            user=col(cars, 0, np.int64),
            capacity_kwh=col(cars, 1),
            charge_kwh=col(cars, 1) * col(cars, 2),
            charge_rate_kw=col(cars, 3),
            driving_kwh_per_h=col(cars, 4),
            mode_setting=col(cars, 5, np.int8),
            last_seen_at_s=np.full(len(cars), math.nan),
            simulated_at_s=cycle_s - col(cars, 6),
            flow_w=col(cars, 7),
        ),
        max_elapsed_s=MAX_ELAPSED_S,
    )
    return Scenario(inp=inp, n_users=n_users)


def _per_user(user: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(user, weights=values, minlength=n)


PROPERTY_SETTINGS = settings(max_examples=120, deadline=None)


class TestStorageBookkeeping:
    @PROPERTY_SETTINGS
    @given(scenarios())
    def test_battery_level_changes_by_flow_times_elapsed_and_stays_in_bounds(self, scenario):
        inp = scenario.inp
        bats = simulate_fleet(inp).batteries
        given_ = inp.batteries
        cycle_s = inp.cycle_at.timestamp()
        replay = given_.simulated_at_s >= cycle_s
        start = np.clip(given_.level_wh, 0.0, given_.capacity_wh)
        expected = start + bats.flow_w * bats.elapsed_s / 3600.0
        np.testing.assert_allclose(bats.level_wh[~replay], expected[~replay], rtol=0, atol=EPS_WH)
        assert np.all(bats.level_wh[~replay] >= 0.0)
        assert np.all(bats.level_wh[~replay] <= given_.capacity_wh[~replay])
        assert np.all(bats.elapsed_s >= 0.0)
        assert np.all(bats.elapsed_s <= MAX_ELAPSED_S)
        assert np.all(
            np.abs(bats.flow_w[~replay])
            <= given_.capacity_wh[~replay] * given_.c_rate[~replay] + EPS_W
        )
        np.testing.assert_array_equal(bats.power_w, np.abs(bats.flow_w))
        # Replays keep the stored state and report the stored flow.
        np.testing.assert_array_equal(bats.level_wh[replay], given_.level_wh[replay])
        np.testing.assert_array_equal(bats.flow_w[replay], given_.flow_w[replay])
        np.testing.assert_array_equal(bats.simulated_at_s[replay], given_.simulated_at_s[replay])
        assert np.all(bats.simulated_at_s[~replay] == cycle_s)

    @PROPERTY_SETTINGS
    @given(scenarios())
    def test_ev_charge_changes_by_flow_times_connected_time_minus_driving(self, scenario):
        inp = scenario.inp
        ev = simulate_fleet(inp).evs
        given_ = inp.evs
        replay = given_.simulated_at_s >= inp.cycle_at.timestamp()
        start = np.clip(given_.charge_kwh, 0.0, given_.capacity_kwh)
        expected = start - ev.driven_kwh + ev.flow_w * ev.connected_s / 3.6e6
        fresh = ~replay
        np.testing.assert_allclose(ev.charge_kwh[fresh], expected[fresh], rtol=0, atol=1e-9)
        assert np.all(ev.charge_kwh[fresh] >= 0.0)
        assert np.all(ev.charge_kwh[fresh] <= given_.capacity_kwh[fresh])
        assert np.all(ev.connected_s <= ev.elapsed_s)
        assert np.all(np.abs(ev.flow_w[fresh]) <= given_.charge_rate_kw[fresh] * 1000.0 + EPS_W)
        charging = fresh & (ev.flow_w > 0)
        assert np.all(ev.charge_kwh[charging] <= 0.9 * given_.capacity_kwh[charging] + 1e-9)
        supplying = fresh & (ev.flow_w < 0)
        assert np.all(ev.charge_kwh[supplying] >= 0.2 * given_.capacity_kwh[supplying] - 1e-9)
        offline = ev.mode == EV_OFFLINE
        assert np.all(ev.flow_w[fresh & offline] == 0.0)
        np.testing.assert_array_equal(ev.charge_kwh[replay], given_.charge_kwh[replay])
        np.testing.assert_array_equal(ev.flow_w[replay], given_.flow_w[replay])


class TestSelfConsumption:
    @PROPERTY_SETTINGS
    @given(scenarios())
    def test_batteries_charge_only_from_surplus_and_discharge_only_into_deficit(self, scenario):
        inp = scenario.inp
        n = scenario.n_users
        result = simulate_fleet(inp)
        replay = inp.batteries.simulated_at_s >= inp.cycle_at.timestamp()
        bat_user = inp.batteries.user
        # The balance the batteries saw: loads and EV charging minus production, plus any
        # batteries whose flow was fixed by a replay.
        seen = (
            result.users.consumption_w
            - result.users.production_w
            + _per_user(inp.evs.user, np.maximum(result.evs.flow_w, 0.0), n)
            + _per_user(bat_user, np.where(replay, result.batteries.flow_w, 0.0), n)
        )
        fresh_flow = np.where(replay, 0.0, result.batteries.flow_w)
        charge = _per_user(bat_user, np.maximum(fresh_flow, 0.0), n)
        discharge = _per_user(bat_user, np.maximum(-fresh_flow, 0.0), n)
        surplus = np.maximum(-seen, 0.0)
        deficit = np.maximum(seen, 0.0)
        assert np.all(charge <= surplus * (1 + 1e-12) + EPS_W)
        assert np.all(discharge <= deficit * (1 + 1e-12) + EPS_W)

    @PROPERTY_SETTINGS
    @given(scenarios())
    def test_net_grid_flow_is_consumption_plus_storage_minus_production(self, scenario):
        result = simulate_fleet(scenario.inp)
        u = result.users
        assert np.all(u.production_w >= 0.0)
        assert np.all(u.consumption_w >= 0.0)
        np.testing.assert_allclose(
            u.storage_flow_w,
            _per_user(scenario.inp.batteries.user, result.batteries.flow_w, scenario.n_users)
            + _per_user(scenario.inp.evs.user, result.evs.flow_w, scenario.n_users),
        )
        np.testing.assert_array_equal(
            u.net_grid_flow_w, u.consumption_w + u.storage_flow_w - u.production_w
        )

    @PROPERTY_SETTINGS
    @given(scenarios())
    def test_same_inputs_same_outputs(self, scenario):
        a, b = simulate_fleet(scenario.inp), simulate_fleet(scenario.inp)
        _assert_equal_results(a, b)


def _assert_equal_results(a: FleetResult, b: FleetResult) -> None:
    for kind in ("solar", "generators", "air_conditioners", "heaters", "batteries", "evs", "users"):
        for field in getattr(a, kind).__slots__:
            np.testing.assert_array_equal(
                getattr(getattr(a, kind), field), getattr(getattr(b, kind), field)
            )


class TestSolarBelowHorizon:
    @settings(max_examples=80, deadline=None)
    @given(
        cycle_at=cycle_instants,
        places=st.lists(
            st.tuples(st.floats(-90, 90), st.floats(-180, 180)), min_size=1, max_size=20
        ),
    )
    def test_output_is_zero_exactly_when_the_sun_is_at_or_below_the_horizon(self, cycle_at, places):
        lat = np.array([p[0] for p in places])
        lon = np.array([p[1] for p in places])
        n = len(places)
        panels = SolarArrays(
            key=np.arange(n, dtype=np.uint64),
            user=np.zeros(n, dtype=np.int64),
            panel_area_m2=np.full(n, 2.0),
            efficiency=np.full(n, 0.2),
            max_capacity_w=np.full(n, 500.0),
            latitude=lat,
            longitude=lon,
        )
        result = simulate_fleet(fleet(cycle_at, solar=panels))
        below = sun_elevation_deg(lat, lon, cycle_at) <= 0.0
        assert np.all(result.solar.power_w[below] == 0.0)
        assert np.all(result.solar.power_w[~below] > 0.0)
        assert np.all(result.solar.power_w <= 500.0)
