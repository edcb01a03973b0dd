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

    async def forget_user(
        self, user_id: uuid.UUID, device_ids: Sequence[uuid.UUID], extra_keys: Sequence[str] = ()
    ) -> None:
        """Drop every live key of a deleted account: its figures and its devices' readings.

        `extra_keys`: further keys of the account (e.g. per-home figures) to drop with them.
        """
        wanted = [keys.user_energy_stats_key(user_id), *extra_keys]
        for device_id in device_ids:
            wanted.append(keys.device_current_key(device_id))
            wanted.append(keys.device_storage_key(device_id))
        await self.backend.delete(wanted)

    async def ping(self) -> bool:
        return await self.backend.ping()
