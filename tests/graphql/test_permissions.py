"""IsAuthenticated on every field but registerUser/loginUser, and every bearer-token attack."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from jose import jwt

from app import models
from app.auth.jwt import issue_token
from tests.graphql.helpers import (
    CREATE,
    DELETE,
    DEVICE,
    DEVICES,
    RENAME,
    SET_MODE,
    count,
    create,
    create_mutation,
    user_with_token,
)

OTHER_KEY = "another-secret-that-is-also-32-bytes-long!!"

#: Every protected operation with variables that would otherwise succeed or fail differently.
PROTECTED: dict[str, tuple[str, dict[str, Any]]] = {
    "me": ("{ me { id } }", {}),
    "devices": (DEVICES, {}),
    "device": (DEVICE, {"id": str(uuid.uuid4())}),
    "energyStats": ("{ energyStats { timestamp } }", {}),
    **{
        CREATE[t][0]: (create_mutation(t), {"input": CREATE[t][2]})
        for t in CREATE  # every create mutation
    },
    "renameDevice": (RENAME, {"id": str(uuid.uuid4()), "name": "x"}),
    "deleteDevice": (DELETE, {"id": str(uuid.uuid4())}),
    "setElectricVehicleMode": (SET_MODE, {"id": str(uuid.uuid4()), "mode": "CHARGING"}),
}


def _b64(data: dict[str, Any] | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _hand_made(header: dict[str, Any], claims: dict[str, Any], key: str | None) -> str:
    """A JWT assembled by hand; signed HMAC-SHA256 with `key`, or unsigned when None."""
    signing_input = f"{_b64(header)}.{_b64(claims)}"
    if key is None:
        return f"{signing_input}."
    digest = hmac.new(key.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(digest)}"


def _claims(user_id: uuid.UUID, **changes: Any) -> dict[str, Any]:
    now = int(datetime.now(UTC).timestamp())
    claims: dict[str, Any] = {
        "sub": str(user_id),
        "username": "alice",
        "iat": now,
        "exp": now + 3600,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _tampered(token: str, user_id: uuid.UUID) -> str:
    header, _, signature = token.split(".")
    return f"{header}.{_b64(_claims(user_id, sub=str(uuid.uuid4())))}.{signature}"


def _attacks(secret: str, user_id: uuid.UUID, valid: str) -> dict[str, str | None]:
    """Authorization header values that must all be refused (None: no header at all)."""
    hs256 = {"alg": "HS256", "typ": "JWT"}
    expired, _ = issue_token(
        user_id, "alice", secret=secret, lifetime_s=3600, now=datetime.now(UTC) - timedelta(hours=2)
    )
    return {
        "no header": None,
        "other scheme": f"Token {valid}",
        "basic auth": "Basic YWxpY2U6cGFzc3dvcmQ=",
        "bearer without token": "Bearer",
        "bearer with blank token": "Bearer    ",
        "token without scheme": valid,
        "garbage token": "Bearer garbage",
        "three garbage segments": "Bearer a.b.c",
        "alg none": "Bearer " + _hand_made({"alg": "none", "typ": "JWT"}, _claims(user_id), None),
        "alg None": "Bearer " + _hand_made({"alg": "None"}, _claims(user_id), None),
        "alg none with signature": "Bearer "
        + _hand_made({"alg": "none"}, _claims(user_id), secret),
        "HS512 with the right secret": "Bearer "
        + jwt.encode(_claims(user_id), secret, algorithm="HS512"),
        "HS384 with the right secret": "Bearer "
        + jwt.encode(_claims(user_id), secret, algorithm="HS384"),
        "RS256 header, HMAC signature": "Bearer "
        + _hand_made({"alg": "RS256", "typ": "JWT"}, _claims(user_id), secret),
        "no alg header": "Bearer " + _hand_made({"typ": "JWT"}, _claims(user_id), secret),
        "signed with another key": "Bearer "
        + jwt.encode(_claims(user_id), OTHER_KEY, algorithm="HS256"),
        "empty key": "Bearer " + _hand_made(hs256, _claims(user_id), ""),
        "expired": f"Bearer {expired}",
        "without exp": "Bearer " + jwt.encode(_claims(user_id, exp=None), secret, "HS256"),
        "without iat": "Bearer " + jwt.encode(_claims(user_id, iat=None), secret, "HS256"),
        "without sub": "Bearer " + jwt.encode(_claims(user_id, sub=None), secret, "HS256"),
        "exp not a number": "Bearer " + jwt.encode(_claims(user_id, exp="never"), secret, "HS256"),
        "sub not a uuid": "Bearer " + jwt.encode(_claims(user_id, sub="alice"), secret, "HS256"),
        "sub a number": "Bearer " + jwt.encode(_claims(user_id, sub=12345), secret, "HS256"),
        "payload swapped, signature kept": f"Bearer {_tampered(valid, user_id)}",
        "signature stripped": "Bearer " + valid.rsplit(".", 1)[0] + ".",
    }


ATTACKS = list(_attacks("k" * 32, uuid.uuid4(), "a.b.c"))


class TestIsAuthenticated:
    @pytest.mark.parametrize("operation", list(PROTECTED))
    async def test_every_protected_field_needs_a_token(self, api, operation):
        query, variables = PROTECTED[operation]
        body = await api.gql(query, variables)
        assert body["data"] in (None, {operation: None})  # `device` is nullable
        assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]
        assert body["errors"][0]["path"] == [operation]
        assert await count(api, models.Device) == 0

    async def test_typename_needs_no_token(self, api):
        assert await api.gql("{ __typename }") == {"data": {"__typename": "Query"}}
        assert await api.gql("mutation { __typename }") == {"data": {"__typename": "Mutation"}}

    async def test_introspection_needs_no_token(self, api):
        body = await api.gql("{ __schema { queryType { name } mutationType { name } } }")
        assert body == {
            "data": {
                "__schema": {"queryType": {"name": "Query"}, "mutationType": {"name": "Mutation"}}
            }
        }

    async def test_typename_next_to_a_protected_field_does_not_leak_it(self, api):
        body = await api.gql("{ __typename me { id } }")
        assert body["data"] is None
        assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]

    async def test_lowercase_bearer_scheme_is_accepted(self, api):
        _, token = await user_with_token(api, "alice")
        response = await api.client.post(
            "/graphql",
            json={"query": "{ me { username } }"},
            headers={"authorization": f"bearer {token}"},
        )
        assert response.json() == {"data": {"me": {"username": "alice"}}}


class TestTokenAttacks:
    @pytest.mark.parametrize("attack", ATTACKS)
    async def test_is_unauthenticated_and_leaks_nothing(self, api, attack):
        user, valid = await user_with_token(api, "alice")
        await create(api, valid, "Battery")
        header = _attacks(api.state.settings.JWT_SECRET, user.id, valid)[attack]
        headers = {} if header is None else {"authorization": header}
        for query in ("{ me { id } }", "{ devices { id } }"):
            response = await api.client.post("/graphql", json={"query": query}, headers=headers)
            body = response.json()
            assert body["data"] is None
            assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]

    async def test_the_untampered_token_works(self, api):
        """The attacks above are refused for what they change, not because the setup is broken."""
        user, valid = await user_with_token(api, "alice")
        device = await create(api, valid, "Battery")
        body = await api.gql("{ me { id } devices { id } }", token=valid)
        assert body == {"data": {"me": {"id": str(user.id)}, "devices": [{"id": device["id"]}]}}

    async def test_a_refused_token_stays_refused(self, api):
        user, valid = await user_with_token(api, "alice")
        forged = jwt.encode(_claims(user.id), OTHER_KEY, algorithm="HS256")
        for _ in range(2):
            body = await api.gql("{ me { id } }", token=forged)
            assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    async def test_validly_signed_token_for_no_account_is_refused_by_me(self, api):
        secret = api.state.settings.JWT_SECRET
        token = jwt.encode(_claims(uuid.uuid4()), secret, algorithm="HS256")
        body = await api.gql("{ me { id } }", token=token)
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    async def test_deleted_account_cannot_list_devices_or_create(self, api):
        user, token = await user_with_token(api, "alice")
        async with api.state.sessionmaker() as session:
            await session.delete(await session.get(models.User, user.id))
            await session.commit()
        listed = await api.gql(DEVICES, {}, token)
        assert listed["data"] is None
        assert listed["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        body = await api.gql(create_mutation("Heater"), {"input": CREATE["Heater"][2]}, token)
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
