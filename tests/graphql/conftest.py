"""GraphQL test fixtures: the API on either backend."""

from __future__ import annotations

import pytest

from tests.fixtures.app import Api


@pytest.fixture(params=["postgres", "sqlite"])
def any_api(request: pytest.FixtureRequest) -> Api:
    """The API on PostgreSQL + Redis, then on the embedded default (SQLite + memory)."""
    name = "api" if request.param == "postgres" else "api_sqlite"
    api: Api = request.getfixturevalue(name)
    return api
