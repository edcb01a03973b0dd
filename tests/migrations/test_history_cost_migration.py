"""The history cost migration keeps every energy figure and gives existing rows 0 money."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from sqlalchemy import ColumnClause, Float, Table, Uuid, column, inspect, select, table

from app import models
from app.db import create_engine
from app.migrate import upgrade_head
from app.models.base import UTCDateTime
from tests.migrations.helpers import database_at, migrate

BEFORE = "d4b8f1a2c6e0"  # tariffs
#: This migration (its upgrade is tested up to itself: a later one NULLs the device rows' grid
#: and money columns, which this test's device rows fill with figures to follow them).
COST = "e6c2a9d4b1f7"
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
ENERGY = (
    "produced_wh",
    "consumed_wh",
    "charged_wh",
    "discharged_wh",
    "imported_wh",
    "exported_wh",
)
USER_TABLES = ("energy_minute", "energy_hour", "energy_day")
HOME_TABLES = ("home_energy_minute", "home_energy_hour", "home_energy_day")


def _old(name: str) -> Any:
    """The table as revision BEFORE has it (no money columns)."""
    key = "home_id" if name.startswith("home_") else "subject_id"
    cols: list[ColumnClause[Any]] = [column(key, Uuid()), column("bucket_start", UTCDateTime())]
    if key == "subject_id":
        cols.append(column("user_id", Uuid()))
    return table(name, *cols, *(column(c, Float()) for c in ENERGY))


async def _columns(url: str, name: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(lambda c: {x["name"] for x in inspect(c).get_columns(name)})
    finally:
        await engine.dispose()


async def _insert(url: str) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    user, home, device = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                models.User.__table__.insert(),  # type: ignore[attr-defined]
                {
                    "id": user,
                    "username": "alice",
                    "username_key": "alice",
                    "password_hash": "!",
                    "token_generation": 0,
                    "timezone": "Europe/Berlin",
                    "latitude": 52.5,
                    "longitude": 13.4,
                    "created_at": NOW,
                    "updated_at": NOW,
                },
            )
            await conn.execute(
                models.Home.__table__.insert(),  # type: ignore[attr-defined]
                {
                    "id": home,
                    "owner_id": user,
                    "name": "Home",
                    "timezone": "Europe/Berlin",
                    "latitude": 52.5,
                    "longitude": 13.4,
                    "created_at": NOW,
                },
            )
            energy = {c: float(i + 1) for i, c in enumerate(ENERGY)}
            for name in USER_TABLES:
                await conn.execute(
                    _old(name).insert(),
                    [
                        {"subject_id": s, "bucket_start": NOW, "user_id": user, **energy}
                        for s in (user, device)
                    ],
                )
            for name in HOME_TABLES:
                await conn.execute(
                    _old(name).insert(), {"home_id": home, "bucket_start": NOW, **energy}
                )
    finally:
        await engine.dispose()
    return user, home, device


async def _rows(url: str, name: str, names: tuple[str, ...]) -> list[tuple[Any, ...]]:
    t = table(name, *(column(c) for c in names))
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return [tuple(r) for r in (await conn.execute(select(t))).all()]
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
async def before(request: Any, tmp_path: Any, scratch_postgres_url: str) -> str:
    return await database_at(request.param, tmp_path, scratch_postgres_url, BEFORE)


class TestHistoryCostMigration:
    async def test_rows_keep_their_energy_and_get_zero_money(self, before):
        assert "import_cost" not in await _columns(before, "energy_minute")
        await _insert(before)
        await asyncio.to_thread(migrate, before, COST)
        money = ("import_cost", "export_revenue")
        for name in USER_TABLES + HOME_TABLES:
            day = name.endswith("_day")
            names = ENERGY + money + (("fixed_charge",) if day else ())
            rows = await _rows(before, name, names)
            expected = (1.0, 2.0, 3.0, 4.0, 5.0, 6.0) + (0.0,) * (len(names) - len(ENERGY))
            assert rows, name
            assert all(r == expected for r in rows), (name, rows)

    async def test_downgrade_drops_the_money_and_keeps_the_energy(self, before):
        await _insert(before)
        await asyncio.to_thread(migrate, before, COST)
        await asyncio.to_thread(migrate, before, BEFORE, down=True)
        for name in USER_TABLES + HOME_TABLES:
            cols = await _columns(before, name)
            assert not cols & {"import_cost", "export_revenue", "fixed_charge"}, name
            rows = await _rows(before, name, ENERGY)
            assert rows, name
            assert all(r == (1.0, 2.0, 3.0, 4.0, 5.0, 6.0) for r in rows), name

    async def test_deleting_the_user_after_the_upgrade_still_deletes_its_minutes(self, before):
        user, _, _ = await _insert(before)
        await asyncio.to_thread(upgrade_head, before)
        engine = create_engine(before)
        try:
            async with engine.begin() as conn:
                users = cast(Table, models.User.__table__)
                await conn.execute(users.delete().where(users.c.id == user))
        finally:
            await engine.dispose()
        assert await _rows(before, "energy_minute", ("subject_id",)) == []
