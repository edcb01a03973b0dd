"""Alembic environment: async, URL from HEMS settings (or `-x url=` / a passed connection)."""

from __future__ import annotations

import asyncio
from logging.config import fileConfig
from typing import Any

from alembic import context
from sqlalchemy.engine import Connection

from app.config import get_settings
from app.db import create_engine, is_sqlite
from app.models import Base

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def _url() -> str:
    url: str | None = config.attributes.get("url")
    return (
        url or context.get_x_argument(as_dictionary=True).get("url") or get_settings().database_url
    )


def _configure(connection: Connection | None = None, url: str | None = None) -> None:
    sqlite = (
        is_sqlite(url) if url else connection is not None and connection.dialect.name == "sqlite"
    )
    opts: dict[str, Any] = {
        "target_metadata": target_metadata,
        "compare_type": True,
        # SQLite cannot ALTER constraints in place; batch mode rebuilds the table instead.
        "render_as_batch": sqlite,
    }
    if connection is not None:
        context.configure(connection=connection, **opts)
    else:
        context.configure(url=url, literal_binds=True, **opts)


def _run_sync(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = create_engine(_url(), application_name="hems-migrate")
    async with engine.connect() as connection:
        await connection.run_sync(_run_sync)
        await connection.commit()
    await engine.dispose()


def run() -> None:
    connection = config.attributes.get("connection")
    if context.is_offline_mode():
        _configure(url=_url())
        with context.begin_transaction():
            context.run_migrations()
    elif connection is not None:
        _run_sync(connection)
    else:
        asyncio.run(_run_async())


run()
