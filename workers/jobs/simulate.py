"""The cycle as ARQ jobs: one orchestrator per tick, one job per batch of users.

ARQ semantics this relies on: the cron job is `unique` per run time, so with any number of
workers a tick is orchestrated once; a per-cycle lock also covers a manual run racing the cron.
Batch jobs get deterministic ids (`sim:{cycle}:{n}`), so re-enqueueing a batch is a no-op, and
each batch is idempotent, so a retry (or a worker dying mid-batch) never double counts.
A batch whose cycle is already superseded is skipped: the next cycle advances storage by the
real elapsed time, so nothing is lost.
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
from app.pipeline.batch import simulate_batch
from app.pipeline.cycle import all_user_ids, cycle_instant, split
from workers.context import WorkerContext

logger = logging.getLogger("hems.worker")

#: Progress hashes outlive a cycle by a while, for ops and benchmarks to read.
PROGRESS_TTL_S = 3600


async def run_energy_simulation(
    ctx: WorkerContext, *, cycle_at: datetime | None = None
) -> dict[str, Any]:
    """Cron orchestrator: split all users into batches and enqueue one job per batch."""
    settings = ctx["settings"]
    interval = settings.SIMULATION_INTERVAL_S
    instant = cycle_at or cycle_instant(datetime.now(UTC), interval)
    epoch = int(instant.timestamp())
    redis = ctx["redis"]
    if not await redis.set(keys.cycle_lock_key(epoch), b"1", nx=True, ex=max(interval * 5, 60)):
        logger.info("cycle already orchestrated", extra={"cycle": epoch})
        return {"cycle": epoch, "skipped": True}
    batches = split(await all_user_ids(ctx["sessionmaker"]), settings.SIMULATION_BATCH_USERS)
    progress = keys.cycle_progress_key(epoch)
    await redis.hset(
        progress, mapping={"batches": len(batches), "started_at": time.time(), "devices": 0}
    )
    await redis.expire(progress, PROGRESS_TTL_S)
    for n, batch in enumerate(batches):
        await redis.enqueue_job(
            "simulate_user_batch",
            [str(u) for u in batch],
            epoch,
            n,
            _job_id=f"sim:{epoch}:{n}",
        )
    if not batches:
        await _complete(redis, epoch)
    logger.info("cycle orchestrated", extra={"cycle": epoch, "batches": len(batches)})
    return {"cycle": epoch, "batches": len(batches)}


def stale_after_s(interval_s: int) -> int:
    """Age past which a batch is skipped: two intervals, but never under a minute.

    Running a late batch is harmless (it is idempotent and never moves state backwards); the
    skip only spares work once newer cycles exist. The floor keeps short test intervals from
    skipping every batch of a briefly overloaded machine, so cycles still complete.
    """
    return max(2 * interval_s, 60)


async def simulate_user_batch(
    ctx: WorkerContext, user_ids: list[str], cycle_epoch_s: int, batch_index: int = 0
) -> dict[str, Any]:
    """Simulate one batch of homes for the cycle at `cycle_epoch_s` and record progress."""
    settings = ctx["settings"]
    cycle_at = datetime.fromtimestamp(cycle_epoch_s, UTC)
    if time.time() > cycle_epoch_s + stale_after_s(settings.SIMULATION_INTERVAL_S):
        # Superseded: a newer cycle covers this time with the real elapsed interval.
        logger.warning("skipping stale batch", extra={"cycle": cycle_epoch_s, "batch": batch_index})
        observability.WORKER_JOBS.labels("simulate_user_batch", "skipped").inc()
        return {"skipped": True}
    started = time.perf_counter()
    try:
        report = await simulate_batch(
            ctx["sessionmaker"], ctx["live"], [uuid.UUID(u) for u in user_ids], cycle_at
        )
    except Exception as exc:
        kind = "transient" if is_transient(exc) else "error"
        observability.JOB_FAILURES.labels("simulate_user_batch", kind).inc()
        outcome = "retry" if kind == "transient" else kind
        observability.WORKER_JOBS.labels("simulate_user_batch", outcome).inc()
        if is_transient(exc):
            # Redis or PostgreSQL unreachable: let ARQ run the batch again shortly.
            logger.warning("batch hit a transient failure, retrying", exc_info=exc)
            raise Retry(defer=min(5, settings.SIMULATION_INTERVAL_S / 4)) from exc
        raise
    observability.WORKER_JOBS.labels("simulate_user_batch", "ok").inc()
    observability.WORKER_JOB_DURATION.labels("simulate_user_batch").observe(
        time.perf_counter() - started
    )
    observability.DEVICES_SIMULATED.inc(report.devices)
    if report.failed_users:
        observability.JOB_FAILURES.labels("simulate_user_batch", "homes").inc(
            len(report.failed_users)
        )
    redis = ctx["redis"]
    progress = keys.cycle_progress_key(cycle_epoch_s)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.sadd(progress + ":done", batch_index)
        pipe.hincrby(progress, "devices", report.devices)
        pipe.hincrby(progress, "failed_users", len(report.failed_users))
        pipe.hincrbyfloat(progress, "load_s", report.load_s)
        pipe.hincrbyfloat(progress, "engine_s", report.engine_s)
        pipe.hincrbyfloat(progress, "persist_s", report.persist_s)
        pipe.hincrbyfloat(progress, "history_s", report.history_s)
        pipe.hincrbyfloat(progress, "write_s", report.write_s)
        pipe.expire(progress + ":done", PROGRESS_TTL_S)
        pipe.scard(progress + ":done")
        pipe.hget(progress, "batches")
        *_, done, expected = await pipe.execute()
    if expected is not None and int(done) >= int(expected):
        await _complete(redis, cycle_epoch_s)
    return {"devices": report.devices, "failed_users": [str(u) for u in report.failed_users]}


async def _complete(redis: Any, epoch: int) -> None:
    progress = keys.cycle_progress_key(epoch)
    completed_at = time.time()
    await redis.hset(progress, "completed_at", completed_at)
    started_at = await redis.hget(progress, "started_at")
    observability.CYCLES_COMPLETED.inc()
    if started_at is not None:
        observability.CYCLE_DURATION.observe(max(0.0, completed_at - float(started_at)))
    # Only ever move the marker forward (a late older cycle must not hide a newer one).
    current = await redis.get(keys.last_complete_cycle_key())
    if current is None or int(current) < epoch:
        await redis.set(keys.last_complete_cycle_key(), epoch)
    await redis.publish(keys.cycles_channel(), str(epoch))
    logger.info("cycle complete", extra={"cycle": epoch})
