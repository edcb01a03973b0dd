"""Tariff operations: set, clear, upload DYNAMIC prices, and read a home's tariff back.

Validation is `app.tariffs` (pure): every problem is found before anything is written, so a
refused input (BAD_USER_INPUT naming the field) leaves the database as it was. A foreign or
unknown home is NOT_FOUND, checked first.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app import models, tariffs
from app.repositories.tariff import TariffRepository, slot_to_domain, to_domain, windows_to_json
from app.services.home import get_owned_home
from app.simulation.calendar import zone


async def get_tariff(session: AsyncSession, home_id: uuid.UUID) -> tariffs.Tariff | None:
    row = await TariffRepository(session).get(home_id)
    return None if row is None else to_domain(row)


async def get_tariffs(
    session: AsyncSession, home_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tariffs.Tariff]:
    """The tariffs of these homes (one query); homes without one are absent."""
    rows = await TariffRepository(session).get_many(home_ids)
    return {home_id: to_domain(row) for home_id, row in rows.items()}


async def set_tariff(
    session: AsyncSession, owner_id: uuid.UUID, home_id: str, value: tariffs.TariffInput
) -> tariffs.Tariff:
    """Replace the home's tariff. Uploaded slots are kept (they apply while it is DYNAMIC)."""
    home = await get_owned_home(session, owner_id, home_id)
    tariff = tariffs.validate_tariff(value)
    repo = TariffRepository(session)
    row = await repo.get(home.id)
    if row is None:
        row = models.TariffRow(home_id=home.id)
        repo.add(row)
    row.kind = str(tariff.kind)
    row.currency = tariff.currency
    row.daily_fixed_charge = tariff.daily_fixed_charge
    row.import_price_per_kwh = tariff.import_price_per_kwh
    row.export_price_per_kwh = tariff.export_price_per_kwh
    row.windows = windows_to_json(tariff.windows)
    await session.flush()
    return tariff


async def clear_tariff(session: AsyncSession, owner_id: uuid.UUID, home_id: str) -> bool:
    """Remove the home's tariff and its uploaded slots; False when it had none."""
    home = await get_owned_home(session, owner_id, home_id)
    return await TariffRepository(session).delete(home.id)


async def upload_prices(
    session: AsyncSession,
    owner_id: uuid.UUID,
    home_id: str,
    slots: Sequence[tariffs.SlotInput],
) -> int:
    """Upsert DYNAMIC price slots (at most MAX_SLOTS_PER_UPLOAD); the number stored."""
    home = await get_owned_home(session, owner_id, home_id)
    repo = TariffRepository(session)
    row = await repo.get(home.id)
    valid = tariffs.validate_upload(slots, None if row is None else to_domain(row))
    await repo.upsert_slots(
        home.id,
        [
            {"start": s.start, "import": s.import_price_per_kwh, "export": s.export_price_per_kwh}
            for s in valid
        ],
    )
    return len(valid)


async def home_prices(
    session: AsyncSession,
    home_id: uuid.UUID,
    timezone: str,
    tariff: tariffs.Tariff,
    start: datetime,
    end: datetime,
) -> list[tariffs.PricedSlot]:
    """The price in force per 15-minute slot over [start, end) (range checked first)."""
    lo, hi = tariffs.validate_range(start, end)
    slots: list[tariffs.PriceSlot] = []
    if tariff.kind is tariffs.TariffKind.DYNAMIC:
        rows = await TariffRepository(session).slots(home_id, lo - tariffs.SLOT, hi)
        slots = [slot_to_domain(r) for r in rows]
    return tariffs.prices(tariff, slots, zone(timezone), lo, hi)
