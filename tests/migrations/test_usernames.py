"""The case-insensitive usernames migration: keeps data, refuses (naming them) existing clashes."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from alembic import command
from sqlalchemy import inspect, text

from app.db import create_engine
from app.migrate import alembic_config, upgrade_head

BEFORE = "c7a1e4d2f903"  # the revision before usernames became case-insensitive (homes)


def _downgrade(url: str, revision: str) -> None:
    config = alembic_config(url)
    config.attributes["url"] = url
    command.downgrade(config, revision)


async def _run(url: str, sql: str, **params: Any) -> list[Any]:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            result = await conn.execute(text(sql), params)
            return list(result.all()) if result.returns_rows else []
    finally:
        await engine.dispose()


async def _add_user(url: str, username: str) -> uuid.UUID:
    """A user row at revision BEFORE (no username_key column)."""
    user_id = uuid.uuid4()
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            columns = await conn.run_sync(
                lambda c: {x["name"] for x in inspect(c).get_columns("user")}
            )
            assert "username_key" not in columns
            await conn.execute(
                text(
                    'INSERT INTO "user" (id, username, password_hash, timezone, latitude, '
                    "longitude, created_at, updated_at) "
                    "VALUES (:id, :u, '!', 'UTC', 0, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                {"id": user_id.hex if conn.dialect.name == "sqlite" else user_id, "u": username},
            )
    finally:
        await engine.dispose()
    return user_id


@pytest.fixture(params=["sqlite", "postgresql"])
async def before(request: Any, tmp_path: Any, scratch_postgres_url: str) -> str:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/hems.db"
    else:
        url = scratch_postgres_url
    await asyncio.to_thread(upgrade_head, url)
    await asyncio.to_thread(_downgrade, url, BEFORE)
    return url


class TestUsernameKeyMigration:
    async def test_existing_accounts_get_their_key_and_keep_their_rows(self, before):
        await _add_user(before, "Alice")
        await _add_user(before, "bob")
        await asyncio.to_thread(upgrade_head, before)
        rows = await _run(before, 'SELECT username, username_key FROM "user" ORDER BY username')
        assert [tuple(r) for r in rows] == [("Alice", "alice"), ("bob", "bob")]

    async def test_accounts_differing_only_by_case_stop_the_migration_naming_them(self, before):
        await _add_user(before, "carol")
        await _add_user(before, "Carol")
        await _add_user(before, "CAROL")
        await _add_user(before, "dave")
        with pytest.raises(RuntimeError) as raised:
            await asyncio.to_thread(upgrade_head, before)
        message = str(raised.value)
        assert "'CAROL', 'Carol', 'carol'" in message
        assert "dave" not in message
        # Nothing changed: still at the old revision, every account there.
        rows = await _run(before, "SELECT version_num FROM alembic_version")
        assert [r[0] for r in rows] == [BEFORE]
        assert len(await _run(before, 'SELECT id FROM "user"')) == 4
