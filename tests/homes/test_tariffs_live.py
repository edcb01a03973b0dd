"""Live money: the cycle writes each home's price and cost rate at the cycle instant into its
live figures, and the user's (the sum of its priced homes' cost rates, null across currencies)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from app.pipeline.cycle import run_cycle
from tests.homes.test_homes_api import ok
from tests.homes.test_homes_cycle import CYCLE, cycles, two_homes
from tests.homes.test_tariffs_api import CLEAR, DYNAMIC, FIXED, SET, UPLOAD, iso

MONEY = "{ netGridFlow currency importPricePerKwh exportPricePerKwh costRatePerHour }"
QUERY = (
    f"query($b: ID!, $t: ID!) {{ energyStats {MONEY} "
    f"b: home(id: $b) {{ energyStats {MONEY} }} t: home(id: $t) {{ energyStats {MONEY} }} }}"
)


def expected_rate(stats: dict[str, Any], import_price: float, export_price: float) -> float:
    kw = float(stats["netGridFlow"]) / 1000.0
    return kw * (import_price if kw > 0 else export_price)


async def figures(api: Any, token: str, b: str, t: str) -> tuple[dict[str, Any], ...]:
    data = await ok(api, QUERY, {"b": b, "t": t}, token)
    return data["energyStats"], data["b"]["energyStats"], data["t"]["energyStats"]


class TestLiveMoney:
    async def test_without_a_tariff_money_is_null(self, any_api):
        token, berlin, tokyo = await two_homes(any_api)
        await cycles(any_api, 1)
        for stats in await figures(any_api, token, berlin["id"], tokyo["id"]):
            assert stats["currency"] is None
            assert stats["importPricePerKwh"] is None
            assert stats["costRatePerHour"] is None

    async def test_one_priced_home_prices_the_home_and_the_user(self, any_api):
        token, berlin, tokyo = await two_homes(any_api)
        fixed = {**FIXED, "importPricePerKwh": 0.4, "exportPricePerKwh": 0.1}
        await ok(any_api, SET, {"home": berlin["id"], "input": fixed}, token)
        await cycles(any_api, 1)
        user, b, t = await figures(any_api, token, berlin["id"], tokyo["id"])
        assert (b["currency"], b["importPricePerKwh"], b["exportPricePerKwh"]) == ("USD", 0.4, 0.1)
        assert b["costRatePerHour"] == pytest.approx(expected_rate(b, 0.4, 0.1), abs=1e-5)
        assert t["currency"] is None
        assert t["costRatePerHour"] is None
        assert user["currency"] == "USD"
        assert user["costRatePerHour"] == pytest.approx(b["costRatePerHour"], abs=1e-5)

    async def test_same_currency_sums_the_rates_and_a_dynamic_slot_applies(self, any_api):
        token, berlin, tokyo = await two_homes(any_api)
        await ok(any_api, SET, {"home": berlin["id"], "input": {**FIXED, "currency": "EUR"}}, token)
        await ok(any_api, SET, {"home": tokyo["id"], "input": DYNAMIC}, token)
        # The cycle instant's quarter hour: negative prices earn on import, cost on export.
        slot = [{"start": iso(CYCLE), "importPricePerKwh": -0.3, "exportPricePerKwh": -0.05}]
        await ok(any_api, UPLOAD, {"home": tokyo["id"], "prices": slot}, token)
        await cycles(any_api, 1)
        user, b, t = await figures(any_api, token, berlin["id"], tokyo["id"])
        assert (t["importPricePerKwh"], t["exportPricePerKwh"]) == (-0.3, -0.05)
        assert t["costRatePerHour"] == pytest.approx(expected_rate(t, -0.3, -0.05), abs=1e-5)
        assert user["currency"] == "EUR"
        assert user["importPricePerKwh"] is None  # two priced homes: no single price
        assert user["costRatePerHour"] == pytest.approx(
            b["costRatePerHour"] + t["costRatePerHour"], abs=1e-5
        )

    async def test_different_currencies_give_null_user_money(self, any_api):
        token, berlin, tokyo = await two_homes(any_api)
        await ok(any_api, SET, {"home": berlin["id"], "input": {**FIXED, "currency": "EUR"}}, token)
        await ok(any_api, SET, {"home": tokyo["id"], "input": {**FIXED, "currency": "JPY"}}, token)
        await cycles(any_api, 1)
        user, b, t = await figures(any_api, token, berlin["id"], tokyo["id"])
        assert (b["currency"], t["currency"]) == ("EUR", "JPY")
        assert user["currency"] is None
        assert user["costRatePerHour"] is None

    async def test_a_cleared_tariff_stops_pricing_from_the_next_cycle(self, any_api):
        token, berlin, tokyo = await two_homes(any_api)
        await ok(any_api, SET, {"home": berlin["id"], "input": FIXED}, token)
        await cycles(any_api, 1)
        await ok(any_api, CLEAR, {"home": berlin["id"]}, token)
        await run_cycle(
            any_api.state.sessionmaker,
            any_api.state.live,
            CYCLE + timedelta(minutes=1),
            batch_users=10,
        )
        user, b, _ = await figures(any_api, token, berlin["id"], tokyo["id"])
        assert b["currency"] is None
        assert user["currency"] is None
