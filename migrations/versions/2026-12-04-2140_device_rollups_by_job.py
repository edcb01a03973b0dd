"""device rollups by the maintenance job: `history_rollup`, a BRIN index on quarter hours

- `history_rollup` (new, one row on PostgreSQL): `rolled_until`, how far the devices' quarter
  hours have been added into their hour and day rollups. A cycle then adds a device's energy
  to its quarter hour only (and to the hour and day rows when the interval lies before
  `rolled_until`); the maintenance job rolls each past hour up (app.pipeline.history). The row
  starts at the hour after the newest quarter hour (everything before it was rolled up by the
  cycles), or at the current hour on an installation without history. SQLite gets the table
  without a row: its cycles keep adding to the rollups themselves.
- `ix_energy_quarter_hour_bucket_start`: BRIN on PostgreSQL (the job reads an hour of every
  device's quarters), a plain index on SQLite (whose retention deletes by `bucket_start`).

Revision ID: a3c5e7f9b1d2
Revises: f2b4d6e8a0c1
Create Date: 2026-12-04 21:40:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = "a3c5e7f9b1d2"
down_revision: str | None = "f2b4d6e8a0c1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_energy_quarter_hour_bucket_start"


def upgrade() -> None:
    op.create_table(
        "history_rollup",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("rolled_until", app.models.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_history_rollup")),
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_index(
        INDEX,
        "energy_quarter_hour",
        ["bucket_start"],
        unique=False,
        postgresql_using="brin",
    )
    if postgres:
        op.execute(
            "INSERT INTO history_rollup (id, rolled_until) SELECT 1, COALESCE("
            "(SELECT date_trunc('hour', max(bucket_start) AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"
            " + interval '1 hour' FROM energy_quarter_hour),"
            " date_trunc('hour', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')"
        )


def downgrade() -> None:
    # The job's rollups stay; what the cycles had added only to quarter hours since
    # `rolled_until` is rolled up here first, so the per-cycle rollups that resume miss nothing.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_CATCH_UP)
    op.drop_index(INDEX, table_name="energy_quarter_hour")
    op.drop_table("history_rollup")


_FIGURES = ("produced_wh", "consumed_wh", "charged_wh", "discharged_wh")
_SUMS = ", ".join(f"sum(q.{c})" for c in _FIGURES)
_ADD = ", ".join(f"{c} = {{t}}.{c} + excluded.{c}" for c in _FIGURES)
_COLS = ", ".join(_FIGURES)
# The local day by PostgreSQL's time zone data (the cycles use Python's: the same days but for
# a zone whose midnight does not exist on a DST change; a downgrade may shift those quarters).
_CATCH_UP = f"""
WITH q AS (
    SELECT q.* FROM energy_quarter_hour q, history_rollup r WHERE q.bucket_start >= r.rolled_until
), hour AS (
    INSERT INTO energy_hour (subject_id, bucket_start, user_id, {_COLS})
    SELECT q.subject_id, date_trunc('hour', q.bucket_start AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
        q.user_id, {_SUMS}
    FROM q GROUP BY 1, 2, 3
    ON CONFLICT (subject_id, bucket_start) DO UPDATE SET {_ADD.format(t="energy_hour")}
)
INSERT INTO energy_day (subject_id, bucket_start, user_id, {_COLS})
SELECT q.subject_id,
    date_trunc('day', q.bucket_start AT TIME ZONE h.timezone) AT TIME ZONE h.timezone,
    q.user_id, {_SUMS}
FROM q JOIN device d ON d.id = q.subject_id JOIN home h ON h.id = d.home_id
GROUP BY 1, 2, 3
ON CONFLICT (subject_id, bucket_start) DO UPDATE SET {_ADD.format(t="energy_day")}
"""
