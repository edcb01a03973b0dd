"""Validation is linear in the document: adversarial documents are refused (or answered) cheaply.

The work of validating a document is counted as Python function calls (a deterministic measure:
the same document always costs the same calls), so the bound below cannot flake with the
machine's load. Documents that once took seconds (fragments spreading each other twice per
level) are far above any such bound when their expansion is walked.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from graphql import GraphQLError, Token, parse
from httpx_ws import AsyncWebSocketSession, WebSocketDisconnect, aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.graphql.schema import MAX_TOKENS, build_schema
from app.security import cost
from app.security.middleware import WS_MESSAGE_TOO_BIG
from bench.validation import SHAPES, fragment_chain, validate_cold
from tests.hardening.conftest import error_code

SCHEMA = build_schema()._schema
#: Calls per token of validation, far above what any shape needs (~30) and far below what
#: walking an expansion costs (millions of calls for the 18-level document).
CALLS_PER_TOKEN = 200
PROPERTY = settings(
    max_examples=120,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
HISTORY = """{ devices { history(resolution: HOUR, from: "2026-01-01T00:00:00Z",
  to: "2026-01-02T00:00:00Z"%s) { edges { %s } } } }"""


def calls(document: str) -> int:
    """Python function calls made to validate `document` cold, as the API does."""
    count = 0

    def profile(_frame: Any, event: str, _arg: Any) -> None:
        nonlocal count
        if event == "call":
            count += 1

    sys.setprofile(profile)
    try:
        validate_cold(SCHEMA, document)
    finally:
        sys.setprofile(None)
    return count


def tokens(document: str) -> int:
    try:
        ast = parse(document, max_tokens=MAX_TOKENS)
    except GraphQLError:
        return MAX_TOKENS
    assert ast.loc is not None
    count = 0
    token: Token | None = ast.loc.start_token
    while token is not None:
        count += 1
        token = token.next
    return count


def refusal(document: str) -> str | None:
    errors = validate_cold(SCHEMA, document)
    return errors[0].message if errors else None


class TestLinearWork:
    @pytest.mark.parametrize("shape", sorted(SHAPES))
    def test_every_benchmark_shape_costs_calls_linear_in_its_tokens(self, shape):
        document = SHAPES[shape]()
        assert calls(document) <= CALLS_PER_TOKEN * tokens(document)

    def test_the_doubling_fragments_that_stalled_the_server_are_refused(self):
        message = refusal(fragment_chain(18, 2, on="User", leaf="id"))
        assert message is not None
        assert "Query cost" in message
        assert calls(fragment_chain(20, 2, on="User", leaf="id")) < 20_000

    @PROPERTY
    @given(data=st.data())
    def test_generated_adversarial_documents(self, data):
        document = data.draw(adversarial_documents())
        assert calls(document) <= CALLS_PER_TOKEN * tokens(document), document


@st.composite
def adversarial_documents(draw: Any) -> str:
    """Nested and fanned-out fragments, aliases inside fragments, fragments on nested types,
    inline fragments and repeated fields, within the token limit."""
    on, leaves, wrap = draw(
        st.sampled_from(
            [
                ("Query", ["__typename", "me { id }", "devices { id name }"], "{ %s }"),
                ("User", ["id", "username", "timezone"], "{ me { %s } }"),
                ("Device", ["id", "name", "live { powerW }"], "{ devices { %s } }"),
                ("Battery", ["id", "capacityWh"], "{ devices { ... on Battery { %s } } }"),
            ]
        )
    )
    levels = draw(st.integers(1, 30))
    fan_out = draw(st.integers(1, 4))
    aliased = draw(st.booleans())
    inline = draw(st.booleans())
    repeat = draw(st.integers(1, 8))
    parts = [f"fragment F0 on {on} {{ " + " ".join([draw(st.sampled_from(leaves))] * repeat) + " }"]
    for level in range(1, levels + 1):
        body = f"...F{level - 1} " * fan_out
        if aliased:
            body += f"a{level}: {leaves[0]} "
        if inline:
            body = f"... on {on} {{ {body} }}"
        parts.append(f"fragment F{level} on {on} {{ {body}}}")
    document: str = wrap % f"...F{levels}" + " " + " ".join(parts)
    if tokens(document) >= MAX_TOKENS:
        document = document[: len(document) // 2]  # a syntax error: refused by the parser
    return document


class TestConnectionCost:
    def test_a_few_buckets_of_every_device_fit(self):
        assert refusal(HISTORY % (", first: 5", "node { start energyProducedWh }")) is None
        assert refusal(HISTORY % (", first: 5", "cursor")) is None

    def test_a_large_page_of_every_device_does_not(self):
        message = refusal(HISTORY % (", first: 1000", "node { start }"))
        assert message is not None
        assert "Query cost" in message

    def test_without_first_the_default_page_counts(self):
        # devices (1) + each device's history (1) + its edges (1) + a cursor per edge, the
        # default page (100) counted at the size every list counts at (50).
        page = min(cost.CONNECTION_PAGES["EnergyHistoryConnection"], cost.LIST_SIZE)
        total = 1 + cost.LIST_SIZE * (1 + 1 + page * 1)
        message = refusal(HISTORY % ("", "cursor"))
        assert message == (
            f"Query cost {total} exceeds the maximum of {cost.MAX_COST}: "
            "select fewer fields or split the request."
        )

    def test_a_variable_counts_its_value(self):
        query = HISTORY.replace("{ devices", "query($n: Int) { devices") % (
            ", first: $n",
            "node { start }",
        )
        document = parse(query)
        assert cost.check_limits(SCHEMA, document, (("n", 5),)) == []
        assert cost.check_limits(SCHEMA, document, (("n", 1000),)) != []
        # No value: the default page.
        assert cost.check_limits(SCHEMA, document, ()) != []

    def test_one_full_page_costs_what_it_always_did(self):
        page = """query($first: Int) { energyHistory(resolution: MINUTE,
          from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00Z", first: $first) {
          edges { cursor node { start end
          producedWh consumedWh chargedWh dischargedWh importedWh exportedWh netGridWh } } } }"""
        assert cost.check_limits(SCHEMA, parse(page), (("first", 1000),)) == []


class TestShapeCaps:
    @pytest.mark.parametrize(
        ("document", "words"),
        [
            ("{ me { " + "id " * (cost.MAX_KEY_REPEATS + 1) + "} }", "'id' selected"),
            ("{ me { ... { id id id } ... { id id id } } }", "'id' selected"),
            (
                "{ me " + "{ a " * (cost.MAX_NESTING + 1) + "}" * (cost.MAX_NESTING + 1) + " }",
                "nested",
            ),
            ("{ devices(" + ", ".join(f"a{i}: 1" for i in range(21)) + ") { id } }", "arguments"),
            (
                "{ ...F0 } "
                + " ".join(f"fragment F{i} on Query {{ __typename }}" for i in range(51)),
                "fragments found",
            ),
            (" ".join(f"query Q{i} {{ __typename }}" for i in range(21)), "operations found"),
        ],
    )
    def test_refused_naming_the_limit(self, document, words):
        message = refusal(document)
        assert message is not None
        assert words in message

    def test_the_introspection_query_passes(self):
        from graphql import get_introspection_query

        assert refusal(get_introspection_query(descriptions=True)) is None


class TestOverTheApi:
    async def test_healthz_answers_while_adversarial_documents_are_in_flight(self, api):
        documents = [
            fragment_chain(20, 2, on=on, leaf=leaf)
            for on, leaf in [("User", "id"), ("Query", "__typename"), ("Device", "id")]
        ] * 4

        async def post(document: str) -> httpx.Response:
            response: httpx.Response = await api.client.post("/graphql", json={"query": document})
            return response

        posts = [asyncio.ensure_future(post(d)) for d in documents]
        # A liveness bound, not a speed measure: these documents once held the loop 16 s each.
        health = await asyncio.wait_for(api.client.get("/healthz"), timeout=10)
        assert health.status_code == 200
        for response in await asyncio.gather(*posts):
            assert response.status_code == 200
            body = response.json()
            assert "errors" in body or "data" in body
            if "errors" in body:
                assert error_code(body) in {"GRAPHQL_VALIDATION_FAILED", "UNAUTHENTICATED"}

    async def test_get_requests_are_limited_the_same_way(self, api):
        document = fragment_chain(18, 2, on="User", leaf="id")
        response = await api.client.get("/graphql", params={"query": document})
        assert "Query cost" in response.json()["errors"][0]["message"]

    async def test_production_hides_field_suggestions(self, make_api):
        async with make_api(HEMS_ENV="production") as api:
            body = await api.gql("{ devicez { id } }")
        assert error_code(body) == "GRAPHQL_VALIDATION_FAILED"
        assert "Did you mean" not in body["errors"][0]["message"]

    async def test_production_hides_suggestions_of_variable_values_too(self, make_api):
        document = 'mutation($m: BatteryMode!) { setBatteryMode(id: "x", mode: $m) { id } }'
        async with make_api(HEMS_ENV="production") as api:
            body = await api.gql(document, variables={"m": "OPTIMISED"})
        assert error_code(body) == "BAD_USER_INPUT"
        message = body["errors"][0]["message"]
        assert "OPTIMISED" in message  # it still names what was wrong
        assert "BatteryMode" in message
        assert "Did you mean" not in message

    async def test_development_keeps_them(self, api):
        body = await api.gql("{ devicez { id } }")
        assert "Did you mean" in body["errors"][0]["message"]
        document = 'mutation($m: BatteryMode!) { setBatteryMode(id: "x", mode: $m) { id } }'
        body = await api.gql(document, variables={"m": "OPTIMISED"})
        assert "Did you mean the enum value 'OPTIMIZED'?" in body["errors"][0]["message"]


@contextlib.asynccontextmanager
async def _graphql_ws(app: Any) -> AsyncIterator[AsyncWebSocketSession]:
    transport = ASGIWebSocketTransport(app=app)
    try:
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://hems.test") as client,
            aconnect_ws(
                "http://hems.test/graphql",
                client,
                subprotocols=["graphql-transport-ws"],
                session_class=AsyncWebSocketSession,
            ) as ws,
        ):
            yield ws
    finally:
        await transport.aclose()


class TestWebsocket:
    async def test_a_message_over_the_body_limit_closes_the_connection(self, api):
        limit = api.state.settings.MAX_BODY_BYTES
        init = {"type": "connection_init", "payload": {"p": "x" * (limit + 1)}}
        async with _graphql_ws(api.app) as ws:
            await ws.send_text(orjson.dumps(init).decode())
            with pytest.raises(WebSocketDisconnect) as closed:
                await ws.receive_text(timeout=10)
        assert closed.value.code == WS_MESSAGE_TOO_BIG

    async def test_a_fragment_bomb_subscribe_is_refused(self, api):
        token = await api.register("alice")
        bomb = fragment_chain(20, 3, on="Subscription", leaf="energyStats { timestamp }")
        init = {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
        subscribe = {"id": "1", "type": "subscribe", "payload": {"query": bomb}}
        async with _graphql_ws(api.app) as ws:
            await ws.send_text(orjson.dumps(init).decode())
            ack = orjson.loads(await ws.receive_text(timeout=10))
            assert ack["type"] == "connection_ack", ack
            await ws.send_text(orjson.dumps(subscribe).decode())
            message = orjson.loads(await ws.receive_text(timeout=10))
        assert message["type"] == "error", message
        assert "exceeds the maximum" in message["payload"][0]["message"]
