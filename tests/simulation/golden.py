"""The golden two-day run: a small mixed fleet stepped through the engine every minute.

`run()` simulates two homes holding every device kind (solar panels, a generator, batteries,
EVs charging and discharging, an air conditioner, heaters) from Friday 2026-06-12 00:00 UTC for
two days at 60 s steps, carrying storage state from one cycle to the next as the live cycle and
the backfill do, and returns every device's readings per step. `tests/simulation/data/
golden_two_days.npz` holds the numbers of the engine before device controls existed;
`test_golden.py` checks that the engine with default controls reproduces them exactly.

Regenerate (only when a change of the default behaviour is intended):

    uv run python -m tests.simulation.golden
"""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from app.simulation.fleet import EV_CHARGING, EV_DISCHARGING, FleetInput, simulate_fleet
from tests.simulation import homes as h

PATH = Path(__file__).parent / "data" / "golden_two_days.npz"
START = datetime(2026, 6, 12, 0, 0, tzinfo=UTC)  # a Friday: a commute day, then a weekend day
STEP_S = 60
STEPS = 2 * 24 * 60


def fleet(cycle_at: datetime) -> FleetInput:
    """Home 0 in Los Angeles, home 1 in Tromso; every kind, storage at mid levels."""
    la, tromso = h.LOS_ANGELES, h.TROMSO
    return h.fleet(
        cycle_at,
        homes=h.users(la, tromso),
        solar=h.panels(
            3,
            user=[0, 0, 1],
            latitude=[la[1], la[1], tromso[1]],
            longitude=[la[2], la[2], tromso[2]],
            max_capacity_w=[400.0, 350.0, 300.0],
        ),
        generators=h.generators([1500.0], user=[0]),
        batteries=h.batteries(2, user=[0, 1], level_wh=[5_000.0, 1_000.0], c_rate=[0.5, 1.0]),
        evs=h.evs(
            3,
            user=[0, 0, 1],
            charge_kwh=[20.0, 50.0, 55.0],
            mode_setting=[EV_CHARGING, EV_DISCHARGING, EV_CHARGING],
        ),
        air_conditioners=h.loads([2000.0], user=[0]),
        heaters=h.loads([1500.0, 3000.0], user=[0, 1], first_key=3_100_000),
    )


#: Result columns recorded per step: (name, getter).
COLUMNS: tuple[tuple[str, Any], ...] = (
    ("solar_power_w", lambda r: r.solar.power_w),
    ("generator_power_w", lambda r: r.generators.power_w),
    ("air_conditioner_power_w", lambda r: r.air_conditioners.power_w),
    ("heater_power_w", lambda r: r.heaters.power_w),
    ("battery_level_wh", lambda r: r.batteries.level_wh),
    ("battery_flow_w", lambda r: r.batteries.flow_w),
    ("ev_charge_kwh", lambda r: r.evs.charge_kwh),
    ("ev_flow_w", lambda r: r.evs.flow_w),
    ("ev_mode", lambda r: r.evs.mode),
    ("ev_status", lambda r: r.evs.status),
    ("home_net_grid_w", lambda r: r.users.net_grid_flow_w),
)


def run(base: FleetInput | None = None) -> dict[str, np.ndarray]:
    """Every column of `COLUMNS` per step (steps x devices), starting from `base` (default
    `fleet(START)`); storage state carried forward like the live cycle."""
    inp = base if base is not None else fleet(START)
    out: dict[str, list[np.ndarray]] = {name: [] for name, _ in COLUMNS}
    for step in range(STEPS):
        at = START + timedelta(seconds=STEP_S * (step + 1))
        result = simulate_fleet(replace(inp, cycle_at=at))
        for name, get in COLUMNS:
            out[name].append(np.asarray(get(result)).copy())
        b, e = result.batteries, result.evs
        inp = replace(
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
    return {name: np.stack(values) for name, values in out.items()}


def main() -> None:
    PATH.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(PATH, **run())  # type: ignore[arg-type]
    sys.stdout.write(f"wrote {PATH}\n")


if __name__ == "__main__":
    main()
