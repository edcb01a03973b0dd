"""Turn a batch's database rows into the engine's arrays (and keep the ids to write back)."""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from app.pipeline.controls import battery_controls, ev_controls, generator_controls
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
from app.simulation.physics_devices import HouseholdArrays, OrientationArrays, ThermostatArrays

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


@dataclass(frozen=True, slots=True)
class BatchHomes:
    """Who is who in a batch: the engine simulates homes (one row each); users sum them.

    `home_ids[i]` is engine row i; `home_user[i]` the row of its owner in `user_ids`;
    `first_home[u]` the engine row of user u's first home (its timezone is the user's).
    """

    home_ids: list[uuid.UUID]
    user_ids: list[uuid.UUID]
    home_user: np.ndarray[Any, np.dtype[np.int64]]
    first_home: np.ndarray[Any, np.dtype[np.int64]]

    def per_user(self, per_home: FloatArray) -> FloatArray:
        """Sum per-home values (W or Wh) per user, in `user_ids` order."""
        return np.bincount(self.home_user, weights=per_home, minlength=len(self.user_ids)).astype(
            np.float64, copy=False
        )


def batch_homes(homes: Sequence[Any]) -> BatchHomes:
    """Index the batch's home rows (id, owner_id, ...; each owner's first home first)."""
    user_index: dict[uuid.UUID, int] = {}
    home_user = np.empty(len(homes), dtype=np.int64)
    first: list[int] = []
    for i, row in enumerate(homes):
        u = user_index.get(row[1])
        if u is None:
            u = user_index[row[1]] = len(first)
            first.append(i)
        home_user[i] = u
    return BatchHomes(
        home_ids=[r[0] for r in homes],
        user_ids=list(user_index),
        home_user=home_user,
        first_home=np.asarray(first, dtype=np.int64),
    )


def build_input(rows: FleetRows, cycle_at: datetime) -> tuple[FleetInput, BatchHomes]:
    """The engine input for a batch (one engine row per home), and the batch's homes index."""
    homes = batch_homes(rows.homes)
    index = {hid: i for i, hid in enumerate(homes.home_ids)}

    def owners(kind_rows: Sequence[Any]) -> np.ndarray[Any, np.dtype[np.int64]]:
        return np.fromiter((index[r[1]] for r in kind_rows), dtype=np.int64, count=len(kind_rows))

    def loads(kind_rows: Sequence[Any]) -> LoadArrays:
        return LoadArrays(
            key=_keys(kind_rows), user=owners(kind_rows), rated_power_w=_col(kind_rows, 2)
        )

    s, b, e = rows.solar, rows.batteries, rows.evs
    fleet = FleetInput(
        cycle_at=cycle_at,
        # The engine's "users" are homes: each has its own location, clock and grid balance.
        users=UserArrays(
            timezone=[r[2] for r in rows.homes],
            latitude=_col(rows.homes, 3),
            longitude=_col(rows.homes, 4),
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
        # Owner controls (app/pipeline/controls.py); SMART prices are added by the caller.
        ev_controls=ev_controls(e),
        battery_controls=battery_controls(b),
        generator_controls=generator_controls(rows.generators),
        solar_orientation=_orientation(s),
        air_conditioner_thermostats=_thermostats(rows.air_conditioners),
        heater_thermostats=_thermostats(rows.heaters),
        households=HouseholdArrays(
            key=_keys(rows.households),
            user=owners(rows.households),
            annual_consumption_kwh=_col(rows.households, 2),
        ),
    )
    return fleet, homes


def _at(rows: Sequence[Any], i: int, default: Any) -> list[Any]:
    """Column `i` of each row; rows built without it (planning scenarios add such rows) and
    NULLs take `default`."""
    return [default if len(r) <= i or r[i] is None else r[i] for r in rows]


def _orientation(rows: Sequence[Any]) -> OrientationArrays | None:
    """Panel orientation from columns 7-9 (rows without them: the flat original model)."""
    if not any(len(r) >= 10 for r in rows):
        return None
    return OrientationArrays(
        np.asarray(_at(rows, 7, 0.0), dtype=np.float64),
        np.asarray(_at(rows, 8, 180.0), dtype=np.float64),
        np.asarray(_at(rows, 9, -0.004), dtype=np.float64),
    )


def _thermostats(rows: Sequence[Any]) -> ThermostatArrays | None:
    """Thermostats from columns 3-8 (rows without them: untouched, the original ramp)."""
    if not any(len(r) >= 9 for r in rows):
        return None
    simulated = [math.nan if t is None else t.timestamp() for t in _at(rows, 8, None)]
    return ThermostatArrays(
        switched_on=np.asarray(_at(rows, 3, True), dtype=np.bool_),
        setpoint_c=np.asarray(_at(rows, 4, math.nan), dtype=np.float64),
        hysteresis_c=np.asarray(_at(rows, 5, 1.0), dtype=np.float64),
        indoor_c=np.asarray(_at(rows, 6, math.nan), dtype=np.float64),
        running=np.asarray(_at(rows, 7, False), dtype=np.bool_),
        simulated_at_s=np.asarray(simulated, dtype=np.float64),
    )
