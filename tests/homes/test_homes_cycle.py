"""Two homes in two timezones: each runs on its own clock; the user's figures are their sums."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.pipeline.cycle import run_cycle
from tests.homes.test_homes_api import HOMES, UPDATE_HOME, new_device, new_home, ok

# Monday 2026-01-12 12:00 UTC: 13:00 in Berlin (commute: EVs away), 21:00 in Tokyo (EVs home).
CYCLE = datetime(2026, 1, 12, 12, 0, tzinfo=UTC)
FIGURES = ("currentProduction", "currentConsumption", "storageFlow", "netGridFlow")
STATS = "{ " + " ".join(FIGURES) + " timestamp }"
HISTORY_FIELDS = (
    "edges { node { start end producedWh consumedWh chargedWh importedWh exportedWh } }"
)


def history(resolution: str, start: datetime, end: datetime) -> str:
    return (
        f'energyHistory(resolution: {resolution}, from: "{start.isoformat()}", '
        f'to: "{end.isoformat()}") {{ {HISTORY_FIELDS} }}'
    )


async def two_homes(api: Any) -> tuple[str, dict[str, Any], dict[str, Any]]:
    token = await api.register("alice")
    first = (await ok(api, HOMES, {}, token))["homes"][0]
    berlin_input = {"name": "Berlin", "timezone": "Europe/Berlin", "latitude": 52.52,
                    "longitude": 13.405}  # fmt: skip
    berlin = (await ok(api, UPDATE_HOME, {"id": first["id"], "input": berlin_input}, token))[
        "updateHome"
    ]
    tokyo = await new_home(api, token, name="Tokyo", timezone="Asia/Tokyo", latitude=35.68,
                           longitude=139.69)  # fmt: skip
    for home in (berlin, tokyo):
        for type_name in ("ElectricVehicle", "Heater", "Battery", "Generator"):
            await new_device(api, token, type_name, home["id"])
    return token, berlin, tokyo


async def cycles(api: Any, count: int = 2) -> None:
    for n in range(count):
        await run_cycle(
            api.state.sessionmaker, api.state.live, CYCLE + timedelta(minutes=n), batch_users=10
        )


class TestTwoHomesTwoTimezones:
    async def test_each_home_follows_its_own_clock(self, any_api):
        token, berlin, tokyo = await two_homes(any_api)
        await cycles(any_api)
        query = (
            "query($id: ID!) { home(id: $id) { devices(kind: ELECTRIC_VEHICLE) "
            "{ ... on ElectricVehicle { mode } } } }"
        )
        modes = {
            home["name"]: (await ok(any_api, query, {"id": home["id"]}, token))["home"]["devices"]
            for home in (berlin, tokyo)
        }
        assert modes == {"Berlin": [{"mode": "OFFLINE"}], "Tokyo": [{"mode": "CHARGING"}]}

    async def test_user_figures_are_the_sum_of_the_homes(self, any_api):
        token, berlin, tokyo = await two_homes(any_api)
        await cycles(any_api)
        query = (
            f"query($b: ID!, $t: ID!) {{ energyStats {STATS} "
            f"b: home(id: $b) {{ energyStats {STATS} }} "
            f"t: home(id: $t) {{ energyStats {STATS} }} }}"
        )
        data = await ok(any_api, query, {"b": berlin["id"], "t": tokyo["id"]}, token)
        user, b, t = data["energyStats"], data["b"]["energyStats"], data["t"]["energyStats"]
        assert user["timestamp"] == b["timestamp"] == t["timestamp"] is not None
        assert t["storageFlow"] != b["storageFlow"]  # the Tokyo EV charges, Berlin's is away
        for figure in FIGURES:
            assert user[figure] == pytest.approx(b[figure] + t[figure], abs=2e-3), figure

    async def test_history_sums_the_homes_each_day_on_its_own_calendar(self, any_api):
        token, berlin, tokyo = await two_homes(any_api)
        await cycles(any_api, 3)
        start, end = CYCLE - timedelta(days=1), CYCLE + timedelta(days=1)
        lo, hi = CYCLE - timedelta(minutes=1), CYCLE + timedelta(minutes=2)
        ids = {"b": berlin["id"], "t": tokyo["id"]}
        minutes = (
            f"query($b: ID!, $t: ID!) {{ u: {history('MINUTE', lo, hi)} "
            f"b: home(id: $b) {{ {history('MINUTE', lo, hi)} }} "
            f"t: home(id: $t) {{ {history('MINUTE', lo, hi)} }} }}"
        )
        days = (
            f"query($b: ID!, $t: ID!) {{ ud: {history('DAY', start, end)} "
            f"bd: home(id: $b) {{ {history('DAY', start, end)} }} "
            f"td: home(id: $t) {{ {history('DAY', start, end)} }} }}"
        )
        data = {
            **await ok(any_api, minutes, ids, token),
            **await ok(any_api, days, ids, token),
        }

        def nodes(part: Any) -> list[dict[str, Any]]:
            conn = part.get("energyHistory", part)
            return [e["node"] for e in conn["edges"]]

        user, b, t = nodes(data["u"]), nodes(data["b"]), nodes(data["t"])
        assert len(user) == 3
        for u, x, y in zip(user, b, t, strict=True):
            for field in ("producedWh", "consumedWh", "chargedWh", "importedWh", "exportedWh"):
                assert u[field] == pytest.approx(x[field] + y[field], abs=1e-9), field
        assert sum(n["chargedWh"] for n in t) > 0  # the Tokyo EV charged
        # Days: the user's on its first home's calendar (Berlin), each home on its own.
        day = {n["start"]: n for n in nodes(data["ud"]) if n["consumedWh"] > 0}
        berlin_days = {n["start"]: n for n in nodes(data["bd"]) if n["consumedWh"] > 0}
        tokyo_days = {n["start"]: n for n in nodes(data["td"]) if n["consumedWh"] > 0}
        assert list(day) == list(berlin_days) == ["2026-01-11T23:00:00+00:00"]
        assert list(tokyo_days) == ["2026-01-11T15:00:00+00:00"]
        (u_day,) = day.values()
        assert u_day["consumedWh"] == pytest.approx(
            sum(n["consumedWh"] for n in b) + sum(n["consumedWh"] for n in t), abs=1e-9
        )
