"""Backfill records costs too: the same money, fixed charges and energy as live cycles at the
same instants, for homes on each kind of tariff (a DYNAMIC price below 0 included)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from app import models
from app.backfill import backfill_range, instants
from app.live.backends import RedisBackend
from app.live.store import LiveStore
from app.models.history import HISTORY_COLUMNS
from app.pipeline.cycle import run_cycle
from tests.fixtures.factories import create_home
from tests.history.test_backfill_retention import END, STORAGE_RESET

TABLES = (
    "energy_minute",
    "energy_hour",
    "energy_day",
    "home_energy_minute",
    "home_energy_hour",
    "home_energy_day",
)


@pytest.fixture
def live(redis):
    return LiveStore(RedisBackend(redis), ttl_s=120)


async def snapshot(sessionmaker):
    """Every history row with its energy, money and (day tables) fixed charge."""
    out = {}
    async with sessionmaker() as s:
        for name in TABLES:
            t = models.Base.metadata.tables[name]
            key = t.c.home_id if name.startswith("home_") else t.c.subject_id
            extra = (t.c.fixed_charge,) if name.endswith("_day") else ()
            result = await s.execute(
                select(key, t.c.bucket_start, *(t.c[c] for c in HISTORY_COLUMNS), *extra)
            )
            out[name] = {(r[0], r[1]): tuple(r[2:]) for r in result.all()}
    return out


async def reset(sessionmaker):
    async with sessionmaker() as s:
        for table in TABLES:
            await s.execute(text(f"DELETE FROM {table}"))
        for statement in STORAGE_RESET.split(";"):
            if statement.strip():
                await s.execute(text(statement))
        await s.commit()


async def priced_homes(db_session, start):
    """Three users, one home each: FIXED, TIME_OF_USE (a window over the run), DYNAMIC with
    15-minute slots over the run (one of them negative).

    The DYNAMIC home keeps only its loads (and its panels, dark at this hour): a battery, a
    generator or a car feeding the home could cover the load exactly and leave its grid flow,
    and so its money in the negative quarter, at 0, depending on each device's seed."""
    created = [await create_home(db_session) for _ in range(3)]
    users = [user for user, _ in created]
    for device in created[2][1]:
        if device.kind in (
            models.DeviceKind.BATTERY,
            models.DeviceKind.GENERATOR,
            models.DeviceKind.ELECTRIC_VEHICLE,
        ):
            await db_session.delete(device)
    await db_session.flush()
    homes = [
        (await db_session.scalars(select(models.Home).where(models.Home.owner_id == u.id))).one()
        for u in users
    ]
    db_session.add_all(
        [
            models.TariffRow(
                home_id=homes[0].id,
                kind="FIXED",
                currency="USD",
                daily_fixed_charge=0.9,
                import_price_per_kwh=0.31,
                export_price_per_kwh=0.07,
                windows=[],
            ),
            models.TariffRow(
                home_id=homes[1].id,
                kind="TIME_OF_USE",
                currency="USD",
                daily_fixed_charge=0.0,
                import_price_per_kwh=0.2,
                export_price_per_kwh=0.05,
                windows=[
                    {
                        "days": list(range(7)),
                        "start": 17 * 60 + 45,
                        "end": 18 * 60,
                        "import": 0.45,
                        "export": 0.1,
                    }  # fmt: skip
                ],
            ),
            models.TariffRow(
                home_id=homes[2].id,
                kind="DYNAMIC",
                currency="EUR",
                daily_fixed_charge=0.4,
                import_price_per_kwh=0.25,
                export_price_per_kwh=0.0,
                windows=[],
            ),
        ]
    )
    for i, price in enumerate((-0.2, 0.15, 0.35)):
        db_session.add(
            models.PriceSlotRow(
                home_id=homes[2].id,
                start=start + timedelta(minutes=15 * i),
                import_price_per_kwh=price,
                export_price_per_kwh=price / 2,
            )
        )
    await db_session.commit()
    return users


class TestBackfillCost:
    async def test_backfill_records_the_same_money_as_live_cycles(
        self, db_session, sessionmaker, live
    ):
        at = instants(END - timedelta(minutes=30), END, 60)
        users = await priced_homes(db_session, END - timedelta(minutes=30))
        for instant in at:
            await run_cycle(sessionmaker, live, instant, batch_users=2)
        from_live = await snapshot(sessionmaker)
        money = [v[6:8] for v in from_live["home_energy_minute"].values()]
        assert any(v[0] < 0 for v in money)  # the DYNAMIC home imports in its negative quarter
        assert any(v[0] > 0 for v in money)
        assert {v[-1] for v in from_live["home_energy_day"].values()} == {0.9, 0.0, 0.4}

        await reset(sessionmaker)
        await backfill_range(sessionmaker, [u.id for u in users], at, batch_users=2)
        assert await snapshot(sessionmaker) == from_live
