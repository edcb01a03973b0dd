"""Worker resources, created once per worker process at startup."""

from __future__ import annotations

from typing import Any, TypedDict

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.config import Settings, get_settings
from app.db import create_engine, create_sessionmaker
from app.live.backends import RedisBackend
from app.live.store import LiveStore
from app.redis import create_redis


class WorkerContext(TypedDict, total=False):
    # Provided by ARQ.
    redis: Any
    job_id: str
    job_try: int
    # Ours.
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    live: LiveStore


async def startup(ctx: WorkerContext) -> None:
    settings = ctx.get("settings") or get_settings()
    if settings.REDIS_URL is None:
        raise RuntimeError("workers need REDIS_URL")
    engine = create_engine(settings.database_url, application_name="hems-worker")
    ctx["settings"] = settings
    ctx["engine"] = engine
    ctx["sessionmaker"] = create_sessionmaker(engine)
    ctx["live"] = LiveStore(
        RedisBackend(create_redis(settings.REDIS_URL)), ttl_s=settings.live_ttl_s
    )


async def shutdown(ctx: WorkerContext) -> None:
    live = ctx.get("live")
    if live is not None and isinstance(live.backend, RedisBackend):
        await live.backend.redis.aclose()
    engine = ctx.get("engine")
    if engine is not None:
        await engine.dispose()
