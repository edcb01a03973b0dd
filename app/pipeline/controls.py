"""Device control columns of a batch's rows -> the engine's control arrays.

The fleet loader appends each kind's control columns after its state columns (see
`app.repositories.fleet`): batteries (mode, reserve_soc_percent, round_trip_efficiency), EVs
(charge_mode, min_soc_percent, limit_soc_percent, schedule JSON), generators (mode,
auto_start_import_w, run_started_at, simulated_at). Rows built without them (scenarios) get the
defaults, which are the original behaviour.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import numpy as np

from app.simulation.control import (
    BATTERY_MODE_NAMES,
    CHARGE_MODE_NAMES,
    DEFAULT_SCHEDULE,
    GENERATOR_MODE_NAMES,
    BatteryControls,
    EVControls,
    GeneratorControls,
    Schedule,
    parse_schedule,
)

BATTERY_BASE = 7
EV_BASE = 10
GENERATOR_BASE = 3

_CHARGE_CODE = {name: code for code, name in enumerate(CHARGE_MODE_NAMES)}
_BATTERY_CODE = {name: code for code, name in enumerate(BATTERY_MODE_NAMES)}
_GENERATOR_CODE = {name: code for code, name in enumerate(GENERATOR_MODE_NAMES)}


def _get(row: Sequence[Any], i: int, default: Any) -> Any:
    return row[i] if len(row) > i else default


def _codes(rows: Sequence[Any], i: int, table: dict[str, int], default: str) -> np.ndarray:
    """A mode column as the engine's int8 codes (rows without it get `default`)."""
    return np.fromiter(
        (table[str(_get(r, i, default))] for r in rows), dtype=np.int8, count=len(rows)
    )


def _floats(
    rows: Sequence[Any],
    i: int,
    default: Any,
    divisor: float = 1.0,
    convert: Callable[[Any], float] = float,
) -> np.ndarray:
    """A numeric column as float64 over `divisor` (percentages arrive as 0..100)."""
    return np.fromiter(
        (convert(_get(r, i, default)) / divisor for r in rows), dtype=np.float64, count=len(rows)
    )


def ev_controls(rows: Sequence[Any]) -> EVControls:
    schedules: list[Schedule] = [DEFAULT_SCHEDULE]
    index: dict[Schedule, int] = {DEFAULT_SCHEDULE: 0}
    ids = np.zeros(len(rows), dtype=np.int64)
    for k, r in enumerate(rows):
        raw = _get(r, EV_BASE + 3, None)
        if raw is None:
            continue
        schedule = parse_schedule(raw)
        found = index.get(schedule)
        if found is None:
            found = index[schedule] = len(schedules)
            schedules.append(schedule)
        ids[k] = found
    return EVControls(
        charge_mode=_codes(rows, EV_BASE, _CHARGE_CODE, "NOW"),
        min_soc=_floats(rows, EV_BASE + 1, 0.0, 100.0),
        limit_soc=_floats(rows, EV_BASE + 2, 90.0, 100.0),
        schedule_id=ids,
        schedules=tuple(schedules),
    )


def battery_controls(rows: Sequence[Any]) -> BatteryControls:
    return BatteryControls(
        mode=_codes(rows, BATTERY_BASE, _BATTERY_CODE, "SELF_CONSUMPTION"),
        reserve_soc=_floats(rows, BATTERY_BASE + 1, 0.0, 100.0),
        efficiency=_floats(rows, BATTERY_BASE + 2, 1.0),
    )


def _epoch(value: datetime | None) -> float:
    return math.nan if value is None else value.timestamp()


def generator_controls(rows: Sequence[Any]) -> GeneratorControls:
    return GeneratorControls(
        mode=_codes(rows, GENERATOR_BASE, _GENERATOR_CODE, "ON"),
        auto_start_import_w=_floats(rows, GENERATOR_BASE + 1, 0.0),
        run_started_at_s=_floats(rows, GENERATOR_BASE + 2, None, convert=_epoch),
        simulated_at_s=_floats(rows, GENERATOR_BASE + 3, None, convert=_epoch),
    )
