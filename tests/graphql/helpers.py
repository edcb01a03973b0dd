"""Query texts and small helpers shared by the GraphQL tests."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from app import models
from app.auth.jwt import issue_token
from tests.fixtures.app import Api
from tests.fixtures.factories import create_user

DEVICE_FIELDS = """
    __typename id name kind createdAt
    ... on SolarPanel { panelAreaM2 efficiency maxCapacityW latitude longitude }
    ... on Generator { ratedPowerW }
    ... on Battery { capacityWh cRate currentLevelWh }
    ... on ElectricVehicle {
        batteryCapacityKwh currentChargeKwh chargeRateKw drivingConsumptionKwhPerHour
        mode modeSetting lastSeenAt
    }
    ... on AirConditioner { ratedPowerW }
    ... on Heater { ratedPowerW }
"""

DEVICES = f"query($kind: DeviceKind) {{ devices(kind: $kind) {{ {DEVICE_FIELDS} }} }}"
DEVICE = f"query($id: ID!) {{ device(id: $id) {{ {DEVICE_FIELDS} }} }}"
RENAME = (
    "mutation($id: ID!, $name: String!) "
    f"{{ renameDevice(id: $id, name: $name) {{ {DEVICE_FIELDS} }} }}"
)
DELETE = "mutation($id: ID!) { deleteDevice(id: $id) }"
SET_MODE = (
    "mutation($id: ID!, $mode: EVMode!) { setElectricVehicleMode(id: $id, mode: $mode) "
    "{ id mode modeSetting } }"
)
REGISTER = (
    "mutation($u: String!, $p: String!) { registerUser(username: $u, password: $p) "
    "{ token expiresAt user { id username } } }"
)
LOGIN = (
    "mutation($u: String!, $p: String!) { loginUser(username: $u, password: $p) "
    "{ token expiresAt user { id username } } }"
)

#: Per kind: the create mutation, its input type, and a valid input.
CREATE: dict[str, tuple[str, str, dict[str, Any]]] = {
    "SolarPanel": (
        "createSolarPanel",
        "SolarPanelInput",
        {"name": "Roof south", "panelAreaM2": 30.0, "maxCapacityW": 6000.0, "efficiency": 0.21},
    ),
    "Generator": ("createGenerator", "GeneratorInput", {"name": "Backup", "ratedPowerW": 2000.0}),
    "Battery": (
        "createBattery",
        "BatteryInput",
        {"name": "Powerwall", "capacityWh": 13500.0, "cRate": 0.4, "initialLevelWh": 5000.0},
    ),
    "ElectricVehicle": (
        "createElectricVehicle",
        "ElectricVehicleInput",
        {"name": "Model 3", "batteryCapacityKwh": 75.0, "currentChargeKwh": 40.0},
    ),
    "AirConditioner": (
        "createAirConditioner",
        "AirConditionerInput",
        {"name": "Living room AC", "ratedPowerW": 3500.0},
    ),
    "Heater": ("createHeater", "HeaterInput", {"name": "Bathroom heater", "ratedPowerW": 1500.0}),
}

KIND_OF_TYPE = {
    "SolarPanel": "SOLAR_PANEL",
    "Generator": "GENERATOR",
    "Battery": "BATTERY",
    "ElectricVehicle": "ELECTRIC_VEHICLE",
    "AirConditioner": "AIR_CONDITIONER",
    "Heater": "HEATER",
}

MODEL_OF_TYPE: dict[str, type[models.Device]] = {
    "SolarPanel": models.SolarPanel,
    "Generator": models.Generator,
    "Battery": models.Battery,
    "ElectricVehicle": models.ElectricVehicle,
    "AirConditioner": models.AirConditioner,
    "Heater": models.Heater,
}


def create_mutation(type_name: str) -> str:
    field, input_type, _ = CREATE[type_name]
    # A concrete type admits only its own fragment; through the interface, every kind's does.
    return (
        f"mutation($input: {input_type}!) "
        f"{{ {field}(input: $input) {{ ... on Device {{ {DEVICE_FIELDS} }} }} }}"
    )


async def create(api: Api, token: str, type_name: str, **overrides: Any) -> dict[str, Any]:
    """Create a device of the given GraphQL type through the API; returns its fields."""
    field, _, valid = CREATE[type_name]
    body = await api.gql(create_mutation(type_name), {"input": {**valid, **overrides}}, token)
    assert body.get("errors") is None, body
    device: dict[str, Any] = body["data"][field]
    return device


def error(body: dict[str, Any]) -> dict[str, Any]:
    """The response's only error."""
    errors = body.get("errors")
    assert errors is not None, body
    assert len(errors) == 1, errors
    only: dict[str, Any] = errors[0]
    return only


def code(body: dict[str, Any]) -> str:
    """The `extensions.code` of the response's only error."""
    value: str = error(body)["extensions"]["code"]
    return value


async def count(api: Api, model: type[models.Base]) -> int:
    """Rows of a model's table, read through the app's own database."""
    async with api.state.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def user_with_token(api: Api, username: str) -> tuple[models.User, str]:
    """A user inserted directly (no argon2 cost) and a token the app accepts for it."""
    async with api.state.sessionmaker() as session:
        user = await create_user(session, username=username)
        await session.commit()
    token, _ = issue_token(
        user.id,
        user.username,
        secret=api.state.settings.JWT_SECRET,
        lifetime_s=api.state.settings.JWT_LIFETIME_S,
    )
    return user, token


async def gql_raw(
    api: Api, query: str, variables: dict[str, Any], token: str | None = None
) -> dict[str, Any]:
    """Like `Api.gql`, but lets NaN and Infinity through the JSON (as a careless client might)."""
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    payload = json.dumps({"query": query, "variables": variables}, allow_nan=True)
    response = await api.client.post("/graphql", content=payload, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
