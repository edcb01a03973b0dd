"""Redis restarts in the middle of a cycle (losing everything: no persistence).

A batch is held inside its transaction, Redis is killed, the batch is released: its storage
state commits but its readings cannot be written. While Redis is down the API answers clear
SERVICE_UNAVAILABLE errors (health and readiness 503, logins refused rather than unlimited).
Once Redis is back on the same address the API recovers without a restart and the next cycles
complete; the ledger shows no state lost or counted twice.

The worker is a real `hems worker` process: ARQ's poll loop stops with an error when its Redis
connection fails, and the command reconnects by itself (no supervisor needed), which its log
must show.
"""

from __future__ import annotations

import functools
import time

import pytest
from redis.asyncio import Redis
from sqlalchemy import text

from app.db import create_sessionmaker
from app.main import build_state, close_state
from tests.faults.conftest import (
    check_ledger,
    create_homes,
    hems_env,
    last_complete,
    wait_for,
)
from tests.fixtures.app import _api, make_settings

BLOCKED = """SELECT count(*) FROM pg_stat_activity
             WHERE application_name = 'hems-worker' AND wait_event_type = 'Lock'"""
STATS = "{ energyStats { currentProduction timestamp } }"
LOGIN = 'mutation { loginUser(username: "carol", password: "correct horse battery") { token } }'


@pytest.mark.slow
async def test_redis_restart_mid_cycle(fault_db, fault_engine, fault_redis, spawn):
    await create_homes(create_sessionmaker(fault_engine), 4)
    redis = Redis.from_url(fault_redis.url)
    settings = make_settings(
        DATABASE_URL=fault_db,
        REDIS_URL=fault_redis.url,
        SIMULATION_INTERVAL_S=1,
        SIMULATION_BATCH_USERS=2,
    )
    state = await build_state(settings)
    worker = spawn(["worker"], hems_env(fault_db, fault_redis.url), "worker")
    try:
        async for api in _api(state):
            token = await api.register("carol")
            start = await wait_for(lambda: last_complete(redis), what="a first cycle")

            async def blocked() -> bool:
                async with fault_engine.connect() as conn:
                    return bool((await conn.execute(text(BLOCKED))).scalar())

            async with fault_engine.connect() as blocker:
                await blocker.execute(text("LOCK TABLE battery IN EXCLUSIVE MODE"))
                await wait_for(blocked, what="a batch blocked inside its transaction")
                fault_redis.kill()
                await blocker.rollback()

            # Down: clear errors, never a 500.
            body = await api.gql(STATS, token=token)
            assert body["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
            login = await api.gql(LOGIN)
            assert login["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
            assert (await api.client.get("/healthz")).status_code == 503
            assert (await api.client.get("/readyz")).json()["live_store"] == "down"
            metrics = await api.client.get("/metrics")
            assert metrics.status_code == 200
            assert "hems_live_store_up 0.0" in metrics.text

            fault_redis.start()  # same port, empty
            restarted_at = int(time.time())
            await wait_for(
                functools.partial(_after, redis, restarted_at + 1), what="a cycle after the restart"
            )
            body = await api.gql(STATS, token=token)
            assert body.get("errors") is None, body
            assert (await api.gql(LOGIN)).get("errors") is None
            assert (await api.client.get("/readyz")).status_code == 200
        assert worker.proc.poll() is None, "the worker exited instead of reconnecting"
    finally:
        worker.stop()
        await close_state(state)
        await redis.aclose()

    assert start > 0
    counts = await check_ledger(fault_engine)
    assert counts["battery"] >= 2 * 2
    # The outage ended ARQ's poll loop with a Redis error; `hems worker` said so and reconnected.
    events = [r.get("message") or r.get("event") for r in worker.records()]
    assert "lost Redis, reconnecting in 2 s" in events, events


async def _after(redis: Redis, epoch: int) -> bool:
    return await last_complete(redis) > epoch
