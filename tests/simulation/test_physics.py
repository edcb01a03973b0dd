# mypy: disable-error-code="arg-type"
"""Device physics of the engine: tilted panels against pvlib, the BDEW H0 household load, and
thermostats keeping a room in its band; defaults reproduce the original models bit for bit."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pvlib
import pytest

from app.simulation.calendar import zone
from app.simulation.fleet import simulate_fleet
from app.simulation.household import household_power_w, year_sum
from app.simulation.irradiance import (
    clear_sky_split,
    extra_radiation_w_m2,
    faiman_cell_temperature_c,
    poa_global_w_m2,
    temperature_derating,
    topocentric_azimuth_deg,
)
from app.simulation.physics_devices import HouseholdArrays, OrientationArrays, ThermostatArrays
from app.simulation.solar import geocentric_sun
from app.simulation.thermostat import step_rooms
from app.simulation.weather import outdoor_temperature_c
from tests.simulation.homes import PHOENIX, TROMSO, fleet, loads, local, panels, users

RNG = np.random.default_rng(13)
N = 2000


class TestIrradianceAgainstPvlib:
    zenith = RNG.uniform(0.0, 89.5, N)
    azimuth = RNG.uniform(0.0, 360.0, N)
    tilt = RNG.uniform(0.0, 90.0, N)
    surface_azimuth = RNG.uniform(0.0, 360.0, N)
    doy = RNG.integers(1, 366, N)
    ghi = RNG.uniform(0.0, 1100.0, N) * np.cos(np.radians(zenith))

    def test_extra_radiation(self):
        expected = pvlib.irradiance.get_extra_radiation(self.doy)
        np.testing.assert_allclose(extra_radiation_w_m2(self.doy), expected, rtol=1e-12)

    def test_clear_sky_split_closes(self):
        dni, dhi = clear_sky_split(self.ghi, self.zenith)
        np.testing.assert_allclose(dni * np.cos(np.radians(self.zenith)) + dhi, self.ghi, atol=1e-9)
        assert np.all(dni >= 0)
        assert np.all(dhi >= 0)

    def test_hay_davies_plane_of_array(self):
        extra = extra_radiation_w_m2(self.doy)
        dni, dhi = clear_sky_split(self.ghi, self.zenith)
        got = poa_global_w_m2(
            self.tilt, self.surface_azimuth, self.zenith, self.azimuth, dni, self.ghi, dhi, extra
        )
        expected = pvlib.irradiance.get_total_irradiance(
            self.tilt,
            self.surface_azimuth,
            self.zenith,
            self.azimuth,
            dni,
            self.ghi,
            dhi,
            dni_extra=extra,
            model="haydavies",
        )["poa_global"]
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)
        assert np.ptp(got) > 500.0  # the sample spans real differences

    def test_flat_plane_sees_the_horizontal_irradiance(self):
        extra = extra_radiation_w_m2(self.doy)
        dni, dhi = clear_sky_split(self.ghi, self.zenith)
        flat = poa_global_w_m2(0.0, 180.0, self.zenith, self.azimuth, dni, self.ghi, dhi, extra)
        np.testing.assert_allclose(flat, self.ghi, rtol=1e-9, atol=1e-6)

    def test_faiman_cell_temperature(self):
        poa = RNG.uniform(0, 1200, N)
        air = RNG.uniform(-20, 45, N)
        np.testing.assert_allclose(
            faiman_cell_temperature_c(poa, air), pvlib.temperature.faiman(poa, air), rtol=1e-12
        )

    def test_derating_is_the_standard_coefficient(self):
        assert temperature_derating(np.array([35.0]), -0.004)[0] == pytest.approx(0.96)
        assert temperature_derating(np.array([25.0]), -0.004)[0] == 1.0

    def test_sun_azimuth_matches_spa(self):
        times = pd.date_range("2026-01-01", "2026-12-31", freq="37h", tz="UTC")
        lat, lon = 48.1, 11.6
        for when in times[::10]:
            sun = geocentric_sun(np.array([when.timestamp()]))
            got = topocentric_azimuth_deg(sun, np.array([lat]), np.array([lon]))[0]
            ref = pvlib.solarposition.spa_python(pd.DatetimeIndex([when]), lat, lon)
            # pvlib's default delta T differs from the dated estimate: a few 1e-4 degrees.
            assert got == pytest.approx(float(ref["azimuth"].iloc[0]), abs=0.005)


def _orientation(n: int, tilt: float, azimuth: float, gamma: float = -0.004) -> OrientationArrays:
    return OrientationArrays(np.full(n, tilt), np.full(n, azimuth), np.full(n, gamma))


class TestSolarPanels:
    def _run(self, when: datetime, orientation: OrientationArrays | None):
        inp = fleet(
            when,
            homes=users(("Europe/Berlin", 52.5, 13.4)),
            solar=panels(3, latitude=52.5, longitude=13.4, max_capacity_w=1e6),
        )
        return simulate_fleet(dataclasses.replace(inp, solar_orientation=orientation))

    @pytest.mark.parametrize("hour", [6, 9, 12, 15, 18])
    def test_a_flat_panel_gives_the_original_output_exactly(self, hour):
        when = local("Europe/Berlin", 2026, 6, 21, hour)
        original = self._run(when, None).solar.power_w
        flat = self._run(when, _orientation(3, 0.0, 180.0)).solar.power_w
        assert np.array_equal(original, flat)
        assert not np.array_equal(
            original, self._run(when, _orientation(3, 35.0, 180.0)).solar.power_w
        )

    def test_a_south_facing_tilted_panel_beats_a_flat_one_in_winter(self):
        when = local("Europe/Berlin", 2026, 12, 21, 12)
        flat = self._run(when, None).solar.power_w
        south = self._run(when, _orientation(3, 50.0, 180.0)).solar.power_w
        north = self._run(when, _orientation(3, 50.0, 0.0)).solar.power_w
        assert np.all(south > 1.8 * flat)
        assert np.all(north < flat)

    def test_a_hot_cell_yields_less(self):
        when = local("Europe/Berlin", 2026, 6, 21, 13)
        cool = self._run(when, _orientation(3, 30.0, 180.0, 0.0)).solar.power_w
        derated = self._run(when, _orientation(3, 30.0, 180.0, -0.004)).solar.power_w
        cell = 25.0 + 30.0  # at least: summer air plus ~25 K from ~800 W/m2
        assert np.all(derated < cool * (1 - 0.004 * (cell - 25.0) * 0.5))


class TestHouseholdLoad:
    def test_one_year_sums_to_the_annual_figure(self):
        tz = "Europe/Berlin"
        start = datetime(2026, 1, 1, tzinfo=zone(tz)).timestamp()
        keys = np.arange(1, 5, dtype=np.uint64)
        annual = np.array([1500.0, 2500.0, 3500.0, 5000.0])
        total = np.zeros(4)
        for i in range(365 * 96):
            total += household_power_w(keys, annual, np.zeros(4, np.int64), [tz], start + 900 * i)
        np.testing.assert_allclose(total * 0.25 / 1000.0, annual, rtol=0.01)

    def test_the_profile_has_the_h0_shape(self):
        tz = "Europe/Berlin"
        key = np.array([7], dtype=np.uint64)

        def power(month: int, day: int, hour: int) -> float:
            at = local(tz, 2026, month, day, hour)
            return float(
                household_power_w(key, np.array([3500.0]), np.array([0]), [tz], at.timestamp())[0]
            )

        night, evening = power(1, 14, 3), power(1, 14, 19)
        assert evening > 2 * night  # evening peak over the night base
        assert power(1, 14, 19) > power(7, 15, 19)  # more in winter
        assert 1.0e3 > year_sum(2026) > 0.99e3

    def test_it_counts_in_the_home_consumption(self):
        when = local(*TROMSO[:1], 2026, 3, 4, 19)
        inp = fleet(when, homes=users(TROMSO))
        households = HouseholdArrays(
            key=np.array([42], np.uint64), user=np.array([0]), annual_consumption_kwh=[4000.0]
        )
        without = simulate_fleet(inp)
        result = simulate_fleet(dataclasses.replace(inp, households=households))
        assert without.users.consumption_w[0] == 0.0
        assert result.households is not None
        power = result.households.power_w[0]
        assert 200.0 < power < 2000.0
        assert result.users.consumption_w[0] == power
        assert result.users.net_grid_flow_w[0] == power


def _day_in_band(home, when0: datetime, rated: float, setpoint: float, cooling: bool):
    """Run a load through a day of one-minute cycles; return indoor temperatures and powers."""
    inp = fleet(
        when0,
        homes=users(home),
        **({"air_conditioners": loads([rated])} if cooling else {"heaters": loads([rated])}),
    )
    state = ThermostatArrays([True], [setpoint], [1.0], [np.nan], [False], [np.nan])
    field = "air_conditioner_thermostats" if cooling else "heater_thermostats"
    temps, powers = [], []
    for minute in range(24 * 60):
        at = when0 + timedelta(minutes=minute)
        result = simulate_fleet(dataclasses.replace(inp, cycle_at=at, **{field: state}))
        rooms = result.air_conditioner_rooms if cooling else result.heater_rooms
        assert rooms is not None
        power = (result.air_conditioners if cooling else result.heaters).power_w[0]
        temps.append(rooms.indoor_c[0])
        powers.append(power)
        state = ThermostatArrays(
            [True], [setpoint], [1.0], rooms.indoor_c, rooms.running, rooms.simulated_at_s
        )
    return np.array(temps), np.array(powers)


class TestThermostat:
    def test_an_air_conditioner_keeps_the_room_in_its_band_on_a_hot_day(self):
        when0 = local(PHOENIX[0], 2026, 7, 20, 0)
        outdoor = outdoor_temperature_c(PHOENIX[1], PHOENIX[2], when0.timestamp() + 15 * 3600)
        assert outdoor > 30.0
        temps, powers = _day_in_band(PHOENIX, when0, 2500.0, 24.0, cooling=True)
        assert temps.min() >= 23.0 - 1e-9
        assert temps.max() <= 25.0 + 1e-9
        assert set(np.unique(powers)) == {0.0, 2500.0}  # it cycles
        # 7.5 kW of cooling against a few hundred W of gains: short runs, a low duty cycle.
        assert 0.005 < (powers > 0).mean() < 0.5

    def test_a_heater_keeps_the_room_in_its_band_on_a_cold_day(self):
        when0 = local(TROMSO[0], 2026, 1, 20, 0)
        assert outdoor_temperature_c(TROMSO[1], TROMSO[2], when0.timestamp()) < 0.0
        temps, powers = _day_in_band(TROMSO, when0, 2000.0, 21.0, cooling=False)
        assert temps.min() >= 20.0 - 1e-9
        assert temps.max() <= 22.0 + 1e-9
        assert (powers > 0).mean() > 0.3

    def test_the_band_holds_over_one_long_step(self):
        state = step_rooms(
            cooling=False,
            rated_power_w=np.array([2000.0]),
            switched_on=np.array([True]),
            setpoint_c=np.array([20.0]),
            hysteresis_c=np.array([0.5]),
            indoor_c=np.array([20.0]),
            running=np.array([False]),
            outdoor_c=np.array([-5.0]),
            dt_s=np.array([6 * 3600.0]),
        )
        assert 19.5 - 1e-9 <= state.indoor_c[0] <= 20.5 + 1e-9

    def test_switched_off_draws_nothing_and_the_room_drifts(self):
        when = local(TROMSO[0], 2026, 1, 20, 3)
        inp = fleet(when, homes=users(TROMSO), heaters=loads([2000.0, 2000.0]))
        off = ThermostatArrays(
            [False, False],
            [21.0, np.nan],
            [1.0, 1.0],
            [15.0, np.nan],
            [True, False],
            [when.timestamp() - 3600, np.nan],
        )
        result = simulate_fleet(dataclasses.replace(inp, heater_thermostats=off))
        assert list(result.heaters.power_w) == [0.0, 0.0]
        assert result.heater_rooms is not None
        assert result.heater_rooms.indoor_c[0] < 15.0

    def test_an_untouched_device_draws_the_original_ramp(self):
        for home, month, hour in ((PHOENIX, 7, 15), (TROMSO, 1, 3)):
            when = local(home[0], 2026, month, 20, hour)
            inp = fleet(
                when, homes=users(home), air_conditioners=loads([3000.0]), heaters=loads([2000.0])
            )
            original = simulate_fleet(inp)
            untouched = simulate_fleet(
                dataclasses.replace(
                    inp,
                    air_conditioner_thermostats=ThermostatArrays.untouched(1),
                    heater_thermostats=ThermostatArrays.untouched(1),
                )
            )
            assert (
                original.air_conditioners.power_w.tolist()
                == untouched.air_conditioners.power_w.tolist()
            )
            assert original.heaters.power_w.tolist() == untouched.heaters.power_w.tolist()
            assert original.users.consumption_w.tolist() == untouched.users.consumption_w.tolist()
            assert (original.air_conditioners.power_w + original.heaters.power_w).sum() > 0

    def test_a_replayed_cycle_keeps_the_state(self):
        when = local(TROMSO[0], 2026, 1, 20, 3)
        inp = fleet(when, homes=users(TROMSO), heaters=loads([2000.0]))
        stored = ThermostatArrays([True], [21.0], [1.0], [20.4], [True], [when.timestamp()])
        result = simulate_fleet(dataclasses.replace(inp, heater_thermostats=stored))
        assert result.heater_rooms is not None
        assert result.heater_rooms.indoor_c[0] == 20.4
        assert result.heaters.power_w[0] == 2000.0


def test_utc_is_used_for_instants():
    assert local(PHOENIX[0], 2026, 7, 20, 0).astimezone(UTC).hour == 7
