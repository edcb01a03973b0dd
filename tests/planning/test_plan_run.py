"""Stored plans: planned in batches, shown by Home.plan, re-planned on a change or hourly,
their current slot cached with the live state; the ARQ batch job runs the same code."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from app.planning.run import current_slot, plan_batch
from tests.fixtures.app import Api
from tests.graphql.helpers import code
from tests.homes.test_homes_api import new_device, ok
from tests.homes.test_tariffs_api import FIXED, SET, TOU, first_home
from workers.jobs.plan import plan_user_batch

PLAN = (
    "query($id: ID!) { home(id: $id) { plan { createdAt from to expectedCost baselineCost "
    "currency targetMissed slots { start end batteryFlowW evFlowW gridFlowW batterySocPercent "
    "evSocPercent } } } }"
)
# Monday 2026-01-12 20:07 UTC (noon in San Francisco).
NOW = datetime(2026, 1, 12, 20, 7, tzinfo=UTC)


async def _setup(api: Api) -> tuple[str, str, uuid.UUID]:
    token = await api.register("alice")
    me = (await ok(api, "{ me { id } }", {}, token))["me"]["id"]
    home = await first_home(api, token)
    await new_device(api, token, "SolarPanel", home)
    await new_device(api, token, "Battery", home)
    await new_device(api, token, "ElectricVehicle", home)
    await new_device(api, token, "Heater", home)
    await ok(api, SET, {"home": home, "input": TOU}, token)
    return token, home, uuid.UUID(me)


async def _plan(api: Api, token: str, home: str) -> dict[str, Any] | None:
    return (await ok(api, PLAN, {"id": home}, token))["home"]["plan"]  # type: ignore[no-any-return]


async def test_plan_is_null_until_planned_then_shows_48_hours(any_api: Api):
    token, home, user = await _setup(any_api)
    assert await _plan(any_api, token, home) is None
    report = await plan_batch(any_api.state.sessionmaker, any_api.state.live, [user], NOW)
    assert report.planned == 1
    plan = await _plan(any_api, token, home)
    assert plan is not None
    assert len(plan["slots"]) == 192
    assert plan["from"] == "2026-01-12T20:00:00+00:00"
    assert plan["to"] == "2026-01-14T20:00:00+00:00"
    assert plan["currency"] == "EUR"
    assert plan["expectedCost"] <= plan["baselineCost"] + 1e-9
    first = plan["slots"][0]
    assert first["batterySocPercent"] is not None
    assert first["evSocPercent"] is not None
    for s in plan["slots"]:
        net = s["gridFlowW"] - s["batteryFlowW"] - s["evFlowW"]  # the home's own balance
        assert net == net  # finite
        assert 0.0 <= s["batterySocPercent"] <= 100.0 + 1e-6
    slot = await current_slot(any_api.state.live, uuid.UUID(home))
    assert slot is not None
    assert slot["start"] == "2026-01-12T20:00:00+00:00"
    assert slot["battery_flow_w"] == first["batteryFlowW"]


async def test_replanned_on_a_tariff_change_and_hourly_not_otherwise(api_sqlite: Api):
    api = api_sqlite
    token, home, user = await _setup(api)
    sm, live = api.state.sessionmaker, api.state.live
    assert (await plan_batch(sm, live, [user], NOW)).planned == 1
    assert (await plan_batch(sm, live, [user], NOW + timedelta(minutes=1))).planned == 0
    await ok(api, SET, {"home": home, "input": FIXED}, token)
    assert (await plan_batch(sm, live, [user], NOW + timedelta(minutes=2))).planned == 1
    plan = await _plan(api, token, home)
    assert plan is not None
    assert plan["currency"] == "USD"
    assert (await plan_batch(sm, live, [user], NOW + timedelta(minutes=30))).planned == 0
    assert (await plan_batch(sm, live, [user], NOW + timedelta(minutes=63))).planned == 1


async def test_replanned_when_a_device_is_added(api_sqlite: Api):
    api = api_sqlite
    token, home, user = await _setup(api)
    sm, live = api.state.sessionmaker, api.state.live
    assert (await plan_batch(sm, live, [user], NOW)).planned == 1
    await new_device(api, token, "Battery", home)
    assert (await plan_batch(sm, live, [user], NOW + timedelta(minutes=1))).planned == 1


async def test_the_batch_job_plans_and_caches_on_postgres_and_redis(api: Api):
    token, home, user = await _setup(api)
    ctx: Any = {
        "settings": api.state.settings,
        "sessionmaker": api.state.sessionmaker,
        "live": api.state.live,
    }
    epoch = int(datetime.now(UTC).timestamp())
    done = await plan_user_batch(ctx, [str(user)], epoch - epoch % 60)
    assert done["planned"] == 1
    assert await _plan(api, token, home) is not None
    assert await current_slot(api.state.live, uuid.UUID(home)) is not None


async def test_another_users_home_plan_is_not_found(api_sqlite: Api):
    _, home, _ = await _setup(api_sqlite)
    bob = await api_sqlite.register("bob")
    body = await api_sqlite.gql(PLAN, {"id": home}, bob)
    assert code(body) == "NOT_FOUND"


async def test_the_embedded_round_plans_every_home_without_redis_or_worker(api_sqlite: Api):
    from app.embedded import plan_everyone

    token, home, _ = await _setup(api_sqlite)
    assert await plan_everyone(api_sqlite.state, NOW) == 1
    assert await plan_everyone(api_sqlite.state, NOW + timedelta(minutes=1)) == 0
    assert await _plan(api_sqlite, token, home) is not None


async def test_a_superseded_batch_job_is_skipped(api_sqlite: Api):
    _, home, user = await _setup(api_sqlite)
    ctx: Any = {
        "settings": api_sqlite.state.settings,
        "sessionmaker": api_sqlite.state.sessionmaker,
        "live": api_sqlite.state.live,
    }
    old = int(datetime.now(UTC).timestamp()) - 3600
    assert (await plan_user_batch(ctx, [str(user)], old))["skipped"] is True
    assert await current_slot(api_sqlite.state.live, uuid.UUID(home)) is None


async def test_the_planned_flows_are_cached_for_the_whole_plan(any_api: Api):
    from app.planning.run import cached_flows

    token, home, user = await _setup(any_api)
    await plan_batch(any_api.state.sessionmaker, any_api.state.live, [user], NOW)
    plan = await _plan(any_api, token, home)
    assert plan is not None
    flows = await cached_flows(any_api.state.live, uuid.UUID(home))
    assert flows is not None
    assert flows.start_s == datetime(2026, 1, 12, 20, 0, tzinfo=UTC).timestamp()
    assert flows.end_s == datetime(2026, 1, 14, 20, 0, tzinfo=UTC).timestamp()
    for k in (0, 57, 191):
        slot = plan["slots"][k]
        at = datetime.fromisoformat(slot["start"]).timestamp() + 450.0
        battery_w, ev_w = flows.at(at)
        assert abs(battery_w - slot["batteryFlowW"]) <= 1e-3 * max(1.0, abs(battery_w))
        assert abs(ev_w - slot["evFlowW"]) <= 1e-3 * max(1.0, abs(ev_w))
    assert flows.at(flows.end_s)[0] != flows.at(flows.end_s)[0]  # NaN after the plan
