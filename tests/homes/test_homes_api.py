"""Homes through GraphQL: first home, create/update/delete/move, homeId, isolation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from app import models
from app.live import keys
from app.models.history import ENERGY_COLUMNS
from app.pipeline.cycle import run_cycle
from tests.fixtures.app import Api
from tests.graphql.helpers import CREATE, code, count, error

HOME_FIELDS = "id name timezone latitude longitude createdAt"
HOMES = f"{{ homes {{ {HOME_FIELDS} }} }}"
HOME = f"query($id: ID!) {{ home(id: $id) {{ {HOME_FIELDS} devices {{ id name }} }} }}"
CREATE_HOME = f"mutation($input: HomeInput!) {{ createHome(input: $input) {{ {HOME_FIELDS} }} }}"
UPDATE_HOME = (
    f"mutation($id: ID!, $input: HomeInput!) {{ updateHome(id: $id, input: $input) "
    f"{{ {HOME_FIELDS} }} }}"
)
DELETE_HOME = "mutation($id: ID!) { deleteHome(id: $id) }"
MOVE = "mutation($id: ID!, $home: ID!) { moveDevice(id: $id, homeId: $home) { id home { id } } }"
# Monday 2026-01-12 20:00 UTC: noon in San Francisco.
CYCLE = datetime(2026, 1, 12, 20, 0, tzinfo=UTC)


async def ok(api: Api, query: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
    body = await api.gql(query, variables, token)
    assert body.get("errors") is None, body
    data: dict[str, Any] = body["data"]
    return data


async def new_device(
    api: Api, token: str, type_name: str, home_id: str | None = None, **fields: Any
) -> dict[str, Any]:
    field, input_type, valid = CREATE[type_name]
    payload = {**valid, **fields}
    if home_id is not None:
        payload["homeId"] = home_id
    query = (
        f"mutation($input: {input_type}!) {{ {field}(input: $input) "
        "{ ... on Device { id home { id name } ... on SolarPanel { latitude longitude } } } }"
    )
    return (await ok(api, query, {"input": payload}, token))[field]  # type: ignore[no-any-return]


async def new_home(api: Api, token: str, **fields: Any) -> dict[str, Any]:
    data = await ok(api, CREATE_HOME, {"input": {"name": "Flat", **fields}}, token)
    return data["createHome"]  # type: ignore[no-any-return]


class TestFirstHome:
    async def test_register_creates_one_home_named_home_at_the_user_location(self, any_api):
        token = await any_api.register("alice")
        homes = (await ok(any_api, HOMES, {}, token))["homes"]
        me = (await ok(any_api, "{ me { timezone latitude longitude } }", {}, token))["me"]
        assert [h["name"] for h in homes] == ["Home"]
        assert (homes[0]["timezone"], homes[0]["latitude"], homes[0]["longitude"]) == (
            me["timezone"],
            me["latitude"],
            me["longitude"],
        )

    async def test_devices_default_to_the_first_home(self, any_api):
        token = await any_api.register("alice")
        await new_home(any_api, token, name="Cabin")
        first = (await ok(any_api, HOMES, {}, token))["homes"][0]
        for type_name in CREATE:
            device = await new_device(any_api, token, type_name)
            assert device["home"]["id"] == first["id"]

    async def test_a_panel_without_location_sits_at_its_home(self, any_api):
        token = await any_api.register("alice")
        cabin = await new_home(any_api, token, latitude=61.5, longitude=23.8)
        panel = await new_device(any_api, token, "SolarPanel", cabin["id"])
        assert (panel["latitude"], panel["longitude"]) == (61.5, 23.8)


class TestCreateAndUpdate:
    async def test_create_home_with_defaults_and_list_in_creation_order(self, any_api):
        token = await any_api.register("alice")
        cabin = await new_home(any_api, token, name="Cabin", timezone="Europe/Helsinki")
        assert (cabin["name"], cabin["timezone"]) == ("Cabin", "Europe/Helsinki")
        assert (cabin["latitude"], cabin["longitude"]) == (37.77, -122.42)  # the defaults
        names = [h["name"] for h in (await ok(any_api, HOMES, {}, token))["homes"]]
        assert names == ["Home", "Cabin"]

    async def test_device_with_home_id_goes_there(self, any_api):
        token = await any_api.register("alice")
        cabin = await new_home(any_api, token)
        heater = await new_device(any_api, token, "Heater", cabin["id"])
        home = (await ok(any_api, HOME, {"id": cabin["id"]}, token))["home"]
        assert [d["id"] for d in home["devices"]] == [heater["id"]]
        # Root `devices` still lists every home's devices.
        listed = (await ok(any_api, "{ devices { id } }", {}, token))["devices"]
        assert [d["id"] for d in listed] == [heater["id"]]

    async def test_bad_home_input_names_the_field_and_writes_nothing(self, any_api):
        token = await any_api.register("alice")
        for fields, name in (
            ({"timezone": "Mars/Olympus"}, "timezone"),
            ({"latitude": 91.0}, "latitude"),
            ({"longitude": -181.0}, "longitude"),
            ({"name": "  "}, "name"),
        ):
            body = await any_api.gql(CREATE_HOME, {"input": {"name": "Flat", **fields}}, token)
            assert code(body) == "BAD_USER_INPUT"
            assert error(body)["message"].startswith(f"{name}:")
        assert await count(any_api, models.Home) == 1

    async def test_update_moves_panels_that_follow_the_home_and_the_first_home_is_the_user(
        self, any_api
    ):
        token = await any_api.register("alice")
        first = (await ok(any_api, HOMES, {}, token))["homes"][0]
        follows = await new_device(any_api, token, "SolarPanel")
        pinned = await new_device(any_api, token, "SolarPanel", latitude=1.0, longitude=2.0)
        updated = await ok(
            any_api,
            UPDATE_HOME,
            {
                "id": first["id"],
                "input": {"name": "Berlin", "timezone": "Europe/Berlin", "latitude": 52.52,
                          "longitude": 13.405},
            },
            token,
        )  # fmt: skip
        assert updated["updateHome"]["name"] == "Berlin"
        query = "query($id: ID!) { device(id: $id) { ... on SolarPanel { latitude longitude } } }"
        moved = (await ok(any_api, query, {"id": follows["id"]}, token))["device"]
        kept = (await ok(any_api, query, {"id": pinned["id"]}, token))["device"]
        assert (moved["latitude"], moved["longitude"]) == (52.52, 13.405)
        assert (kept["latitude"], kept["longitude"]) == (1.0, 2.0)
        me = (await ok(any_api, "{ me { timezone latitude } }", {}, token))["me"]
        assert me == {"timezone": "Europe/Berlin", "latitude": 52.52}

    async def test_update_with_only_a_name_keeps_the_rest(self, any_api):
        token = await any_api.register("alice")
        cabin = await new_home(any_api, token, timezone="Asia/Tokyo", latitude=35.0)
        data = await ok(
            any_api, UPDATE_HOME, {"id": cabin["id"], "input": {"name": "Tokyo"}}, token
        )
        assert data["updateHome"] == {**cabin, "name": "Tokyo"}


class TestMoveDevice:
    async def test_move_device_changes_its_home(self, any_api):
        token = await any_api.register("alice")
        cabin = await new_home(any_api, token)
        battery = await new_device(any_api, token, "Battery")
        moved = await ok(any_api, MOVE, {"id": battery["id"], "home": cabin["id"]}, token)
        assert moved["moveDevice"]["home"]["id"] == cabin["id"]


class TestIsolation:
    async def test_another_users_home_is_not_found_everywhere_and_nothing_is_written(self, any_api):
        alice = await any_api.register("alice")
        bob = await any_api.register("bobby")
        bobs_home = (await ok(any_api, HOMES, {}, bob))["homes"][0]
        bobs_heater = await new_device(any_api, bob, "Heater")
        alices_heater = await new_device(any_api, alice, "Heater")
        devices_before = await count(any_api, models.Device)
        attempts: list[tuple[str, dict[str, Any]]] = [
            (HOME, {"id": bobs_home["id"]}),
            (UPDATE_HOME, {"id": bobs_home["id"], "input": {"name": "Mine"}}),
            (DELETE_HOME, {"id": bobs_home["id"]}),
            (MOVE, {"id": alices_heater["id"], "home": bobs_home["id"]}),
            (MOVE, {"id": bobs_heater["id"], "home": bobs_home["id"]}),
            (HOME, {"id": "not-a-uuid"}),
        ]
        for query, variables in attempts:
            assert code(await any_api.gql(query, variables, alice)) == "NOT_FOUND", query
        for type_name in CREATE:
            field, input_type, valid = CREATE[type_name]
            body = await any_api.gql(
                f"mutation($input: {input_type}!) {{ {field}(input: $input) {{ id }} }}",
                {"input": {**valid, "homeId": bobs_home["id"]}},
                alice,
            )
            assert code(body) == "NOT_FOUND"
        assert await count(any_api, models.Device) == devices_before
        bob_homes = (await ok(any_api, HOMES, {}, bob))["homes"]
        assert bob_homes == [bobs_home]


class TestDeleteHome:
    async def test_the_last_home_cannot_be_deleted(self, any_api):
        token = await any_api.register("alice")
        first = (await ok(any_api, HOMES, {}, token))["homes"][0]
        body = await any_api.gql(DELETE_HOME, {"id": first["id"]}, token)
        assert code(body) == "BAD_USER_INPUT"
        assert error(body)["message"].startswith("id:")
        assert await count(any_api, models.Home) == 1

    # It reads the device minute rows: the operator's opt-in that keeps them.
    @pytest.mark.usefixtures("device_minute_history")
    async def test_delete_removes_devices_history_and_live_keys(self, any_api):
        token = await any_api.register("alice")
        user_id = (await ok(any_api, "{ me { id } }", {}, token))["me"]["id"]
        cabin = await new_home(any_api, token)
        kept = await new_device(any_api, token, "Heater")
        gone = [
            (await new_device(any_api, token, t, cabin["id"]))["id"]
            for t in ("Heater", "Battery", "SolarPanel")
        ]
        state = any_api.state
        await run_cycle(state.sessionmaker, state.live, CYCLE, batch_users=10)
        home_key = keys.home_energy_stats_key(cabin["id"])
        device_keys = [keys.device_current_key(d) for d in gone]
        assert None not in await state.live.backend.mget([home_key, *device_keys])

        assert (await ok(any_api, DELETE_HOME, {"id": cabin["id"]}, token))["deleteHome"]

        assert await state.live.backend.mget([home_key, *device_keys]) == [None] * 4
        assert await state.live.backend.mget([keys.device_current_key(kept["id"])]) != [None]
        assert await count(any_api, models.Home) == 1
        assert code(await any_api.gql(HOME, {"id": cabin["id"]}, token)) == "NOT_FOUND"
        async with state.sessionmaker() as s:
            pairs = (
                (models.EnergyMinute, models.HomeEnergyMinute),
                (models.EnergyHour, models.HomeEnergyHour),
                (models.EnergyDay, models.HomeEnergyDay),
            )
            for model, home_model in pairs:
                subjects = set((await s.scalars(select(model.subject_id))).all())
                assert {str(x) for x in subjects} == {user_id, kept["id"]}
                (home_row,) = (await s.scalars(select(home_model))).all()  # the first home's
                user_row = (
                    await s.scalars(select(model).where(model.subject_id == uuid.UUID(user_id)))
                ).one()
                # What is left of the user's totals is exactly its remaining home's.
                for column in ENERGY_COLUMNS:
                    assert getattr(user_row, column) == pytest.approx(
                        getattr(home_row, column), abs=1e-9
                    ), column
                assert user_row.consumed_wh > 0
        devices = (await ok(any_api, "{ devices { id } }", {}, token))["devices"]
        assert [d["id"] for d in devices] == [kept["id"]]
