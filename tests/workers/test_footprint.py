"""A worker's fixed costs: what it imports, and what a batch's encoded readings hold on to."""

from __future__ import annotations

import subprocess
import sys
import tracemalloc

import orjson

from app.live.readings import encode_current, encode_stats, encode_storage


def test_worker_imports_neither_all_of_pvlib_nor_graphql() -> None:
    """Only pvlib's `spa` module (the package's __init__ pulls pandas and scipy, ~120 MB), and
    none of the GraphQL stack, which only the API serves."""
    code = (
        "import sys, workers.settings, app.simulation.solar as s\n"
        "heavy = sorted({'pandas', 'scipy', 'pvlib', 'strawberry', 'graphql'} & set(sys.modules))\n"
        "assert not heavy, heavy\n"
        "assert callable(s.spa.julian_day)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_encoded_readings_are_exact_size() -> None:
    """Every value is kept until the batch's bulk write: no oversized buffers behind them."""
    ts = "2026-01-12T12:00:00+00:00"
    tracemalloc.start()
    try:
        values = [encode_current(1234.567 + i, "ONLINE", ts) for i in range(2000)]
        values += [encode_storage(13500.0, 6750.5 + i, -2500.25) for i in range(2000)]
        values += [encode_stats(1.0 * i, 2.0, 3.0, 4.0, ts) for i in range(2000)]
        held, _peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert held / len(values) < 400, f"{held / len(values):.0f} bytes per value"
    assert orjson.loads(values[0]) == {"power_w": 1234.567, "timestamp": ts, "status": "ONLINE"}
