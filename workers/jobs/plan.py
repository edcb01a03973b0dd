"""Re-planning as ARQ jobs: one orchestrator per interval, one job per batch of users.

Like the simulation (workers/jobs/simulate.py): the cron job is unique per run time and takes a
per-interval lock, batch jobs have deterministic ids (`plan:{epoch}:{n}`), and a batch is
idempotent (it replaces each home's plan whole). A batch job older than the simulation's
staleness bound is skipped: a backlog (the hourly round of a large fleet) never piles up.
Every interval the orchestrator first runs the aggregate queries of `app.planning.due` (one
row per home, no device rows) and enqueues batches of the owners that have a due home only;
each batch re-plans only the homes whose inputs changed or whose plan is an hour old
(`app.planning.run`), so a change of prices or devices is planned within one interval, and
every plan at least hourly.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from arq import Retry

from app import observability
from app.errors import is_transient
from app.live import keys
from app.pipeline.cycle import cycle_instant, split
from app.planning.due import due_owner_ids
from app.planning.run import plan_batch
from workers.context import WorkerContext
from workers.jobs.simulate import stale_after_s

logger = logging.getLogger("hems.worker")


async def run_planning(ctx: WorkerContext, *, at: datetime | None = None) -> dict[str, Any]:
    """Cron orchestrator: enqueue one planning job per batch of users."""
    settings = ctx["settings"]
    instant = at or cycle_instant(datetime.now(UTC), settings.SIMULATION_INTERVAL_S)
    epoch = int(instant.timestamp())
    redis = ctx["redis"]
    lock_s = max(settings.SIMULATION_INTERVAL_S * 5, 60)
    if not await redis.set(keys.plan_lock_key(epoch), b"1", nx=True, ex=lock_s):
        return {"at": epoch, "skipped": True}
    # One cheap pass of per-home aggregates: only owners with a due home get a batch job.
    async with ctx["sessionmaker"]() as session:
        owners = await due_owner_ids(session, instant)
    batches = split(owners, settings.PLAN_BATCH_USERS)
    for n, batch in enumerate(batches):
        await redis.enqueue_job(
            "plan_user_batch", [str(u) for u in batch], epoch, n, _job_id=f"plan:{epoch}:{n}"
        )
    logger.info("planning orchestrated", extra={"at": epoch, "batches": len(batches)})
    return {"at": epoch, "batches": len(batches)}


async def plan_user_batch(
    ctx: WorkerContext, user_ids: list[str], epoch_s: int, batch_index: int = 0
) -> dict[str, Any]:
    """Re-plan the homes of one batch of users (those that need it) at `epoch_s`."""
    settings = ctx["settings"]
    if time.time() > epoch_s + stale_after_s(settings.SIMULATION_INTERVAL_S):
        # Superseded: a newer round re-plans whatever this one would have.
        observability.WORKER_JOBS.labels("plan_user_batch", "skipped").inc()
        return {"skipped": True, "batch": batch_index}
    started = time.perf_counter()
    try:
        report = await plan_batch(
            ctx["sessionmaker"],
            ctx["live"],
            [uuid.UUID(u) for u in user_ids],
            datetime.fromtimestamp(epoch_s, UTC),
            slot_ttl_s=2 * settings.SIMULATION_INTERVAL_S + 900,
        )
    except Exception as exc:
        if is_transient(exc):
            observability.WORKER_JOBS.labels("plan_user_batch", "retry").inc()
            raise Retry(defer=min(5, settings.SIMULATION_INTERVAL_S / 4)) from exc
        observability.WORKER_JOBS.labels("plan_user_batch", "error").inc()
        raise
    observability.WORKER_JOBS.labels("plan_user_batch", "ok").inc()
    observability.WORKER_JOB_DURATION.labels("plan_user_batch").observe(
        time.perf_counter() - started
    )
    return {"homes": report.homes, "planned": report.planned, "batch": batch_index}
