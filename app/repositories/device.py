"""Device queries; every lookup is scoped to its owner so foreign ids look like missing ones."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app import models


class DeviceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def list_for_owner(
        self, owner_id: uuid.UUID, kind: models.DeviceKind | None = None
    ) -> Sequence[models.Device]:
        """The owner's devices, oldest first; subclasses load with one SELECT per kind present."""
        stmt = select(models.Device).where(models.Device.owner_id == owner_id)
        if kind is not None:
            stmt = select(kind.model).where(kind.model.owner_id == owner_id)
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
