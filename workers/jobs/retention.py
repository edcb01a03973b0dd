"""Energy history retention as an ARQ cron job (the embedded default runs the same pruning)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from app.pipeline.history import prune_history
from workers.context import WorkerContext

logger = logging.getLogger("hems.worker")


async def prune_energy_history(ctx: WorkerContext) -> dict[str, Any]:
    """The history maintenance (hourly): create the day partitions ahead, drop the expired ones;
    per-interval history older than HISTORY_MINUTE_RETENTION_DAYS, device minute rows older than
    HISTORY_DEVICE_MINUTE_RETENTION_DAYS when set, device quarter hours older than
    HISTORY_DEVICE_RETENTION_DAYS (rollups are kept)."""
    settings = ctx["settings"]
    days = settings.HISTORY_MINUTE_RETENTION_DAYS
    device_days = settings.HISTORY_DEVICE_MINUTE_RETENTION_DAYS
    quarter_days = settings.HISTORY_DEVICE_RETENTION_DAYS
    deleted = await prune_history(
        ctx["sessionmaker"],
        now=datetime.now(UTC),
        retention_days=days,
        device_retention_days=device_days,
        quarter_retention_days=quarter_days,
    )
    logger.info(
        "pruned energy history",
        extra={"rows": deleted, "retention_days": days, "device_retention_days": device_days},
    )
    return {"deleted": deleted}
