"""The device-controls migration gives existing EVs, batteries and generators the defaults of
the original behaviour, adds `device_event`, and its downgrade keeps every other column
(PostgreSQL and SQLite, with data present)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Float, String, Uuid, column, inspect, select, table

from app.db import create_engine
from app.models.base import UTCDateTime
from tests.migrations.helpers import DEVICE, insert_owner, migrate

BEFORE = "e6a9c3d5b7f1"  # plans
CONTROLS = "e7c1a3d5f9b2"
NOW = datetime(2026, 12, 3, 13, 0, tzinfo=UTC)


BATTERY = table(
    "battery",
    column("id", Uuid()),
    column("capacity_wh", Float()),
    column("c_rate", Float()),
    column("current_level_wh", Float()),
    column("flow_w", Float()),
)
EV = table(
    "electric_vehicle",
    column("id", Uuid()),
    column("battery_capacity_kwh", Float()),
    column("current_charge_kwh", Float()),
    column("charge_rate_kw", Float()),
    column("driving_consumption_kwh_per_hour", Float()),
    column("mode", String()),
    column("mode_setting", String()),
    column("flow_w", Float()),
)
GENERATOR = table("generator", column("id", Uuid()), column("rated_power_w", Float()))
EVENT = table(
    "device_event",
    column("id", Uuid()),
    column("device_id", Uuid()),
    column("user_id", Uuid()),
    column("at", UTCDateTime()),
    column("action", String()),
    column("detail", JSON()),
)


async def _run(url: str, fn: Any) -> Any:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            return await fn(conn)
    finally:
        await engine.dispose()


async def _columns(url: str, name: str) -> set[str]:
    def names(sync: Any) -> set[str]:
        return {c["name"] for c in inspect(sync).get_columns(name)}

    return set(await _run(url, lambda c: c.run_sync(names)))


async def _tables(url: str) -> set[str]:
    return set(await _run(url, lambda c: c.run_sync(lambda s: inspect(s).get_table_names())))


async def _roundtrip(url: str) -> None:
    await asyncio.to_thread(migrate, url, BEFORE)
    user, home = uuid.uuid4(), uuid.uuid4()
    bat, ev, gen = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

    async def insert(conn: Any) -> None:
        await insert_owner(conn, user, home, NOW)
        for device_id, kind in ((bat, "BATTERY"), (ev, "ELECTRIC_VEHICLE"), (gen, "GENERATOR")):
            await conn.execute(
                DEVICE.insert().values(
                    id=device_id,
                    owner_id=user,
                    home_id=home,
                    name=kind,
                    kind=kind,
                    status="ACTIVE",
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
        await conn.execute(
            BATTERY.insert().values(
                id=bat, capacity_wh=10_000.0, c_rate=0.5, current_level_wh=4_000.0, flow_w=0.0
            )
        )
        await conn.execute(
            EV.insert().values(
                id=ev,
                battery_capacity_kwh=60.0,
                current_charge_kwh=30.0,
                charge_rate_kw=7.0,
                driving_consumption_kwh_per_hour=2.0,
                mode="CHARGING",
                mode_setting="CHARGING",
                flow_w=0.0,
            )
        )
        await conn.execute(GENERATOR.insert().values(id=gen, rated_power_w=1500.0))

    await _run(url, insert)
    await asyncio.to_thread(migrate, url, CONTROLS)
    assert "device_event" in await _tables(url)

    async def after(conn: Any) -> tuple[Any, Any, Any]:
        b = (
            await conn.execute(
                select(
                    column("mode"),
                    column("reserve_soc_percent"),
                    column("round_trip_efficiency"),
                    column("current_level_wh"),
                ).select_from(table("battery"))
            )
        ).one()
        e = (
            await conn.execute(
                select(
                    column("charge_mode"),
                    column("min_soc_percent"),
                    column("limit_soc_percent"),
                    column("schedule", JSON()),
                    column("current_charge_kwh"),
                ).select_from(table("electric_vehicle"))
            )
        ).one()
        g = (
            await conn.execute(
                select(
                    column("mode"),
                    column("auto_start_import_w"),
                    column("run_started_at"),
                    column("rated_power_w"),
                ).select_from(table("generator"))
            )
        ).one()
        await conn.execute(
            EVENT.insert().values(
                id=uuid.uuid4(),
                device_id=bat,
                user_id=user,
                at=NOW,
                action="setBatteryMode",
                detail={"mode": "HOLD"},
            )
        )
        return b, e, g

    b, e, g = await _run(url, after)
    assert tuple(b) == ("SELF_CONSUMPTION", 0.0, 1.0, 4_000.0)
    assert tuple(e[:3]) == ("NOW", 0.0, 90.0)
    assert e[3] == [
        {
            "days": ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"],
            "departAt": "07:00",
            "returnAt": "18:00",
            "targetSocPercent": 90.0,
        }
    ]
    assert e[4] == 30.0
    assert tuple(g) == ("ON", 0.0, None, 1500.0)
    events = await _run(url, lambda c: c.execute(select(EVENT.c.action, EVENT.c.detail)))
    assert [tuple(r) for r in events.all()] == [("setBatteryMode", {"mode": "HOLD"})]

    await asyncio.to_thread(migrate, url, BEFORE, down=True)
    assert "device_event" not in await _tables(url)
    assert "mode" not in await _columns(url, "battery")
    assert "schedule" not in await _columns(url, "electric_vehicle")
    assert "auto_start_import_w" not in await _columns(url, "generator")
    levels = await _run(url, lambda c: c.execute(select(BATTERY.c.id, BATTERY.c.current_level_wh)))
    assert [tuple(r) for r in levels.all()] == [(bat, 4_000.0)]
    charges = await _run(url, lambda c: c.execute(select(EV.c.id, EV.c.current_charge_kwh)))
    assert [tuple(r) for r in charges.all()] == [(ev, 30.0)]
    gens = await _run(url, lambda c: c.execute(select(GENERATOR.c.id, GENERATOR.c.rated_power_w)))
    assert [tuple(r) for r in gens.all()] == [(gen, 1500.0)]


async def test_controls_migration_keeps_data_both_ways_on_postgres(
    scratch_postgres_url: str,
) -> None:
    await _roundtrip(scratch_postgres_url)


async def test_controls_migration_keeps_data_both_ways_on_sqlite(sqlite_url: str) -> None:
    await _roundtrip(sqlite_url)
