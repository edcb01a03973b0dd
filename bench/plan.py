"""Benchmark planning: the savings of the plan on a reference set, and a fleet re-planned.

1. Savings (pure, no I/O): reference homes with PV 6 kWp, a 10 kWh battery (0.5 C) and a 60 kWh
   EV commuting Monday-Friday 07:00-18:00, on a 3:1 time-of-use tariff (peak 16:00-21:00) and on
   a dynamic tariff with negative midday prices, in four places, over a simulated week from a
   Monday. The planned home re-plans every hour (48 h ahead) and carries out the plan's first
   hour; the baseline runs the same week under SELF_CONSUMPTION / NOW. The forecast stands in
   for the actual weather (its error is measured apart, docs/planning.md). Both costs are
   summed per home over the week; `worse_homes` counts homes whose week cost more than the
   baseline's, `worse_days` the home-days (a day may cost more when charging moves across
   midnight).
2. Fleet: `--users` homes of `--devices-per-user` devices on PostgreSQL with a time-of-use tariff,
   re-planned (48 h, 192 slots) by `--workers` processes, each running `plan_batch` over its
   share in batches of PLAN_BATCH_USERS, as the planning jobs do: wall time and solve times;
   then the cron's first pass for the next interval (`next_round_*`: no home is due, no device
   row is loaded) and an hour later (`hour_later_*`: every home is due).

    uv run python -m bench.plan --users 10000 --workers 2 --devices-per-user 3
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import numpy as np

from app.planning.forecast import Horizon, forecast_home
from app.planning.inputs import DEFAULT_SCHEDULE
from app.planning.model import PlanBattery, PlanEV, PlanHome
from app.planning.optimizer import baseline_flows, grid_cost, optimize
from app.planning.schedule import ev_slots
from bench.common import Servers, fleet_parser, load_fleet, log, percentile, run_on_servers

WEEK_START = datetime(2026, 6, 1, 7, 0, tzinfo=UTC)  # Monday 00:00 in San Francisco
PLACES = (
    ("America/Los_Angeles", 37.77, -122.42),
    ("America/New_York", 40.71, -74.01),
    ("Europe/Berlin", 52.52, 13.40),
    ("Australia/Sydney", -33.87, 151.21),
)


def reference_home(tz: str, lat: float, lon: float, key: int) -> PlanHome:
    return PlanHome(
        home_id=uuid.UUID(int=key),
        timezone=tz,
        latitude=lat,
        longitude=lon,
        panel_key=np.asarray([key], dtype=np.uint64),
        panel_area_m2=np.asarray([30.0]),
        panel_efficiency=np.asarray([0.2]),
        panel_max_w=np.asarray([6000.0]),
        panel_latitude=np.asarray([lat]),
        panel_longitude=np.asarray([lon]),
        air_conditioner_w=2500.0,
        heater_w=2500.0,
        batteries=(PlanBattery(10_000.0, 5000.0, 5000.0),),
        evs=(PlanEV(60_000.0, 30_000.0, 7200.0, 2000.0, 0.0, 54_000.0, DEFAULT_SCHEDULE),),
    )


def _local_hours(tz: str, starts_s: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    from app.simulation.calendar import zone

    z = zone(tz)
    return np.asarray(
        [(d := datetime.fromtimestamp(float(s), z)).hour + d.minute / 60.0 for s in starts_s]
    )


def tariff_prices(kind: str, tz: str, horizon: Horizon) -> tuple[Any, Any]:
    """(import, export) per slot: 3:1 time of use, or a dynamic day with a negative midday."""
    hours = _local_hours(tz, horizon.starts_s)
    if kind == "tou":
        peak = (hours >= 16.0) & (hours < 21.0)
        return np.where(peak, 0.45, 0.15), np.full(horizon.slots, 0.05)
    spot = np.select(
        [hours < 6, hours < 10, hours < 11, hours < 15, hours < 17, hours < 21],
        [0.10, 0.28, 0.12, -0.06, 0.15, 0.36],
        0.14,
    )
    return spot + 0.03, spot - 0.01


def _week(home: PlanHome, kind: str) -> tuple[float, float, list[float], list[float]]:
    """(planned week cost, baseline week cost, planned per day, baseline per day)."""
    week = Horizon(int(WEEK_START.timestamp()), 7 * 96)
    imp_w, exp_w = tariff_prices(kind, home.timezone, week)
    base_flows = baseline_flows(
        home, forecast_home(home, week), [ev_slots(e, home.timezone, week) for e in home.evs]
    )
    planned_grid = np.zeros(week.slots)
    state = home
    for hour in range(7 * 24):
        horizon = Horizon(week.start_s + hour * 3600, 192)
        imp, exp = tariff_prices(kind, home.timezone, horizon)
        result = optimize(state, forecast_home(state, horizon), imp, exp)
        f = result.flows
        planned_grid[hour * 4 : hour * 4 + 4] = f.grid_w[:4]
        bat = replace(state.batteries[0], level_wh=float(f.battery_level_wh[3]))
        ev = replace(state.evs[0], level_wh=float(f.ev_level_wh[3]))
        state = replace(state, batteries=(bat,), evs=(ev,))
    days_plan = [
        grid_cost(
            planned_grid[d * 96 : d * 96 + 96],
            imp_w[d * 96 : d * 96 + 96],
            exp_w[d * 96 : d * 96 + 96],
        )
        for d in range(7)
    ]
    days_base = [
        grid_cost(
            base_flows.grid_w[d * 96 : d * 96 + 96],
            imp_w[d * 96 : d * 96 + 96],
            exp_w[d * 96 : d * 96 + 96],
        )
        for d in range(7)
    ]
    # Fairness at the week's end: the plan may leave less in storage than the baseline; the
    # difference is valued at the week's highest import price (a charge to the plan).
    left = (base_flows.battery_level_wh[-1] - state.batteries[0].level_wh) + (
        base_flows.ev_level_wh[-1] - state.evs[0].level_wh
    )
    penalty = max(left, 0.0) / 1000.0 * float(np.max(imp_w))
    return float(sum(days_plan) + penalty), float(sum(days_base)), days_plan, days_base


def savings(references: int) -> dict[str, Any]:
    plans: list[float] = []
    bases: list[float] = []
    worse_days = 0
    homes = 0
    for kind in ("tou", "dynamic"):
        for i, (tz, lat, lon) in enumerate(PLACES[: max(1, references // 2)]):
            plan_cost, base_cost, days_plan, days_base = _week(
                reference_home(tz, lat, lon, 100 + i), kind
            )
            homes += 1
            plans.append(plan_cost)
            bases.append(base_cost)
            worse_days += sum(p > b + 1e-6 for p, b in zip(days_plan, days_base, strict=True))
            log(f"{kind} {tz}: plan {plan_cost:.2f} baseline {base_cost:.2f}")
    saving = [(b - p) / abs(b) * 100.0 if b else 0.0 for p, b in zip(plans, bases, strict=True)]
    return {
        "reference_homes": homes,
        "reference_plan_cost": round(sum(plans), 3),
        "reference_baseline_cost": round(sum(bases), 3),
        "savings_pct": round(float(np.mean(saving)), 2),
        "worse_homes": int(sum(p > b + 1e-6 for p, b in zip(plans, bases, strict=True))),
        "worse_days": int(worse_days),
    }


def _plan_share(database_url: str, user_ids: list[str], now_s: float, batch: int) -> list[float]:
    """One worker process: plan its users in batches, as the planning jobs do."""
    from app.db import create_engine, create_sessionmaker
    from app.planning.run import plan_batch

    async def go() -> list[float]:
        engine = create_engine(database_url, application_name="hems-bench-plan")
        sessionmaker = create_sessionmaker(engine)
        solve: list[float] = []
        try:
            ids = [uuid.UUID(u) for u in user_ids]
            for lo in range(0, len(ids), batch):
                report = await plan_batch(
                    sessionmaker, None, ids[lo : lo + batch], datetime.fromtimestamp(now_s, UTC)
                )
                solve.extend(report.solve_s)
        finally:
            await engine.dispose()
        return solve

    return asyncio.run(go())


async def fleet(args: argparse.Namespace, srv: Servers) -> dict[str, Any]:
    import asyncpg

    loaded = await load_fleet(srv.dsn, args.users, args.devices_per_user)
    conn = await asyncpg.connect(srv.dsn)
    try:
        await conn.execute(
            """
            INSERT INTO tariff (home_id, kind, currency, daily_fixed_charge,
                                import_price_per_kwh, export_price_per_kwh, windows,
                                created_at, updated_at)
            SELECT id, 'TIME_OF_USE', 'USD', 0, 0.15, 0.05,
                   '[{"days": [0,1,2,3,4,5,6], "start": 960, "end": 1260,
                      "import": 0.45, "export": 0.05}]'::json, now(), now()
            FROM home
            """
        )
    finally:
        await conn.close()
    log(f"loaded {args.users} homes, {loaded.devices} devices")
    ids = [str(u) for u in loaded.user_ids]
    shares = [ids[w :: args.workers] for w in range(args.workers)]
    now_s = WEEK_START.timestamp()
    started = time.perf_counter()
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        parts = await asyncio.gather(
            *(
                loop.run_in_executor(
                    pool, _plan_share, srv.database_url, share, now_s, args.batch_users
                )
                for share in shares
            )
        )
    plan_s = time.perf_counter() - started
    solve = [s * 1000.0 for part in parts for s in part]
    # The next interval's round: every plan is fresh, so the cheap first pass (per-home
    # aggregates, no device rows) finds no owner to enqueue.
    from app.db import create_engine, create_sessionmaker
    from app.planning.due import due_owner_ids

    engine = create_engine(srv.database_url, application_name="hems-bench-plan")
    try:
        async with create_sessionmaker(engine)() as session:
            t0 = time.perf_counter()
            idle_due = await due_owner_ids(session, datetime.fromtimestamp(now_s + 60, UTC))
            idle_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            hour_due = await due_owner_ids(session, datetime.fromtimestamp(now_s + 3600, UTC))
            hour_s = time.perf_counter() - t0
    finally:
        await engine.dispose()
    return {
        "homes": args.users,
        "devices": loaded.devices,
        "workers": args.workers,
        "slots": 192,
        "plan_s": round(plan_s, 2),
        "solve_p50_ms": round(percentile(solve, 50), 2),
        "solve_p99_ms": round(percentile(solve, 99), 2),
        "planned": len(solve),
        "next_round_due": len(idle_due),
        "next_round_check_s": round(idle_s, 3),
        "hour_later_due": len(hour_due),
        "hour_later_check_s": round(hour_s, 3),
    }


async def run(args: argparse.Namespace, srv: Servers) -> dict[str, Any]:
    figures = await fleet(args, srv)
    t0 = time.perf_counter()
    figures.update(savings(args.references))
    figures["savings_s"] = round(time.perf_counter() - t0, 1)
    return figures


def main() -> None:
    parser = fleet_parser(__doc__ or "", users=10_000)
    if not any(a.dest == "workers" for a in parser._actions):
        parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-users", type=int, default=100)
    parser.add_argument("--references", type=int, default=8, help="reference homes (2..8)")
    args = parser.parse_args()
    run_on_servers(run, args)


if __name__ == "__main__":
    main()
