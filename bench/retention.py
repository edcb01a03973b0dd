"""Retention at fleet scale: dropping a day of a 500,000-device fleet, beside a running cycle.

On fresh servers (as `bench.cycle`): `--users` homes of `--devices-per-user` devices are loaded,
and `--drops` past days of history are written by SQL into their day partitions at the fleet's
size: every device's quarter hours (`--quarters` per device and day; about 45 are stored a day
by the live cycle, rows whose figures are all 0 are not), every user's and every home's minute
rows (1,440 a day each). Then `--workers` `hems worker` processes run cycles, as the cron fires
them, alternately alone and with the maintenance's partition drop (`drop_expired` of the three
tables, oldest day first) started `--drop-after-s` into the cycle.

Prints one JSON line: `drop_day_alone_s` (the three tables' drops of the first day, summed,
between two cycles: the drop's own cost), `drop_day_s` (the same for a day dropped during a
cycle, lock waits included; the worst of them) and `drop_table_s` per table, `cycle_alone_s`
and `cycle_with_drop_s` (medians), `cycle_lengthened_pct`, and the partitions' rows and bytes.

    uv run python -m bench.retention --users 10000 --devices-per-user 50 --workers 2
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
from arq import create_pool
from arq.connections import RedisSettings
from redis.asyncio import Redis

from app.db import create_engine, create_sessionmaker
from app.repositories import partitions as p
from bench.common import (
    BIN,
    Servers,
    fleet_parser,
    load_fleet,
    log,
    run_on_servers,
    spawn,
    stop,
)
from bench.cycle import INTERVAL_S, one_cycle, wait_connected

#: Each table's rows of one day, from the fleet's own ids (figures are placeholders: a drop
#: does not read them). Written in key order, so the primary keys grow at their right edge.
FILL_SQL = {
    "energy_quarter_hour": (
        "INSERT INTO {part} (subject_id, bucket_start, user_id, produced_wh, consumed_wh, "
        "charged_wh, discharged_wh) SELECT d.id, CAST(:lo AS timestamptz) + q * interval "
        "'15 minutes', d.owner_id, 100, 50, 0, 0 FROM (SELECT id, owner_id FROM device "
        "ORDER BY id) d CROSS JOIN LATERAL generate_series(0, :quarters - 1) q"
    ),
    "energy_minute": (
        "INSERT INTO {part} (subject_id, bucket_start, user_id, produced_wh, consumed_wh, "
        "charged_wh, discharged_wh, imported_wh, exported_wh, import_cost, export_revenue) "
        "SELECT u.id, CAST(:lo AS timestamptz) + m * interval '1 minute', u.id, 100, 50, 0, 0, "
        '0, 50, 0, 0 FROM (SELECT id FROM "user" ORDER BY id) u '
        "CROSS JOIN LATERAL generate_series(0, 1439) m"
    ),
    "home_energy_minute": (
        "INSERT INTO {part} (home_id, bucket_start, produced_wh, consumed_wh, charged_wh, "
        "discharged_wh, imported_wh, exported_wh, import_cost, export_revenue) "
        "SELECT h.id, CAST(:lo AS timestamptz) + m * interval '1 minute', 100, 50, 0, 0, 0, 50, "
        "0, 0 FROM (SELECT id FROM home ORDER BY id) h "
        "CROSS JOIN LATERAL generate_series(0, 1439) m"
    ),
}


async def fill_day(dsn: str, table: str, day: date, quarters: int) -> tuple[int, int]:
    """One day partition of `table` at the fleet's size: (rows, bytes). On a connection of its
    own, without the service's statement timeout (a fleet's day takes minutes to write)."""
    part = f"{p.PARTITION_SCHEMA}.{p.partition_name(table, day)}"
    lo, _ = p.day_bounds(day)
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await conn.execute("SET LOCAL synchronous_commit = off")
            await conn.execute(p.create_sql(table, day))
            sql = FILL_SQL[table].format(part=part).replace(":lo", "$1")
            if table == "energy_quarter_hour":
                sql = sql.replace(":quarters", "$2")
                status = await conn.execute(sql, lo, quarters)
            else:
                status = await conn.execute(sql, lo)
        rows = int(status.split()[-1])
        await conn.execute(f"VACUUM (ANALYZE) {part}")
        size = await conn.fetchval("SELECT pg_total_relation_size(CAST($1 AS regclass))", part)
    finally:
        await conn.close()
    return rows, int(size or 0)


async def drop_day(
    sessionmaker: Any, day: date, delay_s: float, postponed: list[str]
) -> dict[str, float]:
    """The maintenance's drop of `day` (every older day is gone already), per table; a table
    whose drop gave up on the lock (`DROP_LOCK_TIMEOUT_MS`) is added to `postponed`."""
    await asyncio.sleep(delay_s)
    before = p.day_bounds(day)[1]
    took: dict[str, float] = {}
    for table in p.PARTITIONED:
        async with sessionmaker() as session:
            t0 = time.perf_counter()
            gone = await p.drop_expired(session, table, before)
            took[table] = time.perf_counter() - t0
        if not gone:
            postponed.append(table)
        elif gone != [day]:
            raise RuntimeError(f"{table}: dropped {gone}, expected {day}")
    return took


async def run(args: argparse.Namespace, srv: Servers) -> dict[str, Any]:
    started = time.perf_counter()
    fleet = await load_fleet(
        srv.dsn,
        args.users,
        args.devices_per_user,
        simulated_at=datetime.now(UTC) - timedelta(seconds=60),
    )
    took = time.perf_counter() - started
    log(f"loaded {fleet.devices} devices of {args.users} users in {took:.0f} s")
    engine = create_engine(srv.database_url, application_name="hems-bench-retention")
    sessionmaker = create_sessionmaker(engine)
    today = datetime.now(UTC).date()
    days = [today - timedelta(days=40 + n) for n in range(args.drops)][::-1]  # oldest first
    partitions: dict[str, dict[str, int]] = {}
    t0 = time.perf_counter()
    for day in days:
        # The three tables at once, on connections of their own (one backend each).
        filled = await asyncio.gather(
            *(fill_day(srv.dsn, table, day, args.quarters) for table in p.PARTITIONED)
        )
        for table, (rows, size) in zip(p.PARTITIONED, filled, strict=True):
            partitions[table] = {"rows": rows, "bytes": size}
            log(f"{day} {table}: {rows:,} rows, {size / 2**30:.2f} GiB")
    fill_s = time.perf_counter() - t0
    # An installation drops a day weeks after it was written: on disk, not in the page cache's
    # dirty pages (unlinking freshly written gigabytes costs the writeback).
    conn = await asyncpg.connect(srv.dsn)
    try:
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()
    os.sync()

    redis = Redis.from_url(srv.redis.url)
    pool = await create_pool(RedisSettings.from_dsn(srv.redis.url))
    env = srv.env(
        SIMULATION_INTERVAL_S=INTERVAL_S,
        SIMULATION_BATCH_USERS=args.batch_users,
        LIVE_TTL_S=120,
    )
    procs = [spawn([str(BIN / "hems"), "worker"], env, f"worker-{n}") for n in range(args.workers)]
    alone: list[float] = []
    with_drop: list[float] = []
    drops: list[dict[str, float]] = []
    alone_drops: list[dict[str, float]] = []
    postponed: list[str] = []
    try:
        await wait_connected([proc.pid for proc in procs], srv.redis.port)
        pending = list(days)
        # Warm-up, then cycles alone in turn with: the first day dropped on its own between two
        # cycles (the drop's own cost), the others each dropped during a cycle, ending alone.
        plan = ["warm-up", "alone"]
        if len(days) > 1:
            plan += ["drop-only", "alone"]
        plan += ["drop", "alone"] * (len(days) - (len(days) > 1))
        for kind in plan:
            if kind == "drop-only":
                alone_drops.append(await drop_day(sessionmaker, pending.pop(0), 0.0, postponed))
                log("drop alone:", alone_drops[-1])
                continue
            await asyncio.sleep(max(0.0, 1.05 - (time.time() % 1.0)))
            cycle_at = datetime.fromtimestamp(int(time.time()), UTC)
            cycle = asyncio.create_task(one_cycle(pool, redis, cycle_at))
            dropped = None
            if kind == "drop":
                dropped = asyncio.create_task(
                    drop_day(sessionmaker, pending.pop(0), args.drop_after_s, postponed)
                )
            figures = await cycle
            if dropped is not None:
                drops.append(await dropped)
                with_drop.append(figures["cycle_s"])
            elif kind == "alone":
                alone.append(figures["cycle_s"])
            log(f"{kind} cycle: {figures['cycle_s']:.2f} s", drops[-1] if dropped else "")
    finally:
        for proc in procs:
            stop(proc)
        await pool.aclose()
        await redis.aclose()
        await engine.dispose()
    alone_s = statistics.median(alone)
    drop_s = statistics.median(with_drop)
    per_day = [sum(d.values()) for d in drops]
    return {
        "bench": "retention",
        "users": args.users,
        "devices": fleet.devices,
        "workers": args.workers,
        "quarters_per_device_day": args.quarters,
        "partitions": partitions,
        "fill_s": round(fill_s, 1),
        "drop_day_s": round(max(per_day), 4),
        "drop_day_s_all": [round(s, 4) for s in per_day],
        "drop_table_s": {t: round(max(d[t] for d in drops), 4) for t in p.PARTITIONED},
        "drops_postponed": postponed,
        "drop_day_alone_s": [round(sum(d.values()), 4) for d in alone_drops],
        "drop_table_alone_s": [{t: round(v, 4) for t, v in d.items()} for d in alone_drops],
        "cycle_alone_s": round(alone_s, 3),
        "cycle_alone_s_all": [round(s, 3) for s in alone],
        "cycle_with_drop_s": round(drop_s, 3),
        "cycle_with_drop_s_all": [round(s, 3) for s in with_drop],
        "cycle_lengthened_pct": round((drop_s / alone_s - 1.0) * 100.0, 1),
        "drop_after_s": args.drop_after_s,
    }


def main() -> None:
    parser = fleet_parser(__doc__, users=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-users", type=int, default=250, help="SIMULATION_BATCH_USERS")
    parser.add_argument(
        "--drops", type=int, default=2, help="days dropped: the first alone, the others in cycles"
    )
    parser.add_argument("--quarters", type=int, default=48, help="quarter hours per device-day")
    parser.add_argument(
        "--drop-after-s", type=float, default=1.0, help="seconds into the cycle the drop starts"
    )
    run_on_servers(run, parser.parse_args())


if __name__ == "__main__":
    main()
