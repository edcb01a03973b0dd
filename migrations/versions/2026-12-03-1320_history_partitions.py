"""history at fleet scale: device quarter hours, day partitions

- `energy_quarter_hour` (new): one row per device per 15 UTC minutes (subject, bucket, owner and
  the four device figures), filled from the existing device rows of `energy_minute` (their sums
  per quarter hour), so a device's QUARTER_HOUR history is unchanged. A trigger on "user"
  deletes a deleted user's rows, as for `energy_minute`.
- PostgreSQL: `energy_minute`, `home_energy_minute` and the new table become tables partitioned
  by range of `bucket_start` (one partition per UTC day in the schema `history_partitions`, plus
  a DEFAULT partition); the existing rows are copied over. Partitions are created for the days
  of the existing data of the last 40 days and for yesterday .. today + 3 days; older rows go to
  the DEFAULT partition. The `bucket_start` indexes go (retention drops partitions).
- SQLite: plain tables; only the new table and its trigger.

Existing device minute rows are kept (retention removes them as before).

Revision ID: e7e3c5a7b9d4
Revises: e7d2b4f6a8c3
Create Date: 2026-12-03 13:00:00.000000+00:00
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from alembic import op

import app.models.base
from app.repositories import partitions as p

revision: str = "e7e3c5a7b9d4"
down_revision: str | None = "e7d2b4f6a8c3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUARTER = "energy_quarter_hour"
TRIGGER = "trg_user_delete_energy_quarter_hour"
FUNCTION = "hems_delete_user_energy_minute"
FIGURES = ("produced_wh", "consumed_wh", "charged_wh", "discharged_wh")
#: Existing data younger than this gets day partitions (older rows go to DEFAULT).
RECENT_DAYS = 40


def _quarter_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("bucket_start", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        *(sa.Column(c, sa.Float(), nullable=False) for c in FIGURES),
        sa.PrimaryKeyConstraint("subject_id", "bucket_start", name=f"pk_{QUARTER}"),
    ]


def _pg_trigger_function(tables: Sequence[str]) -> None:
    deletes = " ".join(f"DELETE FROM {t} m USING gone WHERE m.user_id = gone.id;" for t in tables)
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            {deletes}
            RETURN NULL;
        END $$
        """
    )


def _pg_partition(table: str, days: set[Any]) -> None:
    op.execute(p.default_sql(table))
    for day in sorted(days):
        op.execute(p.create_sql(table, day))


def _pg_days(table: str) -> set[Any]:
    since = datetime.now(UTC) - timedelta(days=RECENT_DAYS)
    rows = op.get_bind().execute(
        sa.text(
            f"SELECT DISTINCT (bucket_start AT TIME ZONE 'UTC')::date FROM {table} "
            "WHERE bucket_start >= :since"
        ),
        {"since": since},
    )
    return {r[0] for r in rows}


def _pg_convert(table: str, *, drop_indexes: Sequence[str], extra: Sequence[str]) -> None:
    """`table` becomes partitioned by day, keeping its rows."""
    old = f"{table}_unpartitioned"
    days = _pg_days(table) | set(p.days(*p.window(datetime.now(UTC))))
    for index in drop_indexes:
        op.execute(f"DROP INDEX {index}")
    op.execute(f"ALTER TABLE {table} RENAME TO {old}")
    op.execute(f"ALTER TABLE {old} RENAME CONSTRAINT pk_{table} TO pk_{old}")
    for statement in extra:
        op.execute(statement.format(old=old))
    op.execute(
        f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS) PARTITION BY RANGE (bucket_start)"
    )
    key = "home_id" if table.startswith("home_") else "subject_id"
    op.execute(f"ALTER TABLE {table} ADD CONSTRAINT pk_{table} PRIMARY KEY ({key}, bucket_start)")
    _pg_partition(table, days)
    op.execute(f"INSERT INTO {table} SELECT * FROM {old}")
    op.execute(f"DROP TABLE {old}")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(p.schema_sql())
        _pg_convert(
            "energy_minute",
            drop_indexes=["ix_energy_minute_bucket_start", "ix_energy_minute_user_id"],
            extra=[],
        )
        op.execute("CREATE INDEX ix_energy_minute_user_id ON energy_minute (user_id)")
        _pg_convert(
            "home_energy_minute",
            drop_indexes=["ix_home_energy_minute_bucket_start"],
            extra=[
                "ALTER TABLE {old} DROP CONSTRAINT fk_home_energy_minute_home_id_home",
            ],
        )
        op.execute(
            "ALTER TABLE home_energy_minute ADD CONSTRAINT fk_home_energy_minute_home_id_home "
            "FOREIGN KEY (home_id) REFERENCES home (id) ON DELETE CASCADE"
        )
        op.create_table(QUARTER, *_quarter_columns(), postgresql_partition_by="RANGE (bucket_start)")
        op.execute(f"CREATE INDEX ix_{QUARTER}_user_id ON {QUARTER} (user_id)")
        _pg_partition(QUARTER, _pg_days("energy_minute") | set(p.days(*p.window(datetime.now(UTC)))))
        sums = ", ".join(f"sum({c})" for c in FIGURES)
        op.execute(
            f"INSERT INTO {QUARTER} (subject_id, bucket_start, user_id, {', '.join(FIGURES)}) "
            "SELECT subject_id, to_timestamp(floor(extract(epoch FROM bucket_start) / 900) * 900),"
            f" user_id, {sums} FROM energy_minute WHERE subject_id <> user_id GROUP BY 1, 2, 3"
        )
        _pg_trigger_function(["energy_minute", QUARTER])
        return
    op.drop_index("ix_energy_minute_bucket_start", table_name="energy_minute")
    op.drop_index("ix_home_energy_minute_bucket_start", table_name="home_energy_minute")
    quarter = op.create_table(QUARTER, *_quarter_columns())
    op.create_index(f"ix_{QUARTER}_user_id", QUARTER, ["user_id"])
    _sqlite_fill(quarter)
    op.execute(
        f'CREATE TRIGGER {TRIGGER} AFTER DELETE ON "user" FOR EACH ROW '
        f"BEGIN DELETE FROM {QUARTER} WHERE user_id = OLD.id; END"
    )


def _sqlite_fill(quarter: sa.Table) -> None:
    """The device minute rows summed per quarter hour (in Python: SQLite installations are the
    small ones, and the timestamps' text form is the column type's business)."""
    minute = sa.table(
        "energy_minute",
        sa.column("subject_id", sa.Uuid()),
        sa.column("bucket_start", app.models.base.UTCDateTime(timezone=True)),
        sa.column("user_id", sa.Uuid()),
        *(sa.column(c, sa.Float()) for c in FIGURES),
    )
    bind = op.get_bind()
    sums: dict[tuple[Any, datetime, Any], list[float]] = defaultdict(lambda: [0.0] * 4)
    stmt = sa.select(minute).where(minute.c.subject_id != minute.c.user_id)
    for row in bind.execute(stmt):
        epoch = int(row.bucket_start.timestamp())
        start = datetime.fromtimestamp(epoch - epoch % 900, UTC)
        total = sums[(row.subject_id, start, row.user_id)]
        for i, c in enumerate(FIGURES):
            total[i] += getattr(row, c)
    values = [
        {"subject_id": s, "bucket_start": b, "user_id": u, **dict(zip(FIGURES, v, strict=True))}
        for (s, b, u), v in sums.items()
    ]
    for lo in range(0, len(values), 1000):
        bind.execute(quarter.insert(), values[lo : lo + 1000])


def _pg_unpartition(table: str, *, key: str) -> None:
    old = f"{table}_partitioned"
    op.execute(f"ALTER TABLE {table} RENAME TO {old}")
    op.execute(f"ALTER TABLE {old} RENAME CONSTRAINT pk_{table} TO pk_{old}")
    op.execute(f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS)")
    op.execute(f"ALTER TABLE {table} ADD CONSTRAINT pk_{table} PRIMARY KEY ({key}, bucket_start)")
    op.execute(f"INSERT INTO {table} SELECT * FROM {old}")
    op.execute(f"DROP TABLE {old} CASCADE")
    op.execute(f"CREATE INDEX ix_{table}_bucket_start ON {table} (bucket_start)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _pg_trigger_function(["energy_minute"])
        op.drop_table(QUARTER)
        op.execute("DROP INDEX ix_energy_minute_user_id")
        _pg_unpartition("energy_minute", key="subject_id")
        op.execute("CREATE INDEX ix_energy_minute_user_id ON energy_minute (user_id)")
        op.execute(
            "ALTER TABLE home_energy_minute DROP CONSTRAINT fk_home_energy_minute_home_id_home"
        )
        _pg_unpartition("home_energy_minute", key="home_id")
        op.execute(
            "ALTER TABLE home_energy_minute ADD CONSTRAINT fk_home_energy_minute_home_id_home "
            "FOREIGN KEY (home_id) REFERENCES home (id) ON DELETE CASCADE"
        )
        op.execute(f"DROP SCHEMA IF EXISTS {p.PARTITION_SCHEMA} CASCADE")
        return
    op.execute(f"DROP TRIGGER {TRIGGER}")
    op.drop_table(QUARTER)
    op.create_index("ix_home_energy_minute_bucket_start", "home_energy_minute", ["bucket_start"])
    op.create_index("ix_energy_minute_bucket_start", "energy_minute", ["bucket_start"])
