"""Re-plan a batch of homes: the unit of work of the planning jobs and the embedded loop.

A home is re-planned when what its plan was computed from changed (its devices, their settings,
its tariff or uploaded prices: the plan's `fingerprint`, from aggregate queries, see `due.py`),
when it has no plan, or when its plan is older than `MAX_PLAN_AGE_S`; otherwise its stored plan
stays, and the devices of a batch's owners without a due home are not even loaded. Storage
levels are not in the fingerprint (they move every cycle): the hourly re-plan starts from the
levels of that moment.
After planning, every plan of the batch is cached with the live state in two forms: its current
slot as JSON (`keys.home_plan_slot_key`, expiring with the slot, for readers that show it) and its
planned battery and EV power for every slot (`keys.home_plan_flows_key`, compact binary, expiring
at the plan's end), which is what the cycle reads each minute for OPTIMIZED batteries and SMART
EVs (see docs/planning.md, "Following the plan"). Keeping the whole horizon means a plan is
followed to its end even when a re-planning round is late or a worker is down.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import orjson
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import models
from app.live import keys
from app.live.plans import PlanFlows, decode_plan_flows, encode_plan_flows
from app.live.store import LiveStore
from app.planning.due import PLAN_HOURS, home_states
from app.planning.forecast import SLOT_S, Horizon, forecast_homes
from app.planning.loading import load_homes
from app.planning.optimizer import PlanResult, optimize
from app.repositories.plan import plans_of, replace_plans

logger = logging.getLogger("hems.planning")


@dataclass
class PlanReport:
    homes: int = 0
    planned: int = 0
    target_missed: int = 0
    solve_s: list[float] = field(default_factory=list)


def _round(value: float) -> float | None:
    return None if value != value else round(value, 3)  # NaN -> None


def _percent(level_wh: Any, capacity_wh: float) -> list[float | None]:
    """Levels as percent of capacity, rounded to 3 decimals (None: NaN), through Python floats
    (`tolist`): per-element NumPy scalars cost most of a plan's row before."""
    return [_round(v) for v in (level_wh / capacity_wh * 100.0).tolist()]


def _slots(
    result: PlanResult, home_has_battery: bool, batteries_wh: float, evs_wh: float
) -> list[list[Any]]:
    f = result.flows
    t_n = f.grid_w.shape[0]
    bat_soc = _percent(f.battery_level_wh, batteries_wh) if home_has_battery else [None] * t_n
    ev_soc = _percent(f.ev_level_wh, evs_wh) if evs_wh else [None] * t_n
    return [
        list(slot)
        for slot in zip(
            f.battery_w.tolist(), f.ev_w.tolist(), f.grid_w.tolist(), bat_soc, ev_soc, strict=True
        )
    ]


def slot_value(row: models.PlanRow, now: datetime) -> bytes | None:
    """The JSON of the plan's slot holding `now` (None outside the plan)."""
    index = int((now - row.start).total_seconds() // SLOT_S)
    if not 0 <= index < len(row.slots):
        return None
    start = row.start + timedelta(seconds=index * SLOT_S)
    battery_w, ev_w, grid_w, bat_soc, ev_soc = row.slots[index]
    return orjson.dumps(
        {
            "start": start.isoformat(),
            "end": (start + timedelta(seconds=SLOT_S)).isoformat(),
            "battery_flow_w": battery_w,
            "ev_flow_w": ev_w,
            "grid_flow_w": grid_w,
            "battery_soc_percent": bat_soc,
            "ev_soc_percent": ev_soc,
        }
    )


def plan_flows(row: models.PlanRow) -> PlanFlows:
    """The planned battery and EV power per slot of a stored plan (what the cycle follows)."""
    slots = row.slots
    return PlanFlows(
        start_s=row.start.timestamp(),
        slot_s=SLOT_S,
        battery_w=np.fromiter((float(s[0]) for s in slots), dtype=np.float64, count=len(slots)),
        ev_w=np.fromiter((float(s[1]) for s in slots), dtype=np.float64, count=len(slots)),
    )


async def cache_plans(
    live: LiveStore, plans: dict[uuid.UUID, models.PlanRow], now: datetime, slot_ttl_s: int
) -> None:
    """Cache each plan's current slot (JSON, `slot_ttl_s`) and its flows until its end."""
    items = [
        (keys.home_plan_slot_key(home_id), value)
        for home_id, row in plans.items()
        if (value := slot_value(row, now)) is not None
    ]
    if items:
        await live.backend.set_many(items, slot_ttl_s)
    # One write per distinct plan end (a batch re-planned together shares one).
    by_ttl: dict[int, list[tuple[str, bytes]]] = {}
    for home_id, row in plans.items():
        ttl = math.ceil((row.end - now).total_seconds())
        if ttl > 0 and row.slots:
            item = (keys.home_plan_flows_key(home_id), encode_plan_flows(plan_flows(row)))
            by_ttl.setdefault(ttl, []).append(item)
    for ttl, flows in by_ttl.items():
        await live.backend.set_many(flows, ttl)


async def plan_batch(
    sessionmaker: async_sessionmaker[AsyncSession],
    live: LiveStore | None,
    user_ids: Sequence[uuid.UUID],
    now: datetime,
    *,
    force: bool = False,
    slot_ttl_s: int = SLOT_S,
) -> PlanReport:
    """Re-plan the homes of `user_ids` whose plan is missing, stale or out of date."""
    report = PlanReport()
    horizon = Horizon.at(now, PLAN_HOURS)
    async with sessionmaker() as session:
        # Aggregates first: only the owners of due homes have their devices loaded.
        states = await home_states(session, user_ids, now)
        report.homes = len(states)
        wanted = {h for h, s in states.items() if force or s.due(now)}
        owners = sorted({states[h].owner_id for h in wanted})
        loaded = await load_homes(session, owners, horizon)
        due = [i for i, h in enumerate(loaded.homes) if h.home_id in wanted]
        stored = await plans_of(session, list(states))
        forecasts = forecast_homes([loaded.homes[i] for i in due], horizon)
        rows: list[dict[str, Any]] = []
        start = datetime.fromtimestamp(horizon.start_s, UTC)
        end = datetime.fromtimestamp(horizon.end_s, UTC)
        for i, forecast in zip(due, forecasts, strict=True):
            home = loaded.homes[i]
            t0 = time.perf_counter()
            result = optimize(home, forecast, loaded.import_price[i], loaded.export_price[i])
            report.solve_s.append(time.perf_counter() - t0)
            tariff = loaded.tariffs[i]
            rows.append(
                {
                    "home_id": home.home_id,
                    "created_at": now,
                    "start": start,
                    "end": end,
                    "expected_cost": result.expected_cost,
                    "baseline_cost": result.baseline_cost,
                    "currency": None if tariff is None else tariff.currency,
                    "target_missed": result.target_missed,
                    "fingerprint": states[home.home_id].fingerprint,
                    "slots": _slots(
                        result,
                        bool(home.batteries),
                        sum(b.capacity_wh for b in home.batteries),
                        sum(e.capacity_wh for e in home.evs),
                    ),
                }
            )
            report.target_missed += int(result.target_missed)
        await replace_plans(session, rows)
        await session.commit()
        report.planned = len(rows)
        if live is not None:
            current = {**stored, **{r["home_id"]: models.PlanRow(**r) for r in rows}}
            await cache_plans(live, current, now, slot_ttl_s)
    return report


async def current_slot(live: LiveStore, home_id: uuid.UUID) -> dict[str, Any] | None:
    """The cached current slot of a home's plan (what the cycle's plan-following step reads)."""
    (raw,) = await live.backend.mget([keys.home_plan_slot_key(home_id)])
    if raw is None:
        return None
    value: dict[str, Any] = orjson.loads(raw)
    return value


async def cached_flows(live: LiveStore, home_id: uuid.UUID) -> PlanFlows | None:
    """The cached planned flows of a home's plan (what the cycle follows), None without."""
    (raw,) = await live.backend.mget([keys.home_plan_flows_key(home_id)])
    return decode_plan_flows(raw)
