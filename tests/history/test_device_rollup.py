"""Device rollups by the maintenance job (PostgreSQL): with `history_rollup` in place a cycle adds
a device's energy to its quarter hour only, the job rolls past hours up, and every read answers
exactly what the per-cycle rollups answer, before the job, between its runs and after it.

The reference is the same fleet recorded without the row (every cycle rolls up, as on SQLite):
backfill is deterministic, so the two recordings differ only in where the device hours and days
come from. The home is in Kolkata (UTC+05:30): its local midnight, 18:30 UTC, falls inside the
recorded stretch and inside an hour, so the job's days are checked where they differ from hours.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text

from app import models
from app.backfill import backfill_range, instants
from app.pipeline.history import prune_history, roll_up_devices
from app.repositories.rollup import RollupRepository
from app.services.history import Resolution, history_pages, page_request
from tests.fixtures.factories import create_home
from tests.history.test_backfill_retention import reset
from tests.history.test_recording import rows

ZONE = "Asia/Kolkata"
T0 = datetime(2026, 6, 1, 16, 0, tzinfo=UTC)
END = T0 + timedelta(hours=4)
HISTORY = (
    "energy_minute",
    "energy_quarter_hour",
    "energy_hour",
    "energy_day",
    "home_energy_minute",
    "home_energy_hour",
    "home_energy_day",
)
FIGURES = ("produced_wh", "consumed_wh", "charged_wh", "discharged_wh")


async def _home(db_session: Any) -> tuple[models.User, list[uuid.UUID]]:
    user, devices = await create_home(db_session, timezone=ZONE, latitude=19.07, longitude=72.88)
    await db_session.commit()
    return user, [d.id for d in devices]


async def _watermark(sessionmaker: Any, until: datetime | None) -> None:
    async with sessionmaker() as s:
        await s.execute(text("DELETE FROM history_rollup"))
        if until is not None:
            s.add(models.HistoryRollup(id=1, rolled_until=until))
        await s.commit()


async def _pages(sessionmaker: Any, devices: list[uuid.UUID]) -> dict[Any, list[tuple[Any, ...]]]:
    """Every device's HOUR and DAY buckets around the stretch, as Device.history reads them."""
    out: dict[Any, list[tuple[Any, ...]]] = {}
    for resolution in (Resolution.HOUR, Resolution.DAY):
        requests = [
            page_request(
                d,
                resolution,
                T0 - timedelta(days=1),
                END + timedelta(days=1),
                100,
                None,
                device=True,
            )
            for d in devices
        ]
        async with sessionmaker() as s:
            pages = await history_pages(s, ZONE, requests)
        for d, page in zip(devices, pages, strict=True):
            out[(d, resolution)] = [
                (b.start, *(getattr(b, c) for c in FIGURES)) for b in page.buckets
            ]
    return out


def _same(got: dict[Any, list[tuple[Any, ...]]], want: dict[Any, list[tuple[Any, ...]]]) -> None:
    assert got.keys() == want.keys()
    for key, buckets in want.items():
        assert [b[0] for b in got[key]] == [b[0] for b in buckets], key
        for g, w in zip(got[key], buckets, strict=True):
            assert g[1:] == pytest.approx(w[1:], rel=1e-9, abs=1e-9), (key, w[0])


async def _device_rows(sessionmaker: Any, table: str, devices: list[uuid.UUID]) -> dict[Any, Any]:
    return {k: v for k, v in (await rows(sessionmaker, table)).items() if k[0] in devices}


@pytest.fixture
async def reference(db_session: Any, sessionmaker: Any) -> dict[str, Any]:
    """The fleet recorded with per-cycle rollups, then its history and storage reset."""
    user, devices = await _home(db_session)
    await _watermark(sessionmaker, None)
    await backfill_range(sessionmaker, [user.id], instants(T0, END, 60), batch_users=10)
    found: dict[str, Any] = {
        "user": user,
        "devices": devices,
        "pages": await _pages(sessionmaker, devices),
        "hour": await _device_rows(sessionmaker, "energy_hour", devices),
        "day": await _device_rows(sessionmaker, "energy_day", devices),
    }
    days = {k[1] for k in found["day"]}
    assert len(days) == 2  # the stretch crosses the home's local midnight
    assert any(sum(v[1:]) > 0 for v in found["hour"].values())
    await reset(sessionmaker, HISTORY)
    return found


async def test_reads_equal_per_cycle_rollups_before_between_and_after_the_job(
    sessionmaker: Any, reference: dict[str, Any]
) -> None:
    devices = reference["devices"]
    rolled = T0 + timedelta(hours=1)
    await _watermark(sessionmaker, rolled)
    await backfill_range(
        sessionmaker, [reference["user"].id], instants(T0, END, 60), batch_users=10
    )

    # Before the job: hours before the watermark were added by the cycles, later ones were not.
    hours = {k[1] for k in await _device_rows(sessionmaker, "energy_hour", devices)}
    assert hours
    assert max(hours) < rolled
    _same(await _pages(sessionmaker, devices), reference["pages"])

    # Between runs: two hours rolled up, the rest still read from the quarters.
    assert await roll_up_devices(sessionmaker, now=T0 + timedelta(hours=5)) == T0 + timedelta(
        hours=2
    )
    _same(await _pages(sessionmaker, devices), reference["pages"])

    # After: every hour rolled up; the rollup rows are the per-cycle ones.
    after = await roll_up_devices(sessionmaker, now=END + timedelta(hours=3, minutes=1))
    assert after == END
    _same(await _pages(sessionmaker, devices), reference["pages"])
    for table in ("hour", "day"):
        got = await _device_rows(sessionmaker, f"energy_{table}", devices)
        assert got.keys() == reference[table].keys(), table
        for key, want in reference[table].items():
            assert got[key][1:] == pytest.approx(want[1:], rel=1e-9, abs=1e-9), (table, key)

    # A second run finds nothing to do and changes nothing.
    assert await roll_up_devices(sessionmaker, now=END + timedelta(hours=3, minutes=1)) == END
    _same(await _pages(sessionmaker, devices), reference["pages"])


async def test_retention_drops_quarter_hours_only_once_rolled_up(
    sessionmaker: Any, reference: dict[str, Any]
) -> None:
    """Forty days on, the quarters are past their 35 days: the run rolls them up (skipping the
    empty hours up to the present) before it drops them, so the hours and days stay whole."""
    devices = reference["devices"]
    await _watermark(sessionmaker, T0)
    await backfill_range(
        sessionmaker, [reference["user"].id], instants(T0, END, 60), batch_users=10
    )
    later = END + timedelta(days=40)
    await prune_history(sessionmaker, now=later, retention_days=7, quarter_retention_days=35)
    async with sessionmaker() as s:
        assert await RollupRepository(s).rolled_until() == datetime(
            later.year, later.month, later.day, later.hour - 3, tzinfo=UTC
        )
        left = await s.scalar(select(models.EnergyQuarterHour.subject_id).limit(1))
    assert left is None
    _same(await _pages(sessionmaker, devices), reference["pages"])


async def test_a_late_cycle_waits_for_the_job_then_adds_to_the_rollups_itself(
    db_session: Any, sessionmaker: Any
) -> None:
    """The job holds the watermark row while it rolls up; a late cycle (its hour is hours
    behind the clock) waits for it, then finds its hour rolled up and adds to it directly."""
    user, devices = await _home(db_session)
    await _watermark(sessionmaker, T0)
    async with sessionmaker() as job:
        repo = RollupRepository(job)
        assert await repo.rolled_until(lock=True) == T0
        cycle = asyncio.create_task(
            backfill_range(sessionmaker, [user.id], [T0 + timedelta(minutes=30)], batch_users=10)
        )
        await _until_waiting_on_a_lock(sessionmaker)
        assert not cycle.done()
        await repo.set_rolled_until(T0 + timedelta(hours=1))
        await job.commit()
    await cycle
    hours = await _device_rows(sessionmaker, "energy_hour", devices)
    q = models.EnergyQuarterHour
    async with sessionmaker() as s:
        quarters = (
            await s.execute(select(q.subject_id, q.bucket_start, *(getattr(q, c) for c in FIGURES)))
        ).all()
    assert quarters
    assert {k[1] for k in hours} == {T0}
    # The hour holds what the quarter does (one cycle: one quarter per device).
    for device, start, *values in quarters:
        assert hours[(device, T0)][1:5] == pytest.approx(tuple(values)), start


async def _until_waiting_on_a_lock(sessionmaker: Any) -> None:
    """Until another backend of the test database waits for a lock (polled: the event is in
    PostgreSQL, not in this process)."""
    for _ in range(400):
        async with sessionmaker() as s:
            waiting = await s.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
            )
        if waiting:
            return
        await asyncio.sleep(0.025)
    raise AssertionError("no backend waited for the history_rollup lock")
