"""On real PostgreSQL + Redis: a planned home's OPTIMIZED battery follows its plan's slot in the
cycle (clamped by its bounds); without a cached plan it is SELF_CONSUMPTION."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from app import models, tariffs
from app.live import keys
from app.live.backends import RedisBackend
from app.live.store import LiveStore
from app.pipeline.cycle import run_cycle
from app.planning.forecast import SLOT_S
from app.planning.run import plan_batch
from app.repositories.plan import plans_of
from app.services import control
from app.services.tariff import set_tariff
from tests.fixtures.factories import create_home

# Monday 21:00 in San Francisco (PST): EVs home, sun down; the peak window is over.
EVENING = datetime(2026, 1, 13, 5, 0, tzinfo=UTC)
TOU = tariffs.TariffInput(
    kind=tariffs.TariffKind.TIME_OF_USE,
    currency="EUR",
    import_price_per_kwh=0.30,
    export_price_per_kwh=0.08,
    windows=[
        tariffs.WindowInput(
            days=[tariffs.Weekday(d) for d in range(7)],
            start_time="22:00",
            end_time="06:00",
            import_price_per_kwh=0.10,
            export_price_per_kwh=0.05,
        )
    ],
)


@pytest.fixture
def live(redis):
    return LiveStore(RedisBackend(redis), ttl_s=120)


async def _battery(sessionmaker, battery_id) -> models.Battery:
    async with sessionmaker() as session:
        row: models.Battery | None = await session.get(models.Battery, battery_id)
        assert row is not None
        session.expunge(row)
        return row


def _limits(row: models.Battery, dt_s: float) -> tuple[float, float]:
    """(max charge W, max discharge W) of an OPTIMIZED battery over `dt_s` (reserve 0, eff 1)."""
    rate = row.capacity_wh * row.c_rate
    room = (row.capacity_wh - row.current_level_wh) * 3600.0 / dt_s
    return min(rate, room), min(rate, row.current_level_wh * 3600.0 / dt_s)


async def test_an_optimized_battery_follows_the_plan_and_without_one_self_consumes(
    db_session, sessionmaker, live, redis
):
    user, devices = await create_home(db_session)
    await db_session.commit()
    battery = next(d for d in devices if d.kind == models.DeviceKind.BATTERY)
    home_id = battery.home_id
    async with sessionmaker() as session:
        await set_tariff(session, user.id, str(home_id), TOU)
        await control.set_battery_mode(
            session, user.id, str(battery.id), models.BatteryMode.OPTIMIZED, None
        )
        await session.commit()
    await run_cycle(sessionmaker, live, EVENING, batch_users=100)
    planned_report = await plan_batch(sessionmaker, live, [user.id], EVENING)
    assert planned_report.planned == 1
    async with sessionmaker() as session:
        plan = (await plans_of(session, [home_id]))[home_id]
    # Follow the plan over a few cycles, crossing into the next slot and the off-peak window.
    followed = set()
    for minute in (1, 2, 15, 16, 60, 61):
        at = EVENING + timedelta(minutes=minute)
        before = await _battery(sessionmaker, battery.id)
        report = await run_cycle(sessionmaker, live, at, batch_users=100)
        assert not report.failed_users
        after = await _battery(sessionmaker, battery.id)
        assert before.simulated_at is not None
        dt = (at - before.simulated_at).total_seconds()
        index = math.floor((at - timedelta(seconds=60) - plan.start).total_seconds() / SLOT_S)
        planned = float(plan.slots[index][0])
        max_charge, max_discharge = _limits(before, dt)
        expected = min(max(planned, -max_discharge), max_charge)
        assert after.flow_w == pytest.approx(expected, rel=1e-5, abs=1e-3)  # float32 cache
        assert 0.0 <= after.current_level_wh <= after.capacity_wh
        followed.add(round(planned))
    # The plan discharges in the peak and holds off-peak (self-consumption would discharge).
    assert len(followed) >= 2

    # Without a cached plan the same battery is SELF_CONSUMPTION: it covers the home's deficit.
    await redis.delete(keys.home_plan_flows_key(home_id))
    at = EVENING + timedelta(minutes=62)
    before = await _battery(sessionmaker, battery.id)
    await run_cycle(sessionmaker, live, at, batch_users=100)
    after = await _battery(sessionmaker, battery.id)
    stats = await live.home_energy_stats(home_id)
    assert stats is not None
    deficit = stats.net_grid_flow - after.flow_w  # the home's balance the battery saw
    _, max_discharge = _limits(before, 60.0)
    assert deficit > 0.0
    assert after.flow_w == pytest.approx(-min(deficit, max_discharge), rel=1e-9, abs=1e-6)


async def _ev(sessionmaker, ev_id) -> models.ElectricVehicle:
    async with sessionmaker() as session:
        row: models.ElectricVehicle | None = await session.get(models.ElectricVehicle, ev_id)
        assert row is not None
        session.expunge(row)
        return row


async def test_a_smart_ev_follows_the_plan_and_without_one_keeps_the_price_heuristic(
    db_session, sessionmaker, live, redis
):
    user, devices = await create_home(db_session)
    await db_session.commit()
    ev = next(d for d in devices if d.kind == models.DeviceKind.ELECTRIC_VEHICLE)
    home_id = ev.home_id
    async with sessionmaker() as session:
        await set_tariff(session, user.id, str(home_id), TOU)
        await control.set_ev_charging(
            session, user.id, str(ev.id), models.EVChargeMode.SMART, None, None
        )
        await session.commit()
    await run_cycle(sessionmaker, live, EVENING, batch_users=100)
    assert (await plan_batch(sessionmaker, live, [user.id], EVENING)).planned == 1
    async with sessionmaker() as session:
        plan = (await plans_of(session, [home_id]))[home_id]
    followed = []
    # 21:01 .. 21:16, in the peak, across the first slot boundary.
    for minute in (1, 2, 15, 16):
        at = EVENING + timedelta(minutes=minute)
        before = await _ev(sessionmaker, ev.id)
        report = await run_cycle(sessionmaker, live, at, batch_users=100)
        assert not report.failed_users
        after = await _ev(sessionmaker, ev.id)
        assert before.simulated_at is not None
        dt = (at - before.simulated_at).total_seconds()
        index = math.floor((at - timedelta(seconds=60) - plan.start).total_seconds() / SLOT_S)
        planned = max(float(plan.slots[index][1]), 0.0)
        limit_wh = before.battery_capacity_kwh * 1000.0 * before.limit_soc_percent / 100.0
        room_w = max(limit_wh - before.current_charge_kwh * 1000.0, 0.0) * 3600.0 / dt
        expected = min(planned, before.charge_rate_kw * 1000.0, room_w)
        assert after.flow_w == pytest.approx(expected, rel=1e-5, abs=1e-3)  # float32 cache
        assert after.current_charge_kwh <= limit_wh / 1000.0 + 1e-9
        followed.append(expected)
    # The EV took the plan's varying power, not its full rate as NOW would.
    rate_w = ev.charge_rate_kw * 1000.0
    assert len({round(f) for f in followed}) >= 2
    assert min(followed) < rate_w

    # Without a cached plan it falls back to the SMART price heuristic: in the peak, with enough
    # off-peak hours ahead of its departure to reach the target, it waits.
    await redis.delete(keys.home_plan_flows_key(home_id))
    await run_cycle(sessionmaker, live, EVENING + timedelta(minutes=30), batch_users=100)
    assert (await _ev(sessionmaker, ev.id)).flow_w == pytest.approx(0.0, abs=1e-9)
