"""Registration and login (sessions: app.services.accounts)."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app import models
from app.auth import passwords, usernames
from app.config import Settings
from app.errors import BadUserInput, Unauthenticated
from app.repositories.user import UserRepository
from app.services import accounts, rate_limit, validation
from app.services.accounts import AuthResult

#: One message for unknown users and wrong passwords, so logins cannot probe usernames.
LOGIN_FAILED = "invalid username or password"


async def register_user(
    session: AsyncSession,
    settings: Settings,
    *,
    username: str,
    password: str,
    timezone: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    user_agent: str | None = None,
) -> AuthResult:
    """Create an account (home at the service's default location unless given) and log it in.

    Every argument is checked, and the username looked up, before the password is hashed:
    argon2 is slow on purpose, and a request refused anyway should not pay for it.
    """
    username = validation.username(username)
    password = validation.password(password)
    timezone = validation.timezone("timezone", timezone or settings.DEFAULT_TIMEZONE)
    latitude = validation.latitude(
        "latitude", settings.DEFAULT_LATITUDE if latitude is None else latitude
    )
    longitude = validation.longitude(
        "longitude", settings.DEFAULT_LONGITUDE if longitude is None else longitude
    )
    repo = UserRepository(session)
    if await repo.get_by_username(username) is not None:
        raise BadUserInput("username", "is already taken")
    bound = rate_limit.current()
    if bound.limiter is not None:
        # Each registration costs an argon2 hash: limited per client address, before hashing.
        await bound.limiter.reserve_registration(bound.address)
    user = models.User(
        username=username,
        username_key=usernames.key(username),
        password_hash=await passwords.hash_password(password),
        timezone=timezone,
        latitude=latitude,
        longitude=longitude,
    )
    repo.add(user)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent registration won the race
        raise BadUserInput("username", "is already taken") from exc
    return await accounts.issue(session, settings, user, user_agent=user_agent)


async def login_user(
    session: AsyncSession,
    settings: Settings,
    *,
    username: str,
    password: str,
    user_agent: str | None = None,
) -> AuthResult:
    """Log in, rate limited per address, username and pair (RATE_LIMITED; see rate_limit).

    The limiter and address are those the HTTP middleware bound for this request; outside a
    request (scripts, tests calling the service) there is no limit.
    """
    user = await _login(session, username=username, password=password)
    return await accounts.issue(session, settings, user, user_agent=user_agent)


async def _login(session: AsyncSession, *, username: str, password: str) -> models.User:
    bound = rate_limit.current()
    if bound.limiter is None:
        return await _check_credentials(session, username=username, password=password)
    # The attempt is reserved (or refused) before argon2 runs, so concurrent guesses are
    # bounded exactly like sequential ones.
    attempt = await bound.limiter.begin(username, bound.address)
    try:
        result = await _check_credentials(session, username=username, password=password)
    except Unauthenticated:
        await attempt.failed()
        raise
    except BaseException:
        await attempt.abandoned()
        raise
    await attempt.succeeded()
    return result


async def _check_credentials(session: AsyncSession, *, username: str, password: str) -> models.User:
    """Check credentials; unknown users cost the same argon2 time as wrong passwords."""
    # A name registration would refuse (too long, NUL...) cannot exist: fail without a query.
    username = usernames.normalize(username)
    if not validation.USERNAME_RE.match(username) or len(password) > validation.PASSWORD_MAX:
        raise Unauthenticated(LOGIN_FAILED)
    user = await UserRepository(session).get_by_username(username)
    ok = await passwords.verify_password(password, user.password_hash if user else None)
    if user is None or not ok:
        raise Unauthenticated(LOGIN_FAILED)
    return user
