"""Load what planning needs for a batch of homes: devices (as `PlanHome`) and slot prices."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app import tariffs
from app.planning.forecast import Horizon
from app.planning.inputs import plan_homes
from app.planning.model import PlanHome
from app.planning.prices import horizon_prices
from app.repositories.fleet import FleetRepository, FleetRows
from app.repositories.plan import slots_between
from app.repositories.tariff import TariffRepository, slot_to_domain, to_domain
from app.simulation.arrays import FloatArray
from app.simulation.calendar import zone


@dataclass(frozen=True, slots=True)
class LoadedHomes:
    """Homes in the order of `homes`; per home its tariff (None: none) and slot prices."""

    homes: list[PlanHome]
    owners: list[uuid.UUID]
    tariffs: list[tariffs.Tariff | None]
    import_price: FloatArray
    export_price: FloatArray
    rows: FleetRows


async def load_homes(
    session: AsyncSession,
    owner_ids: Sequence[uuid.UUID],
    horizon: Horizon,
    only: uuid.UUID | None = None,
) -> LoadedHomes:
    """The homes of `owner_ids` (or just home `only` among them) with prices over `horizon`."""
    rows = await FleetRepository(session).load(owner_ids)
    if only is not None:
        rows = rows.of_home(only)
    homes = plan_homes(rows)
    ids = [h.home_id for h in homes]
    found = {k: to_domain(v) for k, v in (await TariffRepository(session).get_many(ids)).items()}
    dynamic = [h for h, t in found.items() if t.kind is tariffs.TariffKind.DYNAMIC]
    start = datetime.fromtimestamp(horizon.start_s, UTC)
    end = datetime.fromtimestamp(horizon.end_s, UTC)
    slots: dict[uuid.UUID, list[tariffs.PriceSlot]] = {}
    for slot in await slots_between(session, dynamic, start, end):
        slots.setdefault(slot.home_id, []).append(slot_to_domain(slot))
    imp, exp = horizon_prices(
        [
            tariffs.HomeTariff(found.get(h.home_id), zone(h.timezone), slots.get(h.home_id, ()))
            for h in homes
        ],
        horizon,
    )
    return LoadedHomes(
        homes=homes,
        owners=[r[1] for r in rows.homes],
        tariffs=[found.get(i) for i in ids],
        import_price=imp,
        export_price=exp,
        rows=rows,
    )
