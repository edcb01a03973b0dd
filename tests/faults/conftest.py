"""Fault tests: private PostgreSQL/Redis servers, `hems` subprocesses, and a storage ledger.

The ledger is a trigger on `battery` and `electric_vehicle` that records every committed
change of a storage level with the interval it covers. `check_ledger` then proves the storage
books balance: each change is exactly flow x elapsed (an EV's also minus the energy driven while
away, computed independently here), intervals never overlap or repeat (nothing double counted),
and the stored level is the last recorded one (nothing lost).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import orjson
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import NullPool

from app.db import create_engine
from app.migrate import upgrade_head
from app.simulation.electric_vehicle import AWAY_FROM, AWAY_WEEKDAYS, commute
from tests.servers import PostgresServer, RedisServer

ROOT = Path(__file__).resolve().parents[2]

LEDGER_SQL = [
    """CREATE TABLE storage_ledger (
        seq bigserial PRIMARY KEY, device_id uuid NOT NULL, kind text NOT NULL,
        old_level float8, new_level float8, flow_w float8,
        old_sim timestamptz, new_sim timestamptz, capacity float8, driving float8)""",
    """CREATE FUNCTION ledger_battery() RETURNS trigger AS $$ BEGIN
        IF NEW.current_level_wh IS DISTINCT FROM OLD.current_level_wh
           OR NEW.simulated_at IS DISTINCT FROM OLD.simulated_at THEN
          INSERT INTO storage_ledger (device_id, kind, old_level, new_level, flow_w,
                                      old_sim, new_sim, capacity)
          VALUES (NEW.id, 'battery', OLD.current_level_wh, NEW.current_level_wh, NEW.flow_w,
                  OLD.simulated_at, NEW.simulated_at, NEW.capacity_wh);
        END IF;
        RETURN NEW; END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER ledger_battery AFTER UPDATE ON battery
        FOR EACH ROW EXECUTE FUNCTION ledger_battery()""",
    """CREATE FUNCTION ledger_ev() RETURNS trigger AS $$ BEGIN
        IF NEW.current_charge_kwh IS DISTINCT FROM OLD.current_charge_kwh
           OR NEW.simulated_at IS DISTINCT FROM OLD.simulated_at THEN
          INSERT INTO storage_ledger (device_id, kind, old_level, new_level, flow_w,
                                      old_sim, new_sim, capacity, driving)
          VALUES (NEW.id, 'ev', OLD.current_charge_kwh, NEW.current_charge_kwh, NEW.flow_w,
                  OLD.simulated_at, NEW.simulated_at, NEW.battery_capacity_kwh,
                  NEW.driving_consumption_kwh_per_hour);
        END IF;
        RETURN NEW; END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER ledger_ev AFTER UPDATE ON electric_vehicle
        FOR EACH ROW EXECUTE FUNCTION ledger_ev()""",
]


@pytest.fixture(scope="session")
def fault_pg() -> Iterator[PostgresServer]:
    """A PostgreSQL of the fault tests' own: they restart it, and add triggers."""
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.destroy()


@pytest.fixture
async def fault_db(fault_pg: PostgresServer) -> str:
    """A fresh migrated database with the storage ledger installed."""
    url = fault_pg.create_database(f"hems_fault_{uuid.uuid4().hex[:8]}")
    await asyncio.to_thread(upgrade_head, url)
    engine = create_engine(url, poolclass=NullPool)
    async with engine.begin() as conn:
        for statement in LEDGER_SQL:
            await conn.execute(text(statement))
    await engine.dispose()
    return url


@pytest.fixture
async def fault_engine(fault_db: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(fault_db, application_name="hems-test", poolclass=NullPool)
    yield engine
    await engine.dispose()


@pytest.fixture
def fault_redis() -> Iterator[RedisServer]:
    server = RedisServer().start()
    try:
        yield server
    finally:
        server.stop()


# --- processes ---------------------------------------------------------------------------------


class Process:
    """A `hems ...` subprocess in its own process group, logging JSON to a file."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._file = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", *args],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=self._file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def kill(self) -> None:
        """SIGKILL: no cleanup, no goodbye (this process and anything it started)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        self._file.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self._file.close()

    def records(self) -> list[dict[str, Any]]:
        out = []
        for line in self.log.read_bytes().splitlines():
            try:
                out.append(orjson.loads(line))
            except orjson.JSONDecodeError:
                out.append({"level": "unstructured", "event": line.decode(errors="replace")})
        return out


def hems_env(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    return {
        "HEMS_ENV": "test",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SIMULATION_INTERVAL_S": "1",
        "SIMULATION_BATCH_USERS": "2",
        "LOG_FORMAT": "json",
        **extra,
    }


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Callable[..., Process]]:
    """Start `hems` subprocesses; whatever is still running at the end is killed."""
    started: list[Process] = []

    def start(args: list[str], env: dict[str, str], name: str = "proc") -> Process:
        process = Process(args, env, tmp_path / f"{name}-{len(started)}.log")
        started.append(process)
        return process

    yield start
    for process in started:
        if process.proc.poll() is None:
            process.kill()


async def wait_for(
    predicate: Callable[[], Awaitable[Any]], *, limit_s: float = 60, what: str = "condition"
) -> Any:
    """Poll until `predicate()` is truthy; fail after `limit_s` s (a bound, not a measurement)."""
    deadline = time.monotonic() + limit_s
    while True:
        value = await predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def last_complete(redis: Any) -> int:
    from app.live import keys

    try:
        raw = await redis.get(keys.last_complete_cycle_key())
    except Exception:  # Redis down or restarting: no answer yet
        return 0
    return int(raw) if raw is not None else 0


# --- homes and the ledger ----------------------------------------------------------------------


def zone_where(away: bool, minutes_ahead: int = 3) -> str | None:
    """A fixed-offset zone where EVs are (or are not) away from now for a few minutes."""
    now = datetime.now(UTC)
    for hours in range(-12, 15):
        name = f"Etc/GMT{-hours:+d}" if hours else "Etc/UTC"
        zone = ZoneInfo(name)
        start, end = now.astimezone(zone), (now + timedelta(minutes=minutes_ahead)).astimezone(zone)
        is_away = all(
            t.weekday() in AWAY_WEEKDAYS and t.time() >= AWAY_FROM and t.hour < 18
            for t in (start, end)
        )
        if is_away == away:
            return name
    return None


async def create_homes(sessionmaker: Any, count: int) -> list[Any]:
    """Homes with every device kind; half where EVs are away driving now (when any zone is)."""
    from tests.fixtures.factories import create_home

    away, home = zone_where(True), zone_where(False)
    users = []
    async with sessionmaker() as session:
        for n in range(count):
            zone = away if (n % 2 == 0 and away) else home or "Etc/UTC"
            users.append((await create_home(session, timezone=zone))[0])
        await session.commit()
    return users


async def check_ledger(engine: AsyncEngine) -> dict[str, int]:
    """Assert the storage books balance; return how many changes of each kind were checked."""
    async with engine.connect() as conn:
        rows: Sequence[Sequence[Any]] = (
            await conn.execute(
                text(
                    """SELECT l.device_id, l.kind, l.old_level, l.new_level, l.flow_w,
                              extract(epoch FROM l.old_sim), extract(epoch FROM l.new_sim),
                              l.capacity, l.driving, u.timezone
                       FROM storage_ledger l JOIN device d ON d.id = l.device_id
                       JOIN "user" u ON u.id = d.owner_id ORDER BY l.seq"""
                )
            )
        ).all()
        stored = {
            r[0]: float(r[1])
            for r in (
                await conn.execute(
                    text(
                        "SELECT id, current_level_wh FROM battery UNION ALL "
                        "SELECT id, current_charge_kwh FROM electric_vehicle"
                    )
                )
            ).all()
        }
    last: dict[Any, tuple[float, float | None]] = {}
    counts = {"battery": 0, "ev": 0, "driving": 0}
    for device, kind, old, new, flow, old_sim, new_sim, cap, driving, tz in rows:
        old_sim = None if old_sim is None else float(old_sim)
        new_sim = float(new_sim)
        if device in last:
            previous_level, previous_sim = last[device]
            assert old == pytest.approx(previous_level, abs=1e-9), "a change was lost"
            assert old_sim == previous_sim, "intervals are not contiguous"
        assert old_sim is None or new_sim > old_sim, "an interval was simulated twice"
        dt = 0.0 if old_sim is None else new_sim - old_sim
        if kind == "battery":
            expected = min(max(old + flow * dt / 3600.0, 0.0), cap)
            assert new == pytest.approx(expected, abs=1e-6), (device, old, new, flow, dt)
        else:
            _, away_s = commute([tz], np.zeros(1, dtype=np.int64), new_sim, np.array([dt]))
            away = float(away_s[0])
            driven = min(driving * away / 3600.0, max(old, 0.0))
            expected = min(max(old - driven + flow * (dt - away) / 3.6e6, 0.0), cap)
            assert new == pytest.approx(expected, abs=1e-6), (device, old, new, flow, dt, away)
            counts["driving"] += driven > 0
        counts[kind] += 1
        last[device] = (new, new_sim)
    for device, (level, _) in last.items():
        assert stored[device] == pytest.approx(level, abs=1e-9), "stored level is not the last"
    return counts


class WorkerLoop:
    """An ARQ worker in this process (no start-up import cost), restarted whenever it stops with
    an error, as a supervisor restarts a `hems worker` process."""

    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self.crashes: list[BaseException] = []
        self.restarts = 0
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        from arq.worker import Worker

        from workers.settings import build_worker_settings

        while True:
            worker = Worker(**build_worker_settings(self.settings), handle_signals=False)
            try:
                await worker.main()
            except Exception as exc:  # what would make a worker process exit
                self.crashes.append(exc)
            finally:
                with contextlib.suppress(Exception):
                    await worker.close()
            await asyncio.sleep(0.5)

    async def stop(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def restart(self) -> None:
        """Replace a worker that stopped making progress (what a liveness probe would do)."""
        self.restarts += 1
        await self.stop()
        self._task = asyncio.create_task(self._run())
