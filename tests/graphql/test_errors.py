"""Error codes on every GraphQL error; unexpected errors masked (no traceback or SQL)."""

from __future__ import annotations

import logging

import pytest
from graphql import GraphQLError, Visitor, parse, visit
from sqlalchemy import text

from app import models
from app.errors import BadUserInput, NotFound, Unauthenticated
from app.graphql.errors import INTERNAL_MESSAGE, ErrorCodes, classify, fields_of
from app.graphql.schema import MAX_TOKENS
from tests.graphql.helpers import CREATE, code, count, create_mutation, error, user_with_token

LEAKS = ("Traceback", "SELECT", "INSERT", "sqlite", "asyncpg", "sqlalchemy", 'File "', "hems_")


SECRET_DETAIL = "heater table refused: secret internal detail"

# A database-side failure the application cannot expect: a trigger that aborts every insert
# into `heater` (an integrity error carrying SQL and the trigger's text, not an outage).
SQLITE_TRIGGER = (
    "CREATE TRIGGER hems_test_refuse BEFORE INSERT ON heater "
    f"BEGIN SELECT RAISE(ABORT, '{SECRET_DETAIL}'); END"
)
POSTGRES_TRIGGER = [
    "CREATE FUNCTION hems_test_refuse() RETURNS trigger LANGUAGE plpgsql AS "
    f"$$ BEGIN RAISE EXCEPTION '{SECRET_DETAIL}' USING ERRCODE = '23514'; END $$",
    "CREATE TRIGGER hems_test_refuse BEFORE INSERT ON heater "
    "FOR EACH ROW EXECUTE FUNCTION hems_test_refuse()",
]
POSTGRES_UNDO = [
    "DROP TRIGGER IF EXISTS hems_test_refuse ON heater",
    "DROP FUNCTION IF EXISTS hems_test_refuse()",
]


@pytest.fixture
def failing_backend(request):
    """(backend name, API on it); resolved outside the event loop like `any_api`."""
    name = "api" if request.param == "postgres" else "api_sqlite"
    return request.param, request.getfixturevalue(name)


@pytest.fixture
async def failing_api(failing_backend):
    """The API whose database refuses every heater insert with an error of its own."""
    backend, target = failing_backend
    statements = POSTGRES_TRIGGER if backend == "postgres" else [SQLITE_TRIGGER]
    async with target.state.engine.begin() as conn:
        for statement in statements:
            await conn.execute(text(statement))
    try:
        yield target
    finally:
        if backend == "postgres":
            async with target.state.engine.begin() as conn:
                for statement in POSTGRES_UNDO:
                    await conn.execute(text(statement))


async def _create_heater(api):
    _, token = await user_with_token(api, "alice")
    return await api.client.post(
        "/graphql",
        json={"query": create_mutation("Heater"), "variables": {"input": CREATE["Heater"][2]}},
        headers={"authorization": f"Bearer {token}"},
    )


class TestUnexpectedErrorsAreMasked:
    @pytest.mark.parametrize("failing_backend", ["postgres", "sqlite"], indirect=True)
    async def test_database_failure_is_an_opaque_internal_error(self, failing_api):
        response = await _create_heater(failing_api)
        assert response.status_code == 200
        body = response.json()
        assert body["data"] is None
        assert error(body) == {
            "message": INTERNAL_MESSAGE,
            "locations": error(body)["locations"],
            "path": ["createHeater"],
            "extensions": {"code": "INTERNAL_SERVER_ERROR"},
        }
        for leak in (*LEAKS, "secret internal detail", "heater table"):
            assert leak not in response.text
        assert await count(failing_api, models.Heater) == 0

    @pytest.mark.parametrize("failing_backend", ["sqlite"], indirect=True)
    async def test_the_real_error_goes_to_the_server_log(self, failing_api, caplog):
        caplog.set_level(logging.ERROR, logger="hems.graphql")
        await _create_heater(failing_api)
        (record,) = [r for r in caplog.records if r.name == "hems.graphql"]
        assert record.exc_info is not None
        assert SECRET_DETAIL in str(record.exc_info[1])

    async def test_expected_errors_are_not_logged(self, api, caplog):
        caplog.set_level(logging.INFO, logger="hems.graphql")
        await api.gql("{ me { id } }")
        await api.gql("{ devices(kind: NOPE) { id } }")
        assert [r for r in caplog.records if r.name == "hems.graphql"] == []


class TestErrorCodes:
    def _process(self, error: GraphQLError) -> GraphQLError:
        (out,) = ErrorCodes()._process_errors([error])
        return out

    def test_runtime_error_is_replaced_by_the_generic_message(self):
        original = RuntimeError('SELECT password_hash FROM "user" -- at app/x.py line 3')
        masked = self._process(GraphQLError(str(original), original_error=original, path=["me"]))
        assert masked.message == INTERNAL_MESSAGE
        assert masked.extensions == {"code": "INTERNAL_SERVER_ERROR"}
        assert masked.original_error is None
        assert masked.path == ["me"]

    @pytest.mark.parametrize(
        ("exc", "expected"),
        [
            (BadUserInput("capacityWh", "must be greater than 0"), "BAD_USER_INPUT"),
            (NotFound("device 'x' not found"), "NOT_FOUND"),
            (Unauthenticated(), "UNAUTHENTICATED"),
        ],
    )
    def test_app_errors_keep_their_message_and_get_their_code(self, exc, expected):
        out = self._process(GraphQLError(exc.message, original_error=exc, path=["x"]))
        assert (out.message, out.extensions) == (exc.message, {"code": expected})
        assert out.original_error is None

    def test_without_a_document_a_bad_literal_keeps_its_message(self):
        # Without an execution context there is no document: the message stays as it was.
        out = self._process(GraphQLError("Value 'NOPE' does not exist in 'DeviceKind' enum."))
        assert (out.message, out.extensions) == (
            "Value 'NOPE' does not exist in 'DeviceKind' enum.",
            {"code": "BAD_USER_INPUT"},
        )


class TestClassify:
    @pytest.mark.parametrize(
        ("message", "expected"),
        [
            ("Syntax Error: Expected Name, found <EOF>.", "GRAPHQL_PARSE_FAILED"),
            ("Cannot query field 'nope' on type 'Query'.", "GRAPHQL_VALIDATION_FAILED"),
            ("Variable '$k' got invalid value 'NOPE'", "BAD_USER_INPUT"),
            ("Float cannot represent non numeric value: nan", "BAD_USER_INPUT"),
        ],
    )
    def test_graphql_core_errors(self, message, expected):
        assert classify(GraphQLError(message)) == expected

    def test_a_resolver_exception_mimicking_an_input_message_is_still_masked(self):
        original = ValueError("Expected value of type 'Float'")
        assert classify(GraphQLError(str(original), original_error=original)) is None


class TestFieldOf:
    def _error_at(self, document, value_text):
        """An error located on the first literal `value_text` of the document."""
        doc = parse(document)
        start = document.index(value_text)
        node = _find_value(doc, start)
        return doc, GraphQLError("bad", nodes=[node])

    def test_names_the_argument_of_a_bad_enum(self):
        doc, err = self._error_at("{ devices(kind: NOPE) { id } }", "NOPE")
        assert list(fields_of(doc, [err]).values()) == ["kind"]

    def test_names_the_input_field_of_a_bad_number(self):
        doc, err = self._error_at(
            'mutation { createBattery(input: { name: "b", capacityWh: "x" }) { id } }', '"x"'
        )
        assert list(fields_of(doc, [err]).values()) == ["capacityWh"]

    def test_without_a_document_names_nothing(self):
        assert fields_of(None, [GraphQLError("bad")]) == {}

    def test_one_walk_names_every_error(self):
        text = 'mutation { createBattery(input: { name: 7, capacityWh: "x" }) { id } }'
        doc, first = self._error_at(text, "7")
        _, second = self._error_at(text, '"x"')
        second = GraphQLError("bad", nodes=[_find_value(doc, text.index('"x"'))])
        assert sorted(fields_of(doc, [first, second]).values()) == ["capacityWh", "name"]


def _find_value(document, start):
    found = []

    class Finder(Visitor):
        def enter(self, node, *_):
            if node.loc is not None and node.loc.start == start and node.kind.endswith("_value"):
                found.append(node)

    visit(document, Finder())
    return found[0]


class TestErrorsThroughTheApi:
    async def test_syntax_error_is_parse_failed(self, api):
        assert code(await api.gql("{ me {")) == "GRAPHQL_PARSE_FAILED"

    async def test_unknown_field_is_validation_failed(self, api):
        assert code(await api.gql("{ nope }")) == "GRAPHQL_VALIDATION_FAILED"

    async def test_too_many_aliases_are_refused(self, api):
        query = "{ " + " ".join(f"a{i}: __typename" for i in range(31)) + " }"
        body = await api.gql(query)
        assert body.get("data") is None
        assert code(body) == "GRAPHQL_VALIDATION_FAILED"

    async def test_thirty_aliases_are_allowed(self, api):
        query = "{ " + " ".join(f"a{i}: __typename" for i in range(30)) + " }"
        body = await api.gql(query)
        assert len(body["data"]) == 30

    async def test_oversized_documents_are_refused(self, api):
        body = await api.gql("{ " + "__typename " * (MAX_TOKENS + 1) + "}")
        assert body.get("data") is None
        assert code(body) == "GRAPHQL_PARSE_FAILED"
        assert f"{MAX_TOKENS} tokens" in error(body)["message"]
