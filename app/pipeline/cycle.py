"""Cycle timing and the in-process cycle (embedded default, `hems simulate-once`).

A cycle is identified by its instant: the interval boundary at or before the moment it fires.
Workers and the in-process loop share `simulate_batch`, so there is one code path for the
cycle itself; only the dispatch differs (ARQ jobs vs a loop in this process).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.live.store import LiveStore
from app.pipeline.batch import BatchReport, simulate_batch
from app.repositories.fleet import FleetRepository


def cycle_instant(now: datetime, interval_s: int) -> datetime:
    """The cycle boundary at or before `now` (UTC, whole seconds, a multiple of the interval)."""
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % interval_s, UTC)


def split(user_ids: Sequence[uuid.UUID], size: int) -> list[list[uuid.UUID]]:
    """Consecutive batches of at most `size` users."""
    return [list(user_ids[i : i + size]) for i in range(0, len(user_ids), size)]


async def all_user_ids(sessionmaker: async_sessionmaker[AsyncSession]) -> list[uuid.UUID]:
    async with sessionmaker() as session:
        return await FleetRepository(session).user_ids()


async def run_cycle(
    sessionmaker: async_sessionmaker[AsyncSession],
    live: LiveStore,
    cycle_at: datetime,
    *,
    batch_users: int,
) -> BatchReport:
    """Simulate every home at `cycle_at`, batch after batch, in this process."""
    report = BatchReport()
    for batch in split(await all_user_ids(sessionmaker), batch_users):
        report.add(await simulate_batch(sessionmaker, live, batch, cycle_at))
    return report
