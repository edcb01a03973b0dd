"""What the migration tests share: moving a database to one revision, up or down, and the
owner (a user and their home) every test's data hangs from, as the home-era tables hold it."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Any

from alembic import command
from sqlalchemy import Float, String, Uuid, column, table

from app.migrate import alembic_config, upgrade_head
from app.models.base import UTCDateTime


def migrate(url: str, target: str, *, down: bool = False) -> None:
    """Upgrade (or downgrade) the database at `url` to the revision `target`."""
    config = alembic_config(url)
    config.attributes["url"] = url
    (command.downgrade if down else command.upgrade)(config, target)


def _stamps() -> tuple[Any, Any]:
    return column("created_at", UTCDateTime()), column("updated_at", UTCDateTime())


#: `user` and `home` as every revision since homes declares them (declared here, not imported
#: from app.models, so a later model change cannot alter what an old revision is given).
USER = table(
    "user",
    column("id", Uuid()),
    column("username", String()),
    column("username_key", String()),
    column("password_hash", String()),
    column("timezone", String()),
    column("latitude", Float()),
    column("longitude", Float()),
    *_stamps(),
)
HOME = table(
    "home",
    column("id", Uuid()),
    column("owner_id", Uuid()),
    column("name", String()),
    column("timezone", String()),
    column("latitude", Float()),
    column("longitude", Float()),
    *_stamps(),
)

#: `device` (the base of the joined-table kinds) as every revision since homes declares it.
DEVICE = table(
    "device",
    column("id", Uuid()),
    column("owner_id", Uuid()),
    column("home_id", Uuid()),
    column("name", String()),
    column("kind", String()),
    column("status", String()),
    *_stamps(),
)


async def insert_owner(conn: Any, user: uuid.UUID, home: uuid.UUID, now: datetime) -> None:
    """Alice in Berlin and her one home (rows for a revision at or after the homes migration)."""
    place = {"timezone": "Europe/Berlin", "latitude": 52.5, "longitude": 13.4}
    await conn.execute(
        USER.insert().values(
            id=user,
            username="alice",
            username_key="alice",
            password_hash="!",
            created_at=now,
            updated_at=now,
            **place,
        )
    )
    await conn.execute(
        HOME.insert().values(
            id=home, owner_id=user, name="Home", created_at=now, updated_at=now, **place
        )
    )


async def database_at(backend: str, tmp_path: Any, postgres_url: str, revision: str) -> str:
    """A fresh database (`backend` "sqlite" in `tmp_path`, else the scratch PostgreSQL at
    `postgres_url`) migrated to head and back down to `revision`: a migration test's "before",
    reached through every downgrade in between."""
    url = f"sqlite+aiosqlite:///{tmp_path}/hems.db" if backend == "sqlite" else postgres_url
    await asyncio.to_thread(upgrade_head, url)
    await asyncio.to_thread(migrate, url, revision, down=True)
    return url
