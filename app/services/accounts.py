"""Sessions and accounts: refresh tokens, logout, password change, account deletion.

Access tokens are HS256 JWTs carrying the user's token generation (`gen`); refresh tokens are
opaque (256 random bits), stored only as SHA-256 hashes, single use: `rotate` marks one used
and issues the next of its family; presenting a used one again revokes the whole family (a
stolen copy is detected whichever party uses it second). Bumping the generation
(`changePassword`, `logout(everywhere: true)`, `deleteAccount`) revokes every earlier access
token and every refresh token; the caller then applies and publishes the bump
(`app.auth.revocation`) once the transaction has committed.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app import models
from app.auth import jwt, passwords
from app.config import Settings
from app.errors import BadUserInput, Unauthenticated
from app.repositories.device import DeviceRepository
from app.repositories.home import HomeRepository
from app.services import rate_limit, validation

#: Lifetime of a refresh token (each rotation issues a new one for as long again).
REFRESH_LIFETIME = timedelta(days=30)
#: Bytes of randomness in a refresh token (256 bits).
REFRESH_BYTES = 32
USER_AGENT_MAX = 255
REFRESH_INVALID = "invalid or expired refresh token: sign in again"
REFRESH_REUSED = "refresh token already used: its sessions are revoked, sign in again"
WRONG_PASSWORD = "is not the account's password"


@dataclass(frozen=True, slots=True)
class AuthResult:
    token: str
    expires_at: datetime
    user: models.User
    refresh_token: str
    refresh_expires_at: datetime


@dataclass(frozen=True, slots=True)
class Bump:
    """A committed generation bump, to apply in this process and publish to the others."""

    user_id: uuid.UUID
    generation: int
    at: float


class RefreshTokenReused(Unauthenticated):
    """A used refresh token came back: its family was revoked (commit that, then answer)."""


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


async def issue(
    session: AsyncSession,
    settings: Settings,
    user: models.User,
    *,
    user_agent: str | None = None,
    family_id: uuid.UUID | None = None,
) -> AuthResult:
    """An access token of the user's current generation and a new refresh token (flushed)."""
    access, expires = jwt.issue_token(
        user.id,
        user.username,
        secret=settings.JWT_SECRET,
        lifetime_s=settings.JWT_LIFETIME_S,
        generation=user.token_generation,
    )
    raw = secrets.token_urlsafe(REFRESH_BYTES)
    now = models.utcnow()
    row = models.RefreshToken(
        user_id=user.id,
        token_hash=token_hash(raw),
        family_id=family_id or uuid.uuid4(),
        issued_at=now,
        expires_at=now + REFRESH_LIFETIME,
        user_agent=user_agent[:USER_AGENT_MAX] if user_agent else None,
    )
    session.add(row)
    await session.flush()
    return AuthResult(
        token=access,
        expires_at=expires,
        user=user,
        refresh_token=raw,
        refresh_expires_at=row.expires_at,
    )


async def _revoke_family(session: AsyncSession, family_id: uuid.UUID) -> None:
    T = models.RefreshToken
    await session.execute(
        update(T)
        .where(T.family_id == family_id, T.revoked_at.is_(None))
        .values(revoked_at=models.utcnow())
        .execution_options(synchronize_session=False)
    )


async def rotate(
    session: AsyncSession, settings: Settings, raw: str, *, user_agent: str | None = None
) -> AuthResult:
    """Use a refresh token once: the next one of its family, with a fresh access token.

    The token is claimed by one conditional UPDATE, so of two concurrent uses one wins and the
    other counts as a reuse. Raises RefreshTokenReused (the family is revoked in the session:
    commit it) or Unauthenticated.
    """
    T = models.RefreshToken
    if not raw or len(raw) > 512:
        raise Unauthenticated(REFRESH_INVALID)
    digest = token_hash(raw)
    now = models.utcnow()
    claimed = (
        await session.execute(
            update(T)
            .where(
                T.token_hash == digest,
                T.used_at.is_(None),
                T.revoked_at.is_(None),
                T.expires_at > now,
            )
            .values(used_at=now)
            .returning(T.user_id, T.family_id)
            .execution_options(synchronize_session=False)
        )
    ).first()
    if claimed is None:
        known = (
            await session.execute(select(T.family_id, T.used_at).where(T.token_hash == digest))
        ).first()
        if known is not None and known.used_at is not None:
            await _revoke_family(session, known.family_id)
            raise RefreshTokenReused(REFRESH_REUSED)
        raise Unauthenticated(REFRESH_INVALID)
    user = await session.get(models.User, claimed.user_id)
    if user is None:
        raise Unauthenticated(REFRESH_INVALID)
    return await issue(session, settings, user, user_agent=user_agent, family_id=claimed.family_id)


async def bump_generation(session: AsyncSession, user: models.User, lifetime_s: int) -> Bump:
    """Revoke every access and refresh token of the user issued so far (in the session)."""
    now = models.utcnow()
    user.token_generation += 1
    T = models.RefreshToken
    await session.execute(
        update(T)
        .where(T.user_id == user.id, T.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    R = models.TokenRevocation
    # Bumps older than an access token's lifetime concern no unexpired token: forget them.
    await session.execute(delete(R).where(R.revoked_at < now - timedelta(seconds=lifetime_s)))
    existing = await session.get(R, user.id)
    if existing is None:
        session.add(R(user_id=user.id, generation=user.token_generation, revoked_at=now))
    else:
        existing.generation = user.token_generation
        existing.revoked_at = now
    await session.flush()
    return Bump(user.id, user.token_generation, now.timestamp())


async def check_own_password(user: models.User, password: str, field: str) -> None:
    """An authenticated operation's password check, under the login limits (BAD_USER_INPUT)."""
    bound = rate_limit.current()
    attempt = await bound.limiter.begin(user.username, bound.address) if bound.limiter else None
    try:
        ok = len(password) <= validation.PASSWORD_MAX and await passwords.verify_password(
            password, user.password_hash
        )
    except BaseException:
        if attempt is not None:
            await attempt.abandoned()
        raise
    if not ok:
        if attempt is not None:
            await attempt.failed()
        raise BadUserInput(field, WRONG_PASSWORD)
    if attempt is not None:
        await attempt.succeeded()


async def logout(
    session: AsyncSession, settings: Settings, user: models.User, raw: str, *, everywhere: bool
) -> tuple[bool, Bump | None]:
    """End the refresh token's session (its family); everywhere: every token of the user.

    A refresh token that is not the caller's behaves like an unknown one: nothing happens and
    the answer is False.
    """
    if everywhere:
        return True, await bump_generation(session, user, settings.JWT_LIFETIME_S)
    T = models.RefreshToken
    family = await session.scalar(
        select(T.family_id).where(T.token_hash == token_hash(raw), T.user_id == user.id)
    )
    if family is None:
        return False, None
    await _revoke_family(session, family)
    return True, None


async def change_password(
    session: AsyncSession,
    settings: Settings,
    user: models.User,
    *,
    current_password: str,
    new_password: str,
    user_agent: str | None = None,
) -> tuple[AuthResult, Bump]:
    """Check the current password, store the new one, revoke every earlier token, sign in."""
    try:
        new_password = validation.password(new_password)
    except BadUserInput as exc:
        raise BadUserInput("newPassword", str(exc).split(": ", 1)[1]) from None
    await check_own_password(user, current_password, "currentPassword")
    user.password_hash = await passwords.hash_password(new_password)
    bump = await bump_generation(session, user, settings.JWT_LIFETIME_S)
    return await issue(session, settings, user, user_agent=user_agent), bump


@dataclass(frozen=True, slots=True)
class Deleted:
    bump: Bump
    device_ids: list[uuid.UUID]
    home_ids: list[uuid.UUID]


async def delete_account(
    session: AsyncSession, settings: Settings, user: models.User, *, password: str
) -> Deleted:
    """Delete the user and, by cascade, everything that is theirs (the caller drops live keys).

    Rows referencing `user` are removed by the database (ON DELETE CASCADE, and a trigger for
    the interval history); the revocation row stays, so the account's tokens keep failing.
    """
    await check_own_password(user, password, "password")
    device_ids = await DeviceRepository(session).ids_for_owner(user.id)
    home_ids = [home.id for home in await HomeRepository(session).list_for_owner(user.id)]
    bump = await bump_generation(session, user, settings.JWT_LIFETIME_S)
    await session.execute(delete(models.User).where(models.User.id == user.id))
    session.expunge(user)
    return Deleted(bump=bump, device_ids=device_ids, home_ids=home_ids)
