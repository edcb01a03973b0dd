"""GraphQL enums mirror the model enums (same member names as API.md)."""

from __future__ import annotations

import strawberry

from app import models

# strawberry.enum registers the class in place, so the model enums are the GraphQL enums.
strawberry.enum(models.DeviceKind, name="DeviceKind")
strawberry.enum(models.EVMode, name="EVMode")

DeviceKind = models.DeviceKind
EVMode = models.EVMode
