"""Test configuration: HEMS_ENV=test before the app is imported, then the shared fixtures."""

from __future__ import annotations

import os

os.environ["HEMS_ENV"] = "test"
os.environ.setdefault("JWT_SECRET", "test-secret-that-is-at-least-32-bytes-long!")
# Tests register many accounts from one address (127.0.0.1, or the ASGI transport's); the
# registration limit's own tests set REGISTRATION_MAX_PER_ADDRESS explicitly.
os.environ.setdefault("REGISTRATION_MAX_PER_ADDRESS", "1000000")

from hypothesis import HealthCheck, settings  # noqa: E402

# CI must be reproducible: the same examples on every run (a failure prints its reproduction
# blob); locally, hypothesis keeps exploring new examples. No deadlines on a shared 2-core box.
settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

from tests.fixtures.app import *  # noqa: E402, F403
from tests.fixtures.database import *  # noqa: E402, F403
from tests.fixtures.redis import *  # noqa: E402, F403
