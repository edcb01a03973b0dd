"""The six energy figures every HEMS total carries, in `ENERGY_COLUMNS` order.

One definition for the totals that add history rows up (`app.services.history.Bucket`) and
those a replay computes (`app.planning.replay.Figures`): both read and speak the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class EnergyFigures:
    """Energy over a stretch of time (Wh, each >= 0)."""

    produced_wh: float = 0.0
    consumed_wh: float = 0.0
    charged_wh: float = 0.0
    discharged_wh: float = 0.0
    imported_wh: float = 0.0
    exported_wh: float = 0.0
