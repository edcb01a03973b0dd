"""GraphQL types of device controls (API.md "Device control"): modes, departure rules, events."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import strawberry

from app import models
from app.graphql.types.tariff import Weekday

# strawberry.enum registers the model enums in place, as app.graphql.types.enums does.
strawberry.enum(models.EVChargeMode, name="EVChargeMode")
strawberry.enum(models.BatteryMode, name="BatteryMode")
strawberry.enum(models.GeneratorMode, name="GeneratorMode")

EVChargeMode = models.EVChargeMode
BatteryMode = models.BatteryMode
GeneratorMode = models.GeneratorMode


@strawberry.type(name="DepartureRule")
class DepartureRule:
    days: list[Weekday]
    depart_at: str = strawberry.field(description='Local wall-clock "HH:MM" the EV leaves.')
    return_at: str = strawberry.field(
        description='Local "HH:MM" it is back; at or before departAt: the next day.'
    )
    target_soc_percent: float

    @classmethod
    def from_json(cls, rule: dict[str, Any]) -> DepartureRule:
        return cls(
            days=[Weekday.__members__[str(d)] for d in rule["days"]],
            depart_at=str(rule["departAt"]),
            return_at=str(rule["returnAt"]),
            target_soc_percent=float(rule["targetSocPercent"]),
        )


@strawberry.input(name="DepartureRuleInput")
class DepartureRuleInput:
    days: list[Weekday]
    depart_at: str
    return_at: str
    target_soc_percent: float


@strawberry.type(name="DeviceEvent")
class DeviceEvent:
    at: datetime
    action: str
    detail: str | None = strawberry.field(description="What changed, as a JSON object.")

    @classmethod
    def from_model(cls, m: models.DeviceEvent) -> DeviceEvent:
        detail = None if m.detail is None else json.dumps(m.detail, sort_keys=True)
        return cls(at=m.at, action=m.action, detail=detail)


def schedule_of(raw: Any) -> list[dict[str, Any]]:
    """An EV's stored schedule as a list of rule dicts (the JSON may come back as text)."""
    value = json.loads(raw) if isinstance(raw, str | bytes) else raw
    return list(value or [])
