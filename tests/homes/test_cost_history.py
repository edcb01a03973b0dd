"""Cost in the history: each cycle records its interval's money with its energy at the price in
force for that interval; hours and days accumulate it; DAY buckets add the day's fixed charge;
`costToday` is the home's local day so far. Runs on PostgreSQL + Redis and on the embedded default.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.pipeline.cycle import run_cycle
from tests.fixtures.app import Api
from tests.homes.test_homes_api import DELETE_HOME, new_device, new_home, ok
from tests.homes.test_tariffs_api import DYNAMIC, FIXED, SET, UPLOAD, first_home, iso

# Device MINUTE buckets are read here: the operator's opt-in that keeps them.
pytestmark = pytest.mark.usefixtures("device_minute_history")

#: Monday 12:00 UTC (13:00 in Berlin, the first home's default calendar is the user's).
T0 = datetime(2026, 1, 12, 12, 0, tzinfo=UTC)
#: A range whose DAY and MONTH bucket is the one holding T0, whatever the home's calendar.
NEXT = T0 + timedelta(minutes=1)
NODE = "start consumedWh importedWh exportedWh importCost exportRevenue netCost"


def _history(resolution: str, start: datetime, end: datetime) -> str:
    return (
        f'(resolution: {resolution}, from: "{iso(start)}", to: "{iso(end)}", first: 1000) '
        f"{{ edges {{ node {{ {NODE} }} }} }}"
    )


async def home_history(
    api: Api, token: str, home: str, resolution: str, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    query = (
        f"query($id: ID!) {{ home(id: $id) {{ energyHistory{_history(resolution, start, end)} }} }}"
    )
    data = await ok(api, query, {"id": home}, token)
    return [e["node"] for e in data["home"]["energyHistory"]["edges"]]


async def user_history(
    api: Api, token: str, resolution: str, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    data = await ok(api, f"{{ energyHistory{_history(resolution, start, end)} }}", {}, token)
    return [e["node"] for e in data["energyHistory"]["edges"]]


async def device_history(
    api: Api, token: str, device: str, resolution: str, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    query = f"query($id: ID!) {{ device(id: $id) {{ history{_history(resolution, start, end)} }} }}"
    data = await ok(api, query, {"id": device}, token)
    return [e["node"] for e in data["device"]["history"]["edges"]]


async def cycle_minutes(api: Api, first: int, last: int) -> None:
    """Cycles at T0 + first .. T0 + last minutes: they record minutes first-1 .. last-1."""
    for n in range(first, last + 1):
        await run_cycle(
            api.state.sessionmaker, api.state.live, T0 + timedelta(minutes=n), batch_users=10
        )


async def importing_and_exporting(api: Api) -> tuple[str, str, str, str]:
    """A user with two homes: the first only consumes (a heater), the second only produces
    (a generator), so one imports and the other exports every minute."""
    token = await api.register("alice")
    importer = await first_home(api, token)
    exporter = (await new_home(api, token, name="Barn", timezone="Europe/Berlin"))["id"]
    heater = (await new_device(api, token, "Heater", importer))["id"]
    await new_device(api, token, "Generator", exporter)
    return token, importer, exporter, heater


async def set_tariff(api: Api, token: str, home: str, tariff: dict[str, Any]) -> None:
    await ok(api, SET, {"home": home, "input": tariff}, token)


def approx(value: float) -> Any:
    return pytest.approx(value, rel=1e-9, abs=1e-9)


def quarter_slots(prices: list[tuple[float, float]]) -> list[dict[str, Any]]:
    return [
        {
            "start": iso(T0 + timedelta(minutes=15 * i)),
            "importPricePerKwh": imp,
            "exportPricePerKwh": exp,
        }  # fmt: skip
        for i, (imp, exp) in enumerate(prices)
    ]


#: 12:00, 12:15, 12:30, 12:45: the first two quarters negative (surplus hours on the market).
DYNAMIC_HOUR = [(-0.30, -0.05), (-0.10, 0.02), (0.25, 0.07), (0.40, 0.09)]


def price_of(minute: datetime) -> tuple[float, float]:
    return DYNAMIC_HOUR[(minute - T0) // timedelta(minutes=15)]


class TestRecordedCost:
    async def test_each_minute_pays_its_quarter_and_the_hour_is_their_sum(self, any_api):
        token, importer, exporter, _ = await importing_and_exporting(any_api)
        for home in (importer, exporter):
            await set_tariff(any_api, token, home, DYNAMIC)
            await ok(any_api, UPLOAD, {"home": home, "prices": quarter_slots(DYNAMIC_HOUR)}, token)
        await cycle_minutes(any_api, 1, 20)  # 12:00 .. 12:19: two quarters, prices < 0 first
        end = T0 + timedelta(hours=1)
        for home in (importer, exporter):
            minutes = await home_history(any_api, token, home, "MINUTE", T0, end)
            recorded = minutes[:20]
            for m in recorded:
                imp, exp = price_of(datetime.fromisoformat(m["start"]))
                assert m["importCost"] == approx(m["importedWh"] / 1000 * imp)
                assert m["exportRevenue"] == approx(m["exportedWh"] / 1000 * exp)
                assert m["netCost"] == approx(m["importCost"] - m["exportRevenue"])
            assert all(m["importCost"] == m["exportRevenue"] == 0 for m in minutes[20:])
            (hour,) = await home_history(any_api, token, home, "HOUR", T0, end)
            assert hour["importCost"] == approx(sum(m["importCost"] for m in minutes))
            assert hour["exportRevenue"] == approx(sum(m["exportRevenue"] for m in minutes))
            quarters = await home_history(any_api, token, home, "QUARTER_HOUR", T0, end)
            assert sum(q["importCost"] for q in quarters) == approx(hour["importCost"])

    async def test_negative_prices_earn_on_import_and_cost_on_export(self, any_api):
        token, importer, exporter, _ = await importing_and_exporting(any_api)
        for home in (importer, exporter):
            await set_tariff(any_api, token, home, DYNAMIC)
            await ok(any_api, UPLOAD, {"home": home, "prices": quarter_slots(DYNAMIC_HOUR)}, token)
        await cycle_minutes(any_api, 1, 15)  # the first quarter: import -0.30, export -0.05
        end = T0 + timedelta(minutes=15)
        (bought,) = await home_history(any_api, token, importer, "QUARTER_HOUR", T0, end)
        (sold,) = await home_history(any_api, token, exporter, "QUARTER_HOUR", T0, end)
        assert bought["importedWh"] > 0
        assert bought["exportedWh"] == 0
        assert bought["importCost"] < 0  # importing earned money
        assert bought["netCost"] == approx(bought["importedWh"] / 1000 * -0.30)
        assert sold["exportedWh"] > 0
        assert sold["importedWh"] == 0
        assert sold["exportRevenue"] < 0  # exporting cost money
        assert sold["netCost"] > 0
        assert sold["netCost"] == approx(sold["exportedWh"] / 1000 * 0.05)

    async def test_a_tariff_change_mid_day_keeps_the_mornings_costs(self, any_api):
        token, importer, _, _ = await importing_and_exporting(any_api)
        await set_tariff(any_api, token, importer, {**FIXED, "importPricePerKwh": 0.2})
        await cycle_minutes(any_api, 1, 5)
        end = T0 + timedelta(minutes=10)
        before = await home_history(any_api, token, importer, "MINUTE", T0, end)
        await set_tariff(any_api, token, importer, {**FIXED, "importPricePerKwh": 0.5})
        await cycle_minutes(any_api, 6, 10)
        after = await home_history(any_api, token, importer, "MINUTE", T0, end)
        assert after[:5] == before[:5]
        for m in after[:5]:
            assert m["importCost"] == approx(m["importedWh"] / 1000 * 0.2)
        for m in after[5:]:
            assert m["importedWh"] > 0
            assert m["importCost"] == approx(m["importedWh"] / 1000 * 0.5)
        (day,) = await home_history(any_api, token, importer, "DAY", T0, NEXT)
        assert day["importCost"] == approx(sum(m["importCost"] for m in after))

    async def test_day_net_cost_includes_the_fixed_charge_kept_from_the_days_tariff(self, any_api):
        token, importer, exporter, _ = await importing_and_exporting(any_api)
        await set_tariff(any_api, token, importer, {**FIXED, "dailyFixedCharge": 1.25})
        await cycle_minutes(any_api, 1, 3)
        # A new fixed charge from now on: the day already recorded keeps its own.
        await set_tariff(any_api, token, importer, {**FIXED, "dailyFixedCharge": 9.0})
        await cycle_minutes(any_api, 4, 5)
        (day,) = await home_history(any_api, token, importer, "DAY", T0, NEXT)
        assert day["importCost"] > 0
        assert day["netCost"] == approx(day["importCost"] - day["exportRevenue"] + 1.25)
        (hour,) = await home_history(any_api, token, importer, "HOUR", T0, T0 + timedelta(hours=1))
        assert hour["netCost"] == approx(hour["importCost"] - hour["exportRevenue"])
        (month,) = await home_history(any_api, token, importer, "MONTH", T0, NEXT)
        assert month["netCost"] == approx(day["netCost"])
        # The user's day: its homes' money and the priced home's fixed charge.
        (user_day,) = await user_history(any_api, token, "DAY", T0, NEXT)
        (barn,) = await home_history(any_api, token, exporter, "DAY", T0, NEXT)
        assert barn["netCost"] == 0  # no tariff
        assert user_day["importCost"] == approx(day["importCost"])
        assert user_day["netCost"] == approx(day["netCost"])

    async def test_the_users_history_sums_its_homes_money(self, any_api):
        token, importer, exporter, _ = await importing_and_exporting(any_api)
        await set_tariff(any_api, token, importer, {**FIXED, "importPricePerKwh": 0.3})
        await set_tariff(
            any_api, token, exporter, {**FIXED, "currency": "USD", "exportPricePerKwh": 0.1}
        )
        await cycle_minutes(any_api, 1, 4)
        end = T0 + timedelta(hours=1)
        (mine,) = await home_history(any_api, token, importer, "HOUR", T0, end)
        (theirs,) = await home_history(any_api, token, exporter, "HOUR", T0, end)
        (user,) = await user_history(any_api, token, "HOUR", T0, end)
        assert theirs["exportRevenue"] > 0
        assert user["importCost"] == approx(mine["importCost"] + theirs["importCost"])
        assert user["exportRevenue"] == approx(mine["exportRevenue"] + theirs["exportRevenue"])

    async def test_deleting_a_home_takes_its_money_out_of_the_users_history(self, any_api):
        token, importer, exporter, _ = await importing_and_exporting(any_api)
        await set_tariff(any_api, token, importer, {**FIXED, "importPricePerKwh": 0.3})
        await set_tariff(any_api, token, exporter, {**FIXED, "exportPricePerKwh": 0.1})
        await cycle_minutes(any_api, 1, 3)
        end = T0 + timedelta(hours=1)
        (mine,) = await home_history(any_api, token, importer, "HOUR", T0, end)
        (before,) = await user_history(any_api, token, "HOUR", T0, end)
        assert before["exportRevenue"] > 0
        await ok(any_api, DELETE_HOME, {"id": exporter}, token)
        for resolution, stop in (("MINUTE", T0 + timedelta(minutes=3)), ("HOUR", end)):
            user = await user_history(any_api, token, resolution, T0, stop)
            home = await home_history(any_api, token, importer, resolution, T0, stop)
            for u, h in zip(user, home, strict=True):
                assert u["importCost"] == approx(h["importCost"])
                assert u["exportRevenue"] == approx(0.0)
        (day,) = await user_history(any_api, token, "DAY", T0, NEXT)
        assert day["importCost"] == approx(mine["importCost"])
        assert day["exportRevenue"] == approx(0.0)

    async def test_device_buckets_report_no_money(self, any_api):
        token, importer, _, heater = await importing_and_exporting(any_api)
        await set_tariff(any_api, token, importer, {**FIXED, "dailyFixedCharge": 1.0})
        await cycle_minutes(any_api, 1, 3)
        for resolution, start in (("MINUTE", T0), ("HOUR", T0), ("DAY", T0)):
            buckets = await device_history(
                any_api, token, heater, resolution, start, T0 + timedelta(minutes=3)
            )
            assert any(b["consumedWh"] > 0 for b in buckets)
            assert all(b["importCost"] == b["exportRevenue"] == b["netCost"] == 0 for b in buckets)


class TestWithoutTariff:
    async def test_one_home_without_tariff_has_zero_money_everywhere(self, any_api):
        token = await any_api.register("bob")
        home = await first_home(any_api, token)
        heater = (await new_device(any_api, token, "Heater", home))["id"]
        await cycle_minutes(any_api, 1, 3)
        end = T0 + timedelta(minutes=3)
        for resolution in ("MINUTE", "QUARTER_HOUR", "HOUR", "DAY", "MONTH"):
            for buckets in (
                await user_history(any_api, token, resolution, T0, end),
                await home_history(any_api, token, home, resolution, T0, end),
                await device_history(any_api, token, heater, resolution, T0, end),
            ):
                assert any(b["consumedWh"] > 0 for b in buckets)
                assert all(
                    b["importCost"] == b["exportRevenue"] == b["netCost"] == 0 for b in buckets
                )
        stats = (await ok(any_api, "{ energyStats { currency costToday } }", {}, token))[
            "energyStats"
        ]
        assert stats == {"currency": None, "costToday": None}

    async def test_another_users_tariff_changes_nothing_of_mine(self, any_api):
        token, importer, _, _ = await importing_and_exporting(any_api)
        other = await any_api.register("carol")
        theirs = await first_home(any_api, other)
        await new_device(any_api, other, "Heater", theirs)
        await set_tariff(any_api, other, theirs, {**FIXED, "dailyFixedCharge": 2.0})
        await cycle_minutes(any_api, 1, 3)
        for buckets in (
            await home_history(any_api, token, importer, "DAY", T0, NEXT),
            await user_history(any_api, token, "DAY", T0, NEXT),
        ):
            assert buckets[0]["importedWh"] > 0
            assert buckets[0]["netCost"] == 0
        (carols,) = await user_history(any_api, other, "DAY", T0, NEXT)
        assert carols["netCost"] == approx(carols["importCost"] + 2.0)


STATS = "{ currency costToday costRatePerHour }"
LIVE = (
    f"query($a: ID!, $b: ID!) {{ energyStats {STATS} a: home(id: $a) {{ energyStats {STATS} }} "
    f"b: home(id: $b) {{ energyStats {STATS} }} }}"
)


class TestCostToday:
    async def test_cost_today_is_the_days_net_cost_so_far(self, any_api):
        token, importer, exporter, _ = await importing_and_exporting(any_api)
        await set_tariff(
            any_api, token, importer, {**FIXED, "currency": "EUR", "dailyFixedCharge": 0.75}
        )
        await set_tariff(any_api, token, exporter, {**DYNAMIC, "exportPricePerKwh": 0.1})
        await cycle_minutes(any_api, 1, 4)
        data = await ok(any_api, LIVE, {"a": importer, "b": exporter}, token)
        (a_day,) = await home_history(any_api, token, importer, "DAY", T0, NEXT)
        (b_day,) = await home_history(any_api, token, exporter, "DAY", T0, NEXT)
        a, b = data["a"]["energyStats"], data["b"]["energyStats"]
        assert a["costToday"] == pytest.approx(a_day["netCost"], abs=1e-6)
        assert a["costToday"] > 0.75
        assert b["costToday"] == pytest.approx(b_day["netCost"], abs=1e-6)
        assert b["costToday"] < 0  # it has only earned
        user = data["energyStats"]
        assert user["currency"] == "EUR"
        assert user["costToday"] == pytest.approx(a["costToday"] + b["costToday"], abs=1e-5)

    async def test_a_repeated_cycle_keeps_cost_today(self, any_api):
        token, importer, exporter, _ = await importing_and_exporting(any_api)
        await set_tariff(any_api, token, importer, FIXED)
        await cycle_minutes(any_api, 1, 3)
        first = await ok(any_api, LIVE, {"a": importer, "b": exporter}, token)
        await cycle_minutes(any_api, 3, 3)  # the same instant again: nothing recorded twice
        again = await ok(any_api, LIVE, {"a": importer, "b": exporter}, token)
        assert again["a"]["energyStats"]["costToday"] == first["a"]["energyStats"]["costToday"]
        assert first["b"]["energyStats"]["costToday"] is None  # no tariff

    async def test_different_currencies_give_null_user_cost_today(self, any_api):
        token, importer, exporter, _ = await importing_and_exporting(any_api)
        await set_tariff(any_api, token, importer, {**FIXED, "currency": "EUR"})
        await set_tariff(any_api, token, exporter, {**FIXED, "currency": "JPY"})
        await cycle_minutes(any_api, 1, 2)
        data = await ok(any_api, LIVE, {"a": importer, "b": exporter}, token)
        assert data["a"]["energyStats"]["costToday"] is not None
        assert data["b"]["energyStats"]["costToday"] is not None
        assert data["energyStats"]["currency"] is None
        assert data["energyStats"]["costToday"] is None
