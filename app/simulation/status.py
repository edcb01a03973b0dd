"""Device status and EV mode codes (int8) used in simulation results.

Why codes instead of strings: results are NumPy arrays for whole batches; callers turn a code into
its API string with `STATUS_NAMES[code]` / `EV_MODE_NAMES[code]`.
"""

from __future__ import annotations

import numpy as np

from app.simulation.arrays import CodeArray, FloatArray

STATUS_NAMES = ("online", "idle", "offline", "charging", "discharging")
"""API status string for each status code (index = code)."""
STATUS_ONLINE = 0
STATUS_IDLE = 1
STATUS_OFFLINE = 2
STATUS_CHARGING = 3
STATUS_DISCHARGING = 4

EV_MODE_NAMES = ("CHARGING", "DISCHARGING", "OFFLINE")
"""GraphQL `EVMode` name for each EV mode code (index = code)."""
EV_CHARGING = 0
EV_DISCHARGING = 1
EV_OFFLINE = 2


def active_status(power_w: FloatArray) -> CodeArray:
    """ "online" where a producer or load has power > 0 W, else "idle"."""
    return np.where(power_w > 0.0, STATUS_ONLINE, STATUS_IDLE).astype(np.int8)


def storage_status(flow_w: FloatArray) -> CodeArray:
    """ "charging" for flow > 0 W, "discharging" for flow < 0 W, else "idle"."""
    codes = np.full(flow_w.shape, STATUS_IDLE, dtype=np.int8)
    codes[flow_w > 0.0] = STATUS_CHARGING
    codes[flow_w < 0.0] = STATUS_DISCHARGING
    return codes
