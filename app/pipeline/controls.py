"""Device control columns of a batch's rows -> the engine's control arrays.

The fleet loader appends each kind's control columns after its state columns (see
`app.repositories.fleet`): batteries (mode, reserve_soc_percent, round_trip_efficiency), EVs
(charge_mode, min_soc_percent, limit_soc_percent, schedule JSON), generators (mode,
auto_start_import_w, run_started_at, simulated_at). Rows built without them (scenarios) get the
defaults, which are the original behaviour.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
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
    n = len(rows)
    return EVControls(
        charge_mode=np.fromiter(
            (_CHARGE_CODE[str(_get(r, EV_BASE, "NOW"))] for r in rows), dtype=np.int8, count=n
        ),
        min_soc=np.fromiter(
            (float(_get(r, EV_BASE + 1, 0.0)) / 100.0 for r in rows), dtype=np.float64, count=n
        ),
        limit_soc=np.fromiter(
            (float(_get(r, EV_BASE + 2, 90.0)) / 100.0 for r in rows), dtype=np.float64, count=n
        ),
        schedule_id=ids,
        schedules=tuple(schedules),
    )


def battery_controls(rows: Sequence[Any]) -> BatteryControls:
    n = len(rows)
    return BatteryControls(
        mode=np.fromiter(
            (_BATTERY_CODE[str(_get(r, BATTERY_BASE, "SELF_CONSUMPTION"))] for r in rows),
            dtype=np.int8,
            count=n,
        ),
        reserve_soc=np.fromiter(
            (float(_get(r, BATTERY_BASE + 1, 0.0)) / 100.0 for r in rows),
            dtype=np.float64,
            count=n,
        ),
        efficiency=np.fromiter(
            (float(_get(r, BATTERY_BASE + 2, 1.0)) for r in rows), dtype=np.float64, count=n
        ),
    )


def _epoch(value: datetime | None) -> float:
    return math.nan if value is None else value.timestamp()


def generator_controls(rows: Sequence[Any]) -> GeneratorControls:
    n = len(rows)
    return GeneratorControls(
        mode=np.fromiter(
            (_GENERATOR_CODE[str(_get(r, GENERATOR_BASE, "ON"))] for r in rows),
            dtype=np.int8,
            count=n,
        ),
        auto_start_import_w=np.fromiter(
            (float(_get(r, GENERATOR_BASE + 1, 0.0)) for r in rows), dtype=np.float64, count=n
        ),
        run_started_at_s=np.fromiter(
            (_epoch(_get(r, GENERATOR_BASE + 2, None)) for r in rows), dtype=np.float64, count=n
        ),
        simulated_at_s=np.fromiter(
            (_epoch(_get(r, GENERATOR_BASE + 3, None)) for r in rows), dtype=np.float64, count=n
        ),
    )
