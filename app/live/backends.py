"""Key-value backends of the live store: Redis, and an in-process twin for the embedded default.

Both speak the same four operations, so everything above them (the cycle, the API) runs one
code path whichever is configured.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, RedisError, ResponseError

from app.errors import ServiceUnavailable
from app.live import keys as live_keys

if TYPE_CHECKING:
    from redis.asyncio import Redis

#: SET ... EX for many keys in one script call: ~3x the throughput of a client-side pipeline of
#: SETs (see docs/performance.md), and still one atomic call per chunk. The calls of one write are
#: sent together (one round trip), encoded here rather than by redis-py's generic command packer,
#: which checked and re-encoded every argument and cost more than building the values.
#: KEYS[1] is the device-deletion counter: with a mark (ARGV[2]), a chunk is written only while
#: no device was deleted since the mark was read (else -1, nothing written), so a deletion that
#: forgot its keys is never undone by a write computed before it.
_SET_MANY_EX = """
local ttl = ARGV[1]
local mark = ARGV[2]
if mark ~= '' and (redis.call('GET', KEYS[1]) or '0') ~= mark then
  return -1
end
for i = 2, #KEYS do
  redis.call('SET', KEYS[i], ARGV[i + 1], 'EX', ttl)
end
return #KEYS - 1
"""
#: Forget a device: count the deletion, remember which device it was (the newest
#: DELETIONS_KEPT only), and delete its keys, all at once.
_FORGET_DEVICE = """
local n = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], n, ARGV[1])
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[2]) + 1))
for i = 3, #KEYS do
  redis.call('DEL', KEYS[i])
end
return n
"""
_CHUNK = 2000
#: Deleted device ids kept for writes in flight; a write whose mark is older than all of them
#: cannot tell which devices went, and drops everything it had left to write.
DELETIONS_KEPT = 10_000

Items = Sequence[tuple[str, bytes]]


class LiveBackend(Protocol):
    async def mget(self, keys: Sequence[str]) -> list[bytes | None]: ...

    async def set_many(self, items: Items, ttl_s: int, mark: int | None = None) -> list[Items]:
        """Write `items`; with a deletion mark, only while no device was deleted since it.

        Returns the parts left unwritten because a deletion came after `mark` (none without one).
        """
        ...

    async def deletion_mark(self) -> int:
        """The number of device deletions so far: read before loading what a write is built from."""
        ...

    async def deletions_since(self, mark: int) -> tuple[int, list[str] | None]:
        """The current mark and the device ids deleted after `mark` (None: too old to know)."""
        ...

    async def forget_device(self, device_id: str, keys: Sequence[str]) -> None:
        """Record the deletion of `device_id` and delete its keys, atomically."""
        ...

    async def delete(self, keys: Sequence[str]) -> None: ...
    async def ping(self) -> bool: ...


class RedisBackend:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._script = redis.register_script(_SET_MANY_EX)
        self._forget = redis.register_script(_FORGET_DEVICE)

    async def mget(self, keys: Sequence[str]) -> list[bytes | None]:
        if not keys:
            return []
        try:
            try:
                return await self._mget(keys)
            except RedisConnectionError:
                # A pooled connection that Redis closed meanwhile (a restart): MGET is
                # idempotent, so once more on a fresh connection, as the pool would have made.
                return await self._mget(keys)
        except (RedisError, OSError) as exc:
            raise ServiceUnavailable("live data store is unavailable, retry shortly") from exc

    async def _mget(self, keys: Sequence[str]) -> list[bytes | None]:
        """One MGET on a pooled connection, without redis-py's generic command path.

        Every API request reads Redis once; `Redis.mget` spent more CPU on its wrappers (a
        deprecation-checking decorator and lock around the pool checkout, a probing read with
        a zero timeout to see whether the connection is still clean, the retry wrapper, the
        response-callback lookup) than on the command. Here the connection is taken and given
        back without awaiting in between; a connection whose reply was not read in full
        (error, timeout, cancellation) is disconnected, so a pooled one is always clean; a
        dead one fails on use (a ConnectionError) and `mget` retries once.
        """
        pool = self.redis.connection_pool
        conn = pool.get_available_connection()  # type: ignore[no-untyped-call]
        try:
            await conn.send_command("MGET", *keys)
            reply: list[bytes | None] = await conn.read_response()
        except BaseException:
            await conn.disconnect()
            raise
        finally:
            await pool.release(conn)
        return reply

    async def set_many(self, items: Items, ttl_s: int, mark: int | None = None) -> list[Items]:
        if not items:
            return []
        sha = self._script.sha.encode()
        ttl = str(int(ttl_s)).encode()
        guard = b"" if mark is None else str(mark).encode()
        counter = live_keys.device_deletions_count_key().encode()
        chunks = [items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK)]
        payload = b"".join(_evalsha(sha, counter, chunk, ttl, guard) for chunk in chunks)
        replies = await self._send(payload, len(chunks))
        if any(isinstance(r, NoScriptError) for r in replies):
            # Script cache flushed (e.g. Redis restarted): load it and write again; every
            # SET is idempotent, so the chunks that did succeed are only rewritten.
            await self.redis.script_load(_SET_MANY_EX)
            replies = await self._send(payload, len(chunks))
        for reply in replies:
            if isinstance(reply, ResponseError):
                raise reply
        return [chunk for chunk, reply in zip(chunks, replies, strict=True) if reply == -1]

    async def deletion_mark(self) -> int:
        return int(await self.redis.get(live_keys.device_deletions_count_key()) or 0)

    async def deletions_since(self, mark: int) -> tuple[int, list[str] | None]:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.get(live_keys.device_deletions_count_key())
            pipe.zrangebyscore(live_keys.device_deletions_key(), f"({mark}", "+inf")
            raw_count, members = await pipe.execute()
        count = int(raw_count or 0)
        deleted = [m.decode() if isinstance(m, bytes) else str(m) for m in members]
        return count, (deleted if len(deleted) == count - mark else None)

    async def forget_device(self, device_id: str, keys: Sequence[str]) -> None:
        await self._forget(
            keys=[live_keys.device_deletions_count_key(), live_keys.device_deletions_key(), *keys],
            args=[device_id, DELETIONS_KEPT],
        )

    async def _send(self, payload: bytes, count: int) -> list[object]:
        """Send pre-encoded commands on one pooled connection; their replies (errors included)."""
        pool = self.redis.connection_pool
        conn = await pool.get_connection()
        try:
            await conn.send_packed_command(payload)
            replies: list[object] = []
            for _ in range(count):
                try:
                    replies.append(await conn.read_response())
                except ResponseError as exc:
                    replies.append(exc)
            return replies
        except BaseException:
            # Unread replies (cancelled, timed out, connection lost): never reuse the connection.
            await conn.disconnect()
            raise
        finally:
            await pool.release(conn)

    async def delete(self, keys: Sequence[str]) -> None:
        if keys:
            await self.redis.delete(*keys)

    async def ping(self) -> bool:
        try:
            return bool(await self.redis.ping())
        except (RedisError, OSError):
            return False


def _evalsha(sha: bytes, counter: bytes, chunk: Items, ttl: bytes, mark: bytes) -> bytes:
    """RESP of `EVALSHA sha n counter key... ttl mark value...` (what redis-py would send)."""
    n = len(chunk)
    count = str(n + 1).encode()
    parts = [
        b"*%d\r\n$7\r\nEVALSHA\r\n$%d\r\n%b\r\n$%d\r\n%b\r\n$%d\r\n%b\r\n"
        % (3 + 2 * n + 3, len(sha), sha, len(count), count, len(counter), counter)
    ]
    for key, _ in chunk:
        k = key.encode()
        parts.append(b"$%d\r\n%b\r\n" % (len(k), k))
    parts.append(b"$%d\r\n%b\r\n$%d\r\n%b\r\n" % (len(ttl), ttl, len(mark), mark))
    for _, value in chunk:
        parts.append(b"$%d\r\n%b\r\n" % (len(value), value))
    return b"".join(parts)


class MemoryBackend:
    """Process-local dict with per-key expiry; the embedded default's stand-in for Redis."""

    def __init__(self) -> None:
        self._data: dict[str, tuple[bytes, float]] = {}
        self._lock = asyncio.Lock()
        self._deletions = 0
        self._deleted: dict[int, str] = {}

    def _now(self) -> float:
        return time.monotonic()

    async def mget(self, keys: Sequence[str]) -> list[bytes | None]:
        now = self._now()
        out: list[bytes | None] = []
        for key in keys:
            hit = self._data.get(key)
            out.append(hit[0] if hit is not None and hit[1] > now else None)
        return out

    async def set_many(self, items: Items, ttl_s: int, mark: int | None = None) -> list[Items]:
        expires = self._now() + ttl_s
        async with self._lock:
            if mark is not None and mark != self._deletions:
                return [items] if items else []
            for key, value in items:
                self._data[key] = (value, expires)
            self._evict_expired()
        return []

    async def deletion_mark(self) -> int:
        return self._deletions

    async def deletions_since(self, mark: int) -> tuple[int, list[str] | None]:
        count = self._deletions
        deleted = [self._deleted[n] for n in range(mark + 1, count + 1) if n in self._deleted]
        return count, (deleted if len(deleted) == count - mark else None)

    async def forget_device(self, device_id: str, keys: Sequence[str]) -> None:
        # No await in between: atomic with respect to every other task of the process.
        self._deletions += 1
        self._deleted[self._deletions] = device_id
        self._deleted.pop(self._deletions - DELETIONS_KEPT, None)
        for key in keys:
            self._data.pop(key, None)

    async def delete(self, keys: Sequence[str]) -> None:
        for key in keys:
            self._data.pop(key, None)

    async def ping(self) -> bool:
        return True

    def _evict_expired(self) -> None:
        now = self._now()
        for key in [k for k, (_, exp) in self._data.items() if exp <= now]:
            del self._data[key]
