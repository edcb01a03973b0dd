"""Slot prices over a horizon for many homes at once (from `app.tariffs.PriceBook`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from app import tariffs
from app.planning.forecast import SLOT_S, Horizon
from app.simulation.arrays import FloatArray


def horizon_prices(
    homes: Sequence[tariffs.HomeTariff], horizon: Horizon
) -> tuple[FloatArray, FloatArray]:
    """(import, export) price per kWh, shape (homes, slots); 0 for a home without a tariff."""
    book = tariffs.PriceBook.build(homes)
    first = horizon.start_s // SLOT_S
    imp = np.zeros((len(homes), horizon.slots), dtype=np.float64)
    exp = np.zeros((len(homes), horizon.slots), dtype=np.float64)
    for t in range(horizon.slots):
        imp[:, t], exp[:, t] = book.quarter_prices(first + t)
    return imp, exp
