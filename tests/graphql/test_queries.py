"""Queries: me, polymorphic devices (filter, order), device by id, energyStats."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from app import models
from tests.fixtures.factories import create_device
from tests.graphql.helpers import (
    CREATE,
    DEVICE,
    DEVICES,
    KIND_OF_TYPE,
    code,
    create,
    error,
    user_with_token,
)

T0 = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


async def _one_of_each(api, token):
    return [await create(api, token, type_name) for type_name in CREATE]


class TestMe:
    async def test_returns_the_callers_account(self, any_api):
        user, token = await user_with_token(any_api, "alice")
        body = await any_api.gql("{ me { id username timezone } }", token=token)
        assert body == {
            "data": {
                "me": {"id": str(user.id), "username": "alice", "timezone": "America/Los_Angeles"}
            }
        }

    async def test_token_of_a_deleted_account_is_unauthenticated(self, any_api):
        user, token = await user_with_token(any_api, "alice")
        async with any_api.state.sessionmaker() as session:
            await session.delete(await session.get(models.User, user.id))
            await session.commit()
        body = await any_api.gql("{ me { id } }", token=token)
        assert code(body) == "UNAUTHENTICATED"
        assert body["data"] is None


class TestDevices:
    async def test_new_user_has_no_devices(self, any_api):
        _, token = await user_with_token(any_api, "alice")
        assert await any_api.gql(DEVICES, {}, token) == {"data": {"devices": []}}

    async def test_lists_each_kind_with_its_own_fields_oldest_first(self, any_api):
        _, token = await user_with_token(any_api, "alice")
        created = await _one_of_each(any_api, token)
        body = await any_api.gql(DEVICES, {}, token)
        assert body == {"data": {"devices": created}}

    async def test_every_concrete_type_is_returned(self, any_api):
        _, token = await user_with_token(any_api, "alice")
        await _one_of_each(any_api, token)
        listed = (await any_api.gql(DEVICES, {}, token))["data"]["devices"]
        assert [d["__typename"] for d in listed] == list(CREATE)
        assert [d["kind"] for d in listed] == [KIND_OF_TYPE[t] for t in CREATE]

    async def test_orders_by_creation_time_not_by_insertion(self, any_api):
        user, token = await user_with_token(any_api, "alice")
        async with any_api.state.sessionmaker() as session:
            for minutes, name in ((30, "third"), (10, "first"), (20, "second")):
                await create_device(
                    session,
                    models.DeviceKind.HEATER,
                    user,
                    name=name,
                    created_at=T0 + timedelta(minutes=minutes),
                )
            await session.commit()
        listed = (await any_api.gql(DEVICES, {}, token))["data"]["devices"]
        assert [d["name"] for d in listed] == ["first", "second", "third"]

    async def test_kind_filter_returns_only_that_kind(self, any_api):
        _, token = await user_with_token(any_api, "alice")
        created = await _one_of_each(any_api, token)
        created += [await create(any_api, token, t, name="second of its kind") for t in CREATE]
        for type_name in CREATE:
            body = await any_api.gql(DEVICES, {"kind": KIND_OF_TYPE[type_name]}, token)
            expected = [d for d in created if d["__typename"] == type_name]
            assert len(expected) == 2
            assert body == {"data": {"devices": expected}}, type_name

    async def test_kind_filter_with_no_match_is_empty(self, any_api):
        _, token = await user_with_token(any_api, "alice")
        await create(any_api, token, "Heater")
        body = await any_api.gql(DEVICES, {"kind": "BATTERY"}, token)
        assert body == {"data": {"devices": []}}

    async def test_null_kind_lists_everything(self, any_api):
        _, token = await user_with_token(any_api, "alice")
        created = await _one_of_each(any_api, token)
        body = await any_api.gql(DEVICES, {"kind": None}, token)
        assert body == {"data": {"devices": created}}

    async def test_unknown_kind_literal_is_bad_input_naming_kind(self, api):
        _, token = await user_with_token(api, "alice")
        body = await api.gql("{ devices(kind: NOPE) { id } }", token=token)
        assert code(body) == "BAD_USER_INPUT"
        assert error(body)["message"] == "kind: Value 'NOPE' does not exist in 'DeviceKind' enum."
        assert body["data"] is None

    async def test_unknown_kind_variable_is_bad_input_naming_it(self, api):
        _, token = await user_with_token(api, "alice")
        for kind in ("NOPE", "battery", "", 3):
            body = await api.gql(DEVICES, {"kind": kind}, token)
            assert code(body) == "BAD_USER_INPUT"
            assert "$kind" in error(body)["message"]

    async def test_disabled_devices_are_still_listed(self, api):
        user, token = await user_with_token(api, "alice")
        async with api.state.sessionmaker() as session:
            await create_device(
                session, models.DeviceKind.GENERATOR, user, status=models.DeviceStatus.DISABLED
            )
            await session.commit()
        listed = (await api.gql(DEVICES, {}, token))["data"]["devices"]
        assert [d["kind"] for d in listed] == ["GENERATOR"]


class TestDevice:
    async def test_returns_the_concrete_type_with_its_fields(self, any_api):
        _, token = await user_with_token(any_api, "alice")
        for device in await _one_of_each(any_api, token):
            body = await any_api.gql(DEVICE, {"id": device["id"]}, token)
            assert body == {"data": {"device": device}}

    async def test_unknown_or_malformed_id_is_null_with_not_found(self, any_api):
        _, token = await user_with_token(any_api, "alice")
        await create(any_api, token, "Battery")
        for device_id in (str(uuid.uuid4()), "nope", "", "00000000-0000-0000-0000-000000000000"):
            body = await any_api.gql(DEVICE, {"id": device_id}, token)
            assert body["data"] == {"device": None}
            assert code(body) == "NOT_FOUND"

    async def test_uppercase_id_finds_the_device(self, api):
        _, token = await user_with_token(api, "alice")
        device = await create(api, token, "Battery")
        body = await api.gql(DEVICE, {"id": device["id"].upper()}, token)
        assert body["data"]["device"]["id"] == device["id"]


class TestEnergyStats:
    async def test_zeros_with_null_timestamp_before_any_cycle(self, any_api):
        _, token = await user_with_token(any_api, "alice")
        await create(any_api, token, "SolarPanel")
        body = await any_api.gql(
            "{ energyStats { currentProduction currentConsumption storageFlow netGridFlow "
            "timestamp } }",
            token=token,
        )
        assert body == {
            "data": {
                "energyStats": {
                    "currentProduction": 0.0,
                    "currentConsumption": 0.0,
                    "storageFlow": 0.0,
                    "netGridFlow": 0.0,
                    "timestamp": None,
                }
            }
        }
