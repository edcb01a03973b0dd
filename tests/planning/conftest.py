"""Planning API tests run on PostgreSQL + Redis and on the embedded default."""

from __future__ import annotations

import pytest

from tests.fixtures.app import Api


@pytest.fixture(params=["postgres", "sqlite"])
def any_api(request: pytest.FixtureRequest) -> Api:
    api: Api = request.getfixturevalue("api" if request.param == "postgres" else "api_sqlite")
    return api
