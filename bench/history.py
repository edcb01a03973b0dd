"""Energy history at fleet scale: storage per device per day, partition drop, read latency.

On a fresh PostgreSQL (migrated to head): a fleet (`--users` homes of `--devices-per-user`
devices) is simulated over `--days` simulated days with the live cycle's own code (backfill, the
deterministic engine, one cycle per `--interval-s`). Storage: `pg_total_relation_size` of every
history table (partitions included) after `VACUUM ANALYZE`, at the end of each day; the growth
of the last day is the rollups' steady state (the first day also creates their free space); the
tables kept for a retention period are measured by the first day's partitions, once its
quarter hours are compacted as the maintenance does (the uncompacted figure is reported too).
Their sum is `steady_state_bytes_per_device_day`, projected to 500,000 devices at the default
retention (the rollups kept for good: per year). `history_bytes_per_device_day` is the
contract's figure: the sum of every history table's `pg_total_relation_size` (`table_bytes`,
partitions included) once the maintenance has compacted every simulated day, divided by
devices x `days` (it includes the rollups' first-day free space, so it falls towards the
steady state as `--days` grows).

Retention: the first simulated day's partitions are dropped (timed, `drop_day_partition_s`).
Reads: `--read-days` of quarter-hour and hour rows are added by SQL in front of the simulated
ones (sums of the simulated day, so sizes are realistic), then the p99 of `history_pages` (the
resolvers' service call, without HTTP/GraphQL) for energyHistory(HOUR) over 31 days of a user
and Device.history(QUARTER_HOUR) over 7 days of a device.

`python -m bench.history` (small default scale) prints one JSON line; `--device-minute` runs
with HISTORY_DEVICE_MINUTE=true (per-device minute rows, as before).
"""

from __future__ import annotations

import argparse
import os
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects import postgresql

from app.backfill import backfill_range, instants
from app.db import create_engine, create_sessionmaker
from app.pipeline.history import device_minute_rows
from app.repositories import partitions as p
from app.repositories.history import HistoryTable, rows_statement
from app.services.history import PageRequest, Resolution, history_pages, plan_page
from app.simulation.calendar import zone
from bench.common import Servers, fleet_parser, load_fleet, log, percentile, run_on_servers

#: Kept for a retention period (per-interval rows) / kept for good (rollups).
RETAINED = ("energy_minute", "home_energy_minute", "energy_quarter_hour")
ROLLUPS = ("energy_hour", "energy_day", "home_energy_hour", "home_energy_day")
FLEET = 500_000
#: The defaults: HISTORY_MINUTE_RETENTION_DAYS, HISTORY_DEVICE_RETENTION_DAYS (+ 1: whole days).
MINUTE_DAYS, QUARTER_DAYS = 7 + 1, 35 + 1

SIZE_SQL = """
SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)
FROM pg_class c
WHERE c.oid = CAST(:t AS regclass)
   OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = CAST(:t AS regclass))
"""


async def sizes(engine: Any) -> dict[str, int]:
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE"))
        out = {}
        for table in RETAINED + ROLLUPS:
            out[table] = int((await conn.execute(text(SIZE_SQL), {"t": table})).scalar() or 0)
        return out


#: Per concrete relation (a plain table or one partition): heap, each index, rows, fillfactor.
DETAIL_SQL = """
SELECT c.relname, pg_relation_size(c.oid) AS heap, pg_indexes_size(c.oid) AS indexes,
       c.reltuples::bigint AS rows, coalesce(array_to_string(c.reloptions, ','), '') AS options,
       (SELECT json_object_agg(i.relname, pg_relation_size(i.oid))
          FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
         WHERE x.indrelid = c.oid) AS per_index
FROM pg_class c WHERE c.oid = CAST(:t AS regclass)
"""


async def detail(engine: Any, relations: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Where the bytes are: heap vs indexes, bytes per row, fillfactor, of each relation
    (`relations`: label -> relation name, schema-qualified for a partition)."""
    out: dict[str, dict[str, Any]] = {}
    async with engine.connect() as conn:
        for label, name in relations.items():
            row = (await conn.execute(text(DETAIL_SQL), {"t": name})).mappings().one()
            rows = max(int(row["rows"]), 1)
            out[label] = {
                "heap": int(row["heap"]),
                "indexes": int(row["indexes"]),
                "per_index": row["per_index"],
                "rows": int(row["rows"]),
                "heap_bytes_per_row": round(int(row["heap"]) / rows, 1),
                "options": row["options"],
            }
    return out


async def synthesize(engine: Any, day: datetime, read_days: int) -> None:
    """`read_days` days before `day` of quarter-hour and hour rows: copies of the rows of the
    simulated day `day` (one day partition each, as the cycle would have made them)."""
    async with engine.begin() as conn:
        for n in range(1, read_days + 1):
            back = day - timedelta(days=n)
            taken = await conn.execute(
                text(p.default_has_rows_sql("energy_quarter_hour", back.date()))
            )
            if not taken.scalar():
                await conn.execute(text(p.create_sql("energy_quarter_hour", back.date())))
            shift = f"interval '{n} days'"
            lo, hi = day.isoformat(), (day + timedelta(days=1)).isoformat()
            await conn.execute(
                text(
                    "INSERT INTO energy_quarter_hour SELECT subject_id, bucket_start - "
                    f"{shift}, user_id, produced_wh, consumed_wh, charged_wh, discharged_wh "
                    f"FROM energy_quarter_hour WHERE bucket_start >= '{lo}' AND bucket_start < "
                    f"'{hi}' ON CONFLICT DO NOTHING"
                )
            )
            await conn.execute(
                text(
                    "INSERT INTO energy_hour SELECT subject_id, bucket_start - "
                    f"{shift}, user_id, produced_wh, consumed_wh, charged_wh, discharged_wh, "
                    "imported_wh, exported_wh, import_cost, export_revenue FROM energy_hour "
                    f"WHERE bucket_start >= '{lo}' AND bucket_start < '{hi}' "
                    "ON CONFLICT DO NOTHING"
                )
            )
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE"))


async def explain(sessionmaker: Any, requests: list[tuple[str, PageRequest]]) -> dict[str, str]:
    """EXPLAIN (ANALYZE, BUFFERS) of the first request of each kind, as the resolvers run it
    (the statement of HistoryRepository.rows), so the docs can say which index serves it."""
    out: dict[str, str] = {}
    dialect = postgresql.dialect()
    for name, request in requests:
        if name in out:
            continue
        tz = zone("UTC")
        page = plan_page(request.resolution, tz, request.start, request.end, request.first, None)
        kind = HistoryTable.QUARTER if request.device else HistoryTable.HOUR
        stmt = rows_statement(
            kind, {request.subject_id}, page.buckets[0].start, page.buckets[-1].end
        )
        sql = str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        async with sessionmaker() as session:
            plan = await session.execute(text(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}"))
            out[name] = " / ".join(str(r[0]).strip() for r in plan)
    return out


async def read_p99(
    sessionmaker: Any, requests: list[tuple[str, PageRequest]], samples: int
) -> dict[str, float]:
    timings: dict[str, list[float]] = {}
    rng = random.Random(7)
    for _ in range(samples):
        name, request = rng.choice(requests)
        async with sessionmaker() as session:
            t0 = time.perf_counter()
            (page,) = await history_pages(session, "UTC", [request])
            timings.setdefault(name, []).append(time.perf_counter() - t0)
            assert page.buckets
    return {
        f"{k}_{q}": round(percentile(v[2:], q) * 1000, 2)  # the first two: warm-up
        for k, v in sorted(timings.items())
        for q in (50, 99)
    }


async def run(args: argparse.Namespace, srv: Servers) -> dict[str, Any]:
    if args.device_minute:
        os.environ["HISTORY_DEVICE_MINUTE"] = "true"
    device_minute_rows.cache_clear()
    end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = end - timedelta(days=args.days)
    fleet = await load_fleet(srv.dsn, args.users, args.devices_per_user, simulated_at=start)
    engine = create_engine(srv.database_url)
    sessionmaker = create_sessionmaker(engine)
    devices = fleet.devices
    per_day: list[dict[str, int]] = [await sizes(engine)]
    t0 = time.perf_counter()
    for day in range(args.days):
        lo = start + timedelta(days=day)
        at = instants(
            lo + timedelta(seconds=args.interval_s), lo + timedelta(days=1), args.interval_s
        )
        report = await backfill_range(
            sessionmaker, fleet.user_ids, at, batch_users=args.batch_users
        )
        per_day.append(await sizes(engine))
        log(f"day {day + 1}: {report.cycles} cycles, {sum(per_day[-1].values()) / 2**20:.1f} MB")
    simulate_s = time.perf_counter() - t0
    last = {t: per_day[-1][t] - per_day[-2][t] for t in per_day[-1]}
    # Day 1's partitions, once the maintenance has compacted its quarter hours, are what every
    # day of the retention period holds.
    t1 = time.perf_counter()
    compacted = await p.compact_days(engine, start + timedelta(days=p.COMPACT_AFTER_DAYS))
    compact_s = time.perf_counter() - t1
    assert all(days == [start.date()] for days in compacted.values()), compacted
    assert len(compacted) == len(RETAINED), compacted
    async with engine.connect() as conn:
        day_one = {
            t: int(
                (
                    await conn.execute(
                        text("SELECT pg_total_relation_size(CAST(:n AS regclass))"),
                        {"n": f"{p.PARTITION_SCHEMA}.{p.partition_name(t, start.date())}"},
                    )
                ).scalar()
                or 0
            )
            for t in RETAINED
        }
    partitions = {t: f"{p.PARTITION_SCHEMA}.{p.partition_name(t, start.date())}" for t in RETAINED}
    storage_detail = await detail(engine, {**partitions, **{t: t for t in ROLLUPS}})
    uncompacted = last["energy_quarter_hour"] / devices
    retained = {t: day_one[t] / devices for t in RETAINED}
    rollups = sum(last[t] for t in ROLLUPS) / devices
    per_device_day = sum(retained.values()) + rollups
    at_retention = FLEET * (
        (retained["energy_minute"] + retained["home_energy_minute"]) * MINUTE_DAYS
        + retained["energy_quarter_hour"] * QUARTER_DAYS
    )
    rows = {}
    async with engine.connect() as conn:
        for table in RETAINED + ROLLUPS:
            rows[table] = int(
                (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar() or 0
            )

    # The contract's figure: every history table's whole size (partitions included) once the
    # maintenance has compacted every simulated day (as it does COMPACT_AFTER_DAYS after each
    # day), over devices x days.
    await p.compact_days(engine, end + timedelta(days=p.COMPACT_AFTER_DAYS))
    table_bytes = await sizes(engine)
    history_bytes = sum(table_bytes.values()) / (devices * args.days)

    # Retention: drop the first simulated day's partitions (timed per table).
    first_day = start + timedelta(days=1)  # day 1's rows; the instant before it is in DEFAULT
    drops: dict[str, float] = {}
    for table in RETAINED:
        async with sessionmaker() as session:
            t1 = time.perf_counter()
            gone = await p.drop_expired(session, table, first_day)
            await session.commit()
            drops[table] = round(time.perf_counter() - t1, 4)
            assert gone, table

    # Reads, with --read-days of quarter hours and hours in front of the last simulated day.
    last_day = end - timedelta(days=1)
    await synthesize(engine, last_day, args.read_days)
    read_rows = {}
    async with engine.connect() as conn:
        for table in ("energy_quarter_hour", "energy_hour"):
            count = (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar()
            read_rows[table] = int(count or 0)
        device_ids = [r[0] for r in await conn.execute(text("SELECT id FROM device LIMIT 200"))]
    requests: list[tuple[str, PageRequest]] = []
    month_from, week_from = end - timedelta(days=31), end - timedelta(days=7)
    for uid in fleet.user_ids[:50]:
        request = PageRequest(uid, Resolution.HOUR, month_from, end, 1000, None)
        requests.append(("energy_history_hour_month", request))
    for did in device_ids:
        request = PageRequest(did, Resolution.QUARTER_HOUR, week_from, end, 1000, None, None, True)
        requests.append(("device_quarter_hour_week", request))
    p99 = await read_p99(sessionmaker, requests, args.read_samples)
    plans = await explain(sessionmaker, requests)
    await engine.dispose()
    return {
        "bench": "history",
        "users": args.users,
        "devices": devices,
        "simulated_days": args.days,
        "interval_s": args.interval_s,
        "device_minute": bool(args.device_minute),
        "days": args.days,
        "history_bytes_per_device_day": round(history_bytes),
        "table_bytes": table_bytes,
        "steady_state_bytes_per_device_day": round(per_device_day),
        "retained_bytes_per_device_day": {t: round(v) for t, v in retained.items()},
        "rollup_bytes_per_device_day": round(rollups),
        "quarter_hour_bytes_per_device_day_before_compaction": round(uncompacted),
        "compact_day_s": round(compact_s, 3),
        "projected_500k_bytes_at_retention": round(at_retention),
        "projected_500k_rollup_bytes_per_year": round(FLEET * rollups * 365),
        "rows": rows,
        "storage_detail": storage_detail,
        "drop_day_partition_s": drops,
        "read_ms": p99,
        "read_rows": read_rows,
        "read_plans": plans,
        "read_days": args.read_days,
        "read_samples": args.read_samples,
        "simulate_s": round(simulate_s, 1),
    }


def main() -> None:
    parser = fleet_parser(__doc__, users=10)
    parser.add_argument("--days", type=int, default=2, help="simulated days (>= 2)")
    parser.add_argument("--interval-s", type=int, default=60)
    parser.add_argument("--batch-users", type=int, default=250)
    parser.add_argument("--read-days", type=int, default=35)
    parser.add_argument("--read-samples", type=int, default=400)
    parser.add_argument("--device-minute", action="store_true", help="HISTORY_DEVICE_MINUTE=true")
    args = parser.parse_args()
    if args.days < 2:
        parser.error("--days must be at least 2 (the last day is the steady state)")
    run_on_servers(run, args)


if __name__ == "__main__":
    main()
