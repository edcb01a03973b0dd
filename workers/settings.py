"""ARQ worker settings: `arq workers.settings.WorkerSettings` or `hems worker`."""

from __future__ import annotations

from typing import Any

from arq import cron
from arq.connections import RedisSettings
from arq.cron import CronJob

from app.config import Settings, get_settings
from workers.context import shutdown, startup
from workers.hooks import on_job_end, on_job_start, start_observability
from workers.jobs.plan import plan_user_batch, run_planning
from workers.jobs.retention import prune_energy_history
from workers.jobs.simulate import run_energy_simulation, simulate_user_batch


def cron_schedule(interval_s: int) -> dict[str, set[int]]:
    """ARQ cron fields firing every `interval_s`: it must divide a minute or an hour evenly."""
    if interval_s <= 60 and 60 % interval_s == 0:
        return {"second": set(range(0, 60, interval_s))}
    if interval_s % 60 == 0 and 3600 % interval_s == 0:
        return {"minute": set(range(0, 60, interval_s // 60)), "second": {0}}
    raise ValueError(f"SIMULATION_INTERVAL_S={interval_s} must divide 60 or 3600 evenly")


def build_worker_settings(settings: Settings) -> dict[str, Any]:
    """The keyword arguments of arq.Worker for these settings (tests and benchmarks use it)."""
    interval = settings.SIMULATION_INTERVAL_S
    # Jobs finish well inside an interval; a job on a dead worker comes back after this.
    job_timeout = max(10, min(300, interval))

    async def on_startup(ctx: dict[str, Any]) -> None:
        ctx["settings"] = settings
        start_observability(settings)
        await startup(ctx)  # type: ignore[arg-type]

    async def on_shutdown(ctx: dict[str, Any]) -> None:
        await shutdown(ctx)  # type: ignore[arg-type]

    return {
        "functions": [simulate_user_batch, plan_user_batch],
        "cron_jobs": [
            cron(
                run_energy_simulation,  # type: ignore[arg-type]
                name="run_energy_simulation",
                run_at_startup=False,
                unique=True,
                timeout=job_timeout,
                **cron_schedule(interval),  # type: ignore[arg-type]
            ),
            # Every interval: re-plans only the homes whose inputs changed or whose plan is an
            # hour old (app.planning.run), so changes are planned within one interval.
            cron(
                run_planning,  # type: ignore[arg-type]
                name="run_planning",
                run_at_startup=False,
                unique=True,
                timeout=job_timeout,
                **cron_schedule(interval),  # type: ignore[arg-type]
            ),
            # Hourly, off the minute boundary so it never competes with a cycle's start.
            cron(
                prune_energy_history,  # type: ignore[arg-type]
                name="prune_energy_history",
                minute={17},
                second={30},
                unique=True,
                timeout=600,
            ),
        ],
        "on_startup": on_startup,
        "on_shutdown": on_shutdown,
        "on_job_start": on_job_start,
        "on_job_end": on_job_end,
        "redis_settings": RedisSettings.from_dsn(settings.REDIS_URL or "redis://localhost:6379"),
        "job_timeout": job_timeout,
        "max_tries": 5,
        "keep_result": 60,
        "max_jobs": 4,
        "poll_delay": 0.05,
    }


class WorkerSettings:
    """Class form that `arq` and `hems worker` expect."""

    _s = get_settings()
    _kw = build_worker_settings(_s)
    functions = _kw["functions"]
    cron_jobs: list[CronJob] = _kw["cron_jobs"]
    on_startup = _kw["on_startup"]
    on_shutdown = _kw["on_shutdown"]
    on_job_start = _kw["on_job_start"]
    on_job_end = _kw["on_job_end"]
    redis_settings = _kw["redis_settings"]
    job_timeout = _kw["job_timeout"]
    max_tries = _kw["max_tries"]
    keep_result = _kw["keep_result"]
    max_jobs = _kw["max_jobs"]
    poll_delay = _kw["poll_delay"]
