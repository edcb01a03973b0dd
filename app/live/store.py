"""Read and write live readings and user figures under the contract's key schema."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from app.live import keys
from app.live.backends import Items, LiveBackend
from app.live.readings import DeviceReading, EnergyStats, decode_reading, decode_stats

#: Rounds of "write, learn which devices went meanwhile, write the rest" before giving up.
_WRITE_ROUNDS = 100


@dataclass(frozen=True)
class DeletionGuard:
    """Makes a device deletion win over a write built from data loaded before it.

    `mark` is `LiveStore.deletion_mark()` read before the load. Devices deleted after it get
    none of their keys written, nor do their home's and owner's figures (which counted them);
    `owners` (device id -> (home id, owner id)) is only called when such a deletion happened.
    """

    mark: int
    owners: Callable[[], Mapping[uuid.UUID, tuple[uuid.UUID, uuid.UUID]]]

    def keys_of(self, deleted: Sequence[str]) -> set[str]:
        """Every key the write must skip for these deleted device ids."""
        owners = self.owners()
        skip: set[str] = set()
        for raw in deleted:
            device_id = uuid.UUID(raw)
            skip.add(keys.device_current_key(device_id))
            skip.add(keys.device_storage_key(device_id))
            owner = owners.get(device_id)
            if owner is not None:
                home_id, user_id = owner
                skip.add(keys.home_energy_stats_key(home_id))
                skip.add(keys.user_energy_stats_key(user_id))
        return skip


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
        """Drop a deleted home's figures, its cached plan and its devices' readings at once."""
        wanted = [
            keys.home_energy_stats_key(home_id),
            keys.home_plan_slot_key(home_id),
            keys.home_plan_flows_key(home_id),
        ]
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

    async def deletion_mark(self) -> int:
        """Read before loading the data of a guarded write (see `DeletionGuard`)."""
        return await self.backend.deletion_mark()

    async def write(self, items: Items, guard: DeletionGuard | None = None) -> None:
        """Write encoded readings/figures (already keyed) with the live TTL.

        With a guard, what a device deleted since the guard's mark would have got is skipped.
        """
        mark = None if guard is None else guard.mark
        pending = await self.backend.set_many(items, self.ttl_s, mark)
        for _ in range(_WRITE_ROUNDS):
            if not pending or guard is None or mark is None:
                return
            mark, deleted = await self.backend.deletions_since(mark)
            if deleted is None:
                return  # too many deletions since the mark to tell which: write none of the rest
            skip = guard.keys_of(deleted)
            rest = [item for part in pending for item in part if item[0] not in skip]
            pending = await self.backend.set_many(rest, self.ttl_s, mark)
        raise RuntimeError("live write kept racing device deletions")

    async def forget_device(self, device_id: uuid.UUID) -> None:
        """Delete a device's keys; a guarded write loaded before this will not bring them back."""
        await self.backend.forget_device(
            str(device_id), [keys.device_current_key(device_id), keys.device_storage_key(device_id)]
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
