"""Device control mutations (API.md "Device control"): defaults, changes, validation that
writes nothing, ownership, and the event log through one batched read."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from app import models
from tests.graphql.helpers import code, count, create, error, user_with_token
from tests.graphql.test_history_batching import counted_statements

EV_FIELDS = """
    id chargeMode minSocPercent limitSocPercent nextDeparture
    schedule { days departAt returnAt targetSocPercent }
"""
CHARGING = (
    "mutation($id: ID!, $mode: EVChargeMode, $min: Float, $limit: Float) {"
    " setElectricVehicleCharging(id: $id, chargeMode: $mode, minSocPercent: $min,"
    f" limitSocPercent: $limit) {{ {EV_FIELDS} }} }}"
)
SCHEDULE = (
    "mutation($id: ID!, $rules: [DepartureRuleInput!]!) {"
    f" setElectricVehicleSchedule(id: $id, rules: $rules) {{ {EV_FIELDS} }} }}"
)
BATTERY = (
    "mutation($id: ID!, $mode: BatteryMode!, $reserve: Float) {"
    " setBatteryMode(id: $id, mode: $mode, reserveSocPercent: $reserve)"
    " { id mode reserveSocPercent roundTripEfficiency } }"
)
GENERATOR = (
    "mutation($id: ID!, $mode: GeneratorMode!, $w: Float) {"
    " setGeneratorMode(id: $id, mode: $mode, autoStartImportW: $w) { id mode autoStartImportW } }"
)
ONE_DEVICE_EVENTS = (
    "query($id: ID!, $first: Int) {"
    " device(id: $id) { events(first: $first) { at action detail } } }"
)
EVENTS = "query($first: Int) { devices { id events(first: $first) { at action detail } } }"
DEVICE_CONTROLS = f"""query($id: ID!) {{ device(id: $id) {{
    ... on ElectricVehicle {{ {EV_FIELDS} }}
    ... on Battery {{ batteryMode: mode reserveSocPercent roundTripEfficiency }}
    ... on Generator {{ generatorMode: mode autoStartImportW }}
}} }}"""
COMMUTE = {
    "days": ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"],
    "departAt": "07:00",
    "returnAt": "18:00",
    "targetSocPercent": 90.0,
}


def _rule(days: list[str], depart: str, back: str, target: float = 80.0) -> dict[str, Any]:
    return {"days": days, "departAt": depart, "returnAt": back, "targetSocPercent": target}


class TestDefaults:
    async def test_new_devices_start_on_the_original_behaviour(self, any_api):
        _, token = await user_with_token(any_api, "alice")
        ev = await create(any_api, token, "ElectricVehicle")
        bat = await create(any_api, token, "Battery")
        gen = await create(any_api, token, "Generator")
        got = (await any_api.gql(DEVICE_CONTROLS, {"id": ev["id"]}, token))["data"]["device"]
        assert got["chargeMode"] == "NOW"
        assert (got["minSocPercent"], got["limitSocPercent"]) == (0.0, 90.0)
        assert got["schedule"] == [COMMUTE]
        assert got["nextDeparture"] is not None
        got = (await any_api.gql(DEVICE_CONTROLS, {"id": bat["id"]}, token))["data"]["device"]
        assert got == {
            "batteryMode": "SELF_CONSUMPTION",
            "reserveSocPercent": 0.0,
            "roundTripEfficiency": 1.0,
        }
        got = (await any_api.gql(DEVICE_CONTROLS, {"id": gen["id"]}, token))["data"]["device"]
        assert got == {"generatorMode": "ON", "autoStartImportW": 0.0}

    async def test_battery_input_takes_an_efficiency(self, api):
        _, token = await user_with_token(api, "alice")
        bat = await create(api, token, "Battery", roundTripEfficiency=0.9)
        got = (await api.gql(DEVICE_CONTROLS, {"id": bat["id"]}, token))["data"]["device"]
        assert got["roundTripEfficiency"] == 0.9
        for bad in (0.0, 1.5, -0.1):
            body = await api.gql(
                "mutation($input: BatteryInput!) { createBattery(input: $input) { id } }",
                {"input": {"name": "b", "capacityWh": 1000.0, "roundTripEfficiency": bad}},
                token,
            )
            assert code(body) == "BAD_USER_INPUT"
            assert error(body)["message"].startswith("roundTripEfficiency")


class TestChanges:
    async def test_ev_charging_and_schedule(self, any_api):
        _, token = await user_with_token(any_api, "alice")
        ev = await create(any_api, token, "ElectricVehicle")
        body = await any_api.gql(
            CHARGING, {"id": ev["id"], "mode": "SMART", "min": 20.0, "limit": 80.0}, token
        )
        got = body["data"]["setElectricVehicleCharging"]
        assert (got["chargeMode"], got["minSocPercent"], got["limitSocPercent"]) == (
            "SMART",
            20.0,
            80.0,
        )
        # Omitted arguments stay.
        body = await any_api.gql(CHARGING, {"id": ev["id"], "mode": "SOLAR"}, token)
        got = body["data"]["setElectricVehicleCharging"]
        assert (got["chargeMode"], got["minSocPercent"], got["limitSocPercent"]) == (
            "SOLAR",
            20.0,
            80.0,
        )
        rules = [_rule(["FRIDAY"], "22:00", "06:00"), _rule(["SATURDAY"], "09:00", "12:00")]
        body = await any_api.gql(SCHEDULE, {"id": ev["id"], "rules": rules}, token)
        assert body["data"]["setElectricVehicleSchedule"]["schedule"] == rules
        body = await any_api.gql(SCHEDULE, {"id": ev["id"], "rules": []}, token)
        got = body["data"]["setElectricVehicleSchedule"]
        assert (got["schedule"], got["nextDeparture"]) == ([], None)

    async def test_battery_and_generator_modes(self, any_api):
        _, token = await user_with_token(any_api, "alice")
        bat = await create(any_api, token, "Battery")
        gen = await create(any_api, token, "Generator")
        body = await any_api.gql(BATTERY, {"id": bat["id"], "mode": "HOLD", "reserve": 25.0}, token)
        assert body["data"]["setBatteryMode"]["mode"] == "HOLD"
        assert body["data"]["setBatteryMode"]["reserveSocPercent"] == 25.0
        body = await any_api.gql(GENERATOR, {"id": gen["id"], "mode": "AUTO", "w": 800.0}, token)
        assert body["data"]["setGeneratorMode"] == {
            "id": gen["id"],
            "mode": "AUTO",
            "autoStartImportW": 800.0,
        }


class TestValidation:
    @pytest.mark.parametrize(
        ("variables", "field"),
        [
            ({"min": -1.0}, "minSocPercent"),
            ({"limit": 100.5}, "limitSocPercent"),
            ({"min": 95.0}, "minSocPercent"),  # above the limit of 90
            ({"min": 50.0, "limit": 40.0}, "minSocPercent"),
        ],
    )
    async def test_bad_charging_writes_nothing(self, api, variables, field):
        _, token = await user_with_token(api, "alice")
        ev = await create(api, token, "ElectricVehicle")
        before = (await api.gql(DEVICE_CONTROLS, {"id": ev["id"]}, token))["data"]["device"]
        body = await api.gql(CHARGING, {"id": ev["id"], "mode": "OFF", **variables}, token)
        assert code(body) == "BAD_USER_INPUT"
        assert error(body)["message"].startswith(field)
        after = (await api.gql(DEVICE_CONTROLS, {"id": ev["id"]}, token))["data"]["device"]
        assert after == before
        assert await count(api, models.DeviceEvent) == 0

    @pytest.mark.parametrize(
        ("rules", "field"),
        [
            ([_rule(["MONDAY"], "7:00", "18:00")], "rules[0].departAt"),
            ([_rule(["MONDAY"], "07:00", "24:00")], "rules[0].returnAt"),
            ([_rule(["MONDAY"], "07:00", "07:00")], "rules[0].returnAt"),
            ([_rule([], "07:00", "08:00")], "rules[0].days"),
            ([_rule(["MONDAY"], "07:00", "08:00", 120.0)], "rules[0].targetSocPercent"),
            (
                [_rule(["MONDAY"], "07:00", "12:00"), _rule(["MONDAY"], "11:00", "13:00")],
                "rules",
            ),
            (  # Sunday night into Monday morning overlaps Monday's rule
                [_rule(["SUNDAY"], "22:00", "08:00"), _rule(["MONDAY"], "07:30", "09:00")],
                "rules",
            ),
        ],
    )
    async def test_bad_schedules_write_nothing(self, api, rules, field):
        _, token = await user_with_token(api, "alice")
        ev = await create(api, token, "ElectricVehicle")
        body = await api.gql(SCHEDULE, {"id": ev["id"], "rules": rules}, token)
        assert code(body) == "BAD_USER_INPUT"
        assert error(body)["message"].startswith(f"{field}:")
        after = (await api.gql(DEVICE_CONTROLS, {"id": ev["id"]}, token))["data"]["device"]
        assert after["schedule"] == [COMMUTE]
        assert await count(api, models.DeviceEvent) == 0

    async def test_a_rule_across_midnight_is_valid(self, api):
        _, token = await user_with_token(api, "alice")
        ev = await create(api, token, "ElectricVehicle")
        rules = [_rule(["SUNDAY"], "22:00", "07:00"), _rule(["MONDAY"], "07:00", "09:00")]
        body = await api.gql(SCHEDULE, {"id": ev["id"], "rules": rules}, token)
        assert body.get("errors") is None, body

    async def test_a_mode_for_the_wrong_kind(self, any_api):
        _, token = await user_with_token(any_api, "alice")
        ev = await create(any_api, token, "ElectricVehicle")
        bat = await create(any_api, token, "Battery")
        for query, variables in (
            (BATTERY, {"id": ev["id"], "mode": "HOLD"}),
            (GENERATOR, {"id": bat["id"], "mode": "AUTO"}),
            (CHARGING, {"id": bat["id"], "mode": "NOW"}),
            (SCHEDULE, {"id": bat["id"], "rules": []}),
        ):
            body = await any_api.gql(query, variables, token)
            assert code(body) == "BAD_USER_INPUT"
            assert error(body)["message"].startswith("id:")
        assert await count(any_api, models.DeviceEvent) == 0

    async def test_bad_reserve_and_threshold(self, api):
        _, token = await user_with_token(api, "alice")
        bat = await create(api, token, "Battery")
        gen = await create(api, token, "Generator")
        body = await api.gql(BATTERY, {"id": bat["id"], "mode": "HOLD", "reserve": 101.0}, token)
        assert error(body)["message"].startswith("reserveSocPercent")
        body = await api.gql(GENERATOR, {"id": gen["id"], "mode": "AUTO", "w": -5.0}, token)
        assert error(body)["message"].startswith("autoStartImportW")
        got = (await api.gql(DEVICE_CONTROLS, {"id": bat["id"]}, token))["data"]["device"]
        assert got["batteryMode"] == "SELF_CONSUMPTION"
        got = (await api.gql(DEVICE_CONTROLS, {"id": gen["id"]}, token))["data"]["device"]
        assert got["generatorMode"] == "ON"


class TestOwnership:
    async def test_someone_elses_device_is_not_found_and_unchanged(self, any_api):
        _, alice = await user_with_token(any_api, "alice")
        _, bob = await user_with_token(any_api, "bob")
        ev = await create(any_api, alice, "ElectricVehicle")
        bat = await create(any_api, alice, "Battery")
        gen = await create(any_api, alice, "Generator")
        for query, variables in (
            (CHARGING, {"id": ev["id"], "mode": "OFF"}),
            (SCHEDULE, {"id": ev["id"], "rules": []}),
            (BATTERY, {"id": bat["id"], "mode": "HOLD"}),
            (GENERATOR, {"id": gen["id"], "mode": "OFF"}),
            (CHARGING, {"id": str(uuid.uuid4()), "mode": "OFF"}),
        ):
            body = await any_api.gql(query, variables, bob)
            assert code(body) == "NOT_FOUND"
        assert await count(any_api, models.DeviceEvent) == 0


class TestEvents:
    async def test_every_change_is_recorded_newest_first(self, any_api):
        _, token = await user_with_token(any_api, "alice")
        ev = await create(any_api, token, "ElectricVehicle")
        await any_api.gql(CHARGING, {"id": ev["id"], "mode": "SOLAR"}, token)
        await any_api.gql(SCHEDULE, {"id": ev["id"], "rules": []}, token)
        await any_api.gql(
            "mutation($id: ID!) { setElectricVehicleMode(id: $id, mode: DISCHARGING) { id } }",
            {"id": ev["id"]},
            token,
        )
        body = await any_api.gql(ONE_DEVICE_EVENTS, {"id": ev["id"], "first": 20}, token)
        events = body["data"]["device"]["events"]
        assert [e["action"] for e in events] == [
            "setElectricVehicleMode",
            "setElectricVehicleSchedule",
            "setElectricVehicleCharging",
        ]
        assert json.loads(events[2]["detail"]) == {"chargeMode": "SOLAR"}
        body = await any_api.gql(EVENTS, {"first": 1}, token)
        assert len(body["data"]["devices"][0]["events"]) == 1

    async def test_twenty_devices_cost_the_statements_of_two(self, api):
        async def run(name: str, n: int) -> int:
            _, token = await user_with_token(api, name)
            for _ in range(n):
                bat = await create(api, token, "Battery")
                await api.gql(BATTERY, {"id": bat["id"], "mode": "HOLD"}, token)
            with counted_statements(api) as statements:
                body = await api.gql(EVENTS, {"first": 5}, token)
            assert all(len(d["events"]) == 1 for d in body["data"]["devices"])
            assert len(body["data"]["devices"]) == n
            return len(statements)

        assert await run("two", 2) == await run("twenty", 20)

    async def test_first_is_bounded_and_priced(self, api):
        _, token = await user_with_token(api, "alice")
        bat = await create(api, token, "Battery")
        body = await api.gql(ONE_DEVICE_EVENTS, {"id": bat["id"], "first": 1000}, token)
        assert code(body) == "BAD_USER_INPUT"
        # A device list is counted at 50 devices: 20 events each with three fields is too
        # costly, 5 is not.
        body = await api.gql(EVENTS, {"first": 20}, token)
        assert "cost" in error(body)["message"]
        body = await api.gql(EVENTS, {"first": 5}, token)
        assert body.get("errors") is None, body
