"""tariffs: a tariff per home and its uploaded DYNAMIC price slots

`tariff` (one per home, primary key and foreign key `home_id`, ON DELETE CASCADE): kind,
currency, daily fixed charge, the FIXED price or the fallback import/export prices, and the
TIME_OF_USE windows as JSON. `price_slot` (home_id, start): the 15-minute DYNAMIC prices
uploaded by the client. No existing data changes: homes start without a tariff.

Revision ID: d4b8f1a2c6e0
Revises: c7e3a1d4f2b8
Create Date: 2026-12-03 08:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = "d4b8f1a2c6e0"
down_revision: str | None = "c7e3a1d4f2b8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tariff",
        sa.Column("home_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("daily_fixed_charge", sa.Float(), nullable=False),
        sa.Column("import_price_per_kwh", sa.Float(), nullable=True),
        sa.Column("export_price_per_kwh", sa.Float(), nullable=True),
        sa.Column("windows", sa.JSON(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["home_id"], ["home.id"], name="fk_tariff_home_id_home", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("home_id", name="pk_tariff"),
    )
    op.create_table(
        "price_slot",
        sa.Column("home_id", sa.Uuid(), nullable=False),
        sa.Column("start", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("import", sa.Float(), nullable=False),
        sa.Column("export", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["home_id"], ["home.id"], name="fk_price_slot_home_id_home", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("home_id", "start", name="pk_price_slot"),
    )


def downgrade() -> None:
    op.drop_table("price_slot")
    op.drop_table("tariff")
