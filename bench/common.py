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
from app.models.control import DEFAULT_SCHEDULE_SQL
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
    parser.add_argument(
        "--non-default",
        action="store_true",
        help="every device on non-default controls and physics (see `non_default_columns`), and "
        "one household load per home; SMART EVs need --tariffs to have prices",
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
    non_default: bool = False,
) -> Fleet:
    """Bulk-load `users` homes of `devices_per_user` devices each with binary COPY.

    Storage devices start mid-charge, last simulated at `simulated_at` (default: never).
    `keep_devices` users (the first ones) keep their device id lists in the result.
    `tariffs`: see `tariff_rows`. `non_default`: see `non_default_columns`; adds one household
    load per home (counted in `Fleet.devices`).
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
    household_rows: list[tuple[Any, ...]] = []
    if non_default:
        extra = non_default_columns(rows, simulated_at, seed)
        for kind, (_names, values) in extra.items():
            rows[kind] = [row + more for row, more in zip(rows[kind], values, strict=True)]
        household_ids = _uuids(users, np.random.default_rng(seed + 2))
        for u, (uid, hid, did) in enumerate(zip(user_ids, home_ids, household_ids, strict=True)):
            device_rows.append((did, uid, hid, "household", "HOUSEHOLD", "ACTIVE", now, now))
            household_rows.append((did, 1500.0 + 4500.0 * ((u * 0.618034) % 1.0)))
        fleet.devices += users
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
    if non_default:
        for kind, (names, _values) in extra.items():
            columns[kind][1].extend(names)
        columns["households"] = ("household_load", ["id", "annual_consumption_kwh"])
        rows["households"] = household_rows
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


#: A second EV schedule: away at weekend nights (across midnight), 80 % at departure.
_WEEKEND_NIGHTS = json.dumps(
    [{"days": ["FRIDAY", "SATURDAY"], "departAt": "22:00", "returnAt": "06:00",
      "targetSocPercent": 80.0}]
)  # fmt: skip


def non_default_columns(
    rows: dict[str, list[tuple[Any, ...]]], simulated_at: datetime | None, seed: int
) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    """Per kind, the control and physics columns (names, one tuple per row of `rows`) that put
    every device off its default, as `bench.engine --controls mixed --physics mixed` does:
    panels tilted 15-45 degrees facing 90-270 with a temperature coefficient; generators OFF or
    AUTO; batteries HOLD, CHARGE or OPTIMIZED with a 20 % reserve and 90 % round trip; EVs OFF,
    SOLAR or SMART with 10-85 % SoC bounds, half on a second schedule; air conditioners and
    heaters on a thermostat with room state from the previous cycle, 10 % switched off.

    Its own random stream (`seed` + 1): the default columns stay as they were."""
    rng = np.random.default_rng(seed + 1)

    def draws(kind: str) -> np.ndarray:
        return rng.random((len(rows[kind]), 4))

    solar = [
        (15.0 + 30.0 * a, 90.0 + 180.0 * b, -0.005 + 0.002 * c, True)
        for a, b, c, _ in draws("solar")
    ]
    generators = [
        ("OFF" if a < 0.5 else "AUTO", 500.0, None, None) for a, _, _, _ in draws("generators")
    ]
    batteries = [
        (("HOLD", "CHARGE", "OPTIMIZED")[int(3 * a)], 20.0, 0.9)
        for a, _, _, _ in draws("batteries")
    ]
    evs = [
        (
            ("OFF", "SOLAR", "SMART")[int(3 * a)],
            10.0,
            85.0,
            DEFAULT_SCHEDULE_SQL if b < 0.5 else _WEEKEND_NIGHTS,
        )
        for a, b, _, _ in draws("evs")
    ]

    def thermostats(kind: str, low: float) -> list[tuple[Any, ...]]:
        out = []
        for a, b, c, d in draws(kind):
            setpoint, hysteresis = low + 4.0 * a, 0.5 + b
            indoor = None if simulated_at is None else setpoint + hysteresis * (2.4 * c - 1.2)
            on, running = bool(d >= 0.1), bool(c < 1.0 / 3.0)
            out.append((on, setpoint, hysteresis, indoor, running, simulated_at))
        return out

    thermostat_names = ["switched_on", "setpoint_c", "hysteresis_c", "indoor_temperature_c",
                        "running", "simulated_at"]  # fmt: skip
    return {
        "solar": (["tilt_deg", "azimuth_deg", "temperature_coefficient_per_k", "follows_home"],
                  solar),
        "generators": (["mode", "auto_start_import_w", "run_started_at", "simulated_at"],
                       generators),
        "batteries": (["mode", "reserve_soc_percent", "round_trip_efficiency"], batteries),
        "evs": (["charge_mode", "min_soc_percent", "limit_soc_percent", "schedule"], evs),
        "air_conditioners": (thermostat_names, thermostats("air_conditioners", 22.0)),
        "heaters": (thermostat_names, thermostats("heaters", 18.0)),
    }  # fmt: skip


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
