"""Test configuration: HEMS_ENV=test before the app is imported, then the shared fixtures."""

from __future__ import annotations

import os

os.environ["HEMS_ENV"] = "test"
os.environ.setdefault("JWT_SECRET", "test-secret-that-is-at-least-32-bytes-long!")

from tests.fixtures.app import *  # noqa: E402, F403
from tests.fixtures.database import *  # noqa: E402, F403
from tests.fixtures.redis import *  # noqa: E402, F403
