"""The embedded default: with no Redis, the API process runs the simulation loop itself."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from app.pipeline.cycle import cycle_instant, run_cycle
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


def start_embedded_simulation(state: AppState) -> None:
    logger.info(
        "embedded mode: simulating in this process every %ss", state.settings.SIMULATION_INTERVAL_S
    )
    state.background.append(asyncio.create_task(simulation_loop(state), name="hems-simulation"))
