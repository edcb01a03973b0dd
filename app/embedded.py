"""The embedded default: with no Redis, the API process runs the simulation loop itself."""

from __future__ import annotations

import logging

from app.state import AppState

logger = logging.getLogger("hems.embedded")


def start_embedded_simulation(state: AppState) -> None:
    """Placeholder until the live pipeline lands: the store stays empty (energyStats zeros)."""
    logger.info("embedded mode: in-process live store")
