"""History written by the cycle on real PostgreSQL: sums, energy balance, idempotency, rollups."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app import models
from app.live.backends import RedisBackend
from app.live.store import LiveStore
from app.models.history import ENERGY_COLUMNS
from app.pipeline.cycle import run_cycle
from app.simulation.calendar import local_day_start, zone
from tests.fixtures.factories import create_device, create_home

# Monday 2026-01-12 20:00 UTC = 12:00 in San Francisco: sun up, batteries charging.
NOON = datetime(2026, 1, 12, 20, 0, tzinfo=UTC)
TABLES = ("energy_minute", "energy_hour", "energy_day")


@pytest.fixture
def live(redis):
    return LiveStore(RedisBackend(redis), ttl_s=120)


async def rows(sessionmaker, table):
    """{(subject_id, bucket_start): (user_id, *energies)} of a history table (typed values;
    as the reads take them: a device rollup row's NULL grid columns are 0)."""
    t = models.Base.metadata.tables[table]
    energies = (func.coalesce(t.c[c], 0.0) if t.c[c].nullable else t.c[c] for c in ENERGY_COLUMNS)
    async with sessionmaker() as s:
        result = await s.execute(select(t.c.subject_id, t.c.bucket_start, t.c.user_id, *energies))
        return {(r[0], r[1]): tuple(r[2:]) for r in result.all()}


async def cycles(sessionmaker, live, start, count):
    for n in range(count):
        await run_cycle(sessionmaker, live, start + timedelta(minutes=n), batch_users=10)


class TestRecord:
    async def test_home_row_is_the_sum_of_its_devices_and_balances_the_grid(
        self, db_session, sessionmaker, live
    ):
        user, devices = await create_home(db_session)
        await create_device(db_session, models.DeviceKind.SOLAR_PANEL, user)
        await db_session.commit()
        await cycles(sessionmaker, live, NOON, 3)
        minute = await rows(sessionmaker, "energy_minute")
        last = NOON + timedelta(minutes=1)  # the third cycle covers [12:01, 12:02)
        home = minute[(user.id, last)]
        device_rows = [
            v for (subject, start), v in minute.items() if start == last and subject != user.id
        ]
        assert all(v[0] == user.id for v in device_rows)
        for i in range(1, 5):
            assert home[i] == pytest.approx(sum(v[i] for v in device_rows))
        _, produced, consumed, charged, discharged, imported, exported = home
        assert produced > 0
        assert charged > 0  # noon surplus into the battery
        assert imported - exported == pytest.approx(consumed + charged - discharged - produced)
        assert min(imported, exported) == 0
        for v in device_rows:
            assert v[5] == v[6] == 0  # the grid is the home's, not a device's

    async def test_producer_energy_is_power_times_the_interval(
        self, db_session, sessionmaker, live, redis
    ):
        user, _ = await create_home(db_session)
        panel = await create_device(db_session, models.DeviceKind.SOLAR_PANEL, user)
        await db_session.commit()
        await run_cycle(sessionmaker, live, NOON, batch_users=10)
        reading = (await live.device_readings([panel.id]))[0]
        minute = await rows(sessionmaker, "energy_minute")
        produced = minute[(panel.id, NOON - timedelta(minutes=1))][1]
        assert produced == pytest.approx(reading.power_w * 60 / 3600, abs=1e-3)

    async def test_battery_energy_equals_its_level_change(self, db_session, sessionmaker, live):
        user, devices = await create_home(db_session)
        battery = next(d for d in devices if d.kind == models.DeviceKind.BATTERY)
        await db_session.commit()
        levels = []
        for n in range(4):
            await run_cycle(sessionmaker, live, NOON + timedelta(minutes=n), batch_users=10)
            row = await db_session.get(models.Battery, battery.id, populate_existing=True)
            levels.append(row.current_level_wh)
        minute = await rows(sessionmaker, "energy_minute")
        stored = sum(v[3] - v[4] for (subject, _), v in minute.items() if subject == battery.id)
        assert stored == pytest.approx(levels[-1] - levels[0])

    async def test_rerunning_cycles_changes_no_row(self, db_session, sessionmaker, live):
        await create_home(db_session)
        await db_session.commit()
        await cycles(sessionmaker, live, NOON, 3)
        before = {
            t: await rows(sessionmaker, t) for t in ("energy_minute", "energy_hour", "energy_day")
        }
        await cycles(sessionmaker, live, NOON, 3)  # every instant again, oldest first
        await run_cycle(sessionmaker, live, NOON + timedelta(minutes=1), batch_users=10)
        after = {
            t: await rows(sessionmaker, t) for t in ("energy_minute", "energy_hour", "energy_day")
        }
        assert after == before
        assert before["energy_minute"]

    async def test_hour_and_day_rollups_equal_the_sum_of_their_minutes(
        self, db_session, sessionmaker, live
    ):
        # 07:50-08:10 UTC crosses an hour, and local midnight in Berlin (UTC+1 in January).
        user, _ = await create_home(db_session, timezone="Europe/Berlin")
        await db_session.commit()
        start = datetime(2026, 1, 12, 22, 50, tzinfo=UTC)
        await cycles(sessionmaker, live, start, 20)
        minute = await rows(sessionmaker, "energy_minute")
        tz = zone("Europe/Berlin")
        for table, floor in (
            ("energy_hour", lambda t: t.replace(minute=0, second=0)),
            ("energy_day", lambda t: local_day_start(t, tz)),
        ):
            rolled = await rows(sessionmaker, table)
            expected: dict[tuple[uuid.UUID, datetime], list[float]] = {}
            for (subject, bucket), v in minute.items():
                acc = expected.setdefault((subject, floor(bucket)), [0.0] * 6)
                for i in range(6):
                    acc[i] += v[i + 1]
            assert set(rolled) == set(expected)
            for key, v in rolled.items():
                assert list(v[1:]) == pytest.approx(expected[key], abs=1e-9)
        days = {bucket for (_, bucket) in (await rows(sessionmaker, "energy_day"))}
        assert days == {
            datetime(2026, 1, 11, 23, 0, tzinfo=UTC),  # Jan 12, Berlin
            datetime(2026, 1, 12, 23, 0, tzinfo=UTC),  # Jan 13, Berlin
        }
