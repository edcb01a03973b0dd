"""Backfill equals live, retention prunes, and the embedded SQLite default records the same way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from app import models
from app.backfill import backfill_range, instants, run_backfill
from app.cli import cli
from app.live.backends import RedisBackend
from app.live.store import LiveStore
from app.pipeline import history as pipeline_history
from app.pipeline.cycle import run_cycle
from app.pipeline.history import prune_history
from tests.fixtures.app import make_settings
from tests.fixtures.factories import create_home, create_user
from tests.history.test_recording import TABLES, rows
from workers.context import WorkerContext
from workers.jobs.retention import prune_energy_history

# 17:45-18:15 in Los Angeles on a Monday: the sun sets and the EVs come home while it runs.
END = datetime(2026, 1, 13, 2, 15, tzinfo=UTC)
STORAGE_RESET = """
UPDATE battery SET current_level_wh = 6750.0, flow_w = 0.0, simulated_at = NULL;
UPDATE electric_vehicle SET current_charge_kwh = 40.0, flow_w = 0.0, simulated_at = NULL,
       mode = 'CHARGING', last_seen_at = NULL;
"""


@pytest.fixture
def live(redis):
    return LiveStore(RedisBackend(redis), ttl_s=120)


async def snapshot(sessionmaker):
    return {t: await rows(sessionmaker, t) for t in TABLES}


async def reset(sessionmaker, tables=TABLES):
    """Delete the history `tables` and put every battery and EV back to its starting state."""
    async with sessionmaker() as s:
        for table in tables:
            await s.execute(text(f"DELETE FROM {table}"))
        for statement in STORAGE_RESET.split(";"):
            if statement.strip():
                await s.execute(text(statement))
        await s.commit()


class TestBackfill:
    async def test_backfill_records_exactly_what_live_cycles_record(
        self, db_session, sessionmaker, live, database_url
    ):
        users = [(await create_home(db_session))[0] for _ in range(3)]
        await db_session.commit()
        at = instants(END - timedelta(minutes=30), END, 60)
        assert len(at) == 31
        for instant in at:
            await run_cycle(sessionmaker, live, instant, batch_users=2)
        from_live = await snapshot(sessionmaker)
        assert all(from_live.values())

        await reset(sessionmaker)
        report = await backfill_range(sessionmaker, [u.id for u in users], at, batch_users=2)
        assert report.cycles == 31
        assert await snapshot(sessionmaker) == from_live

        await reset(sessionmaker)
        settings = make_settings(DATABASE_URL=database_url)
        await run_backfill(settings, days=30 / 1440, now=END + timedelta(seconds=30))
        assert await snapshot(sessionmaker) == from_live

    async def test_backfill_writes_no_live_readings(self, db_session, sessionmaker, redis):
        user, _ = await create_home(db_session)
        await db_session.commit()
        await backfill_range(sessionmaker, [user.id], [END], batch_users=10)
        assert await redis.keys("*") == []

    async def test_one_user_only(self, db_session, sessionmaker, database_url):
        alice, _ = await create_home(db_session, username="alice")
        bob, _ = await create_home(db_session, username="bob")
        await db_session.commit()
        settings = make_settings(DATABASE_URL=database_url)
        await run_backfill(settings, days=2 / 1440, username="alice", now=END)
        owners = {v[0] for v in (await rows(sessionmaker, "energy_minute")).values()}
        assert owners == {alice.id}
        with pytest.raises(LookupError):
            await run_backfill(settings, days=1 / 1440, username="nobody", now=END)

    def test_cli_backfills_the_embedded_database(self, sqlite_url):
        runner = CliRunner()
        env = {"DATABASE_URL": sqlite_url, "SIMULATION_INTERVAL_S": "60"}
        result = runner.invoke(cli, ["backfill", "--days", "0.003", "--user", "ghost"], env=env)
        assert result.exit_code == 2
        assert "ghost" in result.output
        result = runner.invoke(cli, ["backfill", "--days", "0.003"], env=env)
        assert result.exit_code == 0, result.output
        assert "cycles for 0 users" in result.output


class TestRetention:
    async def test_prunes_old_interval_rows_and_keeps_rollups(
        self, db_session, sessionmaker, live, monkeypatch
    ):
        await create_home(db_session)
        await db_session.commit()
        now = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)
        for instant in (now - timedelta(days=9), now - timedelta(days=8), now - timedelta(hours=1)):
            for n in range(3):
                await run_cycle(sessionmaker, live, instant + timedelta(minutes=n), batch_users=10)
        before = await snapshot(sessionmaker)
        monkeypatch.setattr(pipeline_history, "PRUNE_CHUNK", 5)  # several chunks
        deleted = await prune_history(sessionmaker, now=now, retention_days=7)
        after = await snapshot(sessionmaker)
        cutoff = now - timedelta(days=7)
        assert deleted == sum(1 for (_, start) in before["energy_minute"] if start < cutoff) > 5
        assert after["energy_minute"] == {
            k: v for k, v in before["energy_minute"].items() if k[1] >= cutoff
        }
        assert after["energy_hour"] == before["energy_hour"]
        assert after["energy_day"] == before["energy_day"]

    async def test_worker_job_uses_the_setting(self, db_session, sessionmaker, live, database_url):
        await create_home(db_session)
        await db_session.commit()
        await run_cycle(sessionmaker, live, datetime.now(UTC) - timedelta(days=3), batch_users=5)
        ctx: WorkerContext = {
            "settings": make_settings(DATABASE_URL=database_url, HISTORY_MINUTE_RETENTION_DAYS=2),
            "sessionmaker": sessionmaker,
        }
        assert (await prune_energy_history(ctx))["deleted"] > 0
        assert await rows(sessionmaker, "energy_minute") == {}
        assert await rows(sessionmaker, "energy_hour")


@pytest.fixture(params=["postgres", "sqlite"])
def any_state(request):
    """The API state on PostgreSQL + Redis, or the embedded default (SQLite, in-process store)."""
    return request.getfixturevalue("state" if request.param == "postgres" else "state_sqlite")


class TestDeviceRetention:
    async def test_device_rows_go_sooner_than_home_rows(self, any_state, monkeypatch):
        state = any_state
        sm = state.sessionmaker
        async with sm() as session:
            user, _ = await create_home(session)
            await session.commit()
        now = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)
        for instant in (now - timedelta(days=5), now - timedelta(days=3), now - timedelta(hours=1)):
            for n in range(3):
                await run_cycle(sm, state.live, instant + timedelta(minutes=n), batch_users=10)
        before = await snapshot(sm)
        monkeypatch.setattr(pipeline_history, "PRUNE_CHUNK", 7)  # several chunks
        deleted = await prune_history(sm, now=now, retention_days=4, device_retention_days=2)
        after = await snapshot(sm)
        home_cut, device_cut = now - timedelta(days=4), now - timedelta(days=2)

        def kept(subject, start):
            return start >= (home_cut if subject == user.id else device_cut)

        expected = {k: v for k, v in before["energy_minute"].items() if kept(*k)}
        assert after["energy_minute"] == expected
        assert deleted == len(before["energy_minute"]) - len(expected)
        # The 3-day-old cycles keep the home's rows only; the rollups are untouched.
        three_days = {k[0] for k in expected if k[1] < device_cut}
        assert three_days == {user.id}
        assert after["energy_hour"] == before["energy_hour"]
        assert after["energy_day"] == before["energy_day"]

    def test_device_retention_cannot_exceed_the_homes(self):
        with pytest.raises(ValueError, match="HISTORY_DEVICE_MINUTE_RETENTION_DAYS"):
            make_settings(HISTORY_MINUTE_RETENTION_DAYS=2, HISTORY_DEVICE_MINUTE_RETENTION_DAYS=3)


class TestEmbeddedSQLite:
    async def test_records_once_rolls_up_and_prunes(self, state_sqlite):
        sm = state_sqlite.sessionmaker
        async with sm() as session:
            user, _ = await create_home(session)
            await create_user(session)  # a user with no devices records nothing
            await session.commit()
        start = datetime(2026, 1, 12, 20, 55, tzinfo=UTC)
        for _ in range(2):  # the second pass re-runs every instant
            for n in range(10):
                await run_cycle(sm, state_sqlite.live, start + timedelta(minutes=n), batch_users=5)
            if _ == 0:
                first = await snapshot(sm)
        assert await snapshot(sm) == first
        minute, hour = first["energy_minute"], first["energy_hour"]
        assert {v[0] for v in minute.values()} == {user.id}
        for (subject, bucket), v in hour.items():
            parts = [
                m for (s, b), m in minute.items() if s == subject and b.replace(minute=0) == bucket
            ]
            assert v[1:] == pytest.approx(
                tuple(map(sum, zip(*(p[1:] for p in parts), strict=True)))
            )
        assert len({b for (_, b) in hour}) == 2  # 20:00 and 21:00 UTC
        deleted = await prune_history(sm, now=start + timedelta(days=8), retention_days=7)
        assert deleted == len(minute)
        assert (await snapshot(sm))["energy_hour"] == hour
        assert models.EnergyMinute.__tablename__ == "energy_minute"
