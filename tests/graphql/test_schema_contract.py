"""The served schema contains the public contract (API.md) unchanged: names, types, defaults."""

from __future__ import annotations

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    build_schema,
)
from graphql.pyutils import Undefined

from app.graphql.schema import schema as served_schema

# Copied from the GraphQL block of API.md (the project may add to the schema, never rename).
CONTRACT = """
scalar DateTime

enum DeviceKind { SOLAR_PANEL GENERATOR BATTERY ELECTRIC_VEHICLE AIR_CONDITIONER HEATER HOUSEHOLD }
enum EVMode { CHARGING DISCHARGING OFFLINE }

type User { id: ID! username: String! }
type AuthPayload { token: String! expiresAt: DateTime! user: User! }

type DeviceReading {
  powerW: Float!
  status: String!
  timestamp: DateTime!
  storage: StorageReading
}
type StorageReading { capacityWh: Float! currentLevelWh: Float! flowW: Float! }

interface Device {
  id: ID!
  name: String!
  kind: DeviceKind!
  createdAt: DateTime!
  live: DeviceReading
}
type SolarPanel implements Device {
  id: ID! name: String! kind: DeviceKind! createdAt: DateTime! live: DeviceReading
  panelAreaM2: Float! efficiency: Float! maxCapacityW: Float!
  latitude: Float! longitude: Float!
}
type Generator implements Device {
  id: ID! name: String! kind: DeviceKind! createdAt: DateTime! live: DeviceReading
  ratedPowerW: Float!
}
type Battery implements Device {
  id: ID! name: String! kind: DeviceKind! createdAt: DateTime! live: DeviceReading
  capacityWh: Float! cRate: Float!
  currentLevelWh: Float!
}
type ElectricVehicle implements Device {
  id: ID! name: String! kind: DeviceKind! createdAt: DateTime! live: DeviceReading
  batteryCapacityKwh: Float! currentChargeKwh: Float! chargeRateKw: Float!
  drivingConsumptionKwhPerHour: Float!
  mode: EVMode! lastSeenAt: DateTime
}
type AirConditioner implements Device {
  id: ID! name: String! kind: DeviceKind! createdAt: DateTime! live: DeviceReading
  ratedPowerW: Float!
}
type Heater implements Device {
  id: ID! name: String! kind: DeviceKind! createdAt: DateTime! live: DeviceReading
  ratedPowerW: Float!
}

type EnergyStats {
  currentProduction: Float!
  currentConsumption: Float!
  storageFlow: Float!
  netGridFlow: Float!
  timestamp: DateTime
}

type Query {
  me: User!
  devices(kind: DeviceKind): [Device!]!
  device(id: ID!): Device
  energyStats: EnergyStats!
}

input SolarPanelInput { name: String! panelAreaM2: Float! efficiency: Float = 0.2 maxCapacityW: Float! latitude: Float longitude: Float }
input GeneratorInput { name: String! ratedPowerW: Float! }
input BatteryInput { name: String! capacityWh: Float! cRate: Float = 0.5 initialLevelWh: Float = 0 }
input ElectricVehicleInput { name: String! batteryCapacityKwh: Float! currentChargeKwh: Float chargeRateKw: Float = 7.2 drivingConsumptionKwhPerHour: Float = 2.0 }
input AirConditionerInput { name: String! ratedPowerW: Float! }
input HeaterInput { name: String! ratedPowerW: Float! }

type Mutation {
  registerUser(username: String!, password: String!): AuthPayload!
  loginUser(username: String!, password: String!): AuthPayload!
  createSolarPanel(input: SolarPanelInput!): SolarPanel!
  createGenerator(input: GeneratorInput!): Generator!
  createBattery(input: BatteryInput!): Battery!
  createElectricVehicle(input: ElectricVehicleInput!): ElectricVehicle!
  createAirConditioner(input: AirConditionerInput!): AirConditioner!
  createHeater(input: HeaterInput!): Heater!
  renameDevice(id: ID!, name: String!): Device!
  deleteDevice(id: ID!): Boolean!
  setElectricVehicleMode(id: ID!, mode: EVMode!): ElectricVehicle!
}
"""  # noqa: E501

contract = build_schema(CONTRACT)
served = build_schema(served_schema.as_str())
NAMED = sorted(name for name in contract.type_map if not name.startswith("__"))


def _fields(type_name: str) -> list[tuple[str, str]]:
    named = contract.type_map[type_name]
    assert isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType)
    return [(type_name, f) for f in named.fields]


FIELDS = [
    pair
    for name in NAMED
    if isinstance(contract.type_map[name], GraphQLObjectType | GraphQLInterfaceType)
    for pair in _fields(name)
]
INPUT_FIELDS = [
    pair
    for name in NAMED
    if isinstance(contract.type_map[name], GraphQLInputObjectType)
    for pair in _fields(name)
]


class TestContract:
    @pytest.mark.parametrize("name", NAMED)
    def test_every_contract_type_is_served_with_the_same_kind(self, name):
        assert name in served.type_map
        assert type(served.type_map[name]) is type(contract.type_map[name])

    @pytest.mark.parametrize(("type_name", "field"), FIELDS)
    def test_every_output_field_has_the_contract_type_and_arguments(self, type_name, field):
        want_type, got_type = contract.type_map[type_name], served.type_map[type_name]
        assert isinstance(want_type, GraphQLObjectType | GraphQLInterfaceType)
        assert isinstance(got_type, GraphQLObjectType | GraphQLInterfaceType)
        want = want_type.fields[field]
        got = got_type.fields.get(field)
        assert got is not None, f"{type_name}.{field} missing"
        assert str(got.type) == str(want.type)
        for arg_name, arg in want.args.items():
            assert arg_name in got.args, f"{type_name}.{field}({arg_name}) missing"
            assert str(got.args[arg_name].type) == str(arg.type)
        # Arguments added by the project must not be required.
        for arg_name, arg in got.args.items():
            if arg_name not in want.args:
                assert not str(arg.type).endswith("!"), f"{type_name}.{field}({arg_name})"

    @pytest.mark.parametrize(("type_name", "field"), INPUT_FIELDS)
    def test_every_input_field_has_the_contract_type_and_default(self, type_name, field):
        want_type, got_type = contract.type_map[type_name], served.type_map[type_name]
        assert isinstance(want_type, GraphQLInputObjectType)
        assert isinstance(got_type, GraphQLInputObjectType)
        want = want_type.fields[field]
        got = got_type.fields.get(field)
        assert got is not None, f"{type_name}.{field} missing"
        assert str(got.type) == str(want.type)
        assert got.default_value == want.default_value
        if want.default_value is Undefined:
            assert got.default_value is Undefined

    @pytest.mark.parametrize("name", [n for n in NAMED if n in ("DeviceKind", "EVMode")])
    def test_enum_values_are_exactly_the_contracts(self, name):
        want = contract.type_map[name]
        got = served.type_map[name]
        assert isinstance(want, GraphQLEnumType)
        assert isinstance(got, GraphQLEnumType)
        assert list(got.values) == list(want.values)

    @pytest.mark.parametrize(
        "name",
        ["SolarPanel", "Generator", "Battery", "ElectricVehicle", "AirConditioner", "Heater"],
    )
    def test_every_device_type_implements_the_interface(self, name):
        device = served.type_map[name]
        assert isinstance(device, GraphQLObjectType)
        assert [i.name for i in device.interfaces] == ["Device"]
