"""Benchmark the API: `energyStats` throughput against a bare baseline, and latency at a rate.

Starts PostgreSQL and Redis, bulk-loads `--users` homes, runs one simulation cycle in this
process so every home has live readings, then starts one `hems serve` process and, separately,
the bare baseline (`bench/baseline_app.py`: same JWT verify, same Redis key, no GraphQL) under
uvicorn. Load comes from this process (`bench/http.py`, keep-alive HTTP/1.1 on uvloop):

1. max throughput, closed loop, `--concurrency` connections for `--seconds` each: energyStats
   on GraphQL and the baseline route, alternating in `--rounds` short runs so both see the
   same background load; `ratio` = GraphQL rps / baseline rps, `cpu_ratio` = baseline server
   CPU per request / GraphQL server CPU per request (steadier on a shared machine);
2. latency, open loop at `--rate` requests/s for `--seconds` (sent on schedule whatever the
   answers): energyStats p50/p99;
3. `devices { ... live { ... } }` of a home with `--devices-per-user` devices at
   `--devices-rate` requests/s: p50/p99.

    uv run python -m bench.api --users 2000 --seconds 10

Prints one JSON line last (rps, baseline_rps, ratio, cpu_ratio, p50_ms, p99_ms, devices_p50_ms,
devices_p99_ms, errors).
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from typing import Any

import psutil

from app.auth.jwt import issue_token
from app.db import create_engine, create_sessionmaker
from app.live.backends import RedisBackend
from app.live.store import LiveStore
from app.pipeline.cycle import run_cycle
from app.redis import create_redis
from bench.common import (
    BIN,
    JWT_SECRET,
    Servers,
    fleet_parser,
    free_port,
    load_fleet,
    log,
    percentile,
    run_on_servers,
    spawn,
    stop,
    wait_http,
)
from bench.http import Outcome, closed_loop, graphql_request, ok_graphql, ok_plain, open_loop
from bench.http import request_bytes as plain_request

ENERGY_STATS = (
    "query { energyStats { currentProduction currentConsumption storageFlow netGridFlow "
    "timestamp } }"
)
DEVICES = (
    "query { devices { id name kind createdAt live { powerW status timestamp "
    "storage { capacityWh currentLevelWh flowW } } } }"
)


def _cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far."""
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def _figures(out: Outcome) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(out.latencies_ms, 50), 2),
        "p99_ms": round(percentile(out.latencies_ms, 99), 2),
        "requests": len(out.latencies_ms),
        "errors": out.errors,
    }


async def _populate(srv: Servers, users: int, devices_per_user: int) -> list[Any]:
    fleet = await load_fleet(srv.dsn, users, devices_per_user, keep_devices=1)
    engine = create_engine(srv.database_url)
    redis = create_redis(srv.redis.url)
    try:
        live = LiveStore(RedisBackend(redis), ttl_s=3600)
        t = time.perf_counter()
        await run_cycle(
            create_sessionmaker(engine), live, datetime.now(UTC).replace(microsecond=0),
            batch_users=250,
        )  # fmt: skip
        log(f"one cycle for {fleet.devices} devices in {time.perf_counter() - t:.1f} s")
    finally:
        await redis.aclose()
        await engine.dispose()
    return fleet.user_ids


async def run(args: argparse.Namespace, srv: Servers) -> dict[str, Any]:
    user_ids = await _populate(srv, args.users, args.devices_per_user)
    tokens = [
        issue_token(uid, f"bench-{n}", secret=JWT_SECRET, lifetime_s=86400)[0]
        for n, uid in enumerate(user_ids)
    ]
    gql_stats = [graphql_request(ENERGY_STATS, t) for t in tokens]
    base_stats = [
        plain_request("GET", "/energy-stats", headers={"Authorization": f"Bearer {t}"})
        for t in tokens
    ]
    gql_devices = [graphql_request(DEVICES, tokens[0])]  # the first home: --devices-per-user

    api_port, base_port = free_port(), free_port()
    env = srv.env()
    api = spawn(
        [str(BIN / "hems"), "serve", "--host", "127.0.0.1", "--port", str(api_port)], env, "api"
    )
    base = spawn(
        [
            str(BIN / "uvicorn"),
            "bench.baseline_app:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(base_port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        env,
        "baseline",
    )
    try:
        await wait_http(api_port)
        await wait_http(base_port)
        c, s = args.concurrency, args.seconds
        # Warm both servers (imports, caches, connection pools, every token verified once).
        await closed_loop(api_port, gql_stats, concurrency=c, seconds=min(2.0, s), check=ok_graphql)
        await closed_loop(base_port, base_stats, concurrency=c, seconds=min(2.0, s), check=ok_plain)
        await closed_loop(api_port, gql_devices, concurrency=2, seconds=0.5, check=ok_graphql)

        # Alternate short GraphQL and baseline runs: on a shared machine the background load
        # drifts within seconds, and back-to-back runs of each would compare different loads.
        gql, baseline = Outcome(), Outcome()
        api_cpu = base_cpu = 0.0
        for r in range(args.rounds):
            sides = [(api, api_port, gql_stats, ok_graphql, gql)]
            sides.append((base, base_port, base_stats, ok_plain, baseline))
            for proc, port, reqs, check, total in sides if r % 2 == 0 else sides[::-1]:
                cpu0 = _cpu(proc.pid)
                out = await closed_loop(
                    port, reqs, concurrency=c, seconds=s / args.rounds, check=check
                )
                used = _cpu(proc.pid) - cpu0
                if proc is api:
                    api_cpu += used
                else:
                    base_cpu += used
                total.latencies_ms += out.latencies_ms
                total.elapsed_s += out.elapsed_s
                total.errors += out.errors
                total.first_error = total.first_error or out.first_error
        api_cpu_ms = api_cpu * 1000.0 / max(len(gql.latencies_ms), 1)
        base_cpu_ms = base_cpu * 1000.0 / max(len(baseline.latencies_ms), 1)
        rps = len(gql.latencies_ms) / gql.elapsed_s
        baseline_rps = len(baseline.latencies_ms) / baseline.elapsed_s
        log(f"closed loop: graphql {rps:.0f} rps, baseline {baseline_rps:.0f} rps")

        steady = await open_loop(api_port, gql_stats, rate=args.rate, seconds=s, check=ok_graphql)
        log(f"open loop {args.rate}/s: {_figures(steady)}")
        devices = await open_loop(
            api_port, gql_devices, rate=args.devices_rate, seconds=max(s, 5.0), check=ok_graphql
        )
        log(f"devices {args.devices_rate}/s: {_figures(devices)}")
    finally:
        stop(api)
        stop(base)
    for name, out in (("graphql", gql), ("baseline", baseline), ("steady", steady)):
        if out.first_error:
            log(f"{name}: first error: {out.first_error}")
    if devices.first_error:
        log(f"devices: first error: {devices.first_error}")
    st, dv = _figures(steady), _figures(devices)
    return {
        "bench": "api",
        "users": args.users,
        "concurrency": c,
        "rps": round(rps),
        "baseline_rps": round(baseline_rps),
        "ratio": round(rps / baseline_rps, 3),
        "cpu_ratio": round(base_cpu_ms / api_cpu_ms, 3),
        "cpu_ms_per_request": round(api_cpu_ms, 3),
        "baseline_cpu_ms_per_request": round(base_cpu_ms, 3),
        "closed_p50_ms": round(percentile(gql.latencies_ms, 50), 2),
        "closed_p99_ms": round(percentile(gql.latencies_ms, 99), 2),
        "rate": args.rate,
        "p50_ms": st["p50_ms"],
        "p99_ms": st["p99_ms"],
        "steady_requests": st["requests"],
        "devices_per_user": args.devices_per_user,
        "devices_rate": args.devices_rate,
        "devices_p50_ms": dv["p50_ms"],
        "devices_p99_ms": dv["p99_ms"],
        "errors": gql.errors + baseline.errors + steady.errors + devices.errors,
    }


def main() -> None:
    parser = fleet_parser(__doc__, users=500)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument(
        "--rounds", type=int, default=4, help="alternations of the closed-loop runs"
    )
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--devices-rate", type=float, default=20.0)
    import uvloop

    run_on_servers(run, parser.parse_args(), loop=uvloop.run)


if __name__ == "__main__":
    main()
