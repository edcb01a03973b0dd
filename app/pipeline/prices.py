"""The prices in force for each home of a batch: at the cycle instant (the live figures) and over
the cycle's interval (what the interval's energy costs in the history).

Two selects per batch: the batch's tariffs, and the uploaded slots of its DYNAMIC homes for the
quarters of the interval and of the instant (one or two). The prices come from
`app.tariffs.PriceBook` (vectorised over the homes), compiled once for both.

Which price an interval pays: the interval [cycle_at - SIMULATION_INTERVAL_S, cycle_at) lies in
one UTC quarter hour at the default 60 s interval, and pays that quarter's price (the quarter
holding the interval's start; the cycle at 10:15:00 records 10:14-10:15 at the 10:00 price, while
its live price is already the 10:15 one). An interval spanning quarters pays their time-weighted
mean, so its cost is the sum of its parts.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from app import tariffs
from app.repositories.tariff import TariffRepository, slot_to_domain, to_domain
from app.simulation.calendar import zone
from app.simulation.control import EV_SMART, PriceHorizon
from app.simulation.fleet import FleetInput
from app.tariffs.clock import quarter_index, quarter_start

FloatArray = np.ndarray[Any, np.dtype[np.float64]]


@dataclass(frozen=True, slots=True)
class BatchPrices:
    """Per engine row (home): its currency (None: no tariff), the prices per kWh now, the
    prices over the cycle's interval, and the tariff's daily fixed charge (0 without)."""

    currency: list[str | None]
    import_price: FloatArray
    export_price: FloatArray
    interval_import: FloatArray
    interval_export: FloatArray
    fixed_charge: FloatArray

    @property
    def any_priced(self) -> bool:
        return any(c is not None for c in self.currency)


def no_prices(n: int) -> BatchPrices:
    zero = np.zeros(n)
    return BatchPrices([None] * n, zero, zero, zero, zero, zero)


async def load_prices(
    session: AsyncSession, homes: Sequence[Any], cycle_at: datetime, interval_s: int
) -> BatchPrices:
    """`homes`: the batch's home rows (id, owner_id, timezone, ...), in engine row order;
    `interval_s`: the length of the interval the cycle at `cycle_at` covers."""
    ids: list[uuid.UUID] = [r[0] for r in homes]
    repo = TariffRepository(session)
    rows = await repo.get_many(ids)
    if not rows:
        return no_prices(len(ids))
    found = {home_id: to_domain(row) for home_id, row in rows.items()}
    quarter = quarter_index(cycle_at)
    interval_start = cycle_at - timedelta(seconds=interval_s)
    dynamic = [h for h, t in found.items() if t.kind is tariffs.TariffKind.DYNAMIC]
    slots: dict[uuid.UUID, list[tariffs.PriceSlot]] = {}
    first = quarter_start(quarter_index(interval_start))
    for slot in await repo.slots_at(dynamic, first, quarter_start(quarter)):
        slots.setdefault(slot.home_id, []).append(slot_to_domain(slot))
    book = tariffs.PriceBook.build(
        [tariffs.HomeTariff(found.get(r[0]), zone(r[2]), slots.get(r[0], ())) for r in homes]
    )
    import_price, export_price = book.quarter_prices(quarter)
    interval = book.interval_prices(interval_start, cycle_at)
    currency = [t.currency if (t := found.get(h)) is not None else None for h in ids]
    fixed = np.fromiter(
        (t.daily_fixed_charge if (t := found.get(h)) is not None else 0.0 for h in ids),
        dtype=np.float64,
        count=len(ids),
    )
    return BatchPrices(
        currency,
        import_price,
        export_price,
        interval.import_price_per_kwh,
        interval.export_price_per_kwh,
        fixed,
    )


SMART_HORIZON_QUARTERS = 96
"""SMART charging looks this many quarter hours (24 h) ahead for cheaper slots."""


async def load_price_horizon(
    session: AsyncSession, homes: Sequence[Any], start_quarter: int, quarters: int
) -> PriceHorizon:
    """Import prices per home (engine row order) for `quarters` UTC quarter hours from
    `start_quarter`, from the PriceBook; NaN rows for homes without a tariff."""
    ids: list[uuid.UUID] = [r[0] for r in homes]
    repo = TariffRepository(session)
    rows = await repo.get_many(ids)
    table = np.full((len(ids), quarters), np.nan)
    start_s = quarter_start(start_quarter).timestamp()
    if not rows:
        return PriceHorizon(start_s, table)
    found = {home_id: to_domain(row) for home_id, row in rows.items()}
    dynamic = [h for h, t in found.items() if t.kind is tariffs.TariffKind.DYNAMIC]
    last = quarter_start(start_quarter + quarters - 1)
    slots = await repo.slot_prices(dynamic, quarter_start(start_quarter), last)
    book = tariffs.PriceBook.build(
        [tariffs.HomeTariff(found.get(r[0]), zone(r[2]), slots.get(r[0], ())) for r in homes]
    )
    for j in range(quarters):
        table[:, j] = book.quarter_prices(start_quarter + j)[0]
    table[~book.priced] = np.nan
    return PriceHorizon(start_s, table)


async def with_smart_prices(
    session: AsyncSession,
    fleet: FleetInput,
    homes: Sequence[Any],
    cycle_at: datetime,
    interval_s: int,
) -> FleetInput:
    """`fleet` with the price horizon its SMART EVs need (unchanged when it has none): the
    quarters from the one holding the cycle's interval start."""
    controls = fleet.ev_controls
    if controls is None or not (controls.charge_mode == EV_SMART).any():
        return fleet
    first = quarter_index(cycle_at - timedelta(seconds=interval_s))
    horizon = await load_price_horizon(session, homes, first, SMART_HORIZON_QUARTERS)
    return replace(fleet, prices=horizon)
