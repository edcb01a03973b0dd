"""device physics: panel orientation, thermostats, household loads

`solar_panel`: `tilt_deg` (0), `azimuth_deg` (180) and `temperature_coefficient_per_k`
(-0.004), so every existing panel stays flat: the original model. `air_conditioner` and
`heater`: `switched_on` (true), `setpoint_c` (NULL: never set, the original outdoor-temperature ramp),
`hysteresis_c` (1), and the room's state, advanced by the simulation like a battery level:
`indoor_temperature_c` (NULL), `running` (false), `simulated_at` (NULL). A new device kind
HOUSEHOLD with its joined table `household_load` (annual_consumption_kwh). Existing rows keep
every value they had.

Downgrade removes household loads (their device rows too) and the new columns.

Revision ID: e7d2b4f6a8c3
Revises: e7c1a3d5f9b2
Create Date: 2026-12-03 13:00:00.000000+00:00
"""

import contextlib
from collections.abc import Iterator, Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = "e7d2b4f6a8c3"
down_revision: str | None = "e7c1a3d5f9b2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_KINDS = ("SOLAR_PANEL", "GENERATOR", "BATTERY", "ELECTRIC_VEHICLE", "AIR_CONDITIONER", "HEATER")
NEW_KINDS = (*OLD_KINDS, "HOUSEHOLD")
LOAD_TABLES = ("air_conditioner", "heater")


def _kind_enum(kinds: Sequence[str]) -> sa.Enum:
    return sa.Enum(*kinds, name="device_kind", native_enum=False, create_constraint=True, length=32)


@contextlib.contextmanager
def _kind_rows_kept(tables: Sequence[str]) -> Iterator[None]:
    """On SQLite, batch mode rebuilds `device`, and its DROP TABLE runs the kind tables' ON
    DELETE CASCADE (foreign keys are on inside the migration's transaction): keep their rows
    aside and put them back. PostgreSQL alters in place."""
    if op.get_bind().dialect.name != "sqlite":
        yield
        return
    for name in tables:
        op.execute(f"CREATE TEMP TABLE hems_keep_{name} AS SELECT * FROM {name}")
    yield
    for name in tables:
        op.execute(f"INSERT INTO {name} SELECT * FROM hems_keep_{name}")
        op.execute(f"DROP TABLE hems_keep_{name}")


def _device_tables() -> list[str]:
    """Every table whose rows reference `device` (the kind tables, and any later one)."""
    inspector = sa.inspect(op.get_bind())
    return [
        name
        for name in inspector.get_table_names()
        if any(fk["referred_table"] == "device" for fk in inspector.get_foreign_keys(name))
    ]


def _set_kinds(old: Sequence[str], new: Sequence[str]) -> None:
    if op.get_bind().dialect.name == "sqlite":
        with (
            _kind_rows_kept(_device_tables()),
            op.batch_alter_table("device", schema=None) as batch_op,
        ):
            batch_op.alter_column(
                "kind",
                existing_type=_kind_enum(old),
                type_=_kind_enum(new),
                existing_nullable=False,
            )
        return
    op.drop_constraint(op.f("ck_device_device_kind"), "device", type_="check")
    kinds = ", ".join(f"'{k}'" for k in new)
    op.create_check_constraint(op.f("ck_device_device_kind"), "device", f"kind IN ({kinds})")


def upgrade() -> None:
    with op.batch_alter_table("solar_panel", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tilt_deg", sa.Float(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("azimuth_deg", sa.Float(), server_default="180", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "temperature_coefficient_per_k",
                sa.Float(),
                server_default="-0.004",
                nullable=False,
            )
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_solar_panel_tilt_range"), "tilt_deg >= 0 AND tilt_deg <= 90"
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_solar_panel_azimuth_range"), "azimuth_deg >= 0 AND azimuth_deg < 360"
        )
    for name in LOAD_TABLES:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("switched_on", sa.Boolean(), server_default=sa.true(), nullable=False)
            )
            batch_op.add_column(sa.Column("setpoint_c", sa.Float(), nullable=True))
            batch_op.add_column(
                sa.Column("hysteresis_c", sa.Float(), server_default="1", nullable=False)
            )
            batch_op.add_column(sa.Column("indoor_temperature_c", sa.Float(), nullable=True))
            batch_op.add_column(
                sa.Column("running", sa.Boolean(), server_default=sa.false(), nullable=False)
            )
            batch_op.add_column(
                sa.Column("simulated_at", app.models.base.UTCDateTime(timezone=True), nullable=True)
            )
    _set_kinds(OLD_KINDS, NEW_KINDS)
    op.create_table(
        "household_load",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("annual_consumption_kwh", sa.Float(), nullable=False),
        sa.CheckConstraint(
            "annual_consumption_kwh > 0",
            name=op.f("ck_household_load_annual_consumption_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["id"], ["device.id"], name=op.f("fk_household_load_id_device"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household_load")),
    )


def downgrade() -> None:
    op.drop_table("household_load")
    op.execute("DELETE FROM device WHERE kind = 'HOUSEHOLD'")
    _set_kinds(NEW_KINDS, OLD_KINDS)
    for name in LOAD_TABLES:
        with op.batch_alter_table(name, schema=None) as batch_op:
            for col in (
                "simulated_at",
                "running",
                "indoor_temperature_c",
                "hysteresis_c",
                "setpoint_c",
                "switched_on",
            ):
                batch_op.drop_column(col)
    with op.batch_alter_table("solar_panel", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_solar_panel_azimuth_range"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_solar_panel_tilt_range"), type_="check")
        batch_op.drop_column("temperature_coefficient_per_k")
        batch_op.drop_column("azimuth_deg")
        batch_op.drop_column("tilt_deg")
