"""SQL of the energy history: record a batch's interval (insert once, roll up), read, prune.

Idempotency: a cycle's rows go into `energy_minute` with `ON CONFLICT DO NOTHING`, and only the
rows that were actually inserted are added to their hour and day rollups
(`ON CONFLICT DO UPDATE SET x = x + excluded.x`). A re-run, retried or concurrently repeated
batch therefore never double counts, and all three tables change in the batch's transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Float,
    Select,
    String,
    Table,
    delete,
    func,
    literal,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app import models
from app.db import asyncpg_connection
from app.models.history import (
    DEVICE_COLUMNS,
    DEVICE_NULL_COLUMNS,
    HISTORY_COLUMNS,
    MONEY_COLUMNS,
)
from app.repositories.partitions import PARTITION_SCHEMA, default_name
from app.repositories.rollup import LATE_HOURS
from app.simulation.calendar import local_day_start, zone


class HistoryTable(Enum):
    MINUTE = "energy_minute"
    #: Devices only (no home table of this resolution).
    QUARTER = "energy_quarter_hour"
    HOUR = "energy_hour"
    DAY = "energy_day"

    @property
    def table(self) -> Table:
        return models.Base.metadata.tables[self.value]

    @property
    def home_table(self) -> Table:
        """The per-home table of the same resolution (`home_energy_*`, keyed by home_id)."""
        return models.Base.metadata.tables[f"home_{self.value}"]


@dataclass(frozen=True, slots=True)
class HistoryRows:
    """One cycle's interval for a batch: column arrays, one entry per subject (device or user).

    Money (`import_cost`, `export_revenue`, and `fixed_charge`, which only the day rows keep)
    may be shorter than the subjects: it covers the first rows, the others have none (0). The
    cycle puts its user rows first, so the devices' zeros never travel to the database.
    """

    minute_start: datetime
    hour_start: datetime
    subject_id: list[uuid.UUID]
    user_id: list[uuid.UUID]
    day_start: list[datetime]
    produced_wh: list[float]
    consumed_wh: list[float]
    charged_wh: list[float]
    discharged_wh: list[float]
    imported_wh: list[float]
    exported_wh: list[float]
    import_cost: list[float] = field(default_factory=list)
    export_revenue: list[float] = field(default_factory=list)
    fixed_charge: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.subject_id)

    def columns(self) -> list[list[float]]:
        """The HISTORY_COLUMNS, money as given (possibly shorter)."""
        return [getattr(self, name) for name in HISTORY_COLUMNS]

    def value(self, name: str, i: int) -> float:
        """Row i's figure `name` (a HISTORY_COLUMNS name or fixed_charge), 0 where not given."""
        values: list[float] = getattr(self, name)
        return values[i] if i < len(values) else 0.0


@dataclass(frozen=True, slots=True)
class DayCostRequest:
    """The homes whose day cost so far the cycle wants back (its priced homes): the start of
    each one's local day, and the fixed charge that day has when it has no row yet."""

    home_id: list[uuid.UUID]
    day_start: list[datetime]
    fixed_charge: list[float]

    def __len__(self) -> int:
        return len(self.home_id)


_COLS = ", ".join(HISTORY_COLUMNS)
_N = len(HISTORY_COLUMNS)


def _v_col(alias: str, c: str) -> str:
    # Money arrays may be shorter than the rows (unnest pads them with NULL): 0 where absent.
    return f"COALESCE({alias}.{c}, 0)" if c in MONEY_COLUMNS else f"{alias}.{c}"


def _v_cols(alias: str = "v") -> str:
    return ", ".join(_v_col(alias, c) for c in HISTORY_COLUMNS)


_V_COLS = _v_cols()


def _rollup_cols(alias: str) -> str:
    """The users' and devices' rollup values: NULL grid and money on a device row (always 0
    there; NULL takes no bytes in the row)."""
    return ", ".join(
        f"CASE WHEN {alias}.subject_id = {alias}.user_id THEN {_v_col(alias, c)} END"
        if c in DEVICE_NULL_COLUMNS
        else _v_col(alias, c)
        for c in HISTORY_COLUMNS
    )


def _add_set(table: str, columns: Sequence[str] = HISTORY_COLUMNS) -> str:
    """The rollup update: every additive column (never the day's fixed charge)."""
    return ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in columns)


_DEV_COLS = ", ".join(DEVICE_COLUMNS)
_QUARTER_SET = _add_set("energy_quarter_hour", DEVICE_COLUMNS)


def quarter_start(instant: datetime) -> datetime:
    """Start of the 15-minute UTC bucket holding `instant`."""
    epoch = int(instant.timestamp())
    return datetime.fromtimestamp(epoch - epoch % 900, UTC)


def _floats(first: int, count: int) -> str:
    return ", ".join(f"${i}::float8[]" for i in range(first, first + count))


# One round trip on PostgreSQL: the arrays are unnested once; the minute insert takes the users'
# rows (and the devices' with HISTORY_DEVICE_MINUTE, the last parameter) and reports which were
# new; a user's row is new exactly when its interval is recorded for the first time, so only the
# rows of those users (the user's and its devices') are added to the quarter hours (devices),
# hours and days: a device's hour and day only when its hour is before `history_rollup`'s
# `rolled_until` (later ones are rolled up from the quarters by the maintenance job). A re-run
# finds the user's minute row and adds nothing. (A device row is never without its user's
# row: the user's figures are the sums of its devices', all >= 0.) The day's fixed charge is
# written by the insert that creates the day row and left alone by the updates.
_PG_RECORD = f"""
WITH v AS (
    SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[], {_floats(4, _N + 1)})
        AS v(subject_id, user_id, day_start, {_COLS}, fixed_charge)
), fresh AS (
    INSERT INTO energy_minute (subject_id, bucket_start, user_id, {_COLS})
    SELECT v.subject_id, ${_N + 5}::timestamptz, v.user_id, {_V_COLS} FROM v
    WHERE v.subject_id = v.user_id OR ${_N + 8}::boolean
    ON CONFLICT (subject_id, bucket_start) DO NOTHING
    RETURNING subject_id
), n AS (
    SELECT v.* FROM v WHERE v.user_id IN (SELECT subject_id FROM fresh)
), quarter AS (
    INSERT INTO energy_quarter_hour (subject_id, bucket_start, user_id, {_DEV_COLS})
    SELECT n.subject_id, ${_N + 7}::timestamptz, n.user_id, {_DEV_COLS} FROM n
    WHERE n.subject_id <> n.user_id
    ON CONFLICT (subject_id, bucket_start) DO UPDATE SET {_QUARTER_SET}
), late AS (
    SELECT rolled_until FROM history_rollup
    WHERE id = 1 AND ${_N + 6}::timestamptz < now() - interval '{LATE_HOURS} hours' FOR SHARE
), r AS (
    SELECT n.* FROM n
    WHERE n.subject_id = n.user_id OR ${_N + 6}::timestamptz < COALESCE(
        (SELECT rolled_until FROM late),
        (SELECT rolled_until FROM history_rollup WHERE id = 1),
        'infinity'::timestamptz)
), hour AS (
    INSERT INTO energy_hour (subject_id, bucket_start, user_id, {_COLS})
    SELECT r.subject_id, ${_N + 6}::timestamptz, r.user_id, {_rollup_cols("r")} FROM r
    ON CONFLICT (subject_id, bucket_start) DO UPDATE SET {_add_set("energy_hour")}
)
INSERT INTO energy_day (subject_id, bucket_start, user_id, {_COLS}, fixed_charge)
SELECT r.subject_id, r.day_start, r.user_id, {_rollup_cols("r")},
    CASE WHEN r.subject_id = r.user_id THEN COALESCE(r.fixed_charge, 0) END FROM r
ON CONFLICT (subject_id, bucket_start) DO UPDATE SET {_add_set("energy_day")}
"""

# The same for the per-home tables (no owner column; subject_id is the home id). It also answers
# the day cost so far of the requested homes (the last three arrays): the day row as this
# statement leaves it (RETURNING of the upsert), or as it was when this interval added nothing to
# it (the statement's snapshot), or the fixed charge alone when the day has no row yet.
_PG_RECORD_HOMES = f"""
WITH v AS (
    SELECT * FROM unnest($1::uuid[], $2::timestamptz[], {_floats(3, _N + 1)})
        AS v(home_id, day_start, {_COLS}, fixed_charge)
), fresh AS (
    INSERT INTO home_energy_minute (home_id, bucket_start, {_COLS})
    SELECT v.home_id, ${_N + 4}::timestamptz, {_V_COLS} FROM v
    ON CONFLICT (home_id, bucket_start) DO NOTHING
    RETURNING home_id
), hour AS (
    INSERT INTO home_energy_hour (home_id, bucket_start, {_COLS})
    SELECT v.home_id, ${_N + 5}::timestamptz, {_V_COLS} FROM v JOIN fresh USING (home_id)
    ON CONFLICT (home_id, bucket_start) DO UPDATE SET {_add_set("home_energy_hour")}
), day AS (
    INSERT INTO home_energy_day (home_id, bucket_start, {_COLS}, fixed_charge)
    SELECT v.home_id, v.day_start, {_V_COLS}, COALESCE(v.fixed_charge, 0)
    FROM v JOIN fresh USING (home_id)
    ON CONFLICT (home_id, bucket_start) DO UPDATE SET {_add_set("home_energy_day")}
    RETURNING home_id, import_cost - export_revenue + fixed_charge AS cost
)
SELECT w.home_id, COALESCE(day.cost, d.import_cost - d.export_revenue + d.fixed_charge,
                           w.fixed_charge) AS cost
FROM unnest(${_N + 6}::uuid[], ${_N + 7}::timestamptz[], ${_N + 8}::float8[])
    AS w(home_id, day_start, fixed_charge)
LEFT JOIN day ON day.home_id = w.home_id
LEFT JOIN home_energy_day d ON d.home_id = w.home_id AND d.bucket_start = w.day_start
"""

#: Rows per statement on SQLite (14 parameters each, below its 32766-parameter limit).
_SQLITE_CHUNK = 2000
#: Rows deleted per statement when pruning (keeps each transaction short).
PRUNE_CHUNK = 50_000


def _no_rows(like: HistoryRows) -> HistoryRows:
    """An empty interval (the homes' rows when only day costs are asked for)."""
    return HistoryRows(like.minute_start, like.hour_start, [], [], [], [], [], [], [], [], [])


class HistoryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def _dialect(self) -> str:
        return self.session.get_bind().dialect.name

    async def record(
        self,
        rows: HistoryRows,
        homes: HistoryRows | None = None,
        day_cost: DayCostRequest | None = None,
        *,
        device_minute: bool = False,
    ) -> dict[uuid.UUID, float]:
        """Insert a cycle's interval rows once and add the new ones to their rollups (devices:
        quarter hour, hour, day; users: hour, day); `homes` (subject = home id) go the same way
        into the per-home tables. Devices get interval rows too with `device_minute`. Returns
        the day cost so far (import cost - export revenue + fixed charge) of the homes of
        `day_cost`, read by the same statement that writes the homes' rows on PostgreSQL."""
        cost: dict[uuid.UUID, float] = {}
        if (homes is not None and len(homes)) or (day_cost is not None and len(day_cost)):
            cost = await self._record_homes(
                homes if homes is not None else _no_rows(rows), day_cost
            )
        if not len(rows):
            return cost
        if self._dialect == "postgresql":
            await (await asyncpg_connection(self.session)).execute(
                _PG_RECORD,
                rows.subject_id,
                rows.user_id,
                rows.day_start,
                *rows.columns(),
                rows.fixed_charge,
                rows.minute_start,
                rows.hour_start,
                quarter_start(rows.minute_start),
                device_minute,
            )
            return cost
        await self._record_portable(rows, device_minute=device_minute)
        return cost

    async def _record_homes(
        self, rows: HistoryRows, day_cost: DayCostRequest | None
    ) -> dict[uuid.UUID, float]:
        wanted = day_cost if day_cost is not None else DayCostRequest([], [], [])
        if self._dialect == "postgresql":
            found = await (await asyncpg_connection(self.session)).fetch(
                _PG_RECORD_HOMES,
                rows.subject_id,
                rows.day_start,
                *rows.columns(),
                rows.fixed_charge,
                rows.minute_start,
                rows.hour_start,
                wanted.home_id,
                wanted.day_start,
                wanted.fixed_charge,
            )
            return {r[0]: float(r[1]) for r in found}
        await self._record_portable(rows, homes=True)
        return await self.day_costs(wanted)

    async def day_costs(self, wanted: DayCostRequest) -> dict[uuid.UUID, float]:
        """The day cost so far of each requested home (one query): its day row's import cost -
        export revenue + fixed charge, or the request's fixed charge when there is no row."""
        if not len(wanted):
            return {}
        table = HistoryTable.DAY.home_table
        stmt = select(
            table.c.home_id,
            table.c.bucket_start,
            table.c.import_cost - table.c.export_revenue + table.c.fixed_charge,
        ).where(
            table.c.home_id.in_(set(wanted.home_id)),
            table.c.bucket_start.in_(set(wanted.day_start)),
        )
        stored = {(r[0], r[1]): float(r[2]) for r in (await self.session.execute(stmt)).all()}
        return {
            home: stored.get((home, day), fixed)
            for home, day, fixed in zip(
                wanted.home_id, wanted.day_start, wanted.fixed_charge, strict=True
            )
        }

    async def _record_portable(
        self, rows: HistoryRows, *, homes: bool = False, device_minute: bool = False
    ) -> None:
        """SQLite: the same as the PostgreSQL statements, in multi-row statements of at most
        _SQLITE_CHUNK rows (the minute inserts first: they decide which rows are new)."""
        insert: Callable[[Table], Any] = (
            sqlite.insert if self._dialect == "sqlite" else postgresql.insert
        )
        key = "home_id" if homes else "subject_id"

        def values(
            i: int, bucket: datetime, *, day: bool = False, columns: Sequence[str] = HISTORY_COLUMNS
        ) -> dict[str, Any]:
            out: dict[str, Any] = {key: rows.subject_id[i], "bucket_start": bucket}
            if not homes:
                out["user_id"] = rows.user_id[i]
            for name in columns:
                out[name] = rows.value(name, i)
            if day:
                out["fixed_charge"] = rows.value("fixed_charge", i)
            return out

        def table_of(kind: HistoryTable) -> Table:
            return kind.home_table if homes else kind.table

        def chunks(index: list[int]) -> Iterator[list[int]]:
            for lo in range(0, len(index), _SQLITE_CHUNK):
                yield index[lo : lo + _SQLITE_CHUNK]

        everything = list(range(len(rows)))
        is_device = [not homes and rows.subject_id[i] != rows.user_id[i] for i in everything]
        minute = table_of(HistoryTable.MINUTE)
        fresh: set[uuid.UUID] = set()
        for part in chunks([i for i in everything if device_minute or not is_device[i]]):
            stmt = (
                insert(minute)
                .values([values(i, rows.minute_start) for i in part])
                .on_conflict_do_nothing(index_elements=[key, "bucket_start"])
                .returning(minute.c[key])
            )
            fresh.update((await self.session.execute(stmt)).scalars())
        # Homes: each row is its own; users and devices: the user's row decides.
        owner = rows.subject_id if homes else rows.user_id
        index = [i for i in everything if owner[i] in fresh]
        if not index:
            return
        hour_starts = [rows.hour_start] * len(rows)
        steps: list[tuple[Table, list[datetime], list[int], Sequence[str], bool]] = []
        if not homes:
            quarters = [quarter_start(rows.minute_start)] * len(rows)
            devices = [i for i in index if is_device[i]]
            steps.append((HistoryTable.QUARTER.table, quarters, devices, DEVICE_COLUMNS, False))
        steps.append((table_of(HistoryTable.HOUR), hour_starts, index, HISTORY_COLUMNS, False))
        steps.append((table_of(HistoryTable.DAY), rows.day_start, index, HISTORY_COLUMNS, True))
        for table, starts, which, columns, day in steps:
            for part in chunks(which):
                up = insert(table).values(
                    [values(i, starts[i], day=day, columns=columns) for i in part]
                )
                await self.session.execute(
                    up.on_conflict_do_update(
                        index_elements=[key, "bucket_start"],
                        set_={c: table.c[c] + up.excluded[c] for c in columns},
                    )
                )

    async def rows(
        self,
        kind: HistoryTable,
        subject_ids: Collection[uuid.UUID],
        start: datetime,
        end: datetime,
        *,
        home: bool = False,
    ) -> Sequence[Any]:
        """Stored rows of these subjects (homes' rows with `home`) with start <= bucket_start
        < end, oldest first; each row's `subject_id` is its subject (home) id. Day rows also
        carry their `fixed_charge`."""
        stmt = rows_statement(kind, subject_ids, start, end, home=home)
        found: Sequence[Any] = (await self.session.execute(stmt)).all()
        if kind is HistoryTable.DAY and not home:
            return _on_home_days(found, start, end)
        return found

    async def _pg_prune_default(self, table: str, before: datetime, limit: int) -> int:
        """PostgreSQL: delete up to `limit` rows older than `before` from `table`'s DEFAULT
        partition (the day partitions go whole: app.repositories.partitions)."""
        name = f"{PARTITION_SCHEMA}.{default_name(table)}"
        status: str = await (await asyncpg_connection(self.session)).execute(
            f"DELETE FROM {name} WHERE ctid = ANY(ARRAY("
            f"SELECT ctid FROM {name} WHERE bucket_start < $1 LIMIT $2))",
            before,
            limit,
        )
        return int(status.rsplit(" ", 1)[-1])

    async def _sqlite_prune(
        self, table: Table, before: datetime, limit: int, *, devices_only: bool = False
    ) -> int:
        rowid: ColumnElement[Any] = literal_column("rowid")
        victims = select(rowid).select_from(table).where(table.c.bucket_start < before)
        if devices_only:
            victims = victims.where(table.c.subject_id != table.c.user_id)
        result = await self.session.execute(delete(table).where(rowid.in_(victims.limit(limit))))
        return int(cast(Any, result).rowcount)

    async def prune_minutes(
        self, before: datetime, *, limit: int = PRUNE_CHUNK, devices_only: bool = False
    ) -> int:
        """Delete up to `limit` interval rows older than `before`; returns how many went.

        `devices_only` keeps the homes' rows (subject = owner) and deletes the devices' ones
        (only written with HISTORY_DEVICE_MINUTE; on PostgreSQL from every partition, by key).
        Otherwise on PostgreSQL only the DEFAULT partition's rows (whole day partitions are
        dropped instead). The per-home interval rows (`home_energy_minute`) go with the
        totals' retention.
        """
        table = HistoryTable.MINUTE.table
        if self._dialect != "postgresql":
            return await self._sqlite_prune(table, before, limit, devices_only=devices_only)
        if not devices_only:
            return await self._pg_prune_default("energy_minute", before, limit)
        status: str = await (await asyncpg_connection(self.session)).execute(
            "DELETE FROM energy_minute WHERE (subject_id, bucket_start) IN ("
            "SELECT subject_id, bucket_start FROM energy_minute "
            "WHERE bucket_start < $1 AND subject_id <> user_id LIMIT $2)",
            before,
            limit,
        )
        return int(status.rsplit(" ", 1)[-1])

    async def prune_home_minutes(self, before: datetime, *, limit: int = PRUNE_CHUNK) -> int:
        """Delete up to `limit` per-home interval rows older than `before`; how many went."""
        if self._dialect == "postgresql":
            return await self._pg_prune_default("home_energy_minute", before, limit)
        return await self._sqlite_prune(HistoryTable.MINUTE.home_table, before, limit)

    async def prune_quarters(self, before: datetime, *, limit: int = PRUNE_CHUNK) -> int:
        """Delete up to `limit` device quarter-hour rows older than `before`; how many went."""
        if self._dialect == "postgresql":
            return await self._pg_prune_default("energy_quarter_hour", before, limit)
        return await self._sqlite_prune(HistoryTable.QUARTER.table, before, limit)


def rows_statement(
    kind: HistoryTable,
    subject_ids: Collection[uuid.UUID],
    start: datetime,
    end: datetime,
    *,
    home: bool = False,
) -> Select[Any] | CompoundSelect[Any]:
    """The read of HistoryRepository.rows (a function of its own so that the benchmark can
    EXPLAIN exactly what the resolvers run). A device's hours and days also get its quarter
    hours the maintenance job has not rolled up yet (`_unrolled`), in the same statement."""
    table = kind.home_table if home else kind.table
    key = table.c.home_id if home else table.c.subject_id
    stmt = (
        select(
            key.label("subject_id"),
            table.c.bucket_start,
            *(
                _read(table, c) if c in table.c else literal(0.0, Float).label(c)
                for c in HISTORY_COLUMNS
            ),
            *((_read(table, "fixed_charge"),) if kind is HistoryTable.DAY else ()),
            *((literal(None, String).label("timezone"),) if kind is HistoryTable.DAY else ()),
        )
        .where(
            key.in_(subject_ids),
            table.c.bucket_start >= start,
            table.c.bucket_start < end,
        )
        .order_by(table.c.bucket_start)
    )
    if home or kind not in (HistoryTable.HOUR, HistoryTable.DAY):
        return stmt
    return union_all(stmt.order_by(None), _unrolled(kind, subject_ids, start, end)).order_by(
        literal_column("bucket_start")
    )


#: How far a device's local day can start before or end after the reader's day: a device's day
#: rows follow its home's calendar, the page the reader's (app.services.history).
_DAY_REACH = timedelta(days=2)


def _unrolled(
    kind: HistoryTable, subject_ids: Collection[uuid.UUID], start: datetime, end: datetime
) -> Select[Any]:
    """The devices' quarter hours from `history_rollup.rolled_until` on (none without the row):
    what the job will add to their hours and days. Day reads also get the home's timezone, so
    `_on_home_days` puts each quarter on the day the job will."""
    q = HistoryTable.QUARTER.table
    rolled = (
        select(models.HistoryRollup.rolled_until)
        .where(models.HistoryRollup.id == 1)
        .scalar_subquery()
    )
    day = kind is HistoryTable.DAY
    lo, hi = (start - _DAY_REACH, end + _DAY_REACH) if day else (start, end)
    stmt = select(
        q.c.subject_id,
        q.c.bucket_start,
        *(q.c[c] if c in q.c else literal(0.0, Float).label(c) for c in HISTORY_COLUMNS),
        *((literal(0.0, Float).label("fixed_charge"), models.Home.timezone) if day else ()),
    ).where(
        q.c.subject_id.in_(subject_ids),
        q.c.bucket_start >= lo,
        q.c.bucket_start < hi,
        q.c.bucket_start >= rolled,
    )
    if day:
        stmt = stmt.join(models.Device, models.Device.id == q.c.subject_id).join(
            models.Home, models.Home.id == models.Device.home_id
        )
    return stmt


class DayRow(NamedTuple):
    """A device's or user's day as read (stored, or its unrolled quarters on their day)."""

    subject_id: uuid.UUID
    bucket_start: datetime
    produced_wh: float
    consumed_wh: float
    charged_wh: float
    discharged_wh: float
    imported_wh: float
    exported_wh: float
    import_cost: float
    export_revenue: float
    fixed_charge: float


def _on_home_days(found: Sequence[Any], start: datetime, end: datetime) -> list[DayRow]:
    """Day rows as stored, and each unrolled quarter hour as a row of the local day (of its
    home) it will be added to, kept when that day is in [start, end) like a stored row."""
    out: list[DayRow] = []
    days: dict[tuple[str, datetime], datetime] = {}
    unrolled = False
    for row in found:
        day = row.bucket_start
        if row.timezone is not None:
            unrolled = True
            key = (row.timezone, day)
            day = days.get(key)
            if day is None:
                day = days[key] = local_day_start(row.bucket_start, zone(row.timezone))
            if not start <= day < end:
                continue
        out.append(DayRow(row[0], day, *row[2:-1]))
    if unrolled:
        out.sort(key=lambda r: r.bucket_start)
    return out


def _read(table: Table, name: str) -> ColumnElement[Any]:
    """A history column as read: 0 where a device row leaves it NULL."""
    column = table.c[name]
    if column.nullable:
        return func.coalesce(column, 0.0).label(name)
    return column
