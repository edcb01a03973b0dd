"""app/auth/jwt.py: HS256 only, exp/iat/sub required, 24 h tokens, every forgery refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from jose import jwt

from app.auth.jwt import ALGORITHM, InvalidToken, TokenClaims, issue_token, verify_token

SECRET = "unit-test-secret-that-is-at-least-32-bytes"
OTHER = "another-unit-test-secret-at-least-32-bytes"
USER = uuid.UUID("3f0c2a3e-6d3b-4c55-9d8a-0a8a8f1c2b11")
NOW = datetime(2026, 1, 15, 12, 0, 0, tzinfo=UTC)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _segment(data: dict[str, Any]) -> str:
    return _b64(json.dumps(data).encode())


def _claims(**changes: Any) -> dict[str, Any]:
    now = int(datetime.now(UTC).timestamp())
    claims: dict[str, Any] = {"sub": str(USER), "username": "alice", "iat": now, "exp": now + 60}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _hmac_signed(header: dict[str, Any], claims: dict[str, Any], key: str) -> str:
    signing_input = f"{_segment(header)}.{_segment(claims)}"
    signature = hmac.new(key.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


FORGERIES = {
    "alg none": lambda: f"{_segment({'alg': 'none', 'typ': 'JWT'})}.{_segment(_claims())}.",
    "alg NONE": lambda: f"{_segment({'alg': 'NONE'})}.{_segment(_claims())}.",
    "HS512, right secret": lambda: jwt.encode(_claims(), SECRET, algorithm="HS512"),
    "HS384, right secret": lambda: jwt.encode(_claims(), SECRET, algorithm="HS384"),
    "RS256 header, HMAC body": lambda: _hmac_signed({"alg": "RS256"}, _claims(), SECRET),
    "ES256 header, HMAC body": lambda: _hmac_signed({"alg": "ES256"}, _claims(), SECRET),
    "no alg": lambda: _hmac_signed({"typ": "JWT"}, _claims(), SECRET),
    "another key": lambda: jwt.encode(_claims(), OTHER, algorithm="HS256"),
    "empty key": lambda: _hmac_signed({"alg": "HS256"}, _claims(), ""),
    "expired": lambda: jwt.encode(_claims(exp=int(NOW.timestamp())), SECRET, "HS256"),
    "no exp": lambda: jwt.encode(_claims(exp=None), SECRET, "HS256"),
    "no iat": lambda: jwt.encode(_claims(iat=None), SECRET, "HS256"),
    "no sub": lambda: jwt.encode(_claims(sub=None), SECRET, "HS256"),
    "sub not a uuid": lambda: jwt.encode(_claims(sub="alice"), SECRET, "HS256"),
    "sub an integer": lambda: jwt.encode(_claims(sub=7), SECRET, "HS256"),
    "exp a string": lambda: jwt.encode(_claims(exp="tomorrow"), SECRET, "HS256"),
    "iat a string": lambda: jwt.encode(_claims(iat="today"), SECRET, "HS256"),
    "not a jwt": lambda: "definitely-not-a-token",
    "two segments": lambda: "a.b",
    "bad base64": lambda: "!!!.@@@.###",
    "empty": lambda: "",
}


class TestIssueToken:
    def test_returns_a_token_and_its_expiry(self):
        token, expires = issue_token(USER, "alice", secret=SECRET, lifetime_s=86400, now=NOW)
        assert expires == NOW + timedelta(hours=24)
        assert jwt.get_unverified_header(token)["alg"] == ALGORITHM == "HS256"

    def test_payload_carries_sub_username_iat_exp(self):
        token, _ = issue_token(USER, "alice", secret=SECRET, lifetime_s=86400, now=NOW)
        assert jwt.get_unverified_claims(token) == {
            "sub": str(USER),
            "username": "alice",
            "iat": int(NOW.timestamp()),
            "exp": int(NOW.timestamp()) + 86400,
            "gen": 0,
        }

    def test_drops_sub_second_precision(self):
        token, expires = issue_token(
            USER, "alice", secret=SECRET, lifetime_s=60, now=NOW + timedelta(microseconds=999_999)
        )
        assert expires == NOW + timedelta(seconds=60)
        assert jwt.get_unverified_claims(token)["iat"] == int(NOW.timestamp())

    def test_defaults_to_the_current_time(self):
        before = datetime.now(UTC).replace(microsecond=0)
        _, expires = issue_token(USER, "alice", secret=SECRET, lifetime_s=3600)
        assert before + timedelta(hours=1) <= expires <= datetime.now(UTC) + timedelta(hours=1)


class TestVerifyToken:
    def test_round_trips_the_claims(self):
        with time_machine.travel(NOW, tick=False):
            token, _ = issue_token(USER, "alice", secret=SECRET, lifetime_s=86400)
            claims = verify_token(token, secret=SECRET)
        assert claims == TokenClaims(
            user_id=USER,
            username="alice",
            issued_at=NOW,
            expires_at=NOW + timedelta(hours=24),
        )

    def test_valid_until_the_last_second_of_its_lifetime(self):
        token, _ = issue_token(USER, "alice", secret=SECRET, lifetime_s=86400, now=NOW)
        with time_machine.travel(NOW + timedelta(hours=24) - timedelta(seconds=1), tick=False):
            assert verify_token(token, secret=SECRET).user_id == USER

    def test_refused_once_its_lifetime_is_over(self):
        token, _ = issue_token(USER, "alice", secret=SECRET, lifetime_s=86400, now=NOW)
        with (
            time_machine.travel(NOW + timedelta(hours=24, seconds=1), tick=False),
            pytest.raises(InvalidToken),
        ):
            verify_token(token, secret=SECRET)

    @pytest.mark.parametrize("forgery", list(FORGERIES))
    def test_refuses_forgeries(self, forgery):
        token = FORGERIES[forgery]()
        with pytest.raises(InvalidToken):
            verify_token(token, secret=SECRET)

    def test_the_untampered_token_of_the_forgeries_passes(self):
        """The forgeries fail for what they change: the same claims, signed right, verify."""
        assert verify_token(jwt.encode(_claims(), SECRET, "HS256"), secret=SECRET).user_id == USER

    def test_refuses_everything_without_a_secret(self):
        token = jwt.encode(_claims(), SECRET, "HS256")
        with pytest.raises(InvalidToken):
            verify_token(token, secret="")

    def test_username_is_optional(self):
        token = jwt.encode(_claims(username=None), SECRET, "HS256")
        assert verify_token(token, secret=SECRET).username == ""
