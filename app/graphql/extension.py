"""The one schema extension of HEMS: limits, parse and validation caches, error codes, metrics.

Strawberry builds every extension afresh for each operation and, per lifecycle step, looks up
and wraps each extension's hook in a context manager. With eight small extensions that
bookkeeping (32 hook lookups and 8 generator context managers per request) cost more than
parsing and validating, which the caches already skip. One extension with the same steps, in
the same order, does the same work with one hook per step.

What it does, in the order the separate extensions did it:

- limits: the token limit for the parser, then `app.security.cost.check_limits` (shape, depth,
  aliases, cost: each linear in the document) *before* the standard validation rules, which
  run only on documents within those limits (some of them are quadratic in the document); when
  introspection is off, `NoSchemaIntrospectionCustomRule` joins them and suggestions ("Did you
  mean ...?") are left out, as they would name the fields introspection hides;
- parsing and validation through process-wide LRU caches keyed by the query text (and the
  document, rules and the request's integer variables), as `ParserCache` and `ValidationCache` do;
- once the operation is done: expected errors keep (or get) their code and the rest are masked
  (`ErrorCodes`), then the operation is counted and timed (`record_operation`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from graphql import GraphQLError, GraphQLSchema, parse, validate
from graphql.language import DocumentNode
from graphql.validation import ASTValidationRule
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from app.graphql.errors import ErrorCodes
from app.graphql.metrics import record_operation
from app.security.cost import check_limits, int_variables

#: graphql-core's suggestion suffix (`graphql.pyutils.did_you_mean`), at the end of a message.
_SUGGESTION = re.compile(r" Did you mean .*\?$", re.DOTALL)

#: Distinct query texts (and validated documents) kept; clients send a handful of queries.
CACHE_SIZE = 256

_parse: Callable[..., Any] = lru_cache(maxsize=CACHE_SIZE)(parse)


def check_document(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: tuple[tuple[str, int], ...],
    rules: tuple[type[ASTValidationRule], ...],
    hide_suggestions: bool,
) -> list[GraphQLError]:
    """HEMS's linear limits, then (only within them) the standard rules, the given ones and
    the two Strawberry adds for its input types."""
    errors = check_limits(schema, document, variables)
    if errors:
        return errors
    return validate(
        schema,
        document,
        (*rules, MaybeNullValidationRule, OneOfInputValidationRule),
        hide_suggestions=hide_suggestions,
    )


@lru_cache(maxsize=CACHE_SIZE)
def _check_text(
    schema: GraphQLSchema,
    query: str,
    parse_options: tuple[tuple[str, Any], ...],
    variables: tuple[tuple[str, int], ...],
    rules: tuple[type[ASTValidationRule], ...],
    hide_suggestions: bool,
) -> list[GraphQLError]:
    """`check_document` cached by the query *text*: a str hashes in C (and the parse cache
    hands back the same document), where hashing a DocumentNode walks it in Python."""
    document = _parse(query, **dict(parse_options))
    return check_document(schema, document, variables, rules, hide_suggestions)


class HemsExtension(ErrorCodes):
    """Build one per operation with its settings: `functools.partial(HemsExtension, ...)`."""

    def __init__(
        self,
        rules: tuple[type[ASTValidationRule], ...],
        max_tokens: int,
        hide_suggestions: bool = False,
    ) -> None:
        super().__init__()
        self.rules = rules
        self.max_tokens = max_tokens
        self.hide_suggestions = hide_suggestions

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        coded = super()._process_errors(errors)
        if self.hide_suggestions:
            # Validation hides its suggestions itself (`check_document`); the variables'
            # coercion runs later, in graphql-core's execution, and appends its own
            # ("Did you mean the enum value ...?"): the same schema names, so they go too.
            for error in coded:
                error.message = _SUGGESTION.sub("", error.message)
        return coded

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        started = time.perf_counter()
        context.parse_options["max_tokens"] = self.max_tokens
        context.validation_rules = context.validation_rules + self.rules
        self._stream_result_processed = False
        yield
        # Subscriptions mask each streamed result in `on_stream_result` instead.
        if not self._stream_result_processed:
            result = context.result
            initial = getattr(result, "initial_result", None)
            self._process_result(result if initial is None else initial)
        record_operation(context, started)

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        context.graphql_document = _parse(context.query, **context.parse_options)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        schema = context.schema._schema
        variables = int_variables(context.variables)
        rules = context.validation_rules
        if context.query is None:  # a document handed in directly: nothing to key a cache on
            assert context.graphql_document is not None
            context.pre_execution_errors = check_document(
                schema, context.graphql_document, variables, rules, self.hide_suggestions
            )
        else:
            options = tuple(context.parse_options.items())
            context.pre_execution_errors = _check_text(
                schema, context.query, options, variables, rules, self.hide_suggestions
            )
        yield
