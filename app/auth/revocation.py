"""Which access tokens have been revoked, known to every API process without a per-request lookup.

Each user row has a token generation, carried in its access tokens (`gen`). Changing the password,
`logout(everywhere: true)` and deleting the account bump it; tokens of an older generation are
then refused. A process keeps, in memory, the newest generation of every user bumped within the
access-token lifetime (older bumps cannot concern a token that is still unexpired), so checking a
token is one dict lookup next to the verified-token cache.

How processes learn of bumps:
- the process that bumps applies it at once (the embedded default needs nothing more);
- with Redis, it also PUBLISHes `{"user", "gen", "at"}` on `keys.token_revocations_channel()`;
  every API process holds one subscription (`listen`) and applies it on receipt, well within a
  second;
- `token_revocation` rows (written in the bump's transaction) are loaded at start and again on
  every (re)subscription, so a process that started later, or missed messages while Redis was
  away, catches up.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from datetime import UTC, datetime, timedelta

import orjson
from redis.asyncio import ConnectionPool, Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth.jwt import TokenClaims
from app.live import keys

logger = logging.getLogger("hems.auth.revocation")

#: Seconds between reconnection attempts of the subscription after Redis failed.
RECONNECT_S = 1.0


class Revocations:
    """user id -> (newest revoked generation, when): tokens below that generation are refused."""

    def __init__(self, lifetime_s: int) -> None:
        self.lifetime_s = lifetime_s
        self._min: dict[uuid.UUID, tuple[int, float]] = {}

    def is_revoked(self, claims: TokenClaims) -> bool:
        entry = self._min.get(claims.user_id)
        return entry is not None and claims.generation < entry[0]

    def apply(self, user_id: uuid.UUID, generation: int, at: float) -> None:
        entry = self._min.get(user_id)
        if entry is None or generation > entry[0]:
            self._min[user_id] = (generation, at)
        self._prune()

    def _prune(self) -> None:
        horizon = time.time() - self.lifetime_s
        if len(self._min) > 1000:
            self._min = {u: e for u, e in self._min.items() if e[1] >= horizon}

    def __len__(self) -> int:
        return len(self._min)

    async def load(self, sessionmaker: async_sessionmaker[AsyncSession]) -> int:
        """Apply every bump recorded within the token lifetime; how many there were."""
        from app import models

        since = datetime.now(UTC) - timedelta(seconds=self.lifetime_s)
        stmt = select(
            models.TokenRevocation.user_id,
            models.TokenRevocation.generation,
            models.TokenRevocation.revoked_at,
        ).where(models.TokenRevocation.revoked_at >= since)
        async with sessionmaker() as session:
            rows = (await session.execute(stmt)).all()
        for user_id, generation, revoked_at in rows:
            self.apply(user_id, generation, revoked_at.timestamp())
        return len(rows)


def encode(user_id: uuid.UUID, generation: int, at: float) -> bytes:
    return orjson.dumps({"user": str(user_id), "gen": generation, "at": at})


def decode(raw: bytes | str) -> tuple[uuid.UUID, int, float] | None:
    try:
        data = orjson.loads(raw)
        return uuid.UUID(str(data["user"])), int(data["gen"]), float(data["at"])
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None


async def publish(redis: Redis | None, user_id: uuid.UUID, generation: int, at: float) -> None:
    """Tell the other API processes (best effort: they also reload on resubscription)."""
    if redis is None:
        return
    try:
        await redis.publish(keys.token_revocations_channel(), encode(user_id, generation, at))
    except Exception:  # noqa: BLE001 - the bump is committed; reload on reconnect catches up
        logger.warning("could not publish a token revocation", exc_info=True)


async def _load_uninterrupted(
    revocations: Revocations, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """Load, letting the query finish even when cancelled (shutdown): a connection cancelled
    mid-query would stay checked out, holding its lock, after the engine is disposed."""
    task = asyncio.ensure_future(revocations.load(sessionmaker))
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.wait([task])
        raise


async def listen(
    revocations: Revocations,
    sessionmaker: async_sessionmaker[AsyncSession],
    redis: Redis | None,
    ready: asyncio.Event | None = None,
) -> None:
    """Keep `revocations` current: load, then (with Redis) follow the channel, forever."""
    while True:
        try:
            if redis is None:
                await _load_uninterrupted(revocations, sessionmaker)
                if ready is not None:
                    ready.set()
                return
            # A connection of its own without a read timeout: it waits for messages, and a
            # cancellation (shutdown) ends the wait at once (a polling get_message(timeout)
            # can swallow it).
            kwargs = {**redis.connection_pool.connection_kwargs, "socket_timeout": None}
            listener = Redis(connection_pool=ConnectionPool(**kwargs))
            try:
                async with listener.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(keys.token_revocations_channel())
                    # Subscribed first, then loaded: no bump falls between the two.
                    await _load_uninterrupted(revocations, sessionmaker)
                    if ready is not None:
                        ready.set()
                    async for message in pubsub.listen():
                        if message.get("type") != "message":
                            continue
                        parsed = decode(message["data"])
                        if parsed is not None:
                            revocations.apply(*parsed)
            finally:
                await listener.aclose()
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - Redis or the database away: retry
            logger.warning("token revocation feed interrupted, retrying", exc_info=True)
        await asyncio.sleep(RECONNECT_S)
