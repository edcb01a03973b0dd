"""A device deleted while a cycle is in flight stays deleted: deletion wins over the write.

The batch loads, simulates and commits before it writes the live keys; `deleteDevice` commits
and forgets the keys. These tests run `deleteDevice` exactly between the batch's load and its
write (a store whose `write` first runs the mutation), on Redis and on the in-process store.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest

from app.live import keys
from app.live.backends import Items, LiveBackend, MemoryBackend, RedisBackend
from app.live.store import DeletionGuard, LiveStore
from app.pipeline.batch import simulate_batch
from tests.fixtures.app import Api
from tests.graphql.helpers import DELETE, create, user_with_token

NOON_MONDAY = datetime(2026, 1, 12, 20, 0, tzinfo=UTC)
TTL = 120


class DeleteBeforeWrite(LiveStore):
    """The live store of the app, which runs `before_write` when the batch comes to write."""

    def __init__(self, live: LiveStore, before_write: Callable[[], Awaitable[None]]) -> None:
        super().__init__(live.backend, ttl_s=live.ttl_s)
        self.before_write = before_write
        self.writes = 0

    async def write(self, items: Items, guard: DeletionGuard | None = None) -> None:
        self.writes += 1
        await self.before_write()
        await super().write(items, guard)


@pytest.fixture(params=["postgres", "sqlite"])
def any_api(request: pytest.FixtureRequest) -> Api:
    api: Api = request.getfixturevalue("api" if request.param == "postgres" else "api_sqlite")
    return api


class TestDeleteDuringCycle:
    async def test_a_device_deleted_between_load_and_write_gets_no_keys(self, any_api):
        alice, alice_token = await user_with_token(any_api, "alice")
        bob, bob_token = await user_with_token(any_api, "bob")
        doomed = uuid.UUID((await create(any_api, alice_token, "Battery"))["id"])
        kept = uuid.UUID((await create(any_api, alice_token, "Heater"))["id"])
        bobs = uuid.UUID((await create(any_api, bob_token, "Battery"))["id"])

        async def delete() -> None:
            body = await any_api.gql(DELETE, {"id": str(doomed)}, alice_token)
            assert body == {"data": {"deleteDevice": True}}, body

        live = DeleteBeforeWrite(any_api.state.live, delete)
        report = await simulate_batch(
            any_api.state.sessionmaker, live, [alice.id, bob.id], NOON_MONDAY
        )
        # The batch did load and simulate the doomed battery: the deletion came after that.
        assert live.writes == 1
        assert report.devices == 3
        assert not report.failed_users

        doomed_reading, kept_reading, bobs_reading = await live.device_readings(
            [doomed, kept, bobs]
        )
        assert doomed_reading is None, "the deleted device's readings were written back"
        assert kept_reading is not None
        assert kept_reading.timestamp == NOON_MONDAY
        assert bobs_reading is not None
        assert bobs_reading.storage is not None
        # Alice's figures for this cycle counted the deleted battery: not written.
        assert await live.energy_stats(alice.id) is None
        bob_stats = await live.energy_stats(bob.id)
        assert bob_stats is not None
        assert bob_stats.timestamp == NOON_MONDAY

    async def test_without_a_deletion_everything_is_written(self, any_api):
        alice, token = await user_with_token(any_api, "alice")
        battery = uuid.UUID((await create(any_api, token, "Battery"))["id"])

        async def nothing() -> None:
            return None

        live = DeleteBeforeWrite(any_api.state.live, nothing)
        await simulate_batch(any_api.state.sessionmaker, live, [alice.id], NOON_MONDAY)
        (reading,) = await live.device_readings([battery])
        assert reading is not None
        assert reading.storage is not None
        assert await live.energy_stats(alice.id) is not None


def _backends(redis) -> list[LiveBackend]:
    return [RedisBackend(redis), MemoryBackend()]


class TestGuardedWrite:
    async def test_a_stale_mark_writes_nothing_and_reports_everything_unwritten(self, redis):
        for backend in _backends(redis):
            mark = await backend.deletion_mark()
            await backend.forget_device(str(uuid.uuid4()), [])
            items = [(f"k{i}", b"v") for i in range(5)]
            assert await backend.set_many(items, TTL, mark) == [items]
            assert await backend.mget([k for k, _ in items]) == [None] * 5
            assert await backend.set_many(items, TTL, mark + 1) == []
            assert await backend.mget(["k0"]) == [b"v"]

    async def test_deletions_since_names_the_devices_in_order(self, redis):
        for backend in _backends(redis):
            mark = await backend.deletion_mark()
            first, second = str(uuid.uuid4()), str(uuid.uuid4())
            await backend.forget_device(first, [])
            await backend.forget_device(second, [])
            assert await backend.deletions_since(mark) == (mark + 2, [first, second])
            assert await backend.deletions_since(mark + 1) == (mark + 2, [second])

    async def test_a_deletion_forgets_the_keys_a_write_made_just_before(self, redis):
        device_id = uuid.uuid4()
        for backend in _backends(redis):
            live = LiveStore(backend, ttl_s=TTL)
            mark = await live.deletion_mark()
            current = keys.device_current_key(device_id)
            await live.write([(current, b"{}")], DeletionGuard(mark, dict))
            assert await backend.mget([current]) == [b"{}"]
            await live.forget_device(device_id)
            assert await backend.mget([current]) == [None]
            # The same write retried after the deletion (a slow batch) stays out.
            await live.write([(current, b"{}")], DeletionGuard(mark, dict))
            assert await backend.mget([current]) == [None]
