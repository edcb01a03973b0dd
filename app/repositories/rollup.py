"""Device rollups by the maintenance job (PostgreSQL): the watermark, and an hour rolled up.

A cycle used to add every device's energy to three rows (its quarter hour, hour and day): two
thirds of the history statement at fleet scale. With the `history_rollup` row in place it adds
to the quarter hour only (app.repositories.history, `_PG_RECORD`), and `roll_up_hour` adds the
quarters of one past hour to the devices' hour and day rows in one statement, then moves
`rolled_until` on, in the same transaction, with the row locked. Reads add the quarters from
`rolled_until` on to the rollup rows (`rows_statement`), in the same statement, so what they
answer does not depend on whether the job has run.

Users' and homes' rollups are still updated by every cycle (one row per home, not per device).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import models
from app.db import asyncpg_connection
from app.models.history import DEVICE_COLUMNS, DEVICE_NULL_COLUMNS
from app.simulation.calendar import local_day_start, zone

#: A cycle whose hour is this far behind the database clock is late (a retried batch, a backfill):
#: it locks the `history_rollup` row while it decides whether its hour is rolled up already, so
#: that it never races the maintenance job, which only rolls up hours older than ROLLUP_LAG_HOURS
#: (> LATE_HOURS: an on-time cycle's hour is never one the job is rolling, so it takes no lock).
LATE_HOURS = 2
ROLLUP_LAG_HOURS = 3

HOUR = timedelta(hours=1)
QUARTER = timedelta(minutes=15)

_COLS = ", ".join(DEVICE_COLUMNS)
_NULLS = ", ".join(DEVICE_NULL_COLUMNS)
_SUMS = ", ".join(f"sum(q.{c})" for c in DEVICE_COLUMNS)
_NONE = ", ".join("NULL" for _ in DEVICE_NULL_COLUMNS)


def _add(table: str) -> str:
    return ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in DEVICE_COLUMNS)


# $1: the hour; $2..$4: (timezone, quarter start, local day start) of every home timezone and
# quarter of the hour (computed in Python with the cycle's own calendar code, so a quarter goes
# to the day the cycle would have added it to). Grid and money stay NULL on device rows.
_ROLL_UP_HOUR = f"""
WITH q AS (
    SELECT subject_id, user_id, bucket_start, {_COLS} FROM energy_quarter_hour
    WHERE bucket_start >= $1::timestamptz AND bucket_start < $1::timestamptz + interval '1 hour'
), hour AS (
    INSERT INTO energy_hour (subject_id, bucket_start, user_id, {_COLS}, {_NULLS})
    SELECT q.subject_id, $1::timestamptz, q.user_id, {_SUMS}, {_NONE}
    FROM q GROUP BY q.subject_id, q.user_id
    ON CONFLICT (subject_id, bucket_start) DO UPDATE SET {_add("energy_hour")}
)
INSERT INTO energy_day (subject_id, bucket_start, user_id, {_COLS}, {_NULLS}, fixed_charge)
SELECT q.subject_id, m.day_start, q.user_id, {_SUMS}, {_NONE}, NULL
FROM q
JOIN device d ON d.id = q.subject_id
JOIN home h ON h.id = d.home_id
JOIN unnest($2::text[], $3::timestamptz[], $4::timestamptz[]) AS m(tz, quarter, day_start)
    ON m.tz = h.timezone AND m.quarter = q.bucket_start
GROUP BY q.subject_id, q.user_id, m.day_start
ON CONFLICT (subject_id, bucket_start) DO UPDATE SET {_add("energy_day")}
"""


def hour_floor(instant: datetime) -> datetime:
    epoch = int(instant.timestamp())
    return datetime.fromtimestamp(epoch - epoch % 3600, UTC)


def day_starts(
    hour: datetime, timezones: Sequence[str]
) -> tuple[list[str], list[datetime], list[datetime]]:
    """(timezone, quarter start, local day start) of each timezone and quarter of `hour`."""
    tzs: list[str] = []
    quarters: list[datetime] = []
    days: list[datetime] = []
    for name in timezones:
        tz = zone(name)
        for k in range(4):
            quarter = hour + k * QUARTER
            tzs.append(name)
            quarters.append(quarter)
            days.append(local_day_start(quarter, tz))
    return tzs, quarters, days


class RollupRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def rolled_until(self, *, lock: bool = False) -> datetime | None:
        """The watermark (None: no row, every cycle rolls up itself); `lock` holds the row
        until the transaction ends (the job's, so that late cycles wait for it)."""
        stmt = select(models.HistoryRollup.rolled_until).where(models.HistoryRollup.id == 1)
        if lock:
            stmt = stmt.with_for_update()
        found: datetime | None = await self.session.scalar(stmt)
        return found

    async def roll_up_hour(self, hour: datetime) -> None:
        """Add the devices' quarters of `hour` to their hour and day rows and move the watermark
        past it (the caller holds the row lock and commits)."""
        timezones = list(await self.session.scalars(select(models.Home.timezone).distinct()))
        tzs, quarters, days = day_starts(hour, timezones)
        conn = await asyncpg_connection(self.session)
        await conn.execute(_ROLL_UP_HOUR, hour, tzs, quarters, days)
        await self.set_rolled_until(hour + HOUR)

    async def has_quarters(self, start: datetime, end: datetime) -> bool:
        q = models.EnergyQuarterHour
        stmt = select(q.bucket_start).where(q.bucket_start >= start, q.bucket_start < end)
        return await self.session.scalar(stmt.limit(1)) is not None

    async def first_quarter(self, start: datetime, end: datetime) -> datetime | None:
        """The earliest quarter hour stored in [start, end) (BRIN: a scan of that stretch)."""
        q = models.EnergyQuarterHour
        found: datetime | None = await self.session.scalar(
            select(func.min(q.bucket_start)).where(q.bucket_start >= start, q.bucket_start < end)
        )
        return found

    async def set_rolled_until(self, until: datetime) -> None:
        row = await self.session.get(models.HistoryRollup, 1)
        if row is not None:
            row.rolled_until = until
            await self.session.flush()
