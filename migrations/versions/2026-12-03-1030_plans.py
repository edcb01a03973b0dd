"""plans: each home's latest plan

`plan` (one per home, primary key and foreign key `home_id`, ON DELETE CASCADE): when it was
made, its horizon [start, end), expected and baseline cost, currency, whether an EV target is
out of reach, the fingerprint of its inputs, and its 15-minute slots as JSON. No existing data
changes: homes start without a plan.

Revision ID: e6a9c3d5b7f1
Revises: d4b8f1a2c6e0
Create Date: 2026-12-03 09:30:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = "e6a9c3d5b7f1"
down_revision: str | None = "e6c2a9d4b1f7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "plan",
        sa.Column("home_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("start", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("end", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expected_cost", sa.Float(), nullable=False),
        sa.Column("baseline_cost", sa.Float(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("target_missed", sa.Boolean(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("slots", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["home_id"], ["home.id"], name="fk_plan_home_id_home", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("home_id", name="pk_plan"),
    )


def downgrade() -> None:
    op.drop_table("plan")
