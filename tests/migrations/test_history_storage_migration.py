"""Migration f2b4d6e8a0c1 keeps every rollup figure (device rows' grid and money become NULL on
PostgreSQL, read as 0), narrows energy_minute's owner index to device rows (PostgreSQL), and a
deleted user still takes all their interval rows with them."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Float, Uuid, column, select, table, text

from app.db import create_engine, create_sessionmaker
from app.models.base import UTCDateTime
from app.repositories.history import HistoryRepository, HistoryTable
from tests.migrations.helpers import database_at, insert_owner, migrate

BEFORE = "e7e3c5a7b9d4"  # history partitions
AFTER = "f2b4d6e8a0c1"
AT = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
ENERGY = ("produced_wh", "consumed_wh", "charged_wh", "discharged_wh")
GRID = ("imported_wh", "exported_wh", "import_cost", "export_revenue")


def _table(name: str) -> Any:
    day = name == "energy_day"
    return table(
        name,
        column("subject_id", Uuid()),
        column("bucket_start", UTCDateTime()),
        column("user_id", Uuid()),
        *(column(c, Float()) for c in ENERGY + GRID + (("fixed_charge",) if day else ())),
    )


async def _insert(url: str) -> tuple[uuid.UUID, uuid.UUID]:
    """Alice's own rows (every figure set) and her device's (grid and money 0, as recorded)."""
    user, home, device = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await insert_owner(conn, user, home, AT)
            for name in ("energy_minute", "energy_hour", "energy_day"):
                extra = {"fixed_charge": 0.5} if name == "energy_day" else {}
                own = {c: float(i + 1) for i, c in enumerate(ENERGY + GRID)}
                dev = {c: float(i + 1) for i, c in enumerate(ENERGY)} | dict.fromkeys(GRID, 0.0)
                keys = {"bucket_start": AT, "user_id": user}
                await conn.execute(
                    _table(name).insert(),
                    [
                        {"subject_id": user, **keys, **own, **extra},
                        {"subject_id": device, **keys, **dev, **dict.fromkeys(extra, 0.0)},
                    ],
                )
    finally:
        await engine.dispose()
    return user, device


async def _stored(url: str, name: str) -> dict[Any, tuple[Any, ...]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(select(_table(name)))).all()
            return {r[0]: tuple(r[3:]) for r in rows}
    finally:
        await engine.dispose()


async def _read(url: str, kind: HistoryTable, ids: list[uuid.UUID]) -> list[tuple[Any, ...]]:
    """What the resolvers read (HistoryRepository.rows)."""
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            rows = await HistoryRepository(session).rows(
                kind, ids, AT, datetime(2026, 12, 1, tzinfo=UTC)
            )
            return sorted(tuple(r) for r in rows)
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
async def before(request: Any, tmp_path: Any, scratch_postgres_url: str) -> str:
    return await database_at(request.param, tmp_path, scratch_postgres_url, BEFORE)


async def test_upgrade_keeps_every_figure_and_frees_the_device_rows_zeros(before: str) -> None:
    url = before
    user, device = await _insert(url)
    stored = {name: await _stored(url, name) for name in ("energy_hour", "energy_day")}
    await asyncio.to_thread(migrate, url, AFTER)
    postgres = url.startswith("postgresql")
    for name, rows in stored.items():
        after = await _stored(url, name)
        assert after[user] == rows[user], name
        zeros = len(rows[device]) - len(ENERGY)
        assert after[device][: len(ENERGY)] == rows[device][: len(ENERGY)], name
        # NULL on PostgreSQL (no bytes), the zeros kept on SQLite.
        assert after[device][len(ENERGY) :] == ((None,) if postgres else (0.0,)) * zeros, name
    # The reads answer what they answered before: 0 for the device's grid and money (read by
    # this code, so at the head revision: the later ones leave these rows alone).
    await asyncio.to_thread(migrate, url, "head")
    for kind in (HistoryTable.HOUR, HistoryTable.DAY):
        read = await _read(url, kind, [user, device])
        got = {r[0]: r[2:] for r in read}
        want = stored[kind.value]
        assert got == {s: want[s] for s in (user, device)}, kind

    if postgres:
        (index,) = [
            r[0]
            for r in (
                await _sql(
                    url,
                    "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_energy_minute_user_id'",
                )
            )
        ]
        assert "WHERE (subject_id <> user_id)" in index
    await _sql(url, 'DELETE FROM "user"', write=True)
    for name in ("energy_minute", "energy_hour", "energy_day"):
        assert await _stored(url, name) == {}, name


async def test_downgrade_restores_the_zeros(before: str) -> None:
    url = before
    user, device = await _insert(url)
    stored = {name: await _stored(url, name) for name in ("energy_hour", "energy_day")}
    await asyncio.to_thread(migrate, url, AFTER)
    await asyncio.to_thread(migrate, url, BEFORE, down=True)
    for name, rows in stored.items():
        assert await _stored(url, name) == rows, name
    await asyncio.to_thread(migrate, url, AFTER)
    for name in stored:
        assert (await _stored(url, name))[user] == stored[name][user]


async def _sql(url: str, sql: str, *, write: bool = False) -> list[tuple[Any, ...]]:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            result = await conn.execute(text(sql))
            return [] if write else [tuple(r) for r in result.all()]
    finally:
        await engine.dispose()
