"""Home queries; every lookup is scoped to its owner so foreign ids look like missing ones."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, Uuid, bindparam, case, delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from app import models
from app.models.history import HISTORY_COLUMNS, MONEY_COLUMNS

_ORDER = (models.Home.created_at, models.Home.id)


class HomeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def list_for_owner(self, owner_id: uuid.UUID) -> list[models.Home]:
        """The owner's homes, first home first."""
        stmt = select(models.Home).where(models.Home.owner_id == owner_id).order_by(*_ORDER)
        return list((await self.session.scalars(stmt)).all())

    async def get_for_owner(self, home_id: uuid.UUID, owner_id: uuid.UUID) -> models.Home | None:
        stmt = select(models.Home).where(
            models.Home.id == home_id, models.Home.owner_id == owner_id
        )
        return (await self.session.scalars(stmt)).one_or_none()

    async def get_many(self, home_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, models.Home]:
        stmt = select(models.Home).where(models.Home.id.in_(home_ids))
        return {h.id: h for h in (await self.session.scalars(stmt)).all()}

    async def first_for_owner(self, owner_id: uuid.UUID) -> models.Home | None:
        stmt = (
            select(models.Home).where(models.Home.owner_id == owner_id).order_by(*_ORDER).limit(1)
        )
        return (await self.session.scalars(stmt)).first()

    async def count_for_owner(self, owner_id: uuid.UUID) -> int:
        stmt = select(func.count()).select_from(models.Home).where(models.Home.owner_id == owner_id)
        return int(await self.session.scalar(stmt) or 0)

    async def device_ids(self, home_id: uuid.UUID) -> list[uuid.UUID]:
        stmt = select(models.Device.id).where(models.Device.home_id == home_id)
        return list((await self.session.scalars(stmt)).all())

    def add(self, home: models.Home) -> None:
        self.session.add(home)

    async def move_following_panels(self, home: models.Home) -> None:
        """Panels that follow their home sit at its (new) location."""
        panel = cast(Table, models.SolarPanel.__table__)
        device = cast(Table, models.Device.__table__)
        await self.session.execute(
            update(panel)
            .where(
                panel.c.follows_home.is_(True),
                panel.c.id.in_(select(device.c.id).where(device.c.home_id == home.id)),
            )
            .values(latitude=home.latitude, longitude=home.longitude)
        )

    async def home_hours(self, home_id: uuid.UUID) -> Sequence[Any]:
        """The home's hour rows (bucket_start and energies)."""
        t = models.HomeEnergyHour.__table__
        stmt = select(t.c.bucket_start, *(t.c[c] for c in HISTORY_COLUMNS)).where(
            t.c.home_id == home_id
        )
        return (await self.session.execute(stmt)).all()

    async def subtract_from_user(
        self, home_id: uuid.UUID, user_id: uuid.UUID, days: dict[datetime, list[float]]
    ) -> None:
        """Take a home's energy and money out of its user's totals (minute and hour rows bucket
        by bucket; `days`: the home's HISTORY_COLUMNS per user-calendar day start). Energy never
        below 0; money may be negative. The user's days keep their fixed charges."""

        def part(c: str, table: str, home_table: str) -> str:
            return (
                f"COALESCE((SELECT h.{c} FROM {home_table} h"
                f" WHERE h.home_id = :home AND h.bucket_start = {table}.bucket_start), 0)"
            )

        def minus(table: str, home_table: str) -> str:
            sets = ", ".join(
                f"{c} = {c} - {part(c, table, home_table)}"
                if c in MONEY_COLUMNS
                else f"{c} = CASE WHEN {c} - {part(c, table, home_table)} > 0"
                f" THEN {c} - {part(c, table, home_table)} ELSE 0 END"
                for c in HISTORY_COLUMNS
            )
            return (
                f"UPDATE {table} SET {sets} WHERE subject_id = :user AND bucket_start IN"
                f" (SELECT bucket_start FROM {home_table} WHERE home_id = :home)"
            )

        for kind in ("minute", "hour"):
            stmt = text(minus(f"energy_{kind}", f"home_energy_{kind}")).bindparams(
                bindparam("home", home_id, type_=Uuid()), bindparam("user", user_id, type_=Uuid())
            )
            await self.session.execute(stmt)
        day = cast(Table, models.EnergyDay.__table__)
        for start, energies in days.items():
            values = {
                c: day.c[c] - wh
                if c in MONEY_COLUMNS
                else case((day.c[c] - wh > 0, day.c[c] - wh), else_=0.0)
                for c, wh in zip(HISTORY_COLUMNS, energies, strict=True)
            }
            await self.session.execute(
                update(day)
                .where(day.c.subject_id == user_id, day.c.bucket_start == start)
                .values(**values)
            )

    async def delete_device_history(self, device_ids: Sequence[uuid.UUID]) -> None:
        """The interval, quarter-hour and rollup rows of these devices (a deleted home's)."""
        if not device_ids:
            return
        for model in (
            models.EnergyMinute,
            models.EnergyQuarterHour,
            models.EnergyHour,
            models.EnergyDay,
        ):
            await self.session.execute(delete(model).where(model.subject_id.in_(device_ids)))
