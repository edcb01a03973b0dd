"""Tariffs through GraphQL: setTariff/clearTariff/uploadPrices, Home.tariff, Tariff.prices;
bad input names its field and writes nothing; another user's home is NOT_FOUND."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from app import models
from app.tariffs import MAX_SLOTS_PER_UPLOAD
from tests.fixtures.app import Api
from tests.graphql.helpers import code, count, error
from tests.homes.test_homes_api import HOMES, new_home, ok

TARIFF_FIELDS = (
    "kind currency dailyFixedCharge importPricePerKwh exportPricePerKwh "
    "windows { days startTime endTime importPricePerKwh exportPricePerKwh }"
)
SET = (
    "mutation($home: ID!, $input: TariffInput!) { setTariff(homeId: $home, input: $input) "
    f"{{ {TARIFF_FIELDS} }} }}"
)
CLEAR = "mutation($home: ID!) { clearTariff(homeId: $home) }"
UPLOAD = (
    "mutation($home: ID!, $prices: [PriceSlotInput!]!) "
    "{ uploadPrices(homeId: $home, prices: $prices) }"
)
HOME_TARIFF = f"query($id: ID!) {{ home(id: $id) {{ tariff {{ {TARIFF_FIELDS} }} }} }}"
PRICES = (
    "query($id: ID!, $from: DateTime!, $to: DateTime!) { home(id: $id) { tariff { "
    "prices(from: $from, to: $to) { start end importPricePerKwh exportPricePerKwh } } } }"
)
TOU = {
    "kind": "TIME_OF_USE",
    "currency": "eur",
    "dailyFixedCharge": 0.5,
    "importPricePerKwh": 0.30,
    "exportPricePerKwh": 0.08,
    "windows": [
        {
            "days": ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"],
            "startTime": "22:00",
            "endTime": "06:00",
            "importPricePerKwh": 0.15,
            "exportPricePerKwh": 0.05,
        }
    ],
}
FIXED = {"kind": "FIXED", "currency": "USD", "importPricePerKwh": 0.2}
DYNAMIC = {"kind": "DYNAMIC", "currency": "EUR", "importPricePerKwh": 0.25}


async def first_home(api: Api, token: str) -> str:
    homes = (await ok(api, HOMES, {}, token))["homes"]
    return str(homes[0]["id"])


async def home_tariff(api: Api, token: str, home: str) -> dict[str, Any] | None:
    data = await ok(api, HOME_TARIFF, {"id": home}, token)
    return data["home"]["tariff"]  # type: ignore[no-any-return]


def iso(t: datetime) -> str:
    return t.isoformat()


class TestSetTariff:
    async def test_a_home_starts_without_a_tariff(self, any_api):
        token = await any_api.register("alice")
        assert await home_tariff(any_api, token, await first_home(any_api, token)) is None

    async def test_set_time_of_use_round_trips(self, any_api):
        token = await any_api.register("alice")
        home = await first_home(any_api, token)
        got = (await ok(any_api, SET, {"home": home, "input": TOU}, token))["setTariff"]
        assert got["kind"] == "TIME_OF_USE"
        assert got["currency"] == "EUR"  # stored upper-case
        assert got["dailyFixedCharge"] == 0.5
        assert (got["importPricePerKwh"], got["exportPricePerKwh"]) == (0.30, 0.08)
        assert got["windows"] == [
            {
                "days": ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"],
                "startTime": "22:00",
                "endTime": "06:00",
                "importPricePerKwh": 0.15,
                "exportPricePerKwh": 0.05,
            }
        ]
        assert await home_tariff(any_api, token, home) == got

    async def test_set_replaces_the_previous_tariff(self, any_api):
        token = await any_api.register("alice")
        home = await first_home(any_api, token)
        await ok(any_api, SET, {"home": home, "input": TOU}, token)
        await ok(any_api, SET, {"home": home, "input": FIXED}, token)
        got = await home_tariff(any_api, token, home)
        assert got is not None
        assert (got["kind"], got["currency"], got["windows"]) == ("FIXED", "USD", [])
        assert got["dailyFixedCharge"] == 0  # the input's default
        assert await count(any_api, models.TariffRow) == 1

    async def test_each_home_has_its_own_tariff(self, any_api):
        token = await any_api.register("alice")
        home = await first_home(any_api, token)
        flat = (await new_home(any_api, token, name="Flat"))["id"]
        await ok(any_api, SET, {"home": flat, "input": FIXED}, token)
        assert await home_tariff(any_api, token, home) is None
        assert (await home_tariff(any_api, token, flat) or {})["kind"] == "FIXED"

    async def test_clear_removes_the_tariff(self, any_api):
        token = await any_api.register("alice")
        home = await first_home(any_api, token)
        await ok(any_api, SET, {"home": home, "input": DYNAMIC}, token)
        start = datetime(2026, 6, 1, tzinfo=UTC)
        await ok(
            any_api,
            UPLOAD,
            {"home": home, "prices": [{"start": iso(start), "importPricePerKwh": 1.0}]},
            token,
        )
        assert (await ok(any_api, CLEAR, {"home": home}, token))["clearTariff"] is True
        assert await home_tariff(any_api, token, home) is None
        assert await count(any_api, models.PriceSlotRow) == 0
        assert (await ok(any_api, CLEAR, {"home": home}, token))["clearTariff"] is False

    async def test_deleting_the_home_deletes_its_tariff_and_slots(self, any_api):
        token = await any_api.register("alice")
        flat = (await new_home(any_api, token, name="Flat"))["id"]
        await ok(any_api, SET, {"home": flat, "input": DYNAMIC}, token)
        start = datetime(2026, 6, 1, tzinfo=UTC)
        await ok(
            any_api,
            UPLOAD,
            {"home": flat, "prices": [{"start": iso(start), "importPricePerKwh": 1.0}]},
            token,
        )
        await ok(any_api, "mutation($id: ID!) { deleteHome(id: $id) }", {"id": flat}, token)
        assert await count(any_api, models.TariffRow) == 0
        assert await count(any_api, models.PriceSlotRow) == 0


class TestBadInput:
    async def test_unknown_currency_names_the_field_and_writes_nothing(self, any_api):
        token = await any_api.register("alice")
        home = await first_home(any_api, token)
        body = await any_api.gql(SET, {"home": home, "input": {**FIXED, "currency": "EUX"}}, token)
        assert code(body) == "BAD_USER_INPUT"
        assert error(body)["message"].startswith("currency:")
        assert await count(any_api, models.TariffRow) == 0

    async def test_a_bad_window_keeps_the_old_tariff(self, any_api):
        token = await any_api.register("alice")
        home = await first_home(any_api, token)
        before = (await ok(any_api, SET, {"home": home, "input": FIXED}, token))["setTariff"]
        window = {**TOU["windows"][0], "startTime": "22:10"}  # type: ignore[index]
        body = await any_api.gql(SET, {"home": home, "input": {**TOU, "windows": [window]}}, token)
        assert code(body) == "BAD_USER_INPUT"
        assert error(body)["message"].startswith("windows[0].startTime:")
        assert await home_tariff(any_api, token, home) == before

    async def test_overlapping_windows_name_the_later_window(self, any_api):
        token = await any_api.register("alice")
        home = await first_home(any_api, token)
        w = TOU["windows"][0]  # type: ignore[index]
        windows = [w, {**w, "startTime": "05:00", "endTime": "07:00"}]
        body = await any_api.gql(SET, {"home": home, "input": {**TOU, "windows": windows}}, token)
        assert code(body) == "BAD_USER_INPUT"
        assert error(body)["message"].startswith("windows[1]")
        assert await count(any_api, models.TariffRow) == 0

    async def test_upload_off_the_quarter_hour_writes_no_slot(self, any_api):
        token = await any_api.register("alice")
        home = await first_home(any_api, token)
        await ok(any_api, SET, {"home": home, "input": DYNAMIC}, token)
        start = datetime(2026, 6, 1, tzinfo=UTC)
        prices = [
            {"start": iso(start), "importPricePerKwh": 0.1},
            {"start": iso(start + timedelta(minutes=20)), "importPricePerKwh": 0.1},
        ]
        body = await any_api.gql(UPLOAD, {"home": home, "prices": prices}, token)
        assert code(body) == "BAD_USER_INPUT"
        assert error(body)["message"].startswith("prices[1].start:")
        assert await count(any_api, models.PriceSlotRow) == 0

    async def test_upload_above_the_cap_is_refused(self, any_api):
        token = await any_api.register("alice")
        home = await first_home(any_api, token)
        await ok(any_api, SET, {"home": home, "input": DYNAMIC}, token)
        start = datetime(2026, 6, 1, tzinfo=UTC)
        prices = [
            {"start": iso(start + i * timedelta(minutes=15)), "importPricePerKwh": 0.1}
            for i in range(MAX_SLOTS_PER_UPLOAD + 1)
        ]
        body = await any_api.gql(UPLOAD, {"home": home, "prices": prices}, token)
        assert code(body) == "BAD_USER_INPUT"
        assert error(body)["message"].startswith("prices:")
        assert await count(any_api, models.PriceSlotRow) == 0

    async def test_upload_needs_a_dynamic_tariff(self, any_api):
        token = await any_api.register("alice")
        home = await first_home(any_api, token)
        await ok(any_api, SET, {"home": home, "input": FIXED}, token)
        start = datetime(2026, 6, 1, tzinfo=UTC)
        body = await any_api.gql(
            UPLOAD,
            {"home": home, "prices": [{"start": iso(start), "importPricePerKwh": 0.1}]},
            token,
        )
        assert code(body) == "BAD_USER_INPUT"
        assert error(body)["message"].startswith("prices:")
        assert await count(any_api, models.PriceSlotRow) == 0

    async def test_a_price_range_above_31_days_names_to(self, any_api):
        token = await any_api.register("alice")
        home = await first_home(any_api, token)
        await ok(any_api, SET, {"home": home, "input": FIXED}, token)
        start = datetime(2026, 6, 1, tzinfo=UTC)
        body = await any_api.gql(
            PRICES, {"id": home, "from": iso(start), "to": iso(start + timedelta(days=32))}, token
        )
        assert code(body) == "BAD_USER_INPUT"
        assert error(body)["message"].startswith("to:")


class TestPrices:
    async def test_dynamic_upload_upserts_and_prices_use_the_fallback_elsewhere(self, any_api):
        token = await any_api.register("alice")
        home = await first_home(any_api, token)
        await ok(
            any_api, SET, {"home": home, "input": {**DYNAMIC, "exportPricePerKwh": 0.04}}, token
        )
        start = datetime(2026, 6, 1, 10, tzinfo=UTC)
        q = timedelta(minutes=15)
        first = [
            {"start": iso(start), "importPricePerKwh": -0.05, "exportPricePerKwh": -0.02},
            {"start": iso(start + q), "importPricePerKwh": 0.10},
        ]
        n = (await ok(any_api, UPLOAD, {"home": home, "prices": first}, token))["uploadPrices"]
        assert n == 2
        again = [{"start": iso(start + q), "importPricePerKwh": 0.12, "exportPricePerKwh": 0.03}]
        assert (await ok(any_api, UPLOAD, {"home": home, "prices": again}, token))[
            "uploadPrices"
        ] == 1
        assert await count(any_api, models.PriceSlotRow) == 2
        data = await ok(
            any_api, PRICES, {"id": home, "from": iso(start), "to": iso(start + 3 * q)}, token
        )
        slots = data["home"]["tariff"]["prices"]
        assert [(s["importPricePerKwh"], s["exportPricePerKwh"]) for s in slots] == [
            (-0.05, -0.02),
            (0.12, 0.03),
            (0.25, 0.04),  # no slot: the fallback prices
        ]
        assert datetime.fromisoformat(slots[2]["end"]) == start + 3 * q

    async def test_time_of_use_follows_the_home_clock_and_its_dst_day(self, any_api):
        token = await any_api.register("alice")
        home = (await new_home(any_api, token, name="Berlin", timezone="Europe/Berlin"))["id"]
        await ok(any_api, SET, {"home": home, "input": TOU}, token)
        # Sunday 2026-03-29, Berlin: clocks go forward, the local day has 23 h = 92 slots.
        day_start = datetime(2026, 3, 28, 23, tzinfo=UTC)
        day_end = datetime(2026, 3, 29, 22, tzinfo=UTC)
        data = await ok(
            any_api, PRICES, {"id": home, "from": iso(day_start), "to": iso(day_end)}, token
        )
        assert len(data["home"]["tariff"]["prices"]) == 92
        # Monday 2026-03-30 22:00 local (20:00 UTC, CEST) starts the night window.
        at = datetime(2026, 3, 30, 20, tzinfo=UTC)
        data = await ok(
            any_api,
            PRICES,
            {
                "id": home,
                "from": iso(at - timedelta(minutes=15)),
                "to": iso(at + timedelta(minutes=15)),
            },
            token,
        )
        assert [s["importPricePerKwh"] for s in data["home"]["tariff"]["prices"]] == [0.30, 0.15]


class TestIsolation:
    async def test_another_users_home_is_not_found_and_untouched(self, any_api):
        alice = await any_api.register("alice")
        bob = await any_api.register("bobby")
        home = await first_home(any_api, alice)
        await ok(any_api, SET, {"home": home, "input": DYNAMIC}, alice)
        start = datetime(2026, 6, 1, tzinfo=UTC)
        for query, variables in (
            (SET, {"home": home, "input": FIXED}),
            (CLEAR, {"home": home}),
            (UPLOAD, {"home": home, "prices": [{"start": iso(start), "importPricePerKwh": 9.0}]}),
        ):
            assert code(await any_api.gql(query, variables, bob)) == "NOT_FOUND"
        assert (await home_tariff(any_api, alice, home) or {})["kind"] == "DYNAMIC"
        assert await count(any_api, models.PriceSlotRow) == 0

    async def test_unknown_and_malformed_home_ids_are_not_found(self, any_api):
        token = await any_api.register("alice")
        for home in ("00000000-0000-0000-0000-000000000000", "nope"):
            body = await any_api.gql(SET, {"home": home, "input": FIXED}, token)
            assert code(body) == "NOT_FOUND"
        assert await count(any_api, models.TariffRow) == 0

    async def test_mutations_need_authentication(self, any_api):
        token = await any_api.register("alice")
        home = await first_home(any_api, token)
        body = await any_api.gql(SET, {"home": home, "input": FIXED})
        assert code(body) == "UNAUTHENTICATED"
        assert await count(any_api, models.TariffRow) == 0
