"""Structured logs: one JSON object per line, carrying the request id or the job id.

Everything logs through the standard library (`logging.getLogger("hems....")`, uvicorn, ARQ);
`configure_logging` installs one handler on the root logger whose formatter renders each record
as JSON (or a readable line in development). The ids come from context variables that the HTTP
middleware (`request_id`) and the worker's job hooks (`job_id`) set, so every line written while
handling a request or a job carries them without being passed around.
"""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import orjson
from prometheus_client import Counter, Gauge, Histogram, start_http_server

from app.config import Settings

request_id_var: ContextVar[str | None] = ContextVar("hems_request_id", default=None)
job_id_var: ContextVar[str | None] = ContextVar("hems_job_id", default=None)

#: Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys() | {"message", "asctime"}
)
#: Never written, whatever a caller passes in `extra=` (defence in depth: none should).
_SECRET_FIELDS = frozenset({"password", "token", "authorization", "jwt", "secret"})
_MARK = "_hems_handler"


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in vars(record).items():
        if key in _STANDARD or key.startswith("_"):
            continue
        out[key] = "[redacted]" if key.lower() in _SECRET_FIELDS else value
    request_id = request_id_var.get()
    if request_id is not None:
        out.setdefault("request_id", request_id)
    job_id = job_id_var.get()
    if job_id is not None:
        out.setdefault("job_id", job_id)
    return out


class JsonFormatter(logging.Formatter):
    """`{"ts", "level", "logger", "event", ...extra, "request_id"/"job_id", "exception"}`."""

    def format(self, record: logging.LogRecord) -> str:
        body: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
            **_fields(record),
        }
        if record.exc_info:
            body["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(body, default=str).decode()


class ConsoleFormatter(logging.Formatter):
    """A readable single line with the same fields, for development."""

    def format(self, record: logging.LogRecord) -> str:
        extra = " ".join(f"{k}={v}" for k, v in _fields(record).items())
        line = f"{record.levelname:<7} {record.name}: {record.getMessage()}"
        line = f"{line}  {extra}" if extra else line
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def configure_logging(settings: Settings) -> None:
    """Route every logger (ours, uvicorn's, ARQ's) to one stderr handler; safe to call twice."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _MARK, False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if settings.log_json else ConsoleFormatter())
    setattr(handler, _MARK, True)
    root.addHandler(handler)
    root.setLevel(settings.LOG_LEVEL.upper())
    # uvicorn and ARQ install their own handlers; let their records reach ours instead.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "arq", "arq.worker", "arq.jobs"):
        other = logging.getLogger(name)
        other.handlers.clear()
        other.propagate = True


# --- Metrics: every process's, declared once (served by app.api.metrics, or by a worker) -----
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# --- API ---------------------------------------------------------------------------------------
GRAPHQL_REQUESTS = Counter(
    "hems_graphql_requests_total",
    "GraphQL operations by operation name and outcome (ok, error, rejected).",
    ["operation", "outcome"],
)
GRAPHQL_LATENCY = Histogram(
    "hems_graphql_request_duration_seconds",
    "Time to parse, validate and execute a GraphQL operation.",
    ["operation"],
    buckets=_LATENCY_BUCKETS,
)
HTTP_REQUESTS = Counter(
    "hems_http_requests_total", "HTTP requests by route and status code.", ["route", "status"]
)
HTTP_REJECTIONS = Counter(
    "hems_http_rejections_total",
    "Requests refused before GraphQL ran (body_too_large, batching, timeout).",
    ["reason"],
)
LOGIN_RATE_LIMITED = Counter(
    "hems_login_rate_limited_total", "Logins refused by the rate limiter.", ["scope"]
)

# --- Fleet (read from Redis when scraped) ------------------------------------------------------
CYCLE_LAG = Gauge(
    "hems_cycle_lag_seconds",
    "Seconds since the instant of the newest complete cycle (alert when > 2 intervals).",
)
LAST_COMPLETE_CYCLE = Gauge(
    "hems_last_complete_cycle_timestamp_seconds", "Instant of the newest complete cycle (epoch)."
)
QUEUE_DEPTH = Gauge("hems_queue_depth", "Jobs waiting in the ARQ queue (add workers if it grows).")
LAST_CYCLE_DURATION = Gauge(
    "hems_last_cycle_duration_seconds", "Orchestration to last batch of the newest complete cycle."
)
LAST_CYCLE_DEVICES = Gauge(
    "hems_last_cycle_devices", "Devices simulated by the newest complete cycle."
)
LAST_CYCLE_FAILED_USERS = Gauge(
    "hems_last_cycle_failed_users", "Homes whose simulation failed in the newest complete cycle."
)
LIVE_STORE_UP = Gauge("hems_live_store_up", "1 when Redis answered the last scrape, else 0.")

# --- Workers (each worker process serves its own on WORKER_METRICS_PORT) -----------------------
_CYCLE_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
WORKER_JOBS = Counter(
    "hems_worker_jobs_total",
    "Jobs run by this worker by function and outcome (ok, retry, error, skipped).",
    ["function", "outcome"],
)
WORKER_JOB_DURATION = Histogram(
    "hems_worker_job_duration_seconds",
    "Run time of each job.",
    ["function"],
    buckets=_CYCLE_BUCKETS,
)
JOB_FAILURES = Counter(
    "hems_job_failures_total",
    "Batch jobs that failed, by kind (transient = retried, error = gave up, homes = some homes).",
    ["function", "kind"],
)
DEVICES_SIMULATED = Counter("hems_devices_simulated_total", "Devices simulated by this worker.")
CYCLES_COMPLETED = Counter(
    "hems_cycles_completed_total", "Cycles whose last batch this worker finished."
)
CYCLE_DURATION = Histogram(
    "hems_cycle_duration_seconds",
    "From a cycle's orchestration to its last batch written.",
    buckets=_CYCLE_BUCKETS,
)


def start_worker_metrics_server(port: int, addr: str = "0.0.0.0") -> int:
    """Serve this process's metrics on `port` (0 picks a free one); returns the bound port."""
    server, _thread = start_http_server(port, addr=addr)
    bound = int(server.server_port)
    logging.getLogger("hems.metrics").info("worker metrics listening", extra={"port": bound})
    return bound
