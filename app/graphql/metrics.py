"""GraphQL operations counted and timed by name and outcome (served at /metrics by app/api).

Operation names come from clients, so the label set is bounded: a well-formed name is kept
until 200 distinct names were seen, then "other"; a malformed one is "invalid".
"""

from __future__ import annotations

import re
import time

from strawberry.types import ExecutionContext

from app.observability import GRAPHQL_LATENCY, GRAPHQL_REQUESTS

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_MAX_OPERATION_NAMES = 200
_seen_names: set[str] = set()


def operation_label(name: str | None) -> str:
    """A bounded label for a client-chosen operation name ("anonymous", "invalid", "other")."""
    if not name:
        return "anonymous"
    if not _NAME.match(name):
        return "invalid"
    if name not in _seen_names:
        if len(_seen_names) >= _MAX_OPERATION_NAMES:
            return "other"
        _seen_names.add(name)
    return name


def record_operation(context: ExecutionContext, started: float) -> None:
    """Count and time one finished operation (parse, validate, execute) by its operation name.

    "rejected" means nothing executed (syntax, validation or a limit refused it), "error" that
    the result carries errors, "ok" that it carries none. `started` is a `perf_counter()`.
    """
    try:
        name = context.operation_name
    except Exception:  # no parsable document: no name to read
        name = None
    label = operation_label(name)
    result = context.result
    if (
        context.pre_execution_errors
        or result is None
        or (result.errors and result.data is None and not context.graphql_document)
    ):
        outcome = "rejected"
    elif result.errors:
        outcome = "error"
    else:
        outcome = "ok"
    GRAPHQL_REQUESTS.labels(label, outcome).inc()
    GRAPHQL_LATENCY.labels(label).observe(time.perf_counter() - started)
