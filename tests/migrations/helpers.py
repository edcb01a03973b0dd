"""What the migration tests share: moving a database to one revision, up or down."""

from __future__ import annotations

from alembic import command

from app.migrate import alembic_config


def migrate(url: str, target: str, *, down: bool = False) -> None:
    """Upgrade (or downgrade) the database at `url` to the revision `target`."""
    config = alembic_config(url)
    config.attributes["url"] = url
    (command.downgrade if down else command.upgrade)(config, target)
