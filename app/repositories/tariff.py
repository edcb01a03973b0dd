"""Tariffs and uploaded price slots, by home (callers check that the home is the caller's)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app import models, tariffs

#: Rows per upsert statement (4 parameters each: well under every driver's limit).
_UPSERT_CHUNK = 500


def windows_to_json(windows: Sequence[tariffs.Window]) -> list[dict[str, Any]]:
    return [
        {
            "days": [int(d) for d in w.days],
            "start": w.start_minute,
            "end": w.end_minute,
            "import": w.import_price_per_kwh,
            "export": w.export_price_per_kwh,
        }
        for w in windows
    ]


def to_domain(row: models.TariffRow) -> tariffs.Tariff:
    """The validated tariff a row stores (it was validated before it was written)."""
    return tariffs.Tariff(
        kind=tariffs.TariffKind(row.kind),
        currency=row.currency,
        daily_fixed_charge=row.daily_fixed_charge,
        import_price_per_kwh=row.import_price_per_kwh,
        export_price_per_kwh=row.export_price_per_kwh,
        windows=tuple(
            tariffs.Window(
                days=tuple(tariffs.Weekday(d) for d in w["days"]),
                start_minute=int(w["start"]),
                end_minute=int(w["end"]),
                import_price_per_kwh=float(w["import"]),
                export_price_per_kwh=float(w["export"]),
            )
            for w in row.windows or ()
        ),
    )


def slot_to_domain(row: models.PriceSlotRow) -> tariffs.PriceSlot:
    return tariffs.PriceSlot(row.start, row.import_price_per_kwh, row.export_price_per_kwh)


class TariffRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, home_id: uuid.UUID) -> models.TariffRow | None:
        return await self.session.get(models.TariffRow, home_id)

    async def get_many(self, home_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, models.TariffRow]:
        if not home_ids:
            return {}
        stmt = select(models.TariffRow).where(models.TariffRow.home_id.in_(list(home_ids)))
        return {r.home_id: r for r in (await self.session.scalars(stmt)).all()}

    def add(self, row: models.TariffRow) -> None:
        self.session.add(row)

    async def delete(self, home_id: uuid.UUID) -> bool:
        """Delete the home's tariff and its price slots; whether there was a tariff."""
        table = cast(Table, models.TariffRow.__table__)
        slots = cast(Table, models.PriceSlotRow.__table__)
        await self.session.execute(delete(slots).where(slots.c.home_id == home_id))
        result = await self.session.execute(delete(table).where(table.c.home_id == home_id))
        return bool(getattr(result, "rowcount", 0))

    async def slots(
        self, home_id: uuid.UUID, start: datetime | None = None, end: datetime | None = None
    ) -> list[models.PriceSlotRow]:
        """The home's uploaded slots starting in [start, end) (all when not given), by start."""
        row = models.PriceSlotRow
        stmt = select(row).where(row.home_id == home_id)
        if start is not None:
            stmt = stmt.where(row.start >= start)
        if end is not None:
            stmt = stmt.where(row.start < end)
        return list((await self.session.scalars(stmt.order_by(row.start))).all())

    async def upsert_slots(self, home_id: uuid.UUID, slots: Sequence[dict[str, Any]]) -> None:
        """Insert or replace slots (dicts with start, import, export) of one home."""
        table = cast(Table, models.PriceSlotRow.__table__)
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        for lo in range(0, len(slots), _UPSERT_CHUNK):
            chunk = [{"home_id": home_id, **s} for s in slots[lo : lo + _UPSERT_CHUNK]]
            up = insert(table).values(chunk)
            await self.session.execute(
                up.on_conflict_do_update(
                    index_elements=["home_id", "start"],
                    set_={"import": up.excluded["import"], "export": up.excluded["export"]},
                )
            )

    async def slots_at(
        self, home_ids: Collection[uuid.UUID], start: datetime, last: datetime | None = None
    ) -> list[models.PriceSlotRow]:
        """The slots of the given homes starting at `start`, or from `start` to `last`
        inclusive (the quarters of the cycle's interval and instant)."""
        if not home_ids:
            return []
        row = models.PriceSlotRow
        stmt = select(row).where(row.home_id.in_(list(home_ids)))
        if last is None or last == start:
            stmt = stmt.where(row.start == start)
        else:
            stmt = stmt.where(row.start >= start, row.start <= last)
        return list((await self.session.scalars(stmt)).all())

    async def slot_prices(
        self, home_ids: Collection[uuid.UUID], start: datetime, last: datetime
    ) -> dict[uuid.UUID, list[tariffs.PriceSlot]]:
        """The slots of the given homes starting from `start` to `last` inclusive, per home, as
        domain slots.

        Why not `slots_at`: a SMART price horizon is 96 slots per DYNAMIC home, and building an
        ORM object per slot (identity map, attribute instrumentation) was half the batch time.
        Plain columns, no ORM objects, the same slots."""
        if not home_ids:
            return {}
        row = models.PriceSlotRow
        stmt = select(
            row.home_id, row.start, row.import_price_per_kwh, row.export_price_per_kwh
        ).where(row.home_id.in_(list(home_ids)), row.start >= start, row.start <= last)
        out: dict[uuid.UUID, list[tariffs.PriceSlot]] = {}
        for home_id, slot_start, import_price, export_price in (
            await self.session.execute(stmt)
        ).tuples():
            out.setdefault(home_id, []).append(
                tariffs.PriceSlot(slot_start, import_price, export_price)
            )
        return out
