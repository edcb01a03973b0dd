"""Run Alembic migrations programmatically (used by `hems migrate` and the embedded default)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(url: str | None = None) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    if url is not None:
        config.cmd_opts = None
        config.attributes["configure_logger"] = False
        config.set_main_option("sqlalchemy.url", url)
    return config


def upgrade_head(url: str) -> None:
    """Bring the database at `url` to the newest schema (blocking; call from a thread)."""
    config = alembic_config(url)
    config.attributes["url"] = url
    command.upgrade(config, "head")
