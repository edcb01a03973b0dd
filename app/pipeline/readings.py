"""Encode a batch's results as the contract's live keys (one timestamp for the whole cycle)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from app.live import keys
from app.live.readings import encode_current, encode_stats, encode_storage
from app.pipeline.arrays import BatchHomes
from app.pipeline.prices import BatchPrices
from app.simulation.fleet import STATUS_NAMES, FleetResult
from app.tariffs import cost_rate_per_hour

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


Money = list[dict[str, Any] | None]


def _stats(
    items: Items,
    key: Callable[[uuid.UUID], str],
    ids: Sequence[uuid.UUID],
    figures: Figures,
    ts: str,
    money: Money | None = None,
) -> None:
    prod, cons, flow, net = (_rounded(f) for f in figures)
    extra: Sequence[dict[str, Any] | None] = money if money is not None else [None] * len(ids)
    for subject, p, c, f, n, m in zip(ids, prod, cons, flow, net, extra, strict=True):
        items.append((key(subject), encode_stats(p, c, f, n, ts, m)))


def _money(
    homes: BatchHomes,
    prices: BatchPrices,
    net_grid_flow_w: np.ndarray[Any, Any],
    cost_today: dict[uuid.UUID, float] | None = None,
) -> tuple[Money, Money]:
    """The money of each home and each user at the cycle instant. A user's: the currency and
    the sums of the cost rates and of the day costs so far of its priced homes when they share
    one currency (the prices too when exactly one home is priced); null money across currencies
    or with no tariff. `cost_today`: each priced home's day cost so far, as the history write
    that recorded this cycle left it (each home on its own local day)."""
    today = cost_today or {}
    rate = cost_rate_per_hour(net_grid_flow_w, prices.import_price, prices.export_price)
    per_home: Money = []
    per_user: list[dict[str, Any] | None] = [None] * len(homes.user_ids)
    mixed = [False] * len(homes.user_ids)
    for i, currency in enumerate(prices.currency):
        if currency is None:
            per_home.append(None)
            continue
        cost = today.get(homes.home_ids[i])
        m = {
            "currency": currency,
            "import_price": float(prices.import_price[i]),
            "export_price": float(prices.export_price[i]),
            "cost_rate": round(float(rate[i]), 6),
            "cost_today": None if cost is None else round(cost, 6),
        }
        per_home.append(m)
        u = int(homes.home_user[i])
        seen = per_user[u]
        if mixed[u]:
            continue
        if seen is None:
            per_user[u] = dict(m)
        elif seen["currency"] != currency:
            mixed[u] = True
            per_user[u] = {"currency": None, "import_price": None, "export_price": None}
        else:
            seen["cost_rate"] = round(seen["cost_rate"] + m["cost_rate"], 6)
            if seen["cost_today"] is not None and m["cost_today"] is not None:
                seen["cost_today"] = round(seen["cost_today"] + m["cost_today"], 6)
            else:
                seen["cost_today"] = None
            seen["import_price"] = seen["export_price"] = None
    return per_home, per_user


def encode_batch(
    result: FleetResult,
    *,
    ts: str,
    homes: BatchHomes,
    ids: dict[str, list[uuid.UUID]],
    battery_capacity_wh: np.ndarray[Any, Any],
    ev_capacity_wh: np.ndarray[Any, Any],
    prices: BatchPrices | None = None,
    cost_today: dict[uuid.UUID, float] | None = None,
) -> Items:
    """Every `device:*`, `home:*:energy_stats` and `user:*:energy_stats` item of a batch, ready
    for one bulk write. A user's figures are the sums of its homes' (engine rows)."""
    items: Items = []
    for kind in ("solar", "generators", "air_conditioners", "heaters"):
        part = getattr(result, kind)
        _current(items, ids[kind], part.power_w, part.status, ts)
    if result.households is not None and ids.get("households"):
        h = result.households
        _current(items, ids["households"], h.power_w, h.status, ts)
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
    home_money: Money | None = None
    user_money: Money | None = None
    if prices is not None and prices.any_priced:
        home_money, user_money = _money(homes, prices, u.net_grid_flow_w, cost_today)
    _stats(items, keys.home_energy_stats_key, homes.home_ids, per_home, ts, home_money)
    per_user = tuple(homes.per_user(f) for f in per_home)
    _stats(items, keys.user_energy_stats_key, homes.user_ids, per_user, ts, user_money)
    return items
