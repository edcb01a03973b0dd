"""Benchmark `scenario`: one home of `--devices-per-user` devices replayed over `--days` days
(as it is and with a battery added: one engine run of both) in the API process's code path.
`scenario_p50_ms` / `scenario_p99_ms` time replays (the scenario cache is cleared before each
run); `cached_p50_ms` the same request repeated, answered from the cache.

    uv run python -m bench.scenario --devices-per-user 50 --days 7 --runs 5
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from typing import Any

from app.config import get_settings
from app.db import create_engine, create_sessionmaker
from app.planning import scenario as scenario_module
from app.services import planning as planning_service
from bench.common import Servers, fleet_parser, load_fleet, log, percentile, run_on_servers

NOW = datetime(2026, 6, 8, 7, 0, 30, tzinfo=UTC)


async def run(args: argparse.Namespace, srv: Servers) -> dict[str, Any]:
    import asyncpg

    loaded = await load_fleet(srv.dsn, args.users, args.devices_per_user)
    conn = await asyncpg.connect(srv.dsn)
    try:
        await conn.execute(
            """
            INSERT INTO tariff (home_id, kind, currency, daily_fixed_charge,
                                import_price_per_kwh, export_price_per_kwh, windows,
                                created_at, updated_at)
            SELECT id, 'FIXED', 'USD', 0, 0.3, 0.05, '[]'::json, now(), now() FROM home
            """
        )
        home = await conn.fetchrow("SELECT id, owner_id FROM home LIMIT 1")
    finally:
        await conn.close()
    engine = create_engine(srv.database_url, application_name="hems-bench-scenario")
    sessionmaker = create_sessionmaker(engine)
    request = planning_service.ScenarioRequest(
        add_batteries=[{"name": "b", "capacity_wh": 10_000.0, "c_rate": 0.5}]
    )
    interval = get_settings().SIMULATION_INTERVAL_S
    times: list[float] = []
    cached: list[float] = []
    try:
        for n in range(args.runs):
            # Each run replays: the cache of the previous run is dropped first.
            scenario_module.CACHE.entries.clear()
            t0 = time.perf_counter()
            async with sessionmaker() as session:
                outcome = await planning_service.scenario(
                    session, home["owner_id"], str(home["id"]), args.days, request, NOW, interval
                )
            times.append((time.perf_counter() - t0) * 1000.0)
            log(f"run {n}: {times[-1]:.0f} ms, imported {outcome.baseline.imported_wh:.0f} Wh")
            t0 = time.perf_counter()
            async with sessionmaker() as session:
                await planning_service.scenario(
                    session, home["owner_id"], str(home["id"]), args.days, request, NOW, interval
                )
            cached.append((time.perf_counter() - t0) * 1000.0)
    finally:
        await engine.dispose()
    return {
        "devices": loaded.devices // max(args.users, 1),
        "days": args.days,
        "cycles": args.days * 86_400 // interval,
        "runs": args.runs,
        "scenario_p50_ms": round(percentile(times, 50), 1),
        "scenario_p99_ms": round(percentile(times, 99), 1),
        "cached_p50_ms": round(percentile(cached, 50), 1),
    }


def main() -> None:
    parser = fleet_parser(__doc__ or "", users=1)
    if not any(a.dest == "workers" for a in parser._actions):
        parser.add_argument("--workers", type=int, default=1, help="unused: the API process")
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    run_on_servers(run, args)


if __name__ == "__main__":
    main()
