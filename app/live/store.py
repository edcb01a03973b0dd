"""Read and write live readings and user figures under the contract's key schema."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from app.live import keys
from app.live.backends import LiveBackend
from app.live.readings import DeviceReading, EnergyStats, decode_reading, decode_stats


class LiveStore:
    """One API over Redis or memory; readings expire after `ttl_s` (stale shows as missing)."""

    def __init__(self, backend: LiveBackend, *, ttl_s: int) -> None:
        self.backend = backend
        self.ttl_s = ttl_s

    async def energy_stats(self, user_id: uuid.UUID) -> EnergyStats | None:
        """The user's latest figures, in one read; None before the first cycle or once expired."""
        (raw,) = await self.backend.mget([keys.user_energy_stats_key(user_id)])
        return decode_stats(raw)

    async def home_energy_stats(self, home_id: uuid.UUID) -> EnergyStats | None:
        """One home's latest figures; None before its first cycle or once expired."""
        (raw,) = await self.backend.mget([keys.home_energy_stats_key(home_id)])
        return decode_stats(raw)

    async def homes_energy_stats(self, home_ids: Sequence[uuid.UUID]) -> list[EnergyStats | None]:
        """Several homes' latest figures in key order, in one MGET round trip."""
        raw = await self.backend.mget([keys.home_energy_stats_key(h) for h in home_ids])
        return [decode_stats(r) for r in raw]

    async def forget_home(self, home_id: uuid.UUID, device_ids: Sequence[uuid.UUID]) -> None:
        """Drop a deleted home's figures and its devices' readings at once."""
        wanted = [keys.home_energy_stats_key(home_id)]
        for device_id in device_ids:
            wanted += [keys.device_current_key(device_id), keys.device_storage_key(device_id)]
        await self.backend.delete(wanted)

    async def device_readings(self, device_ids: Sequence[uuid.UUID]) -> list[DeviceReading | None]:
        """Readings for many devices in key order, in one MGET round trip."""
        wanted: list[str] = []
        for device_id in device_ids:
            wanted.append(keys.device_current_key(device_id))
            wanted.append(keys.device_storage_key(device_id))
        raw = await self.backend.mget(wanted)
        return [decode_reading(raw[i], raw[i + 1]) for i in range(0, len(raw), 2)]

    async def write(self, items: Sequence[tuple[str, bytes]]) -> None:
        """Write encoded readings/figures (already keyed) with the live TTL."""
        await self.backend.set_many(items, self.ttl_s)

    async def forget_device(self, device_id: uuid.UUID) -> None:
        await self.backend.delete(
            [keys.device_current_key(device_id), keys.device_storage_key(device_id)]
        )

    async def ping(self) -> bool:
        return await self.backend.ping()
