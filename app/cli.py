"""`hems` command line: serve, worker, migrate, demo, backfill, export-schema."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer

from app.config import get_settings

cli = typer.Typer(add_completion=False, no_args_is_help=True, help="HEMS: home energy management")


@cli.command()
def serve(
    host: str | None = typer.Option(None, help="Bind address (default: HOST setting)"),
    port: int | None = typer.Option(None, help="Port (default: PORT setting)"),
    workers: int = typer.Option(1, help="uvicorn worker processes (needs REDIS_URL when > 1)"),
) -> None:
    """Run the API. Without DATABASE_URL/REDIS_URL the whole system runs in this process."""
    import uvicorn

    settings = get_settings()
    if workers > 1 and settings.is_embedded():
        raise typer.BadParameter(
            "several API processes need a shared REDIS_URL", param_hint="--workers"
        )
    from app.observability import configure_logging

    # One log format from the first line on: uvicorn's own config would print plain text
    # until the app's lifespan switched to JSON.
    configure_logging(settings)
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        log_config=None,
        host=host or settings.HOST,
        port=port or settings.PORT,
        workers=workers,
        log_level=settings.LOG_LEVEL.lower(),
        proxy_headers=True,
        # Websocket frames are held to the HTTP body limit (uvicorn's default is 16 MiB).
        ws_max_size=settings.MAX_BODY_BYTES,
        access_log=not settings.is_production(),
    )


@cli.command()
def worker(burst: bool = typer.Option(False, help="Exit once the queue is empty")) -> None:
    """Run one ARQ worker (cron orchestrator + batch jobs); start as many as needed."""
    import logging
    import time

    from arq.worker import run_worker
    from redis.exceptions import RedisError

    from app.heap import freeze_startup_heap
    from workers.settings import WorkerSettings

    settings = get_settings()
    if settings.REDIS_URL is None:
        raise typer.BadParameter("workers need REDIS_URL (the embedded default needs none)")
    freeze_startup_heap()
    log = logging.getLogger("hems.worker")
    # ARQ's poll loop ends the worker when Redis goes away; keep the process and reconnect,
    # so a Redis restart needs no supervisor. Jobs are idempotent, so a re-run is harmless.
    while True:
        try:
            run_worker(WorkerSettings, burst=burst)  # type: ignore[arg-type]
            return
        except (RedisError, OSError) as exc:  # lost connection, or a transaction it aborted
            log.warning("lost Redis, reconnecting in 2 s", exc_info=exc)
            time.sleep(2)


@cli.command()
def migrate() -> None:
    """Apply every migration (alembic upgrade head) to DATABASE_URL."""
    from app.migrate import upgrade_head

    upgrade_head(get_settings().database_url)
    typer.echo("database is at the newest schema")


@cli.command("simulate-once")
def simulate_once(
    at: str | None = typer.Option(None, help="Cycle instant (ISO 8601, UTC); default: now"),
) -> None:
    """Run one full cycle now, in this process, against DATABASE_URL and REDIS_URL."""
    import orjson

    from app.cycle_once import run_once

    report = asyncio.run(run_once(get_settings(), at))
    typer.echo(orjson.dumps(report).decode())


@cli.command()
def backfill(
    days: float = typer.Option(..., min=0, help="How many past days to simulate (fractions ok)"),
    user: str | None = typer.Option(None, help="Only this username (default: every user)"),
) -> None:
    """Simulate the past DAYS cycle by cycle so history exists at once (run before workers)."""
    from app.backfill import run_backfill

    def progress(done: int, total: int) -> None:
        if done == total or done % 1000 == 0:
            typer.echo(f"{done}/{total} cycles", err=True)

    try:
        report = asyncio.run(
            run_backfill(get_settings(), days=days, username=user, progress=progress)
        )
    except LookupError as exc:
        raise typer.BadParameter(str(exc), param_hint="--user") from None
    typer.echo(
        f"backfilled {report.cycles} cycles for {report.users} users"
        f" ({report.failed_users} failed user-cycles)"
    )


@cli.command("export-schema")
def export_schema(path: Path = typer.Argument(Path("schema.graphql"))) -> None:
    """Write the served GraphQL schema (SDL) to a file."""
    from app.graphql.schema import schema

    path.write_text(schema.as_str() + "\n")
    typer.echo(f"wrote {path}")


@cli.command()
def demo(
    username: str = typer.Option("demo", help="Demo account name"),
    password: str = typer.Option("demo-password", help="Demo account password"),
) -> None:
    """Create a demo user with one device of every kind, and print how to log in."""
    from app.demo import create_demo

    asyncio.run(create_demo(get_settings(), username=username, password=password))


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
