"""A worker SIGKILLed in the middle of a batch: the next cycle (another worker) completes the work.

The batch is held mid-transaction by a table lock, so the kill lands between its reads and its
commit. Nothing of the killed batch may commit; the next worker's cycles advance every battery
and EV by the real time elapsed since its last committed state; the ledger proves each change is
flow x elapsed (EVs: minus driving while away), contiguous and never repeated.
"""

from __future__ import annotations

import time

import pytest
from redis.asyncio import Redis
from sqlalchemy import text

from app.db import create_sessionmaker
from tests.faults.conftest import (
    check_ledger,
    create_homes,
    hems_env,
    last_complete,
    wait_for,
    zone_where,
)

BLOCKED = """SELECT count(*) FROM pg_stat_activity
             WHERE application_name = 'hems-worker' AND wait_event_type = 'Lock'"""


@pytest.mark.slow
async def test_a_killed_worker_loses_and_duplicates_nothing(
    fault_db, fault_engine, fault_redis, spawn
):
    await create_homes(create_sessionmaker(fault_engine), 6)
    redis = Redis.from_url(fault_redis.url)
    env = hems_env(fault_db, fault_redis.url)
    try:
        first = spawn(["worker"], env, "worker-a")
        start = await wait_for(lambda: last_complete(redis), what="a first cycle")
        await wait_for(lambda: _after(redis, start + 1), what="more cycles")

        async def blocked() -> bool:
            async with fault_engine.connect() as conn:
                return bool((await conn.execute(text(BLOCKED))).scalar())

        # The replacement starts now: it spends its first seconds importing, and if it is
        # ready before the kill its batches block on the lock like the first worker's.
        second = spawn(["worker"], env, "worker-b")
        async with fault_engine.connect() as blocker:
            await blocker.execute(text("LOCK TABLE battery IN EXCLUSIVE MODE"))
            await wait_for(blocked, what="a batch blocked inside its transaction")
            first.kill()
            killed_at = int(time.time())
            await blocker.rollback()

        await wait_for(lambda: _after(redis, killed_at + 1), what="a cycle after the kill")
        second.stop()
    finally:
        await redis.aclose()

    counts = await check_ledger(fault_engine)
    assert counts["battery"] >= 3 * 2  # three batteries, at least two cycles each
    assert counts["ev"] >= 3 * 2
    if zone_where(True) is not None:
        assert counts["driving"] > 0  # away EVs were driven, each interval once
    errors = [
        r for r in second.records() if r.get("level") in ("error", "critical", "unstructured")
    ]
    assert errors == []


async def _after(redis: Redis, epoch: int) -> bool:
    return await last_complete(redis) > epoch
