"""Where a batch's time goes, in one process: `simulate_batch` batch after batch, no ARQ.

The cycle benchmark runs real workers, so its phase figures are worker-seconds of overlapping
jobs sharing two cores with PostgreSQL. This one runs the batches of each cycle one after
another in this process (the same code path as a worker's job), so each phase's seconds are
its own cost. Use it to compare a change to the pipeline before and after.

    uv run python -m bench.phases --users 1000 --cycles 3

Prints one JSON line last: devices, cycles, cycle_s (median), and per 50,000 devices the
seconds of load, engine, storage state (persist minus history), history, and Redis writes.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from app.db import create_engine, create_sessionmaker
from app.live.backends import RedisBackend
from app.live.store import LiveStore
from app.pipeline.batch import BatchReport, simulate_batch
from app.redis import create_redis
from bench.common import Servers, fleet_parser, load_fleet, log, run_on_servers

PER = 50_000


async def run(args: argparse.Namespace, srv: Servers) -> dict[str, Any]:
    start = datetime.now(UTC).replace(second=0, microsecond=0)
    fleet = await load_fleet(
        srv.dsn,
        args.users,
        args.devices_per_user,
        simulated_at=start - timedelta(seconds=60),
        tariffs=args.tariffs,
        non_default=args.non_default,
    )
    log(f"loaded {fleet.devices} devices of {args.users} users")
    engine = create_engine(srv.database_url, application_name="hems-bench")
    redis = create_redis(srv.redis.url)
    live = LiveStore(RedisBackend(redis), ttl_s=120)
    sessionmaker = create_sessionmaker(engine)
    ids = fleet.user_ids
    runs: list[tuple[float, BatchReport]] = []
    try:
        for n in range(args.warmup + args.cycles):
            cycle_at = start + timedelta(seconds=60 * n)
            total = BatchReport()
            t0 = time.perf_counter()
            for lo in range(0, len(ids), args.batch_users):
                total.add(
                    await simulate_batch(
                        sessionmaker, live, ids[lo : lo + args.batch_users], cycle_at
                    )
                )
            elapsed = time.perf_counter() - t0
            log(f"cycle {n}: {elapsed:.2f} s, {total.devices} devices")
            if n >= args.warmup:
                runs.append((elapsed, total))
    finally:
        await redis.aclose()
        await engine.dispose()
    elapsed, report = sorted(runs, key=lambda r: r[0])[len(runs) // 2]
    scale = PER / max(report.devices, 1)
    return {
        "bench": "phases",
        "devices": report.devices,
        "batch_users": args.batch_users,
        "cycles": len(runs),
        "cycle_s": round(elapsed, 3),
        "cycle_s_all": [round(r[0], 3) for r in runs],
        "devices_per_s": round(report.devices / elapsed),
        "per_50k_s": {
            "load": round(report.load_s * scale, 3),
            "engine": round(report.engine_s * scale, 3),
            "state": round((report.persist_s - report.history_s) * scale, 3),
            "history": round(report.history_s * scale, 3),
            "write": round(report.write_s * scale, 3),
            "total": round(elapsed * scale, 3),
        },
    }


def main() -> None:
    parser = fleet_parser(__doc__, users=1000)
    parser.add_argument("--batch-users", type=int, default=250)
    parser.add_argument("--cycles", type=int, default=3, help="measured cycles (median)")
    parser.add_argument("--warmup", type=int, default=1)
    run_on_servers(run, parser.parse_args())


if __name__ == "__main__":
    main()
