"""`hems backfill`: simulate past cycles so a new installation has history at once.

It runs the live cycle's own code (`simulate_batch`) for every interval boundary of the period,
oldest first, so the history it records is exactly what live cycles at those instants record.
Only the live readings are not written (a past reading is not current) and nothing is announced
to subscribers.

Storage levels are state that only moves forward: a battery or EV already simulated past an
instant replays it (no charge or discharge recorded for it), so run the backfill on a new
installation or for new users, before the live cycles start.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import models
from app.config import Settings
from app.db import create_engine, create_sessionmaker
from app.live.store import LiveStore
from app.pipeline.batch import simulate_batch
from app.pipeline.cycle import all_user_ids, cycle_instant, split
from app.repositories.partitions import ensure_partitions

logger = logging.getLogger("hems.backfill")


class DiscardBackend:
    """A live-store backend that keeps nothing: backfilled cycles write history only."""

    async def mget(self, keys: Sequence[str]) -> list[bytes | None]:
        return [None] * len(keys)

    async def set_many(
        self, items: Sequence[tuple[str, bytes]], ttl_s: int, mark: int | None = None
    ) -> list[Sequence[tuple[str, bytes]]]:
        return []

    async def deletion_mark(self) -> int:
        return 0

    async def deletions_since(self, mark: int) -> tuple[int, list[str] | None]:
        return mark, []

    async def forget_device(self, device_id: str, keys: Sequence[str]) -> None:
        return None

    async def delete(self, keys: Sequence[str]) -> None:
        return None

    async def ping(self) -> bool:
        return True


@dataclass
class BackfillReport:
    cycles: int = 0
    users: int = 0
    devices: int = 0
    failed_users: int = 0


def instants(start: datetime, end: datetime, interval_s: int) -> list[datetime]:
    """Every cycle instant in [start, end], on interval boundaries, oldest first."""
    first = cycle_instant(start, interval_s)
    if first < start:
        first += timedelta(seconds=interval_s)
    out: list[datetime] = []
    at = first
    while at <= end:
        out.append(at)
        at += timedelta(seconds=interval_s)
    return out


async def backfill_range(
    sessionmaker: async_sessionmaker[AsyncSession],
    user_ids: Sequence[uuid.UUID],
    at: Sequence[datetime],
    *,
    batch_users: int,
    progress: Callable[[int, int], None] | None = None,
) -> BackfillReport:
    """Simulate `user_ids` at each instant of `at` (oldest first) with the live cycle's code."""
    live = LiveStore(DiscardBackend(), ttl_s=1)
    report = BackfillReport(users=len(user_ids))
    if at:
        # PostgreSQL: the period's day partitions, where its rows are not in DEFAULT already.
        async with sessionmaker() as session:
            await ensure_partitions(session, min(at).date(), max(at).date())
            await session.commit()
    batches = split(user_ids, batch_users)
    for n, instant in enumerate(at, 1):
        for batch in batches:
            done = await simulate_batch(sessionmaker, live, batch, instant)
            report.devices = max(report.devices, done.devices)
            report.failed_users += len(done.failed_users)
        report.cycles += 1
        if progress is not None:
            progress(n, len(at))
    return report


async def run_backfill(
    settings: Settings,
    *,
    days: float,
    username: str | None = None,
    now: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> BackfillReport:
    """Backfill the past `days` up to now for every user, or for `username` only."""
    engine = create_engine(settings.database_url, application_name="hems-backfill")
    sessionmaker = create_sessionmaker(engine)
    try:
        if username is None:
            user_ids = await all_user_ids(sessionmaker)
        else:
            async with sessionmaker() as session:
                found = await session.scalar(
                    select(models.User.id).where(models.User.username == username)
                )
            if found is None:
                raise LookupError(f"no user named {username!r}")
            user_ids = [found]
        end = cycle_instant(now or datetime.now(UTC), settings.SIMULATION_INTERVAL_S)
        at = instants(end - timedelta(days=days), end, settings.SIMULATION_INTERVAL_S)
        return await backfill_range(
            sessionmaker,
            user_ids,
            at,
            batch_users=settings.SIMULATION_BATCH_USERS,
            progress=progress,
        )
    finally:
        await engine.dispose()
