"""JSON POSTs take HEMS's direct path; every answer equals the one of Strawberry's own view.

`Accept: multipart/...` (not a streaming transport Strawberry knows) sends the same request
through Strawberry's generic view, so both paths can be compared byte for byte.
"""

from __future__ import annotations

import orjson
import pytest

from tests.graphql.helpers import user_with_token

GENERIC = {"accept": "application/json, multipart/x-hems-generic"}

BODIES: list[bytes] = [
    b'{"query": "{ energyStats { currentProduction netGridFlow timestamp } }"}',
    b'{"query": "{ devices { id name kind live { powerW } } }", "variables": null}',
    b'{"query": "query Q($k: DeviceKind) { devices(kind: $k) { id } }", '
    b'"variables": {"k": "NOPE"}}',
    b'{"query": "query A { me { username } } query B { devices { id } }", "operationName": "B"}',
    b'{"query": "query A { me { username } }", "operationName": "Missing"}',
    b'{"query": "query A { me { username } } query B { devices { id } }"}',
    b'{"query": "{ me { username "}',
    b'{"query": "{ nope }"}',
    b'{"query": ""}',
    b'{"query": null}',
    b'{"variables": {}}',
    b'{"query": 3}',
    b'{"query": "{ me { id } }", "variables": []}',
    b'{"query": "{ me { id } }", "extensions": "x"}',
    b'{"query": "subscription { energyStats { netGridFlow } }"}',
    b'{"query": "mutation { deleteDevice(id: \\"00000000-0000-0000-0000-000000000000\\") }"}',
    b"{not json",
    b'{"query": "{ me { id } }", "variables": {"x": NaN}}',
    b'{"query": "query($id: ID!) { device(id: $id) { id } }", '
    b'"variables": {"id": 123456789012345678901234567890}}',
    b'\xef\xbb\xbf{"query": "{ me { id } }"}',
    b"",
    b'"{ me { id } }"',
    b"3",
    b"null",
]


@pytest.mark.parametrize("body", [b'"{ me { id } }"', b"3", b"null", b"true"])
async def test_a_body_that_is_not_a_json_object_is_a_client_error(api, body):
    answer = await api.client.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    assert answer.status_code == 400
    assert answer.text == "The GraphQL request must be a JSON object."


@pytest.mark.parametrize("body", BODIES)
@pytest.mark.parametrize("authenticated", [True, False])
async def test_direct_and_generic_paths_answer_alike(api, body, authenticated):
    headers = {"content-type": "application/json"}
    if authenticated:
        _, token = await user_with_token(api, "ada")
        headers["authorization"] = f"Bearer {token}"
    direct = await api.client.post("/graphql", content=body, headers=headers)
    generic = await api.client.post("/graphql", content=body, headers={**headers, **GENERIC})
    assert direct.status_code == generic.status_code
    assert [h for h in direct.headers.raw if h[0] != b"x-request-id"] == [
        h for h in generic.headers.raw if h[0] != b"x-request-id"
    ]
    assert direct.content == generic.content


async def test_content_type_parameters_and_form_posts(api):
    _, token = await user_with_token(api, "ada")
    auth = {"authorization": f"Bearer {token}"}
    query = orjson.dumps({"query": "{ me { username } }"})
    with_charset = await api.client.post(
        "/graphql",
        content=query,
        headers={**auth, "content-type": "application/json; charset=utf-8"},
    )
    assert with_charset.json() == {"data": {"me": {"username": "ada"}}}
    form = await api.client.post(
        "/graphql", content=query, headers={**auth, "content-type": "text/plain"}
    )
    assert form.status_code == 400
    assert form.text == "Unsupported content type"


async def test_only_plain_json_posts_take_the_direct_path(api, monkeypatch):
    from app.graphql.asgi import HemsGraphQL

    generic_runs: list[str] = []
    run = HemsGraphQL.run

    async def counting_run(self, request, *args, **kwargs):
        generic_runs.append(request.method)
        return await run(self, request, *args, **kwargs)

    monkeypatch.setattr(HemsGraphQL, "run", counting_run)
    _, token = await user_with_token(api, "ada")
    headers = {"content-type": "application/json", "authorization": f"Bearer {token}"}
    body = orjson.dumps({"query": "{ me { username } }"})
    direct = await api.client.post("/graphql", content=body, headers=headers)
    assert direct.json() == {"data": {"me": {"username": "ada"}}}
    assert generic_runs == []
    await api.client.post("/graphql", content=body, headers={**headers, **GENERIC})
    await api.client.post("/graphql", content=b"{not json", headers=headers)
    await api.client.get("/graphql", params={"query": "{ me { username } }"}, headers=headers)
    assert generic_runs == ["POST", "POST", "GET"]
