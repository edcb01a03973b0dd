"""app/services/device.py at the service level: writes, ownership, the EV mode rules."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from app import models
from app.errors import BadUserInput, NotFound
from app.services import device as service
from tests.fixtures.factories import create_device, create_user


async def _rows(session, model=models.Device):
    return await session.scalar(select(func.count()).select_from(model))


NOWHERE = service.Location(0.0, 0.0)
PANEL = {"name": "Roof", "panel_area_m2": 20.0, "efficiency": 0.2, "max_capacity_w": 4000.0}
BATTERY = {"name": "Wall", "capacity_wh": 10000.0, "c_rate": 0.5, "initial_level_wh": 0.0}


class TestCreateSolarPanel:
    async def test_uses_the_given_default_location(self, db_session):
        user = await create_user(db_session)
        panel = await service.create_device(
            db_session,
            user,
            models.DeviceKind.SOLAR_PANEL,
            {**PANEL, "latitude": None},
            service.Location(52.52, 13.405),
        )
        assert isinstance(panel, models.SolarPanel)
        assert (panel.latitude, panel.longitude) == (52.52, 13.405)

    async def test_refusal_leaves_the_session_clean(self, db_session):
        user = await create_user(db_session)
        with pytest.raises(BadUserInput, match="^efficiency:"):
            await service.create_device(
                db_session,
                user,
                models.DeviceKind.SOLAR_PANEL,
                {**PANEL, "efficiency": 1.5},
                NOWHERE,
            )
        assert await _rows(db_session) == 0


class TestCreateBattery:
    async def test_flushes_the_battery_with_its_owner(self, db_session):
        user = await create_user(db_session)
        battery = await service.create_device(
            db_session, user, models.DeviceKind.BATTERY, BATTERY, NOWHERE
        )
        assert isinstance(battery, models.Battery)
        assert battery.owner_id == user.id
        assert battery.current_level_wh == 0.0
        assert battery.flow_w == 0.0
        assert await _rows(db_session, models.Battery) == 1

    async def test_null_optional_fields_take_their_defaults(self, db_session):
        user = await create_user(db_session)
        battery = await service.create_device(
            db_session,
            user,
            models.DeviceKind.BATTERY,
            {"name": "Wall", "capacity_wh": 10000.0, "c_rate": None},
            NOWHERE,
        )
        assert isinstance(battery, models.Battery)
        assert (battery.c_rate, battery.current_level_wh) == (0.5, 0.0)

    async def test_a_missing_required_field_is_named(self, db_session):
        user = await create_user(db_session)
        with pytest.raises(BadUserInput) as info:
            await service.create_device(
                db_session, user, models.DeviceKind.BATTERY, {"name": "Wall"}, NOWHERE
            )
        assert info.value.field == "capacityWh"

    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"initial_level_wh": 10000.5}, "initialLevelWh"),
            ({"initial_level_wh": -1.0}, "initialLevelWh"),
            ({"capacity_wh": 0.0}, "capacityWh"),
            ({"c_rate": 0.0}, "cRate"),
            ({"name": " "}, "name"),
        ],
    )
    async def test_refuses_bad_values_naming_the_field(self, db_session, fields, field):
        user = await create_user(db_session)
        with pytest.raises(BadUserInput) as info:
            await service.create_device(
                db_session, user, models.DeviceKind.BATTERY, {**BATTERY, **fields}, NOWHERE
            )
        assert info.value.field == field
        assert await _rows(db_session) == 0


class TestCreateElectricVehicle:
    async def test_arrives_half_full_connected_and_charging(self, db_session):
        user = await create_user(db_session)
        ev = await service.create_device(
            db_session,
            user,
            models.DeviceKind.ELECTRIC_VEHICLE,
            {"name": "Car", "battery_capacity_kwh": 60.0},
            NOWHERE,
        )
        assert isinstance(ev, models.ElectricVehicle)
        assert ev.current_charge_kwh == 30.0
        assert (ev.charge_rate_kw, ev.driving_consumption_kwh_per_hour) == (7.2, 2.0)
        assert (ev.mode, ev.mode_setting) == (models.EVMode.CHARGING, models.EVMode.CHARGING)

    async def test_charge_above_capacity_is_refused(self, db_session):
        user = await create_user(db_session)
        values = {"name": "Car", "battery_capacity_kwh": 60.0, "current_charge_kwh": 61.0}
        with pytest.raises(BadUserInput, match="^currentChargeKwh: must not exceed"):
            await service.create_device(
                db_session, user, models.DeviceKind.ELECTRIC_VEHICLE, values, NOWHERE
            )
        assert await _rows(db_session) == 0


class TestGetOwned:
    async def test_returns_the_owners_device_as_its_subclass(self, db_session):
        user = await create_user(db_session)
        ev = await create_device(db_session, models.DeviceKind.ELECTRIC_VEHICLE, user)
        found = await service.get_owned(db_session, user.id, str(ev.id))
        assert found is ev
        assert isinstance(found, models.ElectricVehicle)

    @pytest.mark.parametrize("device_id", ["", "xyz", "12345", str(uuid.uuid4())])
    async def test_unknown_or_malformed_is_not_found(self, db_session, device_id):
        user = await create_user(db_session)
        with pytest.raises(NotFound):
            await service.get_owned(db_session, user.id, device_id)

    async def test_another_owners_device_is_not_found(self, db_session):
        alice = await create_user(db_session)
        bob = await create_user(db_session)
        device = await create_device(db_session, models.DeviceKind.HEATER, alice)
        with pytest.raises(NotFound):
            await service.get_owned(db_session, bob.id, str(device.id))


class TestSetElectricVehicleMode:
    @pytest.mark.parametrize(
        ("mode", "setting", "chosen", "expected_mode"),
        [
            # connected: the choice applies at once
            (
                models.EVMode.CHARGING,
                models.EVMode.CHARGING,
                models.EVMode.DISCHARGING,
                "DISCHARGING",
            ),
            (
                models.EVMode.DISCHARGING,
                models.EVMode.DISCHARGING,
                models.EVMode.OFFLINE,
                "OFFLINE",
            ),
            # chosen offline by the owner: a new choice applies at once
            (models.EVMode.OFFLINE, models.EVMode.OFFLINE, models.EVMode.CHARGING, "CHARGING"),
            # away (offline by the commute schedule): only the setting changes
            (models.EVMode.OFFLINE, models.EVMode.CHARGING, models.EVMode.DISCHARGING, "OFFLINE"),
            (models.EVMode.OFFLINE, models.EVMode.DISCHARGING, models.EVMode.OFFLINE, "OFFLINE"),
        ],
    )
    async def test_mode_follows_the_choice_unless_away(
        self, db_session, mode, setting, chosen, expected_mode
    ):
        user = await create_user(db_session)
        ev = await create_device(
            db_session, models.DeviceKind.ELECTRIC_VEHICLE, user, mode=mode, mode_setting=setting
        )
        changed = await service.set_electric_vehicle_mode(db_session, user.id, str(ev.id), chosen)
        assert (changed.mode, changed.mode_setting) == (models.EVMode(expected_mode), chosen)

    async def test_a_battery_is_not_an_electric_vehicle(self, db_session):
        user = await create_user(db_session)
        battery = await create_device(db_session, models.DeviceKind.BATTERY, user)
        with pytest.raises(NotFound):
            await service.set_electric_vehicle_mode(
                db_session, user.id, str(battery.id), models.EVMode.DISCHARGING
            )


class TestRenameAndDelete:
    async def test_rename_validates_before_looking_up(self, db_session):
        user = await create_user(db_session)
        with pytest.raises(BadUserInput):
            await service.rename_device(db_session, user.id, str(uuid.uuid4()), "   ")

    async def test_delete_returns_the_id_and_removes_both_rows(self, db_session):
        user = await create_user(db_session)
        ev = await create_device(db_session, models.DeviceKind.ELECTRIC_VEHICLE, user)
        assert await service.delete_device(db_session, user.id, str(ev.id)) == ev.id
        assert await _rows(db_session) == 0
        assert await _rows(db_session, models.ElectricVehicle) == 0
