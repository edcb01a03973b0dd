"""Encode a batch's results as the contract's live keys (one timestamp for the whole cycle)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from app.live import keys
from app.live.readings import encode_current, encode_stats, encode_storage
from app.pipeline.arrays import BatchHomes
from app.simulation.fleet import STATUS_NAMES, FleetResult

#: Readings are rounded to the milliwatt / milliwatt-hour: finer digits only cost Redis memory.
DECIMALS = 3

Items = list[tuple[str, bytes]]
Figures = tuple[np.ndarray[Any, Any], ...]


def _rounded(values: np.ndarray[Any, Any]) -> list[float]:
    return np.round(values, DECIMALS).tolist()  # type: ignore[no-any-return]


def _current(
    items: Items,
    ids: Sequence[uuid.UUID],
    power_w: np.ndarray[Any, Any],
    status: np.ndarray[Any, Any],
    ts: str,
) -> None:
    names = STATUS_NAMES
    for device_id, power, code in zip(ids, _rounded(power_w), status.tolist(), strict=True):
        items.append((keys.device_current_key(device_id), encode_current(power, names[code], ts)))


def _storage(
    items: Items,
    ids: Sequence[uuid.UUID],
    capacity_wh: np.ndarray[Any, Any],
    level_wh: np.ndarray[Any, Any],
    flow_w: np.ndarray[Any, Any],
) -> None:
    for device_id, cap, level, flow in zip(
        ids, _rounded(capacity_wh), _rounded(level_wh), _rounded(flow_w), strict=True
    ):
        items.append((keys.device_storage_key(device_id), encode_storage(cap, level, flow)))


def _stats(
    items: Items,
    key: Callable[[uuid.UUID], str],
    ids: Sequence[uuid.UUID],
    figures: Figures,
    ts: str,
) -> None:
    prod, cons, flow, net = (_rounded(f) for f in figures)
    for subject, p, c, f, n in zip(ids, prod, cons, flow, net, strict=True):
        items.append((key(subject), encode_stats(p, c, f, n, ts)))


def encode_batch(
    result: FleetResult,
    *,
    ts: str,
    homes: BatchHomes,
    ids: dict[str, list[uuid.UUID]],
    battery_capacity_wh: np.ndarray[Any, Any],
    ev_capacity_wh: np.ndarray[Any, Any],
) -> Items:
    """Every `device:*`, `home:*:energy_stats` and `user:*:energy_stats` item of a batch, ready
    for one bulk write. A user's figures are the sums of its homes' (engine rows)."""
    items: Items = []
    for kind in ("solar", "generators", "air_conditioners", "heaters"):
        part = getattr(result, kind)
        _current(items, ids[kind], part.power_w, part.status, ts)
    _current(items, ids["batteries"], result.batteries.power_w, result.batteries.status, ts)
    _storage(
        items,
        ids["batteries"],
        battery_capacity_wh,
        result.batteries.level_wh,
        result.batteries.flow_w,
    )
    _current(items, ids["evs"], result.evs.power_w, result.evs.status, ts)
    _storage(items, ids["evs"], ev_capacity_wh, result.evs.charge_kwh * 1000.0, result.evs.flow_w)
    u = result.users
    per_home = (u.production_w, u.consumption_w, u.storage_flow_w, u.net_grid_flow_w)
    _stats(items, keys.home_energy_stats_key, homes.home_ids, per_home, ts)
    per_user = tuple(homes.per_user(f) for f in per_home)
    _stats(items, keys.user_energy_stats_key, homes.user_ids, per_user, ts)
    return items
