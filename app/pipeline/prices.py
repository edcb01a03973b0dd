"""The price in force for each home of a batch at the cycle instant (for the live figures).

Two selects per batch: the batch's tariffs, and the current quarter's uploaded slot of its
DYNAMIC homes. The prices come from `app.tariffs.PriceBook` (vectorised over the homes).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from app import tariffs
from app.repositories.tariff import TariffRepository, slot_to_domain, to_domain
from app.simulation.calendar import zone
from app.tariffs.clock import quarter_index, quarter_start

FloatArray = np.ndarray[Any, np.dtype[np.float64]]


@dataclass(frozen=True, slots=True)
class BatchPrices:
    """Per engine row (home): its currency (None: no tariff) and the prices per kWh now."""

    currency: list[str | None]
    import_price: FloatArray
    export_price: FloatArray

    @property
    def any_priced(self) -> bool:
        return any(c is not None for c in self.currency)


def no_prices(n: int) -> BatchPrices:
    return BatchPrices([None] * n, np.zeros(n), np.zeros(n))


async def load_prices(
    session: AsyncSession, homes: Sequence[Any], cycle_at: datetime
) -> BatchPrices:
    """`homes`: the batch's home rows (id, owner_id, timezone, ...), in engine row order."""
    ids: list[uuid.UUID] = [r[0] for r in homes]
    repo = TariffRepository(session)
    rows = await repo.get_many(ids)
    if not rows:
        return no_prices(len(ids))
    found = {home_id: to_domain(row) for home_id, row in rows.items()}
    quarter = quarter_index(cycle_at)
    dynamic = [h for h, t in found.items() if t.kind is tariffs.TariffKind.DYNAMIC]
    slots: dict[uuid.UUID, list[tariffs.PriceSlot]] = {}
    for slot in await repo.slots_at(dynamic, quarter_start(quarter)):
        slots.setdefault(slot.home_id, []).append(slot_to_domain(slot))
    book = tariffs.PriceBook.build(
        [tariffs.HomeTariff(found.get(r[0]), zone(r[2]), slots.get(r[0], ())) for r in homes]
    )
    import_price, export_price = book.quarter_prices(quarter)
    currency = [t.currency if (t := found.get(h)) is not None else None for h in ids]
    return BatchPrices(currency, import_price, export_price)
