"""The cycle on real PostgreSQL + Redis: keys, TTLs, sums, carry-over, idempotency, isolation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from sqlalchemy import select, text

from app import models
from app.live import keys
from app.live.backends import MemoryBackend, RedisBackend
from app.live.store import LiveStore
from app.pipeline.batch import simulate_batch
from app.pipeline.cycle import cycle_instant, run_cycle, split
from tests.fixtures.factories import create_device, create_home, create_user

# A Monday, 20:00 UTC = 12:00 in San Francisco (PST): sun up, EVs away from home.
NOON_MONDAY = datetime(2026, 1, 12, 20, 0, tzinfo=UTC)
# The same Monday, 21:00 local: EVs home, sun down.
EVENING = datetime(2026, 1, 13, 5, 0, tzinfo=UTC)
TTL = 120


@pytest.fixture
def live(redis):
    return LiveStore(RedisBackend(redis), ttl_s=TTL)


async def _json(redis, key):
    raw = await redis.get(key)
    assert raw is not None, f"{key} missing"
    return orjson.loads(raw)


class TestCycleInstant:
    def test_floors_to_the_interval_boundary(self):
        assert cycle_instant(datetime(2026, 1, 1, 12, 0, 59, 999, tzinfo=UTC), 60) == datetime(
            2026, 1, 1, 12, 0, tzinfo=UTC
        )
        assert cycle_instant(datetime(2026, 1, 1, 12, 7, 31, tzinfo=UTC), 300) == datetime(
            2026, 1, 1, 12, 5, tzinfo=UTC
        )

    def test_split_keeps_order_and_sizes(self):
        ids = [uuid.uuid4() for _ in range(7)]
        assert split(ids, 3) == [ids[0:3], ids[3:6], ids[6:7]]


class TestRunCycle:
    async def test_writes_every_contract_key_with_ttl_and_one_timestamp(
        self, db_session, sessionmaker, live, redis
    ):
        user, devices = await create_home(db_session)
        await db_session.commit()
        report = await run_cycle(sessionmaker, live, NOON_MONDAY, batch_users=100)
        assert report.devices == len(models.DeviceKind)
        assert report.users == 1
        assert not report.failed_users
        ts = NOON_MONDAY.isoformat()
        for device in devices:
            current = await _json(redis, keys.device_current_key(device.id))
            assert set(current) == {"power_w", "timestamp", "status"}
            assert current["timestamp"] == ts
            assert current["power_w"] >= 0
            assert 0 < await redis.ttl(keys.device_current_key(device.id)) <= TTL
            storage_key = keys.device_storage_key(device.id)
            if device.kind in (models.DeviceKind.BATTERY, models.DeviceKind.ELECTRIC_VEHICLE):
                storage = await _json(redis, storage_key)
                assert set(storage) == {"capacity_wh", "current_level_wh", "flow_w"}
                assert 0 <= storage["current_level_wh"] <= storage["capacity_wh"]
                assert 0 < await redis.ttl(storage_key) <= TTL
            else:
                assert await redis.exists(storage_key) == 0
        stats = await _json(redis, keys.user_energy_stats_key(user.id))
        assert stats["timestamp"] == ts
        assert 0 < await redis.ttl(keys.user_energy_stats_key(user.id)) <= TTL

    async def test_user_figures_are_the_sums_of_the_device_readings(
        self, db_session, sessionmaker, live, redis
    ):
        user, devices = await create_home(db_session)
        await create_device(db_session, models.DeviceKind.SOLAR_PANEL, user)
        await db_session.commit()
        await run_cycle(sessionmaker, live, NOON_MONDAY, batch_users=100)
        devices = (
            await db_session.scalars(select(models.Device).where(models.Device.owner_id == user.id))
        ).all()
        production = consumption = flow = 0.0
        for device in devices:
            power = (await _json(redis, keys.device_current_key(device.id)))["power_w"]
            if device.kind in (models.DeviceKind.SOLAR_PANEL, models.DeviceKind.GENERATOR):
                production += power
            elif device.kind in (
                models.DeviceKind.AIR_CONDITIONER,
                models.DeviceKind.HEATER,
                models.DeviceKind.HOUSEHOLD,
            ):
                consumption += power
            else:
                flow += (await _json(redis, keys.device_storage_key(device.id)))["flow_w"]
        stats = await _json(redis, keys.user_energy_stats_key(user.id))
        assert production > 0  # noon in San Francisco
        assert stats["current_production"] == pytest.approx(production, abs=0.01)
        assert stats["current_consumption"] == pytest.approx(consumption, abs=0.01)
        assert stats["storage_flow"] == pytest.approx(flow, abs=0.01)
        assert stats["net_grid_flow"] == pytest.approx(consumption + flow - production, abs=0.02)

    async def test_storage_state_carries_across_cycles_by_elapsed_time(
        self, db_session, sessionmaker, live
    ):
        user = await create_user(db_session)
        battery = await create_device(
            db_session, models.DeviceKind.BATTERY, user, current_level_wh=1000.0
        )
        await create_device(db_session, models.DeviceKind.SOLAR_PANEL, user)
        await db_session.commit()
        levels = []
        for minute in range(3):
            await run_cycle(
                sessionmaker, live, NOON_MONDAY + timedelta(minutes=minute), batch_users=10
            )
            row = await db_session.get(models.Battery, battery.id, populate_existing=True)
            levels.append((row.current_level_wh, row.flow_w, row.simulated_at))
        # First cycle: nothing elapsed yet; afterwards level grows by flow x 60 s.
        assert levels[0][0] == pytest.approx(1000.0)
        assert levels[0][1] > 0  # charging from the noon surplus
        for (before, _, _), (after, flow, _at) in zip(levels, levels[1:], strict=False):
            assert after == pytest.approx(before + flow * 60 / 3600)
        assert levels[-1][2] == NOON_MONDAY + timedelta(minutes=2)

    async def test_rerunning_a_cycle_changes_nothing(self, db_session, sessionmaker, live, redis):
        user, devices = await create_home(db_session)
        await db_session.commit()
        await run_cycle(sessionmaker, live, EVENING - timedelta(minutes=1), batch_users=10)
        await run_cycle(sessionmaker, live, EVENING, batch_users=10)

        async def snapshot():
            async with sessionmaker() as s:
                rows = (
                    await s.execute(
                        text(
                            "SELECT current_level_wh, flow_w, simulated_at FROM battery UNION ALL "
                            "SELECT current_charge_kwh, flow_w, simulated_at FROM electric_vehicle"
                        )
                    )
                ).all()
            values = {k.decode(): await redis.get(k) for k in await redis.keys("*")}
            return rows, values

        first = await snapshot()
        await run_cycle(sessionmaker, live, EVENING, batch_users=10)
        assert await snapshot() == first

    async def test_an_older_cycle_never_moves_state_backwards(self, db_session, sessionmaker, live):
        user = await create_user(db_session)
        battery = await create_device(db_session, models.DeviceKind.BATTERY, user)
        await create_device(db_session, models.DeviceKind.SOLAR_PANEL, user)
        await db_session.commit()
        await run_cycle(sessionmaker, live, NOON_MONDAY, batch_users=10)
        await run_cycle(sessionmaker, live, NOON_MONDAY + timedelta(minutes=5), batch_users=10)
        after = (
            await db_session.get(models.Battery, battery.id, populate_existing=True)
        ).current_level_wh
        await run_cycle(sessionmaker, live, NOON_MONDAY + timedelta(minutes=2), batch_users=10)
        row = await db_session.get(models.Battery, battery.id, populate_existing=True)
        assert row.current_level_wh == after
        assert row.simulated_at == NOON_MONDAY + timedelta(minutes=5)

    async def test_a_failing_home_does_not_stop_the_batch(
        self, db_session, sessionmaker, live, redis
    ):
        good, _ = await create_home(db_session)
        bad, _ = await create_home(db_session)
        await db_session.commit()
        # A corrupt row (bypassing validation) makes the engine fail for that home only.
        await db_session.execute(
            text('UPDATE "user" SET timezone = :tz WHERE id = :id'),
            {"tz": "Not/AZone", "id": bad.id},
        )
        await db_session.commit()
        report = await simulate_batch(sessionmaker, live, sorted([good.id, bad.id]), NOON_MONDAY)
        assert report.failed_users == [bad.id]
        assert await redis.exists(keys.user_energy_stats_key(good.id)) == 1
        assert await redis.exists(keys.user_energy_stats_key(bad.id)) == 0

    async def test_users_only_get_their_own_figures(self, db_session, sessionmaker, live, redis):
        rich = await create_user(db_session)
        for _ in range(3):
            await create_device(db_session, models.DeviceKind.GENERATOR, rich, rated_power_w=5000.0)
        poor = await create_user(db_session)
        await create_device(db_session, models.DeviceKind.HEATER, poor)
        await db_session.commit()
        await run_cycle(sessionmaker, live, NOON_MONDAY, batch_users=1)
        rich_stats = await _json(redis, keys.user_energy_stats_key(rich.id))
        poor_stats = await _json(redis, keys.user_energy_stats_key(poor.id))
        assert 14250 <= rich_stats["current_production"] <= 15750
        assert poor_stats["current_production"] == 0
        assert rich_stats["current_consumption"] == 0

    async def test_disabled_devices_are_not_simulated(self, db_session, sessionmaker, live, redis):
        user = await create_user(db_session)
        gen = await create_device(
            db_session, models.DeviceKind.GENERATOR, user, status=models.DeviceStatus.DISABLED
        )
        await db_session.commit()
        await run_cycle(sessionmaker, live, NOON_MONDAY, batch_users=10)
        assert await redis.exists(keys.device_current_key(gen.id)) == 0
        assert (await _json(redis, keys.user_energy_stats_key(user.id)))["current_production"] == 0


class TestEmbeddedStore:
    async def test_the_same_cycle_runs_on_sqlite_and_the_in_process_store(self, state_sqlite):
        async with state_sqlite.sessionmaker() as session:
            user, devices = await create_home(session)
            await session.commit()
        live = LiveStore(MemoryBackend(), ttl_s=TTL)
        report = await run_cycle(state_sqlite.sessionmaker, live, NOON_MONDAY, batch_users=10)
        assert report.devices == len(models.DeviceKind)
        stats = await live.energy_stats(user.id)
        assert stats is not None
        assert stats.timestamp == NOON_MONDAY
        assert stats.current_production > 0
        readings = await live.device_readings([d.id for d in devices])
        assert all(r is not None and r.timestamp == NOON_MONDAY for r in readings)
        # Storage state persisted in SQLite too.
        await run_cycle(
            state_sqlite.sessionmaker, live, NOON_MONDAY + timedelta(minutes=1), batch_users=10
        )
        async with state_sqlite.sessionmaker() as session:
            battery = (await session.scalars(select(models.Battery))).one()
            assert battery.simulated_at == NOON_MONDAY + timedelta(minutes=1)
