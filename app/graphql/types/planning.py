"""Planning types (API.md "Planning"): forecast slots, the stored plan, scenario figures."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import GenericAlias
from typing import Any

import strawberry

from app import models
from app.graphql.inputs import INPUTS, values_of
from app.graphql.types.tariff import TariffInput
from app.models.plan import PlanRow
from app.planning.replay import Figures
from app.services.planning import ScenarioRequest


@strawberry.type(name="ForecastSlot")
class ForecastSlot:
    start: datetime
    end: datetime
    production_wh: float
    consumption_wh: float
    import_price_per_kwh: float | None = strawberry.field(description="Null without a tariff.")
    export_price_per_kwh: float | None = strawberry.field(description="Null without a tariff.")


@strawberry.type(name="PlanSlot")
class PlanSlot:
    start: datetime
    end: datetime
    battery_flow_w: float = strawberry.field(description="> 0 charging, < 0 discharging.")
    ev_flow_w: float = strawberry.field(description="> 0 charging.")
    grid_flow_w: float = strawberry.field(description="> 0 importing, < 0 exporting.")
    battery_soc_percent: float | None = strawberry.field(description="Null without a battery.")
    ev_soc_percent: float | None = strawberry.field(description="Null without an EV.")


@strawberry.type(name="Plan")
class Plan:
    created_at: datetime
    from_: datetime = strawberry.field(name="from")
    to: datetime
    slots: list[PlanSlot]
    expected_cost: float = strawberry.field(description="The plan's grid cost over the horizon.")
    baseline_cost: float = strawberry.field(
        description="The same horizon under SELF_CONSUMPTION / NOW."
    )
    currency: str | None = strawberry.field(description="The tariff's; null without a tariff.")
    target_missed: bool = strawberry.field(
        description="An EV cannot reach its departure target in time: the plan is the closest."
    )

    @classmethod
    def from_row(cls, row: PlanRow) -> Plan:
        step = timedelta(minutes=15)
        return cls(
            created_at=row.created_at,
            from_=row.start,
            to=row.end,
            slots=[
                PlanSlot(
                    start=row.start + i * step,
                    end=row.start + (i + 1) * step,
                    battery_flow_w=s[0],
                    ev_flow_w=s[1],
                    grid_flow_w=s[2],
                    battery_soc_percent=s[3],
                    ev_soc_percent=s[4],
                )
                for i, s in enumerate(row.slots)
            ],
            expected_cost=row.expected_cost,
            baseline_cost=row.baseline_cost,
            currency=row.currency,
            target_missed=row.target_missed,
        )


@strawberry.type(name="ScenarioFigures")
class ScenarioFigures:
    produced_wh: float
    consumed_wh: float
    imported_wh: float
    exported_wh: float
    cost: float | None = strawberry.field(description="Null without a tariff.")
    self_sufficiency: float = strawberry.field(
        description="1 - imported / consumed (consumption including storage charging), in [0, 1]."
    )
    autonomy_hours: float = strawberry.field(
        description="Hours the storage at its average level carries the average load, grid down."
    )
    charged_wh: float = strawberry.field(description="Energy into batteries and EVs at home.")
    discharged_wh: float = strawberry.field(description="Energy out of batteries and EVs.")

    @classmethod
    def of(cls, f: Figures) -> ScenarioFigures:
        return cls(
            produced_wh=f.produced_wh,
            consumed_wh=f.consumed_wh,
            imported_wh=f.imported_wh,
            exported_wh=f.exported_wh,
            cost=f.cost,
            self_sufficiency=f.self_sufficiency,
            autonomy_hours=f.autonomy_hours,
            charged_wh=f.charged_wh,
            discharged_wh=f.discharged_wh,
        )


@strawberry.type(name="ScenarioResult")
class ScenarioResult:
    from_: datetime = strawberry.field(name="from")
    to: datetime
    baseline: ScenarioFigures
    scenario: ScenarioFigures


def _list_of(item: Any) -> Any:
    """`list[item] | None` for an input type built at run time."""
    return GenericAlias(list, (item,)) | None


def _scenario_input() -> Any:
    annotations: dict[str, Any] = {
        "add_batteries": _list_of(INPUTS[models.DeviceKind.BATTERY]),
        "add_solar_panels": _list_of(INPUTS[models.DeviceKind.SOLAR_PANEL]),
        "add_electric_vehicles": _list_of(INPUTS[models.DeviceKind.ELECTRIC_VEHICLE]),
        "remove_device_ids": list[strawberry.ID] | None,
        "tariff": TariffInput | None,
    }
    namespace: dict[str, Any] = {"__annotations__": annotations, "__module__": __name__}
    namespace.update(dict.fromkeys(annotations))
    return strawberry.input(type("ScenarioInput", (), namespace), name="ScenarioInput")


ScenarioInput = _scenario_input()


def scenario_request(given: Any) -> ScenarioRequest:
    def many(kind: models.DeviceKind, items: Any) -> list[dict[str, Any]]:
        return [values_of(kind, item) for item in items or ()]

    return ScenarioRequest(
        add_batteries=many(models.DeviceKind.BATTERY, given.add_batteries),
        add_solar_panels=many(models.DeviceKind.SOLAR_PANEL, given.add_solar_panels),
        add_electric_vehicles=many(models.DeviceKind.ELECTRIC_VEHICLE, given.add_electric_vehicles),
        remove_device_ids=[str(i) for i in given.remove_device_ids or ()],
        tariff=None if given.tariff is None else given.tariff.to_domain(),
    )
