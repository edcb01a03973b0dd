"""Abuse limits: every refusal is a GraphQL error with a code, never a 500."""

from __future__ import annotations

from sqlalchemy import text

from app.security.cost import MAX_COST
from tests.hardening.conftest import error_code

FRAGMENT = """
fragment F on Device {
  id name kind
  live { powerW status timestamp storage { capacityWh currentLevelWh flowW } }
}
"""
FULL_DEVICES = """
{ devices {
    id kind name
    live { powerW status timestamp storage { capacityWh currentLevelWh flowW } }
    ... on Battery { currentLevelWh capacityWh cRate }
    ... on ElectricVehicle { currentChargeKwh mode lastSeenAt batteryCapacityKwh }
    ... on SolarPanel { panelAreaM2 efficiency maxCapacityW latitude longitude }
} }
"""


def _aliased_devices(n: int) -> str:
    return "{ " + " ".join(f"d{i}: devices {{ ...F }}" for i in range(n)) + " }" + FRAGMENT


class TestCostLimit:
    async def test_a_full_device_list_is_within_the_limit(self, api):
        token = await api.register("alice")
        body = await api.gql(FULL_DEVICES, token=token)
        assert body.get("errors") is None, body

    async def test_repeating_an_expensive_list_is_refused_before_running(self, api):
        token = await api.register("alice")
        assert (await api.gql(_aliased_devices(3), token=token)).get("errors") is None
        body = await api.gql(_aliased_devices(4), token=token)
        assert body.get("data") is None
        assert error_code(body) == "GRAPHQL_VALIDATION_FAILED"
        assert f"exceeds the maximum of {MAX_COST}" in body["errors"][0]["message"]

    async def test_fragments_count_where_they_are_spread(self, api):
        token = await api.register("alice")
        spread = "fragment G on Query { a: devices { ...F } b: devices { ...F } }"
        query = "{ ...G ...H } " + spread + " fragment H on Query { c: devices { ...F } "
        query += "d: devices { ...F } }" + FRAGMENT
        body = await api.gql(query, token=token)
        assert "exceeds the maximum" in body["errors"][0]["message"]

    async def test_one_request_cannot_hash_many_passwords(self, api):
        await api.register("alice")
        logins = " ".join(
            f'l{i}: loginUser(username: "alice", password: "wrong password {i}") {{ token }}'
            for i in range(3)
        )
        body = await api.gql(f"mutation {{ {logins} }}")
        assert body.get("data") is None
        assert "exceeds the maximum" in body["errors"][0]["message"]


class TestShapeLimits:
    async def test_depth(self, api):
        query = "{ me " + "{ a " * 12 + "}" * 12 + " }"
        body = await api.gql(query)
        messages = [e["message"] for e in body["errors"]]
        assert any("exceeds maximum operation depth" in m for m in messages), messages
        assert {e["extensions"]["code"] for e in body["errors"]} == {"GRAPHQL_VALIDATION_FAILED"}

    async def test_aliases(self, api):
        query = "{ " + " ".join(f"a{i}: __typename" for i in range(31)) + " }"
        body = await api.gql(query)
        assert "aliases" in body["errors"][0]["message"]
        assert error_code(body) == "GRAPHQL_VALIDATION_FAILED"

    async def test_tokens(self, api):
        query = "{ " + " ".join(["__typename"] * 2100) + " }"
        body = await api.gql(query)
        assert "token" in body["errors"][0]["message"].lower()
        assert body["errors"][0]["extensions"]["code"] in {
            "GRAPHQL_PARSE_FAILED",
            "GRAPHQL_VALIDATION_FAILED",
        }


class TestBodyLimit:
    async def test_a_declared_large_body_gets_413_json(self, make_api):
        async with make_api(MAX_BODY_BYTES=4096) as api:
            padding = "x" * 5000
            response = await api.client.post(
                "/graphql", json={"query": "{ __typename }", "variables": {"p": padding}}
            )
        assert response.status_code == 413
        assert error_code(response.json()) == "PAYLOAD_TOO_LARGE"

    async def test_a_streamed_body_without_length_is_limited_too(self, make_api):
        async def chunks():
            yield b'{"query": "{ __typename }", "variables": {"p": "'
            for _ in range(10):
                yield b"y" * 1000
            yield b'"}}'

        async with make_api(MAX_BODY_BYTES=4096) as api:
            response = await api.client.post(
                "/graphql", content=chunks(), headers={"content-type": "application/json"}
            )
            assert response.status_code == 413
            assert error_code(response.json()) == "PAYLOAD_TOO_LARGE"
            # The next request on the same app is served normally.
            ok = await api.client.post("/graphql", json={"query": "{ __typename }"})
        assert ok.json() == {"data": {"__typename": "Query"}}


class TestBatching:
    async def test_batched_requests_are_refused_clearly(self, api):
        response = await api.client.post(
            "/graphql", json=[{"query": "{ __typename }"}, {"query": "{ __typename }"}]
        )
        assert response.status_code == 400
        assert error_code(response.json()) == "BATCHING_NOT_SUPPORTED"


class TestRequestTimeout:
    async def test_a_stuck_request_is_cancelled_with_a_timeout_error(self, make_api, db_engine):
        async with make_api(REQUEST_TIMEOUT_S=1) as api:
            token = await api.register("alice")
            # Another session holds the user table: `me` cannot finish until it lets go.
            async with db_engine.connect() as conn:
                await conn.execute(text('LOCK TABLE "user" IN ACCESS EXCLUSIVE MODE'))
                response = await api.client.post(
                    "/graphql",
                    json={"query": "{ me { username } }"},
                    headers={"Authorization": f"Bearer {token}"},
                )
                await conn.rollback()
            assert response.status_code == 504
            assert error_code(response.json()) == "TIMEOUT"
            # The cancelled query left the pool usable.
            body = await api.gql("{ me { username } }", token=token)
        assert body == {"data": {"me": {"username": "alice"}}}
