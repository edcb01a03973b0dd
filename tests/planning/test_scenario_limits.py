"""A scenario's CPU is bounded: the cost limiter prices it by its days, the service refuses
more days x devices than MAX_DEVICE_DAYS and more added devices than MAX_ADDED_DEVICES before
any replay, an owner runs one scenario at a time, and a repeated request within the hour is
answered from the cache."""

from __future__ import annotations

import time

import pytest

from app.errors import TooManyRequests
from app.planning import scenario as scenario_module
from app.security.cost import MAX_COST, SCENARIO_DAY_COST
from app.services import planning as planning_service
from tests.fixtures.app import Api
from tests.graphql.helpers import code, error
from tests.planning.test_scenario import NOW, SCENARIO, _home

FIELDS = "baseline { importedWh } scenario { importedWh }"


def _aliased(n: int, days: str) -> str:
    parts = " ".join(
        f"s{i}: scenario(homeId: $home, days: {days}, input: {{}}) {{ {FIELDS} }}" for i in range(n)
    )
    declared = ", $d: Int" if "$d" in days else ""
    return f"query($home: ID!{declared}) {{ {parts} }}"


async def test_the_cost_limiter_prices_a_scenario_by_its_days(api_sqlite: Api):
    token, home, _ = await _home(api_sqlite)
    assert 31 * SCENARIO_DAY_COST < MAX_COST < 2 * 31 * SCENARIO_DAY_COST
    for query, variables in (
        (_aliased(2, "31"), {}),  # two month-long replays in one request
        (_aliased(2, "$d"), {"d": 31}),  # the same through a variable
        (_aliased(30, "1"), {}),  # thirty aliased one-day replays
    ):
        body = await api_sqlite.gql(query, {"home": home, **variables}, token)
        assert f"exceeds the maximum of {MAX_COST}" in body["errors"][0]["message"], body
    # One month-long replay is within the limit (and refused for its days by the service).
    body = await api_sqlite.gql(_aliased(1, "32"), {"home": home}, token)
    assert code(body) == "BAD_USER_INPUT"
    assert "days" in error(body)["message"]


async def test_too_many_added_devices_is_refused_before_any_replay(api_sqlite: Api):
    token, home, _ = await _home(api_sqlite)
    many = {"addBatteries": [{"name": f"b{i}", "capacityWh": 1000.0} for i in range(21)]}
    started = time.perf_counter()
    body = await api_sqlite.gql(SCENARIO, {"home": home, "days": 31, "input": many}, token)
    assert code(body) == "BAD_USER_INPUT"
    assert error(body)["message"].startswith("input:")
    assert time.perf_counter() - started < 5.0  # refused, not replayed (31 days take minutes)


async def test_days_x_devices_beyond_the_budget_is_bad_user_input_naming_days(
    api_sqlite: Api, monkeypatch
):
    token, home, _ = await _home(api_sqlite)  # 5 devices: 10 replayed (both runs)
    monkeypatch.setattr(planning_service, "MAX_DEVICE_DAYS", 10 * 2)
    body = await api_sqlite.gql(SCENARIO, {"home": home, "days": 3, "input": {}}, token)
    assert code(body) == "BAD_USER_INPUT"
    assert "days" in error(body)["message"]
    assert "at most 2 days" in error(body)["message"]


async def test_a_repeated_scenario_is_cached_and_one_runs_at_a_time(api_sqlite: Api):
    api = api_sqlite
    _, home, me = await _home(api)
    request = planning_service.ScenarioRequest(add_batteries=[{"name": "b", "capacity_wh": 5000.0}])

    async def run(req: planning_service.ScenarioRequest) -> object:
        async with api.state.sessionmaker() as session:
            return await planning_service.scenario(session, me, home, 1, req, NOW, 60)

    first = await run(request)
    assert await run(request) is first
    other = await run(planning_service.ScenarioRequest())
    assert other is not first
    scenario_module.CACHE.running.add(me)
    try:
        fresh = planning_service.ScenarioRequest(
            add_batteries=[{"name": "c", "capacity_wh": 9000.0}]
        )
        with pytest.raises(TooManyRequests):
            await run(fresh)
        assert await run(request) is first  # a cached answer needs no replay
    finally:
        scenario_module.CACHE.running.discard(me)
