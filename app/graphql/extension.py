"""The one schema extension of HEMS: limits, parse and validation caches, error codes, metrics.

Strawberry builds every extension afresh for each operation and, per lifecycle step, looks up
and wraps each extension's hook in a context manager. With eight small extensions that
bookkeeping (32 hook lookups and 8 generator context managers per request) cost more than
parsing and validating, which the caches already skip. One extension with the same steps, in
the same order, does the same work with one hook per step.

What it does, in the order the separate extensions did it:

- limits: the token limit for the parser, then the depth, alias and cost rules (and, when
  introspection is off, `NoSchemaIntrospectionCustomRule`) after the standard validation rules;
- parsing and validation through process-wide LRU caches keyed by the query text (and the
  document and rules), as `ParserCache` and `ValidationCache` do;
- once the operation is done: expected errors keep (or get) their code and the rest are masked
  (`ErrorCodes`), then the operation is counted and timed (`record_operation`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from graphql import parse
from graphql.validation import ASTValidationRule
from strawberry.schema.schema import validate_document

from app.api.metrics import record_operation
from app.graphql.errors import ErrorCodes

#: Distinct query texts (and validated documents) kept; clients send a handful of queries.
CACHE_SIZE = 256

_parse: Callable[..., Any] = lru_cache(maxsize=CACHE_SIZE)(parse)
_validate: Callable[..., Any] = lru_cache(maxsize=CACHE_SIZE)(validate_document)


class HemsExtension(ErrorCodes):
    """Build one per operation with the rules to add: `functools.partial(HemsExtension, rules)`."""

    def __init__(self, rules: tuple[type[ASTValidationRule], ...], max_tokens: int) -> None:
        super().__init__()
        self.rules = rules
        self.max_tokens = max_tokens

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
        context.pre_execution_errors = _validate(
            context.schema._schema, context.graphql_document, context.validation_rules
        )
        yield
