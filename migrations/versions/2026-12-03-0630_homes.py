"""homes: several places per account, every device in one

Creates `home` (owner, name, IANA timezone, location), one home "Home" per existing user from
the user's timezone and location, and `device.home_id` (not null, indexed with status) pointing
every existing device at its owner's home. `solar_panel.follows_home` marks panels that sit at
their home's location (existing panels: those whose location equals their owner's). The users'
history totals are copied to their home's new `home_energy_*` rows, so a migrated home's
history starts with the account's past (one home per user: the home's totals are the user's).
A trigger keeps a user's timezone/location, when written to the user row, on its first home.

Downgrade drops homes; devices stay with their owners (the user row keeps the first home's
timezone and location throughout).

Revision ID: c7a1e4d2f903
Revises: b5f0c2a7d9e1
Create Date: 2026-12-03 06:30:00.000000+00:00
"""

import contextlib
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = "c7a1e4d2f903"
down_revision: str | None = "b5f0c2a7d9e1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Homes inserted per statement while migrating users.
CHUNK = 1000
ENERGY = ("produced_wh", "consumed_wh", "charged_wh", "discharged_wh", "imported_wh", "exported_wh")


def upgrade() -> None:
    op.create_table(
        "home",
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "latitude >= -90 AND latitude <= 90", name=op.f("ck_home_latitude_range")
        ),
        sa.CheckConstraint(
            "longitude >= -180 AND longitude <= 180", name=op.f("ck_home_longitude_range")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["user.id"], name=op.f("fk_home_owner_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_home")),
    )
    op.create_index("ix_home_owner_id_created_at", "home", ["owner_id", "created_at"], unique=False)
    _create_homes()

    with _kind_rows_kept():
        _add_device_home()

    with op.batch_alter_table("solar_panel", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("follows_home", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.execute(
        "UPDATE solar_panel SET follows_home = true WHERE EXISTS ("
        ' SELECT 1 FROM device d JOIN "user" u ON u.id = d.owner_id'
        " WHERE d.id = solar_panel.id"
        " AND u.latitude = solar_panel.latitude AND u.longitude = solar_panel.longitude)"
    )

    _create_mirror_trigger()

    for kind in ("minute", "hour", "day"):
        _create_home_energy(kind)
    cols = ", ".join(ENERGY)
    for kind in ("minute", "hour", "day"):
        op.execute(
            f"INSERT INTO home_energy_{kind} (home_id, bucket_start, {cols})"
            f" SELECT h.id, e.bucket_start, {', '.join(f'e.{c}' for c in ENERGY)}"
            f" FROM energy_{kind} e JOIN home h ON h.owner_id = e.subject_id"
        )


def _create_home_energy(kind: str) -> None:
    name = f"home_energy_{kind}"
    op.create_table(
        name,
        sa.Column("home_id", sa.Uuid(), nullable=False),
        sa.Column("bucket_start", app.models.base.UTCDateTime(timezone=True), nullable=False),
        *(sa.Column(c, sa.Float(), nullable=False) for c in ENERGY),
        sa.ForeignKeyConstraint(
            ["home_id"], ["home.id"], name=op.f(f"fk_{name}_home_id_home"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("home_id", "bucket_start", name=op.f(f"pk_{name}")),
        **({} if kind == "minute" else {"postgresql_with": {"fillfactor": 50}}),
    )
    if kind == "minute":
        op.create_index(f"ix_{name}_bucket_start", name, ["bucket_start"], unique=False)

def _add_device_home() -> None:
    """device.home_id: added nullable, filled from the owner's home, then made NOT NULL."""
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.add_column(sa.Column("home_id", sa.Uuid(), nullable=True))
    op.execute(
        "UPDATE device SET home_id = (SELECT h.id FROM home h WHERE h.owner_id = device.owner_id)"
    )
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.alter_column("home_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_device_home_id_home"), "home", ["home_id"], ["id"], ondelete="CASCADE"
        )
        batch_op.create_index("ix_device_home_id_status", ["home_id", "status"], unique=False)


#: The joined tables of every device kind (their rows reference `device` with ON DELETE CASCADE).
KIND_TABLES = (
    "solar_panel",
    "generator",
    "battery",
    "electric_vehicle",
    "air_conditioner",
    "heater",
)


@contextlib.contextmanager
def _kind_rows_kept() -> Iterator[None]:
    """On SQLite, batch mode rebuilds `device`, and its DROP TABLE runs the kind tables' ON
    DELETE CASCADE (foreign keys are on, and cannot be switched off inside the migration's
    transaction): keep their rows aside and put them back. PostgreSQL alters in place."""
    if op.get_bind().dialect.name != "sqlite":
        yield
        return
    for name in KIND_TABLES:
        op.execute(f"CREATE TEMP TABLE hems_keep_{name} AS SELECT * FROM {name}")
    yield
    for name in KIND_TABLES:
        op.execute(f"INSERT INTO {name} SELECT * FROM hems_keep_{name}")
        op.execute(f"DROP TABLE hems_keep_{name}")


def _create_homes() -> None:
    """One home per user, from the user's timezone and location (ids made here: portable)."""
    bind = op.get_bind()
    users = sa.table(
        "user",
        sa.column("id", sa.Uuid()),
        sa.column("timezone", sa.String()),
        sa.column("latitude", sa.Float()),
        sa.column("longitude", sa.Float()),
        sa.column("created_at", app.models.base.UTCDateTime()),
    )
    home = sa.table(
        "home",
        sa.column("id", sa.Uuid()),
        sa.column("owner_id", sa.Uuid()),
        sa.column("name", sa.String()),
        sa.column("timezone", sa.String()),
        sa.column("latitude", sa.Float()),
        sa.column("longitude", sa.Float()),
        sa.column("created_at", app.models.base.UTCDateTime()),
        sa.column("updated_at", app.models.base.UTCDateTime()),
    )
    now = datetime.now(UTC)
    rows = [
        {
            "id": uuid.uuid4(),
            "owner_id": r.id,
            "name": "Home",
            "timezone": r.timezone,
            "latitude": r.latitude,
            "longitude": r.longitude,
            "created_at": r.created_at,
            "updated_at": now,
        }
        for r in bind.execute(sa.select(users).order_by(users.c.id))
    ]
    for lo in range(0, len(rows), CHUNK):
        bind.execute(home.insert(), rows[lo : lo + CHUNK])


TRIGGER = "trg_user_location_first_home"
FUNCTION = "hems_user_location_first_home"
_FIRST_HOME = "SELECT id FROM home WHERE owner_id = NEW.id ORDER BY created_at, id LIMIT 1"
_MIRROR = (
    "UPDATE home SET timezone = NEW.timezone, latitude = NEW.latitude,"
    f" longitude = NEW.longitude WHERE id = ({_FIRST_HOME})"
)


def _create_mirror_trigger() -> None:
    """`user.timezone/latitude/longitude` are those of the first home: a change written to the
    user row (by any writer) goes to the first home. The application writes both itself."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$"
            f" BEGIN {_MIRROR}; RETURN NULL; END $$"
        )
        op.execute(
            f'CREATE TRIGGER {TRIGGER} AFTER UPDATE OF timezone, latitude, longitude ON "user"'
            f" FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
        )
    else:
        op.execute(
            f'CREATE TRIGGER {TRIGGER} AFTER UPDATE OF timezone, latitude, longitude ON "user"'
            f" FOR EACH ROW BEGIN {_MIRROR}; END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f'DROP TRIGGER {TRIGGER} ON "user"')
        op.execute(f"DROP FUNCTION {FUNCTION}()")
    else:
        op.execute(f"DROP TRIGGER {TRIGGER}")
    for kind in ("minute", "hour", "day"):
        op.drop_table(f"home_energy_{kind}")
    with op.batch_alter_table("solar_panel", schema=None) as batch_op:
        batch_op.drop_column("follows_home")
    with _kind_rows_kept(), op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.drop_index("ix_device_home_id_status")
        batch_op.drop_constraint(batch_op.f("fk_device_home_id_home"), type_="foreignkey")
        batch_op.drop_column("home_id")
    op.drop_index("ix_home_owner_id_created_at", table_name="home")
    op.drop_table("home")
