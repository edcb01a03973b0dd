"""Every JWT call of HEMS lives here, so the library could be swapped in this one file.

python-jose has advisories for misuse this module never allows: decoding always pins
`algorithms=["HS256"]`, keys are HMAC secrets of at least 32 bytes (checked by the settings),
and `exp` is required.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from jose import JWTError, jwt

ALGORITHM = "HS256"
_REQUIRED_CLAIMS = ("sub", "exp", "iat")


class InvalidToken(Exception):
    """The token is malformed, forged, expired or of the wrong algorithm."""


@dataclass(frozen=True, slots=True)
class TokenClaims:
    user_id: uuid.UUID
    username: str
    issued_at: datetime
    expires_at: datetime
    #: The user's token generation at issue ("gen"; 0 for tokens that predate it).
    generation: int = 0


def issue_token(
    user_id: uuid.UUID,
    username: str,
    *,
    secret: str,
    lifetime_s: int,
    now: datetime | None = None,
    generation: int = 0,
) -> tuple[str, datetime]:
    """Sign a token for the user; returns it with its expiry instant."""
    issued = (now or datetime.now(UTC)).replace(microsecond=0)
    expires = issued + timedelta(seconds=lifetime_s)
    payload = {
        "sub": str(user_id),
        "username": username,
        "iat": int(issued.timestamp()),
        "exp": int(expires.timestamp()),
        "gen": generation,
    }
    return jwt.encode(payload, secret, algorithm=ALGORITHM), expires


def verify_token(token: str, *, secret: str) -> TokenClaims:
    """Verify signature, algorithm and expiry; raise InvalidToken on any doubt."""
    if not secret:
        raise InvalidToken("no signing key configured")
    try:
        header = jwt.get_unverified_header(token)
        if header.get("alg") != ALGORITHM:
            raise InvalidToken("unexpected algorithm")
        claims: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={"require_exp": True, "require_iat": True, "require_sub": True},
        )
    except JWTError as exc:
        raise InvalidToken(str(exc)) from exc
    try:
        if any(claims.get(name) is None for name in _REQUIRED_CLAIMS):
            raise InvalidToken("missing claim")
        return TokenClaims(
            user_id=uuid.UUID(str(claims["sub"])),
            username=str(claims.get("username", "")),
            issued_at=datetime.fromtimestamp(int(claims["iat"]), UTC),
            expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
            generation=int(claims.get("gen", 0)),
        )
    except (TypeError, ValueError) as exc:
        raise InvalidToken("malformed claims") from exc
