"""The forecast: slot grid, DST, and agreement with the engine it is drawn from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from app.planning.forecast import SLOT_S, Horizon, forecast_home
from app.planning.schedule import ev_slots
from app.simulation.calendar import zone
from app.simulation.devices import (
    BatteryArrays,
    EVArrays,
    GeneratorArrays,
    LoadArrays,
    SolarArrays,
    UserArrays,
)
from app.simulation.fleet import FleetInput, simulate_fleet
from tests.planning.builders import reference_home


class TestHorizon:
    @pytest.mark.parametrize("hours", [1, 24, 48])
    def test_four_slots_an_hour_from_the_current_quarter(self, hours):
        now = datetime(2026, 3, 8, 9, 7, 31, tzinfo=UTC)
        h = Horizon.at(now, hours)
        assert h.slots == 4 * hours
        assert h.instant(0) == datetime(2026, 3, 8, 9, 0, tzinfo=UTC)
        assert np.all(np.diff(h.starts_s) == SLOT_S)

    def test_shapes_and_signs(self):
        f = forecast_home(reference_home(), Horizon.at(datetime(2026, 6, 1, tzinfo=UTC), 48))
        assert f.production_wh.shape == f.consumption_wh.shape == (192,)
        assert np.all(f.production_wh >= 0)
        assert np.all(f.consumption_wh >= 0)
        assert f.production_wh.max() > 0  # the sun rises within two days
        assert np.all(f.production_wh <= 6000.0 * 0.25 + 1e-9)  # never above max output


class TestDaylightSaving:
    @pytest.mark.parametrize(
        ("day", "local_slots"),
        [("2026-03-08", 92), ("2026-11-01", 100), ("2026-06-01", 96)],
    )
    def test_local_day_has_92_96_or_100_slots_and_the_commute_keeps_local_time(
        self, day, local_slots
    ):
        tz = zone("America/Los_Angeles")
        start = datetime.fromisoformat(day).replace(tzinfo=tz).astimezone(UTC)
        end = (datetime.fromisoformat(day) + timedelta(days=1)).replace(tzinfo=tz)
        hours = (end.astimezone(UTC) - start).total_seconds() / 3600
        # Sunday: a weekday commute starts the next day; look 48 h ahead from local midnight.
        horizon = Horizon.at(start, 48)
        local = [horizon.instant(t).astimezone(tz).date().isoformat() for t in range(horizon.slots)]
        assert local.count(day) == local_slots == hours * 4
        home = reference_home()
        away = ev_slots(home.evs[0], home.timezone, horizon).away
        leave = [
            horizon.instant(t).astimezone(tz)
            for t in range(1, horizon.slots)
            if away[t] and not away[t - 1]
        ]
        assert leave
        assert all((d.hour, d.minute) == (7, 0) for d in leave)
        assert all(d.weekday() < 5 for d in leave)


def _engine_day(home, start: datetime, slots: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-slot production and consumption (Wh) from the engine's per-minute cycles."""
    fi_solar = SolarArrays(
        key=home.panel_key,
        user=np.zeros(home.panel_key.size),
        panel_area_m2=home.panel_area_m2,
        efficiency=home.panel_efficiency,
        max_capacity_w=home.panel_max_w,
        latitude=home.panel_latitude,
        longitude=home.panel_longitude,
    )
    loads = LoadArrays(
        key=np.array([7]), user=np.array([0]), rated_power_w=np.array([home.heater_w])
    )
    acs = LoadArrays(
        key=np.array([8]), user=np.array([0]), rated_power_w=np.array([home.air_conditioner_w])
    )
    prod = np.zeros(slots)
    cons = np.zeros(slots)
    for minute in range(slots * 15):
        at = start + timedelta(minutes=minute + 1)
        r = simulate_fleet(
            FleetInput(
                cycle_at=at,
                users=UserArrays(
                    [home.timezone], np.array([home.latitude]), np.array([home.longitude])
                ),
                solar=fi_solar,
                generators=GeneratorArrays.empty(),
                batteries=BatteryArrays.empty(),
                evs=EVArrays.empty(),
                air_conditioners=acs,
                heaters=loads,
            )
        )
        prod[minute // 15] += r.users.production_w[0] / 60.0
        cons[minute // 15] += r.users.consumption_w[0] / 60.0
    return prod, cons


def test_forecast_tracks_the_engine_within_its_cloud_spread():
    """Each slot within the cloud factor's +/-8 % of the engine's day (the documented error)."""
    home = reference_home()
    start = datetime(2026, 6, 1, 7, 0, tzinfo=UTC)
    horizon = Horizon.at(start, 24)
    f = forecast_home(home, horizon)
    prod, cons = _engine_day(home, start, horizon.slots)
    assert np.allclose(f.consumption_wh, cons, rtol=0.02, atol=1.0)
    assert np.all(np.abs(f.production_wh - prod) <= 0.09 * prod + 5.0)
    mae = float(np.mean(np.abs(f.production_wh - prod)))
    assert mae < 0.05 * float(np.mean(prod))


class TestHouseholdLoads:
    def test_household_loads_are_forecast_as_the_engine_draws_them(self):
        """The forecast of a home's household loads is the engine's H0 power with the noise at
        its mean: over a day of per-minute cycles of many noisy loads the two agree closely,
        slot by slot."""
        from dataclasses import replace

        from app.simulation.household import household_power_w

        tz = "Europe/Berlin"
        home = replace(
            reference_home(pv_w=0.0, battery_wh=0.0, ev_kwh=None, heater_w=0.0),
            air_conditioner_w=0.0,
            timezone=tz,
            household_kwh=3_500.0,
        )
        horizon = Horizon.at(datetime(2026, 1, 17, 0, 0, tzinfo=UTC), 24)  # a Saturday
        f = forecast_home(home, horizon)
        without = forecast_home(replace(home, household_kwh=0.0), horizon)
        assert np.all(without.consumption_wh == 0.0)
        # 3,500 kWh a year is ~9.6 kWh a day; a winter Saturday's share is about that.
        assert 7_000.0 < f.consumption_wh.sum() < 13_000.0
        loads = 200
        keys = np.arange(1, loads + 1, dtype=np.uint64)
        annual = np.full(loads, 3_500.0)
        engine = np.zeros(horizon.slots)
        for slot in range(horizon.slots):
            for minute in range(15):
                at = horizon.start_s + slot * SLOT_S + minute * 60 + 30
                power = household_power_w(keys, annual, np.zeros(loads, np.int64), [tz], at)
                engine[slot] += power.mean() / 60.0  # Wh of one load's minute
        np.testing.assert_allclose(f.consumption_wh, engine, rtol=0.03)
        # The evening peak is above the night base, as the H0 profile has it.
        local_hour = lambda k: horizon.instant(k).astimezone(zone(tz)).hour  # noqa: E731
        night = [f.consumption_wh[k] for k in range(96) if 2 <= local_hour(k) < 5]
        evening = [f.consumption_wh[k] for k in range(96) if 18 <= local_hour(k) < 21]
        assert min(evening) > max(night)


class TestThermostatLoads:
    def test_a_thermostat_heater_is_forecast_by_the_engines_room_model(self):
        """A heater on a 21 degC thermostat in a Tromso winter: the forecast's energy per hour
        agrees with the engine's per-minute cycles of the same room (sampled every 3 minutes,
        so per hour, not per slot); switched off it draws nothing."""
        from dataclasses import replace

        from app.planning.model import PlanThermostat
        from app.simulation.physics import thermostat_loads
        from app.simulation.physics_devices import ThermostatArrays

        lat, lon = 69.65, 18.96
        room = PlanThermostat(2_000.0, False, 21.0, 1.0, 21.0, False)
        home = replace(
            reference_home(pv_w=0.0, battery_wh=0.0, ev_kwh=None, heater_w=0.0),
            air_conditioner_w=0.0,
            timezone="Europe/Oslo",
            latitude=lat,
            longitude=lon,
            thermostats=(room,),
        )
        horizon = Horizon.at(datetime(2026, 1, 12, 0, 0, tzinfo=UTC), 24)
        f = forecast_home(home, horizon)
        loads = LoadArrays(
            key=np.array([1], np.uint64), user=np.array([0]), rated_power_w=np.array([2_000.0])
        )
        state = ThermostatArrays(
            switched_on=np.array([True]),
            setpoint_c=np.array([21.0]),
            hysteresis_c=np.array([1.0]),
            indoor_c=np.array([21.0]),
            running=np.array([False]),
            simulated_at_s=np.array([float(horizon.start_s)]),
        )
        from app.simulation.weather import outdoor_temperature_c

        engine = np.zeros(horizon.slots)
        for minute in range(1, horizon.slots * 15 + 1):
            at = horizon.start_s + 60.0 * minute
            outdoor = outdoor_temperature_c(np.array([lat]), np.array([lon]), at)
            power, rooms = thermostat_loads(
                loads, state, np.zeros(1), outdoor, at, 86_400.0, cooling=False
            )
            engine[(minute - 1) // 15] += power[0] / 60.0
            state = replace(
                state,
                indoor_c=rooms.indoor_c,
                running=rooms.running,
                simulated_at_s=rooms.simulated_at_s,
            )
        assert engine.sum() > 5_000.0  # it heats most of a polar day
        hourly = f.consumption_wh.reshape(-1, 4).sum(axis=1)
        np.testing.assert_allclose(hourly, engine.reshape(-1, 4).sum(axis=1), rtol=0.2, atol=150)
        assert f.consumption_wh.sum() == pytest.approx(engine.sum(), rel=0.05)
        off = replace(home, thermostats=(replace(room, switched_on=False),))
        assert np.all(forecast_home(off, horizon).consumption_wh == 0.0)
