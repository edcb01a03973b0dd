"""energyHistory and Device.history: resolutions agree, calendar, paging, errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app import models
from app.pipeline.cycle import run_cycle
from app.services.history import MAX_PAGE_SIZE
from tests.fixtures.factories import create_device

FIGURES = "producedWh consumedWh chargedWh dischargedWh importedWh exportedWh netGridWh"
HISTORY = f"""
query($r: HistoryResolution!, $from: DateTime!, $to: DateTime!, $first: Int, $after: String) {{
  energyHistory(resolution: $r, from: $from, to: $to, first: $first, after: $after) {{
    edges {{ cursor node {{ start end {FIGURES} }} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""
DEVICE_HISTORY = f"""
query($id: ID!, $r: HistoryResolution!, $from: DateTime!, $to: DateTime!) {{
  device(id: $id) {{
    history(resolution: $r, from: $from, to: $to) {{ edges {{ node {{ start {FIGURES} }} }} }}
  }}
}}
"""
# 07:50-08:10 UTC on 2026-01-12 crosses an hour and local midnight in Los Angeles (08:00 UTC).
START = datetime(2026, 1, 12, 7, 50, tzinfo=UTC)
CYCLES = 20


async def owner(api, db_session, username="alice"):
    token = await api.register(username)
    user = (
        await db_session.scalars(select(models.User).where(models.User.username == username))
    ).one()
    devices = [await create_device(db_session, kind, user) for kind in models.DeviceKind]
    await db_session.commit()
    return token, user, devices


async def run(api, count=CYCLES, start=START):
    for n in range(count):
        await run_cycle(
            api.state.sessionmaker, api.state.live, start + timedelta(minutes=n), batch_users=10
        )


async def all_buckets(api, token, resolution, start, end, first=None):
    buckets, after = [], None
    while True:
        body = await api.gql(
            HISTORY,
            {
                "r": resolution,
                "from": start.isoformat(),
                "to": end.isoformat(),
                "first": first,
                "after": after,
            },
            token=token,
        )
        assert "errors" not in body, body
        conn = body["data"]["energyHistory"]
        buckets += [e["node"] for e in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            return buckets
        after = conn["pageInfo"]["endCursor"]


def total(buckets, field):
    return sum(b[field] for b in buckets)


def iso(text):
    return datetime.fromisoformat(text)


class TestResolutionsAgree:
    async def test_each_day_equals_its_hours_equals_its_minutes(self, api, db_session):
        token, _, _ = await owner(api, db_session)
        await run(api)
        lo, hi = datetime(2026, 1, 11, tzinfo=UTC), datetime(2026, 1, 14, tzinfo=UTC)
        days = await all_buckets(api, token, "DAY", lo, hi)
        hours = await all_buckets(api, token, "HOUR", lo, hi)
        minutes = await all_buckets(api, token, "MINUTE", START - timedelta(hours=1), hi)
        quarters = await all_buckets(api, token, "QUARTER_HOUR", lo, hi)
        months = await all_buckets(api, token, "MONTH", lo, hi)
        busy = [d for d in days if d["producedWh"] or d["consumedWh"]]
        assert len(busy) == 2  # the cycles straddle local midnight
        for day in days:
            start, end = iso(day["start"]), iso(day["end"])
            for finer in (hours, minutes, quarters):
                inside = [b for b in finer if start <= iso(b["start"]) < end]
                for field in ("producedWh", "consumedWh", "chargedWh", "importedWh", "netGridWh"):
                    assert total(inside, field) == pytest.approx(day[field], abs=1e-6)
        assert total(months, "consumedWh") == pytest.approx(total(days, "consumedWh"))
        assert total(days, "consumedWh") > 0

    async def test_net_grid_is_imported_minus_exported(self, api, db_session):
        token, _, _ = await owner(api, db_session)
        await run(api, count=3)
        for b in await all_buckets(api, token, "MINUTE", START, START + timedelta(minutes=5)):
            assert b["netGridWh"] == pytest.approx(b["importedWh"] - b["exportedWh"])
            assert b["netGridWh"] == pytest.approx(
                b["consumedWh"] + b["chargedWh"] - b["dischargedWh"] - b["producedWh"]
            )

    async def test_device_history_is_that_devices_share(self, api, db_session):
        token, _, devices = await owner(api, db_session)
        await run(api, count=3)
        window = {
            "r": "HOUR",
            "from": "2026-01-12T07:00:00Z",
            "to": "2026-01-12T08:00:00Z",
        }
        home = (await all_buckets(api, token, "HOUR", iso(window["from"]), iso(window["to"])))[0]
        produced = 0.0
        for device in devices:
            body = await api.gql(DEVICE_HISTORY, {**window, "id": str(device.id)}, token=token)
            (edge,) = body["data"]["device"]["history"]["edges"]
            produced += edge["node"]["producedWh"]
            assert edge["node"]["importedWh"] == 0
        assert produced == pytest.approx(home["producedWh"])


class TestCalendar:
    @pytest.mark.parametrize(
        ("day", "hours"),
        [("2026-03-08", 23), ("2026-11-01", 25), ("2026-06-01", 24)],
    )
    async def test_local_days_have_23_24_or_25_hours(self, api, day, hours):
        token = await api.register("dst")  # America/Los_Angeles by default
        lo = datetime.fromisoformat(day).replace(hour=20, tzinfo=UTC)  # local noon or 13:00
        (bucket,) = await all_buckets(api, token, "DAY", lo, lo + timedelta(hours=1))
        start, end = iso(bucket["start"]), iso(bucket["end"])
        assert (end - start) == timedelta(hours=hours)
        assert start.astimezone(UTC).date().isoformat() == day
        assert len(await all_buckets(api, token, "HOUR", start, end)) == hours

    async def test_months_follow_the_local_calendar(self, api):
        token = await api.register("months")
        buckets = await all_buckets(
            api, token, "MONTH", datetime(2026, 1, 15, tzinfo=UTC), datetime(2026, 4, 2, tzinfo=UTC)
        )
        assert [b["start"] for b in buckets] == [
            "2026-01-01T08:00:00+00:00",
            "2026-02-01T08:00:00+00:00",
            "2026-03-01T08:00:00+00:00",
            "2026-04-01T07:00:00+00:00",  # Los Angeles midnight, now on daylight time
        ]


class TestPagination:
    async def test_pages_chain_and_never_exceed_first(self, api):
        token = await api.register("pager")
        lo = datetime(2026, 1, 1, tzinfo=UTC)
        buckets = await all_buckets(
            api, token, "MINUTE", lo, lo + timedelta(minutes=250), first=100
        )
        assert len(buckets) == 250
        starts = [iso(b["start"]) for b in buckets]
        assert starts == [lo + timedelta(minutes=n) for n in range(250)]

    async def test_default_page_and_hard_cap(self, api):
        token = await api.register("capped")
        lo = datetime(2026, 1, 1, tzinfo=UTC)
        variables = {"r": "MINUTE", "from": lo.isoformat(), "to": "2026-01-05T00:00:00Z"}
        body = await api.gql(HISTORY, variables, token=token)
        conn = body["data"]["energyHistory"]
        assert len(conn["edges"]) == 100
        assert conn["pageInfo"]["hasNextPage"]
        body = await api.gql(HISTORY, {**variables, "first": MAX_PAGE_SIZE}, token=token)
        assert len(body["data"]["energyHistory"]["edges"]) == MAX_PAGE_SIZE
        body = await api.gql(HISTORY, {**variables, "first": MAX_PAGE_SIZE + 1}, token=token)
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["message"].startswith("first")


class TestErrors:
    @pytest.mark.parametrize(
        ("variables", "argument"),
        [
            ({"from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "to"),
            ({"from": "2026-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "to"),
            ({"from": "2026-01-01T00:00:00", "to": "2026-01-02T00:00:00Z"}, "from"),
            ({"from": "1900-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z"}, "from"),
            ({"from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z", "first": 0}, "first"),
            ({"from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z", "after": "x"}, "after"),
        ],
    )
    async def test_bad_arguments_are_bad_user_input_naming_the_argument(
        self, api, variables, argument
    ):
        token = await api.register("careless")
        body = await api.gql(HISTORY, {"r": "HOUR", **variables}, token=token)
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["message"].startswith(argument)

    async def test_requires_authentication(self, api):
        body = await api.gql(
            HISTORY, {"r": "DAY", "from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z"}
        )
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    async def test_another_users_device_is_not_found(self, api, db_session):
        _, _, devices = await owner(api, db_session, "alice")
        token = await api.register("mallory")
        body = await api.gql(
            DEVICE_HISTORY,
            {
                "id": str(devices[0].id),
                "r": "DAY",
                "from": "2026-01-01T00:00:00Z",
                "to": "2026-01-02T00:00:00Z",
            },
            token=token,
        )
        assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        assert body["data"] is None or body["data"]["device"] is None
