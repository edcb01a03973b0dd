"""DataLoaders: a device list reads the live store in one round trip, not one per device."""

from __future__ import annotations

import uuid

from tests.graphql.helpers import CREATE, create, user_with_token

LIVE = "{ devices { id live { powerW } } }"


def _spy_on_readings(monkeypatch, live):
    calls: list[list[uuid.UUID]] = []
    original = live.device_readings

    async def device_readings(ids):
        calls.append(list(ids))
        return await original(ids)

    monkeypatch.setattr(live, "device_readings", device_readings)
    return calls


class TestLiveReadingLoader:
    async def test_one_batch_for_every_device_of_a_list(self, any_api, monkeypatch):
        _, token = await user_with_token(any_api, "alice")
        devices = [await create(any_api, token, type_name) for type_name in CREATE]
        calls = _spy_on_readings(monkeypatch, any_api.state.live)
        body = await any_api.gql(LIVE, token=token)
        assert [d["live"] for d in body["data"]["devices"]] == [None] * len(devices)
        assert len(calls) == 1
        assert sorted(str(i) for i in calls[0]) == sorted(d["id"] for d in devices)

    async def test_two_aliases_of_the_same_list_share_one_batch(self, any_api, monkeypatch):
        _, token = await user_with_token(any_api, "alice")
        devices = [await create(any_api, token, t) for t in ("Battery", "Heater")]
        calls = _spy_on_readings(monkeypatch, any_api.state.live)
        body = await any_api.gql(
            "{ a: devices { live { powerW } } b: devices { live { powerW } } }", token=token
        )
        assert body.get("errors") is None
        assert len(calls) == 1
        assert sorted(str(i) for i in calls[0]) == sorted(d["id"] for d in devices)

    async def test_no_devices_means_no_live_store_call(self, api, monkeypatch):
        _, token = await user_with_token(api, "alice")
        calls = _spy_on_readings(monkeypatch, api.state.live)
        assert await api.gql(LIVE, token=token) == {"data": {"devices": []}}
        assert calls == []
