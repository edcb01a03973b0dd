"""Turn a batch's database rows into the engine's arrays (and keep the ids to write back)."""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np

from app.repositories.fleet import FleetRows
from app.simulation.arrays import FloatArray
from app.simulation.devices import (
    BatteryArrays,
    EVArrays,
    GeneratorArrays,
    LoadArrays,
    SolarArrays,
    UserArrays,
)
from app.simulation.fleet import EV_MODE_NAMES, FleetInput

_EV_MODE_CODE = {name: code for code, name in enumerate(EV_MODE_NAMES)}


def device_key(device_id: uuid.UUID) -> int:
    """The 64-bit seed of a device's random streams: the high half of its UUID."""
    return device_id.int >> 64


def _keys(rows: Sequence[Any]) -> np.ndarray[Any, np.dtype[np.uint64]]:
    return np.fromiter((device_key(r[0]) for r in rows), dtype=np.uint64, count=len(rows))


def _col(rows: Sequence[Any], i: int) -> FloatArray:
    return np.fromiter((r[i] for r in rows), dtype=np.float64, count=len(rows))


def _epoch(rows: Sequence[Any], i: int) -> FloatArray:
    def conv(value: datetime | None) -> float:
        return math.nan if value is None else value.timestamp()

    return np.fromiter((conv(r[i]) for r in rows), dtype=np.float64, count=len(rows))


def build_input(rows: FleetRows, cycle_at: datetime) -> tuple[FleetInput, list[uuid.UUID]]:
    """The engine input for a batch, plus the user ids in engine row order."""
    user_ids = [r[0] for r in rows.users]
    index = {uid: i for i, uid in enumerate(user_ids)}

    def owners(kind_rows: Sequence[Any]) -> np.ndarray[Any, np.dtype[np.int64]]:
        return np.fromiter((index[r[1]] for r in kind_rows), dtype=np.int64, count=len(kind_rows))

    def loads(kind_rows: Sequence[Any]) -> LoadArrays:
        return LoadArrays(
            key=_keys(kind_rows), user=owners(kind_rows), rated_power_w=_col(kind_rows, 2)
        )

    s, b, e = rows.solar, rows.batteries, rows.evs
    fleet = FleetInput(
        cycle_at=cycle_at,
        users=UserArrays(
            timezone=[r[1] for r in rows.users],
            latitude=_col(rows.users, 2),
            longitude=_col(rows.users, 3),
        ),
        solar=SolarArrays(
            key=_keys(s),
            user=owners(s),
            panel_area_m2=_col(s, 2),
            efficiency=_col(s, 3),
            max_capacity_w=_col(s, 4),
            latitude=_col(s, 5),
            longitude=_col(s, 6),
        ),
        generators=GeneratorArrays(
            key=_keys(rows.generators),
            user=owners(rows.generators),
            rated_power_w=_col(rows.generators, 2),
        ),
        batteries=BatteryArrays(
            key=_keys(b),
            user=owners(b),
            capacity_wh=_col(b, 2),
            c_rate=_col(b, 3),
            level_wh=_col(b, 4),
            simulated_at_s=_epoch(b, 5),
            flow_w=_col(b, 6),
        ),
        evs=EVArrays(
            key=_keys(e),
            user=owners(e),
            capacity_kwh=_col(e, 2),
            charge_kwh=_col(e, 3),
            charge_rate_kw=_col(e, 4),
            driving_kwh_per_h=_col(e, 5),
            mode_setting=np.fromiter(
                (_EV_MODE_CODE[str(r[6])] for r in e), dtype=np.int8, count=len(e)
            ),
            last_seen_at_s=_epoch(e, 7),
            simulated_at_s=_epoch(e, 8),
            flow_w=_col(e, 9),
        ),
        air_conditioners=loads(rows.air_conditioners),
        heaters=loads(rows.heaters),
    )
    return fleet, user_ids
