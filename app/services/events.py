"""The device event log: every control change, who made it and when (`device_event`)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app import models
from app.models.base import utcnow


async def record_event(
    session: AsyncSession,
    device: models.Device,
    user_id: uuid.UUID | None,
    action: str,
    detail: dict[str, Any] | None,
) -> models.DeviceEvent:
    """Add one event for `device` (in the caller's unit of work: it commits with the change)."""
    event = models.DeviceEvent(
        device_id=device.id, user_id=user_id, at=utcnow(), action=action, detail=detail
    )
    session.add(event)
    await session.flush()
    return event
