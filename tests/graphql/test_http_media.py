"""GraphQL over HTTP: `application/graphql-response+json` for the clients that ask for it.

The same checks as the GraphQL-over-HTTP audit's (`graphql-http`) for this media type; clients
that accept `application/json` keep today's answers (status 200 with a `data` entry).
"""

from __future__ import annotations

import pytest

from app.graphql.media import GRAPHQL_RESPONSE, _preference

GR = {"accept": GRAPHQL_RESPONSE}
JSON = {"accept": "application/json"}


async def _post(api, body, headers):
    return await api.client.post("/graphql", json=body, headers=headers)


class TestGraphqlResponseMediaType:
    async def test_a_result_is_200_with_the_media_type(self, api):
        response = await _post(api, {"query": "{ __typename }"}, GR)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
        assert response.json() == {"data": {"__typename": "Query"}}

    @pytest.mark.parametrize(
        ("body", "why"),
        [
            ({"query": "{"}, "parse"),
            ({"query": "{ nope }"}, "validation"),
            (
                {
                    "query": "query($k: DeviceKind) { devices(kind: $k) { id } }",
                    "variables": {"k": "NOPE"},
                },
                "variables",
            ),
        ],
    )
    async def test_request_errors_are_400_without_data(self, api, body, why):
        response = await _post(api, body, GR)
        assert response.status_code == 400, why
        assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
        decoded = response.json()
        assert "data" not in decoded
        assert decoded["errors"]

    async def test_a_field_error_keeps_200_and_data(self, api):
        response = await _post(api, {"query": "{ me { id } }"}, GR)
        assert response.status_code == 200
        decoded = response.json()
        assert "data" in decoded
        assert decoded["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    async def test_get_requests_follow_it_too(self, api):
        response = await api.client.get("/graphql", params={"query": "{ nope }"}, headers=GR)
        assert response.status_code == 400
        assert "data" not in response.json()

    @pytest.mark.parametrize("headers", [JSON, {}, {"accept": "*/*"}])
    async def test_application_json_clients_see_no_change(self, api, headers):
        response = await _post(api, {"query": "{ nope }"}, headers)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")
        assert response.json()["data"] is None


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE}, application/json", GRAPHQL_RESPONSE),
        (f"application/json, {GRAPHQL_RESPONSE}", "application/json"),
        (f"application/json;q=0.9, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE};q=0, application/json", "application/json"),
        (f"{GRAPHQL_RESPONSE};q=bad", None),
        ("text/html", None),
    ],
)
def test_accept_preference(accept, chosen):
    assert _preference(accept) == chosen
