"""Re-plan a batch of homes: the unit of work of the planning jobs and the embedded loop.

A home is re-planned when what its plan was computed from changed (its devices, their settings,
its tariff or uploaded prices: the plan's `fingerprint`, from aggregate queries, see `due.py`),
when it has no plan, or when its plan is older than `MAX_PLAN_AGE_S`; otherwise its stored plan
stays, and the devices of a batch's owners without a due home are not even loaded. Storage
levels are not in the fingerprint (they move every cycle): the hourly re-plan starts from the
levels of that moment.
After planning, the current slot of every plan of the batch is cached with the live state
(`keys.home_plan_slot_key`), which is what the cycle will read for OPTIMIZED batteries and SMART
EVs (see docs/planning.md, "Following the plan").
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import models
from app.live import keys
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


def _slots(
    result: PlanResult, home_has_battery: bool, batteries_wh: float, evs_wh: float
) -> list[list[Any]]:
    f = result.flows
    out: list[list[Any]] = []
    for t in range(f.grid_w.shape[0]):
        bat_soc = f.battery_level_wh[t] / batteries_wh * 100.0 if home_has_battery else None
        ev_soc = f.ev_level_wh[t] / evs_wh * 100.0 if evs_wh else None
        out.append(
            [
                float(f.battery_w[t]),
                float(f.ev_w[t]),
                float(f.grid_w[t]),
                None if bat_soc is None else _round(float(bat_soc)),
                None if ev_soc is None else _round(float(ev_soc)),
            ]
        )
    return out


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
            items = [
                (keys.home_plan_slot_key(home_id), value)
                for home_id, row in current.items()
                if (value := slot_value(row, now)) is not None
            ]
            if items:
                await live.backend.set_many(items, slot_ttl_s)
    return report


async def current_slot(live: LiveStore, home_id: uuid.UUID) -> dict[str, Any] | None:
    """The cached current slot of a home's plan (what the cycle's plan-following step reads)."""
    (raw,) = await live.backend.mget([keys.home_plan_slot_key(home_id)])
    if raw is None:
        return None
    value: dict[str, Any] = orjson.loads(raw)
    return value
