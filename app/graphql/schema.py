"""The served schema: Query, Mutation, every concrete device type, error codes and caches."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

import strawberry
from graphql.error import GraphQLError
from strawberry.types import ExecutionContext

from app.errors import AppError, ServiceUnavailable
from app.graphql.errors import classify, log_unexpected
from app.graphql.extension import HemsExtension
from app.graphql.mutations import Mutation
from app.graphql.queries import Query
from app.graphql.subscriptions import Subscription
from app.graphql.types.device import CONCRETE_TYPES
from app.pipeline.batch import is_transient

logger = logging.getLogger("hems.graphql")

#: Tokens the parser reads before refusing a document (the shape, depth, alias and cost
#: limits live in app.security.cost and run in the extension before the standard rules).
MAX_TOKENS = 1_000


class HemsSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # A database or Redis that does not answer is an outage, not a bug: the client gets
        # SERVICE_UNAVAILABLE (retry later) instead of a masked internal error.
        for error in errors:
            original = error.original_error
            if (
                original is not None
                and not isinstance(original, AppError)
                and is_transient(original)
            ):
                logger.warning("backing service unavailable", exc_info=original)
                error.original_error = ServiceUnavailable("service unavailable, retry shortly")
        # Expected errors (bad input, not found, auth) are the client's business, not log noise.
        log_unexpected(errors)
        # With ParserCache, a syntax error (or the token limit) skips the extension's operation
        # teardown, so its error codes never see it: give such expected errors their code here.
        for error in errors:
            code = classify(error)
            if code is not None and "code" not in (error.extensions or {}):
                error.extensions = {**(error.extensions or {}), "code": code}


def build_schema(*, introspection: bool = True, **kwargs: Any) -> strawberry.Schema:
    from graphql.validation import NoSchemaIntrospectionCustomRule

    # One extension, built per operation by Strawberry (see app.graphql.extension). The rules
    # are the same class objects on every request, so the validation cache's key repeats.
    # Without introspection, suggestions are hidden too: they would name hidden fields.
    rules: tuple[Any, ...] = () if introspection else (NoSchemaIntrospectionCustomRule,)
    extensions: list[Any] = [partial(HemsExtension, rules, MAX_TOKENS, not introspection)]
    return HemsSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=list(CONCRETE_TYPES),
        extensions=extensions,
        **kwargs,
    )


schema = build_schema()
