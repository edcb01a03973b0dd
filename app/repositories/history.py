"""SQL of the energy history: record a batch's interval (insert once, roll up), read, prune.

Idempotency: a cycle's rows go into `energy_minute` with `ON CONFLICT DO NOTHING`, and only the
rows that were actually inserted are added to their hour and day rollups
(`ON CONFLICT DO UPDATE SET x = x + excluded.x`). A re-run, retried or concurrently repeated
batch therefore never double counts, and all three tables change in the batch's transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, delete, literal_column, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app import models
from app.db import asyncpg_connection
from app.models.history import ENERGY_COLUMNS


class HistoryTable(Enum):
    MINUTE = "energy_minute"
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
    """One cycle's interval for a batch: column arrays, one entry per subject (device or user)."""

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

    def __len__(self) -> int:
        return len(self.subject_id)

    def energies(self) -> list[list[float]]:
        return [getattr(self, name) for name in ENERGY_COLUMNS]

    def take(self, index: Sequence[int]) -> HistoryRows:
        """The rows at `index`, same interval."""

        def pick(values: list[Any]) -> list[Any]:
            return [values[i] for i in index]

        return HistoryRows(
            minute_start=self.minute_start,
            hour_start=self.hour_start,
            subject_id=pick(self.subject_id),
            user_id=pick(self.user_id),
            day_start=pick(self.day_start),
            **{name: pick(getattr(self, name)) for name in ENERGY_COLUMNS},
        )


_COLS = ", ".join(ENERGY_COLUMNS)
_V_COLS = ", ".join(f"v.{c}" for c in ENERGY_COLUMNS)


def _add_set(table: str) -> str:
    return ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in ENERGY_COLUMNS)


# One round trip on PostgreSQL: the arrays are unnested once, the minute insert reports which
# subjects were new, and only those are added to the rollups.
_PG_RECORD = f"""
WITH v AS (
    SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[], $4::float8[], $5::float8[],
                         $6::float8[], $7::float8[], $8::float8[], $9::float8[])
        AS v(subject_id, user_id, day_start, {_COLS})
), fresh AS (
    INSERT INTO energy_minute (subject_id, bucket_start, user_id, {_COLS})
    SELECT v.subject_id, $10::timestamptz, v.user_id, {_V_COLS} FROM v
    ON CONFLICT (subject_id, bucket_start) DO NOTHING
    RETURNING subject_id
), hour AS (
    INSERT INTO energy_hour (subject_id, bucket_start, user_id, {_COLS})
    SELECT v.subject_id, $11::timestamptz, v.user_id, {_V_COLS} FROM v JOIN fresh USING (subject_id)
    ON CONFLICT (subject_id, bucket_start) DO UPDATE SET {_add_set("energy_hour")}
)
INSERT INTO energy_day (subject_id, bucket_start, user_id, {_COLS})
SELECT v.subject_id, v.day_start, v.user_id, {_V_COLS} FROM v JOIN fresh USING (subject_id)
ON CONFLICT (subject_id, bucket_start) DO UPDATE SET {_add_set("energy_day")}
"""

# The same for the per-home tables (no owner column; subject_id is the home id).
_PG_RECORD_HOMES = f"""
WITH v AS (
    SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::float8[], $4::float8[],
                         $5::float8[], $6::float8[], $7::float8[], $8::float8[])
        AS v(home_id, day_start, {_COLS})
), fresh AS (
    INSERT INTO home_energy_minute (home_id, bucket_start, {_COLS})
    SELECT v.home_id, $9::timestamptz, {_V_COLS} FROM v
    ON CONFLICT (home_id, bucket_start) DO NOTHING
    RETURNING home_id
), hour AS (
    INSERT INTO home_energy_hour (home_id, bucket_start, {_COLS})
    SELECT v.home_id, $10::timestamptz, {_V_COLS} FROM v JOIN fresh USING (home_id)
    ON CONFLICT (home_id, bucket_start) DO UPDATE SET {_add_set("home_energy_hour")}
)
INSERT INTO home_energy_day (home_id, bucket_start, {_COLS})
SELECT v.home_id, v.day_start, {_V_COLS} FROM v JOIN fresh USING (home_id)
ON CONFLICT (home_id, bucket_start) DO UPDATE SET {_add_set("home_energy_day")}
"""

#: Rows per statement on SQLite (11 parameters each, below its 32766-parameter limit).
_SQLITE_CHUNK = 2000
#: Rows deleted per statement when pruning (keeps each transaction short).
PRUNE_CHUNK = 50_000


class HistoryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def _dialect(self) -> str:
        return self.session.get_bind().dialect.name

    async def record(self, rows: HistoryRows, homes: HistoryRows | None = None) -> None:
        """Insert a cycle's interval rows once and add the new ones to their hour/day rollups;
        `homes` (subject = home id) go the same way into the per-home tables."""
        if homes is not None and len(homes):
            await self._record_homes(homes)
        if not len(rows):
            return
        if self._dialect == "postgresql":
            await (await asyncpg_connection(self.session)).execute(
                _PG_RECORD,
                rows.subject_id,
                rows.user_id,
                rows.day_start,
                *rows.energies(),
                rows.minute_start,
                rows.hour_start,
            )
            return
        for lo in range(0, len(rows), _SQLITE_CHUNK):
            await self._record_portable(rows, lo, min(lo + _SQLITE_CHUNK, len(rows)))

    async def _record_homes(self, rows: HistoryRows) -> None:
        if self._dialect == "postgresql":
            await (await asyncpg_connection(self.session)).execute(
                _PG_RECORD_HOMES,
                rows.subject_id,
                rows.day_start,
                *rows.energies(),
                rows.minute_start,
                rows.hour_start,
            )
            return
        for lo in range(0, len(rows), _SQLITE_CHUNK):
            await self._record_portable(rows, lo, min(lo + _SQLITE_CHUNK, len(rows)), homes=True)

    async def _record_portable(
        self, rows: HistoryRows, lo: int, hi: int, *, homes: bool = False
    ) -> None:
        insert: Callable[[Table], Any] = (
            sqlite.insert if self._dialect == "sqlite" else postgresql.insert
        )
        energies = rows.energies()
        key = "home_id" if homes else "subject_id"

        def values(i: int, bucket: datetime) -> dict[str, Any]:
            out: dict[str, Any] = {key: rows.subject_id[i], "bucket_start": bucket}
            if not homes:
                out["user_id"] = rows.user_id[i]
            for name, column in zip(ENERGY_COLUMNS, energies, strict=True):
                out[name] = column[i]
            return out

        def table_of(kind: HistoryTable) -> Table:
            return kind.home_table if homes else kind.table

        minute = table_of(HistoryTable.MINUTE)
        stmt = (
            insert(minute)
            .values([values(i, rows.minute_start) for i in range(lo, hi)])
            .on_conflict_do_nothing(index_elements=[key, "bucket_start"])
            .returning(minute.c[key])
        )
        fresh: set[uuid.UUID] = set((await self.session.execute(stmt)).scalars())
        index = [i for i in range(lo, hi) if rows.subject_id[i] in fresh]
        if not index:
            return
        hour_starts = [rows.hour_start] * len(rows)
        for kind, starts in ((HistoryTable.HOUR, hour_starts), (HistoryTable.DAY, rows.day_start)):
            table = table_of(kind)
            up = insert(table).values([values(i, starts[i]) for i in index])
            await self.session.execute(
                up.on_conflict_do_update(
                    index_elements=[key, "bucket_start"],
                    set_={c: table.c[c] + up.excluded[c] for c in ENERGY_COLUMNS},
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
        < end, oldest first; each row's `subject_id` is its subject (home) id."""
        table = kind.home_table if home else kind.table
        key = table.c.home_id if home else table.c.subject_id
        stmt = (
            select(
                key.label("subject_id"), table.c.bucket_start, *(table.c[c] for c in ENERGY_COLUMNS)
            )
            .where(
                key.in_(subject_ids),
                table.c.bucket_start >= start,
                table.c.bucket_start < end,
            )
            .order_by(table.c.bucket_start)
        )
        return (await self.session.execute(stmt)).all()

    async def prune_minutes(
        self, before: datetime, *, limit: int = PRUNE_CHUNK, devices_only: bool = False
    ) -> int:
        """Delete up to `limit` interval rows older than `before`; returns how many went.

        `devices_only` keeps the homes' rows (subject = owner) and deletes the devices' ones.
        The per-home interval rows (`home_energy_minute`) go with the totals' retention.
        """
        table = HistoryTable.MINUTE.table
        if self._dialect == "postgresql":
            only = " AND subject_id <> user_id" if devices_only else ""
            status: str = await (await asyncpg_connection(self.session)).execute(
                "DELETE FROM energy_minute WHERE ctid = ANY(ARRAY("
                f"SELECT ctid FROM energy_minute WHERE bucket_start < $1{only} LIMIT $2))",
                before,
                limit,
            )
            return int(status.rsplit(" ", 1)[-1])
        rowid: ColumnElement[Any] = literal_column("rowid")
        victims = select(rowid).select_from(table).where(table.c.bucket_start < before)
        if devices_only:
            victims = victims.where(table.c.subject_id != table.c.user_id)
        result = await self.session.execute(delete(table).where(rowid.in_(victims.limit(limit))))
        return int(cast(Any, result).rowcount)

    async def prune_home_minutes(self, before: datetime, *, limit: int = PRUNE_CHUNK) -> int:
        """Delete up to `limit` per-home interval rows older than `before`; how many went."""
        table = HistoryTable.MINUTE.home_table
        if self._dialect == "postgresql":
            status: str = await (await asyncpg_connection(self.session)).execute(
                "DELETE FROM home_energy_minute WHERE ctid = ANY(ARRAY("
                "SELECT ctid FROM home_energy_minute WHERE bucket_start < $1 LIMIT $2))",
                before,
                limit,
            )
            return int(status.rsplit(" ", 1)[-1])
        rowid: ColumnElement[Any] = literal_column("rowid")
        victims = select(rowid).select_from(table).where(table.c.bucket_start < before)
        result = await self.session.execute(delete(table).where(rowid.in_(victims.limit(limit))))
        return int(cast(Any, result).rowcount)
