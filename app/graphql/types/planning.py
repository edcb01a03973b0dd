"""Planning types (API.md "Planning"): forecast slots, the stored plan, scenario figures."""

from __future__ import annotations

from datetime import datetime, timedelta

import strawberry

from app.models.plan import PlanRow


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
