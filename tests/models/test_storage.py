"""Battery and EV levels are held within [0, capacity] by the database itself."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError

from app import models
from tests.fixtures.factories import create_device, create_user


async def _battery(session, **fields):
    user = await create_user(session)
    battery = await create_device(
        session, models.DeviceKind.BATTERY, user, capacity_wh=10000.0, **fields
    )
    await session.commit()
    return battery


async def _set_level(session, model, battery_id, **values):
    await session.execute(update(model).where(model.id == battery_id).values(**values))
    await session.commit()


async def _execute_and_commit(session, statement, params):
    await session.execute(statement, params)
    await session.commit()


class TestBatteryLevel:
    @pytest.mark.parametrize("level", [0.0, 5000.0, 10000.0])
    async def test_any_level_within_capacity_is_stored(self, session, level):
        battery = await _battery(session, current_level_wh=0.0)
        await _set_level(session, models.Battery, battery.id, current_level_wh=level)
        stored = await session.scalar(
            select(models.Battery.current_level_wh).where(models.Battery.id == battery.id)
        )
        assert stored == level

    @pytest.mark.parametrize("level", [-0.001, -1.0, 10000.001, 20000.0])
    async def test_update_outside_capacity_is_rejected(self, session, level):
        battery_id = (await _battery(session, current_level_wh=4000.0)).id
        with pytest.raises(IntegrityError, match="ck_battery_level_range"):
            await _set_level(session, models.Battery, battery_id, current_level_wh=level)
        await session.rollback()
        stored = await session.scalar(
            select(models.Battery.current_level_wh).where(models.Battery.id == battery_id)
        )
        assert stored == 4000.0

    async def test_shrinking_capacity_below_the_level_is_rejected(self, session):
        battery = await _battery(session, current_level_wh=8000.0)
        with pytest.raises(IntegrityError, match="ck_battery_level_range"):
            await _set_level(session, models.Battery, battery.id, capacity_wh=5000.0)

    async def test_insert_above_capacity_is_rejected(self, session):
        user = await create_user(session)
        with pytest.raises(IntegrityError, match="ck_battery_level_range"):
            await create_device(
                session,
                models.DeviceKind.BATTERY,
                user,
                capacity_wh=1000.0,
                current_level_wh=1000.5,
            )

    @pytest.mark.parametrize(("column", "value"), [("capacity_wh", 0.0), ("c_rate", -0.1)])
    async def test_non_positive_ratings_are_rejected(self, session, column, value):
        battery = await _battery(session, current_level_wh=0.0)
        with pytest.raises(IntegrityError):
            await _set_level(session, models.Battery, battery.id, **{column: value})


class TestElectricVehicleCharge:
    @pytest.mark.parametrize("charge", [-0.5, 75.5])
    async def test_charge_outside_capacity_is_rejected(self, session, charge):
        user = await create_user(session)
        ev = await create_device(
            session, models.DeviceKind.ELECTRIC_VEHICLE, user, battery_capacity_kwh=75.0
        )
        await session.commit()
        with pytest.raises(IntegrityError, match="ck_electric_vehicle_charge_range"):
            await _set_level(session, models.ElectricVehicle, ev.id, current_charge_kwh=charge)

    async def test_unknown_mode_is_rejected_by_the_database(self, session):
        user = await create_user(session)
        ev = await create_device(session, models.DeviceKind.ELECTRIC_VEHICLE, user)
        await session.commit()
        statement = text("UPDATE electric_vehicle SET mode = 'FLYING' WHERE id = :id")
        params = {"id": ev.id.hex if session.bind.dialect.name == "sqlite" else ev.id}
        with pytest.raises(IntegrityError):
            await _execute_and_commit(session, statement, params)

    async def test_unknown_device_kind_is_rejected_by_the_database(self, session):
        user = await create_user(session)
        device = await create_device(session, models.DeviceKind.HEATER, user)
        await session.commit()
        statement = text("UPDATE device SET kind = 'TOASTER' WHERE id = :id")
        params = {"id": device.id.hex if session.bind.dialect.name == "sqlite" else device.id}
        with pytest.raises(IntegrityError):
            await _execute_and_commit(session, statement, params)
