"""Liveness and readiness: `/healthz` checks the database and the live store."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from app.state import AppState

router = APIRouter()


async def _database_ok(state: AppState) -> bool:
    try:
        async with asyncio.timeout(2):
            async with state.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        return True
    except Exception:  # any failure means "not ready"; the reason goes to the logs
        return False


async def _live_ok(state: AppState) -> bool:
    try:
        async with asyncio.timeout(2):
            return await state.live.ping()
    except TimeoutError:
        return False


@router.get("/healthz")
async def healthz(request: Request) -> JSONResponse:
    """200 when the database and the live store answer, 503 otherwise (per API.md)."""
    state: AppState = request.app.state.hems
    database, live = await asyncio.gather(_database_ok(state), _live_ok(state))
    ok = database and live
    body = {
        "status": "ok" if ok else "unavailable",
        "database": "ok" if database else "down",
        "live_store": ("redis" if state.redis is not None else "memory") if live else "down",
    }
    return JSONResponse(body, status_code=200 if ok else 503)


@router.get("/livez")
async def livez() -> JSONResponse:
    """The process is up and serving (no dependency checks)."""
    return JSONResponse({"status": "ok"})
