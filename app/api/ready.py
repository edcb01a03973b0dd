"""Readiness (`/readyz`): may this process take traffic? `/healthz` (API.md) stays as it is.

`/livez` says the process runs (restart it if not); `/healthz` says the database and the live
store answer (the contract's health check); `/readyz` adds that the database schema is at the
migration head this code expects, so a rollout whose `hems migrate` has not run yet, or a replica
pointed at the wrong database, receives no traffic. All three answer within a few seconds.
"""

from __future__ import annotations

import asyncio
import functools

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from app.state import AppState

router = APIRouter()


@functools.cache
def expected_heads() -> frozenset[str]:
    """The migration heads of this code (read once from the migrations folder)."""
    from alembic.script import ScriptDirectory

    from app.migrate import alembic_config

    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


async def _schema_state(state: AppState) -> str:
    try:
        heads = await asyncio.to_thread(expected_heads)
        async with asyncio.timeout(2), state.engine.connect() as conn:
            rows = await conn.execute(text("SELECT version_num FROM alembic_version"))
            current = frozenset(r[0] for r in rows)
    except Exception:  # any failure means "not ready"; /healthz tells which service is down
        return "down"
    return "ok" if current == heads else "outdated"


async def _live_state(state: AppState) -> str:
    try:
        async with asyncio.timeout(2):
            return "ok" if await state.live.ping() else "down"
    except TimeoutError:
        return "down"


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """200 when the database answers at the expected schema and the live store answers."""
    state: AppState = request.app.state.hems
    database, live = await asyncio.gather(_schema_state(state), _live_state(state))
    ready = database == "ok" and live == "ok"
    body = {"status": "ready" if ready else "not ready", "database": database, "live_store": live}
    return JSONResponse(body, status_code=200 if ready else 503)
