"""Benchmark GraphQL validation against documents built to make it slow.

Each shape is a small document (within the token limit) of a kind that made validation
exponential or quadratic once: fragments that spread the previous one twice or three times,
aliases inside such fragments, fragments on a nested type, one field repeated hundreds of
times, nested inline fragments, many fragments with overlapping fields, many operations,
unknown fields (each gets suggestions), deep nesting. Every one is validated cold (no cache)
the way the API does it: parse with the token limit, HEMS's linear limits, then the standard
rules when the limits pass. No servers are needed: validation touches neither database nor
Redis.

    uv run python -m bench.validation

Prints one JSON line last: worst_validation_ms (the slowest shape), plain_validation_ms (a full
device-list query), and per_shape_ms, each the median CPU time of validating the document once.
Goal: worst <= 20 ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

from graphql import GraphQLError, GraphQLSchema, parse

from app.graphql.errors import with_codes
from app.graphql.extension import check_document
from app.graphql.schema import MAX_TOKENS, build_schema
from app.security.cost import (
    MAX_ARGUMENTS,
    MAX_FRAGMENTS,
    MAX_KEY_REPEATS,
    MAX_OPERATIONS,
    MAX_SELECTIONS,
)

PLAIN = """
{ devices {
    id kind name
    live { powerW status timestamp storage { capacityWh currentLevelWh flowW } }
    ... on Battery { currentLevelWh capacityWh cRate }
    ... on ElectricVehicle { currentChargeKwh mode lastSeenAt batteryCapacityKwh }
    ... on SolarPanel { panelAreaM2 efficiency maxCapacityW latitude longitude }
} energyStats { productionW consumptionW storageFlowW netGridW } }
"""


def fragment_chain(levels: int, fan_out: int, on: str = "Query", leaf: str = "__typename") -> str:
    """`fragment F{i} on T { ...F{i-1} x fan_out }`: the expansion is fan_out ** levels."""
    parts = [f"fragment F0 on {on} {{ {leaf} }}"]
    for i in range(1, levels + 1):
        parts.append(f"fragment F{i} on {on} {{ " + f"...F{i - 1} " * fan_out + "}")
    roots = {
        "Query": "{ %s }",
        "Subscription": "subscription { %s }",
        "Device": "{ devices { %s } }",
    }
    root = roots.get(on, "{ me { %s } }") % f"...F{levels}"
    return root + " " + " ".join(parts)


def aliased_chain(levels: int) -> str:
    parts = ["fragment F0 on Query { a: __typename b: __typename }"]
    for i in range(1, levels + 1):
        parts.append(f"fragment F{i} on Query {{ x{i}: __typename ...F{i - 1} ...F{i - 1} }}")
    return f"{{ ...F{levels} }} " + " ".join(parts)


def device_chain(levels: int) -> str:
    parts = ["fragment F0 on Device { id name live { powerW } }"]
    for i in range(1, levels + 1):
        parts.append(f"fragment F{i} on Device {{ ...F{i - 1} ...F{i - 1} }}")
    return f"{{ devices {{ ...F{levels} }} }} " + " ".join(parts)


def repeated_field(times: int) -> str:
    return "{ me { " + "id " * times + "} }"


def nested_inline(times: int) -> str:
    inner = "id"
    for _ in range(times):
        inner = f"... {{ id {inner} }}"
    return "{ me { " + inner + " } }"


def overlapping_fragments(count: int) -> str:
    spreads = " ".join(f"...F{i}" for i in range(count))
    defs = " ".join(f"fragment F{i} on User {{ id username }}" for i in range(count))
    return "{ me { " + spreads + " } } " + defs


def many_operations(count: int) -> str:
    ops = " ".join(f"query Q{i} {{ ...F }}" for i in range(count))
    return ops + " fragment F on Query { me { id username timezone latitude longitude } }"


def unknown_fields(count: int) -> str:
    return "{ me { " + " ".join(f"field{i}" for i in range(count)) + " } }"


def deep_nesting(levels: int) -> str:
    return "{ me " + "{ a " * levels + "}" * levels + " }"


def many_arguments(count: int) -> str:
    args = ", ".join(f"a{i}: 1" for i in range(count))
    return "{ devices(" + args + ") { id } }"


def bad_literals(count: int) -> str:
    ids = ", ".join(["1.5"] * count)
    return f"subscription {{ deviceReadings(ids: [{ids}]) {{ deviceId }} }}"


def _largest(build: Callable[[int], str], start: int) -> str:
    """The largest document of a shape that still parses within the token limit."""
    n, best = start, build(1)
    while True:
        document = build(n)
        try:
            parse(document, max_tokens=MAX_TOKENS)
        except GraphQLError:
            return best
        best = document
        n += max(1, n // 8)


SHAPES: dict[str, Callable[[], str]] = {
    "fragments_x2_18": lambda: fragment_chain(18, 2),
    "fragments_x2_20": lambda: fragment_chain(20, 2),
    "fragments_x3_largest": lambda: _largest(lambda n: fragment_chain(n, 3), 5),
    "fragments_x2_largest": lambda: _largest(lambda n: fragment_chain(n, 2), 10),
    "aliases_in_fragments": lambda: _largest(aliased_chain, 10),
    "fragments_on_nested_type": lambda: _largest(device_chain, 10),
    "fragments_on_user": lambda: fragment_chain(18, 2, on="User", leaf="id"),
    "repeated_field_500": lambda: repeated_field(500),
    "repeated_field_largest": lambda: _largest(repeated_field, 500),
    "nested_inline_fragments": lambda: _largest(nested_inline, 50),
    "overlapping_fragments": lambda: _largest(overlapping_fragments, 20),
    "many_operations": lambda: _largest(many_operations, 10),
    "unknown_fields": lambda: _largest(unknown_fields, 50),
    "deep_nesting": lambda: _largest(deep_nesting, 50),
    "many_arguments": lambda: _largest(many_arguments, 50),
    "bad_literals": lambda: _largest(bad_literals, 50),
    # At the caps: the largest documents the limits let through to the standard rules.
    "repeated_field_at_cap": lambda: repeated_field(MAX_KEY_REPEATS),
    "unknown_fields_at_cap": lambda: unknown_fields(MAX_SELECTIONS),
    "overlapping_fragments_at_cap": lambda: overlapping_fragments(MAX_FRAGMENTS),
    "many_operations_at_cap": lambda: many_operations(MAX_OPERATIONS),
    "many_arguments_at_cap": lambda: many_arguments(MAX_ARGUMENTS),
}


def validate_cold(schema: GraphQLSchema, document: str) -> list[GraphQLError]:
    """What the API does for a document it has not seen: parse, limits, standard rules."""
    try:
        ast = parse(document, max_tokens=MAX_TOKENS)
    except GraphQLError as error:
        return [error]
    errors = check_document(schema, ast, (), (), False)
    # Then every error gets its code (and a bad literal the name of its field).
    return with_codes(ast, errors)


def time_ms(schema: GraphQLSchema, document: str, repeats: int) -> float:
    """Median CPU time of this thread (not wall time: other processes on the machine's two
    cores would otherwise be counted as validation)."""
    samples = []
    for _ in range(repeats):
        started = time.thread_time()
        validate_cold(schema, document)
        samples.append((time.thread_time() - started) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7, help="timings per shape (median)")
    args = parser.parse_args()
    schema = build_schema()._schema
    per_shape = {
        name: round(time_ms(schema, build(), args.repeats), 3) for name, build in SHAPES.items()
    }
    figures = {
        "worst_validation_ms": max(per_shape.values()),
        "worst_shape": max(per_shape, key=per_shape.__getitem__),
        "plain_validation_ms": round(time_ms(schema, PLAIN, args.repeats), 3),
        "per_shape_ms": per_shape,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
