"""Process-wide resources, built once by the lifespan and shared by every request."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.auth.principal import TokenVerifier
from app.config import Settings
from app.live.store import LiveStore

if TYPE_CHECKING:
    from redis.asyncio import Redis


@dataclass
class AppState:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    live: LiveStore
    verifier: TokenVerifier
    redis: Redis | None = None
    background: list[Any] = field(default_factory=list)
    #: Set once the revoked token generations are loaded (app.auth.revocation.listen).
    revocations_ready: asyncio.Event = field(default_factory=asyncio.Event)
