"""energy_minute owner without foreign key

energy_minute receives one row per device per cycle. Its foreign key to "user" made
PostgreSQL check the user row for each of them (an RI trigger per inserted row), about a fifth
of the energy history write. The constraint goes; an AFTER DELETE trigger on "user" keeps the
ON DELETE CASCADE behaviour (statement-level with a transition table on PostgreSQL, per row on
SQLite), at no cost to inserts. Existing rows are unchanged.

Revision ID: b5f0c2a7d9e1
Revises: 76f732ff0933
Create Date: 2026-11-27 08:45:00.000000+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "b5f0c2a7d9e1"
down_revision: str | None = "76f732ff0933"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FK = "fk_energy_minute_user_id_user"
TRIGGER = "trg_user_delete_energy_minute"
FUNCTION = "hems_delete_user_energy_minute"


def upgrade() -> None:
    with op.batch_alter_table("energy_minute", schema=None) as batch_op:
        batch_op.drop_constraint(FK, type_="foreignkey")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                DELETE FROM energy_minute m USING gone WHERE m.user_id = gone.id;
                RETURN NULL;
            END $$
            """
        )
        op.execute(
            f'CREATE TRIGGER {TRIGGER} AFTER DELETE ON "user" REFERENCING OLD TABLE AS gone '
            f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
        )
    else:
        op.execute(
            f'CREATE TRIGGER {TRIGGER} AFTER DELETE ON "user" FOR EACH ROW '
            "BEGIN DELETE FROM energy_minute WHERE user_id = OLD.id; END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f'DROP TRIGGER {TRIGGER} ON "user"')
        op.execute(f"DROP FUNCTION {FUNCTION}()")
    else:
        op.execute(f"DROP TRIGGER {TRIGGER}")
    op.execute('DELETE FROM energy_minute WHERE user_id NOT IN (SELECT id FROM "user")')
    with op.batch_alter_table("energy_minute", schema=None) as batch_op:
        batch_op.create_foreign_key(FK, "user", ["user_id"], ["id"], ondelete="CASCADE")
