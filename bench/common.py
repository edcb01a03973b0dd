"""Shared pieces of the benchmarks: throwaway servers, a fast bulk loader, figures, processes.

Every benchmark starts its own PostgreSQL and Redis (`tests.servers`), migrates with Alembic and
loads its homes with binary COPY (`asyncpg.copy_records_to_table`), so a data set of 500,000
devices is ready in seconds and nothing depends on services already running.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import secrets
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import numpy as np

from app.auth import usernames
from app.migrate import upgrade_head
from bench.engine import CITIES, MIX
from tests.servers import PostgresServer, RedisServer, free_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
#: A fixed, private-looking secret for the benchmark processes (>= 32 bytes).
JWT_SECRET = "bench-" + secrets.token_hex(24)

KIND_NAMES = {
    "solar": "SOLAR_PANEL",
    "generators": "GENERATOR",
    "batteries": "BATTERY",
    "evs": "ELECTRIC_VEHICLE",
    "air_conditioners": "AIR_CONDITIONER",
    "heaters": "HEATER",
}
#: The 50-device home of the engine benchmark, one kind per slot, interleaved so that smaller
#: homes (the first N slots) still get a bit of everything.
_SLOTS: list[str] = []
_left = dict(MIX)
while any(_left.values()):
    for _kind in MIX:
        if _left[_kind]:
            _SLOTS.append(_kind)
            _left[_kind] -= 1


def log(*parts: Any) -> None:
    """Progress goes to stderr; the last stdout line is the JSON figures."""
    print(*parts, file=sys.stderr, flush=True)


def emit(figures: dict[str, Any]) -> None:
    print(json.dumps(figures), flush=True)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return float(np.percentile(np.asarray(values), q))


@dataclass
class Servers:
    pg: PostgresServer
    redis: RedisServer
    database_url: str
    dsn: str  # plain asyncpg DSN

    def env(self, **extra: Any) -> dict[str, str]:
        """Environment of a HEMS process on these servers."""
        env = dict(os.environ)
        env.update(
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis.url,
            JWT_SECRET=JWT_SECRET,
            HEMS_ENV="production",
            LOG_LEVEL="WARNING",
        )
        env.update({k: str(v) for k, v in extra.items()})
        return env


@contextlib.contextmanager
def servers() -> Iterator[Servers]:
    """Fresh PostgreSQL + Redis, migrated to head; destroyed on exit."""
    pg = PostgresServer(durable=os.environ.get("BENCH_PG_DURABLE", "1") != "0").start()
    redis = RedisServer().start()
    try:
        url = pg.create_database("hems_bench")
        upgrade_head(url)
        yield Servers(pg, redis, url, url.replace("postgresql+asyncpg://", "postgresql://"))
    finally:
        redis.stop()
        pg.destroy()


def fleet_parser(doc: str, *, users: int) -> argparse.ArgumentParser:
    """The scale flags every benchmark has; each adds its own."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--users", type=int, default=users)
    parser.add_argument("--devices-per-user", type=int, default=50)
    parser.add_argument(
        "--tariffs",
        action="store_true",
        help="every home on a tariff: FIXED, TIME_OF_USE and DYNAMIC in turn (DYNAMIC homes with "
        "2 days of uploaded 15-minute slots)",
    )
    return parser


Figures = Coroutine[Any, Any, dict[str, Any]]
Run = Callable[[argparse.Namespace, Servers], Figures]


def run_on_servers(
    run: Run,
    args: argparse.Namespace,
    *,
    loop: Callable[[Figures], dict[str, Any]] = asyncio.run,
) -> None:
    """One benchmark on fresh servers; its figures are the last line printed."""
    with servers() as srv:
        figures = loop(run(args, srv))
    emit(figures)


@dataclass
class Fleet:
    user_ids: list[uuid.UUID]
    devices: int
    #: device ids per user (only kept when asked for: the API benchmark's 50-device user).
    devices_of: dict[uuid.UUID, list[uuid.UUID]] = field(default_factory=dict)


def _uuids(n: int, rng: np.random.Generator) -> list[uuid.UUID]:
    raw = rng.bytes(16 * n)
    out = []
    for i in range(n):
        b = bytearray(raw[16 * i : 16 * i + 16])
        b[6] = (b[6] & 0x0F) | 0x40  # version 4
        b[8] = (b[8] & 0x3F) | 0x80  # RFC 4122 variant
        out.append(uuid.UUID(bytes=bytes(b)))
    return out


async def load_fleet(
    dsn: str,
    users: int,
    devices_per_user: int,
    *,
    password_hash: str = "!unusable",
    simulated_at: datetime | None = None,
    keep_devices: int = 0,
    seed: int = 11,
    tariffs: bool = False,
) -> Fleet:
    """Bulk-load `users` homes of `devices_per_user` devices each with binary COPY.

    Storage devices start mid-charge, last simulated at `simulated_at` (default: never).
    `keep_devices` users (the first ones) keep their device id lists in the result.
    `tariffs`: see `tariff_rows`.
    """
    rng = np.random.default_rng(seed)
    now = datetime.now(UTC)
    user_ids = _uuids(users, rng)
    city = rng.integers(0, len(CITIES), users)
    jitter = rng.uniform(-1.0, 1.0, (users, 2))
    slots = [_SLOTS[j % len(_SLOTS)] for j in range(devices_per_user)]
    n = users * devices_per_user
    device_ids = _uuids(n, rng)
    rows: dict[str, list[tuple[Any, ...]]] = {k: [] for k in MIX}
    device_rows: list[tuple[Any, ...]] = []
    user_rows: list[tuple[Any, ...]] = []
    home_rows: list[tuple[Any, ...]] = []
    u01 = rng.random(n)
    home_ids = _uuids(users, rng)  # drawn last: the other draws stay as they were
    fleet = Fleet(user_ids=user_ids, devices=n)
    for u, uid in enumerate(user_ids):
        tz, lat, lon = CITIES[city[u]]
        lat = float(lat + jitter[u, 0])
        lon = float(lon + jitter[u, 1])
        name = f"bench-{u}"
        user_rows.append((uid, name, usernames.key(name), password_hash, tz, lat, lon, now, now))
        hid = home_ids[u]
        home_rows.append((hid, uid, "Home", tz, lat, lon, now, now))
        base = u * devices_per_user
        if u < keep_devices:
            fleet.devices_of[uid] = device_ids[base : base + devices_per_user]
        for j, kind in enumerate(slots):
            i = base + j
            did = device_ids[i]
            r = float(u01[i])
            device_rows.append((did, uid, hid, f"{kind}-{j}", KIND_NAMES[kind], "ACTIVE", now, now))
            if kind == "solar":
                area = 1.5 + 0.5 * r
                eff = 0.17 + 0.06 * r
                rows[kind].append((did, area, eff, area * eff * 1000.0, lat, lon))
            elif kind in ("generators", "air_conditioners", "heaters"):
                rows[kind].append((did, 1000.0 + 2500.0 * r))
            elif kind == "batteries":
                cap = (5000.0, 10000.0, 13500.0)[i % 3]
                rows[kind].append((did, cap, 0.25 + 0.75 * r, cap * r, 0.0, simulated_at))
            else:
                cap = (40.0, 60.0, 75.0, 100.0)[i % 4]
                mode = ("CHARGING", "CHARGING", "DISCHARGING", "OFFLINE")[i % 4]
                rows[kind].append(
                    (did, cap, cap * r, 7.4, 5.0 + 10.0 * r, mode, mode, None, 0.0, simulated_at)
                )
    columns = {
        "solar": ("solar_panel", ["id", "panel_area_m2", "efficiency", "max_capacity_w",
                                  "latitude", "longitude"]),
        "generators": ("generator", ["id", "rated_power_w"]),
        "air_conditioners": ("air_conditioner", ["id", "rated_power_w"]),
        "heaters": ("heater", ["id", "rated_power_w"]),
        "batteries": ("battery", ["id", "capacity_wh", "c_rate", "current_level_wh", "flow_w",
                                  "simulated_at"]),
        "evs": ("electric_vehicle", ["id", "battery_capacity_kwh", "current_charge_kwh",
                                     "charge_rate_kw", "driving_consumption_kwh_per_hour", "mode",
                                     "mode_setting", "last_seen_at", "flow_w", "simulated_at"]),
    }  # fmt: skip
    conn = await asyncpg.connect(dsn)
    try:
        await conn.copy_records_to_table(
            "user",
            records=user_rows,
            columns=[
                "id",
                "username",
                "username_key",
                "password_hash",
                "timezone",
                "latitude",
                "longitude",
                "created_at",
                "updated_at",
            ],
        )
        await conn.copy_records_to_table(
            "home",
            records=home_rows,
            columns=[
                "id",
                "owner_id",
                "name",
                "timezone",
                "latitude",
                "longitude",
                "created_at",
                "updated_at",
            ],
        )
        await conn.copy_records_to_table(
            "device",
            records=device_rows,
            columns=[
                "id",
                "owner_id",
                "home_id",
                "name",
                "kind",
                "status",
                "created_at",
                "updated_at",
            ],
        )
        for kind, (table, cols) in columns.items():
            if rows[kind]:
                await conn.copy_records_to_table(table, records=rows[kind], columns=cols)
        if tariffs:
            tariff_records, slot_records = tariff_rows(home_ids, now)
            await conn.copy_records_to_table(
                "tariff",
                records=tariff_records,
                columns=[
                    "home_id",
                    "kind",
                    "currency",
                    "daily_fixed_charge",
                    "import_price_per_kwh",
                    "export_price_per_kwh",
                    "windows",
                    "created_at",
                    "updated_at",
                ],
            )
            await conn.copy_records_to_table(
                "price_slot", records=slot_records, columns=["home_id", "start", "import", "export"]
            )
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    return fleet


#: Weekday evening peak and a night window for every day (the stored JSON form of the windows).
_TOU_WINDOWS = json.dumps(
    [
        {"days": [0, 1, 2, 3, 4], "start": 17 * 60, "end": 21 * 60, "import": 0.42, "export": 0.1},
        {"days": list(range(7)), "start": 22 * 60, "end": 6 * 60, "import": 0.18, "export": 0.05},
    ]
)


def tariff_rows(
    home_ids: list[uuid.UUID], now: datetime
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """A tariff for every home, FIXED, TIME_OF_USE and DYNAMIC in turn, and the DYNAMIC homes'
    slots: 2 days (192 quarters) from today's UTC midnight, some of them negative."""
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    starts = [day + timedelta(minutes=15 * q) for q in range(192)]
    curve = [0.25 + 0.2 * math.sin(q / 192 * 4 * math.pi) for q in range(192)]
    tariffs: list[tuple[Any, ...]] = []
    slots: list[tuple[Any, ...]] = []
    for i, hid in enumerate(home_ids):
        kind = ("FIXED", "TIME_OF_USE", "DYNAMIC")[i % 3]
        windows = _TOU_WINDOWS if kind == "TIME_OF_USE" else "[]"
        tariffs.append((hid, kind, "EUR", 0.4, 0.3, 0.08, windows, now, now))
        if kind == "DYNAMIC":
            slots.extend(
                (hid, start, price, price / 3) for start, price in zip(starts, curve, strict=True)
            )
    return tariffs, slots


# -- processes ---------------------------------------------------------------------------------


def spawn(args: list[str], env: dict[str, str], name: str) -> subprocess.Popen[bytes]:
    """Start a process in its own group, its output in a log file next to the benchmark."""
    logdir = Path(os.environ.get("BENCH_LOG_DIR", "/tmp/hems-bench"))
    logdir.mkdir(parents=True, exist_ok=True)
    out = (logdir / f"{name}.log").open("wb")
    return subprocess.Popen(
        args, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )


def stop(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout)


def peak_rss_mb(pid: int) -> float:
    """Peak resident set size (VmHWM) of a live process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


async def wait_http(port: int, path: str = "/healthz", wait_s: float = 60.0) -> None:
    """Wait until a server answers on 127.0.0.1:`port` (any status)."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
            await writer.drain()
            line = await reader.readline()
            writer.close()
            if line.startswith(b"HTTP/"):
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"nothing answered on port {port}")
        await asyncio.sleep(0.1)


__all__ = [
    "BIN",
    "JWT_SECRET",
    "Fleet",
    "Servers",
    "emit",
    "free_port",
    "load_fleet",
    "log",
    "peak_rss_mb",
    "percentile",
    "servers",
    "spawn",
    "stop",
    "wait_http",
]
