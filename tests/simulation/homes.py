"""Plain builders for simulation inputs (no fixtures): one call per device kind, scalars broadcast."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from itertools import count
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

_keys = count(1)


def local(timezone: str, *fields: int) -> datetime:
    """A local wall time in `timezone` (year, month, day, hour[, minute]) as a UTC datetime."""
    return datetime(*fields, tzinfo=ZoneInfo(timezone)).astimezone(UTC)  # type: ignore[misc]


def _column(value: float | Sequence[float], n: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(value, dtype=np.float64), (n,)).copy()


def _rows(n: int, user: int | Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    keys = np.array([next(_keys) for _ in range(n)], dtype=np.uint64)
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
    user: int | Sequence[int] = 0,
    latitude: float | Sequence[float],
    longitude: float | Sequence[float],
    area_m2: float | Sequence[float] = 1.7,
    efficiency: float | Sequence[float] = 0.2,
    max_capacity_w: float | Sequence[float] = 400.0,
) -> SolarArrays:
    key, user_ = _rows(n, user)
    return SolarArrays(
        key=key,
        user=user_,
        panel_area_m2=_column(area_m2, n),
        efficiency=_column(efficiency, n),
        max_capacity_w=_column(max_capacity_w, n),
        latitude=_column(latitude, n),
        longitude=_column(longitude, n),
    )


def generators(rated_w: Sequence[float], *, user: int | Sequence[int] = 0) -> GeneratorArrays:
    key, user_ = _rows(len(rated_w), user)
    return GeneratorArrays(key=key, user=user_, rated_power_w=np.asarray(rated_w, float))


def loads(rated_w: Sequence[float], *, user: int | Sequence[int] = 0) -> LoadArrays:
    key, user_ = _rows(len(rated_w), user)
    return LoadArrays(key=key, user=user_, rated_power_w=np.asarray(rated_w, float))


def batteries(
    n: int = 1,
    *,
    user: int | Sequence[int] = 0,
    capacity_wh: float | Sequence[float] = 10_000.0,
    c_rate: float | Sequence[float] = 0.5,
    level_wh: float | Sequence[float] = 5_000.0,
    simulated_at_s: float | Sequence[float] = float("nan"),
    flow_w: float | Sequence[float] = 0.0,
) -> BatteryArrays:
    key, user_ = _rows(n, user)
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
    user: int | Sequence[int] = 0,
    capacity_kwh: float | Sequence[float] = 60.0,
    charge_kwh: float | Sequence[float] = 30.0,
    charge_rate_kw: float | Sequence[float] = 7.0,
    driving_kwh_per_h: float | Sequence[float] = 2.0,
    mode_setting: int | Sequence[int] = EV_CHARGING,
    last_seen_at_s: float | Sequence[float] = float("nan"),
    simulated_at_s: float | Sequence[float] = float("nan"),
    flow_w: float | Sequence[float] = 0.0,
) -> EVArrays:
    key, user_ = _rows(n, user)
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
) -> FleetInput:
    """A FleetInput; kinds left out are empty, the default home is in Los Angeles."""
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
    )
