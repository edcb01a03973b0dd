"""`homes { tariff }` reads every home's tariff together: as many statements for 20 as for 2."""

from __future__ import annotations

from typing import Any

from tests.fixtures.app import Api
from tests.graphql.test_history_batching import counted_statements
from tests.homes.test_homes_api import new_home, ok
from tests.homes.test_tariffs_api import DYNAMIC, FIXED, SET, TOU

HOMES_TARIFF = "{ homes { id name tariff { kind currency } } }"
KINDS = (FIXED, TOU, DYNAMIC, None)


async def user_with_homes(api: Api, username: str, count: int) -> str:
    """`count` homes (the first included), priced in turn FIXED, TIME_OF_USE, DYNAMIC, none."""
    token = await api.register(username)
    homes = (await ok(api, "{ homes { id } }", {}, token))["homes"]
    for n in range(1, count):
        homes.append(await new_home(api, token, name=f"Home {n}"))
    for n, home in enumerate(homes):
        tariff = KINDS[n % len(KINDS)]
        if tariff is not None:
            await ok(api, SET, {"home": home["id"], "input": tariff}, token)
    return token


async def homes_tariff(api: Api, token: str) -> tuple[list[dict[str, Any]], list[str]]:
    with counted_statements(api) as statements:
        body = await api.gql(HOMES_TARIFF, {}, token)
    assert "errors" not in body, body
    return body["data"]["homes"], list(statements)


class TestHomeTariffBatching:
    async def test_twenty_homes_cost_the_statements_of_two(self, api):
        two_token = await user_with_homes(api, "small", 2)
        twenty_token = await user_with_homes(api, "large", 20)
        two, two_statements = await homes_tariff(api, two_token)
        twenty, twenty_statements = await homes_tariff(api, twenty_token)
        assert len(two) == 2
        assert len(twenty) == 20
        assert len(twenty_statements) == len(two_statements), (
            f"2 homes: {len(two_statements)} statements, 20 homes: {len(twenty_statements)}"
        )
        tariff_reads = [s for s in twenty_statements if "FROM tariff" in s]
        assert len(tariff_reads) == 1, tariff_reads

    async def test_each_home_gets_its_own_tariff(self, api):
        token = await user_with_homes(api, "alice", 6)
        homes, _ = await homes_tariff(api, token)
        kinds = [None if h["tariff"] is None else h["tariff"]["kind"] for h in homes]
        assert sorted(kinds, key=str) == sorted(
            ["FIXED", "TIME_OF_USE", "DYNAMIC", None, "FIXED", "TIME_OF_USE"], key=str
        )
        by_name = {h["name"]: h["tariff"] for h in homes}
        assert by_name["Home 3"] is None
        assert by_name["Home 2"] == {"kind": "DYNAMIC", "currency": "EUR"}
        assert by_name["Home 1"] == {"kind": "TIME_OF_USE", "currency": "EUR"}
