"""The committed schema.graphql is exactly what the server serves."""

from pathlib import Path

from app.graphql.schema import schema

ROOT = Path(__file__).resolve().parents[2]


def test_schema_graphql_matches_served_schema():
    committed = (ROOT / "schema.graphql").read_text()
    assert committed == schema.as_str() + "\n", (
        "schema.graphql is stale: run `make schema` (uv run hems export-schema) and commit it"
    )
