"""Apps with non-default settings on the session's PostgreSQL and Redis."""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest

from app.main import build_state, close_state, create_app
from app.observability import JsonFormatter
from tests.fixtures.app import Api, make_settings


@pytest.fixture
def make_api(
    database_url: str, redis_url: str, db_engine: Any, redis: Any
) -> Callable[..., contextlib.AbstractAsyncContextManager[Api]]:
    """`async with make_api(SETTING=value, client=("10.0.0.1", 1234)) as api:` on real stores."""

    @contextlib.asynccontextmanager
    async def factory(
        client: tuple[str, int] = ("127.0.0.1", 123), **overrides: Any
    ) -> AsyncIterator[Api]:
        overrides.setdefault("DATABASE_URL", database_url)
        overrides.setdefault("REDIS_URL", redis_url)
        state = await build_state(make_settings(**overrides))
        app = create_app(state=state)
        transport = httpx.ASGITransport(app=app, client=client)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://hems.test") as c:
                yield Api(client=c, app=app, state=state)
        finally:
            await close_state(state)

    return factory


@pytest.fixture
async def arq_pool(redis_url: str, redis: Any) -> AsyncIterator[Any]:
    from arq import create_pool
    from arq.connections import RedisSettings

    pool = await create_pool(RedisSettings.from_dsn(redis_url))
    yield pool
    await pool.aclose()


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """Everything logged (DEBUG and up) while the test runs, as the JSON lines ops would see."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def error_code(body: dict[str, Any]) -> str:
    (error,) = body["errors"]
    code: str = error["extensions"]["code"]
    return code
