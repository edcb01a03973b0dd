"""Device queries; every lookup is scoped to its owner so foreign ids look like missing ones."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import with_polymorphic

from app import models

# Every kind's columns joined to `device`: a device list loads in one round trip.
_ANY_DEVICE = with_polymorphic(models.Device, "*")


class DeviceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def list_for_owner(
        self, owner_id: uuid.UUID, kind: models.DeviceKind | None = None
    ) -> Sequence[models.Device]:
        """The owner's devices, oldest first, in one SELECT.

        All kinds come from one `device LEFT OUTER JOIN <kind tables>` statement instead of the
        mapper's default selectin loading (one SELECT for `device`, then one per kind present).
        """
        if kind is not None:
            stmt = select(kind.model).where(kind.model.owner_id == owner_id)
        else:
            stmt = select(_ANY_DEVICE).where(_ANY_DEVICE.owner_id == owner_id)
        stmt = stmt.order_by(models.Device.created_at, models.Device.id)
        return (await self.session.scalars(stmt)).all()

    async def get_for_owner(
        self, device_id: uuid.UUID, owner_id: uuid.UUID
    ) -> models.Device | None:
        stmt = select(models.Device).where(
            models.Device.id == device_id, models.Device.owner_id == owner_id
        )
        return (await self.session.scalars(stmt)).one_or_none()

    async def get_many_for_owner(
        self, device_ids: Sequence[uuid.UUID], owner_id: uuid.UUID
    ) -> dict[uuid.UUID, models.Device]:
        stmt = select(models.Device).where(
            models.Device.id.in_(device_ids), models.Device.owner_id == owner_id
        )
        return {d.id: d for d in (await self.session.scalars(stmt)).all()}

    def add(self, device: models.Device) -> None:
        self.session.add(device)

    async def delete(self, device: models.Device) -> None:
        await self.session.delete(device)
