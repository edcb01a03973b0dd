"""Which homes need a new plan, found with aggregate queries before any device row is loaded.

A home's plan **fingerprint** is a hash of what its plan was computed from, taken from
per-home aggregates the database computes (one row per home, whatever its device count):

- the home's time zone and location;
- per device kind, over its ACTIVE devices: the count, and the sum, minimum and maximum of
  every setting column the planner reads (panels: area, efficiency, maximum, latitude,
  longitude; generators and loads: rated power; batteries: capacity and C-rate; EVs: capacity,
  charge rate, driving draw, and the count per `mode_setting`). Storage levels, flows and
  timestamps are not in it: they move every cycle, and the hourly re-plan starts from the
  levels of that moment;
- the tariff (kind, currency, prices, fixed charge, windows, created and updated instants) or
  its absence;
- the uploaded price slots of the coming two days counted from the hour: count, sums and first
  and last start (so the sliding horizon alone changes it hourly).

A home is due when it has no plan, its plan is an hour old (`MAX_PLAN_AGE_S`) or its stored
fingerprint differs. `due_owner_ids` answers this for the whole fleet, so the planning cron
enqueues batches for those owners only, and `plan_batch` loads the devices of its due owners
only. A change that keeps every aggregate of a kind equal (two devices of one kind swapping a
setting) is not seen until the hourly re-plan.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import orjson
from sqlalchemy import ColumnElement, Table, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import models

MAX_PLAN_AGE_S = 3600
PLAN_HOURS = 48

#: Per kind: its model and the setting columns the planner reads.
_KINDS: tuple[tuple[str, type[models.Device], tuple[str, ...]], ...] = (
    (
        "solar",
        models.SolarPanel,
        ("panel_area_m2", "efficiency", "max_capacity_w", "latitude", "longitude"),
    ),
    ("gen", models.Generator, ("rated_power_w",)),
    (
        "bat",
        models.Battery,
        ("capacity_wh", "c_rate", "reserve_soc_percent", "round_trip_efficiency"),
    ),
    (
        "ev",
        models.ElectricVehicle,
        (
            "battery_capacity_kwh",
            "charge_rate_kw",
            "driving_consumption_kwh_per_hour",
            "min_soc_percent",
            "limit_soc_percent",
        ),
    ),
    ("ac", models.AirConditioner, ("rated_power_w",)),
    ("heat", models.Heater, ("rated_power_w",)),
    ("house", models.HouseholdLoad, ("annual_consumption_kwh",)),
)
_EV_MODES = tuple(m.value for m in models.EVMode)


@dataclass(frozen=True, slots=True)
class HomeState:
    owner_id: uuid.UUID
    fingerprint: str
    planned_at: datetime | None
    stored_fingerprint: str | None

    def due(self, now: datetime) -> bool:
        return (
            self.planned_at is None
            or self.stored_fingerprint != self.fingerprint
            or (now - self.planned_at).total_seconds() >= MAX_PLAN_AGE_S
        )


def _value(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        # Sums of floats may differ in their last bits with the order the database adds them.
        return f"{v:.10g}"
    return str(v)


async def home_states(
    session: AsyncSession, owner_ids: Sequence[uuid.UUID] | None, now: datetime
) -> dict[uuid.UUID, HomeState]:
    """Per home of `owner_ids` (None: every owner): its fingerprint and its stored plan's."""
    home = cast(Table, models.Home.__table__)
    device = cast(Table, models.Device.__table__)
    plan = cast(Table, models.PlanRow.__table__)
    tariff = cast(Table, models.TariffRow.__table__)
    slot = cast(Table, models.PriceSlotRow.__table__)

    def owned(table: Table) -> list[ColumnElement[bool]]:
        return [] if owner_ids is None else [table.c.owner_id.in_(list(owner_ids))]

    parts: dict[uuid.UUID, list[Any]] = {}
    states: dict[uuid.UUID, tuple[uuid.UUID, datetime | None, str | None]] = {}
    stmt = (
        select(
            home.c.id,
            home.c.owner_id,
            home.c.timezone,
            home.c.latitude,
            home.c.longitude,
            plan.c.created_at,
            plan.c.fingerprint,
            tariff.c.kind,
            tariff.c.currency,
            tariff.c.import_price_per_kwh,
            tariff.c.export_price_per_kwh,
            tariff.c.daily_fixed_charge,
            tariff.c.windows,
            tariff.c.created_at,
            tariff.c.updated_at,
        )
        .outerjoin(plan, plan.c.home_id == home.c.id)
        .outerjoin(tariff, tariff.c.home_id == home.c.id)
        .where(*owned(home))
    )
    for r in (await session.execute(stmt)).all():
        states[r[0]] = (r[1], r[5], r[6])
        parts[r[0]] = [[_value(v) for v in (r[2], r[3], r[4], *r[7:])]]
    for name, model, columns in _KINDS:
        kind = cast(Table, model.__table__)
        aggregates: list[Any] = [func.count()]
        for c in columns:
            aggregates += [func.sum(kind.c[c]), func.min(kind.c[c]), func.max(kind.c[c])]
        if model is models.ElectricVehicle:
            aggregates += [
                func.sum(case((kind.c.mode_setting == mode, 1), else_=0)) for mode in _EV_MODES
            ]
        stmt = (
            select(device.c.home_id, *aggregates)
            .join(kind, kind.c.id == device.c.id)
            .where(device.c.status == models.DeviceStatus.ACTIVE, *owned(device))
            .group_by(device.c.home_id)
        )
        for r in (await session.execute(stmt)).all():
            if r[0] in parts:
                parts[r[0]].append([name, *(_value(v) for v in r[1:])])
    # Every owner's control change (modes, schedules, thermostats) is a DeviceEvent: the newest
    # one per home stands for the settings an aggregate cannot see (a schedule's times).
    event = cast(Table, models.DeviceEvent.__table__)
    stmt = (
        select(device.c.home_id, func.count(), func.max(event.c.at))
        .join(event, event.c.device_id == device.c.id)
        .where(*owned(device))
        .group_by(device.c.home_id)
    )
    for r in (await session.execute(stmt)).all():
        if r[0] in parts:
            parts[r[0]].append(["events", *(_value(v) for v in r[1:])])
    hour = now.replace(minute=0, second=0, microsecond=0)
    stmt = (
        select(
            slot.c.home_id,
            func.count(),
            func.sum(slot.c["import"]),
            func.sum(slot.c["export"]),
            func.min(slot.c.start),
            func.max(slot.c.start),
        )
        .join(home, home.c.id == slot.c.home_id)
        .where(
            slot.c.start >= hour,
            slot.c.start < hour + timedelta(hours=PLAN_HOURS),
            *owned(home),
        )
        .group_by(slot.c.home_id)
    )
    for r in (await session.execute(stmt)).all():
        if r[0] in parts:
            parts[r[0]].append(["slots", *(_value(v) for v in r[1:])])
    out: dict[uuid.UUID, HomeState] = {}
    for home_id, (owner, planned_at, stored) in states.items():
        digest = hashlib.sha256(orjson.dumps(parts[home_id])).hexdigest()
        out[home_id] = HomeState(owner, digest, planned_at, stored)
    return out


async def due_owner_ids(session: AsyncSession, now: datetime) -> list[uuid.UUID]:
    """The owners (in id order) with at least one home whose plan is missing, old or out of
    date: the only ones the planning round needs to load."""
    states = await home_states(session, None, now)
    return sorted({s.owner_id for s in states.values() if s.due(now)})
