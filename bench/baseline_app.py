"""The bare baseline of the API benchmark: what `energyStats` costs without GraphQL.

A plain FastAPI route that does the same work as the GraphQL field: verify the same HS256
bearer token with python-jose (no cache), GET the same Redis key, decode it and answer the four
figures as JSON (orjson). Served by uvicorn exactly like `hems serve` (uvloop + httptools).

    JWT_SECRET=... REDIS_URL=... uvicorn bench.baseline_app:app --port 8001
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response
from jose import JWTError, jwt
from redis.asyncio import Redis

SECRET = os.environ["JWT_SECRET"]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.redis = Redis.from_url(os.environ["REDIS_URL"])
    yield
    await app.state.redis.aclose()


app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)


@app.get("/energy-stats")
async def energy_stats(request: Request) -> Response:
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    try:
        if scheme.lower() != "bearer":
            raise JWTError("no bearer token")
        claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    except JWTError:
        return Response(b'{"error":"unauthenticated"}', 401, media_type="application/json")
    raw = await request.app.state.redis.get(f"user:{claims['sub']}:energy_stats")
    data = orjson.loads(raw) if raw else {}
    body = {
        "currentProduction": data.get("current_production", 0.0),
        "currentConsumption": data.get("current_consumption", 0.0),
        "storageFlow": data.get("storage_flow", 0.0),
        "netGridFlow": data.get("net_grid_flow", 0.0),
        "timestamp": data.get("timestamp"),
    }
    return Response(orjson.dumps(body), media_type="application/json")
