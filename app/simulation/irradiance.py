"""Plane-of-array irradiance and cell temperature of a tilted panel (pure NumPy, vectorized).

Why: a tilted, oriented panel sees more (or less) than the horizontal clear-sky figure of
`solar.py`. The chain follows pvlib's irradiance and temperature functions, which the tests use
as the reference (docs/physics.md):

1. Extraterrestrial normal irradiance (Spencer 1971; `pvlib.irradiance.get_extra_radiation`).
2. Decomposition of the clear-sky horizontal irradiance of `solar.py` into direct normal and
   diffuse horizontal: a fixed clear-sky diffuse share of 15 % (the sky of the model is clear;
   an empirical decomposition such as Erbs, fitted to all skies, would read the model's dim
   low-sun light as overcast), the beam from the closure GHI = DNI cos(zenith) + DHI.
3. Transposition to the panel plane: beam on the angle of incidence, sky diffuse with the
   Hay-Davies (1980) model (`pvlib.irradiance.haydavies`), ground-reflected diffuse with albedo
   0.25 (`pvlib.irradiance.get_ground_diffuse`); `pvlib.irradiance.get_total_irradiance(...,
   model="haydavies")` gives the same total.
4. Cell temperature with the Faiman model (IEC 61853; `pvlib.temperature.faiman`, u0 = 25,
   u1 = 6.84, wind 1 m/s) from the plane-of-array irradiance and the outdoor air temperature
   of `weather.py`, and a linear power derating 1 + gamma (T_cell - 25 degC).

Angles in degrees; azimuths clockwise from north (180 = south); irradiance in W/m2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from app.simulation.arrays import FloatArray
from app.simulation.solar import GeocentricSun, spa

SOLAR_CONSTANT_W_M2 = 1366.1
"""pvlib's default solar constant."""
ALBEDO = 0.25
"""Ground reflectance (pvlib's default)."""
FAIMAN_U0 = 25.0
"""Faiman constant heat loss factor, W/(m2 K)."""
FAIMAN_U1 = 6.84
"""Faiman wind-dependent heat loss factor, W/(m2 K) per m/s."""
WIND_SPEED_M_S = 1.0
"""Wind speed of the cell temperature model (HEMS has no wind data)."""
REFERENCE_CELL_C = 25.0
"""Cell temperature of the rated (STC) output."""
CLEAR_SKY_DIFFUSE_FRACTION = 0.15
"""Share of the clear-sky horizontal irradiance that is diffuse (clear skies: 10-20 %)."""
MAX_BEAM_ZENITH_DEG = 87.0
"""Past this zenith all light counts as diffuse (as pvlib's decomposition models)."""


def _cosd(x: ArrayLike) -> FloatArray:
    return np.cos(np.radians(np.asarray(x, dtype=np.float64)))


def _sind(x: ArrayLike) -> FloatArray:
    return np.sin(np.radians(np.asarray(x, dtype=np.float64)))


def extra_radiation_w_m2(day_of_year: ArrayLike) -> FloatArray:
    """Extraterrestrial normal irradiance (Spencer 1971, as pvlib's default method)."""
    b = 2.0 * np.pi * (np.asarray(day_of_year, dtype=np.float64) - 1.0) / 365.0
    r = (
        1.00011
        + 0.034221 * np.cos(b)
        + 0.00128 * np.sin(b)
        + 0.000719 * np.cos(2.0 * b)
        + 0.000077 * np.sin(2.0 * b)
    )
    return np.asarray(SOLAR_CONSTANT_W_M2 * r, dtype=np.float64)


def clear_sky_split(ghi: ArrayLike, zenith_deg: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """(DNI, DHI) of a clear-sky horizontal irradiance: DHI = CLEAR_SKY_DIFFUSE_FRACTION * GHI,
    DNI from the closure GHI = DNI cos(zenith) + DHI (0 past MAX_BEAM_ZENITH_DEG)."""
    g = np.asarray(ghi, dtype=np.float64)
    z = np.asarray(zenith_deg, dtype=np.float64)
    dhi = CLEAR_SKY_DIFFUSE_FRACTION * g
    beam = (z <= MAX_BEAM_ZENITH_DEG) & (g > 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        dni = np.where(beam, (g - dhi) / _cosd(np.where(beam, z, 0.0)), 0.0)
    return dni, np.where(beam, dhi, np.maximum(g, 0.0))


def aoi_projection(
    tilt_deg: ArrayLike,
    surface_azimuth_deg: ArrayLike,
    zenith_deg: ArrayLike,
    azimuth_deg: ArrayLike,
) -> FloatArray:
    """Cosine of the angle of incidence of the beam on the panel, clipped to [-1, 1]."""
    projection = _cosd(tilt_deg) * _cosd(zenith_deg) + _sind(tilt_deg) * _sind(zenith_deg) * _cosd(
        np.asarray(azimuth_deg, dtype=np.float64)
        - np.asarray(surface_azimuth_deg, dtype=np.float64)
    )
    return np.clip(projection, -1.0, 1.0)


@dataclass(frozen=True, slots=True)
class SkyTerms:
    """The factors of the plane-of-array irradiance that depend on the sun and sky only, not on
    the panel: computed once per location (a home) and gathered per panel, so the engine's
    per-panel work is the panel's own angles.

    Each is exactly the sub-expression `poa_global_w_m2` evaluates (same operations, same order),
    so the split changes no bit of the result.
    """

    cos_zenith: FloatArray
    sin_zenith: FloatArray
    rb_denominator: FloatArray
    """max(cos(zenith), 0.01745): the beam's horizontal projection, floored near the horizon."""
    dni: FloatArray
    isotropic: FloatArray
    """DHI (1 - anisotropy) / 2, times (1 + cos tilt) on the panel."""
    circumsolar: FloatArray
    """DHI * anisotropy, times the beam ratio on the panel."""
    ground: FloatArray
    """GHI * albedo, times (1 - cos tilt) / 2 on the panel."""

    def take(self, index: NDArray[np.int64]) -> SkyTerms:
        """The terms at `index` (one row per panel from one row per location)."""
        return SkyTerms(
            *(np.take(getattr(self, name), index) for name in self.__dataclass_fields__)
        )


def sky_terms(
    zenith_deg: ArrayLike,
    dni: ArrayLike,
    ghi: ArrayLike,
    dhi: ArrayLike,
    dni_extra: ArrayLike,
    albedo: float = ALBEDO,
) -> SkyTerms:
    """The panel-independent factors of `poa_global_w_m2` (see `SkyTerms`)."""
    dni_a = np.asarray(dni, dtype=np.float64)
    dhi_a = np.asarray(dhi, dtype=np.float64)
    cos_zenith = _cosd(zenith_deg)
    anisotropy = dni_a / np.asarray(dni_extra, dtype=np.float64)
    return SkyTerms(
        cos_zenith=cos_zenith,
        sin_zenith=_sind(zenith_deg),
        rb_denominator=np.maximum(cos_zenith, 0.01745),
        dni=dni_a,
        isotropic=dhi_a * (1.0 - anisotropy) * 0.5,
        circumsolar=dhi_a * anisotropy,
        ground=np.asarray(ghi, dtype=np.float64) * albedo,
    )


def poa_on_plane_w_m2(
    sky: SkyTerms, cos_tilt: ArrayLike, sin_tilt: ArrayLike, cos_relative_azimuth: ArrayLike
) -> FloatArray:
    """Plane-of-array global irradiance from the sky terms and the panel's angles: cos and sin
    of the tilt, cos of (sun azimuth - surface azimuth). Each cosine is computed once."""
    cos_t = np.asarray(cos_tilt, dtype=np.float64)
    projection = cos_t * sky.cos_zenith + np.asarray(sin_tilt) * sky.sin_zenith * np.asarray(
        cos_relative_azimuth
    )
    cos_aoi = np.clip(projection, -1.0, 1.0)
    rb = np.maximum(cos_aoi, 0.0) / sky.rb_denominator
    isotropic = np.maximum(sky.isotropic * (1.0 + cos_t), 0.0)
    circumsolar = np.maximum(sky.circumsolar * rb, 0.0)
    ground = sky.ground * (1.0 - cos_t) * 0.5
    # pvlib: cos(radians(degrees(arccos(projection)))), i.e. the projection up to rounding.
    beam = np.maximum(sky.dni * np.cos(np.arccos(cos_aoi)), 0.0)
    return np.asarray(beam + isotropic + circumsolar + ground, dtype=np.float64)


def poa_global_w_m2(
    tilt_deg: ArrayLike,
    surface_azimuth_deg: ArrayLike,
    zenith_deg: ArrayLike,
    azimuth_deg: ArrayLike,
    dni: ArrayLike,
    ghi: ArrayLike,
    dhi: ArrayLike,
    dni_extra: ArrayLike,
    albedo: float = ALBEDO,
) -> FloatArray:
    """Plane-of-array global irradiance: beam + Hay-Davies sky diffuse + ground reflected."""
    relative = np.asarray(azimuth_deg, dtype=np.float64) - np.asarray(
        surface_azimuth_deg, dtype=np.float64
    )
    return poa_on_plane_w_m2(
        sky_terms(zenith_deg, dni, ghi, dhi, dni_extra, albedo),
        _cosd(tilt_deg),
        _sind(tilt_deg),
        _cosd(relative),
    )


def faiman_cell_temperature_c(
    poa_w_m2: ArrayLike, air_temperature_c: ArrayLike, wind_speed_m_s: float = WIND_SPEED_M_S
) -> FloatArray:
    """Cell temperature (degC) with the Faiman model (as `pvlib.temperature.faiman`)."""
    heat_loss = FAIMAN_U0 + FAIMAN_U1 * wind_speed_m_s
    return np.asarray(
        np.asarray(air_temperature_c, dtype=np.float64) + np.asarray(poa_w_m2) / heat_loss,
        dtype=np.float64,
    )


def temperature_derating(cell_c: ArrayLike, coefficient_per_k: ArrayLike) -> FloatArray:
    """Output factor 1 + gamma (T_cell - 25), never below 0 (gamma ~ -0.004 / K)."""
    factor = 1.0 + np.asarray(coefficient_per_k, dtype=np.float64) * (
        np.asarray(cell_c, dtype=np.float64) - REFERENCE_CELL_C
    )
    return np.maximum(factor, 0.0)


def topocentric_azimuth_deg(
    sun: GeocentricSun, latitude: ArrayLike, longitude: ArrayLike
) -> FloatArray:
    """Topocentric sun azimuth (degrees clockwise from north) with SPA, one instant in `sun`."""
    lat = np.asarray(latitude, dtype=np.float64)
    lon = np.asarray(longitude, dtype=np.float64)
    hour_angle = spa.local_hour_angle(sun.sidereal_time_deg[0], lon, sun.right_ascension_deg[0])
    u = spa.uterm(lat)
    x = spa.xterm(u, lat, 0.0)
    y = spa.yterm(u, lat, 0.0)
    delta = sun.declination_deg[0]
    xi = sun.parallax_deg[0]
    delta_alpha = spa.parallax_sun_right_ascension(x, xi, hour_angle, delta)
    delta_prime = spa.topocentric_sun_declination(delta, x, y, xi, delta_alpha, hour_angle)
    hour_angle_prime = spa.topocentric_local_hour_angle(hour_angle, delta_alpha)
    gamma = spa.topocentric_astronomers_azimuth(hour_angle_prime, delta_prime, lat)
    return np.asarray(spa.topocentric_azimuth_angle(gamma), dtype=np.float64)


def day_of_year(epoch_s: float) -> float:
    """UTC day of year (1 = 1 January) of an instant, as pvlib's `dayofyear`."""
    day = np.datetime64(int(np.floor(epoch_s)), "s").astype("datetime64[D]")
    year = day.astype("datetime64[Y]")
    return float((day - year).astype(np.int64) + 1)
