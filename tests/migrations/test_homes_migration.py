"""The homes migration moves existing data: one home per user, every device into it."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Boolean, Float, String, Uuid, column, select, table, text

from app.db import create_engine
from app.models.base import UTCDateTime
from tests.migrations.helpers import DEVICE, migrate

BEFORE = "b5f0c2a7d9e1"
HOMES = "c7a1e4d2f903"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)

USER = table(
    "user",
    column("id", Uuid()),
    column("username", String()),
    column("password_hash", String()),
    column("timezone", String()),
    column("latitude", Float()),
    column("longitude", Float()),
    column("created_at", UTCDateTime()),
    column("updated_at", UTCDateTime()),
)
PANEL = table(
    "solar_panel",
    column("id", Uuid()),
    column("panel_area_m2", Float()),
    column("efficiency", Float()),
    column("max_capacity_w", Float()),
    column("latitude", Float()),
    column("longitude", Float()),
    column("follows_home", Boolean()),
)
HEATER = table("heater", column("id", Uuid()), column("rated_power_w", Float()))
HOME = table(
    "home",
    column("id", Uuid()),
    column("owner_id", Uuid()),
    column("name", String()),
    column("timezone", String()),
    column("latitude", Float()),
    column("longitude", Float()),
)


def _energy(name: str) -> Any:
    return table(
        name,
        column("subject_id", Uuid()),
        column("bucket_start", UTCDateTime()),
        column("user_id", Uuid()),
        column("produced_wh", Float()),
        column("consumed_wh", Float()),
        column("charged_wh", Float()),
        column("discharged_wh", Float()),
        column("imported_wh", Float()),
        column("exported_wh", Float()),
    )


class Data:
    """Two users (Berlin and Tokyo) with devices and history, as the old schema held them."""

    def __init__(self) -> None:
        self.berlin, self.tokyo = uuid.uuid4(), uuid.uuid4()
        self.panel_at_home, self.panel_elsewhere, self.heater = (uuid.uuid4() for _ in range(3))

    async def insert(self, url: str) -> None:
        engine = create_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.execute(
                    USER.insert(),
                    [
                        {
                            "id": uid,
                            "username": f"u-{uid.hex[:8]}",
                            "password_hash": "!",
                            "timezone": tz,
                            "latitude": lat,
                            "longitude": lon,
                            "created_at": NOW,
                            "updated_at": NOW,
                        }
                        for uid, tz, lat, lon in (
                            (self.berlin, "Europe/Berlin", 52.52, 13.405),
                            (self.tokyo, "Asia/Tokyo", 35.68, 139.69),
                        )
                    ],
                )
                devices = [
                    (self.panel_at_home, self.berlin, "SOLAR_PANEL"),
                    (self.panel_elsewhere, self.berlin, "SOLAR_PANEL"),
                    (self.heater, self.tokyo, "HEATER"),
                ]
                await conn.execute(
                    DEVICE.insert(),
                    [
                        {
                            "id": did,
                            "owner_id": owner,
                            "name": "d",
                            "kind": kind,
                            "status": "ACTIVE",
                            "created_at": NOW,
                            "updated_at": NOW,
                        }
                        for did, owner, kind in devices
                    ],
                )
                panel = {"panel_area_m2": 10.0, "efficiency": 0.2, "max_capacity_w": 2000.0}
                await conn.execute(
                    PANEL.insert(),
                    [
                        {"id": self.panel_at_home, "latitude": 52.52, "longitude": 13.405, **panel},
                        {"id": self.panel_elsewhere, "latitude": 0.0, "longitude": 0.0, **panel},
                    ],
                )
                await conn.execute(HEATER.insert(), [{"id": self.heater, "rated_power_w": 1500.0}])
                for name in ("energy_minute", "energy_hour", "energy_day"):
                    await conn.execute(
                        _energy(name).insert(),
                        [
                            {
                                "subject_id": subject,
                                "bucket_start": NOW,
                                "user_id": owner,
                                "produced_wh": wh,
                                "consumed_wh": 0.0,
                                "charged_wh": 0.0,
                                "discharged_wh": 0.0,
                                "imported_wh": 0.0,
                                "exported_wh": wh,
                            }
                            for subject, owner, wh in (
                                (self.berlin, self.berlin, 5.0),  # the user's totals
                                (self.panel_at_home, self.berlin, 5.0),  # a device's row
                            )
                        ],
                    )
        finally:
            await engine.dispose()


async def _scalars(url: str, stmt: Any) -> list[Any]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(stmt)).all())
    finally:
        await engine.dispose()


async def _check_migrated(url: str, data: Data) -> None:
    homes = {r.owner_id: r for r in await _scalars(url, select(HOME))}
    assert set(homes) == {data.berlin, data.tokyo}
    berlin, tokyo = homes[data.berlin], homes[data.tokyo]
    assert (berlin.name, berlin.timezone, berlin.latitude, berlin.longitude) == (
        "Home",
        "Europe/Berlin",
        52.52,
        13.405,
    )
    assert (tokyo.timezone, tokyo.latitude, tokyo.longitude) == ("Asia/Tokyo", 35.68, 139.69)
    device_home = {
        r.id: r.home_id for r in await _scalars(url, select(DEVICE.c.id, DEVICE.c.home_id))
    }
    assert device_home == {
        data.panel_at_home: berlin.id,
        data.panel_elsewhere: berlin.id,
        data.heater: tokyo.id,
    }
    follows = {
        r.id: r.follows_home for r in await _scalars(url, select(PANEL.c.id, PANEL.c.follows_home))
    }
    assert follows == {data.panel_at_home: True, data.panel_elsewhere: False}
    for kind in ("minute", "hour", "day"):
        energy = _energy(f"energy_{kind}")
        subjects = {r.subject_id for r in await _scalars(url, select(energy.c.subject_id))}
        assert subjects == {data.berlin, data.panel_at_home}  # unchanged
        home_energy = table(
            f"home_energy_{kind}", column("home_id", Uuid()), column("exported_wh", Float())
        )
        # The user's totals are copied to its home.
        assert await _scalars(url, select(home_energy)) == [(berlin.id, 5.0)]


async def _run(url: str) -> None:
    await asyncio.to_thread(migrate, url, BEFORE)
    data = Data()
    await data.insert(url)
    await asyncio.to_thread(migrate, url, HOMES)
    await _check_migrated(url, data)
    # Down and up again: the devices stay, the homes come back the same way.
    await asyncio.to_thread(migrate, url, BEFORE, down=True)
    assert len(await _scalars(url, text("SELECT id FROM device"))) == 3
    await asyncio.to_thread(migrate, url, "head")
    await _check_migrated(url, data)


class TestHomesMigrationWithData:
    async def test_sqlite(self, tmp_path):
        await _run(f"sqlite+aiosqlite:///{tmp_path}/migrate.db")

    async def test_postgres(self, scratch_postgres_url):
        await _run(scratch_postgres_url)
