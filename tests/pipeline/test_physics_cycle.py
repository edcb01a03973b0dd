"""Device physics through the cycle (PostgreSQL + Redis, and SQLite + the in-process store): a
thermostat's room is state stored between cycles like a battery level, a replayed cycle keeps
it, an untouched heater draws the original ramp, a tilted panel differs from a flat one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app import models
from app.live.backends import MemoryBackend, RedisBackend
from app.live.store import LiveStore
from app.pipeline.cycle import run_cycle
from app.simulation.loads import heater_fraction
from app.simulation.weather import outdoor_temperature_c
from tests.fixtures.factories import create_device, create_user

# 03:00 in Tromsø in January: cold, dark.
COLD_NIGHT = datetime(2026, 1, 20, 2, 0, tzinfo=UTC)
# Noon in Berlin in June.
NOON = datetime(2026, 6, 21, 10, 0, tzinfo=UTC)


async def _heaters(sessionmaker: Any) -> tuple[Any, Any]:
    async with sessionmaker() as session:
        user = await create_user(session, timezone="Europe/Oslo", latitude=69.65, longitude=18.96)
        set_ = await create_device(
            session, models.DeviceKind.HEATER, user, rated_power_w=2000.0, setpoint_c=21.0
        )
        plain = await create_device(session, models.DeviceKind.HEATER, user, rated_power_w=2000.0)
        await session.commit()
        return set_.id, plain.id


async def _rows(sessionmaker: Any) -> dict[Any, models.Heater]:
    async with sessionmaker() as session:
        return {h.id: h for h in (await session.scalars(select(models.Heater))).all()}


async def _room_is_state(sessionmaker: Any, live: LiveStore) -> None:
    thermostat, plain = await _heaters(sessionmaker)
    await run_cycle(sessionmaker, live, COLD_NIGHT, batch_users=10)
    rows = await _rows(sessionmaker)
    assert rows[thermostat].indoor_temperature_c == 21.0  # starts at its setpoint
    assert rows[thermostat].simulated_at == COLD_NIGHT
    assert rows[plain].indoor_temperature_c is None  # no thermostat: no state
    assert rows[plain].simulated_at is None
    temps: list[float] = []
    for minute in range(1, 90):
        await run_cycle(sessionmaker, live, COLD_NIGHT + timedelta(minutes=minute), batch_users=10)
        indoor = (await _rows(sessionmaker))[thermostat].indoor_temperature_c
        assert indoor is not None
        temps.append(indoor)
    assert min(temps) >= 20.0 - 1e-9
    assert max(temps) <= 22.0 + 1e-9
    assert len(set(temps)) > 10  # it moves: real state, advanced every cycle
    last = COLD_NIGHT + timedelta(minutes=89)
    before = await _rows(sessionmaker)
    await run_cycle(sessionmaker, live, last, batch_users=10)  # a replay changes nothing
    after = await _rows(sessionmaker)
    assert after[thermostat].indoor_temperature_c == before[thermostat].indoor_temperature_c
    assert after[thermostat].running == before[thermostat].running
    reading = (await live.device_readings([plain]))[0]
    assert reading is not None
    fraction = float(heater_fraction(outdoor_temperature_c(69.65, 18.96, last.timestamp())))
    assert reading.power_w == pytest.approx(2000.0 * fraction, abs=0.01)
    assert reading.power_w > 0


async def test_a_thermostat_room_is_state_on_postgres(sessionmaker, redis):
    await _room_is_state(sessionmaker, LiveStore(RedisBackend(redis), ttl_s=120))


async def test_a_thermostat_room_is_state_on_sqlite(state_sqlite):
    await _room_is_state(state_sqlite.sessionmaker, LiveStore(MemoryBackend(), ttl_s=120))


async def test_a_tilted_panel_yields_differently_from_a_flat_one(sessionmaker, redis):
    live = LiveStore(RedisBackend(redis), ttl_s=120)
    async with sessionmaker() as session:
        user = await create_user(session, timezone="Europe/Berlin", latitude=52.5, longitude=13.4)
        flat = await create_device(session, models.DeviceKind.SOLAR_PANEL, user)
        tilted = await create_device(
            session, models.DeviceKind.SOLAR_PANEL, user, tilt_deg=30.0, azimuth_deg=180.0
        )
        await session.commit()
        ids = [flat.id, tilted.id]
    await run_cycle(sessionmaker, live, NOON, batch_users=10)
    readings = await live.device_readings(ids)
    assert all(r is not None for r in readings)
    flat_w, tilted_w = (r.power_w for r in readings if r is not None)
    assert flat_w > 0
    assert tilted_w != flat_w
