"""app/auth/principal.py: the Authorization header, and the cache of verified tokens."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from app.auth.jwt import issue_token
from app.auth.principal import Principal, TokenVerifier
from app.errors import Unauthenticated

SECRET = "unit-test-secret-that-is-at-least-32-bytes"
USER = uuid.UUID("0b5e3c47-73c7-4d43-9d6d-8d1f6b0f9a01")
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def _token(lifetime_s: int = 3600, secret: str = SECRET) -> str:
    token, _ = issue_token(USER, "alice", secret=secret, lifetime_s=lifetime_s, now=NOW)
    return token


class TestPrincipalFromHeader:
    def test_bearer_token_gives_the_principal(self):
        with time_machine.travel(NOW, tick=False):
            principal = TokenVerifier(SECRET).principal_from_header(f"Bearer {_token()}")
        assert principal == Principal(user_id=USER, username="alice")

    @pytest.mark.parametrize("scheme", ["bearer", "BEARER", "Bearer"])
    def test_scheme_is_case_insensitive(self, scheme):
        with time_machine.travel(NOW, tick=False):
            principal = TokenVerifier(SECRET).principal_from_header(f"{scheme} {_token()}")
        assert principal.user_id == USER

    @pytest.mark.parametrize(
        "header", [None, "", "Bearer", "Bearer ", "Bearer    ", "Token abc", "Basic YTpi", "abc"]
    )
    def test_missing_or_malformed_header_is_unauthenticated(self, header):
        with pytest.raises(Unauthenticated):
            TokenVerifier(SECRET).principal_from_header(header)

    def test_token_without_scheme_is_unauthenticated(self):
        with time_machine.travel(NOW, tick=False), pytest.raises(Unauthenticated):
            TokenVerifier(SECRET).principal_from_header(_token())


class TestVerify:
    def test_token_of_another_key_is_unauthenticated(self):
        other = _token(secret="a-different-secret-of-at-least-32-bytes")
        with time_machine.travel(NOW, tick=False), pytest.raises(Unauthenticated):
            TokenVerifier(SECRET).verify(other)

    def test_a_cached_token_still_expires_on_time(self):
        verifier = TokenVerifier(SECRET)
        token = _token(lifetime_s=60)
        with time_machine.travel(NOW, tick=False):
            assert verifier.verify(token).user_id == USER
        with (
            time_machine.travel(NOW + timedelta(seconds=61), tick=False),
            pytest.raises(Unauthenticated),
        ):
            verifier.verify(token)

    def test_a_refused_token_is_refused_again(self):
        verifier = TokenVerifier(SECRET)
        forged = _token(secret="a-different-secret-of-at-least-32-bytes")
        for _ in range(2):
            with time_machine.travel(NOW, tick=False), pytest.raises(Unauthenticated):
                verifier.verify(forged)

    def test_verifiers_do_not_share_what_they_trust(self):
        token = _token()
        with time_machine.travel(NOW, tick=False):
            assert TokenVerifier(SECRET).verify(token).user_id == USER
            with pytest.raises(Unauthenticated):
                TokenVerifier("a-different-secret-of-at-least-32-bytes").verify(token)

    def test_cache_is_bounded(self):
        verifier = TokenVerifier(SECRET, max_entries=2)
        with time_machine.travel(NOW, tick=False):
            for lifetime in (60, 61, 62):
                verifier.verify(_token(lifetime_s=lifetime))
        assert len(verifier._cache) == 2
