"""Re-plan a batch of homes: the unit of work of the planning jobs and the embedded loop.

A home is re-planned when what its plan was computed from changed (its devices, their settings,
its tariff or uploaded prices: the plan's `fingerprint`), when it has no plan, or when its plan
is older than `MAX_PLAN_AGE_S`; otherwise its stored plan stays. Storage levels are not in the
fingerprint (they move every cycle): the hourly re-plan starts from the levels of that moment.
After planning, the current slot of every plan of the batch is cached with the live state
(`keys.home_plan_slot_key`), which is what the cycle will read for OPTIMIZED batteries and SMART
EVs (see docs/planning.md, "Following the plan").
"""

from __future__ import annotations

import hashlib
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
from app.planning.forecast import SLOT_S, Horizon, forecast_homes
from app.planning.loading import LoadedHomes, load_homes
from app.planning.optimizer import PlanResult, optimize
from app.repositories.plan import plans_of, replace_plans, slots_between

logger = logging.getLogger("hems.planning")

PLAN_HOURS = 48
MAX_PLAN_AGE_S = 3600


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


async def _fingerprints(session: AsyncSession, loaded: LoadedHomes, now: datetime) -> list[str]:
    """Per home: a hash of its devices' settings, its tariff and its uploaded prices of the
    coming two days (counted from the hour, so the sliding horizon alone changes it hourly)."""
    hour = now.replace(minute=0, second=0, microsecond=0)
    dynamic = [
        h.home_id for h, t in zip(loaded.homes, loaded.tariffs, strict=True) if t is not None
    ]
    prices: dict[uuid.UUID, list[Any]] = {}
    for s in await slots_between(session, dynamic, hour, hour + timedelta(hours=PLAN_HOURS)):
        prices.setdefault(s.home_id, []).append(
            (s.start.isoformat(), s.import_price_per_kwh, s.export_price_per_kwh)
        )
    rows = loaded.rows
    static: dict[uuid.UUID, list[Any]] = {h.home_id: [] for h in loaded.homes}
    for kind, kind_rows, cols in (
        ("solar", rows.solar, slice(2, 7)),
        ("gen", rows.generators, slice(2, 3)),
        ("bat", rows.batteries, slice(2, 4)),
        ("ev", rows.evs, slice(2, 7)),
        ("ac", rows.air_conditioners, slice(2, 3)),
        ("heat", rows.heaters, slice(2, 3)),
    ):
        for r in kind_rows:
            static[r[1]].append((kind, str(r[0]), *(str(v) for v in tuple(r)[cols])))
    out: list[str] = []
    for home, tariff, row in zip(loaded.homes, loaded.tariffs, rows.homes, strict=True):
        payload = orjson.dumps(
            [
                list(map(str, row[2:5])),
                sorted(static[home.home_id]),
                repr(tariff),
                prices.get(home.home_id, []),
            ]
        )
        out.append(hashlib.sha256(payload).hexdigest())
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
        loaded = await load_homes(session, user_ids, horizon)
        report.homes = len(loaded.homes)
        prints = await _fingerprints(session, loaded, now)
        stored = await plans_of(session, [h.home_id for h in loaded.homes])
        due = [
            i
            for i, h in enumerate(loaded.homes)
            if force
            or (p := stored.get(h.home_id)) is None
            or p.fingerprint != prints[i]
            or (now - p.created_at).total_seconds() >= MAX_PLAN_AGE_S
        ]
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
                    "fingerprint": prints[i],
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
