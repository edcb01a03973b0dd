"""Day partitions of the history tables that have a retention period (PostgreSQL only).

`energy_minute`, `home_energy_minute` and `energy_quarter_hour` are declaratively partitioned by
range of `bucket_start`, one partition per UTC day, plus a DEFAULT partition that takes any row
no day partition covers (a backfill of days before the partitions existed, tests' fixed dates),
so a missing partition never fails a cycle. The partitions live in their own schema
(PARTITION_SCHEMA), out of the application's table list.

- Created ahead: the worker's maintenance job (and the embedded retention loop, and `hems
  backfill` for its period) creates the partitions of yesterday .. today + AHEAD_DAYS; the
  migration creates them for the days of the existing data as well. A day whose rows are already
  in the DEFAULT partition keeps them there (PostgreSQL refuses the new partition); retention
  deletes them from there row by row.
- Retention drops a day partition once its whole day is older than the cut-off (so up to one
  day more than the retention period is kept), and deletes the DEFAULT partition's older rows.
- Quarter-hour partitions are written with half-empty pages (HOT updates by every cycle of a
  quarter); once their day is over they are compacted (`compact_quarters`).

pg_partman is not needed (nothing here conflicts with it either).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import cast

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

#: The partitioned tables and their partitions' storage parameters. Quarter-hour rows are
#: updated by every cycle of their quarter: half-empty pages keep those updates HOT.
PARTITIONED = {
    "energy_minute": "",
    "home_energy_minute": "",
    "energy_quarter_hour": " WITH (fillfactor = 50)",
}
PARTITION_SCHEMA = "history_partitions"
#: Days of partitions created ahead of today.
AHEAD_DAYS = 3

logger = logging.getLogger("hems.history")

_NAME = re.compile(r"^(?P<table>[a-z_]+)_p(?P<day>\d{8})$")


def partition_name(table: str, day: date) -> str:
    return f"{table}_p{day:%Y%m%d}"


def default_name(table: str) -> str:
    return f"{table}_default"


def day_bounds(day: date) -> tuple[datetime, datetime]:
    lo = datetime.combine(day, time(), UTC)
    return lo, lo + timedelta(days=1)


def schema_sql() -> str:
    return f"CREATE SCHEMA IF NOT EXISTS {PARTITION_SCHEMA}"


def default_sql(table: str) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {PARTITION_SCHEMA}.{default_name(table)} "
        f"PARTITION OF {table} DEFAULT{PARTITIONED[table]}"
    )


def create_sql(table: str, day: date) -> str:
    lo, hi = day_bounds(day)
    return (
        f"CREATE TABLE IF NOT EXISTS {PARTITION_SCHEMA}.{partition_name(table, day)} "
        f"PARTITION OF {table} FOR VALUES FROM ('{lo.isoformat()}') TO ('{hi.isoformat()}')"
        f"{PARTITIONED[table]}"
    )


def default_has_rows_sql(table: str, day: date) -> str:
    """Whether the DEFAULT partition holds rows of `day` (then the day cannot get a partition)."""
    lo, hi = day_bounds(day)
    return (
        f"SELECT EXISTS (SELECT 1 FROM {PARTITION_SCHEMA}.{default_name(table)} "
        f"WHERE bucket_start >= '{lo.isoformat()}' AND bucket_start < '{hi.isoformat()}')"
    )


#: The day partitions that exist: (schema-qualified partition name).
LIST_SQL = (
    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
    "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = :table"
)


def parse(name: str) -> tuple[str, date] | None:
    """(table, day) of a day partition's name, None for any other name (the DEFAULT one)."""
    m = _NAME.match(name)
    if m is None:
        return None
    return m["table"], datetime.strptime(m["day"], "%Y%m%d").date()


def days(start: date, end: date) -> Iterable[date]:
    """Every day of [start, end]."""
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def window(now: datetime) -> tuple[date, date]:
    """The days the maintenance keeps partitions for: yesterday .. today + AHEAD_DAYS."""
    today = now.astimezone(UTC).date()
    return today - timedelta(days=1), today + timedelta(days=AHEAD_DAYS)


def expired(day: date, before: datetime) -> bool:
    """Whether the whole of `day` is older than `before` (its partition can be dropped)."""
    return day_bounds(day)[1] <= before


async def ensure_partitions(session: AsyncSession, start: date, end: date) -> int:
    """Create the missing day partitions of [start, end] of every partitioned table (PostgreSQL;
    nothing on SQLite); how many were created. The caller commits."""
    if session.get_bind().dialect.name != "postgresql":
        return 0
    created = 0
    for table in PARTITIONED:
        existing = {
            parsed[1]
            for (name,) in (await session.execute(text(LIST_SQL), {"table": table})).all()
            if (parsed := parse(str(name))) is not None
        }
        for day in days(start, end):
            if day in existing:
                continue
            if (await session.execute(text(default_has_rows_sql(table, day)))).scalar():
                continue  # that day's rows stay in the DEFAULT partition
            await session.execute(text(create_sql(table, day)))
            created += 1
    return created


#: How long a partition drop waits for its parent table's lock. Detaching a partition takes
#: the parent's exclusive lock: it waits for the transactions that hold the parent (a cycle's
#: batch, a long history read), and every statement on the parent that comes after it queues
#: behind it. Past this wait the drop gives up until the next maintenance run, so a slow reader
#: can never make the cycle wait with it.
DROP_LOCK_TIMEOUT_MS = 2000
#: PostgreSQL's SQLSTATE of a statement that gave up waiting for a lock (`lock_timeout`).
LOCK_NOT_AVAILABLE = "55P03"

#: Tables of the partition schema that are no partition (any more): days detached by a drop that
#: was interrupted before its `DROP TABLE`.
DETACHED_SQL = (
    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = :schema AND c.relkind = 'r' AND NOT c.relispartition"
)


async def _locked(session: AsyncSession, sql: str, lock_timeout_ms: int, name: str) -> bool:
    """Run `sql` in a transaction of its own under `lock_timeout_ms` and commit; False (rolled
    back, logged) when it gave up waiting for a lock."""
    try:
        await session.execute(text(f"SET LOCAL lock_timeout = '{int(lock_timeout_ms)}ms'"))
        await session.execute(text(sql))
        await session.commit()
    except DBAPIError as exc:
        await session.rollback()
        if getattr(exc.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            raise
        logger.warning(
            "history partition drop postponed: its table is busy",
            extra={"partition": name, "lock_timeout_ms": lock_timeout_ms},
        )
        return False
    return True


async def drop_expired(
    session: AsyncSession,
    table: str,
    before: datetime,
    *,
    lock_timeout_ms: int = DROP_LOCK_TIMEOUT_MS,
) -> list[date]:
    """Drop `table`'s day partitions whose whole day is older than `before` (PostgreSQL); the
    days dropped.

    Each partition is first detached, in a transaction of its own (committed here), so the
    parent's exclusive lock is held for a catalog change only; then the detached table is
    dropped, which frees its files (hundreds of megabytes at fleet scale) while locking nothing
    the cycle or the readers use. A step that does not get its lock within `lock_timeout_ms` is
    rolled back and logged, and its day is left for the next run, as is a day detached by a run
    interrupted before its drop."""
    if session.get_bind().dialect.name != "postgresql":
        return []

    def due(names: Iterable[object]) -> list[tuple[str, date]]:
        return [
            (str(name), parsed[1])
            for name in names
            if (parsed := parse(str(name))) is not None
            and parsed[0] == table
            and expired(parsed[1], before)
        ]

    attached = due(r[0] for r in await session.execute(text(LIST_SQL), {"table": table}))
    detached = due(
        r[0] for r in await session.execute(text(DETACHED_SQL), {"schema": PARTITION_SCHEMA})
    )
    await session.commit()
    gone: list[date] = []
    for name, day in sorted(attached + detached, key=lambda d: d[1]):
        qualified = f"{PARTITION_SCHEMA}.{name}"
        if (name, day) in attached and not await _locked(
            session, f"ALTER TABLE {table} DETACH PARTITION {qualified}", lock_timeout_ms, name
        ):
            continue
        if await _locked(session, f"DROP TABLE IF EXISTS {qualified}", lock_timeout_ms, name):
            gone.append(day)
    return gone


#: Day partitions this many days old or more are compacted (their day is over, no cycle writes
#: them any more: the free space of their pages is only waste).
COMPACT_AFTER_DAYS = 2

_OPTIONS_SQL = (
    "SELECT c.relname, c.reloptions, (SELECT array_agg(ic.relname || '=' || "
    "coalesce(array_to_string(ic.reloptions, ','), '')) FROM pg_index x "
    "JOIN pg_class ic ON ic.oid = x.indexrelid "
    # B-trees only: BRIN (the quarter hours' `bucket_start`) has no fillfactor.
    "JOIN pg_am am ON am.oid = ic.relam AND am.amname = 'btree' WHERE x.indrelid = c.oid) "
    "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
    "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = :table"
)


async def compact_quarters(engine: AsyncEngine, now: datetime) -> list[date]:
    """Compact the finished day partitions of every partitioned table, once each
    (PostgreSQL); the days of `energy_quarter_hour` compacted (see `compact_days`)."""
    return (await compact_days(engine, now)).get("energy_quarter_hour", [])


async def compact_days(engine: AsyncEngine, now: datetime) -> dict[str, list[date]]:
    """Rewrite the finished days' partitions with full pages, once each (PostgreSQL); the days
    compacted per table.

    - `energy_quarter_hour`: written with half-empty pages, for the cycles' HOT updates; a day
      at least COMPACT_AFTER_DAYS old is never updated again: fillfactor 100 and `VACUUM FULL`
      (heap and indexes), which locks only that partition: reads of that day's quarter hours
      wait for it, cycles (which write today's partition) do not.
    - `energy_minute`, `home_energy_minute`: insert-only heaps (already full), but their primary
      keys are half-empty (each cycle inserts one key per subject in the middle of the index,
      and those leaf pages split 50:50): `REINDEX CONCURRENTLY` (reads and writes go on).

    The indexes of a compacted day are rebuilt with fillfactor 100 (no key is added to them any
    more), which also marks the day as done.
    """
    if engine.dialect.name != "postgresql":
        return {}
    last = now.astimezone(UTC).date() - timedelta(days=COMPACT_AFTER_DAYS)
    done: dict[str, list[date]] = {}
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        for table in PARTITIONED:
            found = (await conn.execute(text(_OPTIONS_SQL), {"table": table})).all()
            for name, options, indexes in found:
                parsed = parse(str(name))
                index_options = {
                    str(i).split("=", 1)[0]: str(i).split("=", 1)[1]
                    for i in cast(list[object], indexes or [])
                }
                packed = all("fillfactor=100" in o for o in index_options.values())
                if parsed is None or parsed[1] > last or packed:
                    continue
                qualified = f"{PARTITION_SCHEMA}.{name}"
                for index in index_options:
                    await conn.execute(
                        text(f"ALTER INDEX {PARTITION_SCHEMA}.{index} SET (fillfactor = 100)")
                    )
                if "fillfactor=50" in [str(o) for o in cast(list[object], options or [])]:
                    await conn.execute(text(f"ALTER TABLE {qualified} SET (fillfactor = 100)"))
                    await conn.execute(text(f"VACUUM (FULL, ANALYZE) {qualified}"))
                else:
                    await conn.execute(text(f"REINDEX TABLE CONCURRENTLY {qualified}"))
                done.setdefault(table, []).append(parsed[1])
    return {t: sorted(d) for t, d in done.items()}
