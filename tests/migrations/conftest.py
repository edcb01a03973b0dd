"""Fixtures of the migration tests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from app.db import create_engine


@pytest.fixture
async def scratch_postgres_url(database_url: str) -> AsyncIterator[str]:
    """An empty database of its own on the test server (the shared one stays at head)."""
    name = f"hems_roundtrip_{uuid.uuid4().hex[:8]}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield database_url.rsplit("/", 1)[0] + f"/{name}"
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    await admin.dispose()
