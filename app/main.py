"""The FastAPI application: GraphQL at /graphql (app/graphql/asgi.py), health at /healthz,
the dashboard at / with its files under /static (app/api/pages.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.routing import Route, WebSocketRoute

from app.api.health import router as health_router
from app.api.metrics import router as metrics_router
from app.api.pages import page_routes
from app.api.ready import router as ready_router
from app.auth import revocation
from app.auth.principal import TokenVerifier
from app.auth.revocation import Revocations
from app.config import Settings, get_settings
from app.db import create_engine, create_sessionmaker, is_sqlite
from app.graphql.asgi import HemsGraphQL
from app.graphql.schema import build_schema
from app.heap import freeze_startup_heap
from app.live.backends import MemoryBackend, RedisBackend
from app.live.pubsub import close_hub
from app.live.store import LiveStore
from app.migrate import upgrade_head
from app.observability import configure_logging
from app.redis import create_redis
from app.security.middleware import install_middleware
from app.state import AppState

logger = logging.getLogger("hems.api")


def start_embedded_retention(state: AppState) -> None:
    """Embedded default: prune old per-interval history in this process (ARQ cron otherwise)."""
    from app.pipeline.history import retention_loop

    settings = state.settings
    task = retention_loop(
        state.sessionmaker,
        settings.HISTORY_MINUTE_RETENTION_DAYS,
        settings.HISTORY_DEVICE_MINUTE_RETENTION_DAYS,
        settings.HISTORY_DEVICE_RETENTION_DAYS,
    )
    state.background.append(asyncio.create_task(task, name="hems-history-retention"))


async def build_state(settings: Settings) -> AppState:
    """Create every connection the API holds; the embedded default migrates its SQLite file."""
    url = settings.database_url
    if is_sqlite(url) and not settings.is_testing():
        await asyncio.to_thread(upgrade_head, url)
    engine = create_engine(url, application_name="hems-api")
    redis = create_redis(settings.REDIS_URL) if settings.REDIS_URL else None
    backend = RedisBackend(redis) if redis is not None else MemoryBackend()
    revocations = Revocations(settings.JWT_LIFETIME_S)
    state = AppState(
        settings=settings,
        engine=engine,
        sessionmaker=create_sessionmaker(engine),
        live=LiveStore(backend, ttl_s=settings.live_ttl_s),
        verifier=TokenVerifier(settings.JWT_SECRET, revocations=revocations),
        redis=redis,
    )
    # Revoked token generations: loaded from the database, then followed on Redis.
    state.revocations_ready = asyncio.Event()
    state.background.append(
        asyncio.create_task(
            revocation.listen(revocations, state.sessionmaker, redis, state.revocations_ready),
            name="hems-token-revocations",
        )
    )
    return state


async def close_state(state: AppState) -> None:
    for task in state.background:
        task.cancel()
    # Shutting down: a background task's own failure has nothing left to report to.
    await asyncio.gather(*state.background, return_exceptions=True)
    if state.redis is not None:
        await state.redis.aclose()
    await state.engine.dispose()


def create_app(settings: Settings | None = None, *, state: AppState | None = None) -> FastAPI:
    """Build the app; pass `state` to reuse existing connections (tests, benchmarks)."""
    settings = settings or (state.settings if state else get_settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = state is None
        if own:
            configure_logging(settings)
        app.state.hems = state or await build_state(settings)
        if own and settings.is_embedded():
            from app.embedded import start_embedded_simulation

            start_embedded_simulation(app.state.hems)
            start_embedded_retention(app.state.hems)
        if own:
            freeze_startup_heap()
        try:
            yield
        finally:
            # The process's one live-notification subscription (started by the first subscriber).
            await close_hub(app.state.hems.live)
            if own:
                await close_state(app.state.hems)

    app = FastAPI(title="HEMS", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None)
    if state is not None:
        app.state.hems = state

    schema = build_schema(introspection=settings.introspection_enabled)
    graphql_app = HemsGraphQL(
        schema,
        graphql_ide="graphiql" if settings.graphiql_enabled else None,
        max_subscriptions_per_connection=settings.WS_MAX_SUBSCRIPTIONS_PER_CONNECTION,
        keep_alive=True,
        keep_alive_interval=settings.WS_KEEPALIVE_S,
    )
    graphql_app.max_connections_per_user = settings.WS_MAX_CONNECTIONS_PER_USER
    app.router.routes.append(Route("/graphql", graphql_app, methods=["GET", "POST"]))
    app.router.routes.append(WebSocketRoute("/graphql", graphql_app))
    app.include_router(health_router)
    app.include_router(ready_router)
    app.include_router(metrics_router)
    app.router.routes.extend(page_routes())
    install_middleware(app, settings)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["authorization", "content-type"],
        )
    return app
