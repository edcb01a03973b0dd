"""device controls: EV charge modes and schedules, battery and generator modes, device events

`electric_vehicle` gains `charge_mode` (NOW), `min_soc_percent` (0), `limit_soc_percent` (90)
and `schedule` (JSON, the Monday-Friday 07:00-18:00 commute, target 90 %); `battery` gains
`mode` (SELF_CONSUMPTION), `reserve_soc_percent` (0) and `round_trip_efficiency` (1.0);
`generator` gains `mode` (ON), `auto_start_import_w` (0) and its AUTO run state
(`run_started_at`, `simulated_at`, NULL). Existing rows get the defaults, which are exactly the
behaviour before controls. New table `device_event` (ON DELETE CASCADE with its device),
indexed by (device_id, at). The downgrade drops all of it and keeps every other column.

Revision ID: e7c1a3d5f9b2
Revises: e6a9c3d5b7f1
Create Date: 2026-12-03 13:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = "e7c1a3d5f9b2"
down_revision: str | None = "e6a9c3d5b7f1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_SCHEDULE_SQL = (
    '[{"days": ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"],'
    ' "departAt": "07:00", "returnAt": "18:00", "targetSocPercent": 90.0}]'
)


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    # The kind tables are leaves (nothing references them): SQLite's batch rebuild is safe.
    with op.batch_alter_table("electric_vehicle", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "charge_mode",
                _enum("ev_charge_mode", "OFF", "NOW", "SOLAR", "SMART"),
                server_default="NOW",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column("min_soc_percent", sa.Float(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("limit_soc_percent", sa.Float(), server_default="90", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "schedule",
                sa.JSON(),
                server_default=sa.text(f"'{DEFAULT_SCHEDULE_SQL}'"),
                nullable=False,
            )
        )
    with op.batch_alter_table("battery", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "mode",
                _enum("battery_mode", "SELF_CONSUMPTION", "HOLD", "CHARGE", "OPTIMIZED"),
                server_default="SELF_CONSUMPTION",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column("reserve_soc_percent", sa.Float(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("round_trip_efficiency", sa.Float(), server_default="1", nullable=False)
        )
    with op.batch_alter_table("generator", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "mode",
                _enum("generator_mode", "OFF", "ON", "AUTO"),
                server_default="ON",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column("auto_start_import_w", sa.Float(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("run_started_at", app.models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("simulated_at", app.models.base.UTCDateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "device_event",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("device_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["device.id"],
            name="fk_device_event_device_id_device",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_device_event"),
    )
    op.create_index(
        "ix_device_event_device_id_at", "device_event", ["device_id", "at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_device_event_device_id_at", table_name="device_event")
    op.drop_table("device_event")
    with op.batch_alter_table("generator", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_generator_generator_mode"), type_="check")
        for name in ("simulated_at", "run_started_at", "auto_start_import_w", "mode"):
            batch_op.drop_column(name)
    with op.batch_alter_table("battery", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_battery_battery_mode"), type_="check")
        for name in ("round_trip_efficiency", "reserve_soc_percent", "mode"):
            batch_op.drop_column(name)
    with op.batch_alter_table("electric_vehicle", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_electric_vehicle_ev_charge_mode"), type_="check")
        for name in ("schedule", "limit_soc_percent", "min_soc_percent", "charge_mode"):
            batch_op.drop_column(name)
