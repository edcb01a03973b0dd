"""The device physics migration gives existing panels the flat default orientation and existing
air conditioners/heaters an untouched thermostat, keeps every other value (a battery's level
too), accepts HOUSEHOLD devices, and its downgrade removes exactly that (PostgreSQL and SQLite,
with data present)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Float, Uuid, column, inspect, select, table
from sqlalchemy.exc import IntegrityError

from app.db import create_engine
from tests.migrations.helpers import DEVICE, insert_owner, migrate

BEFORE = "e7c1a3d5f9b2"  # device controls
PHYSICS = "e7d2b4f6a8c3"
NOW = datetime(2026, 12, 3, 13, 0, tzinfo=UTC)


def _t(name: str, *cols: tuple[str, Any]) -> Any:
    return table(name, *(column(n, t) for n, t in cols))


PANEL = _t(
    "solar_panel",
    ("id", Uuid()),
    ("panel_area_m2", Float()),
    ("efficiency", Float()),
    ("max_capacity_w", Float()),
    ("latitude", Float()),
    ("longitude", Float()),
)
AC = _t("air_conditioner", ("id", Uuid()), ("rated_power_w", Float()))
HEATER = _t("heater", ("id", Uuid()), ("rated_power_w", Float()))
BATTERY = _t(
    "battery",
    ("id", Uuid()),
    ("capacity_wh", Float()),
    ("c_rate", Float()),
    ("current_level_wh", Float()),
    ("flow_w", Float()),
)
HOUSEHOLD = _t("household_load", ("id", Uuid()), ("annual_consumption_kwh", Float()))


async def _run(url: str, fn: Any) -> Any:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            return await fn(conn)
    finally:
        await engine.dispose()


async def _columns(url: str, name: str) -> set[str]:
    return set(
        await _run(
            url,
            lambda c: c.run_sync(lambda s: {x["name"] for x in inspect(s).get_columns(name)}),
        )
    )


async def _roundtrip(url: str) -> None:
    await asyncio.to_thread(migrate, url, BEFORE)
    user, home = uuid.uuid4(), uuid.uuid4()
    panel, ac, heater, battery = (uuid.uuid4() for _ in range(4))

    async def insert(conn: Any) -> None:
        await insert_owner(conn, user, home, NOW)
        for device, kind in (
            (panel, "SOLAR_PANEL"),
            (ac, "AIR_CONDITIONER"),
            (heater, "HEATER"),
            (battery, "BATTERY"),
        ):
            await conn.execute(
                DEVICE.insert().values(
                    id=device,
                    owner_id=user,
                    home_id=home,
                    name=kind.lower(),
                    kind=kind,
                    status="ACTIVE",
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
        await conn.execute(
            PANEL.insert().values(
                id=panel,
                panel_area_m2=10.0,
                efficiency=0.2,
                max_capacity_w=2000.0,
                latitude=52.5,
                longitude=13.4,
            )
        )
        await conn.execute(AC.insert().values(id=ac, rated_power_w=2500.0))
        await conn.execute(HEATER.insert().values(id=heater, rated_power_w=1500.0))
        await conn.execute(
            BATTERY.insert().values(
                id=battery, capacity_wh=10_000.0, c_rate=0.5, current_level_wh=4321.0, flow_w=12.5
            )
        )

    await _run(url, insert)
    await asyncio.to_thread(migrate, url, PHYSICS)

    async def after(conn: Any) -> dict[str, Any]:
        panels = (
            await conn.execute(
                select(
                    table(
                        "solar_panel",
                        *_cols(
                            "id",
                            "panel_area_m2",
                            "tilt_deg",
                            "azimuth_deg",
                            "temperature_coefficient_per_k",
                        ),
                    )
                )
            )
        ).all()
        loads = [
            (
                await conn.execute(
                    select(
                        table(
                            name,
                            *_cols(
                                "id",
                                "rated_power_w",
                                "switched_on",
                                "setpoint_c",
                                "hysteresis_c",
                                "indoor_temperature_c",
                                "running",
                                "simulated_at",
                            ),
                        )
                    )
                )
            ).all()
            for name in ("air_conditioner", "heater")
        ]
        batteries = (await conn.execute(select(BATTERY.c.id, BATTERY.c.current_level_wh))).all()
        kinds = (await conn.execute(select(DEVICE.c.id, DEVICE.c.kind))).all()
        return {"panels": panels, "loads": loads, "batteries": batteries, "kinds": kinds}

    got = await _run(url, after)
    assert [tuple(r) for r in got["panels"]] == [(panel, 10.0, 0.0, 180.0, -0.004)]
    ac_rows, heater_rows = got["loads"]
    assert [tuple(r) for r in ac_rows] == [(ac, 2500.0, True, None, 1.0, None, False, None)]
    assert [tuple(r) for r in heater_rows] == [(heater, 1500.0, True, None, 1.0, None, False, None)]
    assert [tuple(r) for r in got["batteries"]] == [(battery, 4321.0)]
    assert len(got["kinds"]) == 4

    household = uuid.uuid4()

    async def add_household(conn: Any) -> None:
        await conn.execute(
            DEVICE.insert().values(
                id=household,
                owner_id=user,
                home_id=home,
                name="Base load",
                kind="HOUSEHOLD",
                status="ACTIVE",
                created_at=NOW,
                updated_at=NOW,
            )
        )
        await conn.execute(HOUSEHOLD.insert().values(id=household, annual_consumption_kwh=3500.0))

    await _run(url, add_household)

    async def bad_tilt(conn: Any) -> None:
        await conn.execute(
            table("solar_panel", column("id", Uuid()), column("tilt_deg", Float()))
            .update()
            .values(tilt_deg=95.0)
        )

    with pytest.raises(IntegrityError):
        await _run(url, bad_tilt)

    await asyncio.to_thread(migrate, url, BEFORE, down=True)
    assert "tilt_deg" not in await _columns(url, "solar_panel")
    assert "setpoint_c" not in await _columns(url, "heater")
    left = await _run(url, lambda c: c.execute(select(DEVICE.c.id, DEVICE.c.kind)))
    assert sorted(str(r.id) for r in left.all()) == sorted(
        str(d) for d in (panel, ac, heater, battery)
    )
    levels = await _run(url, lambda c: c.execute(select(BATTERY.c.current_level_wh)))
    assert [r.current_level_wh for r in levels.all()] == [4321.0]

    async def bad_kind(conn: Any) -> None:
        await conn.execute(
            DEVICE.insert().values(
                id=uuid.uuid4(),
                owner_id=user,
                home_id=home,
                name="x",
                kind="HOUSEHOLD",
                status="ACTIVE",
                created_at=NOW,
                updated_at=NOW,
            )
        )

    with pytest.raises(IntegrityError):
        await _run(url, bad_kind)


def _cols(*names: str) -> list[Any]:
    return [column(n, Uuid()) if n == "id" else column(n) for n in names]


async def test_physics_migration_keeps_data_both_ways_on_postgres(
    scratch_postgres_url: str,
) -> None:
    await _roundtrip(scratch_postgres_url)


async def test_physics_migration_keeps_data_both_ways_on_sqlite(sqlite_url: str) -> None:
    await _roundtrip(sqlite_url)
