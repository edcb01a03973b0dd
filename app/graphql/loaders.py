"""Per-request DataLoaders: a device list costs one live-store round trip and one history query,
not one per device; a home list one tariff query, not one per home."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from app import models, tariffs
from app.errors import Unauthenticated
from app.live.readings import DeviceReading, EnergyStats
from app.repositories.events import DeviceEventRepository
from app.repositories.home import HomeRepository
from app.repositories.user import UserRepository
from app.services import history
from app.services import tariff as tariff_service

if TYPE_CHECKING:
    from app.graphql.context import Context


@dataclass(frozen=True, slots=True)
class Loaders:
    live_reading: DataLoader[uuid.UUID, DeviceReading | None]
    #: Homes by id, for `Device.home` (the devices were resolved through their owner).
    home: DataLoader[uuid.UUID, models.Home | None]
    home_stats: DataLoader[uuid.UUID, EnergyStats | None]
    history_page: DataLoader[history.PageRequest, history.Page]
    #: Tariffs by home id, for `Home.tariff` (the homes were resolved through their owner).
    tariff: DataLoader[uuid.UUID, tariffs.Tariff | None]
    #: The newest events of devices, by (device id, first): one statement per distinct `first`.
    device_events: DataLoader[tuple[uuid.UUID, int], list[models.DeviceEvent]]


def build_loaders(context: Context) -> Loaders:
    async def load_readings(ids: Sequence[uuid.UUID]) -> list[DeviceReading | None]:
        return await context.live.device_readings(ids)

    async def load_homes(ids: Sequence[uuid.UUID]) -> list[models.Home | None]:
        found = await context.db.run(lambda s: HomeRepository(s).get_many(ids))
        return [found.get(i) for i in ids]

    async def load_home_stats(ids: Sequence[uuid.UUID]) -> list[EnergyStats | None]:
        return await context.live.homes_energy_stats(ids)

    async def load_history(requests: Sequence[history.PageRequest]) -> list[history.Page]:
        owner = context.principal.user_id

        async def pages(session: AsyncSession) -> list[history.Page]:
            user = await UserRepository(session).get(owner)
            if user is None:  # a valid token for an account that no longer exists
                raise Unauthenticated("account no longer exists")
            return await history.history_pages(session, user.timezone, requests)

        return await context.db.run(pages)

    async def load_tariffs(ids: Sequence[uuid.UUID]) -> list[tariffs.Tariff | None]:
        found = await context.db.run(lambda s: tariff_service.get_tariffs(s, ids))
        return [found.get(i) for i in ids]

    async def load_events(
        keys: Sequence[tuple[uuid.UUID, int]],
    ) -> list[list[models.DeviceEvent]]:
        by_first: dict[int, list[uuid.UUID]] = {}
        for device_id, first in keys:
            by_first.setdefault(first, []).append(device_id)

        async def fetch(
            session: AsyncSession,
        ) -> dict[int, dict[uuid.UUID, list[models.DeviceEvent]]]:
            repo = DeviceEventRepository(session)
            return {first: await repo.latest(ids, first) for first, ids in by_first.items()}

        found = await context.db.run(fetch)
        return [found[first].get(device_id, []) for device_id, first in keys]

    return Loaders(
        live_reading=DataLoader(load_fn=load_readings),
        home=DataLoader(load_fn=load_homes),
        home_stats=DataLoader(load_fn=load_home_stats),
        history_page=DataLoader(load_fn=load_history),
        tariff=DataLoader(load_fn=load_tariffs),
        device_events=DataLoader(load_fn=load_events),
    )
