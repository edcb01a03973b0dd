"""Contracts with the private or undocumented library parts HEMS relies on for speed.

Each was a measured win (docs/performance.md) and each can change in any release, above all in
strawberry-graphql's 0.x minors. pyproject.toml pins the series these tests pass on; when an
upgrade breaks one, the failure names the internal and the HEMS file that uses it, so that file
is re-checked (or moved to a public API) before the upgrade ships.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Callable
from typing import Any

import pytest
import strawberry
from graphql import GraphQLError, GraphQLSchema, parse, specified_rules, validate
from graphql.validation import ASTValidationRule
from redis.asyncio import ConnectionPool
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import NoScriptError, ResponseError


def broke(internal: str, used_by: str, what: str) -> str:
    """The failure message: which internal changed, who relies on it, and how."""
    return (
        f"library internal `{internal}` (relied on by {used_by}) changed: {what}. "
        f"Re-check {used_by} against this library version, or pin the previous one."
    )


def params(fn: Callable[..., Any]) -> list[str]:
    return [p for p in inspect.signature(fn).parameters if p != "self"]


BACKENDS = "app/live/backends.py"
ERRORS = "app/graphql/errors.py"
EXTENSION = "app/graphql/extension.py"
SCHEMA = "app/graphql/schema.py"
ASGI = "app/graphql/asgi.py"
SUBSCRIPTIONS = "app/graphql/subscriptions.py"


# --- redis-py ------------------------------------------------------------------------------------


class TestRedisPool:
    async def test_get_available_connection_hands_out_a_connection_without_awaiting(self, redis):
        internal = "redis.asyncio.ConnectionPool.get_available_connection"
        fn = getattr(ConnectionPool, "get_available_connection", None)
        assert fn is not None, broke(internal, BACKENDS, "it is gone")
        assert not inspect.iscoroutinefunction(fn), broke(internal, BACKENDS, "it is now async")
        assert params(fn) == [], broke(internal, BACKENDS, f"it takes {params(fn)}")
        await redis.set("contract:k", b"v")
        pool = redis.connection_pool
        conn = pool.get_available_connection()
        assert isinstance(conn, AbstractConnection), broke(
            internal, BACKENDS, f"it returns {type(conn).__name__}"
        )
        try:
            await conn.send_command("MGET", "contract:k", "contract:missing")
            reply = await conn.read_response()
        finally:
            await pool.release(conn)
        assert reply == [b"v", None], broke(
            "redis.asyncio.Connection.send_command/read_response", BACKENDS, f"MGET gave {reply}"
        )

    async def test_get_connection_takes_no_command_name(self, redis):
        internal = "redis.asyncio.ConnectionPool.get_connection()"
        pool = redis.connection_pool
        try:
            conn = await pool.get_connection()
        except TypeError as exc:
            pytest.fail(broke(internal, BACKENDS, f"calling it without arguments fails: {exc}"))
        await pool.release(conn)

    async def test_read_response_raises_script_errors_of_packed_commands(self, redis):
        internal = "redis.asyncio.Connection.send_packed_command/read_response"
        pool = redis.connection_pool
        conn = await pool.get_connection()
        sha = b"0" * 40
        try:
            await conn.send_packed_command(b"*3\r\n$7\r\nEVALSHA\r\n$40\r\n%b\r\n$1\r\n0\r\n" % sha)
            with pytest.raises(ResponseError) as raised:
                await conn.read_response()
        finally:
            await pool.release(conn)
        assert isinstance(raised.value, NoScriptError), broke(
            internal, BACKENDS, f"an unknown script raised {type(raised.value).__name__}"
        )

    async def test_a_registered_script_knows_its_sha_without_a_round_trip(self, redis):
        script = redis.register_script("return 1")
        sha = getattr(script, "sha", None)
        assert isinstance(sha, str), broke("redis.asyncio AsyncScript.sha", BACKENDS, repr(sha))
        assert len(sha) == 40, broke("redis.asyncio AsyncScript.sha", BACKENDS, repr(sha))


# --- Strawberry: error masking -------------------------------------------------------------------


def _failing_schema(extension: Any = None) -> strawberry.Schema:
    @strawberry.type
    class Query:
        @strawberry.field
        def boom(self) -> int:
            raise RuntimeError("secret detail")

    return strawberry.Schema(query=Query, extensions=[] if extension is None else [extension])


class TestMaskErrors:
    def test_constructor_takes_error_message(self):
        from strawberry.extensions import MaskErrors

        assert "error_message" in params(MaskErrors.__init__), broke(
            "strawberry.extensions.MaskErrors.__init__(error_message=)", ERRORS, "no such argument"
        )

    async def test_operation_results_go_through_process_result_and_process_errors(self):
        from strawberry.extensions import MaskErrors

        calls: list[str] = []

        class Probe(MaskErrors):
            def _process_result(self, result: object) -> None:
                calls.append("_process_result")
                super()._process_result(result)

            def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
                calls.append("_process_errors")
                return [GraphQLError("masked", nodes=e.nodes, path=e.path) for e in errors]

        result = await _failing_schema(Probe).execute("{ boom }")
        assert calls == ["_process_result", "_process_errors"], broke(
            "strawberry.extensions.MaskErrors._process_result/_process_errors",
            f"{ERRORS} (ErrorCodes) and {EXTENSION}",
            f"an operation's result went through {calls}",
        )
        assert result.errors is not None
        assert [e.message for e in result.errors] == ["masked"]

    def test_stream_results_set_the_processed_flag(self):
        from strawberry.extensions import MaskErrors

        internal = "strawberry.extensions.MaskErrors._stream_result_processed / on_stream_result"
        ext = MaskErrors()
        assert ext._stream_result_processed is False, broke(internal, EXTENSION, "no flag")
        hook = getattr(ext, "on_stream_result", None)
        assert hook is not None, broke(internal, EXTENSION, "no on_stream_result hook")
        for _ in hook(type("R", (), {"errors": None})()):
            pass
        assert ext._stream_result_processed is True, broke(internal, EXTENSION, "flag not set")


def _strawberry_rules() -> tuple[type[ASTValidationRule], ...]:
    from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
    from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

    return (MaybeNullValidationRule, OneOfInputValidationRule)


# --- Strawberry: parsing and validation ----------------------------------------------------------


class TestValidation:
    def test_schema_exposes_its_graphql_core_schema(self):
        schema = _failing_schema()
        graphql_schema = getattr(schema, "_schema", None)
        assert isinstance(graphql_schema, GraphQLSchema), broke(
            "strawberry.Schema._schema", EXTENSION, f"it is {type(graphql_schema).__name__}"
        )

    def test_strawberry_adds_exactly_the_two_rules_hems_adds_itself(self):
        # HEMS calls graphql-core's `validate` itself (after its own limits) with the two rules
        # Strawberry's `validate_document` appends; a rule Strawberry adds later would be missed.
        from strawberry.schema import schema as schema_module

        internal = "strawberry.schema.schema.validate_document (the rules it appends)"
        fn = getattr(schema_module, "validate_document", None)
        assert fn is not None, broke(internal, EXTENSION, "it is gone")
        source = inspect.getsource(fn)
        body = source.split("-> list[GraphQLError]:", 1)[-1]  # after the signature's types
        appended = sorted(set(re.findall(r"\b(\w+ValidationRule)\b", body)))
        assert appended == ["MaybeNullValidationRule", "OneOfInputValidationRule"], broke(
            internal, EXTENSION, f"it now appends {appended}"
        )

    def test_the_two_rules_import_from_where_hems_imports_them(self):
        for module, name in (
            ("strawberry.schema.validation_rules.maybe_null", "MaybeNullValidationRule"),
            ("strawberry.schema.validation_rules.one_of", "OneOfInputValidationRule"),
        ):
            internal = f"{module}.{name}"
            try:
                rule = getattr(importlib.import_module(module), name)
            except (ImportError, AttributeError) as exc:
                pytest.fail(broke(internal, EXTENSION, f"cannot import it: {exc}"))
            assert isinstance(rule, type), broke(internal, EXTENSION, repr(rule))
            assert issubclass(rule, ASTValidationRule), broke(internal, EXTENSION, repr(rule))
        schema = _failing_schema()
        errors = validate(
            schema._schema,
            parse("{ boom }"),
            (*specified_rules, *_strawberry_rules()),
        )
        assert errors == [], broke("Strawberry validation rules", EXTENSION, str(errors))

    def test_execution_context_fields_the_extension_sets(self):
        from strawberry.types import ExecutionContext

        fields = set(ExecutionContext.__dataclass_fields__)
        wanted = {"query", "variables", "parse_options", "validation_rules", "graphql_document"}
        wanted |= {"pre_execution_errors", "result", "schema"}
        assert wanted <= fields, broke(
            "strawberry.types.ExecutionContext fields", EXTENSION, f"missing {wanted - fields}"
        )

    def test_process_errors_hook_of_the_schema(self):
        from strawberry.schema.base import BaseSchema

        assert params(BaseSchema.process_errors) == ["errors", "execution_context"], broke(
            "strawberry.Schema.process_errors", SCHEMA, f"takes {params(BaseSchema.process_errors)}"
        )


# --- Strawberry: the HTTP view -------------------------------------------------------------------


class TestHttpView:
    async def test_process_result_turns_a_result_into_the_response_body(self):
        from strawberry.http import process_result

        result = await _failing_schema().execute("{ boom }")
        body = process_result(result)
        assert isinstance(body, dict), broke("strawberry.http.process_result", ASGI, repr(body))
        assert set(body) >= {"data", "errors"}, broke(
            "strawberry.http.process_result", ASGI, f"keys {sorted(body)}"
        )
        errors: Any = body["errors"]
        assert errors[0]["path"] == ["boom"]

    def test_schema_execute_takes_the_arguments_of_the_direct_post_path(self):
        wanted = ["allowed_operation_types", "operation_extensions"]
        have = params(strawberry.Schema.execute)
        assert all(w in have for w in wanted), broke(
            "strawberry.Schema.execute(allowed_operation_types=, operation_extensions=)",
            ASGI,
            f"its parameters are {have}",
        )

    def test_operation_errors_give_their_http_reasons(self):
        from strawberry.exceptions import MissingQueryError
        from strawberry.schema.exceptions import (
            CannotGetOperationTypeError,
            InvalidOperationTypeError,
        )
        from strawberry.types.graphql import OperationType

        assert issubclass(MissingQueryError, Exception)
        cannot = CannotGetOperationTypeError("op")
        assert isinstance(cannot.as_http_error_reason(), str), broke(
            "strawberry CannotGetOperationTypeError.as_http_error_reason()", ASGI, "changed"
        )
        invalid = InvalidOperationTypeError(OperationType.SUBSCRIPTION)
        assert "POST" in invalid.as_http_error_reason("POST"), broke(
            "strawberry InvalidOperationTypeError.as_http_error_reason(method)", ASGI, "changed"
        )
        post = OperationType.from_http("POST")
        assert {OperationType.QUERY, OperationType.MUTATION} <= post, broke(
            "strawberry OperationType.from_http", ASGI, f"POST allows {post}"
        )

    def test_view_hooks_overridden_by_hems(self):
        from strawberry.asgi import GraphQL
        from strawberry.http import async_base_view

        for name, used_by in (
            ("decode_json", ASGI),
            ("encode_json", ASGI),
            ("parse_json", ASGI),
            ("on_ws_connect", SUBSCRIPTIONS),
            ("run", SUBSCRIPTIONS),
        ):
            assert callable(getattr(GraphQL, name, None)), broke(
                f"strawberry.asgi.GraphQL.{name}", used_by, "it is gone"
            )
        assert params(GraphQL.run)[:3] == ["request", "context", "root_value"], broke(
            "strawberry.asgi.GraphQL.run", SUBSCRIPTIONS, f"takes {params(GraphQL.run)}"
        )
        # HemsGraphQL.parse_json refuses JSON scalars: the view must still decode bodies with it.
        source = inspect.getsource(async_base_view)
        assert "self.parse_json(" in source, broke(
            "strawberry AsyncBaseHTTPView calling self.parse_json", ASGI, "no longer called"
        )
