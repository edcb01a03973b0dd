"""Per-request GraphQL context: lazy DB session, live store, principal and loaders."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.fastapi import BaseContext

from app.auth.principal import Principal, TokenVerifier
from app.config import Settings
from app.errors import Unauthenticated
from app.live.store import LiveStore

T = TypeVar("T")


class Db:
    """The request's session, opened on first use and used by one coroutine at a time.

    An AsyncSession is not safe for concurrent tasks, and GraphQL resolves sibling fields
    concurrently; the lock serialises each call. Never hold it across `loader.load()`.
    """

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker
        self._session: AsyncSession | None = None
        self.lock = asyncio.Lock()

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            self._session = self._sessionmaker()
        return self._session

    async def run(self, fn: Callable[[AsyncSession], Awaitable[T]]) -> T:
        async with self.lock:
            return await fn(self.session)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


@dataclass
class Context(BaseContext):
    settings: Settings
    db: Db
    live: LiveStore
    verifier: TokenVerifier
    authorization: str | None
    client_host: str | None = None
    user_agent: str | None = None
    #: The process's Redis client (None in the embedded default): token revocations publish on it.
    redis: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__()

    @property
    def principal(self) -> Principal:
        """The authenticated caller; raises UNAUTHENTICATED (verified once per request).

        The outcome is kept in `__dict__["_principal"]` (drop it to verify again). A plain dict
        slot rather than `functools.cached_property`, which takes a lock on every first access
        and showed up as ~15 % of a small query's CPU.
        """
        result = self.__dict__.get("_principal")
        if result is None:
            try:
                result = self.verifier.principal_from_header(self.authorization)
            except Unauthenticated as exc:
                result = exc
            self.__dict__["_principal"] = result
        if isinstance(result, Unauthenticated):
            raise result
        return result

    @cached_property
    def loaders(self) -> Any:
        from app.graphql.loaders import build_loaders

        return build_loaders(self)


Info = strawberry.Info[Context, None]
