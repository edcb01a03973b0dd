"""The embedded default: with no Redis, the API process runs the simulation loop itself, and
re-plans the homes in process (the planning jobs' work, without ARQ)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from app.pipeline.cycle import cycle_instant, run_cycle, split
from app.planning.due import due_owner_ids
from app.planning.run import plan_batch
from app.state import AppState

logger = logging.getLogger("hems.embedded")


async def simulation_loop(state: AppState) -> None:
    """Run a cycle now (so a new user sees figures at once), then at every interval boundary."""
    settings = state.settings
    interval = settings.SIMULATION_INTERVAL_S
    while True:
        now = datetime.now(UTC)
        try:
            report = await run_cycle(
                state.sessionmaker,
                state.live,
                cycle_instant(now, interval),
                batch_users=settings.SIMULATION_BATCH_USERS,
            )
            logger.info("cycle complete", extra={"devices": report.devices, "users": report.users})
        except Exception:  # keep the loop alive; the next interval retries
            logger.exception("simulation cycle failed")
        next_boundary = cycle_instant(datetime.now(UTC), interval).timestamp() + interval
        await asyncio.sleep(max(0.05, next_boundary - datetime.now(UTC).timestamp()))


async def plan_everyone(state: AppState, now: datetime) -> int:
    """One planning round over every user: homes whose inputs changed or whose plan is an hour
    old are re-planned; the current slots are cached. Returns the homes planned."""
    settings = state.settings
    planned = 0
    async with state.sessionmaker() as session:
        owners = await due_owner_ids(session, now)
    for batch in split(owners, settings.PLAN_BATCH_USERS):
        report = await plan_batch(
            state.sessionmaker,
            state.live,
            batch,
            now,
            slot_ttl_s=2 * settings.SIMULATION_INTERVAL_S + 900,
        )
        planned += report.planned
    return planned


async def planning_loop(state: AppState) -> None:
    """Every simulation interval (half an interval after the cycle): a planning round, so a
    change of prices or devices is planned within one interval, and every plan hourly."""
    interval = state.settings.SIMULATION_INTERVAL_S
    while True:
        try:
            planned = await plan_everyone(state, datetime.now(UTC))
            if planned:
                logger.info("planning round complete", extra={"homes": planned})
        except Exception:  # keep the loop alive; the next interval retries
            logger.exception("planning round failed")
        next_at = cycle_instant(datetime.now(UTC), interval).timestamp() + interval + interval / 2
        await asyncio.sleep(max(0.05, next_at - datetime.now(UTC).timestamp()))


def start_embedded_simulation(state: AppState) -> None:
    logger.info(
        "embedded mode: simulating in this process every %ss", state.settings.SIMULATION_INTERVAL_S
    )
    state.background.append(asyncio.create_task(simulation_loop(state), name="hems-simulation"))
    state.background.append(asyncio.create_task(planning_loop(state), name="hems-planning"))
