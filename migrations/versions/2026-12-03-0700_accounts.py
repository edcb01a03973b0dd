"""accounts: case-insensitive usernames

`user.username_key` holds the username after NFKC normalisation and case folding, unique, so
"Alice" and "alice" can no longer be two accounts, and logins go by it. Existing data that
already has such pairs cannot be merged automatically: the upgrade refuses to run and names them,
so an operator can rename or delete all but one account of each group first.

Revision ID: c7e3a1d4f2b8
Revises: b5f0c2a7d9e1
Create Date: 2026-12-03 07:00:00.000000+00:00
"""

import unicodedata
from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c7e3a1d4f2b8"
down_revision: str | None = "b5f0c2a7d9e1"
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


def downgrade() -> None:
    op.drop_index("ix_user_username_key", table_name="user")
    op.drop_column("user", "username_key")
