"""Soak: an API and a worker process run 20+ accelerated cycles (1 s) under light API load.

Every orchestrated cycle completes, nothing is logged at error level by either process, their
memory stays flat after warm-up (a bound, generous for allocator noise), the API answers every
request, and the storage ledger balances over the whole run.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import httpx
import psutil
import pytest
from prometheus_client.parser import text_string_to_metric_families
from redis.asyncio import Redis

from app.db import create_sessionmaker
from app.live import keys
from tests.faults.conftest import check_ledger, create_homes, hems_env, last_complete, wait_for
from tests.servers import free_port

CYCLES = 20
#: Growth allowed between warm-up and the end of the run, per process.
MEMORY_BOUND = 24 * 1024 * 1024
LOAD = [
    "{ energyStats { currentProduction currentConsumption storageFlow netGridFlow timestamp } }",
    "{ devices { id kind live { powerW status storage { currentLevelWh flowW } } } }",
    "{ me { username } }",
]


def _rss(process) -> int:
    return psutil.Process(process.pid).memory_info().rss


async def _register(client: httpx.AsyncClient, name: str) -> str:
    response = await client.post(
        "/graphql",
        json={
            "query": "mutation($u: String!) { registerUser(username: $u, "
            'password: "correct horse battery") { token } }',
            "variables": {"u": name},
        },
    )
    token: str = response.json()["data"]["registerUser"]["token"]
    create = (
        'mutation { createBattery(input: {name: "b", capacityWh: 9000}) { id } '
        'createSolarPanel(input: {name: "s", panelAreaM2: 20, maxCapacityW: 4000}) { id } }'
    )
    body = (
        await client.post(
            "/graphql", json={"query": create}, headers={"Authorization": f"Bearer {token}"}
        )
    ).json()
    assert body.get("errors") is None, body
    return token


@pytest.mark.slow
async def test_soak(fault_db, fault_engine, fault_redis, spawn):
    await create_homes(create_sessionmaker(fault_engine), 8)
    port, metrics_port = free_port(), free_port()
    env = hems_env(fault_db, fault_redis.url, WORKER_METRICS_PORT=str(metrics_port))
    api = spawn(["serve", "--port", str(port)], env, "api")
    worker = spawn(["worker"], env, "worker")
    redis = Redis.from_url(fault_redis.url)
    answered: list[int] = []
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:

            async def ready() -> bool:
                try:
                    return (await client.get("/readyz")).status_code == 200
                except httpx.TransportError:
                    return False

            await wait_for(ready, what="the API")
            tokens = [await _register(client, f"soak-{n}") for n in range(3)]
            first = await wait_for(lambda: last_complete(redis), what="a first cycle")
            warm = first + 4

            async def load() -> None:
                n = 0
                while True:
                    response = await client.post(
                        "/graphql",
                        json={"query": LOAD[n % len(LOAD)]},
                        headers={"Authorization": f"Bearer {tokens[n % len(tokens)]}"},
                    )
                    body = response.json()
                    assert response.status_code == 200
                    assert body.get("errors") is None, body
                    answered.append(n)
                    n += 1
                    await asyncio.sleep(0.05)

            loader = asyncio.create_task(load())
            await wait_for(lambda: _after(redis, warm), what="warm-up cycles")
            baseline = {"api": _rss(api), "worker": _rss(worker)}
            await wait_for(lambda: _after(redis, warm + CYCLES), what=f"{CYCLES} more cycles")
            final = {"api": _rss(api), "worker": _rss(worker)}
            assert not loader.done(), loader  # the load ran the whole time without failing
            loader.cancel()

            progress: dict[int, dict[bytes, bytes]] = {}

            async def window_complete() -> bool:
                # Batches of neighbouring cycles may finish out of order: let stragglers land.
                nonlocal progress
                found = [int(k.split(b":")[2]) for k in await redis.keys("hems:cycle:*:progress")]
                progress = {e: await redis.hgetall(keys.cycle_progress_key(e)) for e in found}
                return all(b"completed_at" in progress[e] for e in _window(progress, first, warm))

            with contextlib.suppress(AssertionError):  # judged below, with the details
                await wait_for(window_complete, limit_s=15, what="the window's cycles")
            metrics = (await client.get(f"http://127.0.0.1:{metrics_port}/metrics")).text
    finally:
        await redis.aclose()
        api.stop()
        worker.stop()

    window = _window(progress, first, warm)
    assert len(window) >= CYCLES
    incomplete = [e for e in window if b"completed_at" not in progress[e]]
    assert incomplete == []
    assert len(answered) > 50
    for name in ("api", "worker"):
        assert final[name] - baseline[name] < MEMORY_BOUND, (name, baseline, final)
    errors = [
        r
        for process in (api, worker)
        for r in process.records()
        if r.get("level") in ("error", "critical")
        # uvicorn prints its first lines before the app configures JSON logging.
        or (r.get("level") == "unstructured" and not r["event"].startswith("INFO:"))
    ]
    assert errors == []
    completed = {
        s.name: s.value
        for f in text_string_to_metric_families(metrics)
        for s in f.samples
        if s.name == "hems_cycles_completed_total"
    }
    assert completed["hems_cycles_completed_total"] >= CYCLES
    counts = await check_ledger(fault_engine)
    assert counts["battery"] >= 8 * CYCLES


def _window(progress: dict[int, Any], first: int, warm: int) -> list[int]:
    return [e for e in sorted(progress) if first <= e <= warm + CYCLES]


async def _after(redis: Redis, epoch: int) -> bool:
    return await last_complete(redis) > epoch
