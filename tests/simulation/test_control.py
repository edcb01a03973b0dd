"""Owner controls in the engine: EV charge modes and schedules, battery and generator modes."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from app.simulation.control import (
    BATTERY_CHARGE,
    BATTERY_HOLD,
    BATTERY_SELF_CONSUMPTION,
    EV_NOW,
    EV_SMART,
    EV_SOLAR,
    GENERATOR_AUTO,
    MIN_RUN_S,
    BatteryControls,
    EVControls,
    GeneratorControls,
    PriceHorizon,
    ScheduleRule,
    next_departure_s,
    schedule_windows,
)
from app.simulation.fleet import EV_CHARGING, EV_OFFLINE, FleetInput, FleetResult, simulate_fleet
from tests.simulation import homes as h

UTC_HOME = ("UTC", 34.05, -118.24)
NEVER: tuple[ScheduleRule, ...] = ()


def _carry(inp: FleetInput, r: FleetResult) -> FleetInput:
    b, e, g = r.batteries, r.evs, r.generator_state
    out = replace(
        inp,
        batteries=replace(
            inp.batteries, level_wh=b.level_wh, simulated_at_s=b.simulated_at_s, flow_w=b.flow_w
        ),
        evs=replace(
            inp.evs,
            charge_kwh=e.charge_kwh,
            simulated_at_s=e.simulated_at_s,
            flow_w=e.flow_w,
            last_seen_at_s=e.last_seen_at_s,
        ),
    )
    if inp.generator_controls is not None and g is not None:
        out = replace(
            out,
            generator_controls=replace(
                inp.generator_controls,
                run_started_at_s=g.run_started_at_s,
                simulated_at_s=g.simulated_at_s,
            ),
        )
    return out


def _steps(inp: FleetInput, start: datetime, minutes: int) -> list[tuple[FleetInput, FleetResult]]:
    out = []
    for m in range(1, minutes + 1):
        inp = replace(inp, cycle_at=start + timedelta(minutes=m))
        r = simulate_fleet(inp)
        out.append((inp, r))
        inp = _carry(inp, r)
    return out


def _ev_controls(
    mode: int,
    *,
    schedule: tuple[ScheduleRule, ...] = NEVER,
    n: int = 1,
    min_soc: float = 0.0,
    limit_soc: float = 0.9,
) -> EVControls:
    return EVControls(
        charge_mode=np.full(n, mode, dtype=np.int8),
        min_soc=np.full(n, min_soc),
        limit_soc=np.full(n, limit_soc),
        schedule_id=np.zeros(n, dtype=np.int64),
        schedules=(schedule,),
    )


class TestSolarCharging:
    def test_solar_charging_never_imports_and_uses_the_surplus(self) -> None:
        la = h.LOS_ANGELES
        start = h.local(la[0], 2026, 6, 13, 0)  # a Saturday: at home all day
        base = h.fleet(
            start,
            solar=h.panels(4, latitude=la[1], longitude=la[2]),
            air_conditioners=h.loads([300.0]),
            evs=h.evs(charge_kwh=10.0, simulated_at_s=start.timestamp()),
            ev_controls=_ev_controls(EV_SOLAR),
        )
        without_ev = replace(base, evs=h.evs(0), ev_controls=_ev_controls(EV_SOLAR, n=0))
        with_ev = _steps(base, start, 24 * 60)
        alone = _steps(without_ev, start, 24 * 60)
        charged = 0.0
        for (_, r), (_, r0) in zip(with_ev, alone, strict=True):
            assert r.users.net_grid_flow_w[0] <= max(r0.users.net_grid_flow_w[0], 0.0) + 1e-9
            surplus = max(r0.users.production_w[0] - r0.users.consumption_w[0], 0.0)
            assert r.evs.flow_w[0] <= surplus + 1e-9
            charged += r.evs.flow_w[0] / 60.0
        assert charged > 1_000.0  # Wh from the sun over the day

    def test_below_the_minimum_charges_at_once_from_the_grid(self) -> None:
        start = h.local("America/Los_Angeles", 2026, 6, 13, 0)  # night: no sun
        inp = h.fleet(
            start + timedelta(minutes=1),
            evs=h.evs(charge_kwh=6.0, simulated_at_s=start.timestamp()),
            ev_controls=_ev_controls(EV_SOLAR, min_soc=0.2),
        )
        r = simulate_fleet(inp)
        assert r.evs.flow_w[0] == pytest.approx(7_000.0)
        assert r.users.net_grid_flow_w[0] == pytest.approx(7_000.0)


def _smart_case(prices: np.ndarray, needed_quarters: float) -> tuple[float, float, float]:
    """(engine cost, brute-force optimum, charge shortfall Wh) over 8 quarters before 02:00."""
    start = datetime(2026, 6, 15, 0, 0, tzinfo=UTC)  # a Monday
    rule = ScheduleRule(frozenset(range(7)), 2 * 60, 3 * 60, 0.9)
    rate_w, capacity_kwh = 7_000.0, 60.0
    quarter_wh = rate_w / 4.0
    needed_wh = needed_quarters * quarter_wh
    charge0 = 0.9 * capacity_kwh - needed_wh / 1000.0
    inp = h.fleet(
        start,
        homes=h.users(UTC_HOME),
        evs=h.evs(
            capacity_kwh=capacity_kwh,
            charge_kwh=charge0,
            charge_rate_kw=7.0,
            simulated_at_s=start.timestamp(),
        ),
        ev_controls=_ev_controls(EV_SMART, schedule=(rule,)),
        prices=PriceHorizon(start.timestamp(), prices[None, :]),
    )
    cost = 0.0
    final = charge0
    for inp_, r in _steps(inp, start, 120):
        quarter = int(((inp_.cycle_at - timedelta(seconds=60)) - start).total_seconds() // 900)
        cost += r.evs.flow_w[0] * r.evs.connected_s[0] / 3.6e6 * prices[quarter]
        if inp_.cycle_at < start + timedelta(hours=2):
            final = float(r.evs.charge_kwh[0])
    # Brute force: every choice of slots; full quarters (the last has 14 usable minutes, the
    # cycle ending at departure being away already), the dearest chosen one partly.
    capacity = np.full(8, quarter_wh)
    capacity[7] = quarter_wh * 14 / 15
    best = np.inf
    for k in range(1, 9):
        for chosen in itertools.combinations(range(8), k):
            order = sorted(chosen, key=lambda q: prices[q])
            left, total = needed_wh, 0.0
            for q in order:
                take = min(left, capacity[q])
                total += take / 1000.0 * prices[q]
                left -= take
            if left <= 1e-9:
                best = min(best, total)
    return cost, best, (0.9 * capacity_kwh - final) * 1000.0


class TestSmartCharging:
    @pytest.mark.parametrize("seed", [0, 1, 2, 3])
    def test_reaches_the_target_by_departure_at_the_lowest_cost(self, seed: int) -> None:
        prices = np.random.default_rng(seed).uniform(0.05, 0.60, 8).round(3)
        cost, best, shortfall = _smart_case(prices, 2.5)
        assert shortfall <= 1e-6
        assert cost == pytest.approx(best, rel=1e-9, abs=1e-9)

    def test_dynamic_day_cheapest_slots_at_night(self) -> None:
        prices = np.array([0.40, 0.35, 0.10, 0.12, 0.50, 0.11, 0.45, 0.30])
        cost, best, shortfall = _smart_case(prices, 3.0)
        assert shortfall <= 1e-6
        assert cost == pytest.approx(0.10 * 1.75 + 0.11 * 1.75 + 0.12 * 1.75)
        assert cost == pytest.approx(best)

    def test_without_a_tariff_smart_charges_now(self) -> None:
        start = datetime(2026, 6, 15, 0, 0, tzinfo=UTC)
        inp = h.fleet(
            start + timedelta(minutes=1),
            homes=h.users(UTC_HOME),
            evs=h.evs(charge_kwh=30.0, simulated_at_s=start.timestamp()),
            ev_controls=_ev_controls(EV_SMART),
            prices=PriceHorizon(start.timestamp(), np.full((1, 4), np.nan)),
        )
        assert simulate_fleet(inp).evs.flow_w[0] == pytest.approx(7_000.0)

    def test_limit_caps_charging(self) -> None:
        start = datetime(2026, 6, 15, 0, 0, tzinfo=UTC)
        inp = h.fleet(
            start,
            homes=h.users(UTC_HOME),
            evs=h.evs(charge_kwh=29.9, simulated_at_s=start.timestamp()),
            ev_controls=_ev_controls(EV_NOW, limit_soc=0.5),
        )
        steps = _steps(inp, start, 30)
        assert max(float(r.evs.charge_kwh[0]) for _, r in steps) == pytest.approx(30.0)


class TestBatteryModes:
    def _home(
        self, mode: int, *, level: float = 5_000.0, reserve: float = 0.0, efficiency: float = 1.0
    ) -> tuple[FleetInput, datetime]:
        la = h.LOS_ANGELES
        start = h.local(la[0], 2026, 6, 13, 0)
        inp = h.fleet(
            start,
            solar=h.panels(10, latitude=la[1], longitude=la[2]),
            air_conditioners=h.loads([800.0]),
            heaters=h.loads([400.0]),
            # A charging EV is the night's load (it is home all Saturday).
            evs=h.evs(charge_kwh=40.0, simulated_at_s=start.timestamp()),
            batteries=h.batteries(level_wh=level, simulated_at_s=start.timestamp()),
            battery_controls=BatteryControls(
                np.array([mode]), np.array([reserve]), np.array([efficiency])
            ),
        )
        return inp, start

    def test_hold_keeps_the_level(self) -> None:
        inp, start = self._home(BATTERY_HOLD)
        for _, r in _steps(inp, start, 24 * 60):
            assert r.batteries.flow_w[0] == 0.0
            assert r.batteries.level_wh[0] == 5_000.0

    def test_charge_fills_from_the_grid_at_max_power(self) -> None:
        inp, start = self._home(BATTERY_CHARGE, level=1_000.0)
        steps = _steps(inp, start, 120)
        _, first = steps[0]
        assert first.batteries.flow_w[0] == pytest.approx(5_000.0)  # 10 kWh at 0.5 C, night
        assert first.users.net_grid_flow_w[0] >= 5_000.0
        assert steps[-1][1].batteries.level_wh[0] == pytest.approx(10_000.0)

    def test_reserve_is_never_discharged(self) -> None:
        inp, start = self._home(BATTERY_SELF_CONSUMPTION, level=3_000.0, reserve=0.25)
        levels = [float(r.batteries.level_wh[0]) for _, r in _steps(inp, start, 8 * 60)]
        assert min(levels) == pytest.approx(2_500.0)
        assert min(levels) >= 2_500.0 - 1e-9

    def test_round_trip_efficiency_conserves_energy(self) -> None:
        inp, start = self._home(BATTERY_SELF_CONSUMPTION, level=5_000.0, efficiency=0.81)
        charged = discharged = 0.0
        steps = _steps(inp, start, 24 * 60)
        for _, r in steps:
            energy = r.batteries.flow_w[0] * r.batteries.elapsed_s[0] / 3600.0
            charged += max(energy, 0.0)
            discharged += max(-energy, 0.0)
        assert charged > 1_000.0
        assert discharged > 1_000.0
        change = steps[-1][1].batteries.level_wh[0] - 5_000.0
        assert change == pytest.approx(charged * 0.9 - discharged / 0.9, abs=1e-6)


class TestAutoGenerator:
    def test_starts_on_import_and_runs_at_least_the_minimum(self) -> None:
        start = datetime(2026, 6, 15, 0, 0, tzinfo=UTC)
        inp = h.fleet(
            start,
            homes=h.users(UTC_HOME),
            generators=h.generators([2_000.0]),
            evs=h.evs(capacity_kwh=200.0, charge_kwh=10.0, simulated_at_s=start.timestamp()),
            ev_controls=_ev_controls(EV_NOW, limit_soc=1.0),
            generator_controls=GeneratorControls(
                np.array([GENERATOR_AUTO]),
                np.array([1_000.0]),
                np.array([np.nan]),
                np.array([np.nan]),
            ),
        )
        running: list[bool] = []
        for m in range(1, 41):
            at = start + timedelta(minutes=m)
            # The EV charges (7 kW import) for 5 minutes, then is switched off.
            mode = EV_CHARGING if m <= 5 else EV_OFFLINE
            inp = replace(inp, cycle_at=at, evs=replace(inp.evs, mode_setting=np.array([mode])))
            r = simulate_fleet(inp)
            running.append(bool(r.generators.power_w[0] > 0.0))
            # A replay of the same cycle changes nothing.
            again = simulate_fleet(_carry(inp, r))
            assert again.generators.power_w[0] == r.generators.power_w[0]
            inp = _carry(inp, r)
        minimum = int(MIN_RUN_S // 60)
        assert running[:minimum] == [True] * minimum  # started at minute 1, held 15 minutes
        assert not any(running[minimum:])

    def test_stays_off_below_the_threshold(self) -> None:
        start = datetime(2026, 6, 15, 0, 0, tzinfo=UTC)
        inp = h.fleet(
            start + timedelta(minutes=1),
            homes=h.users(UTC_HOME),
            generators=h.generators([2_000.0]),
            air_conditioners=h.loads([0.0]),
            generator_controls=GeneratorControls(
                np.array([GENERATOR_AUTO]),
                np.array([100.0]),
                np.array([np.nan]),
                np.array([np.nan]),
            ),
        )
        r = simulate_fleet(inp)
        assert r.generators.power_w[0] == 0.0
        assert r.generator_state is not None
        assert np.isnan(r.generator_state.run_started_at_s[0])


class TestSchedules:
    def test_a_rule_across_midnight(self) -> None:
        rule = (ScheduleRule(frozenset({4}), 22 * 60, 6 * 60, 0.8),)  # Friday 22:00-06:00
        tz = "Europe/Berlin"
        windows = schedule_windows(
            rule,
            tz,
            h.local(tz, 2026, 6, 12, 12).timestamp(),
            h.local(tz, 2026, 6, 13, 12).timestamp(),
        )
        assert windows.shape[0] == 1
        leave, back, target = windows[0]
        assert leave == h.local(tz, 2026, 6, 12, 22).timestamp()
        assert back == h.local(tz, 2026, 6, 13, 6).timestamp()
        assert target == 0.8
        # Through the engine: away Friday 23:00 and Saturday 05:59, home at 06:00 and 21:59.
        for at, away in (
            (h.local(tz, 2026, 6, 12, 21, 59), False),
            (h.local(tz, 2026, 6, 12, 23, 0), True),
            (h.local(tz, 2026, 6, 13, 5, 59), True),
            (h.local(tz, 2026, 6, 13, 6, 0), False),
        ):
            inp = h.fleet(
                at,
                homes=h.users(("Europe/Berlin", 52.5, 13.4)),
                evs=h.evs(),
                ev_controls=_ev_controls(EV_NOW, schedule=rule),
            )
            assert bool(simulate_fleet(inp).evs.mode[0] == EV_OFFLINE) is away, at

    @pytest.mark.parametrize(
        ("day", "hours"),
        [((2026, 3, 28), 7.0), ((2026, 10, 24), 9.0)],  # Berlin springs forward, falls back
    )
    def test_dst_changes_follow_the_wall_clock(
        self, day: tuple[int, int, int], hours: float
    ) -> None:
        tz = "Europe/Berlin"
        rule = (ScheduleRule(frozenset({5}), 22 * 60, 6 * 60, 0.9),)  # Saturday 22:00-06:00
        start = h.local(tz, *day, 12)
        inp = h.fleet(
            start,
            homes=h.users((tz, 52.5, 13.4)),
            evs=h.evs(
                driving_kwh_per_h=1.0,
                charge_kwh=50.0,
                simulated_at_s=start.timestamp(),
                mode_setting=EV_OFFLINE,
            ),
            ev_controls=_ev_controls(EV_NOW, schedule=rule),
        )
        driven = sum(float(r.evs.driven_kwh[0]) for _, r in _steps(inp, start, 24 * 60))
        assert driven == pytest.approx(hours)  # 1 kWh per real hour away
        leave = next_departure_s(rule, tz, start.timestamp())
        assert leave == h.local(tz, *day, 22).timestamp()

    def test_an_empty_schedule_never_leaves(self) -> None:
        assert np.isnan(next_departure_s((), "UTC", 0.0))
