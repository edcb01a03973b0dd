"""rollup fillfactor

Store energy_hour and energy_day with fillfactor 50 on PostgreSQL, so the per-cycle updates of
their rows can be HOT updates (a storage parameter only: no schema change, nothing on SQLite).
Pages already written keep their layout; new and rewritten pages follow the setting.

Revision ID: 76f732ff0933
Revises: 8cb8aead8bf2
Create Date: 2026-11-27 07:00:47.073311+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '76f732ff0933'
down_revision: str | None = '8cb8aead8bf2'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("energy_hour", "energy_day")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} SET (fillfactor = 50)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} RESET (fillfactor)")
