"""Prometheus metrics: the API's own, the fleet's (read from Redis at scrape), the workers'.

The API serves `/metrics` from the default registry. Fleet-wide figures (cycle lag, queue depth,
the last complete cycle's duration and size) live in Redis, written by whichever worker finished
the cycle, so any API process reports the same values. Each worker also counts what it did itself
(jobs, failures, devices simulated, cycle durations). Every metric is declared in
`app.observability`, which workers and services import without the API; this module
serves them (GraphQL operations are counted by app/graphql/metrics.py).
"""

from __future__ import annotations

import hmac
import logging
import time
from typing import Any

from arq.constants import default_queue_name
from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from redis.exceptions import RedisError

from app.live import keys
from app.observability import (
    CYCLE_LAG,
    LAST_COMPLETE_CYCLE,
    LAST_CYCLE_DEVICES,
    LAST_CYCLE_DURATION,
    LAST_CYCLE_FAILED_USERS,
    LIVE_STORE_UP,
    QUEUE_DEPTH,
)

logger = logging.getLogger("hems.metrics")


async def refresh_fleet_gauges(redis: Any, *, now: float | None = None) -> None:
    """Read the fleet figures from Redis into the gauges (called at each scrape)."""
    now = time.time() if now is None else now
    try:
        last, depth = (
            await redis.get(keys.last_complete_cycle_key()),
            await redis.zcard(default_queue_name),
        )
        progress = await redis.hgetall(keys.cycle_progress_key(int(last))) if last else {}
    except (RedisError, OSError):
        LIVE_STORE_UP.set(0)
        return
    LIVE_STORE_UP.set(1)
    QUEUE_DEPTH.set(int(depth))
    if last is None:
        return
    LAST_COMPLETE_CYCLE.set(int(last))
    CYCLE_LAG.set(max(0.0, now - int(last)))
    started, completed = progress.get(b"started_at"), progress.get(b"completed_at")
    if started is not None and completed is not None:
        LAST_CYCLE_DURATION.set(max(0.0, float(completed) - float(started)))
    if progress.get(b"devices") is not None:
        LAST_CYCLE_DEVICES.set(int(progress[b"devices"]))
    LAST_CYCLE_FAILED_USERS.set(int(progress.get(b"failed_users", 0)))


router = APIRouter()


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Prometheus text format; fleet gauges are refreshed from Redis first (when configured).

    With METRICS_TOKEN set, only a scraper presenting it as a bearer token gets an answer.
    """
    token = request.app.state.hems.settings.METRICS_TOKEN
    if token is not None and not hmac.compare_digest(
        request.headers.get("authorization", "").encode(), f"Bearer {token}".encode()
    ):
        return Response(
            "metrics need the METRICS_TOKEN bearer token\n",
            status_code=401,
            media_type="text/plain",
            headers={"www-authenticate": 'Bearer realm="metrics"'},
        )
    redis = getattr(request.app.state.hems, "redis", None)
    if redis is not None:
        await refresh_fleet_gauges(redis)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
