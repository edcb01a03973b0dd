"""The schema's per-operation machinery stays cheap: one extension, no per-field hooks."""

from __future__ import annotations

from graphql.validation import NoSchemaIntrospectionCustomRule

from app.graphql.extension import HemsExtension
from app.graphql.schema import build_schema


def test_one_extension_and_no_per_field_resolve_hook():
    # A `resolve` hook runs on every field of every response (graphql-core middleware).
    schema = build_schema()
    extensions = schema.get_extensions()
    assert len(extensions) == 1
    assert all(not ext._implements_resolve() for ext in extensions)


def test_introspection_rule_and_hidden_suggestions_only_when_off():
    on = build_schema().get_extensions()[0]
    off = build_schema(introspection=False).get_extensions()[0]
    assert isinstance(on, HemsExtension)
    assert isinstance(off, HemsExtension)
    assert on.rules == ()
    assert off.rules == (NoSchemaIntrospectionCustomRule,)
    assert (on.hide_suggestions, off.hide_suggestions) == (False, True)
    # The same rule objects on every operation, or the validation cache would never hit.
    again = build_schema().get_extensions()[0]
    assert isinstance(again, HemsExtension)
    assert again.rules == on.rules
