"""accounts: case-insensitive usernames, refresh tokens, token revocation

`user.username_key` holds the username after NFKC normalisation and case folding, unique, so
"Alice" and "alice" can no longer be two accounts, and logins go by it. Existing data that
already has such pairs cannot be merged automatically: the upgrade refuses to run and names them,
so an operator can rename or delete all but one account of each group first.

`user.token_generation` is carried in access tokens; `refresh_token` holds refresh tokens as
hashes only (family, issue/expiry, use and revocation instants, user agent);
`token_revocation` logs each user's newest revoked generation (no foreign key: it outlives a
deleted account) for API processes that start later.

Revision ID: c7e3a1d4f2b8
Revises: c7a1e4d2f903
Create Date: 2026-12-03 07:00:00.000000+00:00
"""

import unicodedata
from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c7e3a1d4f2b8"
down_revision: str | None = "c7a1e4d2f903"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _key(username: str) -> str:
    # As app.auth.usernames.key at the time of this migration (kept here, frozen).
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", username).casefold())


class UsernameClash(RuntimeError):
    """Existing accounts whose usernames differ only by case or Unicode form."""


def upgrade() -> None:
    bind = op.get_bind()
    users = sa.table("user", sa.column("id", sa.Uuid()), sa.column("username", sa.String()))
    rows = bind.execute(sa.select(users.c.id, users.c.username)).all()
    groups: dict[str, list[str]] = defaultdict(list)
    for _, username in rows:
        groups[_key(username)].append(username)
    clashes = sorted(sorted(names) for names in groups.values() if len(names) > 1)
    if clashes:
        listed = "; ".join(", ".join(repr(n) for n in names) for names in clashes)
        raise UsernameClash(
            "usernames must be unique regardless of case and Unicode form, but these accounts "
            f"differ only so: {listed}. Rename or delete all but one account of each group, "
            "then run the migration again."
        )
    # No batch rebuild of "user" on SQLite: dropping the old table (foreign keys on) would cascade
    # to every device and fire the history trigger. Columns and indexes are added in place.
    sqlite = bind.dialect.name == "sqlite"
    op.add_column(
        "user",
        sa.Column(
            "username_key",
            sa.String(length=64),
            nullable=not sqlite,
            server_default="" if sqlite else None,
        ),
    )
    keyed = sa.table("user", sa.column("id", sa.Uuid()), sa.column("username_key", sa.String()))
    if rows:
        bind.execute(
            keyed.update().where(keyed.c.id == sa.bindparam("uid")),
            [{"uid": uid, "username_key": _key(username)} for uid, username in rows],
        )
    if not sqlite:
        op.alter_column("user", "username_key", existing_type=sa.String(length=64), nullable=False)
    op.create_index("ix_user_username_key", "user", ["username_key"], unique=True)
    op.add_column(
        "user", sa.Column("token_generation", sa.Integer(), nullable=False, server_default="0")
    )
    op.create_table(
        "refresh_token",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("user_agent", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name="fk_refresh_token_user_id_user", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_refresh_token"),
        sa.UniqueConstraint("token_hash", name="uq_refresh_token_token_hash"),
    )
    op.create_index("ix_refresh_token_user_id", "refresh_token", ["user_id"])
    op.create_index("ix_refresh_token_family_id", "refresh_token", ["family_id"])
    op.create_table(
        "token_revocation",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_token_revocation"),
    )
    op.create_index("ix_token_revocation_revoked_at", "token_revocation", ["revoked_at"])


def downgrade() -> None:
    op.drop_index("ix_token_revocation_revoked_at", table_name="token_revocation")
    op.drop_table("token_revocation")
    op.drop_index("ix_refresh_token_family_id", table_name="refresh_token")
    op.drop_index("ix_refresh_token_user_id", table_name="refresh_token")
    op.drop_table("refresh_token")
    op.drop_column("user", "token_generation")
    op.drop_index("ix_user_username_key", table_name="user")
    op.drop_column("user", "username_key")
