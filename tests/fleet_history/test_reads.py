"""Device.history by default: QUARTER_HOUR from the quarter-hour rows (and HOUR their sum),
MINUTE refused naming the resolution; HISTORY_DEVICE_MINUTE=true serves it again."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app import models
from app.pipeline.cycle import run_cycle
from tests.fleet_history.test_quarter_hours import set_mode
from tests.history.test_api import DEVICE_HISTORY, owner, run
from tests.homes.test_homes_api import CYCLE, DELETE_HOME, new_device, new_home, ok

ROLLED = datetime(2026, 1, 12, 7, 0, tzinfo=UTC)
WINDOW = {"from": "2026-01-12T07:00:00Z", "to": "2026-01-12T08:00:00Z"}


async def device_buckets(api, token, device, resolution):
    body = await api.gql(DEVICE_HISTORY, {**WINDOW, "id": str(device.id), "r": resolution}, token)
    return body


class TestDeviceReads:
    @pytest.mark.parametrize("rolled_until", [None, ROLLED], ids=["per-cycle", "by-the-job"])
    async def test_quarter_hours_sum_to_the_hour_and_minute_is_bad_user_input(
        self, api, db_session, monkeypatch, rolled_until
    ):
        """Also with the device rollups left to the maintenance job (its watermark before the
        cycles' hour): the hour is then read from the quarters alone, and sums the same."""
        set_mode(monkeypatch, False)
        if rolled_until is not None:
            db_session.add(models.HistoryRollup(id=1, rolled_until=rolled_until))
            await db_session.commit()
        token, _, devices = await owner(api, db_session)
        await run(api, count=10)  # intervals 07:49 .. 07:58
        ids = [d.id for d in devices]
        hour = models.EnergyHour
        stored = (
            await db_session.scalars(select(hour.subject_id).where(hour.subject_id.in_(ids)))
        ).all()
        assert bool(stored) is (rolled_until is None)
        seen = 0.0
        for device in devices:
            quarters = await device_buckets(api, token, device, "QUARTER_HOUR")
            hours = await device_buckets(api, token, device, "HOUR")
            q = [e["node"] for e in quarters["data"]["device"]["history"]["edges"]]
            (h,) = [e["node"] for e in hours["data"]["device"]["history"]["edges"]]
            assert len(q) == 4
            for field in ("producedWh", "consumedWh", "chargedWh", "dischargedWh"):
                assert sum(b[field] for b in q) == pytest.approx(h[field], abs=1e-9)
                seen += h[field]
            body = await device_buckets(api, token, device, "MINUTE")
            (error,) = body["errors"]
            assert error["extensions"]["code"] == "BAD_USER_INPUT"
            assert error["message"].startswith("resolution")
        assert seen > 0

    async def test_the_opt_in_serves_device_minutes(self, api, db_session, monkeypatch):
        set_mode(monkeypatch, True)
        api.state.settings.HISTORY_DEVICE_MINUTE = True
        token, _, devices = await owner(api, db_session)
        await run(api, count=10)
        for device in devices:
            minutes = await device_buckets(api, token, device, "MINUTE")
            quarters = await device_buckets(api, token, device, "QUARTER_HOUR")
            m = [e["node"] for e in minutes["data"]["device"]["history"]["edges"]]
            q = [e["node"] for e in quarters["data"]["device"]["history"]["edges"]]
            assert len(m) == 60
            for field in ("producedWh", "consumedWh", "chargedWh", "dischargedWh"):
                assert sum(b[field] for b in m) == pytest.approx(sum(b[field] for b in q))


class TestDeleteHome:
    async def test_deleting_a_home_deletes_its_devices_quarter_hours(self, api, monkeypatch):
        set_mode(monkeypatch, False)
        token = await api.register("alice")
        cabin = await new_home(api, token)
        kept = await new_device(api, token, "Heater")
        gone = await new_device(api, token, "Heater", cabin["id"])
        await run_cycle(api.state.sessionmaker, api.state.live, CYCLE, batch_users=10)
        assert await quarter_subjects(api) == {kept["id"], gone["id"]}
        assert (await ok(api, DELETE_HOME, {"id": cabin["id"]}, token))["deleteHome"]
        assert await quarter_subjects(api) == {kept["id"]}


async def quarter_subjects(api):
    async with api.state.sessionmaker() as s:
        found = await s.scalars(select(models.EnergyQuarterHour.subject_id))
        return {str(x) for x in found.all()}
