"""Solar panel output: clear-sky irradiance times area, efficiency and a random cloud factor.

power_w = clear_sky_irradiance_w_m2(elevation) * panel_area_m2 * efficiency * cloud_factor,
clipped to [0, max_capacity_w]. The cloud factor is uniform in [CLOUD_MIN, CLOUD_MAX) from the
deterministic per-(panel, cycle) stream `rng.STREAM_CLOUD`, so a re-run cycle gives the same output.
Output is exactly 0 W when the sun is at or below the horizon.
"""

from __future__ import annotations

import numpy as np

from app.simulation.arrays import FloatArray, KeyArray
from app.simulation.rng import STREAM_CLOUD, uniform
from app.simulation.solar import clear_sky_irradiance_w_m2

CLOUD_MIN = 0.85
CLOUD_MAX = 1.0


def cloud_factor(key: KeyArray, cycle_s: int) -> FloatArray:
    """Cloud attenuation in [0.85, 1.0) per panel for the cycle (deterministic)."""
    return CLOUD_MIN + (CLOUD_MAX - CLOUD_MIN) * uniform(key, cycle_s, STREAM_CLOUD)


def panel_power_w(
    elevation_deg: FloatArray,
    panel_area_m2: FloatArray,
    efficiency: FloatArray,
    max_capacity_w: FloatArray,
    cloud: FloatArray,
) -> FloatArray:
    """Panel output in W (>= 0, <= max_capacity_w; exactly 0 with the sun at/below the horizon)."""
    return panel_power_from_irradiance_w(
        clear_sky_irradiance_w_m2(elevation_deg), panel_area_m2, efficiency, max_capacity_w, cloud
    )


def panel_power_from_irradiance_w(
    irradiance_w_m2: FloatArray,
    panel_area_m2: FloatArray,
    efficiency: FloatArray,
    max_capacity_w: FloatArray,
    cloud: FloatArray,
) -> FloatArray:
    """`panel_power_w` from the clear-sky irradiance itself: the engine computes it once per
    home (it depends on the sun's elevation there only) and gathers it per panel."""
    raw = irradiance_w_m2 * panel_area_m2 * efficiency * cloud
    return np.clip(raw, 0.0, np.maximum(max_capacity_w, 0.0))
