"""The cycle through ARQ: orchestration once per tick, batches shared by real workers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import orjson
import pytest
import time_machine
from arq import create_pool
from arq.connections import RedisSettings
from arq.worker import Worker

from app import models
from app.live import keys
from app.live.backends import RedisBackend
from app.live.store import LiveStore
from tests.fixtures.app import make_settings
from tests.fixtures.factories import create_device, create_home, create_user
from workers.jobs.simulate import run_energy_simulation, simulate_user_batch
from workers.settings import build_worker_settings, cron_schedule

CYCLE = datetime(2026, 1, 12, 20, 0, tzinfo=UTC)  # Monday noon in San Francisco


@pytest.fixture
def settings(database_url, redis_url):
    return make_settings(DATABASE_URL=database_url, REDIS_URL=redis_url, SIMULATION_BATCH_USERS=2)


@pytest.fixture
async def arq_redis(redis_url, redis):
    pool = await create_pool(RedisSettings.from_dsn(redis_url))
    yield pool
    await pool.aclose()


@pytest.fixture
def ctx(settings, sessionmaker, arq_redis, redis):
    return {
        "settings": settings,
        "sessionmaker": sessionmaker,
        "live": LiveStore(RedisBackend(redis), ttl_s=settings.live_ttl_s),
        "redis": arq_redis,
    }


async def _homes(session, n):
    users = [(await create_home(session))[0] for _ in range(n)]
    await session.commit()
    return users


class TestCronSchedule:
    @pytest.mark.parametrize(
        ("interval", "expected"),
        [
            (60, {"second": {0}}),
            (1, {"second": set(range(60))}),
            (15, {"second": {0, 15, 30, 45}}),
            (300, {"minute": {0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55}, "second": {0}}),
        ],
    )
    def test_fires_on_every_interval_boundary(self, interval, expected):
        assert cron_schedule(interval) == expected

    def test_refuses_an_interval_that_does_not_divide_the_hour(self):
        with pytest.raises(ValueError, match="SIMULATION_INTERVAL_S"):
            cron_schedule(7)


class TestRunEnergySimulation:
    async def test_enqueues_one_job_per_batch_and_only_once_per_cycle(
        self, ctx, db_session, arq_redis
    ):
        await _homes(db_session, 5)
        first, second = await asyncio.gather(
            run_energy_simulation(ctx, cycle_at=CYCLE), run_energy_simulation(ctx, cycle_at=CYCLE)
        )
        outcomes = sorted([first, second], key=lambda r: r.get("skipped", False))
        assert outcomes[0] == {"cycle": int(CYCLE.timestamp()), "batches": 3}
        assert outcomes[1]["skipped"] is True
        queued = await arq_redis.queued_jobs()
        assert sorted(j.job_id for j in queued) == [
            f"sim:{int(CYCLE.timestamp())}:{n}" for n in range(3)
        ]


class TestSimulateUserBatch:
    async def test_batch_job_writes_readings_and_progress(self, ctx, db_session, redis):
        user, devices = await create_home(db_session)
        await db_session.commit()
        epoch = int(CYCLE.timestamp())
        await redis.hset(keys.cycle_progress_key(epoch), mapping={"batches": 1})
        with time_machine.travel(CYCLE + timedelta(seconds=3), tick=False):
            result = await simulate_user_batch(ctx, [str(user.id)], epoch, 0)
        assert result == {"devices": len(models.DeviceKind), "failed_users": []}
        stats = orjson.loads(await redis.get(keys.user_energy_stats_key(user.id)))
        assert stats["timestamp"] == CYCLE.isoformat()
        assert int(await redis.get(keys.last_complete_cycle_key())) == epoch

    async def test_a_stale_batch_is_skipped(self, ctx, db_session, redis):
        user, _ = await create_home(db_session)
        await db_session.commit()
        with time_machine.travel(CYCLE + timedelta(minutes=10), tick=False):
            result = await simulate_user_batch(ctx, [str(user.id)], int(CYCLE.timestamp()), 0)
        assert result == {"skipped": True}
        assert await redis.exists(keys.user_energy_stats_key(user.id)) == 0


class TestWorkers:
    async def test_two_workers_share_the_batches_and_never_run_one_twice(
        self, ctx, settings, db_session, redis, arq_redis
    ):
        users = await _homes(db_session, 7)
        extra = await create_user(db_session)
        await create_device(db_session, models.DeviceKind.GENERATOR, extra)
        await db_session.commit()
        epoch = int(CYCLE.timestamp())
        kwargs = build_worker_settings(settings)
        with time_machine.travel(CYCLE + timedelta(seconds=1), tick=True):
            await run_energy_simulation(ctx, cycle_at=CYCLE)
            workers = [
                Worker(
                    functions=kwargs["functions"],
                    on_startup=kwargs["on_startup"],
                    on_shutdown=kwargs["on_shutdown"],
                    redis_settings=RedisSettings.from_dsn(settings.REDIS_URL),
                    burst=True,
                    poll_delay=0.01,
                    max_jobs=2,
                    handle_signals=False,
                )
                for _ in range(2)
            ]
            try:
                await asyncio.gather(*(w.main() for w in workers))
            finally:
                for w in workers:
                    await w.close()
        ran = [w.jobs_complete for w in workers]
        assert sum(ran) == 4  # ceil(8 users / 2 per batch), each exactly once
        assert all(n > 0 for n in ran), ran  # both workers took part
        progress = await redis.hgetall(keys.cycle_progress_key(epoch))
        # no batch simulated twice
        assert int(progress[b"devices"]) == 7 * len(models.DeviceKind) + 1
        assert await redis.scard(keys.cycle_progress_key(epoch) + ":done") == 4
        for user in [*users, extra]:
            assert await redis.exists(keys.user_energy_stats_key(user.id)) == 1
