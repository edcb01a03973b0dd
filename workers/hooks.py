"""Worker observability hooks: JSON logs with job ids, and the worker's own metrics endpoint."""

from __future__ import annotations

import logging
from typing import Any

from app.config import Settings
from app.observability import configure_logging, job_id_var, start_worker_metrics_server

logger = logging.getLogger("hems.worker")

_metrics_port: int | None = None


def start_observability(settings: Settings) -> None:
    """Configure logging and, when WORKER_METRICS_PORT is set, serve /metrics (once a process)."""
    global _metrics_port
    configure_logging(settings)
    if settings.WORKER_METRICS_PORT is not None and _metrics_port is None:
        _metrics_port = start_worker_metrics_server(settings.WORKER_METRICS_PORT)


async def on_job_start(ctx: dict[str, Any]) -> None:
    """Tag every log line of this job with its id (each job runs in its own task)."""
    job_id_var.set(str(ctx.get("job_id")))


async def on_job_end(ctx: dict[str, Any]) -> None:
    job_id_var.set(None)
