"""`devices { history }` reads every device's page together: as many statements for 40 as for 2."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from app import models
from app.pipeline.cycle import run_cycle
from tests.fixtures.app import Api
from tests.fixtures.factories import create_device
from tests.graphql.helpers import user_with_token

START = datetime(2026, 1, 12, 7, 50, tzinfo=UTC)
FIGURES = "producedWh consumedWh chargedWh dischargedWh importedWh exportedWh netGridWh"
DEVICES_HISTORY = f"""
query($from: DateTime!, $to: DateTime!) {{
  devices {{
    id
    history(resolution: HOUR, from: $from, to: $to, first: 2) {{
      edges {{ node {{ start {FIGURES} }} }}
    }}
  }}
}}
"""


@contextmanager
def counted_statements(api: Api) -> Iterator[list[str]]:
    """Every SQL statement the app's engine sends while the block runs."""
    engine = api.state.engine.sync_engine
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def home_with(api: Api, username: str, count: int) -> str:
    user, token = await user_with_token(api, username)
    kinds = list(models.DeviceKind)
    async with api.state.sessionmaker() as session:
        owner = await session.get(models.User, user.id)
        assert owner is not None
        for n in range(count):
            await create_device(session, kinds[n % len(kinds)], owner)
        await session.commit()
    return token


async def devices_history(api: Api, token: str) -> tuple[list[dict[str, Any]], list[str]]:
    variables = {"from": START.isoformat(), "to": (START + timedelta(hours=2)).isoformat()}
    with counted_statements(api) as statements:
        body = await api.gql(DEVICES_HISTORY, variables, token)
    assert "errors" not in body, body
    devices: list[dict[str, Any]] = body["data"]["devices"]
    return devices, list(statements)


@pytest.fixture(autouse=True)
def no_cost_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cost rule assumes 50 edges per history list; this test is about SQL, not cost."""
    monkeypatch.setattr("app.security.cost.MAX_COST", 10**9)


class TestDeviceHistoryBatching:
    async def test_forty_devices_cost_the_statements_of_two(self, api):
        small = await home_with(api, "small", 2)
        large = await home_with(api, "large", 40)
        for n in range(3):
            await run_cycle(
                api.state.sessionmaker, api.state.live, START + timedelta(minutes=n), batch_users=10
            )
        two, two_statements = await devices_history(api, small)
        forty, forty_statements = await devices_history(api, large)
        assert len(two) == 2
        assert len(forty) == 40
        assert len(forty_statements) == len(two_statements), (
            f"2 devices: {len(two_statements)} statements, 40 devices: {len(forty_statements)}"
        )
        # One history statement for all the devices, whatever their number.
        history = [s for s in forty_statements if "energy_hour" in s]
        assert len(history) == 1, history

    async def test_each_device_gets_its_own_figures(self, api):
        token = await home_with(api, "alice", 6)
        for n in range(3):
            await run_cycle(
                api.state.sessionmaker, api.state.live, START + timedelta(minutes=n), batch_users=10
            )
        devices, _ = await devices_history(api, token)
        hour = [d["history"]["edges"][0]["node"] for d in devices]
        assert all(h["start"] == "2026-01-12T07:00:00+00:00" for h in hour)
        # The batched read must not mix devices: producers and consumers differ.
        produced = sorted(h["producedWh"] for h in hour)
        consumed = sorted(h["consumedWh"] for h in hour)
        assert produced[-1] > 0
        assert consumed[-1] > 0
        assert len({(h["producedWh"], h["consumedWh"]) for h in hour}) > 1
