"""A simple, documented outdoor air temperature model (degC) for air conditioners and heaters.

Why: HEMS has no weather feed, but loads should follow the seasons and the time of day at each home.
The model is a sum of three smooth terms, evaluated per home (vectorized, no calendar lookups):

    T = annual_mean(lat) + seasonal_amplitude(lat) * seasonal(t) + DAILY_AMPLITUDE * daily

- annual_mean = -15 + 42 cos(lat): 27 degC at the equator, about 17 at 40 degrees, 6 at 60, -15 at
  the poles.
- seasonal_amplitude = 12 sin(|lat|) (half the summer-winter range): none at the equator, about 8
  degC at 40 degrees, 12 at the poles. The warmest day is 20 July in the northern hemisphere and six
  months later in the southern one (about a month after the solstice, as observed).
- daily = cos(2 pi (solar_hour - 15) / 24) with DAILY_AMPLITUDE = 5 degC: warmest at 15:00 local
  mean solar time (UTC hour + longitude / 15), coolest at 03:00.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from app.simulation.arrays import FloatArray

DAILY_AMPLITUDE_C = 5.0
"""Half the day-night temperature range, degC."""
SEASONAL_AMPLITUDE_C = 12.0
"""Half the summer-winter range at the poles, degC (scaled by sin |latitude|)."""
WARMEST_HOUR_SOLAR = 15.0
"""Local mean solar hour of the daily maximum."""
_WARMEST_DAY_NORTH_S = 964_051_200.0  # 2000-07-20T00:00:00Z, the northern seasonal maximum.
_TROPICAL_YEAR_S = 365.2422 * 86_400.0


def outdoor_temperature_c(
    latitude: ArrayLike, longitude: ArrayLike, epoch_s: ArrayLike
) -> FloatArray:
    """Outdoor air temperature in degC at latitude/longitude (degrees) for UTC epoch seconds.

    Arguments broadcast together; see the module docstring for the model.
    """
    lat = np.radians(np.asarray(latitude, dtype=np.float64))
    lon = np.asarray(longitude, dtype=np.float64)
    t = np.asarray(epoch_s, dtype=np.float64)
    annual_mean = -15.0 + 42.0 * np.cos(lat)
    # sign(lat) flips the season in the southern hemisphere; the amplitude is 0 at the equator.
    seasonal = (
        SEASONAL_AMPLITUDE_C
        * np.sin(lat)
        * np.cos(2.0 * np.pi * (t - _WARMEST_DAY_NORTH_S) / _TROPICAL_YEAR_S)
    )
    solar_hour = (t / 3600.0 + lon / 15.0) % 24.0
    daily = DAILY_AMPLITUDE_C * np.cos(2.0 * np.pi * (solar_hour - WARMEST_HOUR_SOLAR) / 24.0)
    return np.asarray(annual_mean + seasonal + daily, dtype=np.float64)
