"""Benchmark the full simulation cycle through real `hems worker` processes.

Starts PostgreSQL and Redis, bulk-loads `--users` homes of `--devices-per-user` devices, starts
`--workers` `hems worker` processes, then enqueues the orchestrator (`run_energy_simulation`, as
the cron does) and waits for the cycle's progress hash to say the last batch is done: that span
is `cycle_s`, from cron fire to the last key written. A first cycle warms the workers up (imports,
connection pools, caches); the following `--cycles` are measured and the median is reported.

    uv run python -m bench.cycle --users 10000 --devices-per-user 50 --workers 2

Prints one JSON line last: devices, workers, cycle_s, devices_per_s, rss_mb (peak RSS of the
largest worker), redis_bytes_per_device (INFO used_memory after / before, per device), and the
split of worker time between load_s, engine_s, persist_s and write_s (summed over batches).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import psutil
from arq import create_pool
from arq.connections import RedisSettings
from redis.asyncio import Redis

from app.live import keys
from bench.common import (
    BIN,
    Servers,
    fleet_parser,
    load_fleet,
    log,
    peak_rss_mb,
    run_on_servers,
    spawn,
    stop,
)

#: Cron ticks hourly in the benchmark, so a real tick (cycle instant = top of the hour) does not
#: land inside a measured cycle; batches are considered stale only after two intervals.
INTERVAL_S = 3600


async def wait_connected(pids: list[int], port: int, wait_s: float = 60.0) -> None:
    """Wait until every worker holds a connection to Redis (its ARQ pool is up)."""
    deadline = time.monotonic() + wait_s
    while True:
        ready = 0
        for pid in pids:
            try:
                conns = psutil.Process(pid).net_connections(kind="tcp")
            except psutil.Error:
                conns = []
            if any(c.raddr and c.raddr.port == port for c in conns):
                ready += 1
        if ready == len(pids):
            return
        if time.monotonic() > deadline:
            raise TimeoutError("workers did not start")
        await asyncio.sleep(0.1)


async def one_cycle(pool: Any, redis: Any, cycle_at: datetime) -> dict[str, float]:
    # `Any`: redis-py types its hash commands as sync-or-async unions that `await` refuses.
    epoch = int(cycle_at.timestamp())
    progress = keys.cycle_progress_key(epoch)
    start = time.time()
    await pool.enqueue_job("run_energy_simulation", cycle_at=cycle_at, _job_id=f"bench:{epoch}")
    while True:
        done = await redis.hget(progress, "completed_at")
        if done is not None:
            break
        if time.time() - start > 600:
            raise TimeoutError("cycle did not complete within 600 s")
        await asyncio.sleep(0.01)
    info = {k.decode(): v.decode() for k, v in (await redis.hgetall(progress)).items()}
    figures = {
        "cycle_s": float(info["completed_at"]) - start,
        "devices": int(info.get("devices", 0)),
        "batches": int(info.get("batches", 0)),
        "orchestrate_s": float(info["started_at"]) - start,
    }
    for part in ("load_s", "engine_s", "persist_s", "history_s", "write_s"):
        figures[part] = float(info.get(part, 0.0))
    return figures


async def run(args: argparse.Namespace, srv: Servers) -> dict[str, Any]:
    started = time.perf_counter()
    fleet = await load_fleet(
        srv.dsn,
        args.users,
        args.devices_per_user,
        simulated_at=datetime.now(UTC) - timedelta(seconds=60),
        tariffs=args.tariffs,
        non_default=args.non_default,
    )
    load_time = time.perf_counter() - started
    log(f"loaded {fleet.devices} devices of {args.users} users in {load_time:.1f} s")
    redis = Redis.from_url(srv.redis.url)
    pool = await create_pool(RedisSettings.from_dsn(srv.redis.url))
    env = srv.env(
        SIMULATION_INTERVAL_S=INTERVAL_S,
        SIMULATION_BATCH_USERS=args.batch_users,
        LIVE_TTL_S=120,
    )
    procs = [spawn([str(BIN / "hems"), "worker"], env, f"worker-{n}") for n in range(args.workers)]
    try:
        await wait_connected([p.pid for p in procs], srv.redis.port)
        before = await redis.info("memory")
        keys_before = await redis.dbsize()
        runs: list[dict[str, float]] = []
        for n in range(args.warmup + args.cycles):
            # Whole, distinct seconds: a cycle is identified by its instant.
            await asyncio.sleep(max(0.0, 1.05 - (time.time() % 1.0)))
            cycle_at = datetime.fromtimestamp(int(time.time()), UTC)
            figures = await one_cycle(pool, redis, cycle_at)
            kind = "warm-up" if n < args.warmup else "measured"
            log(f"{kind} cycle: {figures}")
            if n >= args.warmup:
                runs.append(figures)
        after = await redis.info("memory")
        keys_after = await redis.dbsize()
        rss = max(peak_rss_mb(p.pid) for p in procs)
    finally:
        for p in procs:
            stop(p)
        await pool.aclose()
        await redis.aclose()
    best = sorted(runs, key=lambda r: r["cycle_s"])[len(runs) // 2]  # the median run
    devices = int(best["devices"])
    grown = int(after["used_memory"]) - int(before["used_memory"])
    return {
        "bench": "cycle",
        "users": args.users,
        "devices": devices,
        "workers": args.workers,
        "batch_users": args.batch_users,
        "batches": int(best["batches"]),
        "cycle_s": round(best["cycle_s"], 3),
        "cycle_s_all": [round(r["cycle_s"], 3) for r in runs],
        "devices_per_s": round(devices / best["cycle_s"]),
        "rss_mb": round(rss, 1),
        "redis_bytes_per_device": round(grown / max(devices, 1), 1),
        "redis_keys_per_device": round((keys_after - keys_before) / max(devices, 1), 3),
        "redis_used_memory_mb": round(int(after["used_memory"]) / 2**20, 1),
        "orchestrate_s": round(best["orchestrate_s"], 3),
        "load_s": round(best["load_s"], 3),
        "engine_s": round(best["engine_s"], 3),
        "persist_s": round(best["persist_s"], 3),
        "history_s": round(best["history_s"], 3),
        "write_s": round(best["write_s"], 3),
        "median_of": len(runs),
        "setup_s": round(load_time, 1),
    }


def main() -> None:
    parser = fleet_parser(__doc__, users=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-users", type=int, default=250, help="SIMULATION_BATCH_USERS")
    parser.add_argument("--cycles", type=int, default=1, help="measured cycles (median)")
    parser.add_argument("--warmup", type=int, default=1)
    run_on_servers(run, parser.parse_args())


if __name__ == "__main__":
    main()
