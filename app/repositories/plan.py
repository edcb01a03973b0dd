"""Stored plans (one per home, the latest) and the price slots a horizon needs."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app import models


async def slots_between(
    session: AsyncSession, home_ids: Collection[uuid.UUID], start: datetime, end: datetime
) -> list[models.PriceSlotRow]:
    """The uploaded slots of these homes starting in [start, end)."""
    if not home_ids:
        return []
    row = models.PriceSlotRow
    stmt = select(row).where(row.home_id.in_(list(home_ids)), row.start >= start, row.start < end)
    return list((await session.scalars(stmt.order_by(row.start))).all())
