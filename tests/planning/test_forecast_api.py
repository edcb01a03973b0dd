"""Home.forecast through GraphQL: slots, prices only with a tariff, `hours` validated."""

from __future__ import annotations

from tests.fixtures.app import Api
from tests.graphql.helpers import code, error
from tests.homes.test_homes_api import new_device, ok
from tests.homes.test_tariffs_api import FIXED, SET, first_home
from tests.planning.test_scenario import HOUSEHOLD

FORECAST = (
    "query($id: ID!, $hours: Int) { home(id: $id) { forecast(hours: $hours) "
    "{ start end productionWh consumptionWh importPricePerKwh exportPricePerKwh } } }"
)


async def test_forecast_defaults_to_24_hours_without_prices(any_api: Api):
    token = await any_api.register("alice")
    home = await first_home(any_api, token)
    await new_device(any_api, token, "SolarPanel", home)
    await new_device(any_api, token, "Heater", home)
    slots = (await ok(any_api, FORECAST, {"id": home}, token))["home"]["forecast"]
    assert len(slots) == 96
    assert all(s["importPricePerKwh"] is None and s["exportPricePerKwh"] is None for s in slots)
    assert all(s["productionWh"] >= 0 and s["consumptionWh"] >= 0 for s in slots)
    assert sum(s["productionWh"] for s in slots) > 0


async def test_forecast_carries_the_tariff_prices(api_sqlite: Api):
    token = await api_sqlite.register("alice")
    home = await first_home(api_sqlite, token)
    await ok(api_sqlite, SET, {"home": home, "input": FIXED}, token)
    slots = (await ok(api_sqlite, FORECAST, {"id": home, "hours": 2}, token))["home"]["forecast"]
    assert len(slots) == 8
    assert {(s["importPricePerKwh"], s["exportPricePerKwh"]) for s in slots} == {(0.2, 0.0)}


async def test_hours_outside_1_to_48_is_bad_user_input_naming_hours(api_sqlite: Api):
    token = await api_sqlite.register("alice")
    home = await first_home(api_sqlite, token)
    for hours in (0, 49, -3):
        body = await api_sqlite.gql(FORECAST, {"id": home, "hours": hours}, token)
        assert code(body) == "BAD_USER_INPUT"
        assert "hours" in error(body)["message"]


async def test_another_users_home_is_not_found(api_sqlite: Api):
    alice = await api_sqlite.register("alice")
    bob = await api_sqlite.register("bob")
    home = await first_home(api_sqlite, alice)
    body = await api_sqlite.gql(FORECAST, {"id": home}, bob)
    assert code(body) == "NOT_FOUND"


async def test_a_household_load_is_in_the_forecast_consumption(api_sqlite: Api):
    """The home's household load is forecast as the planner sees it (~9.6 kWh a day for 3,500
    kWh a year), not dropped when one home is loaded on its own."""
    token = await api_sqlite.register("alice")
    home = await first_home(api_sqlite, token)
    await ok(api_sqlite, HOUSEHOLD, {"home": home}, token)
    slots = (await ok(api_sqlite, FORECAST, {"id": home}, token))["home"]["forecast"]
    assert all(s["consumptionWh"] > 0 for s in slots)
    assert 8_000.0 < sum(s["consumptionWh"] for s in slots) < 11_500.0
