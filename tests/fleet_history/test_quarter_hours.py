"""Devices' quarter-hour buckets (the default): the same figures as the per-cycle rows.

Each test runs the same cycles twice from the same state, once by default (no device minute
rows) and once with HISTORY_DEVICE_MINUTE=true (device minute rows, as before), and compares:
the devices' quarter hours are the sums of their minutes, and every rollup is identical.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app import models
from app.models.history import DEVICE_COLUMNS
from app.pipeline.cycle import run_cycle
from app.pipeline.history import device_minute_rows
from app.repositories.history import quarter_start
from tests.fixtures.factories import create_home
from tests.history.test_backfill_retention import live  # noqa: F401
from tests.history.test_backfill_retention import reset as reset_history
from tests.history.test_recording import cycles, rows

HISTORY = ("energy_minute", "energy_quarter_hour", "energy_hour", "energy_day")
# 22:50-23:10 UTC crosses an hour, quarters, and local midnight in Berlin.
START = datetime(2026, 1, 12, 22, 50, tzinfo=UTC)


async def quarter_rows(sessionmaker):
    t = models.EnergyQuarterHour.__table__
    async with sessionmaker() as s:
        result = await s.execute(
            select(t.c.subject_id, t.c.bucket_start, t.c.user_id, *(t.c[c] for c in DEVICE_COLUMNS))
        )
        return {(r[0], r[1]): tuple(r[2:]) for r in result.all()}


async def snapshot(sessionmaker):
    out = {t: await rows(sessionmaker, t) for t in HISTORY if t != "energy_quarter_hour"}
    out["energy_quarter_hour"] = await quarter_rows(sessionmaker)
    return out


async def reset(sessionmaker):
    await reset_history(sessionmaker, HISTORY)


def set_mode(monkeypatch: pytest.MonkeyPatch, device_minute: bool) -> None:
    monkeypatch.setenv("HISTORY_DEVICE_MINUTE", "true" if device_minute else "false")
    device_minute_rows.cache_clear()


async def both_modes(sessionmaker, live, monkeypatch, run: Callable[[], object]):  # noqa: F811
    set_mode(monkeypatch, False)
    await run()  # type: ignore[misc]
    default = await snapshot(sessionmaker)
    await reset(sessionmaker)
    set_mode(monkeypatch, True)
    await run()  # type: ignore[misc]
    opt_in = await snapshot(sessionmaker)
    set_mode(monkeypatch, False)
    return default, opt_in


def devices_of(table: dict[Any, Any]) -> dict[Any, Any]:
    return {k: v for k, v in table.items() if k[0] != v[0]}


class TestQuarterHours:
    async def test_quarters_equal_the_sum_of_their_minutes_and_rollups_are_unchanged(
        self,
        db_session,
        sessionmaker,
        live,  # noqa: F811
        monkeypatch,
    ):
        await create_home(db_session, timezone="Europe/Berlin")
        await create_home(db_session)
        await db_session.commit()

        async def run():
            await cycles(sessionmaker, live, START, 20)

        default, opt_in = await both_modes(sessionmaker, live, monkeypatch, run)
        # By default no device has a minute row; the users' rows are the same.
        assert devices_of(default["energy_minute"]) == {}
        minutes = devices_of(opt_in["energy_minute"])
        assert minutes
        assert default["energy_minute"] == {
            k: v for k, v in opt_in["energy_minute"].items() if k not in minutes
        }
        # Quarter hours: the sums of the minutes, in both modes.
        expected: dict[tuple[uuid.UUID, datetime], list[float]] = {}
        for (subject, bucket), v in minutes.items():
            acc = expected.setdefault((subject, quarter_start(bucket)), [0.0] * 4)
            for i in range(4):
                acc[i] += v[i + 1]
        for mode in (default, opt_in):
            quarters = mode["energy_quarter_hour"]
            assert set(quarters) == set(expected)
            # Intervals 22:49 .. 23:08: the quarters of 22:45 and 23:00.
            assert len({b for (_, b) in quarters}) == 2
            for key, v in quarters.items():
                assert list(v[1:]) == pytest.approx(expected[key], abs=1e-9)
        # Hours and days: identical whatever the mode (devices' and users').
        assert default["energy_hour"] == opt_in["energy_hour"]
        assert default["energy_day"] == opt_in["energy_day"]
        assert default["energy_quarter_hour"] == opt_in["energy_quarter_hour"]
        # An hour is the sum of its quarters.
        for (subject, bucket), v in devices_of(default["energy_hour"]).items():
            parts = [
                q[1:]
                for (s, b), q in default["energy_quarter_hour"].items()
                if s == subject and b.replace(minute=0) == bucket
            ]
            assert list(v[1:5]) == pytest.approx([sum(p[i] for p in parts) for i in range(4)])

    async def test_rerunning_cycles_adds_nothing_to_the_quarters(
        self,
        db_session,
        sessionmaker,
        live,  # noqa: F811
        monkeypatch,
    ):
        await create_home(db_session)
        await db_session.commit()
        set_mode(monkeypatch, False)
        await cycles(sessionmaker, live, START, 5)
        before = await snapshot(sessionmaker)
        await cycles(sessionmaker, live, START, 5)
        assert await snapshot(sessionmaker) == before
        assert before["energy_quarter_hour"]


class TestSQLite:
    async def test_quarters_and_rollups_on_the_embedded_database(self, state_sqlite, monkeypatch):
        sm = state_sqlite.sessionmaker
        async with sm() as session:
            await create_home(session)
            await session.commit()

        async def run():
            for n in range(20):
                await run_cycle(sm, state_sqlite.live, START + timedelta(minutes=n), batch_users=5)

        default, opt_in = await both_modes(sm, state_sqlite.live, monkeypatch, run)
        assert devices_of(default["energy_minute"]) == {}
        assert default["energy_quarter_hour"] == opt_in["energy_quarter_hour"]
        assert default["energy_hour"] == opt_in["energy_hour"]
        assert default["energy_day"] == opt_in["energy_day"]
        assert default["energy_quarter_hour"]
        await run()
        assert (await snapshot(sm))["energy_quarter_hour"] == default["energy_quarter_hour"]
