"""Simulate one batch of homes for one cycle instant: the unit of work of every worker.

Order: load -> engine -> persist storage state (commit) -> write readings. Both halves are
idempotent for a given instant: storage rows already at (or past) the instant are replayed by
the engine and kept by the guarded UPDATE, and readings are deterministic, so a retried or
repeated batch leaves exactly what one run leaves.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import models
from app.errors import is_transient
from app.live.pubsub import publish_batch
from app.live.store import DeletionGuard, LiveStore
from app.pipeline.arrays import build_input
from app.pipeline.history import default_interval_s, write_history
from app.pipeline.plans import with_plans
from app.pipeline.prices import load_prices, with_smart_prices
from app.pipeline.readings import encode_batch
from app.repositories.fleet import FleetRepository, FleetRows
from app.simulation.fleet import EV_MODE_NAMES, FleetResult, simulate_fleet

logger = logging.getLogger("hems.pipeline")


@dataclass
class BatchReport:
    """What a batch did, and where its time went (seconds)."""

    users: int = 0
    homes: int = 0
    devices: int = 0
    keys_written: int = 0
    failed_users: list[uuid.UUID] = field(default_factory=list)
    load_s: float = 0.0
    engine_s: float = 0.0
    persist_s: float = 0.0
    #: The energy history statement alone (part of persist_s, which also holds the storage state
    #: and the commit): the largest single cost of a cycle, so it is reported on its own.
    history_s: float = 0.0
    write_s: float = 0.0

    def add(self, other: BatchReport) -> None:
        self.users += other.users
        self.homes += other.homes
        self.devices += other.devices
        self.keys_written += other.keys_written
        self.failed_users.extend(other.failed_users)
        self.load_s += other.load_s
        self.engine_s += other.engine_s
        self.persist_s += other.persist_s
        self.history_s += other.history_s
        self.write_s += other.write_s


async def _persist(repo: FleetRepository, rows: FleetRows, result: FleetResult) -> None:
    b, e = result.batteries, result.evs
    await repo.save_batteries(
        [r[0] for r in rows.batteries],
        b.level_wh.tolist(),
        b.flow_w.tolist(),
        b.simulated_at_s.tolist(),
    )
    await repo.save_evs(
        [r[0] for r in rows.evs],
        e.charge_kwh.tolist(),
        e.flow_w.tolist(),
        [EV_MODE_NAMES[c] for c in e.mode.tolist()],
        e.last_seen_at_s.tolist(),
        e.simulated_at_s.tolist(),
    )
    g = result.generator_state
    auto = [i for i, r in enumerate(rows.generators) if len(r) > 3 and str(r[3]) == "AUTO"]
    if g is not None and auto:
        await repo.save_generators(
            [rows.generators[i][0] for i in auto],
            g.run_started_at_s[auto].tolist(),
            g.simulated_at_s[auto].tolist(),
        )
    await _persist_rooms(repo, rows, result)


async def _persist_rooms(repo: FleetRepository, rows: FleetRows, result: FleetResult) -> None:
    """Thermostat rooms (only devices with a setpoint have state)."""
    for model, kind_rows, rooms in (
        (models.AirConditioner, rows.air_conditioners, result.air_conditioner_rooms),
        (models.Heater, rows.heaters, result.heater_rooms),
    ):
        if rooms is None or not rooms.thermostat.any():
            continue
        pick = np.flatnonzero(rooms.thermostat)
        await repo.save_rooms(
            model,
            [kind_rows[i][0] for i in pick.tolist()],
            rooms.indoor_c[pick].tolist(),
            rooms.running[pick].tolist(),
            rooms.simulated_at_s[pick].tolist(),
        )


def _owners(rows: FleetRows) -> dict[uuid.UUID, tuple[uuid.UUID, uuid.UUID]]:
    """Device id -> (home id, owner id) for every device of the batch."""
    owner_of = {h[0]: h[1] for h in rows.homes}
    kinds = (
        rows.solar,
        rows.generators,
        rows.batteries,
        rows.evs,
        rows.air_conditioners,
        rows.heaters,
        rows.households,
    )
    return {r[0]: (r[1], owner_of[r[1]]) for kind in kinds for r in kind}


async def _run(
    sessionmaker: async_sessionmaker[AsyncSession],
    live: LiveStore,
    user_ids: Sequence[uuid.UUID],
    cycle_at: datetime,
) -> BatchReport:
    report = BatchReport()
    t0 = time.perf_counter()
    # Read before the load: a device deleted from here on keeps its keys forgotten (and its
    # owner's figures, which count it, unwritten) whenever the deletion lands in this cycle.
    mark = await live.deletion_mark()
    async with sessionmaker() as session:
        repo = FleetRepository(session)
        rows = await repo.load(user_ids)
        t1 = time.perf_counter()
        fleet, homes = build_input(rows, cycle_at)
        interval_s = default_interval_s()
        prices = await load_prices(session, rows.homes, cycle_at, interval_s)
        fleet = await with_smart_prices(session, fleet, rows.homes, cycle_at, interval_s)
        # OPTIMIZED batteries and SMART EVs follow their home's plan (one MGET, when any).
        fleet = await with_plans(live, fleet, homes.home_ids, cycle_at, interval_s)
        result = simulate_fleet(fleet)
        t2 = time.perf_counter()
        await _persist(repo, rows, result)
        th = time.perf_counter()
        # Same transaction as the storage state: a retried batch records its energy once.
        recorded = await write_history(session, rows, result, homes, cycle_at, interval_s, prices)
        report.history_s = time.perf_counter() - th
        await session.commit()
    t3 = time.perf_counter()
    items = encode_batch(
        result,
        ts=cycle_at.isoformat(),
        homes=homes,
        ids={
            "solar": [r[0] for r in rows.solar],
            "generators": [r[0] for r in rows.generators],
            "air_conditioners": [r[0] for r in rows.air_conditioners],
            "heaters": [r[0] for r in rows.heaters],
            "households": [r[0] for r in rows.households],
            "batteries": [r[0] for r in rows.batteries],
            "evs": [r[0] for r in rows.evs],
        },
        battery_capacity_wh=fleet.batteries.capacity_wh,
        ev_capacity_wh=fleet.evs.capacity_kwh * 1000.0,
        prices=prices,
        cost_today=recorded.cost_today,
    )
    await live.write(items, DeletionGuard(mark, lambda: _owners(rows)))
    await publish_batch(live, homes.user_ids, cycle_at)
    t4 = time.perf_counter()
    report.users = len(homes.user_ids)
    report.homes = len(homes.home_ids)
    report.devices = rows.device_count
    report.keys_written = len(items)
    report.load_s, report.engine_s = t1 - t0, t2 - t1
    report.persist_s, report.write_s = t3 - t2, t4 - t3
    return report


async def simulate_batch(
    sessionmaker: async_sessionmaker[AsyncSession],
    live: LiveStore,
    user_ids: Sequence[uuid.UUID],
    cycle_at: datetime,
) -> BatchReport:
    """Simulate the homes of `user_ids` at `cycle_at`, isolating any home that fails.

    The whole batch runs as one vectorised unit. If it fails for a reason tied to the data
    (not to Redis or the database being down, which the caller retries), each home is run on
    its own so that one bad home does not stop the others; failures are logged with the user id.
    """
    if cycle_at.tzinfo is None:
        raise ValueError("cycle_at must be timezone-aware")
    try:
        return await _run(sessionmaker, live, user_ids, cycle_at)
    except Exception as exc:
        if is_transient(exc):
            raise
        if len(user_ids) <= 1:
            logger.exception("simulation failed for user", extra={"user_id": str(user_ids[0])})
            return BatchReport(failed_users=list(user_ids))
        logger.warning(
            "batch failed, isolating homes", extra={"users": len(user_ids)}, exc_info=exc
        )
    report = BatchReport()
    for user_id in user_ids:
        try:
            report.add(await _run(sessionmaker, live, [user_id], cycle_at))
        except Exception as exc:
            if is_transient(exc):
                raise
            logger.exception("simulation failed for user", extra={"user_id": str(user_id)})
            report.failed_users.append(user_id)
    return report
