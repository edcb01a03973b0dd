"""Migrations agree with the models (autogenerate finds nothing) and round-trip on SQLite."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from app import models
from app.db import create_engine
from app.migrate import alembic_config, upgrade_head

MODEL_TABLES = {table.name for table in models.Base.metadata.sorted_tables}


def _diff(connection: Any) -> list[Any]:
    context = MigrationContext.configure(
        connection,
        opts={
            "compare_type": True,
            "render_as_batch": connection.dialect.name == "sqlite",
            "target_metadata": models.Base.metadata,
        },
    )
    return list(compare_metadata(context, models.Base.metadata))


async def _autogenerate_diff(url: str) -> list[Any]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_diff)
    finally:
        await engine.dispose()


async def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


async def _revision(url: str) -> str | None:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(
                lambda c: MigrationContext.configure(c).get_current_revision()
            )
    finally:
        await engine.dispose()


def _downgrade_base(url: str) -> None:
    config = alembic_config(url)
    config.attributes["url"] = url
    command.downgrade(config, "base")


HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


class TestModelsMatchMigrations:
    async def test_postgres_after_upgrade_head_has_no_autogenerate_diff(self, database_url):
        assert await _autogenerate_diff(database_url) == []

    async def test_fresh_sqlite_after_upgrade_head_has_no_autogenerate_diff(self, sqlite_url):
        assert await _autogenerate_diff(sqlite_url) == []

    async def test_postgres_is_at_head(self, database_url):
        assert await _revision(database_url) == HEAD

    async def test_upgrade_creates_every_model_table(self, sqlite_url):
        assert await _tables(sqlite_url) == MODEL_TABLES | {"alembic_version"}

    def test_there_is_a_single_head(self):
        heads = ScriptDirectory.from_config(alembic_config()).get_heads()
        assert heads == [HEAD]


class TestRoundTrip:
    async def test_sqlite_downgrade_base_then_upgrade_head(self, sqlite_url):
        await asyncio.to_thread(_downgrade_base, sqlite_url)
        assert await _tables(sqlite_url) == {"alembic_version"}
        assert await _revision(sqlite_url) is None
        await asyncio.to_thread(upgrade_head, sqlite_url)
        assert await _revision(sqlite_url) == HEAD
        assert await _autogenerate_diff(sqlite_url) == []

    async def test_upgrade_head_twice_is_a_no_op(self, sqlite_url):
        await asyncio.to_thread(upgrade_head, sqlite_url)
        assert await _revision(sqlite_url) == HEAD
        assert await _autogenerate_diff(sqlite_url) == []

    async def test_postgres_downgrade_base_then_upgrade_head(self, scratch_postgres_url):
        url = scratch_postgres_url
        await asyncio.to_thread(upgrade_head, url)
        await asyncio.to_thread(_downgrade_base, url)
        assert await _tables(url) == {"alembic_version"}
        await asyncio.to_thread(upgrade_head, url)
        assert await _tables(url) == MODEL_TABLES | {"alembic_version"}
        assert await _autogenerate_diff(url) == []


@pytest.mark.parametrize("table", sorted(MODEL_TABLES))
async def test_every_table_has_a_primary_key(sqlite_url, table):
    engine = create_engine(sqlite_url)
    try:
        async with engine.connect() as conn:
            pk = await conn.run_sync(lambda c: inspect(c).get_pk_constraint(table))
    finally:
        await engine.dispose()
    assert pk["constrained_columns"]
