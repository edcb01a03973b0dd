"""Live reads survive what a pooled Redis connection can go through: a restart, a cancel."""

from __future__ import annotations

import asyncio

import pytest

from app.errors import ServiceUnavailable
from app.live.backends import RedisBackend
from app.redis import create_redis


async def test_reads_after_a_redis_restart_need_no_failed_request(fault_redis):
    redis = create_redis(fault_redis.url)
    backend = RedisBackend(redis)
    try:
        await redis.set("k", b"v")
        assert await backend.mget(["k", "missing"]) == [b"v", None]
        await asyncio.to_thread(fault_redis.restart)  # the pooled connection is now dead
        assert await backend.mget(["k"]) == [None]  # no persistence: the value is gone
        await redis.set("k", b"w")
        assert await backend.mget(["k"]) == [b"w"]
    finally:
        await redis.aclose()


async def test_reads_while_redis_is_down_are_service_unavailable(fault_redis):
    redis = create_redis(fault_redis.url)
    backend = RedisBackend(redis)
    try:
        assert await backend.mget(["k"]) == [None]
        await asyncio.to_thread(fault_redis.stop)
        with pytest.raises(ServiceUnavailable):
            await backend.mget(["k"])
        await asyncio.to_thread(fault_redis.start)
        assert await backend.mget(["k"]) == [None]
    finally:
        await redis.aclose()


async def test_a_cancelled_read_leaves_no_unread_reply_behind(fault_redis, monkeypatch):
    redis = create_redis(fault_redis.url)
    backend = RedisBackend(redis)
    sent = asyncio.Event()
    connection_class = redis.connection_pool.connection_class
    send_command = connection_class.send_command

    async def send_then_tell(self, *args, **kwargs):
        await send_command(self, *args, **kwargs)
        if args and args[0] == "MGET":
            sent.set()

    monkeypatch.setattr(connection_class, "send_command", send_then_tell)
    try:
        await redis.set("a", b"1")
        await redis.set("b", b"2")
        pauser = create_redis(fault_redis.url)
        # Commands held back for 2 s (Redis runs no UNPAUSE meanwhile; below the 5 s socket
        # timeout): far longer than sending the MGET and cancelling it takes.
        await pauser.execute_command("CLIENT", "PAUSE", "2000")
        task = asyncio.create_task(backend.mget(["a"]))
        await sent.wait()  # the MGET is on the wire; its reply cannot have come yet
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await pauser.aclose()
        # Answered once the pause ends. Had the connection gone back to the pool with "1"
        # unread, this would read it.
        assert await backend.mget(["b"]) == [b"2"]
    finally:
        await redis.aclose()
