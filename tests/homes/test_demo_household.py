"""`hems demo` gives the demo home a household base load besides one device of every other kind."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from app import models
from app.db import create_engine, create_sessionmaker
from app.demo import create_demo
from tests.fixtures.app import make_settings


async def test_the_demo_home_has_a_household_load(tmp_path: Path) -> None:
    settings = make_settings(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/demo.db")
    await create_demo(settings, username="demo", password="demo password")
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            devices = (await session.scalars(select(models.Device))).all()
    finally:
        await engine.dispose()
    assert {d.kind for d in devices} == set(models.DeviceKind)
    households = [d for d in devices if isinstance(d, models.HouseholdLoad)]
    assert [h.annual_consumption_kwh for h in households] == [3500.0]
