"""Login and registration rate limiting, shared by every API process through Redis.

Three limits guard `loginUser`, all decided **before** the password is checked, and each one
reserved atomically (so a concurrent burst is bounded exactly as a sequence is):

- Per client address: at most `LOGIN_MAX_FAILURES_PER_ADDRESS` failed logins per
  `LOGIN_WINDOW_S` (fixed window). An attempt takes a slot first (INCR, then compare the value
  it returned); a successful login gives its slot back.
- Per (username, address) pair: exponential back-off. After `LOGIN_BACKOFF_FREE_FAILURES`
  failures in a row, the pair must wait `LOGIN_BACKOFF_BASE_S`, doubled at each further failure
  up to `LOGIN_BACKOFF_MAX_S`, before its next attempt; earlier attempts are refused at once
  with RATE_LIMITED (the server never sleeps). The wait is reserved with the attempt (as if it
  failed) and cleared when it succeeds. A quiet `LOGIN_WINDOW_S` after the last wait forgets it.
- Per username: once `LOGIN_MAX_FAILURES_PER_USERNAME` failures (from any addresses) fill its
  window, only addresses with no failure against that username are still let through to the
  password check. So a guesser spread over many addresses gets one try per address, and the
  owner, signing in from their own address, is never locked out by someone else's failures.

Registrations take a slot of `REGISTRATION_MAX_PER_ADDRESS` per `REGISTRATION_WINDOW_S` and
client address before anything is hashed.

Without Redis (the embedded default, one API process) the same state lives in process; its
operations run without an await between read and write, so they are atomic there too.
Usernames (NFKC, case folded) and addresses are hashed in the keys: Redis holds no account
names. If Redis does not answer, logins and registrations fail with SERVICE_UNAVAILABLE rather
than go unlimited.

The HTTP middleware binds the app's limiter and the client address for each request (`bind`);
the user service reads them with `current()`, so the GraphQL layer needs no extra plumbing.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, cast

from redis.exceptions import RedisError

from app.config import Settings
from app.errors import ServiceUnavailable, TooManyRequests
from app.live import keys
from app.observability import LOGIN_RATE_LIMITED
from app.services import validation

if TYPE_CHECKING:
    from redis.asyncio import Redis

RATE_LIMITED_MESSAGE = "too many failed login attempts, try again later"
REGISTRATION_LIMITED_MESSAGE = "too many registrations from this address, try again later"

# INCR, start the window on the first use only (a fixed window per key); return the new value.
_INCR_WINDOW = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n
"""
# Give a reserved slot back (never below 0, never re-creating an expired window).
_RELEASE = """
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 then return redis.call('DECR', KEYS[1]) end
return 0
"""
# Back-off of one pair: refuse while `next` is ahead (returns the seconds left), otherwise count
# the attempt as a failure, push `next` out by its back-off, and return "0".
_BACKOFF_RESERVE = """
local now = tonumber(ARGV[1])
local state = redis.call('HMGET', KEYS[1], 'n', 'next')
local n = tonumber(state[1]) or 0
local nxt = tonumber(state[2]) or 0
if now < nxt then return tostring(nxt - now) end
n = n + 1
local free = tonumber(ARGV[2])
local delay = 0
if n >= free then delay = math.min(tonumber(ARGV[3]) * 2 ^ (n - free), tonumber(ARGV[4])) end
redis.call('HSET', KEYS[1], 'n', n, 'next', tostring(now + delay))
redis.call('EXPIRE', KEYS[1], math.ceil(delay + tonumber(ARGV[5])))
return '0'
"""


def _subject(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def backoff_delay_s(failures: int, *, free: int, base_s: float, max_s: float) -> float:
    """The wait after `failures` failures in a row of one pair (0 while within the free ones)."""
    if failures < free:
        return 0.0
    return float(min(base_s * 2.0 ** (failures - free), max_s))


@dataclass(frozen=True)
class AttemptKeys:
    username: str
    address: str | None
    pair: str


def attempt_keys(username: str, address: str | None) -> AttemptKeys:
    """The limiter state a login attempt touches (address None: unknown, e.g. a unix socket)."""
    name = validation.username_key(username)
    where = address or "-"
    return AttemptKeys(
        username=keys.login_attempts_key("user", _subject(name)),
        address=keys.login_attempts_key("addr", _subject(address)) if address else None,
        pair=keys.login_attempts_key("pair", _subject(f"{name}\x00{where}")),
    )


class Counters(Protocol):
    async def get(self, key: str) -> int: ...
    async def reserve(self, key: str, window_s: int) -> int: ...
    async def release(self, key: str) -> None: ...
    async def clear(self, key: str) -> None: ...
    async def pair_failures(self, key: str) -> int: ...
    async def backoff_reserve(
        self, key: str, now: float, free: int, base_s: float, max_s: float, idle_s: int
    ) -> float: ...


def _unavailable(_exc: BaseException) -> ServiceUnavailable:
    return ServiceUnavailable("login is unavailable, retry shortly")


class RedisCounters:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._incr = redis.register_script(_INCR_WINDOW)
        self._release = redis.register_script(_RELEASE)
        self._backoff = redis.register_script(_BACKOFF_RESERVE)

    async def get(self, key: str) -> int:
        try:
            value = await self.redis.get(key)
        except (RedisError, OSError) as exc:
            raise _unavailable(exc) from exc
        return int(value) if value is not None else 0

    async def reserve(self, key: str, window_s: int) -> int:
        try:
            return int(await self._incr(keys=[key], args=[window_s]))
        except (RedisError, OSError) as exc:
            raise _unavailable(exc) from exc

    async def release(self, key: str) -> None:
        try:
            await self._release(keys=[key])
        except (RedisError, OSError) as exc:
            raise _unavailable(exc) from exc

    async def clear(self, key: str) -> None:
        try:
            await self.redis.delete(key)
        except (RedisError, OSError) as exc:
            raise _unavailable(exc) from exc

    async def pair_failures(self, key: str) -> int:
        try:
            value = await cast("Awaitable[bytes | None]", self.redis.hget(key, "n"))
        except (RedisError, OSError) as exc:
            raise _unavailable(exc) from exc
        return int(value) if value is not None else 0

    async def backoff_reserve(
        self, key: str, now: float, free: int, base_s: float, max_s: float, idle_s: int
    ) -> float:
        try:
            left = await self._backoff(keys=[key], args=[repr(now), free, base_s, max_s, idle_s])
        except (RedisError, OSError) as exc:
            raise _unavailable(exc) from exc
        return float(left.decode() if isinstance(left, bytes) else left)


class MemoryCounters:
    """In-process twin for the embedded default (one API process, one event loop).

    No method awaits between reading and writing its entry, so each one is atomic.
    """

    def __init__(self, clock: Callable[[], float] = time.time, *, max_entries: int = 100_000):
        self._clock = clock
        self._counts: dict[str, tuple[int, float]] = {}  # key -> (value, window end)
        self._pairs: dict[str, tuple[int, float, float]] = {}  # key -> (failures, next, expiry)
        self._max = max_entries

    def _prune(self, now: float) -> None:
        if len(self._counts) >= self._max:
            self._counts = {k: v for k, v in self._counts.items() if v[1] > now}
        if len(self._pairs) >= self._max:
            self._pairs = {k: v for k, v in self._pairs.items() if v[2] > now}

    async def get(self, key: str) -> int:
        entry = self._counts.get(key)
        return entry[0] if entry is not None and entry[1] > self._clock() else 0

    async def reserve(self, key: str, window_s: int) -> int:
        now = self._clock()
        self._prune(now)
        entry = self._counts.get(key)
        value, end = (0, now + window_s) if entry is None or entry[1] <= now else entry
        self._counts[key] = (value + 1, end)
        return value + 1

    async def release(self, key: str) -> None:
        entry = self._counts.get(key)
        if entry is not None and entry[0] > 0 and entry[1] > self._clock():
            self._counts[key] = (entry[0] - 1, entry[1])

    async def clear(self, key: str) -> None:
        self._counts.pop(key, None)
        self._pairs.pop(key, None)

    async def pair_failures(self, key: str) -> int:
        entry = self._pairs.get(key)
        return entry[0] if entry is not None and entry[2] > self._clock() else 0

    async def backoff_reserve(
        self, key: str, now: float, free: int, base_s: float, max_s: float, idle_s: int
    ) -> float:
        self._prune(now)
        entry = self._pairs.get(key)
        failures, next_at = (0, 0.0) if entry is None or entry[2] <= now else entry[:2]
        if now < next_at:
            return next_at - now
        failures += 1
        delay = backoff_delay_s(failures, free=free, base_s=base_s, max_s=max_s)
        self._pairs[key] = (failures, now + delay, now + delay + idle_s)
        return 0.0


def _refused(scope: str, message: str, retry_after_s: float | None = None) -> TooManyRequests:
    LOGIN_RATE_LIMITED.labels(scope).inc()
    if retry_after_s is not None:
        message = f"{message} (in {max(1, math.ceil(retry_after_s))} s)"
    return TooManyRequests(message)


@dataclass
class Attempt:
    """A login attempt that passed the limits: report its outcome exactly once."""

    limiter: LoginLimiter
    keys: AttemptKeys
    done: bool = field(default=False)

    async def failed(self) -> None:
        """Wrong credentials: the address slot and the pair's back-off stay; count the name."""
        if not self.done:
            self.done = True
            await self.limiter.counters.reserve(self.keys.username, self.limiter.window_s)

    async def succeeded(self) -> None:
        """Right password: give the address slot back, forget the pair and the name's count."""
        if not self.done:
            self.done = True
            if self.keys.address:
                await self.limiter.counters.release(self.keys.address)
            await self.limiter.counters.clear(self.keys.pair)
            await self.limiter.counters.clear(self.keys.username)

    async def abandoned(self) -> None:
        """No verdict (e.g. the database failed): give the address slot back."""
        if not self.done:
            self.done = True
            if self.keys.address:
                await self.limiter.counters.release(self.keys.address)


@dataclass
class LoginLimiter:
    counters: Counters
    max_per_username: int
    max_per_address: int
    window_s: int
    backoff_free: int = 3
    backoff_base_s: float = 1.0
    backoff_max_s: float = 300.0
    max_registrations: int = 10
    registration_window_s: int = 3600
    clock: Callable[[], float] = time.time

    @classmethod
    def from_settings(
        cls, settings: Settings, redis: Redis | None, clock: Callable[[], float] = time.time
    ) -> LoginLimiter:
        counters: Counters = RedisCounters(redis) if redis is not None else MemoryCounters(clock)
        return cls(
            counters=counters,
            max_per_username=settings.LOGIN_MAX_FAILURES_PER_USERNAME,
            max_per_address=settings.LOGIN_MAX_FAILURES_PER_ADDRESS,
            window_s=settings.LOGIN_WINDOW_S,
            backoff_free=settings.LOGIN_BACKOFF_FREE_FAILURES,
            backoff_base_s=settings.LOGIN_BACKOFF_BASE_S,
            backoff_max_s=settings.LOGIN_BACKOFF_MAX_S,
            max_registrations=settings.REGISTRATION_MAX_PER_ADDRESS,
            registration_window_s=settings.REGISTRATION_WINDOW_S,
            clock=clock,
        )

    async def begin(self, username: str, address: str | None) -> Attempt:
        """Reserve a login attempt, or raise RATE_LIMITED; nothing is verified yet."""
        k = attempt_keys(username, address)
        if k.address is not None:
            taken = await self.counters.reserve(k.address, self.window_s)
            if taken > self.max_per_address:
                await self.counters.release(k.address)
                raise _refused("address", RATE_LIMITED_MESSAGE)
        try:
            if await self.counters.get(k.username) >= self.max_per_username and (
                await self.counters.pair_failures(k.pair) > 0
            ):
                raise _refused("username", RATE_LIMITED_MESSAGE)
            wait = await self.counters.backoff_reserve(
                k.pair,
                self.clock(),
                self.backoff_free,
                self.backoff_base_s,
                self.backoff_max_s,
                self.window_s,
            )
            if wait > 0:
                raise _refused("backoff", RATE_LIMITED_MESSAGE, wait)
        except BaseException:
            if k.address is not None:
                await self.counters.release(k.address)
            raise
        return Attempt(self, k)

    async def reserve_registration(self, address: str | None) -> None:
        """Take one of the address's registration slots, or raise RATE_LIMITED."""
        key = keys.registration_attempts_key(_subject(address or "-"))
        if await self.counters.reserve(key, self.registration_window_s) > self.max_registrations:
            raise _refused("registration", REGISTRATION_LIMITED_MESSAGE)


@dataclass(frozen=True)
class Bound:
    limiter: LoginLimiter | None
    address: str | None


_current: ContextVar[Bound | None] = ContextVar("hems_login_limiter", default=None)
_UNBOUND = Bound(None, None)


def limiter_for_app(app: Any) -> LoginLimiter | None:
    """The app's limiter, built on first use from its state (Redis when configured)."""
    state = getattr(app, "state", None)
    if state is None:
        return None
    limiter: LoginLimiter | None = getattr(state, "hems_login_limiter", None)
    hems = getattr(state, "hems", None)
    if limiter is None and hems is not None:
        limiter = LoginLimiter.from_settings(hems.settings, hems.redis)
        state.hems_login_limiter = limiter
    return limiter


def bind(app: Any, address: str | None) -> Token[Bound | None]:
    """Make the app's limiter and this client's address current (one request)."""
    return _current.set(Bound(limiter_for_app(app), address))


def unbind(token: Token[Bound | None]) -> None:
    _current.reset(token)


def current() -> Bound:
    """The limiter and client address bound for the running request (None outside HTTP)."""
    return _current.get() or _UNBOUND
