"""A new user's whole journey, on PostgreSQL + Redis and on the embedded default; /healthz."""

from __future__ import annotations

from tests.graphql.helpers import (
    CREATE,
    DELETE,
    DEVICES,
    LOGIN,
    RENAME,
    SET_MODE,
    create,
)


class TestNewUserJourney:
    async def test_register_login_create_list_rename_delete(self, any_api):
        api = any_api
        await api.register("newcomer", "a long enough password")
        login = await api.gql(LOGIN, {"u": "newcomer", "p": "a long enough password"})
        assert login.get("errors") is None, login
        token = login["data"]["loginUser"]["token"]
        me = await api.gql("{ me { username } }", token=token)
        assert me == {"data": {"me": {"username": "newcomer"}}}

        created = [await create(api, token, type_name) for type_name in CREATE]
        listed = (await api.gql(DEVICES, {}, token))["data"]["devices"]
        assert listed == created
        assert [d["__typename"] for d in listed] == list(CREATE)
        battery = next(d for d in listed if d["__typename"] == "Battery")
        assert (battery["capacityWh"], battery["cRate"], battery["currentLevelWh"]) == (
            13500.0,
            0.4,
            5000.0,
        )

        heater = next(d for d in listed if d["__typename"] == "Heater")
        renamed = await api.gql(RENAME, {"id": heater["id"], "name": "Attic heater"}, token)
        assert renamed["data"]["renameDevice"]["name"] == "Attic heater"

        ev = next(d for d in listed if d["__typename"] == "ElectricVehicle")
        mode = await api.gql(SET_MODE, {"id": ev["id"], "mode": "DISCHARGING"}, token)
        assert mode["data"]["setElectricVehicleMode"]["mode"] == "DISCHARGING"

        generator = next(d for d in listed if d["__typename"] == "Generator")
        assert await api.gql(DELETE, {"id": generator["id"]}, token) == {
            "data": {"deleteDevice": True}
        }

        final = (await api.gql(DEVICES, {}, token))["data"]["devices"]
        assert [d["__typename"] for d in final] == [t for t in CREATE if t != "Generator"]
        assert next(d for d in final if d["id"] == heater["id"])["name"] == "Attic heater"
        assert next(d for d in final if d["id"] == ev["id"])["modeSetting"] == "DISCHARGING"

        stats = await api.gql("{ energyStats { netGridFlow timestamp } }", token=token)
        assert stats == {"data": {"energyStats": {"netGridFlow": 0.0, "timestamp": None}}}


class TestHealthz:
    async def test_ok_on_postgres_and_redis(self, api):
        response = await api.client.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "database": "ok", "live_store": "redis"}

    async def test_ok_on_the_embedded_default(self, api_sqlite):
        response = await api_sqlite.client.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "database": "ok", "live_store": "memory"}
