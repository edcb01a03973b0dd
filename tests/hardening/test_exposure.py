"""What the API reveals: introspection/GraphiQL per environment, masked errors, headers, CORS."""

from __future__ import annotations

import pytest

from app.repositories.device import DeviceRepository
from tests.hardening.conftest import error_code

INTROSPECTION = "{ __schema { queryType { name } } }"


class TestEnvironments:
    async def test_development_serves_graphiql_and_introspection(self, make_api):
        async with make_api(HEMS_ENV="development") as api:
            page = await api.client.get("/graphql", headers={"accept": "text/html"})
            body = await api.gql(INTROSPECTION)
        assert page.status_code == 200
        assert "graphiql" in page.text.lower()
        assert body == {"data": {"__schema": {"queryType": {"name": "Query"}}}}

    async def test_production_serves_neither(self, make_api):
        async with make_api(HEMS_ENV="production") as api:
            page = await api.client.get("/graphql", headers={"accept": "text/html"})
            body = await api.gql(INTROSPECTION)
        assert page.status_code != 200
        assert "graphiql" not in page.text.lower()
        assert body["data"] is None
        assert "introspection" in body["errors"][0]["message"].lower()
        assert {e["extensions"]["code"] for e in body["errors"]} == {"GRAPHQL_VALIDATION_FAILED"}

    async def test_production_can_opt_back_in(self, make_api):
        async with make_api(HEMS_ENV="production", INTROSPECTION=True) as api:
            body = await api.gql(INTROSPECTION)
        assert body.get("errors") is None


class TestMasking:
    @pytest.mark.parametrize("env", ["production", "test"])
    async def test_an_unexpected_failure_reveals_nothing(self, make_api, monkeypatch, env):
        async def explode(self, *args, **kwargs):
            raise RuntimeError('SELECT password_hash FROM "user" -- connection to 10.0.0.5 lost')

        monkeypatch.setattr(DeviceRepository, "records_for_owner", explode)
        async with make_api(HEMS_ENV=env) as api:
            token = await api.register("alice")
            response = await api.client.post(
                "/graphql",
                json={"query": "{ devices { id } }"},
                headers={"Authorization": f"Bearer {token}"},
            )
        assert response.status_code == 200
        body = response.json()
        assert body["errors"][0]["message"] == "Internal server error"
        assert error_code(body) == "INTERNAL_SERVER_ERROR"
        for leak in ("SELECT", "password_hash", "10.0.0.5", "Traceback", "RuntimeError"):
            assert leak not in response.text


class TestSecurityHeaders:
    async def test_json_answers_carry_the_headers(self, api):
        response = await api.client.post("/graphql", json={"query": "{ __typename }"})
        headers = response.headers
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
        assert headers["cache-control"] == "no-store"
        assert "strict-transport-security" not in headers  # only in production (behind TLS)

    async def test_graphiql_runs_only_its_own_scripts_and_cannot_be_framed(self, make_api):
        async with make_api(HEMS_ENV="development") as api:
            page = await api.client.get("/graphql", headers={"accept": "text/html"})
        csp = page.headers["content-security-policy"]
        assert "script-src 'self';" in csp
        assert "connect-src 'self';" in csp
        assert "frame-ancestors 'none'" in csp
        assert page.headers["x-frame-options"] == "DENY"

    async def test_production_adds_hsts_and_errors_get_headers_too(self, make_api):
        async with make_api(HEMS_ENV="production", MAX_BODY_BYTES=1024) as api:
            response = await api.client.post("/graphql", content=b"x" * 2048)
        assert response.status_code == 413
        assert response.headers["strict-transport-security"].startswith("max-age=")
        assert response.headers["x-content-type-options"] == "nosniff"


class TestCors:
    async def test_only_configured_origins_are_allowed(self, make_api):
        spa = "https://app.hems.example"
        async with make_api(CORS_ORIGINS=spa) as api:
            preflight = {"access-control-request-method": "POST"}
            allowed = await api.client.options(
                "/graphql",
                headers={
                    "origin": spa,
                    **preflight,
                    "access-control-request-headers": "authorization",
                },
            )
            refused = await api.client.options(
                "/graphql", headers={"origin": "https://evil.example", **preflight}
            )
            simple = await api.client.post(
                "/graphql", json={"query": "{ __typename }"}, headers={"origin": spa}
            )
        assert allowed.headers["access-control-allow-origin"] == spa
        assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
        assert "access-control-allow-origin" not in refused.headers
        assert simple.headers["access-control-allow-origin"] == spa

    async def test_no_origin_is_allowed_by_default(self, api):
        response = await api.client.post(
            "/graphql", json={"query": "{ __typename }"}, headers={"origin": "https://x.example"}
        )
        assert "access-control-allow-origin" not in response.headers
