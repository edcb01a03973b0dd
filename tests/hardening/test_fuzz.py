"""Schema fuzzing with hypothesis-graphql against a real server (uvicorn, PostgreSQL, Redis).

Random valid operations (and operations with one schema violation), with and without a token:
never a 5xx, never a stack trace or SQL, never a byte of another user's data. Bob is the victim:
his device ids are fed to every ID argument, so `device`, `renameDevice` and `deleteDevice` are
tried on them; afterwards his devices must be exactly as they were.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import uvicorn
from graphql import GraphQLScalarType
from graphql import build_schema as parse_sdl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, nodes, queries

from app.graphql.schema import schema as served_schema
from app.main import create_app
from tests.fixtures.app import make_settings
from tests.servers import free_port

SDL = parse_sdl(served_schema.as_str())
BUILT_IN = {"Int", "Float", "String", "ID", "Boolean"}
LEAKS = re.compile(
    r"Traceback|File \"/|sqlalchemy|asyncpg|psycopg|\b(SELECT|INSERT|UPDATE|DELETE) "
)
DEVICE_FIELDS = "id name kind"
CREATE = """mutation($n: String!) {
  createBattery(input: {name: $n, capacityWh: 10000}) { id }
  createHeater(input: {name: $n, ratedPowerW: 1500}) { id }
}"""
# Seeded: every run, in CI or not, tries the same operations for a given schema, so a run is
# reproducible and no assertion below can depend on which operations happened to be drawn.
FUZZ = settings(
    max_examples=40,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def server(pg_server: Any, redis_server: Any, database_url: str, redis_url: str) -> Iterator[str]:
    """A real uvicorn server in a thread, with its own connections (lifespan)."""
    app = create_app(
        make_settings(
            DATABASE_URL=database_url,
            REDIS_URL=redis_url,
            LOGIN_MAX_FAILURES_PER_ADDRESS=100_000,
            REQUEST_TIMEOUT_S=30,
        )
    )
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not instance.started:
        assert thread.is_alive(), "server crashed on start"
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        instance.should_exit = True
        thread.join(30)


class Client:
    def __init__(self, base: str) -> None:
        self.http = httpx.Client(base_url=base, timeout=60)

    def post(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )

    def ok(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        body = self.post(query, variables, token).json()
        assert body.get("errors") is None, body
        data: dict[str, Any] = body["data"]
        return data

    def register(self, username: str) -> str:
        data = self.ok(
            'mutation($u: String!) { registerUser(username: $u, password: "correct horse") '
            "{ token } }",
            {"u": username},
        )
        token: str = data["registerUser"]["token"]
        return token


@pytest.fixture(scope="module")
def homes(server: str) -> dict[str, Any]:
    client = Client(server)
    tag = uuid.uuid4().hex[:8]
    alice, bob = f"alice-{tag}", f"bob-{tag}"
    tokens = {alice: client.register(alice), bob: client.register(bob)}
    secret_name = f"bobs-secret-{tag}"
    client.ok(CREATE, {"n": "alice-device"}, tokens[alice])
    client.ok(CREATE, {"n": secret_name}, tokens[bob])
    bob_devices = client.ok(f"{{ devices {{ {DEVICE_FIELDS} }} }}", token=tokens[bob])["devices"]
    alice_ids = [d["id"] for d in client.ok("{ devices { id } }", token=tokens[alice])["devices"]]
    return {
        "client": client,
        "alice": tokens[alice],
        "bob": tokens[bob],
        "bob_devices": bob_devices,
        "secrets": [bob, secret_name, *(d["id"] for d in bob_devices)],
        "ids": alice_ids + [d["id"] for d in bob_devices],
    }


def _scalar_strategies() -> dict[str, st.SearchStrategy[Any]]:
    """Values for the schema's own scalars: mostly well-formed, some not."""
    moments = st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    )
    known = {
        "DateTime": moments.map(lambda d: d.isoformat()) | st.text(max_size=30),
        "Date": moments.map(lambda d: d.date().isoformat()) | st.text(max_size=12),
    }
    out = {}
    for name, type_ in SDL.type_map.items():
        if (
            isinstance(type_, GraphQLScalarType)
            and name not in BUILT_IN
            and not name.startswith("__")
        ):
            out[name] = known.get(name, st.text(max_size=30)).map(nodes.String)
    return out


#: Mutations that end the caller's own session (every later signed-in operation would be
#: UNAUTHENTICATED): fuzzed without a token only.
SESSION_ENDING = {"logout", "changePassword", "deleteAccount"}
assert SDL.mutation_type is not None
SIGNED_IN_MUTATIONS = sorted(set(SDL.mutation_type.fields) - SESSION_ENDING)


def _strategies(
    homes: dict[str, Any], mode: Mode, *, signed_in: bool = True
) -> st.SearchStrategy[str]:
    ids = st.sampled_from([*homes["ids"], "nope", str(uuid.UUID(int=0))]).map(nodes.String)
    custom = {**_scalar_strategies(), "ID": ids}
    fields = SIGNED_IN_MUTATIONS if signed_in else None
    return queries(SDL, custom_scalars=custom, mode=mode) | mutations(
        SDL, fields=fields, custom_scalars=custom, mode=mode
    )


def check(homes: dict[str, Any], query: str, token: str | None) -> dict[str, Any]:
    response = homes["client"].post(query, token=token)
    assert response.status_code < 500, (query, response.text)
    text = response.text
    assert not LEAKS.search(text), (query, text)
    for secret in homes["secrets"]:
        # Bob's ids may be echoed back only when the request itself named them.
        assert secret not in text or secret in query, (query, text)
    body: dict[str, Any] = response.json()
    for error in body.get("errors") or []:
        assert error.get("extensions", {}).get("code"), (query, error)
    return body


class TestFuzz:
    @FUZZ
    @given(data=st.data())
    def test_as_a_signed_in_user(self, homes, data):
        check(homes, data.draw(_strategies(homes, Mode.POSITIVE)), homes["alice"])

    @FUZZ
    @given(query=queries(SDL, fields=["me"]))
    def test_reads_as_a_signed_in_user(self, homes, query):
        """Generated selections of `me` (no arguments anywhere): each one must be answered.

        This is the fuzzing's proof that a signed-in operation reaches the resolvers, by
        construction of the generated set rather than by how many random operations succeed.
        """
        body = check(homes, query, homes["alice"])
        assert body.get("errors") is None, (query, body)
        assert body["data"]["me"], (query, body)

    @FUZZ
    @given(data=st.data())
    def test_without_a_token(self, homes, data):
        body = check(homes, data.draw(_strategies(homes, Mode.POSITIVE, signed_in=False)), None)
        for error in body.get("errors") or []:
            assert error["extensions"]["code"] != "INTERNAL_SERVER_ERROR", error

    @FUZZ
    @given(data=st.data())
    def test_invalid_operations(self, homes, data):
        body = check(homes, data.draw(_strategies(homes, Mode.NEGATIVE)), homes["alice"])
        assert body.get("errors"), body

    def test_zz_bob_is_untouched(self, homes):
        """Runs last in this module: nothing the fuzzers did reached Bob's home."""
        client = homes["client"]
        devices = client.ok(f"{{ devices {{ {DEVICE_FIELDS} }} }}", token=homes["bob"])["devices"]
        assert devices == homes["bob_devices"]
        for device in homes["bob_devices"]:
            body = client.post(
                "query($id: ID!) { device(id: $id) { id } }", {"id": device["id"]}, homes["alice"]
            ).json()
            assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
