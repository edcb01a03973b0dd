"""Batch inputs: one frozen dataclass of NumPy arrays per device kind (one row per device).

Why arrays, not objects: a cycle simulates hundreds of thousands of devices; per-kind columns let
every step run as a handful of vectorized NumPy operations.

Common columns: `key` (uint64, seeds the device's random streams; normally the device id) and
`user` (int64 row index into `UserArrays`, the device's home). Units are in the names: W, Wh, kWh,
m2, degrees, epoch seconds (float64 UTC, NaN = never). Construction coerces columns to their dtype
(no copy when already right) and checks that all columns of a kind have the same length.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any, Self

import numpy as np

from app.simulation.arrays import (
    CodeArray,
    FloatArray,
    IndexArray,
    KeyArray,
    as_code,
    as_float,
    as_index,
    as_key,
)


def _coerce(obj: Any, converters: dict[str, Any]) -> None:
    """Coerce dataclass columns in place (frozen-safe) and check equal lengths."""
    length: int | None = None
    for name, convert in converters.items():
        column = convert(getattr(obj, name))
        object.__setattr__(obj, name, column)
        if length is None:
            length = column.size
        elif column.size != length:
            raise ValueError(
                f"{type(obj).__name__}.{name} has {column.size} rows, expected {length}"
            )


#: Each column's dtype coercion, by its declared array type.
_CONVERTERS: dict[str, Any] = {
    "KeyArray": as_key,
    "IndexArray": as_index,
    "FloatArray": as_float,
    "CodeArray": as_code,
}


class DeviceArrays:
    """Base of the per-kind column dataclasses: coercion by column type, length, empty batch."""

    __slots__ = ()
    key: KeyArray

    def __post_init__(self) -> None:
        columns = fields(self)  # type: ignore[arg-type]
        _coerce(self, {f.name: _CONVERTERS[str(f.type)] for f in columns})

    def __len__(self) -> int:
        return int(self.key.size)

    @classmethod
    def empty(cls) -> Self:
        """No devices of this kind."""
        return cls(**{f.name: np.empty(0) for f in fields(cls)})  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class UserArrays:
    """One row per user (home) in the batch: timezone and home location (degrees)."""

    timezone: Sequence[str]
    """IANA timezone names, e.g. "America/Los_Angeles" (EV schedule)."""
    latitude: FloatArray
    """Home latitude, degrees north (temperature model)."""
    longitude: FloatArray
    """Home longitude, degrees east (temperature model)."""

    def __post_init__(self) -> None:
        _coerce(self, {"latitude": as_float, "longitude": as_float})
        if len(self.timezone) != self.latitude.size:
            raise ValueError(
                f"UserArrays.timezone has {len(self.timezone)} rows, expected {self.latitude.size}"
            )

    def __len__(self) -> int:
        return int(self.latitude.size)

    @classmethod
    def empty(cls) -> Self:
        """No users."""
        return cls(timezone=(), latitude=np.empty(0), longitude=np.empty(0))


@dataclass(frozen=True, slots=True)
class SolarArrays(DeviceArrays):
    """Solar panels: area m2, efficiency (0, 1], max output W, location in degrees."""

    key: KeyArray
    user: IndexArray
    panel_area_m2: FloatArray
    efficiency: FloatArray
    max_capacity_w: FloatArray
    latitude: FloatArray
    longitude: FloatArray


@dataclass(frozen=True, slots=True)
class GeneratorArrays(DeviceArrays):
    """Generators: rated output W."""

    key: KeyArray
    user: IndexArray
    rated_power_w: FloatArray


@dataclass(frozen=True, slots=True)
class LoadArrays(DeviceArrays):
    """Air conditioners or heaters: rated consumption W."""

    key: KeyArray
    user: IndexArray
    rated_power_w: FloatArray


@dataclass(frozen=True, slots=True)
class BatteryArrays(DeviceArrays):
    """Home batteries and their stored state from the previous cycle.

    `capacity_wh` Wh, `c_rate` 1/h (max power = capacity_wh * c_rate W), `level_wh` Wh,
    `simulated_at_s` epoch seconds (NaN = never simulated), `flow_w` the last reported flow
    (W, > 0 charging; reported again when a cycle is replayed).
    """

    key: KeyArray
    user: IndexArray
    capacity_wh: FloatArray
    c_rate: FloatArray
    level_wh: FloatArray
    simulated_at_s: FloatArray
    flow_w: FloatArray


@dataclass(frozen=True, slots=True)
class EVArrays(DeviceArrays):
    """Electric vehicles and their stored state from the previous cycle.

    `capacity_kwh`/`charge_kwh` kWh, `charge_rate_kw` kW (both ways), `driving_kwh_per_h` kWh per
    hour away, `mode_setting` the owner's choice (EV_CHARGING=0, EV_DISCHARGING=1, EV_OFFLINE=2),
    `last_seen_at_s`/`simulated_at_s` epoch seconds (NaN = never), `flow_w` the last reported flow
    (W, > 0 charging).
    """

    key: KeyArray
    user: IndexArray
    capacity_kwh: FloatArray
    charge_kwh: FloatArray
    charge_rate_kw: FloatArray
    driving_kwh_per_h: FloatArray
    mode_setting: CodeArray
    last_seen_at_s: FloatArray
    simulated_at_s: FloatArray
    flow_w: FloatArray
