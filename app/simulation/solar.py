"""Where the sun is, and how much clear-sky sunlight reaches a horizontal panel.

Why this model: the simple declination formula (23.45 sin(360/365 (d - 81))) without an equation of
time misplaces the sun by degrees, which moves sunrise and sunset by many minutes. HEMS uses NREL's
Solar Position Algorithm (SPA; Reda & Andreas, Solar Energy 76(5), 2004, and the 2007
corrigendum) as implemented step by step in `pvlib.spa`, so elevations agree with NREL SPA to far
better than 0.05 degrees for 1950-2100 (the tests compare against pvlib's full SPA and NREL's
published example).

Speed: SPA's expensive part (heliocentric series, nutation, sidereal time: about 200 periodic
terms) depends only on the instant. A simulation cycle has one instant for every panel, so that part
runs once per distinct instant, and only the cheap location-dependent topocentric correction
(parallax, hour angle, elevation, refraction) runs per panel, vectorized over NumPy arrays.

Assumptions (the same as `pvlib.solarposition.spa_python`'s defaults): observer at sea level
(altitude 0 m), refraction for 1013.25 hPa and 12 degC, sunrise/sunset refraction 0.5667 degrees,
and Delta T (TT - UT1) from `pvlib.spa.calculate_deltat(year, month)` (NASA polynomials).

Units: degrees for angles, W/m2 for irradiance. Elevation is positive above the horizon.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np
from numpy.typing import ArrayLike

from app.simulation.arrays import FloatArray, Instants, epoch_seconds


def _load_pvlib_spa() -> ModuleType:
    """pvlib's `spa` module, without running pvlib's package `__init__`.

    `import pvlib` imports all of pvlib (pandas, scipy, h5py...): about 120 MB of resident
    memory and 1.5 s of start-up in every worker, for a module that itself needs only NumPy.
    So the module is loaded from its file in the installed pvlib, unchanged. When pvlib is
    already imported (tests comparing against `spa_python`), its own `pvlib.spa` is used.
    """
    if "pvlib.spa" in sys.modules:
        return sys.modules["pvlib.spa"]
    package = importlib.util.find_spec("pvlib")
    if package is None or package.origin is None:
        raise ImportError("pvlib is not installed")
    spec = importlib.util.spec_from_file_location(
        "hems_pvlib_spa", Path(package.origin).parent / "spa.py"
    )
    if spec is None or spec.loader is None:
        raise ImportError("pvlib.spa not found in the installed pvlib")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


spa = _load_pvlib_spa()

if spa.USE_NUMBA:  # pragma: no cover - only when PVLIB_USE_NUMBA is set and numba is installed
    raise ImportError(
        "app.simulation.solar calls pvlib.spa's NumPy step functions on arrays; "
        "unset PVLIB_USE_NUMBA (numba-compiled pvlib.spa only accepts scalars)"
    )

PRESSURE_HPA = 1013.25
"""Air pressure used for the refraction correction (hPa = mbar), pvlib's spa_python default."""
TEMPERATURE_C = 12.0
"""Air temperature used for the refraction correction (degC), pvlib's spa_python default."""
ATMOS_REFRACT_DEG = 0.5667
"""Refraction at sunrise/sunset (degrees); below -(0.26667 + this) SPA applies no refraction."""

_HORIZON_DEG = 0.0


@dataclass(frozen=True, slots=True)
class GeocentricSun:
    """The location-independent part of SPA for a set of instants (all angles in degrees).

    `sidereal_time_deg` is the apparent Greenwich sidereal time, `right_ascension_deg` and
    `declination_deg` the geocentric apparent position, `parallax_deg` the equatorial horizontal
    parallax (depends on the Earth-sun distance).
    """

    sidereal_time_deg: FloatArray
    right_ascension_deg: FloatArray
    declination_deg: FloatArray
    parallax_deg: FloatArray


def delta_t_s(epoch_s: FloatArray) -> FloatArray:
    """Delta T = TT - UT1 in seconds for UTC epoch seconds, as pvlib's spa_python computes it."""
    seconds = np.floor(epoch_s).astype(np.int64).astype("datetime64[s]")
    year = seconds.astype("datetime64[Y]").astype(np.int64) + 1970
    month = seconds.astype("datetime64[M]").astype(np.int64) % 12 + 1
    return np.asarray(spa.calculate_deltat(year, month), dtype=np.float64)


def geocentric_sun(epoch_s: ArrayLike, *, delta_t: ArrayLike | None = None) -> GeocentricSun:
    """Geocentric sun for UTC epoch seconds (1-D array); `delta_t` seconds, default from the date.

    This is the costly, time-only half of SPA: evaluate it once per instant and reuse it for every
    location with `topocentric_elevation_deg`.
    """
    t = np.asarray(epoch_s, dtype=np.float64).reshape(-1)
    dt = delta_t_s(t) if delta_t is None else np.broadcast_to(np.asarray(delta_t, float), t.shape)
    jd = spa.julian_day(t)
    jde = spa.julian_ephemeris_day(jd, dt)
    jc = spa.julian_century(jd)
    jce = spa.julian_ephemeris_century(jde)
    jme = spa.julian_ephemeris_millennium(jce)
    radius_au = spa.heliocentric_radius_vector(jme)
    theta = spa.geocentric_longitude(spa.heliocentric_longitude(jme))
    beta = spa.geocentric_latitude(spa.heliocentric_latitude(jme))
    nutation = np.empty((2, t.size), dtype=np.float64)
    spa.longitude_obliquity_nutation(
        jce,
        spa.mean_elongation(jce),
        spa.mean_anomaly_sun(jce),
        spa.mean_anomaly_moon(jce),
        spa.moon_argument_latitude(jce),
        spa.moon_ascending_longitude(jce),
        nutation,
    )
    delta_psi, delta_epsilon = nutation[0], nutation[1]
    epsilon = spa.true_ecliptic_obliquity(spa.mean_ecliptic_obliquity(jme), delta_epsilon)
    lamd = spa.apparent_sun_longitude(theta, delta_psi, spa.aberration_correction(radius_au))
    sidereal = spa.apparent_sidereal_time(spa.mean_sidereal_time(jd, jc), delta_psi, epsilon)
    return GeocentricSun(
        sidereal_time_deg=np.asarray(sidereal, dtype=np.float64),
        right_ascension_deg=np.asarray(
            spa.geocentric_sun_right_ascension(lamd, epsilon, beta), dtype=np.float64
        ),
        declination_deg=np.asarray(
            spa.geocentric_sun_declination(lamd, epsilon, beta), dtype=np.float64
        ),
        parallax_deg=np.asarray(spa.equatorial_horizontal_parallax(radius_au), dtype=np.float64),
    )


def sun_instant(sun: GeocentricSun, index: int) -> GeocentricSun:
    """The one instant `index` of a sun computed for many (`geocentric_sun` of a time grid).

    A replay computes the sun once for its whole window (one vectorised call) and hands each
    cycle its instant (`FleetInput.sun`), instead of the cycle computing it again.
    """
    pick = slice(index, index + 1)
    return GeocentricSun(
        sidereal_time_deg=sun.sidereal_time_deg[pick],
        right_ascension_deg=sun.right_ascension_deg[pick],
        declination_deg=sun.declination_deg[pick],
        parallax_deg=sun.parallax_deg[pick],
    )


def topocentric_elevation_deg(
    sun: GeocentricSun,
    latitude: ArrayLike,
    longitude: ArrayLike,
    *,
    instant: ArrayLike | None = None,
    pressure_hpa: float = PRESSURE_HPA,
    temperature_c: float = TEMPERATURE_C,
) -> FloatArray:
    """Apparent (refraction-corrected) sun elevation in degrees seen from sea level.

    `latitude`/`longitude` are degrees (north and east positive) and broadcast together;
    `instant` indexes into `sun` per location (default: `sun` holds one instant for all).
    """
    lat = np.asarray(latitude, dtype=np.float64)
    lon = np.asarray(longitude, dtype=np.float64)
    pick = np.int64(0) if instant is None else np.asarray(instant, dtype=np.int64)
    sidereal = sun.sidereal_time_deg[pick]
    alpha = sun.right_ascension_deg[pick]
    delta = sun.declination_deg[pick]
    xi = sun.parallax_deg[pick]
    hour_angle = spa.local_hour_angle(sidereal, lon, alpha)
    u = spa.uterm(lat)
    x = spa.xterm(u, lat, 0.0)
    y = spa.yterm(u, lat, 0.0)
    delta_alpha = spa.parallax_sun_right_ascension(x, xi, hour_angle, delta)
    delta_prime = spa.topocentric_sun_declination(delta, x, y, xi, delta_alpha, hour_angle)
    hour_angle_prime = spa.topocentric_local_hour_angle(hour_angle, delta_alpha)
    e0 = spa.topocentric_elevation_angle_without_atmosphere(lat, delta_prime, hour_angle_prime)
    # pvlib evaluates the refraction formula everywhere and masks it below the horizon; a geometric
    # elevation of exactly -5.11 degrees would divide by zero in the masked-out branch.
    with np.errstate(divide="ignore", invalid="ignore"):
        refraction = spa.atmospheric_refraction_correction(
            pressure_hpa, temperature_c, e0, ATMOS_REFRACT_DEG
        )
    return np.asarray(spa.topocentric_elevation_angle(e0, refraction), dtype=np.float64)


def sun_elevation_deg(
    latitude: ArrayLike,
    longitude: ArrayLike,
    when: Instants,
    *,
    pressure_hpa: float = PRESSURE_HPA,
    temperature_c: float = TEMPERATURE_C,
    delta_t: float | None = None,
) -> FloatArray:
    """Apparent topocentric sun elevation in degrees (NREL SPA, refraction-corrected).

    `latitude`, `longitude` (degrees, north/east positive) and `when` (a timezone-aware datetime,
    an array of them, or numpy datetime64 in UTC) broadcast together; the result has the broadcast
    shape (0-d for all-scalar input). `delta_t` (seconds) defaults to pvlib's estimate for the date.
    """
    t = epoch_seconds(when)
    if t.size == 1:
        sun = geocentric_sun(t, delta_t=delta_t)
        lat, lon = np.broadcast_arrays(np.asarray(latitude, float), np.asarray(longitude, float))
        shape = np.broadcast_shapes(lat.shape, t.shape)
        elevation = topocentric_elevation_deg(
            sun, lat, lon, pressure_hpa=pressure_hpa, temperature_c=temperature_c
        )
        return np.broadcast_to(elevation, shape).copy()
    unique_t, inverse = np.unique(t, return_inverse=True)
    sun = geocentric_sun(unique_t, delta_t=delta_t)
    lat, lon, index = np.broadcast_arrays(
        np.asarray(latitude, float), np.asarray(longitude, float), inverse.reshape(t.shape)
    )
    return topocentric_elevation_deg(
        sun, lat, lon, instant=index, pressure_hpa=pressure_hpa, temperature_c=temperature_c
    )


def air_mass_kasten_young(zenith_deg: ArrayLike) -> FloatArray:
    """Relative optical air mass (Kasten & Young 1989), finite up to the horizon; NaN past 90.

    `zenith_deg` is the apparent zenith angle in degrees. Equals pvlib's
    `atmosphere.get_relative_airmass(model="kastenyoung1989")`, written inline because it is
    evaluated for every panel every cycle.
    """
    z = np.asarray(zenith_deg, dtype=np.float64)
    visible = z <= 90.0
    zs = np.where(visible, z, 90.0)
    air_mass = 1.0 / (np.cos(np.radians(zs)) + 0.50572 * (96.07995 - zs) ** -1.6364)
    return np.where(visible, air_mass, np.nan)


def clear_sky_irradiance_w_m2(elevation_deg: ArrayLike) -> FloatArray:
    """Clear-sky irradiance on a horizontal surface, W/m2: 1000 sin(e) 0.7^(AM - 1); 0 at e <= 0.

    `elevation_deg` is the apparent sun elevation in degrees; AM is the Kasten-Young air mass at
    zenith 90 - e. The result is exactly 0 at or below the horizon.
    """
    e = np.asarray(elevation_deg, dtype=np.float64)
    up = e > _HORIZON_DEG
    es = np.where(up, e, 90.0)
    air_mass = air_mass_kasten_young(90.0 - es)
    irradiance = 1000.0 * np.sin(np.radians(es)) * 0.7 ** (air_mass - 1.0)
    return np.where(up, irradiance, 0.0)
