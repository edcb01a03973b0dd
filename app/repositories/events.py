"""SQL of the device event log."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import models


class DeviceEventRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def latest(
        self, device_ids: Sequence[uuid.UUID], first: int
    ) -> dict[uuid.UUID, list[models.DeviceEvent]]:
        """The `first` newest events of each device, newest first: one statement for any number
        of devices (a window over the (device_id, at) index)."""
        if not device_ids or first <= 0:
            return {}
        e = models.DeviceEvent
        rank = (
            func.row_number()
            .over(partition_by=e.device_id, order_by=(e.at.desc(), e.id.desc()))
            .label("rank")
        )
        inner = select(e.id, rank).where(e.device_id.in_(list(device_ids))).subquery()
        stmt = (
            select(e)
            .join(inner, inner.c.id == e.id)
            .where(inner.c.rank <= first)
            .order_by(e.device_id, e.at.desc(), e.id.desc())
        )
        out: dict[uuid.UUID, list[models.DeviceEvent]] = {}
        for event in (await self.session.scalars(stmt)).all():
            out.setdefault(event.device_id, []).append(event)
        return out
