"""One cycle on demand (`hems simulate-once`), for ops and tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from app.config import Settings
from app.main import build_state, close_state
from app.pipeline.cycle import cycle_instant, run_cycle


async def run_once(settings: Settings, at: str | None = None) -> dict[str, Any]:
    """Simulate every home at `at` (default: the current interval boundary); return a summary."""
    if at is not None:
        instant = datetime.fromisoformat(at)
        if instant.tzinfo is None:
            raise ValueError("--at needs a timezone offset, e.g. 2026-06-21T12:00:00+00:00")
        instant = instant.astimezone(UTC)
    else:
        instant = cycle_instant(datetime.now(UTC), settings.SIMULATION_INTERVAL_S)
    state = await build_state(settings)
    try:
        report = await run_cycle(
            state.sessionmaker, state.live, instant, batch_users=settings.SIMULATION_BATCH_USERS
        )
    finally:
        await close_state(state)
    return {
        "cycle_at": instant.isoformat(),
        "users": report.users,
        "devices": report.devices,
        "keys_written": report.keys_written,
        "failed_users": [str(u) for u in report.failed_users],
    }
