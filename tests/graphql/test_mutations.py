"""Mutations: per-kind creation (validation, defaults), rename, delete, EV mode, register, login."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from jose import jwt
from sqlalchemy import select, update

from app import models
from app.live import keys
from tests.graphql.helpers import (
    CREATE,
    DELETE,
    DEVICE,
    DEVICES,
    KIND_OF_TYPE,
    LOGIN,
    MODEL_OF_TYPE,
    REGISTER,
    RENAME,
    SET_MODE,
    code,
    count,
    create,
    create_mutation,
    error,
    gql_raw,
    user_with_token,
)

ALL_TYPES = list(CREATE)
#: Create inputs whose output field has another name.
OUTPUT_NAME = {"initialLevelWh": "currentLevelWh"}


def _literal(type_name: str, field: str, raw: str) -> str:
    """The create mutation with a literal input: the valid values, `field` set to `raw` text."""
    mutation, _, valid = CREATE[type_name]
    values = {k: json.dumps(v) for k, v in valid.items()}
    values[field] = raw
    fields = ", ".join(f"{k}: {v}" for k, v in values.items())
    return f"mutation {{ {mutation}(input: {{ {fields} }}) {{ id }} }}"


async def _rejected(api, token, type_name, field, value):
    """Create with one bad field; assert BAD_USER_INPUT naming it and that nothing was written."""
    mutation, _, valid = CREATE[type_name]
    body = await api.gql(create_mutation(type_name), {"input": {**valid, field: value}}, token)
    assert code(body) == "BAD_USER_INPUT"
    assert error(body)["message"].startswith(f"{field}:")
    assert body["data"] is None
    assert await count(api, models.Device) == 0
    assert await count(api, MODEL_OF_TYPE[type_name]) == 0
    return error(body)["message"]


def _first_number(type_name: str) -> str:
    """The first numeric field of a kind's valid input."""
    return next(k for k, v in CREATE[type_name][2].items() if isinstance(v, float))


class TestCreateAnyKind:
    """What every create mutation shares; each test runs all six kinds."""

    async def test_returns_each_new_device_with_its_own_fields(self, api):
        _, token = await user_with_token(api, "alice")
        for type_name in ALL_TYPES:
            device = await create(api, token, type_name)
            assert device["__typename"] == type_name
            assert device["kind"] == KIND_OF_TYPE[type_name]
            for field, value in CREATE[type_name][2].items():
                assert device[OUTPUT_NAME.get(field, field)] == value, (type_name, field)
            assert uuid.UUID(device["id"])

    async def test_writes_one_base_row_and_one_kind_row_per_device(self, api):
        _, token = await user_with_token(api, "alice")
        for type_name in ALL_TYPES:
            await create(api, token, type_name)
            assert await count(api, MODEL_OF_TYPE[type_name]) == 1, type_name
        assert await count(api, models.Device) == len(ALL_TYPES)

    async def test_created_at_is_timezone_aware_utc(self, any_api):
        _, token = await user_with_token(any_api, "alice")
        for type_name in ALL_TYPES:
            before = datetime.now(UTC)
            device = await create(any_api, token, type_name)
            created = datetime.fromisoformat(device["createdAt"])
            assert created.utcoffset() == timedelta(0)
            assert before <= created <= datetime.now(UTC)

    @pytest.mark.parametrize("name", ["", "   ", "\t\n", "x" * 101, "bad\x00name"])
    async def test_rejects_a_bad_name_and_writes_nothing(self, api, name):
        _, token = await user_with_token(api, "alice")
        for type_name in ALL_TYPES:
            await _rejected(api, token, type_name, "name", name)

    async def test_trims_the_name(self, api):
        _, token = await user_with_token(api, "alice")
        for type_name in ALL_TYPES:
            device = await create(api, token, type_name, name="  Garage  ")
            assert device["name"] == "Garage", type_name

    async def test_accepts_a_name_of_exactly_100_characters(self, api):
        _, token = await user_with_token(api, "alice")
        device = await create(api, token, "Heater", name="h" * 100)
        assert device["name"] == "h" * 100

    async def test_missing_required_field_is_bad_input_naming_it(self, api):
        _, token = await user_with_token(api, "alice")
        for type_name in ALL_TYPES:
            required = _first_number(type_name)
            partial = {k: v for k, v in CREATE[type_name][2].items() if k != required}
            body = await api.gql(create_mutation(type_name), {"input": partial}, token)
            assert code(body) == "BAD_USER_INPUT"
            assert required in error(body)["message"]
        assert await count(api, models.Device) == 0

    async def test_a_string_for_a_number_is_bad_input_naming_the_field(self, api):
        _, token = await user_with_token(api, "alice")
        for type_name in ALL_TYPES:
            number = _first_number(type_name)
            body = await api.gql(_literal(type_name, number, '"lots"'), token=token)
            assert code(body) == "BAD_USER_INPUT"
            assert error(body)["message"].startswith(f"{number}:")
        assert await count(api, models.Device) == 0

    @pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
    async def test_non_finite_variables_are_bad_input_naming_the_field(self, api, value):
        _, token = await user_with_token(api, "alice")
        for type_name in ALL_TYPES:
            number = _first_number(type_name)
            variables = {"input": {**CREATE[type_name][2], number: value}}
            body = await gql_raw(api, create_mutation(type_name), variables, token)
            assert code(body) == "BAD_USER_INPUT"
            assert number in error(body)["message"]
        assert await count(api, models.Device) == 0

    async def test_an_overflowing_literal_is_bad_input_naming_the_field(self, api):
        _, token = await user_with_token(api, "alice")
        for type_name in ALL_TYPES:
            number = _first_number(type_name)
            body = await api.gql(_literal(type_name, number, "1e400"), token=token)
            assert code(body) == "BAD_USER_INPUT"
            assert error(body)["message"] == f"{number}: must be a finite number"
        assert await count(api, models.Device) == 0

    async def test_an_integer_too_large_for_a_float_is_bad_input(self, api):
        _, token = await user_with_token(api, "alice")
        for type_name in ALL_TYPES:
            variables = {"input": {**CREATE[type_name][2], _first_number(type_name): 10**400}}
            body = await gql_raw(api, create_mutation(type_name), variables, token)
            assert code(body) == "BAD_USER_INPUT"
        assert await count(api, models.Device) == 0

    async def test_deleted_account_cannot_create(self, api):
        user, token = await user_with_token(api, "alice")
        async with api.state.sessionmaker() as session:
            await session.delete(await session.get(models.User, user.id))
            await session.commit()
        for type_name in ALL_TYPES:
            body = await api.gql(create_mutation(type_name), {"input": CREATE[type_name][2]}, token)
            assert code(body) == "UNAUTHENTICATED"
        assert await count(api, models.Device) == 0


class TestCreateSolarPanel:
    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("panelAreaM2", 0.0),
            ("panelAreaM2", 1e9),
            ("efficiency", 0.0),
            ("efficiency", -0.2),
            ("efficiency", 1.0001),
            ("maxCapacityW", -6000.0),
            ("maxCapacityW", 1e308),
            ("latitude", 90.01),
            ("latitude", -91.0),
            ("longitude", 180.5),
            ("longitude", -181.0),
        ],
    )
    async def test_rejects_out_of_range_values_and_writes_nothing(self, api, field, value):
        _, token = await user_with_token(api, "alice")
        await _rejected(api, token, "SolarPanel", field, value)

    async def test_efficiency_message_states_the_open_interval(self, api):
        _, token = await user_with_token(api, "alice")
        message = await _rejected(api, token, "SolarPanel", "efficiency", 0.0)
        assert message == "efficiency: must be within (0, 1]"

    async def test_latitude_message_states_the_range(self, api):
        _, token = await user_with_token(api, "alice")
        message = await _rejected(api, token, "SolarPanel", "latitude", 91.0)
        assert message == "latitude: must be within [-90, 90]"

    @pytest.mark.parametrize(
        ("field", "value"),
        [("efficiency", 1.0), ("efficiency", 1e-6), ("latitude", 90.0), ("latitude", -90.0)],
    )
    async def test_accepts_the_boundaries(self, api, field, value):
        _, token = await user_with_token(api, "alice")
        panel = await create(api, token, "SolarPanel", **{field: value})
        assert panel[field] == value

    async def test_omitted_efficiency_and_location_take_the_documented_defaults(self, api):
        _, token = await user_with_token(api, "alice")
        body = await api.gql(
            create_mutation("SolarPanel"),
            {"input": {"name": "Roof", "panelAreaM2": 20.0, "maxCapacityW": 4000.0}},
            token,
        )
        panel = body["data"]["createSolarPanel"]
        assert (panel["efficiency"], panel["latitude"], panel["longitude"]) == (
            0.2,
            37.77,
            -122.42,
        )

    async def test_explicit_nulls_take_the_documented_defaults(self, api):
        _, token = await user_with_token(api, "alice")
        panel = await create(
            api, token, "SolarPanel", efficiency=None, latitude=None, longitude=None
        )
        assert (panel["efficiency"], panel["latitude"], panel["longitude"]) == (
            0.2,
            37.77,
            -122.42,
        )

    async def test_a_location_at_zero_zero_is_kept(self, api):
        _, token = await user_with_token(api, "alice")
        panel = await create(api, token, "SolarPanel", latitude=0.0, longitude=0.0)
        assert (panel["latitude"], panel["longitude"]) == (0.0, 0.0)

    async def test_a_given_location_is_stored(self, api):
        _, token = await user_with_token(api, "alice")
        panel = await create(api, token, "SolarPanel", latitude=52.52, longitude=13.405)
        async with api.state.sessionmaker() as session:
            row = await session.get(models.SolarPanel, uuid.UUID(panel["id"]))
        assert (row.latitude, row.longitude) == (52.52, 13.405)


RATED = ["Generator", "AirConditioner", "Heater"]


class TestCreateRatedPowerDevice:
    """createGenerator, createAirConditioner and createHeater share one input shape."""

    @pytest.mark.parametrize("value", [-1.0, -2000.0, 1e308])
    async def test_rejects_a_bad_rated_power_and_writes_nothing(self, api, value):
        _, token = await user_with_token(api, "alice")
        for type_name in RATED:
            await _rejected(api, token, type_name, "ratedPowerW", value)

    async def test_zero_power_message_says_greater_than_zero(self, api):
        _, token = await user_with_token(api, "alice")
        for type_name in RATED:
            message = await _rejected(api, token, type_name, "ratedPowerW", 0.0)
            assert message == "ratedPowerW: must be greater than 0"

    async def test_stores_the_rated_power(self, api):
        _, token = await user_with_token(api, "alice")
        for type_name in RATED:
            device = await create(api, token, type_name, ratedPowerW=1234.5)
            async with api.state.sessionmaker() as session:
                row = await session.get(MODEL_OF_TYPE[type_name], uuid.UUID(device["id"]))
            assert row.rated_power_w == 1234.5


class TestCreateBattery:
    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("capacityWh", 0.0),
            ("capacityWh", -13500.0),
            ("capacityWh", 1e308),
            ("cRate", 0.0),
            ("cRate", 11.0),
            ("initialLevelWh", -0.001),
            ("initialLevelWh", 13500.01),
        ],
    )
    async def test_rejects_out_of_range_values_and_writes_nothing(self, api, field, value):
        _, token = await user_with_token(api, "alice")
        await _rejected(api, token, "Battery", field, value)

    async def test_initial_level_above_capacity_is_refused_naming_it(self, api):
        _, token = await user_with_token(api, "alice")
        message = await _rejected(api, token, "Battery", "initialLevelWh", 20000.0)
        assert message == "initialLevelWh: must not exceed capacityWh"

    @pytest.mark.parametrize("level", [0.0, 13500.0])
    async def test_initial_level_may_be_empty_or_full(self, api, level):
        _, token = await user_with_token(api, "alice")
        battery = await create(api, token, "Battery", initialLevelWh=level)
        assert battery["currentLevelWh"] == level

    async def test_omitted_c_rate_and_initial_level_take_the_documented_defaults(self, api):
        _, token = await user_with_token(api, "alice")
        body = await api.gql(
            create_mutation("Battery"), {"input": {"name": "Wall", "capacityWh": 10000.0}}, token
        )
        battery = body["data"]["createBattery"]
        assert (battery["cRate"], battery["currentLevelWh"]) == (0.5, 0.0)

    async def test_explicit_nulls_take_the_documented_defaults(self, api):
        _, token = await user_with_token(api, "alice")
        battery = await create(api, token, "Battery", cRate=None, initialLevelWh=None)
        assert (battery["cRate"], battery["currentLevelWh"]) == (0.5, 0.0)

    async def test_new_battery_starts_idle_and_unsimulated(self, api):
        _, token = await user_with_token(api, "alice")
        battery = await create(api, token, "Battery")
        async with api.state.sessionmaker() as session:
            row = await session.get(models.Battery, uuid.UUID(battery["id"]))
        assert (row.flow_w, row.simulated_at, row.status) == (
            0.0,
            None,
            models.DeviceStatus.ACTIVE,
        )


class TestCreateElectricVehicle:
    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("batteryCapacityKwh", 0.0),
            ("batteryCapacityKwh", 1e6),
            ("currentChargeKwh", -1.0),
            ("currentChargeKwh", 75.5),
            ("chargeRateKw", 0.0),
            ("chargeRateKw", 1e9),
            ("drivingConsumptionKwhPerHour", -2.0),
        ],
    )
    async def test_rejects_out_of_range_values_and_writes_nothing(self, api, field, value):
        _, token = await user_with_token(api, "alice")
        await _rejected(api, token, "ElectricVehicle", field, value)

    async def test_omitted_rates_take_the_documented_defaults(self, api):
        _, token = await user_with_token(api, "alice")
        body = await api.gql(
            create_mutation("ElectricVehicle"),
            {"input": {"name": "Leaf", "batteryCapacityKwh": 40.0}},
            token,
        )
        ev = body["data"]["createElectricVehicle"]
        assert (ev["chargeRateKw"], ev["drivingConsumptionKwhPerHour"]) == (7.2, 2.0)

    async def test_explicit_nulls_take_the_documented_defaults(self, api):
        _, token = await user_with_token(api, "alice")
        ev = await create(
            api, token, "ElectricVehicle", chargeRateKw=None, drivingConsumptionKwhPerHour=None
        )
        assert (ev["chargeRateKw"], ev["drivingConsumptionKwhPerHour"]) == (7.2, 2.0)

    @pytest.mark.parametrize("given", [{}, {"currentChargeKwh": None}])
    async def test_without_a_charge_arrives_half_full(self, api, given):
        _, token = await user_with_token(api, "alice")
        body = await api.gql(
            create_mutation("ElectricVehicle"),
            {"input": {"name": "Leaf", "batteryCapacityKwh": 40.0, **given}},
            token,
        )
        assert body["data"]["createElectricVehicle"]["currentChargeKwh"] == 20.0

    async def test_a_new_vehicle_is_connected_and_charging(self, api):
        _, token = await user_with_token(api, "alice")
        ev = await create(api, token, "ElectricVehicle")
        assert (ev["mode"], ev["modeSetting"], ev["lastSeenAt"]) == ("CHARGING", "CHARGING", None)

    async def test_zero_driving_consumption_is_allowed(self, api):
        _, token = await user_with_token(api, "alice")
        ev = await create(api, token, "ElectricVehicle", drivingConsumptionKwhPerHour=0.0)
        assert ev["drivingConsumptionKwhPerHour"] == 0.0


class TestRenameDevice:
    async def test_renames_and_returns_the_concrete_type(self, api):
        _, token = await user_with_token(api, "alice")
        for type_name in ALL_TYPES:
            device = await create(api, token, type_name)
            body = await api.gql(RENAME, {"id": device["id"], "name": "  Renamed  "}, token)
            assert body == {"data": {"renameDevice": {**device, "name": "Renamed"}}}

    async def test_new_name_is_persisted(self, api):
        _, token = await user_with_token(api, "alice")
        device = await create(api, token, "Battery")
        await api.gql(RENAME, {"id": device["id"], "name": "Basement battery"}, token)
        body = await api.gql(DEVICE, {"id": device["id"]}, token)
        assert body["data"]["device"]["name"] == "Basement battery"

    async def test_bad_name_is_bad_input_and_keeps_the_old_name(self, api):
        _, token = await user_with_token(api, "alice")
        device = await create(api, token, "Heater")
        for name in ("", "   ", "x" * 101, "a\x00b"):
            body = await api.gql(RENAME, {"id": device["id"], "name": name}, token)
            assert code(body) == "BAD_USER_INPUT"
            assert error(body)["message"].startswith("name:")
        after = await api.gql(DEVICE, {"id": device["id"]}, token)
        assert after["data"]["device"]["name"] == device["name"]

    async def test_unknown_or_malformed_id_is_not_found(self, api):
        _, token = await user_with_token(api, "alice")
        for device_id in (str(uuid.uuid4()), "not-a-uuid", ""):
            body = await api.gql(RENAME, {"id": device_id, "name": "x"}, token)
            assert code(body) == "NOT_FOUND"
            assert body["data"] is None


class TestDeleteDevice:
    async def test_deletes_the_base_and_kind_rows(self, any_api):
        _, token = await user_with_token(any_api, "alice")
        for type_name in ALL_TYPES:
            device = await create(any_api, token, type_name)
            body = await any_api.gql(DELETE, {"id": device["id"]}, token)
            assert body == {"data": {"deleteDevice": True}}
            assert await count(any_api, models.Device) == 0
            assert await count(any_api, MODEL_OF_TYPE[type_name]) == 0

    async def test_deleted_device_is_gone_from_the_api(self, api):
        _, token = await user_with_token(api, "alice")
        kept = await create(api, token, "Heater")
        gone = await create(api, token, "Battery")
        await api.gql(DELETE, {"id": gone["id"]}, token)
        listed = (await api.gql(DEVICES, {}, token))["data"]["devices"]
        assert [d["id"] for d in listed] == [kept["id"]]
        assert code(await api.gql(DEVICE, {"id": gone["id"]}, token)) == "NOT_FOUND"

    async def test_deleting_twice_is_not_found(self, api):
        _, token = await user_with_token(api, "alice")
        device = await create(api, token, "Generator")
        await api.gql(DELETE, {"id": device["id"]}, token)
        assert code(await api.gql(DELETE, {"id": device["id"]}, token)) == "NOT_FOUND"

    async def test_unknown_or_malformed_id_is_not_found(self, api):
        _, token = await user_with_token(api, "alice")
        await create(api, token, "Heater")
        for device_id in (str(uuid.uuid4()), "42", "'; DROP TABLE device; --"):
            body = await api.gql(DELETE, {"id": device_id}, token)
            assert code(body) == "NOT_FOUND"
        assert await count(api, models.Device) == 1

    async def test_forgets_the_live_readings_of_the_device(self, any_api):
        _, token = await user_with_token(any_api, "alice")
        device = await create(any_api, token, "Battery")
        device_id = uuid.UUID(device["id"])
        live = any_api.state.live
        await live.write(
            [
                (
                    keys.device_current_key(device_id),
                    b'{"power_w": 100.0, "timestamp": "2026-01-15T12:00:00+00:00", '
                    b'"status": "online"}',
                ),
                (
                    keys.device_storage_key(device_id),
                    b'{"capacity_wh": 13500.0, "current_level_wh": 5000.0, "flow_w": 100.0}',
                ),
            ]
        )
        assert (await live.device_readings([device_id]))[0] is not None
        await any_api.gql(DELETE, {"id": device["id"]}, token)
        assert await live.device_readings([device_id]) == [None]


class TestSetElectricVehicleMode:
    @pytest.mark.parametrize("mode", ["DISCHARGING", "OFFLINE", "CHARGING"])
    async def test_sets_mode_and_mode_setting(self, any_api, mode):
        _, token = await user_with_token(any_api, "alice")
        ev = await create(any_api, token, "ElectricVehicle")
        body = await any_api.gql(SET_MODE, {"id": ev["id"], "mode": mode}, token)
        assert body == {
            "data": {"setElectricVehicleMode": {"id": ev["id"], "mode": mode, "modeSetting": mode}}
        }

    async def test_mode_change_is_persisted(self, api):
        _, token = await user_with_token(api, "alice")
        ev = await create(api, token, "ElectricVehicle")
        await api.gql(SET_MODE, {"id": ev["id"], "mode": "DISCHARGING"}, token)
        async with api.state.sessionmaker() as session:
            row = await session.get(models.ElectricVehicle, uuid.UUID(ev["id"]))
        assert (row.mode, row.mode_setting) == (
            models.EVMode.DISCHARGING,
            models.EVMode.DISCHARGING,
        )

    async def test_a_chain_of_changes_ends_in_the_last_one(self, api):
        _, token = await user_with_token(api, "alice")
        ev = await create(api, token, "ElectricVehicle")
        for mode in ("DISCHARGING", "OFFLINE", "CHARGING", "DISCHARGING"):
            await api.gql(SET_MODE, {"id": ev["id"], "mode": mode}, token)
        listed = (await api.gql(DEVICES, {"kind": "ELECTRIC_VEHICLE"}, token))["data"]["devices"]
        assert (listed[0]["mode"], listed[0]["modeSetting"]) == ("DISCHARGING", "DISCHARGING")

    async def test_while_away_only_the_setting_changes(self, api):
        _, token = await user_with_token(api, "alice")
        ev = await create(api, token, "ElectricVehicle")
        async with api.state.sessionmaker() as session:
            await session.execute(
                update(models.ElectricVehicle)
                .where(models.ElectricVehicle.id == uuid.UUID(ev["id"]))
                .values(mode=models.EVMode.OFFLINE)
            )
            await session.commit()
        body = await api.gql(SET_MODE, {"id": ev["id"], "mode": "DISCHARGING"}, token)
        changed = body["data"]["setElectricVehicleMode"]
        assert (changed["mode"], changed["modeSetting"]) == ("OFFLINE", "DISCHARGING")

    async def test_after_choosing_offline_a_new_choice_applies_at_once(self, api):
        _, token = await user_with_token(api, "alice")
        ev = await create(api, token, "ElectricVehicle")
        await api.gql(SET_MODE, {"id": ev["id"], "mode": "OFFLINE"}, token)
        body = await api.gql(SET_MODE, {"id": ev["id"], "mode": "CHARGING"}, token)
        changed = body["data"]["setElectricVehicleMode"]
        assert (changed["mode"], changed["modeSetting"]) == ("CHARGING", "CHARGING")

    async def test_another_kind_of_device_is_not_found_and_unchanged(self, any_api):
        _, token = await user_with_token(any_api, "alice")
        for type_name in (t for t in ALL_TYPES if t != "ElectricVehicle"):
            device = await create(any_api, token, type_name)
            body = await any_api.gql(SET_MODE, {"id": device["id"], "mode": "DISCHARGING"}, token)
            assert code(body) == "NOT_FOUND"
            assert body["data"] is None
            after = await any_api.gql(DEVICE, {"id": device["id"]}, token)
            assert after["data"]["device"] == device

    async def test_unknown_or_malformed_id_is_not_found(self, api):
        _, token = await user_with_token(api, "alice")
        for device_id in (str(uuid.uuid4()), "ev-1"):
            body = await api.gql(SET_MODE, {"id": device_id, "mode": "CHARGING"}, token)
            assert code(body) == "NOT_FOUND"

    async def test_unknown_mode_literal_is_bad_input_naming_mode(self, api):
        _, token = await user_with_token(api, "alice")
        ev = await create(api, token, "ElectricVehicle")
        body = await api.gql(
            f'mutation {{ setElectricVehicleMode(id: "{ev["id"]}", mode: FLYING) {{ mode }} }}',
            token=token,
        )
        assert code(body) == "BAD_USER_INPUT"
        assert error(body)["message"].startswith("mode:")
        assert "FLYING" in error(body)["message"]

    async def test_unknown_mode_variable_is_bad_input_and_changes_nothing(self, api):
        _, token = await user_with_token(api, "alice")
        ev = await create(api, token, "ElectricVehicle")
        body = await api.gql(SET_MODE, {"id": ev["id"], "mode": "FLYING"}, token)
        assert code(body) == "BAD_USER_INPUT"
        assert "$mode" in error(body)["message"]
        after = await api.gql(DEVICE, {"id": ev["id"]}, token)
        assert after["data"]["device"]["mode"] == "CHARGING"


class TestRegisterUser:
    async def test_returns_a_working_token_for_the_new_user(self, api):
        body = await api.gql(REGISTER, {"u": "alice", "p": "correct horse battery"})
        payload = body["data"]["registerUser"]
        assert payload["user"]["username"] == "alice"
        me = await api.gql("{ me { id username } }", token=payload["token"])
        assert me == {"data": {"me": payload["user"]}}

    async def test_token_expires_24_hours_after_issue(self, api):
        before = datetime.now(UTC).replace(microsecond=0)
        body = await api.gql(REGISTER, {"u": "alice", "p": "correct horse battery"})
        after = datetime.now(UTC)
        expires = datetime.fromisoformat(body["data"]["registerUser"]["expiresAt"])
        assert before + timedelta(hours=24) <= expires <= after + timedelta(hours=24)

    async def test_token_carries_the_documented_claims(self, api):
        body = await api.gql(REGISTER, {"u": "alice", "p": "correct horse battery"})
        payload = body["data"]["registerUser"]
        claims = jwt.get_unverified_claims(payload["token"])
        assert claims["sub"] == payload["user"]["id"]
        assert claims["username"] == "alice"
        assert claims["exp"] - claims["iat"] == 24 * 3600
        assert jwt.get_unverified_header(payload["token"])["alg"] == "HS256"

    async def test_stores_an_argon2_hash_not_the_password(self, api):
        await api.gql(REGISTER, {"u": "alice", "p": "correct horse battery"})
        async with api.state.sessionmaker() as session:
            user = (await session.scalars(select(models.User))).one()
        assert user.password_hash.startswith("$argon2id$")
        assert "correct horse battery" not in user.password_hash

    async def test_home_defaults_to_the_service_location(self, api):
        token = await api.register("alice")
        me = await api.gql("{ me { timezone latitude longitude } }", token=token)
        assert me["data"]["me"] == {
            "timezone": "America/Los_Angeles",
            "latitude": 37.77,
            "longitude": -122.42,
        }

    async def test_duplicate_username_is_bad_input_and_keeps_one_account(self, api):
        await api.register("alice")
        body = await api.gql(REGISTER, {"u": "alice", "p": "another password"})
        assert code(body) == "BAD_USER_INPUT"
        assert error(body)["message"] == "username: is already taken"
        assert await count(api, models.User) == 1

    async def test_usernames_are_one_account_whatever_their_case_or_unicode_form(self, api):
        await api.register("Alice")
        for variant in ("alice", "ALICE", "\uff41\uff4c\uff49\uff43\uff45"):  # last: full-width
            body = await api.gql(REGISTER, {"u": variant, "p": "another password"})
            assert code(body) == "BAD_USER_INPUT", variant
            assert error(body)["message"] == "username: is already taken"
        assert await count(api, models.User) == 1

    async def test_a_full_width_username_is_stored_normalised(self, api):
        body = await api.gql(REGISTER, {"u": "\uff42\uff4f\uff42", "p": "correct horse battery"})
        assert body["data"]["registerUser"]["user"]["username"] == "bob"

    async def test_too_short_password_is_bad_input_naming_password(self, api):
        for password in ("", "short", "7chars!"):
            body = await api.gql(REGISTER, {"u": "alice", "p": password})
            assert code(body) == "BAD_USER_INPUT"
            assert error(body)["message"] == "password: must be at least 8 characters"
        assert await count(api, models.User) == 0

    async def test_overlong_password_is_bad_input_naming_password(self, api):
        body = await api.gql(REGISTER, {"u": "alice", "p": "p" * 257})
        assert code(body) == "BAD_USER_INPUT"
        assert error(body)["message"].startswith("password:")
        assert await count(api, models.User) == 0

    async def test_invalid_username_is_bad_input_naming_username(self, api):
        for username in ("", "ab", "has space", "alice\n", "x" * 65, "émile", "a\x00b", "bob;--"):
            body = await api.gql(REGISTER, {"u": username, "p": "correct horse battery"})
            assert code(body) == "BAD_USER_INPUT", repr(username)
            assert error(body)["message"].startswith("username:")
        assert await count(api, models.User) == 0

    async def test_unknown_timezone_is_bad_input_naming_timezone(self, api):
        body = await api.gql(
            'mutation { registerUser(username: "alice", password: "correct horse battery", '
            'timezone: "Mars/Olympus") { token } }'
        )
        assert code(body) == "BAD_USER_INPUT"
        assert error(body)["message"].startswith("timezone:")
        assert await count(api, models.User) == 0

    async def test_out_of_range_home_latitude_is_bad_input_naming_latitude(self, api):
        body = await api.gql(
            'mutation { registerUser(username: "alice", password: "correct horse battery", '
            "latitude: 95) { token } }"
        )
        assert code(body) == "BAD_USER_INPUT"
        assert error(body)["message"].startswith("latitude:")
        assert await count(api, models.User) == 0


class TestLoginUser:
    async def test_valid_credentials_return_a_working_token(self, api):
        await api.register("alice", "correct horse battery")
        before = datetime.now(UTC).replace(microsecond=0)
        body = await api.gql(LOGIN, {"u": "alice", "p": "correct horse battery"})
        after = datetime.now(UTC)
        payload = body["data"]["loginUser"]
        expires = datetime.fromisoformat(payload["expiresAt"])
        assert before + timedelta(hours=24) <= expires <= after + timedelta(hours=24)
        me = await api.gql("{ me { username } }", token=payload["token"])
        assert me == {"data": {"me": {"username": "alice"}}}

    async def test_wrong_password_and_unknown_user_get_the_same_error(self, api):
        await api.register("alice", "correct horse battery")
        wrong = await api.gql(LOGIN, {"u": "alice", "p": "incorrect horse"})
        unknown = await api.gql(LOGIN, {"u": "mallory", "p": "correct horse battery"})
        assert code(wrong) == code(unknown) == "UNAUTHENTICATED"
        assert error(wrong)["message"] == error(unknown)["message"]
        assert wrong["data"] is unknown["data"] is None

    async def test_login_ignores_the_case_and_unicode_form_of_the_username(self, api):
        await api.register("Alice", "correct horse battery")
        for variant in ("alice", "ALICE", "\uff21lice"):
            body = await api.gql(LOGIN, {"u": variant, "p": "correct horse battery"})
            assert body.get("errors") is None, (variant, body)
            me = await api.gql("{ me { username } }", token=body["data"]["loginUser"]["token"])
            assert me == {"data": {"me": {"username": "Alice"}}}

    async def test_any_other_credentials_are_unauthenticated(self, api):
        api.state.settings.LOGIN_BACKOFF_FREE_FAILURES = 100  # many wrong tries, one address
        await api.register("alice", "correct horse battery")
        expected = error(await api.gql(LOGIN, {"u": "nobody", "p": "whatever1"}))["message"]
        for username, password in (
            ("alicia", "correct horse battery"),
            ("alice", "Correct horse battery"),
            ("alice", ""),
            ("alice", "p" * 257),
            ("x" * 65, "correct horse battery"),
            ("a\x00lice", "correct horse battery"),
            ("alice\n", "correct horse battery"),
        ):
            body = await api.gql(LOGIN, {"u": username, "p": password})
            assert code(body) == "UNAUTHENTICATED", (username, password)
            assert error(body)["message"] == expected
