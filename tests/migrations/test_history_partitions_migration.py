"""Migration e7e3c5a7b9d4 keeps every interval row, fills the devices' quarter hours from their
minute rows, and (PostgreSQL) moves the interval tables into day partitions."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Float, Uuid, column, select, table, text

from app.db import create_engine
from app.models.base import UTCDateTime
from app.repositories import partitions as p
from app.repositories.history import quarter_start
from tests.migrations.helpers import database_at, migrate
from tests.migrations.test_history_cost_migration import _insert

BEFORE = "e7d2b4f6a8c3"  # device physics
AFTER = "e7e3c5a7b9d4"
FIGURES = ("produced_wh", "consumed_wh", "charged_wh", "discharged_wh")
# Recent rows (they get a day partition) across a quarter hour, and one old row (DEFAULT).
RECENT = datetime.now(UTC).replace(hour=11, minute=13, second=0, microsecond=0) - timedelta(days=2)
STARTS = [RECENT + timedelta(minutes=n) for n in range(5)] + [datetime(2025, 1, 1, tzinfo=UTC)]


def minute_table() -> Any:
    return table(
        "energy_minute",
        column("subject_id", Uuid()),
        column("bucket_start", UTCDateTime()),
        column("user_id", Uuid()),
        *(column(c, Float()) for c in FIGURES),
        column("imported_wh", Float()),
        column("exported_wh", Float()),
    )


async def _all(url: str, sql: str) -> list[tuple[Any, ...]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return [tuple(r) for r in (await conn.execute(text(sql))).all()]
    finally:
        await engine.dispose()


async def _minutes(url: str) -> dict[tuple[Any, Any], tuple[Any, ...]]:
    t = minute_table()
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(select(t))).all()
            return {(r[0], r[1]): tuple(r[2:]) for r in rows}
    finally:
        await engine.dispose()


async def _quarters(url: str) -> dict[tuple[Any, Any], tuple[Any, ...]]:
    t = table(
        "energy_quarter_hour",
        column("subject_id", Uuid()),
        column("bucket_start", UTCDateTime()),
        column("user_id", Uuid()),
        *(column(c, Float()) for c in FIGURES),
    )
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(select(t))).all()
            return {(r[0], r[1]): tuple(r[2:]) for r in rows}
    finally:
        await engine.dispose()


async def _add_minutes(url: str, user: uuid.UUID, devices: list[uuid.UUID]) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                minute_table().insert(),
                [
                    {
                        "subject_id": s,
                        "bucket_start": b,
                        "user_id": user,
                        **{c: float(i + n + k) for k, c in enumerate(FIGURES)},
                        "imported_wh": 0.0,
                        "exported_wh": 0.0,
                    }
                    for i, s in enumerate([user, *devices])
                    for n, b in enumerate(STARTS)
                ],
            )
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
async def before(request: Any, tmp_path: Any, scratch_postgres_url: str) -> str:
    return await database_at(request.param, tmp_path, scratch_postgres_url, BEFORE)


async def test_upgrade_keeps_rows_and_fills_quarter_hours(before: str) -> None:
    url = before
    user, home, device = await _insert(url)  # a row per table at 2026-12-01 10:00
    devices = [device, uuid.uuid4()]
    await _add_minutes(url, user, devices)
    minutes = await _minutes(url)
    homes = await _all(url, "SELECT * FROM home_energy_minute")
    await asyncio.to_thread(migrate, url, AFTER)

    assert await _minutes(url) == minutes
    assert await _all(url, "SELECT * FROM home_energy_minute") == homes
    expected: dict[tuple[Any, Any], list[float]] = {}
    for (subject, bucket), v in minutes.items():
        if subject != user:
            acc = expected.setdefault((subject, quarter_start(bucket)), [0.0] * 4)
            for i in range(4):
                acc[i] += v[i + 1]
    quarters = await _quarters(url)
    assert {k: list(v[1:]) for k, v in quarters.items()} == expected
    assert {v[0] for v in quarters.values()} == {user}
    # Recent 11:00 and 11:15, 2025-01-01, and _insert's 2026-12-01 10:00.
    assert len({b for (_, b) in quarters}) == 4

    if url.startswith("postgresql"):
        kinds = dict(
            await _all(
                url,
                "SELECT relname, relkind::text FROM pg_class WHERE relname IN "
                "('energy_minute', 'home_energy_minute', 'energy_quarter_hour')",
            )
        )
        assert kinds == dict.fromkeys(p.PARTITIONED, "p")
        name = p.partition_name("energy_minute", RECENT.date())
        (count,) = await _all(url, f"SELECT count(*) FROM {p.PARTITION_SCHEMA}.{name}")
        # Every row of that day: 5 recent minutes x (user + 2 devices), and _insert's if then.
        assert count == (sum(1 for (_, b) in minutes if b.date() == RECENT.date()),)
        assert count[0] >= 15
        (old,) = await _all(
            url, f"SELECT count(*) FROM {p.PARTITION_SCHEMA}.{p.default_name('energy_minute')}"
        )
        assert old[0] >= 3

    # Deleting the user deletes its quarter hours too (the trigger on "user").
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text('DELETE FROM "user"'))
    finally:
        await engine.dispose()
    assert await _quarters(url) == {}
    assert await _minutes(url) == {}


async def test_downgrade_keeps_the_interval_rows(before: str) -> None:
    url = before
    user, _, device = await _insert(url)
    await _add_minutes(url, user, [device])
    minutes = await _minutes(url)
    await asyncio.to_thread(migrate, url, AFTER)
    await asyncio.to_thread(migrate, url, BEFORE, down=True)
    assert await _minutes(url) == minutes
    await asyncio.to_thread(migrate, url, AFTER)
    assert await _minutes(url) == minutes
