"""Stored plans (one per home, the latest) and the price slots a horizon needs."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, insert, select
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


async def plans_of(
    session: AsyncSession, home_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, models.PlanRow]:
    if not home_ids:
        return {}
    stmt = select(models.PlanRow).where(models.PlanRow.home_id.in_(list(home_ids)))
    return {r.home_id: r for r in (await session.scalars(stmt)).all()}


async def replace_plans(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Store these plans (dicts of `plan` columns), replacing each home's previous one."""
    if not rows:
        return
    table = cast(Table, models.PlanRow.__table__)
    await session.execute(delete(table).where(table.c.home_id.in_([r["home_id"] for r in rows])))
    await session.execute(insert(table), rows)
