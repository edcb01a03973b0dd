"""Encode a batch's results as the contract's live keys (one timestamp for the whole cycle)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import numpy as np

from app.live import keys
from app.live.readings import encode_current, encode_stats, encode_storage
from app.simulation.fleet import STATUS_NAMES, FleetResult

#: Readings are rounded to the milliwatt / milliwatt-hour: finer digits only cost Redis memory.
DECIMALS = 3

Items = list[tuple[str, bytes]]


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


def encode_batch(
    result: FleetResult,
    *,
    ts: str,
    user_ids: Sequence[uuid.UUID],
    ids: dict[str, list[uuid.UUID]],
    battery_capacity_wh: np.ndarray[Any, Any],
    ev_capacity_wh: np.ndarray[Any, Any],
) -> Items:
    """Every `device:*` and `user:*:energy_stats` item of a batch, ready for one bulk write."""
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
    for user_id, prod, cons, flow, net in zip(
        user_ids,
        _rounded(u.production_w),
        _rounded(u.consumption_w),
        _rounded(u.storage_flow_w),
        _rounded(u.net_grid_flow_w),
        strict=True,
    ):
        items.append((keys.user_energy_stats_key(user_id), encode_stats(prod, cons, flow, net, ts)))
    return items
