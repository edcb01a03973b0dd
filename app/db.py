"""Engine and session factories for PostgreSQL (asyncpg) and the embedded SQLite default."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


async def asyncpg_connection(session: AsyncSession) -> Any:
    """The asyncpg connection under a PostgreSQL session, inside the session's transaction.

    The cycle's bulk statements pass whole arrays as parameters of one asyncpg call, an order
    of magnitude cheaper than SQLAlchemy's executemany and result processing at batch sizes.
    `Any`: asyncpg ships no type information.
    """
    conn = await session.connection()
    raw = await conn.get_raw_connection()
    return raw.driver_connection


def create_engine(url: str, *, application_name: str = "hems", **kwargs: Any) -> AsyncEngine:
    """Create the async engine; pre-ping so a restarted PostgreSQL is reconnected transparently."""
    if is_sqlite(url):
        engine = create_async_engine(url, **kwargs)

        # SQLite ignores foreign keys (and so ON DELETE CASCADE) unless asked per connection.
        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()

        return engine
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 10)
    return create_async_engine(
        url,
        pool_pre_ping=True,
        connect_args={
            "server_settings": {"application_name": application_name},
            "command_timeout": 30,
        },
        **kwargs,
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: expired attributes would trigger implicit IO, forbidden under asyncio.
    return async_sessionmaker(engine, expire_on_commit=False)
