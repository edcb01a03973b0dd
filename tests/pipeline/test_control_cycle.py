"""On real PostgreSQL + Redis: a control change takes effect at the next cycle, and an AUTO
generator's run state persists between cycles like a battery level."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest

from app import models
from app.live import keys
from app.live.backends import RedisBackend
from app.live.store import LiveStore
from app.pipeline.cycle import run_cycle
from app.services import control
from tests.fixtures.factories import create_home

# Monday 21:00 in San Francisco (PST): EVs home, sun down.
EVENING = datetime(2026, 1, 13, 5, 0, tzinfo=UTC)


@pytest.fixture
def live(redis):
    return LiveStore(RedisBackend(redis), ttl_s=120)


async def _power(redis, device_id) -> float:
    raw = await redis.get(keys.device_current_key(device_id))
    assert raw is not None
    return float(orjson.loads(raw)["power_w"])


async def test_a_mode_change_takes_effect_at_the_next_cycle(db_session, sessionmaker, live, redis):
    user, devices = await create_home(db_session)
    await db_session.commit()
    by_kind = {d.kind: d for d in devices}
    ev = by_kind[models.DeviceKind.ELECTRIC_VEHICLE]
    battery = by_kind[models.DeviceKind.BATTERY]
    generator = by_kind[models.DeviceKind.GENERATOR]

    report = await run_cycle(sessionmaker, live, EVENING, batch_users=100)
    assert not report.failed_users
    assert await _power(redis, ev.id) > 0.0  # NOW: charging at home
    assert await _power(redis, generator.id) > 0.0  # ON

    async with sessionmaker() as session:
        await control.set_ev_charging(
            session, user.id, str(ev.id), models.EVChargeMode.OFF, None, None
        )
        await control.set_battery_mode(
            session, user.id, str(battery.id), models.BatteryMode.CHARGE, None
        )
        await control.set_generator_mode(
            session, user.id, str(generator.id), models.GeneratorMode.OFF, None
        )
        await session.commit()

    later = EVENING + timedelta(minutes=1)
    report = await run_cycle(sessionmaker, live, later, batch_users=100)
    assert not report.failed_users
    assert await _power(redis, ev.id) == 0.0
    assert await _power(redis, generator.id) == 0.0
    async with sessionmaker() as session:
        row = await session.get(models.Battery, battery.id)
        assert row is not None
        assert row.flow_w == pytest.approx(13_500.0 * 0.5)  # CHARGE: max power from the grid
        events = (
            await session.execute(
                models.DeviceEvent.__table__.select().where(models.DeviceEvent.user_id == user.id)
            )
        ).all()
        assert len(events) == 3


async def test_an_auto_generator_keeps_its_run_across_cycles(db_session, sessionmaker, live, redis):
    user, devices = await create_home(db_session)
    await db_session.commit()
    generator = next(d for d in devices if d.kind == models.DeviceKind.GENERATOR)
    async with sessionmaker() as session:
        # Threshold 0: the evening home (loads, an EV charging) imports, so it starts.
        await control.set_generator_mode(
            session, user.id, str(generator.id), models.GeneratorMode.AUTO, 0.0
        )
        await session.commit()
    await run_cycle(sessionmaker, live, EVENING, batch_users=100)
    assert await _power(redis, generator.id) > 0.0
    async with sessionmaker() as session:
        row = await session.get(models.Generator, generator.id)
        assert row is not None
        assert row.run_started_at == EVENING
        assert row.simulated_at == EVENING
        # A threshold no home reaches: the run still lasts its 15 minutes.
        await control.set_generator_mode(
            session, user.id, str(generator.id), models.GeneratorMode.AUTO, 1_000_000.0
        )
        await session.commit()
    # Same mode: the run start is kept, so the generator keeps running until 15 minutes.
    await run_cycle(sessionmaker, live, EVENING + timedelta(minutes=5), batch_users=100)
    assert await _power(redis, generator.id) > 0.0
    await run_cycle(sessionmaker, live, EVENING + timedelta(minutes=16), batch_users=100)
    assert await _power(redis, generator.id) == 0.0
    async with sessionmaker() as session:
        row = await session.get(models.Generator, generator.id)
        assert row is not None
        assert row.run_started_at is None
