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
    WorkerLoop,
    check_ledger,
    create_homes,
    hems_env,
    last_complete,
    wait_for,
    zone_where,
)
from tests.fixtures.app import make_settings

BLOCKED = """SELECT count(*) FROM pg_stat_activity
             WHERE application_name = 'hems-worker' AND wait_event_type = 'Lock'"""


@pytest.mark.slow
async def test_a_killed_worker_loses_and_duplicates_nothing(
    fault_db, fault_engine, fault_redis, spawn
):
    await create_homes(create_sessionmaker(fault_engine), 6)
    redis = Redis.from_url(fault_redis.url)
    env = hems_env(fault_db, fault_redis.url)
    settings = make_settings(
        DATABASE_URL=fault_db,
        REDIS_URL=fault_redis.url,
        SIMULATION_INTERVAL_S=1,
        SIMULATION_BATCH_USERS=2,
    )
    try:
        first = spawn(["worker"], env, "worker-a")
        start = await wait_for(lambda: last_complete(redis), what="a first cycle")
        await wait_for(lambda: _after(redis, start + 1), what="more cycles")

        async def blocked() -> bool:
            async with fault_engine.connect() as conn:
                return bool((await conn.execute(text(BLOCKED))).scalar())

        async with fault_engine.connect() as blocker:
            await blocker.execute(text("LOCK TABLE battery IN EXCLUSIVE MODE"))
            await wait_for(blocked, what="a batch blocked inside its transaction")
            first.kill()
            killed_at = int(time.time())
            await blocker.rollback()

        # Another worker (in this process: no start-up cost) takes over.
        second = WorkerLoop(settings)
        try:
            await wait_for(lambda: _after(redis, killed_at + 1), what="a cycle after the kill")
        finally:
            await second.stop()
    finally:
        await redis.aclose()

    counts = await check_ledger(fault_engine)
    assert counts["battery"] >= 3 * 2  # three batteries, at least two cycles each
    assert counts["ev"] >= 3 * 2
    if zone_where(True) is not None:
        assert counts["driving"] > 0  # away EVs were driven, each interval once
    assert second.crashes == []


async def _after(redis: Redis, epoch: int) -> bool:
    return await last_complete(redis) > epoch
