"""The plans migration adds the `plan` table and leaves homes and tariffs as they were; its
downgrade drops only that table (PostgreSQL and SQLite, with data present)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, String, Uuid, column, inspect, select, table

from app.db import create_engine
from app.models.base import UTCDateTime
from tests.migrations.helpers import HOME, insert_owner, migrate

BEFORE = "e6c2a9d4b1f7"  # history cost
PLANS = "e6a9c3d5b7f1"
NOW = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)

TARIFF = table(
    "tariff",
    column("home_id", Uuid()),
    column("kind", String()),
    column("currency", String()),
    column("daily_fixed_charge", Float()),
    column("import_price_per_kwh", Float()),
    column("export_price_per_kwh", Float()),
    column("windows", JSON()),
    column("created_at", UTCDateTime()),
    column("updated_at", UTCDateTime()),
)
PLAN = table(
    "plan",
    column("home_id", Uuid()),
    column("created_at", UTCDateTime()),
    column("start", UTCDateTime()),
    column("end", UTCDateTime()),
    column("expected_cost", Float()),
    column("baseline_cost", Float()),
    column("currency", String()),
    column("target_missed", Boolean()),
    column("fingerprint", String()),
    column("slots", JSON()),
)


async def _run(url: str, fn: Any) -> Any:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            return await fn(conn)
    finally:
        await engine.dispose()


async def _tables(url: str) -> set[str]:
    return set(await _run(url, lambda c: c.run_sync(lambda s: inspect(s).get_table_names())))


async def _roundtrip(url: str) -> None:
    await asyncio.to_thread(migrate, url, BEFORE)
    user, home = uuid.uuid4(), uuid.uuid4()

    async def insert(conn: Any) -> None:
        await insert_owner(conn, user, home, NOW)
        await conn.execute(
            TARIFF.insert().values(
                home_id=home,
                kind="FIXED",
                currency="EUR",
                daily_fixed_charge=0.0,
                import_price_per_kwh=0.3,
                export_price_per_kwh=0.1,
                windows=[],
                created_at=NOW,
                updated_at=NOW,
            )
        )

    await _run(url, insert)
    await asyncio.to_thread(migrate, url, PLANS)
    assert "plan" in await _tables(url)

    async def after(conn: Any) -> tuple[list[Any], list[Any]]:
        await conn.execute(
            PLAN.insert().values(
                home_id=home,
                created_at=NOW,
                start=NOW,
                end=NOW,
                expected_cost=1.5,
                baseline_cost=2.0,
                currency="EUR",
                target_missed=False,
                fingerprint="f",
                slots=[[0.0, 0.0, 100.0, None, None]],
            )
        )
        homes = list((await conn.execute(select(HOME.c.id, HOME.c.owner_id))).all())
        tariffs_ = list((await conn.execute(select(TARIFF.c.home_id, TARIFF.c.kind))).all())
        return homes, tariffs_

    homes, tariffs_ = await _run(url, after)
    assert [tuple(r) for r in homes] == [(home, user)]
    assert [tuple(r) for r in tariffs_] == [(home, "FIXED")]
    plans = await _run(url, lambda c: c.execute(select(PLAN.c.slots)))
    assert [r.slots for r in plans.all()] == [[[0.0, 0.0, 100.0, None, None]]]
    await asyncio.to_thread(migrate, url, BEFORE, down=True)
    assert "plan" not in await _tables(url)
    tariffs_left = await _run(url, lambda c: c.execute(select(TARIFF.c.home_id)))
    assert [r.home_id for r in tariffs_left.all()] == [home]


async def test_plans_migration_keeps_data_both_ways_on_postgres(scratch_postgres_url: str) -> None:
    await _roundtrip(scratch_postgres_url)


async def test_plans_migration_keeps_data_both_ways_on_sqlite(sqlite_url: str) -> None:
    await _roundtrip(sqlite_url)
