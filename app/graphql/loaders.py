"""Per-request DataLoaders: a device list costs one live-store round trip, not one per device."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

from app.live.readings import DeviceReading

if TYPE_CHECKING:
    from app.graphql.context import Context


@dataclass(frozen=True, slots=True)
class Loaders:
    live_reading: DataLoader[uuid.UUID, DeviceReading | None]


def build_loaders(context: Context) -> Loaders:
    async def load_readings(ids: Sequence[uuid.UUID]) -> list[DeviceReading | None]:
        return await context.live.device_readings(ids)

    return Loaders(live_reading=DataLoader(load_fn=load_readings))
