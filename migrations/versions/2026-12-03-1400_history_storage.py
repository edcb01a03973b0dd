"""history storage: NULL grid and money on device rollup rows, a device-only owner index

- `energy_hour`, `energy_day`: `imported_wh`, `exported_wh`, `import_cost`, `export_revenue`
  (and the day's `fixed_charge`) become nullable; on PostgreSQL the existing device rows get
  NULL there (they were 0: a device exchanges nothing with the grid and carries no money), so a
  device hour row is 104 bytes instead of 128; reads take NULL as 0. SQLite keeps its zeros
  (only the columns' nullability changes, so the models agree).
- PostgreSQL: `ix_energy_minute_user_id` only indexes device rows (`WHERE subject_id <>
  user_id`: empty by default, a user's own rows are found by the primary key), and the
  delete-user trigger function deletes a user's own rows by `subject_id`.

The finished day partitions of the interval tables are compacted by the maintenance job
(`app.repositories.partitions.compact_days`: VACUUM FULL and REINDEX cannot run in a
migration's transaction), existing ones included.

Revision ID: f2b4d6e8a0c1
Revises: e7e3c5a7b9d4
Create Date: 2026-12-03 14:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f2b4d6e8a0c1"
down_revision: str | None = "e7e3c5a7b9d4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTION = "hems_delete_user_energy_minute"
INDEX = "ix_energy_minute_user_id"
#: The rollup columns that are always 0 on a device row, per table.
NULLABLE = {
    "energy_hour": ("imported_wh", "exported_wh", "import_cost", "export_revenue"),
    "energy_day": ("imported_wh", "exported_wh", "import_cost", "export_revenue", "fixed_charge"),
}


def _function(deletes: str) -> None:
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            {deletes}
            RETURN NULL;
        END $$
        """
    )


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        for table, columns in NULLABLE.items():
            with op.batch_alter_table(table) as batch_op:
                for column in columns:
                    batch_op.alter_column(column, existing_type=sa.Float(), nullable=True)
        return
    for table, columns in NULLABLE.items():
        op.execute(
            f"ALTER TABLE {table} "
            + ", ".join(f"ALTER COLUMN {c} DROP NOT NULL" for c in columns)
        )
        op.execute(
            f"UPDATE {table} SET "
            + ", ".join(f"{c} = NULL" for c in columns)
            + " WHERE subject_id <> user_id"
        )
    op.execute(f"DROP INDEX {INDEX}")
    op.execute(f"CREATE INDEX {INDEX} ON energy_minute (user_id) WHERE subject_id <> user_id")
    _function(
        "DELETE FROM energy_minute m USING gone WHERE m.subject_id = gone.id; "
        "DELETE FROM energy_minute m USING gone "
        "WHERE m.user_id = gone.id AND m.subject_id <> m.user_id; "
        "DELETE FROM energy_quarter_hour m USING gone WHERE m.user_id = gone.id;"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        for table, columns in NULLABLE.items():
            op.execute(
                f"UPDATE {table} SET "
                + ", ".join(f"{c} = COALESCE({c}, 0)" for c in columns)
            )
            with op.batch_alter_table(table) as batch_op:
                for column in columns:
                    batch_op.alter_column(column, existing_type=sa.Float(), nullable=False)
        return
    _function(
        "DELETE FROM energy_minute m USING gone WHERE m.user_id = gone.id; "
        "DELETE FROM energy_quarter_hour m USING gone WHERE m.user_id = gone.id;"
    )
    op.execute(f"DROP INDEX {INDEX}")
    op.execute(f"CREATE INDEX {INDEX} ON energy_minute (user_id)")
    for table, columns in NULLABLE.items():
        op.execute(
            f"UPDATE {table} SET "
            + ", ".join(f"{c} = 0" for c in columns)
            + " WHERE subject_id <> user_id"
        )
        op.execute(
            f"ALTER TABLE {table} "
            + ", ".join(f"ALTER COLUMN {c} SET NOT NULL" for c in columns)
        )
