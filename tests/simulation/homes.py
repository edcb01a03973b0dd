"""Plain builders for simulation inputs (no fixtures): one call per device kind.

Scalars broadcast to every device; keys are deterministic per kind (base + row) unless given.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from app.simulation.fleet import (
    EV_CHARGING,
    BatteryArrays,
    EVArrays,
    FleetInput,
    GeneratorArrays,
    LoadArrays,
    SolarArrays,
    UserArrays,
)

LOS_ANGELES = ("America/Los_Angeles", 34.05, -118.24)
TROMSO = ("Europe/Oslo", 69.65, 18.96)  # cold: heaters run
PHOENIX = ("America/Phoenix", 33.45, -112.07)  # hot afternoons: air conditioners run


Floats = float | Sequence[float] | np.ndarray
Ints = int | Sequence[int] | np.ndarray


def local(timezone: str, year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A local wall time in `timezone` as a UTC datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def _column(value: Floats, n: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(value, dtype=np.float64), (n,)).copy()


def _rows(n: int, user: Ints, first_key: int) -> tuple[np.ndarray, np.ndarray]:
    keys = np.arange(first_key, first_key + n, dtype=np.uint64)
    return keys, np.broadcast_to(np.asarray(user, dtype=np.int64), (n,)).copy()


def users(*homes: tuple[str, float, float]) -> UserArrays:
    """UserArrays from (timezone, latitude, longitude) tuples."""
    return UserArrays(
        timezone=[h[0] for h in homes],
        latitude=np.array([h[1] for h in homes], dtype=np.float64),
        longitude=np.array([h[2] for h in homes], dtype=np.float64),
    )


def panels(
    n: int = 1,
    *,
    user: Ints = 0,
    first_key: int = 1_000_000,
    latitude: Floats,
    longitude: Floats,
    area_m2: Floats = 1.7,
    efficiency: Floats = 0.2,
    max_capacity_w: Floats = 400.0,
) -> SolarArrays:
    key, user_ = _rows(n, user, first_key)
    return SolarArrays(
        key=key,
        user=user_,
        panel_area_m2=_column(area_m2, n),
        efficiency=_column(efficiency, n),
        max_capacity_w=_column(max_capacity_w, n),
        latitude=_column(latitude, n),
        longitude=_column(longitude, n),
    )


def generators(
    rated_w: Sequence[float],
    *,
    user: Ints = 0,
    first_key: int = 2_000_000,
) -> GeneratorArrays:
    key, user_ = _rows(len(rated_w), user, first_key)
    return GeneratorArrays(key=key, user=user_, rated_power_w=np.asarray(rated_w, float))


def loads(
    rated_w: Sequence[float],
    *,
    user: Ints = 0,
    first_key: int = 3_000_000,
) -> LoadArrays:
    key, user_ = _rows(len(rated_w), user, first_key)
    return LoadArrays(key=key, user=user_, rated_power_w=np.asarray(rated_w, float))


def batteries(
    n: int = 1,
    *,
    user: Ints = 0,
    first_key: int = 4_000_000,
    capacity_wh: Floats = 10_000.0,
    c_rate: Floats = 0.5,
    level_wh: Floats = 5_000.0,
    simulated_at_s: Floats = float("nan"),
    flow_w: Floats = 0.0,
) -> BatteryArrays:
    key, user_ = _rows(n, user, first_key)
    return BatteryArrays(
        key=key,
        user=user_,
        capacity_wh=_column(capacity_wh, n),
        c_rate=_column(c_rate, n),
        level_wh=_column(level_wh, n),
        simulated_at_s=_column(simulated_at_s, n),
        flow_w=_column(flow_w, n),
    )


def evs(
    n: int = 1,
    *,
    user: Ints = 0,
    first_key: int = 5_000_000,
    capacity_kwh: Floats = 60.0,
    charge_kwh: Floats = 30.0,
    charge_rate_kw: Floats = 7.0,
    driving_kwh_per_h: Floats = 2.0,
    mode_setting: Ints = EV_CHARGING,
    last_seen_at_s: Floats = float("nan"),
    simulated_at_s: Floats = float("nan"),
    flow_w: Floats = 0.0,
) -> EVArrays:
    key, user_ = _rows(n, user, first_key)
    return EVArrays(
        key=key,
        user=user_,
        capacity_kwh=_column(capacity_kwh, n),
        charge_kwh=_column(charge_kwh, n),
        charge_rate_kw=_column(charge_rate_kw, n),
        driving_kwh_per_h=_column(driving_kwh_per_h, n),
        mode_setting=np.broadcast_to(np.asarray(mode_setting, dtype=np.int8), (n,)).copy(),
        last_seen_at_s=_column(last_seen_at_s, n),
        simulated_at_s=_column(simulated_at_s, n),
        flow_w=_column(flow_w, n),
    )


def fleet(
    cycle_at: datetime,
    *,
    homes: UserArrays | None = None,
    solar: SolarArrays | None = None,
    generators: GeneratorArrays | None = None,
    batteries: BatteryArrays | None = None,
    evs: EVArrays | None = None,
    air_conditioners: LoadArrays | None = None,
    heaters: LoadArrays | None = None,
    max_elapsed_s: float = 86_400.0,
    **controls: Any,
) -> FleetInput:
    """A FleetInput; kinds left out are empty, the default home is in Los Angeles; `controls`
    are the optional control fields (`ev_controls=...`)."""
    return FleetInput(
        cycle_at=cycle_at,
        users=homes if homes is not None else users(LOS_ANGELES),
        solar=solar if solar is not None else SolarArrays.empty(),
        generators=generators if generators is not None else GeneratorArrays.empty(),
        batteries=batteries if batteries is not None else BatteryArrays.empty(),
        evs=evs if evs is not None else EVArrays.empty(),
        air_conditioners=air_conditioners if air_conditioners is not None else LoadArrays.empty(),
        heaters=heaters if heaters is not None else LoadArrays.empty(),
        max_elapsed_s=max_elapsed_s,
        **controls,
    )
