"""Cycle notifications: batches publish which users they wrote; API processes fan them out.

Publish side (`publish_batch`): after a batch has written its readings, one message per batch
on `keys.readings_channel()` lists the batch's users and the cycle (`{"cycle": epoch_s,
"users": [...]}`): one PUBLISH per batch, not one per user.

Subscribe side (`LiveHub`): each API process holds ONE Redis subscription to that channel and
wakes only its local subscribers of the listed users. In the embedded default (no Redis) the
batch hands the message straight to the in-process hub of the same live store.

Each local subscriber is a latest-value mailbox: a slow client never queues more than one
pending notification (it then reads the newest figures from the live store), so server memory
does not grow with a client's lag.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
import weakref
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson
from redis.exceptions import RedisError

from app.live import keys
from app.live.backends import MemoryBackend, RedisBackend
from app.live.store import LiveStore

if TYPE_CHECKING:
    from redis.asyncio import Redis

logger = logging.getLogger("hems.live.pubsub")

#: Seconds between reconnection attempts of the process subscription after Redis failed.
RECONNECT_S = 1.0


def encode_notice(cycle_at: datetime, user_ids: Sequence[uuid.UUID]) -> bytes:
    return orjson.dumps({"cycle": int(cycle_at.timestamp()), "users": [str(u) for u in user_ids]})


def decode_notice(raw: bytes | str) -> tuple[int, list[str]] | None:
    try:
        data = orjson.loads(raw)
        return int(data["cycle"]), [str(u) for u in data["users"]]
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None


class Mailbox:
    """One subscriber's latest-value slot: `put` overwrites, `wait` takes the newest."""

    def __init__(self) -> None:
        self.cycle: int | None = None
        self._event = asyncio.Event()

    def put(self, cycle: int) -> None:
        if self.cycle is None or cycle >= self.cycle:
            self.cycle = cycle
        self._event.set()

    async def wait(self, within_s: float | None = None) -> bool:
        """True once a notification is pending (and consumes it); False on timeout."""
        try:
            await asyncio.wait_for(self._event.wait(), within_s)
        except TimeoutError:
            return False
        self._event.clear()
        return True


class LiveHub:
    """Process-local fan-out of cycle notices to subscribers, by user id."""

    def __init__(self, redis: Redis | None = None) -> None:
        self._redis = redis
        self._subscribers: dict[str, set[Mailbox]] = {}
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        if redis is None:
            self._ready.set()

    @property
    def subscriber_count(self) -> int:
        return sum(len(s) for s in self._subscribers.values())

    def dispatch(self, cycle: int, user_ids: Iterable[str]) -> int:
        """Wake the local subscribers of `user_ids`; returns how many were woken."""
        woken = 0
        subscribers = self._subscribers
        for user_id in user_ids:
            boxes = subscribers.get(user_id)
            if boxes:
                for box in boxes:
                    box.put(cycle)
                woken += len(boxes)
        return woken

    @contextlib.contextmanager
    def subscribe(self, user_id: uuid.UUID) -> Iterator[Mailbox]:
        """Register a mailbox for `user_id` for the duration of the block."""
        self.start()
        box = Mailbox()
        key = str(user_id)
        self._subscribers.setdefault(key, set()).add(box)
        try:
            yield box
        finally:
            boxes = self._subscribers.get(key)
            if boxes is not None:
                boxes.discard(box)
                if not boxes:
                    del self._subscribers[key]

    async def ready(self, within_s: float = 2.0) -> bool:
        """Wait until the process subscription is listening (at once in-process)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), within_s)
        return self._ready.is_set()

    def start(self) -> None:
        """Start the process's one Redis subscription (idempotent; no-op in-process)."""
        if self._redis is None or (self._task is not None and not self._task.done()):
            return
        self._task = asyncio.get_running_loop().create_task(self._listen(), name="hems-live-hub")

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _listen(self) -> None:
        assert self._redis is not None
        channel = keys.readings_channel()
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(channel)
                self._ready.set()
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is None or message.get("type") != "message":
                        continue
                    notice = decode_notice(message["data"])
                    if notice is not None:
                        self.dispatch(*notice)
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                self._ready.clear()
                logger.warning("live subscription lost, reconnecting", exc_info=exc)
                await asyncio.sleep(RECONNECT_S)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]


# One hub per live store backend: the API's subscriptions and the embedded cycle share it.
_hubs: weakref.WeakKeyDictionary[Any, LiveHub] = weakref.WeakKeyDictionary()


def hub_for(live: LiveStore) -> LiveHub:
    """The process's hub for this live store (created on first use)."""
    backend = live.backend
    hub = _hubs.get(backend)
    if hub is None:
        redis = backend.redis if isinstance(backend, RedisBackend) else None
        hub = _hubs[backend] = LiveHub(redis)
    return hub


async def close_hub(live: LiveStore) -> None:
    """Stop the process subscription of this live store, if one was started."""
    hub = _hubs.pop(live.backend, None)
    if hub is not None:
        await hub.close()


async def publish_batch(live: LiveStore, user_ids: Sequence[uuid.UUID], cycle_at: datetime) -> None:
    """Announce that a batch wrote these users' readings for `cycle_at` (best effort)."""
    if not user_ids:
        return
    backend = live.backend
    if isinstance(backend, RedisBackend):
        try:
            await backend.redis.publish(keys.readings_channel(), encode_notice(cycle_at, user_ids))
        except (RedisError, OSError) as exc:
            # The readings are written; subscribers catch up on the next cycle.
            logger.warning("could not publish cycle notice", exc_info=exc)
        return
    if isinstance(backend, MemoryBackend):
        hub = _hubs.get(backend)
        if hub is not None:
            hub.dispatch(int(cycle_at.timestamp()), (str(u) for u in user_ids))
