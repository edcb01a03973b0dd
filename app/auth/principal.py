"""Turn an `Authorization` header into the authenticated principal."""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass

from app.auth.jwt import InvalidToken, TokenClaims, verify_token
from app.auth.revocation import Revocations
from app.errors import Unauthenticated


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: uuid.UUID
    username: str


class TokenVerifier:
    """Verifies bearer tokens, remembering recent good ones until they expire.

    Clients poll with the same token every minute; an HS256 verify costs ~100 us, a dict hit
    well under 1 us. Only successfully verified tokens are cached, keyed by the full token,
    and each entry is dropped at the token's own expiry, or once its generation is revoked
    (`app.auth.revocation`: a second dict lookup).
    """

    def __init__(
        self,
        secret: str,
        *,
        max_entries: int = 50_000,
        revocations: Revocations | None = None,
    ) -> None:
        self._secret = secret
        self._max = max_entries
        self._cache: OrderedDict[str, TokenClaims] = OrderedDict()
        #: Revoked token generations (one dict lookup per request, no database read).
        self.revocations = revocations if revocations is not None else Revocations(24 * 3600)

    def verify(self, token: str) -> TokenClaims:
        claims = self._cache.get(token)
        now = time.time()
        if claims is not None:
            if claims.expires_at.timestamp() > now and not self.revocations.is_revoked(claims):
                return claims
            del self._cache[token]
        try:
            claims = verify_token(token, secret=self._secret)
        except InvalidToken as exc:
            raise Unauthenticated("invalid or expired token") from exc
        if self.revocations.is_revoked(claims):
            raise Unauthenticated("token revoked: sign in again")
        self._cache[token] = claims
        if len(self._cache) > self._max:
            self._cache.popitem(last=False)
        return claims

    def principal_from_header(self, authorization: str | None) -> Principal:
        if not authorization:
            raise Unauthenticated("authentication required")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("expected 'Authorization: Bearer <token>'")
        claims = self.verify(token.strip())
        return Principal(user_id=claims.user_id, username=claims.username)
