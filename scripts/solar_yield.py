"""Yearly yield of a 1 kWp panel: HEMS's engine against pvlib's clear-sky model (docs/physics.md).

For each place: a panel of 5 m2 at 20 % efficiency (1 kW at 1000 W/m2), tilted 35 degrees and
facing the equator, simulated every hour (at the half hour) through 2026 by
`app.simulation.fleet.simulate_fleet` (with its cloud factor, mean 0.925, and without it), and
by pvlib: Ineichen clear sky with the Linke turbidity climatology (`Location.get_clearsky`),
Hay-Davies transposition, Faiman cell temperature from HEMS's outdoor temperature model and
PVWatts DC with gamma -0.4 %/K. pandas is used here only (a dev script, not the engine).

    uv run python scripts/solar_yield.py
"""

from __future__ import annotations

import dataclasses
import sys
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pvlib

from app.simulation.devices import (
    BatteryArrays,
    EVArrays,
    GeneratorArrays,
    LoadArrays,
    SolarArrays,
    UserArrays,
)
from app.simulation.fleet import FleetInput, simulate_fleet
from app.simulation.physics_devices import OrientationArrays
from app.simulation.solar_panel import cloud_factor
from app.simulation.weather import outdoor_temperature_c

PLACES = (
    ("Berlin", 52.52, 13.40, "Europe/Berlin"),
    ("Madrid", 40.42, -3.70, "Europe/Madrid"),
    ("Sydney", -33.87, 151.21, "Australia/Sydney"),
)
TILT = 35.0
GAMMA = -0.004


def hems_kwh(lat: float, lon: float, tz: str, times: pd.DatetimeIndex) -> tuple[float, float]:
    """(with clouds, clear) kWh of the engine over `times` (hourly)."""
    azimuth = 180.0 if lat >= 0 else 0.0
    solar = SolarArrays(
        key=[1],
        user=[0],
        panel_area_m2=[5.0],
        efficiency=[0.2],
        max_capacity_w=[1e6],
        latitude=[lat],
        longitude=[lon],
    )
    base = FleetInput(
        cycle_at=datetime(2026, 1, 1, tzinfo=UTC),
        users=UserArrays(timezone=[tz], latitude=[lat], longitude=[lon]),
        solar=solar,
        generators=GeneratorArrays.empty(),
        batteries=BatteryArrays.empty(),
        evs=EVArrays.empty(),
        air_conditioners=LoadArrays.empty(),
        heaters=LoadArrays.empty(),
        solar_orientation=OrientationArrays([TILT], [azimuth], [GAMMA]),
    )
    clouds = clear = 0.0
    for t in times:
        result = simulate_fleet(dataclasses.replace(base, cycle_at=t.to_pydatetime()))
        power = float(result.solar.power_w[0])
        clouds += power / 1000.0
        # Divide the cycle's cloud factor back out for the clear-sky figure.
        clear += power / float(cloud_factor(np.array([1], np.uint64), int(t.timestamp()))[0]) / 1000
    return clouds, clear


def pvlib_kwh(lat: float, lon: float, times: pd.DatetimeIndex) -> float:
    azimuth = 180.0 if lat >= 0 else 0.0
    location = pvlib.location.Location(lat, lon)
    sky = location.get_clearsky(times)
    sun = location.get_solarposition(times)
    poa = pvlib.irradiance.get_total_irradiance(
        TILT,
        azimuth,
        sun["apparent_zenith"],
        sun["azimuth"],
        sky["dni"],
        sky["ghi"],
        sky["dhi"],
        dni_extra=pvlib.irradiance.get_extra_radiation(times),
        model="haydavies",
    )["poa_global"]
    air = outdoor_temperature_c(lat, lon, times.asi8 / 1e9)
    cell = pvlib.temperature.faiman(poa, air)
    dc = pvlib.pvsystem.pvwatts_dc(poa, cell, pdc0=1000.0, gamma_pdc=GAMMA)
    return float(dc.clip(lower=0).sum() / 1000.0)


def main() -> None:
    times = pd.date_range("2026-01-01 00:30", "2026-12-31 23:30", freq="1h", tz="UTC")
    out = [
        "| place | HEMS (clouds) kWh/kWp | HEMS (clear) kWh/kWp | pvlib clear sky kWh/kWp |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, lat, lon, tz in PLACES:
        clouds, clear = hems_kwh(lat, lon, tz, times)
        reference = pvlib_kwh(lat, lon, times)
        out.append(f"| {name} ({lat:g}, {lon:g}) | {clouds:.0f} | {clear:.0f} | {reference:.0f} |")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
