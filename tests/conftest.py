"""Test configuration: HEMS_ENV=test before the app is imported, then the shared fixtures."""

from __future__ import annotations

import os

os.environ["HEMS_ENV"] = "test"
os.environ.setdefault("JWT_SECRET", "test-secret-that-is-at-least-32-bytes-long!")
# Tests register many accounts from one address (127.0.0.1, or the ASGI transport's); the
# registration limit's own tests set REGISTRATION_MAX_PER_ADDRESS explicitly.
os.environ.setdefault("REGISTRATION_MAX_PER_ADDRESS", "1000000")

from hypothesis import HealthCheck, settings  # noqa: E402

# Every run is reproducible, in CI and on a newcomer's machine alike: the same examples each
# time (a failure prints its reproduction blob). HYPOTHESIS_PROFILE=explore searches new
# examples on purpose, to hunt bugs before they are pinned. No deadlines on a shared 2-core box.
settings.register_profile(
    "default",
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "explore", deadline=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

from tests.fixtures.app import *  # noqa: E402, F403
from tests.fixtures.database import *  # noqa: E402, F403
from tests.fixtures.redis import *  # noqa: E402, F403
