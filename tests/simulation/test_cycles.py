"""`simulate_cycles` (many cycles, stateless inputs on grids) against `simulate_fleet` stepped
cycle by cycle with the state carried as the live cycle stores it: seeded random homes with
every device kind, control mode and physics model, some hundreds of cycles, equal to 1e-9."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import datetime, timedelta

import numpy as np
import pytest

from app.simulation.cycles import cycle_grid, simulate_cycles
from app.simulation.fleet import FleetInput, FleetResult, simulate_fleet
from app.simulation.rng import uniform, uniform_grid
from app.simulation.solar import geocentric_sun
from bench.engine import CYCLE_AT, build_fleet, with_controls, with_physics


def _stepped(inp: FleetInput, instants: list[datetime]) -> list[FleetResult]:
    """The reference: one `simulate_fleet` per instant, the state written back in between."""
    out = []
    for at in instants:
        result = simulate_fleet(replace(inp, cycle_at=at))
        out.append(result)
        b, e, g = result.batteries, result.evs, result.generator_state
        inp = replace(
            inp,
            batteries=replace(
                inp.batteries,
                level_wh=b.level_wh,
                simulated_at_s=b.simulated_at_s,
                flow_w=b.flow_w,
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
            inp = replace(
                inp,
                generator_controls=replace(
                    inp.generator_controls,
                    run_started_at_s=g.run_started_at_s,
                    simulated_at_s=g.simulated_at_s,
                ),
            )
        for name, room in (
            ("air_conditioner_thermostats", result.air_conditioner_rooms),
            ("heater_thermostats", result.heater_rooms),
        ):
            thermostats = getattr(inp, name)
            if thermostats is not None and room is not None:
                inp = replace(
                    inp,
                    **{
                        name: replace(
                            thermostats,
                            indoor_c=room.indoor_c,
                            running=room.running,
                            simulated_at_s=room.simulated_at_s,
                        )
                    },
                )
    return out


def _assert_same(a: object, b: object, where: str) -> None:
    """Every array of two results (nested dataclasses too) equal to 1e-9, NaN where NaN."""
    if a is None or b is None:
        assert a is None, where
        assert b is None, where
        return
    for f in fields(a):  # type: ignore[arg-type]
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert x.shape == y.shape, f"{where}.{f.name}"
            if x.dtype.kind == "f":
                np.testing.assert_allclose(
                    x, y, rtol=1e-9, atol=1e-9, equal_nan=True, err_msg=f"{where}.{f.name}"
                )
            else:
                np.testing.assert_array_equal(x, y, err_msg=f"{where}.{f.name}")
        else:
            _assert_same(x, y, f"{where}.{f.name}")


def _home(seed: int, controls: str, physics: str) -> FleetInput:
    inp = with_physics(with_controls(build_fleet(100, seed=seed), controls, seed), physics, seed)
    if inp.solar_orientation is not None:
        # Half the panels flat: both solar paths in one batch.
        tilt = inp.solar_orientation.tilt_deg.copy()
        tilt[::2] = 0.0
        inp = replace(inp, solar_orientation=replace(inp.solar_orientation, tilt_deg=tilt))
    return inp


@pytest.mark.parametrize(
    ("seed", "controls", "physics", "start_h", "plan"),
    [
        (1, "none", "none", 6.5, False),
        (2, "default", "none", 17.0, False),
        (3, "mixed", "none", 11.0, False),
        (4, "mixed", "mixed", 5.0, False),
        (5, "mixed", "mixed", 16.5, True),
        (6, "default", "mixed", 22.0, True),
    ],
)
def test_many_cycles_equal_cycle_by_cycle(
    seed: int, controls: str, physics: str, start_h: float, plan: bool
) -> None:
    inp = _home(seed, controls, physics)
    if plan:
        rng = np.random.default_rng(seed)
        n = len(inp.users)
        planned = rng.uniform(-3000.0, 3000.0, n)
        planned[0] = np.nan  # a home without a plan keeps its heuristics
        inp = replace(inp, planned_battery_w=planned, planned_ev_w=np.abs(planned))
    start = CYCLE_AT + timedelta(hours=start_h)
    instants = [start + timedelta(seconds=60 * k) for k in range(240)]
    expected = _stepped(inp, instants)
    got = list(simulate_cycles(inp, instants))
    assert len(got) == len(expected)
    for k, (a, b) in enumerate(zip(got, expected, strict=True)):
        _assert_same(a, b, f"cycle {k}")

    # The state moved over the stretch (the comparison is not between two untouched inputs).
    def stored(r: FleetResult) -> np.ndarray:
        return np.concatenate([r.batteries.level_wh, r.evs.charge_kwh])

    assert not np.allclose(stored(expected[1]), stored(expected[-1]))


def test_sun_given_or_computed_gives_the_same_grid() -> None:
    inp = _home(7, "mixed", "mixed")
    t = CYCLE_AT.timestamp() + 60.0 * np.arange(50, dtype=np.float64)
    a, b = cycle_grid(inp, t), cycle_grid(inp, t, geocentric_sun(t))
    np.testing.assert_array_equal(a.solar_power_w, b.solar_power_w)
    assert a.solar_power_w.max() > 0.0


def test_uniform_grid_is_uniform_per_second() -> None:
    keys = np.array([1, 2**63 + 5, 2**64 - 1], dtype=np.uint64)
    seconds = np.array([-7, 0, 1_780_000_000], dtype=np.int64)
    grid = uniform_grid(keys, seconds, 2)
    for k, s in enumerate(seconds):
        np.testing.assert_array_equal(grid[k], uniform(keys, int(s), 2))
