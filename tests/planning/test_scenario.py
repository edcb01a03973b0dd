"""What-if scenarios: with no changes the baseline repeats the recorded history (backfill =
live = replay), changes move the figures the expected way, nothing is written, bad input is
BAD_USER_INPUT naming the field, a foreign home or device is NOT_FOUND."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app import models
from app.backfill import backfill_range, instants
from app.models.history import ENERGY_COLUMNS
from app.repositories.history import HistoryRepository, HistoryTable
from app.services import planning as planning_service
from tests.fixtures.app import Api
from tests.graphql.helpers import code, error
from tests.homes.test_homes_api import new_device, ok
from tests.homes.test_tariffs_api import SET, TOU, first_home

END = datetime(2026, 1, 13, 0, 0, tzinfo=UTC)
NOW = END + timedelta(seconds=30)
SCENARIO = (
    "query($home: ID!, $days: Int, $input: ScenarioInput!) { scenario(homeId: $home, "
    "days: $days, input: $input) { from to baseline { producedWh consumedWh importedWh "
    "exportedWh cost selfSufficiency autonomyHours } scenario { producedWh consumedWh "
    "importedWh exportedWh cost selfSufficiency autonomyHours } } }"
)
HOUSEHOLD = (
    'mutation($home: ID!) { createHouseholdLoad(input: { name: "Household", '
    "annualConsumptionKwh: 3500, homeId: $home }) { id } }"
)
FIGURES = ("produced_wh", "consumed_wh", "imported_wh", "exported_wh")


async def _home(api: Api) -> tuple[str, str, uuid.UUID]:
    token = await api.register("alice")
    me = uuid.UUID((await ok(api, "{ me { id } }", {}, token))["me"]["id"])
    home = await first_home(api, token)
    await new_device(api, token, "SolarPanel", home)
    await new_device(api, token, "Battery", home)
    await new_device(api, token, "Heater", home)
    await new_device(api, token, "ElectricVehicle", home)
    await ok(api, HOUSEHOLD, {"home": home}, token)
    await ok(api, SET, {"home": home, "input": TOU}, token)
    return token, home, me


async def _home_with_history(api: Api) -> tuple[str, str, uuid.UUID]:
    """The home, and a recorded day (and an hour before it) up to END, cycle by cycle."""
    token, home, me = await _home(api)
    at = instants(END - timedelta(days=1, hours=1), END, 60)
    await backfill_range(api.state.sessionmaker, [me], at, batch_users=10)
    return token, home, me


async def _recorded(api: Api, home: str, start: datetime, end: datetime) -> dict[str, float]:
    async with api.state.sessionmaker() as session:
        rows = await HistoryRepository(session).rows(
            HistoryTable.HOUR, [uuid.UUID(home)], start, end, home=True
        )
    return {c: sum(getattr(r, c) for r in rows) for c in ENERGY_COLUMNS}


async def _counts(api: Api) -> tuple[int, ...]:
    async with api.state.sessionmaker() as session:
        return tuple(
            [
                await session.scalar(select(func.count()).select_from(t))  # type: ignore[misc]
                for t in (models.Device, models.HomeEnergyMinute, models.EnergyHour, models.PlanRow)
            ]
        )


async def test_no_changes_equal_the_recorded_history_and_nothing_is_written(api: Api):
    """On PostgreSQL (the day of cycles takes a minute to record; the replay is the same code
    on SQLite, whose recording tests/history checks against PostgreSQL's)."""
    _, home, me = await _home_with_history(api)
    before = await _counts(api)
    async with api.state.sessionmaker() as session:
        outcome = await planning_service.scenario(
            session, me, home, 1, planning_service.ScenarioRequest(), NOW, 60
        )
    assert (outcome.start, outcome.end) == (END - timedelta(days=1), END)
    recorded = await _recorded(api, home, outcome.start, outcome.end)
    assert recorded["produced_wh"] > 0
    assert recorded["charged_wh"] > 0
    # The household load is replayed as recorded (the H0 load alone is ~9.6 kWh a day).
    assert recorded["consumed_wh"] > 9_000.0
    for figures in (outcome.baseline, outcome.scenario):
        for name in (*FIGURES, "charged_wh", "discharged_wh"):
            assert getattr(figures, name) == pytest.approx(recorded[name], rel=1e-9, abs=1e-6)
    assert outcome.baseline.cost == outcome.scenario.cost
    assert await _counts(api) == before


async def test_a_bigger_battery_and_panels_import_less(api_sqlite: Api):
    api = api_sqlite
    token, home, _ = await _home(api)
    changes = {
        "addBatteries": [{"name": "big", "capacityWh": 20000.0, "cRate": 0.5}],
        "addSolarPanels": [{"name": "more", "panelAreaM2": 30.0, "maxCapacityW": 6000.0}],
    }
    got = (await ok(api, SCENARIO, {"home": home, "days": 1, "input": changes}, token))["scenario"]
    base, changed = got["baseline"], got["scenario"]
    assert changed["producedWh"] > base["producedWh"]
    assert changed["importedWh"] < base["importedWh"]
    assert changed["selfSufficiency"] >= base["selfSufficiency"]
    assert changed["autonomyHours"] > base["autonomyHours"]
    assert 0.0 <= base["selfSufficiency"] <= 1.0
    assert base["cost"] is not None
    assert changed["cost"] < base["cost"]


async def test_removing_every_device_and_another_tariff(api_sqlite: Api):
    api = api_sqlite
    token, home, _ = await _home(api)
    devices = await ok(
        api, "query($id: ID!) { home(id: $id) { devices { id } } }", {"id": home}, token
    )
    ids = [d["id"] for d in devices["home"]["devices"]]
    changes = {
        "removeDeviceIds": ids,
        "tariff": {"kind": "FIXED", "currency": "USD", "importPricePerKwh": 1.0},
    }
    got = (await ok(api, SCENARIO, {"home": home, "days": 1, "input": changes}, token))["scenario"]
    assert got["scenario"]["producedWh"] == 0.0
    assert got["scenario"]["consumedWh"] == 0.0  # the household load is removed too
    assert got["scenario"]["importedWh"] == 0.0
    assert got["scenario"]["cost"] == 0.0
    assert got["baseline"]["producedWh"] > 0.0


class TestValidation:
    async def test_days_outside_1_to_31(self, api_sqlite: Api):
        token = await api_sqlite.register("alice")
        home = await first_home(api_sqlite, token)
        for days in (0, 32):
            body = await api_sqlite.gql(SCENARIO, {"home": home, "days": days, "input": {}}, token)
            assert code(body) == "BAD_USER_INPUT"
            assert "days" in error(body)["message"]

    async def test_a_bad_added_device_names_its_field(self, api_sqlite: Api):
        token = await api_sqlite.register("alice")
        home = await first_home(api_sqlite, token)
        bad = {"addBatteries": [{"name": "b", "capacityWh": -1.0}]}
        body = await api_sqlite.gql(SCENARIO, {"home": home, "days": 1, "input": bad}, token)
        assert code(body) == "BAD_USER_INPUT"
        assert "addBatteries[0].capacityWh" in error(body)["message"]

    async def test_a_bad_tariff_names_its_field(self, api_sqlite: Api):
        token = await api_sqlite.register("alice")
        home = await first_home(api_sqlite, token)
        bad = {"tariff": {"kind": "FIXED", "currency": "EURO"}}
        body = await api_sqlite.gql(SCENARIO, {"home": home, "days": 1, "input": bad}, token)
        assert code(body) == "BAD_USER_INPUT"
        assert "currency" in error(body)["message"]


class TestIsolation:
    async def test_a_foreign_home_is_not_found(self, any_api: Api):
        alice = await any_api.register("alice")
        bob = await any_api.register("bob")
        home = await first_home(any_api, alice)
        body = await any_api.gql(SCENARIO, {"home": home, "days": 1, "input": {}}, bob)
        assert code(body) == "NOT_FOUND"

    async def test_removing_a_foreign_device_is_not_found(self, api_sqlite: Api):
        alice = await api_sqlite.register("alice")
        bob = await api_sqlite.register("bob")
        theirs = await new_device(api_sqlite, alice, "Heater")
        home = await first_home(api_sqlite, bob)
        body = await api_sqlite.gql(
            SCENARIO,
            {"home": home, "days": 1, "input": {"removeDeviceIds": [theirs["id"]]}},
            bob,
        )
        assert code(body) == "NOT_FOUND"
