"""The served schema: Query, Mutation, every concrete device type, error codes and caches."""

from __future__ import annotations

import logging
from typing import Any

import strawberry
from graphql.error import GraphQLError
from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.types import ExecutionContext

from app.api.metrics import GraphQLMetrics
from app.errors import AppError, ServiceUnavailable
from app.graphql.errors import ErrorCodes, classify, log_unexpected
from app.graphql.mutations import Mutation
from app.graphql.queries import Query
from app.graphql.subscriptions import Subscription
from app.graphql.types.device import CONCRETE_TYPES
from app.pipeline.batch import is_transient
from app.security.cost import CostLimit

logger = logging.getLogger("hems.graphql")

MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 2_000


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
        # With ParserCache, a syntax error (or the token limit) skips the extensions' operation
        # teardown, so ErrorCodes never sees it: give such expected errors their code here.
        for error in errors:
            code = classify(error)
            if code is not None and "code" not in (error.extensions or {}):
                error.extensions = {**(error.extensions or {}), "code": code}


def build_schema(*, introspection: bool = True, **kwargs: Any) -> strawberry.Schema:
    from graphql.validation import NoSchemaIntrospectionCustomRule
    from strawberry.extensions import AddValidationRules

    # Factories, not instances: Strawberry builds fresh extensions per request. The parser and
    # validation caches live at module level, so they are still shared by every request;
    # parsing and validating the same query text dominates small requests.
    extensions: list[Any] = [
        GraphQLMetrics,
        lambda: ParserCache(maxsize=256),
        lambda: ValidationCache(maxsize=256),
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: AddValidationRules([CostLimit]),
        ErrorCodes,
    ]
    if not introspection:
        extensions.append(lambda: AddValidationRules([NoSchemaIntrospectionCustomRule]))
    return HemsSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=list(CONCRETE_TYPES),
        extensions=extensions,
        **kwargs,
    )


schema = build_schema()
