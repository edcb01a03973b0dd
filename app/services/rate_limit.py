"""Login rate limiting: failed attempts per username and per client address, in fixed windows.

With Redis configured the counters live there (`hems:login:{scope}:{hash}`), so every API
process shares them; the embedded default keeps them in process. A login is refused with
RATE_LIMITED before any password is checked once either counter has reached its maximum within
the window (`LOGIN_MAX_FAILURES_PER_USERNAME`, `LOGIN_MAX_FAILURES_PER_ADDRESS`,
`LOGIN_WINDOW_S`); a successful login clears its username's counter. Usernames are hashed in the
keys, so Redis holds no account names.

If Redis does not answer, logins fail with SERVICE_UNAVAILABLE rather than go unlimited.

The HTTP middleware binds the app's limiter and the client address for each request (`bind`);
`login_user` reads them with `current()`, so the GraphQL layer needs no extra plumbing.
"""

from __future__ import annotations

import hashlib
import time
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from redis.exceptions import RedisError

from app.config import Settings
from app.errors import ServiceUnavailable, TooManyRequests
from app.live import keys
from app.observability import LOGIN_RATE_LIMITED

if TYPE_CHECKING:
    from redis.asyncio import Redis

RATE_LIMITED_MESSAGE = "too many failed login attempts, try again later"

# INCR, and start the window on the first failure only (a fixed window per key).
_INCR_WINDOW = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n
"""


def _subject(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def attempt_keys(username: str, address: str | None) -> list[str]:
    """The counters a login attempt touches: its username's and (when known) its address's."""
    out = [keys.login_attempts_key("user", _subject(username.casefold()))]
    if address:
        out.append(keys.login_attempts_key("addr", _subject(address)))
    return out


class Counters(Protocol):
    async def get(self, keys: list[str]) -> list[int]: ...
    async def incr(self, keys: list[str], window_s: int) -> None: ...
    async def clear(self, key: str) -> None: ...


class RedisCounters:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._incr = redis.register_script(_INCR_WINDOW)

    async def get(self, keys: list[str]) -> list[int]:
        try:
            values = await self.redis.mget(keys)
        except (RedisError, OSError) as exc:
            raise ServiceUnavailable("login is unavailable, retry shortly") from exc
        return [int(v) if v is not None else 0 for v in values]

    async def incr(self, keys: list[str], window_s: int) -> None:
        try:
            for key in keys:
                await self._incr(keys=[key], args=[window_s])
        except (RedisError, OSError) as exc:
            raise ServiceUnavailable("login is unavailable, retry shortly") from exc

    async def clear(self, key: str) -> None:
        try:
            await self.redis.delete(key)
        except (RedisError, OSError) as exc:
            raise ServiceUnavailable("login is unavailable, retry shortly") from exc


class MemoryCounters:
    """In-process twin for the embedded default (one API process)."""

    def __init__(self, *, max_entries: int = 100_000) -> None:
        self._data: dict[str, tuple[int, float]] = {}
        self._max = max_entries

    def _value(self, key: str, now: float) -> int:
        entry = self._data.get(key)
        if entry is None or entry[1] <= now:
            return 0
        return entry[0]

    async def get(self, keys: list[str]) -> list[int]:
        now = time.monotonic()
        return [self._value(k, now) for k in keys]

    async def incr(self, keys: list[str], window_s: int) -> None:
        now = time.monotonic()
        if len(self._data) >= self._max:
            self._data = {k: v for k, v in self._data.items() if v[1] > now}
        for key in keys:
            entry = self._data.get(key)
            if entry is None or entry[1] <= now:
                self._data[key] = (1, now + window_s)
            else:
                self._data[key] = (entry[0] + 1, entry[1])

    async def clear(self, key: str) -> None:
        self._data.pop(key, None)


@dataclass
class LoginLimiter:
    counters: Counters
    max_per_username: int
    max_per_address: int
    window_s: int

    @classmethod
    def from_settings(cls, settings: Settings, redis: Redis | None) -> LoginLimiter:
        counters: Counters = RedisCounters(redis) if redis is not None else MemoryCounters()
        return cls(
            counters=counters,
            max_per_username=settings.LOGIN_MAX_FAILURES_PER_USERNAME,
            max_per_address=settings.LOGIN_MAX_FAILURES_PER_ADDRESS,
            window_s=settings.LOGIN_WINDOW_S,
        )

    async def check(self, username: str, address: str | None) -> None:
        """Raise RATE_LIMITED when this username or address has used up its failures."""
        counts = await self.counters.get(attempt_keys(username, address))
        if counts[0] >= self.max_per_username:
            LOGIN_RATE_LIMITED.labels("username").inc()
            raise TooManyRequests(RATE_LIMITED_MESSAGE)
        if len(counts) > 1 and counts[1] >= self.max_per_address:
            LOGIN_RATE_LIMITED.labels("address").inc()
            raise TooManyRequests(RATE_LIMITED_MESSAGE)

    async def failed(self, username: str, address: str | None) -> None:
        await self.counters.incr(attempt_keys(username, address), self.window_s)

    async def succeeded(self, username: str) -> None:
        await self.counters.clear(attempt_keys(username, None)[0])


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
