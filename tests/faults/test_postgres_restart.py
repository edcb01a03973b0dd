"""PostgreSQL restarts under a running API and worker: both reconnect without a restart.

While it is down the API answers SERVICE_UNAVAILABLE (health and readiness 503). The engines
pre-ping pooled connections, so the first request after the restart is served on a
fresh connection; the worker's next cycles complete and the ledger stays balanced.
"""

from __future__ import annotations

import asyncio
import functools
import time

import pytest
from redis.asyncio import Redis

from app.db import create_sessionmaker
from app.main import build_state, close_state
from tests.faults.conftest import WorkerLoop, check_ledger, create_homes, last_complete, wait_for
from tests.fixtures.app import _api, make_settings

ME = "{ me { username } }"


@pytest.mark.slow
async def test_api_and_worker_reconnect_after_a_postgres_restart(
    fault_pg, fault_db, fault_engine, fault_redis
):
    await create_homes(create_sessionmaker(fault_engine), 4)
    redis = Redis.from_url(fault_redis.url)
    settings = make_settings(
        DATABASE_URL=fault_db,
        REDIS_URL=fault_redis.url,
        SIMULATION_INTERVAL_S=1,
        SIMULATION_BATCH_USERS=2,
        REQUEST_TIMEOUT_S=60,  # the in-process worker shares this event loop
    )
    state = await build_state(settings)
    worker = WorkerLoop(settings)
    try:
        async for api in _api(state):
            token = await api.register("dave")
            assert (await api.gql(ME, token=token)).get("errors") is None
            await wait_for(lambda: last_complete(redis), what="a first cycle")

            await asyncio.to_thread(fault_pg.stop)
            down = await api.client.post(
                "/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {token}"}
            )
            assert down.status_code == 200
            (error,) = down.json()["errors"]
            assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
            assert "asyncpg" not in down.text
            assert "Traceback" not in down.text
            assert (await api.client.get("/healthz")).status_code == 503
            assert (await api.client.get("/readyz")).json()["database"] == "down"

            await asyncio.to_thread(fault_pg.start)
            restarted_at = int(time.time())
            # The pooled connections died with the server; the very next request still works.
            assert await api.gql(ME, token=token) == {"data": {"me": {"username": "dave"}}}
            assert (await api.client.get("/readyz")).status_code == 200
            await wait_for(
                functools.partial(_after, redis, restarted_at + 1), what="a cycle after the restart"
            )
    finally:
        await worker.stop()
        await close_state(state)
        await redis.aclose()

    counts = await check_ledger(fault_engine)
    assert counts["battery"] >= 2 * 2


async def _after(redis: Redis, epoch: int) -> bool:
    return await last_complete(redis) > epoch
