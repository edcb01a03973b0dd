"""Real API processes (uvicorn) on the test PostgreSQL and Redis, for websocket tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest

from app.live.backends import RedisBackend
from app.live.store import LiveStore
from app.pipeline.cycle import cycle_instant
from tests.fixtures.app import make_settings
from tests.servers import free_port


@dataclass
class ApiProcess:
    process: subprocess.Popen[bytes]
    port: int

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/graphql"


def start_api(database_url: str, redis_url: str, **env: str) -> ApiProcess:
    port = free_port()
    environment = {
        **os.environ,
        "HEMS_ENV": "test",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "LOG_LEVEL": "WARNING",
        **env,
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(process.stderr.read().decode() if process.stderr else "exited")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return ApiProcess(process, port)
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError("API process did not start")


def stop_api(api: ApiProcess) -> None:
    api.process.terminate()
    try:
        api.process.wait(10)
    except subprocess.TimeoutExpired:
        api.process.kill()
        api.process.wait()


@pytest.fixture(scope="session")
def api_processes(database_url: str, redis_url: str) -> Iterator[list[ApiProcess]]:
    """Two API processes sharing the test PostgreSQL and Redis."""
    started: list[ApiProcess] = []
    try:
        for _ in range(2):
            started.append(start_api(database_url, redis_url, WS_MAX_CONNECTIONS_PER_USER="3"))
        yield started
    finally:
        for api in started:
            stop_api(api)


@pytest.fixture
def ctx(database_url, redis_url, sessionmaker, redis):
    """What a worker job gets: settings, the sessionmaker and the live store on Redis."""
    settings = make_settings(DATABASE_URL=database_url, REDIS_URL=redis_url)
    return {
        "settings": settings,
        "sessionmaker": sessionmaker,
        "live": LiveStore(RedisBackend(redis), ttl_s=settings.live_ttl_s),
        "redis": redis,
    }


@pytest.fixture
def first_cycle() -> datetime:
    """The current cycle instant (a 60 s interval)."""
    return cycle_instant(datetime.now(UTC), 60)
