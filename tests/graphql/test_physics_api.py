"""The device physics API: panel orientation, household loads, thermostats (setThermostat)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from app import models
from tests.graphql.helpers import code, count, error, user_with_token

PANEL = (
    "mutation($input: SolarPanelInput!) { createSolarPanel(input: $input) "
    "{ id tiltDeg azimuthDeg panelAreaM2 } }"
)
HOUSEHOLD = (
    "mutation($input: HouseholdLoadInput!) { createHouseholdLoad(input: $input) "
    "{ __typename id kind name annualConsumptionKwh home { id } } }"
)
THERMO_FIELDS = """
    __typename id
    ... on AirConditioner { on setpointC indoorTemperatureC ratedPowerW }
    ... on Heater { on setpointC indoorTemperatureC ratedPowerW }
"""
SET = (
    "mutation($id: ID!, $on: Boolean, $sp: Float) "
    f"{{ setThermostat(id: $id, on: $on, setpointC: $sp) {{ {THERMO_FIELDS} }} }}"
)
DEVICE = f"query($id: ID!) {{ device(id: $id) {{ {THERMO_FIELDS} }} }}"
BASE_PANEL = {"name": "Roof", "panelAreaM2": 10.0, "maxCapacityW": 2000.0}


async def _create(api: Any, token: str, mutation: str, field: str, values: dict[str, Any]) -> Any:
    body = await api.gql(mutation, {"input": values}, token)
    assert body.get("errors") is None, body
    return body["data"][field]


async def _load(api: Any, token: str, kind: str, rated: float = 2000.0) -> str:
    name = "AirConditioner" if kind == "AC" else "Heater"
    body = await api.gql(
        f"mutation($i: {name}Input!) {{ create{name}(input: $i) {{ id }} }}",
        {"i": {"name": kind, "ratedPowerW": rated}},
        token,
    )
    assert body.get("errors") is None, body
    device_id: str = body["data"][f"create{name}"]["id"]
    return device_id


class TestSolarPanelOrientation:
    async def test_defaults_are_flat_and_south(self, any_api):
        _, token = await user_with_token(any_api, "alice")
        panel = await _create(any_api, token, PANEL, "createSolarPanel", BASE_PANEL)
        assert (panel["tiltDeg"], panel["azimuthDeg"]) == (0.0, 180.0)

    async def test_given_orientation_is_stored(self, any_api):
        _, token = await user_with_token(any_api, "alice")
        values = {**BASE_PANEL, "tiltDeg": 35.0, "azimuthDeg": 90.0}
        panel = await _create(any_api, token, PANEL, "createSolarPanel", values)
        assert (panel["tiltDeg"], panel["azimuthDeg"]) == (35.0, 90.0)
        async with any_api.state.sessionmaker() as session:
            row = (await session.scalars(select(models.SolarPanel))).one()
        assert (row.tilt_deg, row.azimuth_deg, row.temperature_coefficient_per_k) == (
            35.0,
            90.0,
            -0.004,
        )

    @pytest.mark.parametrize(
        ("field", "value"),
        [("tiltDeg", -1.0), ("tiltDeg", 90.5), ("azimuthDeg", 360.0), ("azimuthDeg", -0.1)],
    )
    async def test_out_of_range_is_refused_and_writes_nothing(self, any_api, field, value):
        _, token = await user_with_token(any_api, "alice")
        body = await any_api.gql(PANEL, {"input": {**BASE_PANEL, field: value}}, token)
        assert code(body) == "BAD_USER_INPUT"
        assert error(body)["message"].startswith(f"{field}:")
        assert await count(any_api, models.Device) == 0


class TestHouseholdLoad:
    async def test_create_returns_the_load_in_the_first_home(self, any_api):
        _, token = await user_with_token(any_api, "alice")
        values = {"name": "Base load", "annualConsumptionKwh": 3500.0}
        load = await _create(any_api, token, HOUSEHOLD, "createHouseholdLoad", values)
        assert load["__typename"] == "HouseholdLoad"
        assert load["kind"] == "HOUSEHOLD"
        assert load["annualConsumptionKwh"] == 3500.0
        assert await count(any_api, models.HouseholdLoad) == 1

    @pytest.mark.parametrize("value", [0.0, -5.0, 1e12])
    async def test_a_bad_annual_figure_is_refused(self, any_api, value):
        _, token = await user_with_token(any_api, "alice")
        body = await any_api.gql(
            HOUSEHOLD, {"input": {"name": "x", "annualConsumptionKwh": value}}, token
        )
        assert code(body) == "BAD_USER_INPUT"
        assert error(body)["message"].startswith("annualConsumptionKwh:")
        assert await count(any_api, models.Device) == 0


class TestSetThermostat:
    async def test_an_untouched_device_reports_its_defaults(self, any_api):
        _, token = await user_with_token(any_api, "alice")
        for kind, setpoint in (("AC", 24.0), ("HEAT", 20.0)):
            device_id = await _load(any_api, token, kind)
            body = await any_api.gql(DEVICE, {"id": device_id}, token)
            device = body["data"]["device"]
            assert (device["on"], device["setpointC"], device["indoorTemperatureC"]) == (
                True,
                setpoint,
                None,
            )

    async def test_sets_on_and_setpoint_and_engages_the_thermostat(self, any_api):
        _, token = await user_with_token(any_api, "alice")
        device_id = await _load(any_api, token, "HEAT")
        body = await any_api.gql(SET, {"id": device_id, "on": False}, token)
        assert body.get("errors") is None, body
        device = body["data"]["setThermostat"]
        assert (device["__typename"], device["on"], device["setpointC"]) == ("Heater", False, 20.0)
        body = await any_api.gql(SET, {"id": device_id, "sp": 22.5}, token)
        assert body["data"]["setThermostat"]["setpointC"] == 22.5
        assert body["data"]["setThermostat"]["on"] is False
        async with any_api.state.sessionmaker() as session:
            row = (await session.scalars(select(models.Heater))).one()
        assert (row.switched_on, row.setpoint_c) == (False, 22.5)

    async def test_the_first_call_stores_the_default_setpoint(self, any_api):
        _, token = await user_with_token(any_api, "alice")
        device_id = await _load(any_api, token, "AC")
        body = await any_api.gql(SET, {"id": device_id, "on": True}, token)
        assert body["data"]["setThermostat"]["setpointC"] == 24.0
        async with any_api.state.sessionmaker() as session:
            row = (await session.scalars(select(models.AirConditioner))).one()
        assert row.setpoint_c == 24.0

    @pytest.mark.parametrize("value", [4.9, 35.1, -40.0])
    async def test_a_bad_setpoint_is_refused_and_writes_nothing(self, any_api, value):
        _, token = await user_with_token(any_api, "alice")
        device_id = await _load(any_api, token, "AC")
        variables: dict[str, Any] = {"id": device_id, "on": False, "sp": value}
        body = await any_api.gql(SET, variables, token)
        assert code(body) == "BAD_USER_INPUT"
        assert error(body)["message"].startswith("setpointC:")
        async with any_api.state.sessionmaker() as session:
            row = (await session.scalars(select(models.AirConditioner))).one()
        assert (row.switched_on, row.setpoint_c) == (True, None)

    async def test_another_kind_is_refused_naming_the_id(self, any_api):
        _, token = await user_with_token(any_api, "alice")
        panel = await _create(any_api, token, PANEL, "createSolarPanel", BASE_PANEL)
        body = await any_api.gql(SET, {"id": panel["id"], "on": False}, token)
        assert code(body) == "BAD_USER_INPUT"
        assert error(body)["message"].startswith("id:")

    async def test_another_users_device_is_not_found_and_untouched(self, any_api):
        _, alice = await user_with_token(any_api, "alice")
        _, bob = await user_with_token(any_api, "bob")
        device_id = await _load(any_api, alice, "HEAT")
        body = await any_api.gql(SET, {"id": device_id, "on": False, "sp": 25.0}, bob)
        assert code(body) == "NOT_FOUND"
        async with any_api.state.sessionmaker() as session:
            row = (await session.scalars(select(models.Heater))).one()
        assert (row.switched_on, row.setpoint_c) == (True, None)
