"""Default controls reproduce the engine's numbers from before device controls.

Discrete readings (modes, statuses) must match exactly; powers and levels to 1e-12 relative:
NumPy's SIMD sin/cos/exp differ by a few units in the last place between CPU feature levels
(the file was written without AVX-512; machines with it differ by ~1e-13), while any change of
a model moves a reading by far more than that."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from app.simulation.control import (
    BatteryControls,
    EVControls,
    GeneratorControls,
    PriceHorizon,
)
from tests.simulation import golden


def _assert_reproduced(name: str, got: np.ndarray, expected: np.ndarray) -> None:
    if np.issubdtype(expected.dtype, np.floating):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-9, err_msg=name)
        assert (np.isnan(got) == np.isnan(expected)).all(), name
    else:
        np.testing.assert_array_equal(got, expected, err_msg=name)


def test_two_days_reproduce_the_golden_readings_exactly() -> None:
    expected = np.load(golden.PATH)
    got = golden.run()
    assert sorted(got) == sorted(expected.files)
    for name in expected.files:
        _assert_reproduced(name, got[name], expected[name])
    # The run exercises what it pins: storage moves, the EV commutes, the generator runs.
    assert np.ptp(expected["battery_level_wh"], axis=0).min() > 0.0
    assert (expected["ev_mode"] == 2).any()
    assert (expected["ev_mode"] != 2).any()
    assert (expected["generator_power_w"] > 0.0).all()


def test_explicit_default_controls_reproduce_the_golden_readings_exactly() -> None:
    """The pipeline always passes controls: their defaults are the original engine too."""
    expected = np.load(golden.PATH)
    base = golden.fleet(golden.START)
    got = golden.run(
        replace(
            base,
            ev_controls=EVControls.defaults(len(base.evs)),
            battery_controls=BatteryControls.defaults(len(base.batteries)),
            generator_controls=GeneratorControls.defaults(len(base.generators)),
            prices=PriceHorizon(golden.START.timestamp(), np.full((len(base.users), 4), np.nan)),
        )
    )
    for name in expected.files:
        _assert_reproduced(name, got[name], expected[name])
