"""HEMS simulation engine: pure, vectorized, deterministic device physics (no I/O, no clock).

Entry point: `app.simulation.fleet.simulate_fleet`. Sun geometry: `app.simulation.solar`.
"""
