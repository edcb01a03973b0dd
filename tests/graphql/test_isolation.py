"""Multi-user isolation: another user's device id behaves exactly like one that does not exist."""

from __future__ import annotations

import uuid

import pytest

from tests.graphql.helpers import (
    CREATE,
    DELETE,
    DEVICE,
    DEVICES,
    KIND_OF_TYPE,
    RENAME,
    SET_MODE,
    code,
    create,
    error,
    user_with_token,
)


@pytest.fixture
async def homes(any_api):
    """Alice owns one device of each kind, Bob one heater: (alice token, bob token, her devices)."""
    _, alice = await user_with_token(any_api, "alice")
    _, bob = await user_with_token(any_api, "bob")
    devices = [await create(any_api, alice, type_name) for type_name in CREATE]
    await create(any_api, bob, "Heater", name="Bob's heater")
    return alice, bob, devices


async def _alice_sees_unchanged(api, alice, devices):
    body = await api.gql(DEVICES, {}, alice)
    assert body == {"data": {"devices": devices}}


def _same_as_unknown(body, foreign_id, unknown_body, unknown_id):
    """The foreign id's error is the unknown id's, word for word (the id aside)."""
    assert code(body) == code(unknown_body) == "NOT_FOUND"
    assert error(body)["message"].replace(foreign_id, "ID") == error(unknown_body)[
        "message"
    ].replace(unknown_id, "ID")
    assert body["data"] == unknown_body["data"]


class TestForeignDevice:
    async def test_cannot_be_read(self, any_api, homes):
        alice, bob, devices = homes
        unknown = str(uuid.uuid4())
        unknown_body = await any_api.gql(DEVICE, {"id": unknown}, bob)
        for device in devices:
            body = await any_api.gql(DEVICE, {"id": device["id"]}, bob)
            assert body["data"] == {"device": None}
            _same_as_unknown(body, device["id"], unknown_body, unknown)

    async def test_cannot_be_renamed(self, any_api, homes):
        alice, bob, devices = homes
        unknown = str(uuid.uuid4())
        unknown_body = await any_api.gql(RENAME, {"id": unknown, "name": "mine"}, bob)
        for device in devices:
            body = await any_api.gql(RENAME, {"id": device["id"], "name": "mine"}, bob)
            _same_as_unknown(body, device["id"], unknown_body, unknown)
        await _alice_sees_unchanged(any_api, alice, devices)

    async def test_cannot_be_deleted(self, any_api, homes):
        alice, bob, devices = homes
        unknown = str(uuid.uuid4())
        unknown_body = await any_api.gql(DELETE, {"id": unknown}, bob)
        for device in devices:
            body = await any_api.gql(DELETE, {"id": device["id"]}, bob)
            _same_as_unknown(body, device["id"], unknown_body, unknown)
        await _alice_sees_unchanged(any_api, alice, devices)

    async def test_ev_mode_cannot_be_set(self, any_api, homes):
        alice, bob, devices = homes
        ev = next(d for d in devices if d["__typename"] == "ElectricVehicle")
        unknown = str(uuid.uuid4())
        unknown_body = await any_api.gql(SET_MODE, {"id": unknown, "mode": "DISCHARGING"}, bob)
        body = await any_api.gql(SET_MODE, {"id": ev["id"], "mode": "DISCHARGING"}, bob)
        _same_as_unknown(body, ev["id"], unknown_body, unknown)
        await _alice_sees_unchanged(any_api, alice, devices)

    async def test_malformed_id_is_not_found_for_every_operation(self, any_api, homes):
        _, bob, _ = homes
        for bad_id in ("not-a-uuid", "1", "' OR 1=1 --"):
            for query, variables in (
                (DEVICE, {"id": bad_id}),
                (RENAME, {"id": bad_id, "name": "x"}),
                (DELETE, {"id": bad_id}),
                (SET_MODE, {"id": bad_id, "mode": "OFFLINE"}),
            ):
                assert code(await any_api.gql(query, variables, bob)) == "NOT_FOUND"


class TestForeignListing:
    async def test_devices_lists_only_the_callers_own(self, any_api, homes):
        alice, bob, devices = homes
        listed = (await any_api.gql(DEVICES, {}, bob))["data"]["devices"]
        assert [d["name"] for d in listed] == ["Bob's heater"]
        assert not {d["id"] for d in listed} & {d["id"] for d in devices}
        await _alice_sees_unchanged(any_api, alice, devices)

    async def test_kind_filter_never_shows_foreign_devices(self, any_api, homes):
        _, bob, _ = homes
        for type_name in CREATE:
            variables = {"kind": KIND_OF_TYPE[type_name]}
            listed = (await any_api.gql(DEVICES, variables, bob))["data"]["devices"]
            expected = ["Bob's heater"] if type_name == "Heater" else []
            assert [d["name"] for d in listed] == expected, type_name

    async def test_a_user_with_no_devices_sees_none(self, any_api, homes):
        _, carol = await user_with_token(any_api, "carol")
        assert await any_api.gql(DEVICES, {}, carol) == {"data": {"devices": []}}
