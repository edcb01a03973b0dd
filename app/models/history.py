"""Energy history: one row per cycle interval (users, homes; devices with HISTORY_DEVICE_MINUTE),
a quarter-hour bucket per device, plus hour and local-day rollups. See docs/history.md.

Bucketed upserts (no TimescaleDB needed; on PostgreSQL the interval tables are partitioned by
day, app.repositories.partitions). Every table is keyed by
(subject_id, bucket_start), where the subject is a device (what that device did) or a user (the
home's totals). `user_id` is the owner, so deleting a user deletes their history.

- `energy_minute`: one row per subject and cycle, keyed by the start of the interval the cycle
  covers (`cycle_at - SIMULATION_INTERVAL_S`: a minute at the default interval). Written once;
  a re-run of the same cycle leaves it untouched. Pruned after `HISTORY_MINUTE_RETENTION_DAYS`.
  Its `user_id` has no foreign key: a foreign key checks the `user` row for every inserted row
  (an internal trigger per row, ~20 % of the history write of a 500,000-device cycle), and
  this table receives one row per device per cycle. Deleting a user still deletes their rows,
  through a statement-level trigger on `user` (migration `b5f0c2a7d9e1`); the same statement
  that inserts a cycle's rows adds them to `energy_hour`, whose foreign key does refuse a
  deleted user, so no row of an unknown user is recorded either.
- `energy_quarter_hour`: devices, 15 UTC minutes, incremented by each cycle whose user row is
  first inserted (a device has no minute row by default). Kept HISTORY_DEVICE_RETENTION_DAYS.
- `energy_hour`: UTC hours, incremented only when a minute row is first inserted. Kept.
- `energy_day`: the owner's local calendar days (`bucket_start` = local midnight as a UTC
  instant; 23 or 25 hours long on DST changes), incremented the same way. Kept.

On PostgreSQL the two rollup tables are stored with `fillfactor` 50: every cycle updates each
row in place, and the free half of each page lets those updates be HOT (no new index entries),
which roughly halves the cost of the rollup upserts.

Per-home totals live in `home_energy_minute/hour/day` (keyed by home; the day rows on the
home's own local calendar), written by the same cycle statement pattern. A user's rows are
the sums of its homes' for the same interval (the user's days on its first home's calendar).

All energies are Wh >= 0. Device rows leave `imported_wh`/`exported_wh` at 0: the grid is
exchanged by the home, not by one device; so do they `import_cost`/`export_revenue` (money, see
MONEY_COLUMNS and docs/tariffs.md). The day tables also hold the day's `fixed_charge`. In the
hour and day rollups, kept for good, a device row stores those always-zero columns as NULL on
PostgreSQL (DEVICE_NULL_COLUMNS: 24 of the 128 bytes of a device hour row), read as 0.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime

#: The energy columns of every history table, in a fixed order (SQL and GraphQL use it).
ENERGY_COLUMNS = (
    "produced_wh",
    "consumed_wh",
    "charged_wh",
    "discharged_wh",
    "imported_wh",
    "exported_wh",
)

#: The money columns of the tables that carry grid exchange, in the tariff's currency, unrounded:
#: what the interval's import cost and what its export earned, at the price in force for the
#: interval (so a later tariff change never rewrites them). 0 on device rows and without a tariff.
MONEY_COLUMNS = ("import_cost", "export_revenue")

#: Every additive column of a history row (what the rollups accumulate).
HISTORY_COLUMNS = ENERGY_COLUMNS + MONEY_COLUMNS


def _energy(sort_order: int) -> Mapped[float]:
    """Wh >= 0; `sort_order` places the mixins' columns after the key columns, as created."""
    return mapped_column(Float, nullable=False, default=0.0, sort_order=sort_order)


def _money(sort_order: int = 2) -> Mapped[float]:
    return mapped_column(
        Float, nullable=False, default=0.0, server_default="0", sort_order=sort_order
    )


class _DeviceFigures:
    """The energy a device can record (DEVICE_COLUMNS)."""

    produced_wh: Mapped[float] = _energy(1)
    consumed_wh: Mapped[float] = _energy(1)
    charged_wh: Mapped[float] = _energy(1)
    discharged_wh: Mapped[float] = _energy(1)


class _GridFigures(_DeviceFigures):
    """A home's or user's figures: a device's plus the grid exchange and its money."""

    imported_wh: Mapped[float] = _energy(2)
    exported_wh: Mapped[float] = _energy(2)
    import_cost: Mapped[float] = _money()
    export_revenue: Mapped[float] = _money()


class _EnergyBucket(_GridFigures):
    subject_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    bucket_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True
    )


#: PostgreSQL: the tables with a retention period are partitioned by UTC day (`bucket_start`),
#: so that retention drops whole partitions (app.repositories.partitions). SQLite: plain tables.
DAY_PARTITIONED = {"postgresql_partition_by": "RANGE (bucket_start)"}

#: The figures a device row can carry (devices exchange nothing with the grid and carry no
#: money): the only columns of `energy_quarter_hour`.
DEVICE_COLUMNS = ENERGY_COLUMNS[:4]


class EnergyMinute(_EnergyBucket, Base):
    """One row per user per cycle (and per device with HISTORY_DEVICE_MINUTE)."""

    __tablename__ = "energy_minute"
    # No foreign key (see the module docstring). The index serves the delete-user trigger; on
    # PostgreSQL only for the device rows (a user's own rows have subject_id = user_id and are
    # found by the primary key), so by default it is empty.
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    __table_args__ = (
        Index(
            "ix_energy_minute_user_id", "user_id", postgresql_where=text("subject_id <> user_id")
        ),
        DAY_PARTITIONED,
    )


class EnergyQuarterHour(_DeviceFigures, Base):
    """One row per device per 15 UTC minutes: the sum of its cycles' energy in that quarter,
    added by each cycle (kept HISTORY_DEVICE_RETENTION_DAYS). No money and no grid columns
    (always 0 on a device), and no foreign key on the owner (a trigger on "user" deletes the
    rows, as for `energy_minute`)."""

    __tablename__ = "energy_quarter_hour"
    __table_args__ = (
        # The maintenance job reads an hour of every device's quarters (HistoryRollup): rows are
        # inserted in time order, so a BRIN index finds them for a few pages of index, at no
        # cost to the cycle's updates (which stay HOT). SQLite: a plain index.
        Index("ix_energy_quarter_hour_bucket_start", "bucket_start", postgresql_using="brin"),
        {**DAY_PARTITIONED, "postgresql_with": {"fillfactor": 50}},
    )
    subject_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    bucket_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, index=True)


class HistoryRollup(Base):
    """PostgreSQL: how far the maintenance job has added the devices' quarter hours into their
    hour and day rollups (one row; `rolled_until` is on an hour).

    A cycle adds a device's energy to its quarter hour, and to its hour and day rows only when
    the interval lies before `rolled_until` (a late cycle, a backfill); the job adds the
    quarters of each later hour once they are past (three hours behind the clock). Reads of a
    device's hours and days add its quarter hours from `rolled_until` on, so they answer what
    the per-cycle rollups would. Without the row (SQLite, which keeps per-cycle rollups, or a
    PostgreSQL installation that deletes it) every cycle adds to the rollups itself."""

    __tablename__ = "history_rollup"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    rolled_until: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


#: Rollup rows are updated every cycle: leave room on each page for HOT updates.
ROLLUP_FILLFACTOR = 50

#: The columns of `energy_hour` and `energy_day` that are always 0 on a device row (grid and
#: money; and the day's fixed charge): NULL there on PostgreSQL (no bytes in the row: 24 of a
#: device hour row's 128), read as 0. A user's rows always carry them.
DEVICE_NULL_COLUMNS = ("imported_wh", "exported_wh", *MONEY_COLUMNS)


def _device_null(*, money: bool = False) -> Mapped[float]:
    if money:
        return mapped_column(Float, nullable=True, default=0.0, server_default="0")
    return mapped_column(Float, nullable=True, default=0.0)


class _DeviceRollup(_EnergyBucket):
    """An hour or day rollup of users and devices (NULL grid and money on device rows)."""

    imported_wh: Mapped[float] = _device_null()
    exported_wh: Mapped[float] = _device_null()
    import_cost: Mapped[float] = _device_null(money=True)
    export_revenue: Mapped[float] = _device_null(money=True)


class EnergyHour(_DeviceRollup, Base):
    __tablename__ = "energy_hour"
    __table_args__ = {"postgresql_with": {"fillfactor": ROLLUP_FILLFACTOR}}


class EnergyDay(_DeviceRollup, Base):
    __tablename__ = "energy_day"
    __table_args__ = {"postgresql_with": {"fillfactor": ROLLUP_FILLFACTOR}}
    #: The day's fixed charge, written with the day's first row and never updated: the daily
    #: fixed charge of the tariff in force then (a user row: the sum over its priced homes;
    #: NULL on a device row on PostgreSQL).
    fixed_charge: Mapped[float] = _device_null(money=True)


class _HomeEnergyBucket(_GridFigures):
    """A home's totals (the sums of its devices, and its own grid exchange): the same figures
    as a user's rows, keyed by home. Deleting a home (or its user) deletes them (ON DELETE
    CASCADE: one row per home per cycle, so the foreign key check costs little)."""

    home_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("home.id", ondelete="CASCADE"), primary_key=True
    )
    bucket_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)


class HomeEnergyMinute(_HomeEnergyBucket, Base):
    """Per-home interval rows; pruned with `energy_minute`'s totals retention."""

    __tablename__ = "home_energy_minute"
    __table_args__ = DAY_PARTITIONED


class HomeEnergyHour(_HomeEnergyBucket, Base):
    """Per-home UTC hours. Kept."""

    __tablename__ = "home_energy_hour"
    __table_args__ = {"postgresql_with": {"fillfactor": ROLLUP_FILLFACTOR}}


class HomeEnergyDay(_HomeEnergyBucket, Base):
    """Per-home days of the home's own local calendar. Kept."""

    __tablename__ = "home_energy_day"
    __table_args__ = {"postgresql_with": {"fillfactor": ROLLUP_FILLFACTOR}}
    #: As `EnergyDay.fixed_charge`: the home's tariff's daily charge when the row was created.
    fixed_charge: Mapped[float] = _money(sort_order=0)


__all__ = [
    "DEVICE_COLUMNS",
    "DEVICE_NULL_COLUMNS",
    "ENERGY_COLUMNS",
    "HISTORY_COLUMNS",
    "MONEY_COLUMNS",
    "EnergyDay",
    "EnergyHour",
    "EnergyMinute",
    "EnergyQuarterHour",
    "HomeEnergyDay",
    "HomeEnergyHour",
    "HomeEnergyMinute",
]
