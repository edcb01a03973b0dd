"""history cost: import_cost and export_revenue in every history table, fixed_charge per day

`import_cost`, `export_revenue` (Float, not null, server default 0) in energy_minute/hour/day and
home_energy_minute/hour/day; `fixed_charge` (the same) in energy_day and home_energy_day. Existing
rows keep their energies and get 0: costs before tariffs existed are 0.

Revision ID: e6c2a9d4b1f7
Revises: d4b8f1a2c6e0
Create Date: 2026-12-03 10:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e6c2a9d4b1f7"
down_revision: str | None = "d4b8f1a2c6e0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "energy_minute",
    "energy_hour",
    "energy_day",
    "home_energy_minute",
    "home_energy_hour",
    "home_energy_day",
)
DAY_TABLES = ("energy_day", "home_energy_day")


def _money(name: str) -> sa.Column[float]:
    return sa.Column(name, sa.Float(), nullable=False, server_default="0")


def upgrade() -> None:
    # A column with a constant default is a catalogue change on PostgreSQL (no table rewrite)
    # and a plain ALTER TABLE ADD COLUMN on SQLite (no batch copy, which would drop the trigger
    # on `user` that references energy_minute).
    for table in TABLES:
        op.add_column(table, _money("import_cost"))
        op.add_column(table, _money("export_revenue"))
        if table in DAY_TABLES:
            op.add_column(table, _money("fixed_charge"))


def downgrade() -> None:
    # ALTER TABLE DROP COLUMN on both (SQLite >= 3.35), for the same reason.
    for table in TABLES:
        columns = ["import_cost", "export_revenue"]
        if table in DAY_TABLES:
            columns.append("fixed_charge")
        for column in columns:
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
