"""The history tests were written against per-device minute rows: they run with the operator's
opt-in HISTORY_DEVICE_MINUTE=true (the default, quarter-hour device buckets, is tested in
test_quarter_hours.py, which turns it off)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _device_minute_rows(device_minute_history: None) -> None:
    """Every test here: HISTORY_DEVICE_MINUTE=true."""
