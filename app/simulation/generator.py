"""Generator output: rated power with a deterministic variation within +/-5 %.

power_w = rated_power_w * (1 + v), v uniform in [-0.05, 0.05) from the per-(generator, cycle)
stream `rng.STREAM_GENERATOR`, so a re-run cycle gives the same output.
"""

from __future__ import annotations

import numpy as np

from app.simulation.arrays import FloatArray, KeyArray
from app.simulation.rng import STREAM_GENERATOR, uniform

VARIATION = 0.05


def generator_power_w(key: KeyArray, rated_power_w: FloatArray, cycle_s: int) -> FloatArray:
    """Generator output in W (>= 0) within rated_power_w * (1 +/- 0.05)."""
    u = uniform(key, cycle_s, STREAM_GENERATOR)
    return np.maximum(rated_power_w, 0.0) * (1.0 + VARIATION * (2.0 * u - 1.0))
