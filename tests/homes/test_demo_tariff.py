"""`hems demo` gives the demo home a time-of-use tariff, so a newcomer sees money at once."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import select

from app import models, tariffs
from app.db import create_engine, create_sessionmaker
from app.demo import DEMO_TARIFF, create_demo
from app.repositories.tariff import to_domain
from app.simulation.calendar import zone
from tests.fixtures.app import make_settings


async def test_the_demo_home_has_a_time_of_use_tariff(tmp_path: Path) -> None:
    settings = make_settings(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/demo.db")
    await create_demo(settings, username="demo", password="demo password")
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            home = (await session.scalars(select(models.Home))).one()
            row = (await session.scalars(select(models.TariffRow))).one()
    finally:
        await engine.dispose()
    assert row.home_id == home.id
    tariff = to_domain(row)
    assert tariff == tariffs.validate_tariff(DEMO_TARIFF)
    assert tariff.kind is tariffs.TariffKind.TIME_OF_USE
    # A weekday of the home's calendar has night, day and evening-peak prices.
    tz = zone(home.timezone)
    start, end = tariffs.local_day_bounds(date(2026, 1, 12), tz)
    day = tariffs.prices(tariff, (), tz, start, end)
    assert len({s.import_price_per_kwh for s in day}) == 3
