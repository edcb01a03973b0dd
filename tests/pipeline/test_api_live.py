"""The API serves the live store: energyStats, Device.live (one round trip), outages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app import models
from app.pipeline.cycle import run_cycle
from tests.fixtures.app import make_settings
from tests.fixtures.factories import create_device
from tests.servers import RedisServer

CYCLE = datetime(2026, 1, 12, 20, 0, tzinfo=UTC)

DEVICES = """
{ devices {
    id kind
    live { powerW status timestamp storage { capacityWh currentLevelWh flowW } }
    ... on Battery { currentLevelWh capacityWh }
    ... on ElectricVehicle { currentChargeKwh mode lastSeenAt }
} }
"""
STATS = "{ energyStats { currentProduction currentConsumption storageFlow netGridFlow timestamp } }"


async def _owner_with_home(api, db_session, username="alice"):
    token = await api.register(username)
    user = (
        await db_session.scalars(select(models.User).where(models.User.username == username))
    ).one()
    for kind in models.DeviceKind:
        await create_device(db_session, kind, user)
    await create_device(db_session, models.DeviceKind.SOLAR_PANEL, user)
    await db_session.commit()
    return token, user


class TestEnergyStats:
    async def test_zeros_and_null_timestamp_before_any_cycle(self, api):
        token = await api.register("newbie")
        body = await api.gql(STATS, token=token)
        assert body["data"]["energyStats"] == {
            "currentProduction": 0.0,
            "currentConsumption": 0.0,
            "storageFlow": 0.0,
            "netGridFlow": 0.0,
            "timestamp": None,
        }

    async def test_equals_the_sums_of_the_device_readings(self, api, db_session):
        token, _ = await _owner_with_home(api, db_session)
        await run_cycle(api.state.sessionmaker, api.state.live, CYCLE, batch_users=10)
        stats = (await api.gql(STATS, token=token))["data"]["energyStats"]
        devices = (await api.gql(DEVICES, token=token))["data"]["devices"]
        production = sum(
            d["live"]["powerW"] for d in devices if d["kind"] in ("SOLAR_PANEL", "GENERATOR")
        )
        consumption = sum(
            d["live"]["powerW"]
            for d in devices
            if d["kind"] in ("AIR_CONDITIONER", "HEATER", "HOUSEHOLD")
        )
        flow = sum(d["live"]["storage"]["flowW"] for d in devices if d["live"]["storage"])
        assert stats["timestamp"] == CYCLE.isoformat()
        assert stats["currentProduction"] == pytest.approx(production, abs=0.01)
        assert production > 0
        assert stats["currentConsumption"] == pytest.approx(consumption, abs=0.01)
        assert stats["storageFlow"] == pytest.approx(flow, abs=0.01)
        assert stats["netGridFlow"] == pytest.approx(consumption + flow - production, abs=0.02)
        assert {d["live"]["timestamp"] for d in devices} == {CYCLE.isoformat()}

    async def test_each_user_sees_only_their_figures(self, api, db_session):
        token_a, _ = await _owner_with_home(api, db_session, "alice")
        token_b = await api.register("bob")
        await run_cycle(api.state.sessionmaker, api.state.live, CYCLE, batch_users=10)
        a = (await api.gql(STATS, token=token_a))["data"]["energyStats"]
        b = (await api.gql(STATS, token=token_b))["data"]["energyStats"]
        assert a["currentProduction"] > 0
        assert b["currentProduction"] == 0
        assert b["currentConsumption"] == 0
        assert b["timestamp"] == CYCLE.isoformat()  # bob's (empty) home was simulated too


class TestDeviceLive:
    async def test_storage_fields_agree_with_live_readings(self, api, db_session):
        token, _ = await _owner_with_home(api, db_session)
        await run_cycle(api.state.sessionmaker, api.state.live, CYCLE, batch_users=10)
        devices = (await api.gql(DEVICES, token=token))["data"]["devices"]
        battery = next(d for d in devices if d["kind"] == "BATTERY")
        ev = next(d for d in devices if d["kind"] == "ELECTRIC_VEHICLE")
        assert battery["live"]["storage"]["currentLevelWh"] == pytest.approx(
            battery["currentLevelWh"], abs=0.001
        )
        assert battery["live"]["storage"]["capacityWh"] == battery["capacityWh"]
        assert ev["live"]["storage"]["currentLevelWh"] == pytest.approx(
            ev["currentChargeKwh"] * 1000, abs=0.001
        )
        assert ev["mode"] == "OFFLINE"
        assert ev["live"]["status"] == "offline"

    async def test_a_device_list_costs_one_live_round_trip(self, api, db_session, redis):
        token, user = await _owner_with_home(api, db_session)
        for _ in range(20):
            await create_device(db_session, models.DeviceKind.GENERATOR, user)
        await db_session.commit()
        await run_cycle(api.state.sessionmaker, api.state.live, CYCLE, batch_users=10)

        async def mget_calls():
            stats = await redis.info("commandstats")
            return stats.get("cmdstat_mget", {}).get("calls", 0)

        before = await mget_calls()
        devices = (await api.gql(DEVICES, token=token))["data"]["devices"]
        assert len(devices) == len(models.DeviceKind) + 1 + 20
        assert all(d["live"] is not None for d in devices)
        assert await mget_calls() - before == 1

    async def test_live_is_null_before_the_first_cycle(self, api, db_session):
        token, _ = await _owner_with_home(api, db_session)
        devices = (await api.gql(DEVICES, token=token))["data"]["devices"]
        assert devices
        assert all(d["live"] is None for d in devices)


class TestRedisOutage:
    async def test_energy_stats_answers_a_clear_error_and_healthz_503(
        self, database_url, db_engine
    ):
        from app.main import build_state, close_state, create_app
        from tests.fixtures.app import _api

        server = RedisServer().start()
        state = await build_state(make_settings(DATABASE_URL=database_url, REDIS_URL=server.url))
        try:
            async for api in _api(state):
                token = await api.register("carol")
                assert (await api.client.get("/healthz")).status_code == 200
                server.stop()
                body = await api.gql(STATS, token=token)
                assert body["data"] is None
                (error,) = body["errors"]
                assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
                assert "Traceback" not in str(body)
                assert "redis" not in error["message"].lower()
                health = await api.client.get("/healthz")
                assert health.status_code == 503
                assert health.json()["live_store"] == "down"
                # Recovers without a restart once Redis is back (same port).
                server.start()
                body = await api.gql(STATS, token=token)
                assert body.get("errors") is None
                assert (await api.client.get("/healthz")).status_code == 200
        finally:
            await close_state(state)
            server.stop()
        assert callable(create_app)  # imported for symmetry with the app fixture
