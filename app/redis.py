"""Redis client construction (asyncio, hiredis parser when installed)."""

from __future__ import annotations

from redis.asyncio import Redis


def create_redis(url: str) -> Redis:
    # Bounded timeouts: a dead Redis must fail a request quickly, not hang it.
    client: Redis = Redis.from_url(
        url,
        socket_timeout=5,
        socket_connect_timeout=2,
        health_check_interval=30,
        retry_on_timeout=False,
    )
    return client
