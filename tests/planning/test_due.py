"""The planning round's cheap first pass: per-home aggregates pick the owners with a home whose
plan is missing, an hour old or out of date (devices added, removed, switched or edited, tariff
or uploaded prices changed), and a batch loads the devices of those owners only."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import event, update

from app import models
from app.planning.due import due_owner_ids, home_states
from app.planning.run import plan_batch
from tests.fixtures.app import Api
from tests.homes.test_homes_api import new_device, ok
from tests.homes.test_tariffs_api import DYNAMIC, SET, UPLOAD
from tests.planning.test_plan_run import NOW, _setup

MODE = "mutation($id: ID!, $m: EVMode!) { setElectricVehicleMode(id: $id, mode: $m) { id } }"


async def _due(api: Api, minutes: int) -> list[uuid.UUID]:
    async with api.state.sessionmaker() as session:
        return await due_owner_ids(session, NOW + timedelta(minutes=minutes))


async def _two_planned(api: Api) -> tuple[tuple[str, str, uuid.UUID], tuple[str, str, uuid.UUID]]:
    alice = await _setup(api)
    bob_token = await api.register("bob")
    me = await ok(api, "{ me { id } homes { id } }", {}, bob_token)
    bob = (bob_token, me["homes"][0]["id"], uuid.UUID(me["me"]["id"]))
    await new_device(api, bob_token, "Battery", bob[1])
    assert sorted(await _due(api, 0)) == sorted([alice[2], bob[2]])
    report = await plan_batch(api.state.sessionmaker, None, [alice[2], bob[2]], NOW)
    assert report.planned == 2
    assert await _due(api, 1) == []
    return alice, bob


async def test_only_changed_or_aged_homes_are_due(api_sqlite: Api):
    api = api_sqlite
    (a_token, a_home, alice), (b_token, b_home, bob) = await _two_planned(api)
    async with api.state.sessionmaker() as session:
        ev = await session.scalar(
            models.ElectricVehicle.__table__.select().with_only_columns(
                models.ElectricVehicle.__table__.c.id
            )
        )
        # Storage levels move every cycle and are not an input of the fingerprint.
        await session.execute(update(models.Battery).values(current_level_wh=1.0))
        await session.commit()
    assert await _due(api, 2) == []
    await ok(api, MODE, {"id": str(ev), "m": "DISCHARGING"}, a_token)
    assert await _due(api, 3) == [alice]
    await plan_batch(api.state.sessionmaker, None, [alice], NOW + timedelta(minutes=3))
    assert await _due(api, 4) == []
    # A setting edited in the kind's own table (no device timestamp moves).
    async with api.state.sessionmaker() as session:
        await session.execute(
            update(models.Battery)
            .where(models.Battery.id.in_(select_ids(bob)))
            .values(capacity_wh=20_000.0)
        )
        await session.commit()
    assert await _due(api, 5) == [bob]
    await plan_batch(api.state.sessionmaker, None, [bob], NOW + timedelta(minutes=5))
    assert await _due(api, 6) == []
    device = (await ok(api, "{ devices { id } }", {}, b_token))["devices"][0]["id"]
    await ok(api, "mutation($id: ID!) { deleteDevice(id: $id) }", {"id": device}, b_token)
    assert await _due(api, 7) == [bob]
    await plan_batch(api.state.sessionmaker, None, [bob], NOW + timedelta(minutes=7))
    await ok(api, SET, {"home": a_home, "input": DYNAMIC}, a_token)
    assert await _due(api, 8) == [alice]
    await plan_batch(api.state.sessionmaker, None, [alice], NOW + timedelta(minutes=8))
    assert await _due(api, 9) == []
    start = (NOW + timedelta(hours=2)).replace(minute=0).isoformat()
    await ok(
        api,
        UPLOAD,
        {"home": a_home, "prices": [{"start": start, "importPricePerKwh": -0.1}]},
        a_token,
    )
    assert await _due(api, 10) == [alice]
    # Prices that start beyond the two days of the horizon change nothing.
    await plan_batch(api.state.sessionmaker, None, [alice], NOW + timedelta(minutes=10))
    later = (NOW + timedelta(hours=60)).replace(minute=0).isoformat()
    await ok(
        api,
        UPLOAD,
        {"home": a_home, "prices": [{"start": later, "importPricePerKwh": 0.3}]},
        a_token,
    )
    assert await _due(api, 11) == []
    # An hour after a plan (bob's at minute 7, alice's at 10), its home is due whatever changed.
    assert await _due(api, 66) == []
    assert await _due(api, 67) == [bob]
    assert sorted(await _due(api, 70)) == sorted([alice, bob])


def select_ids(owner: uuid.UUID) -> Any:
    from sqlalchemy import select

    return select(models.Device.__table__.c.id).where(models.Device.__table__.c.owner_id == owner)


async def test_a_batch_loads_the_devices_of_due_owners_only(api_sqlite: Api):
    api = api_sqlite
    (a_token, _, alice), (_, _, bob) = await _two_planned(api)
    ev = (await ok(api, "{ devices { id __typename } }", {}, a_token))["devices"]
    ev_id = next(d["id"] for d in ev if d["__typename"] == "ElectricVehicle")
    await ok(api, MODE, {"id": ev_id, "m": "OFFLINE"}, a_token)
    loads: list[Any] = []

    def seen(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if "ORDER BY device.id" in statement:  # the fleet repository's per-kind row loads
            loads.append(params)

    engine = api.state.sessionmaker.kw["bind"].sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        report = await plan_batch(
            api.state.sessionmaker, None, [alice, bob], NOW + timedelta(minutes=2)
        )
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert report.homes == 2
    assert report.planned == 1
    assert len(loads) == 7  # one row load per device kind, household loads included
    flat = [str(p) for params in loads for p in (params if isinstance(params, tuple) else [])]
    assert any(alice.hex in p.replace("-", "") for p in flat)
    assert not any(bob.hex in p.replace("-", "") for p in flat)
    # Nothing due: no device row is loaded at all.
    loads.clear()
    event.listen(engine, "before_cursor_execute", seen)
    try:
        report = await plan_batch(
            api.state.sessionmaker, None, [alice, bob], NOW + timedelta(minutes=3)
        )
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert report.planned == 0
    assert all(
        not any(u.hex in str(p).replace("-", "") for u in (alice, bob) for p in params)
        for params in loads
    )


async def test_fingerprints_are_stable_between_identical_reads(any_api: Api):
    _, _, alice = await _setup(any_api)
    async with any_api.state.sessionmaker() as session:
        first = await home_states(session, [alice], NOW)
        second = await home_states(session, None, NOW + timedelta(minutes=5))
    assert {h: s.fingerprint for h, s in first.items()} == {
        h: s.fingerprint for h, s in second.items()
    }
    assert all(s.planned_at is None and s.due(NOW) for s in first.values())


SCHEDULE = (
    "mutation($id: ID!, $rules: [DepartureRuleInput!]!) "
    "{ setElectricVehicleSchedule(id: $id, rules: $rules) { id } }"
)
RESERVE = "mutation($id: ID!) { setBatteryMode(id: $id, mode: HOLD, reserveSocPercent: 30) { id } }"


async def test_control_changes_make_their_home_due(api_sqlite: Api):
    """A schedule's times are invisible to the aggregates; its DeviceEvent is not."""
    api = api_sqlite
    (a_token, _, alice), (b_token, _, bob) = await _two_planned(api)
    devices = (await ok(api, "{ devices { id __typename } }", {}, a_token))["devices"]
    ev_id = next(d["id"] for d in devices if d["__typename"] == "ElectricVehicle")
    rule = {"days": ["MONDAY"], "departAt": "08:00", "returnAt": "17:00", "targetSocPercent": 80}
    await ok(api, SCHEDULE, {"id": ev_id, "rules": [rule]}, a_token)
    assert await _due(api, 2) == [alice]
    await plan_batch(api.state.sessionmaker, None, [alice], NOW + timedelta(minutes=2))
    # The same rule at another hour: same lengths, same counts, still a change.
    await ok(api, SCHEDULE, {"id": ev_id, "rules": [{**rule, "departAt": "09:00"}]}, a_token)
    assert await _due(api, 3) == [alice]
    battery = (await ok(api, "{ devices { id } }", {}, b_token))["devices"][0]["id"]
    await ok(api, RESERVE, {"id": battery}, b_token)
    assert sorted(await _due(api, 4)) == sorted([alice, bob])
