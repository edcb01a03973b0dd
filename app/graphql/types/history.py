"""Energy history types: a Relay-style connection of energy buckets."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from app.graphql.types.convert import from_attributes
from app.services import history


@strawberry.enum(
    name="HistoryResolution",
    description="Bucket size. MINUTE, QUARTER_HOUR and HOUR are UTC-aligned; DAY and MONTH "
    "follow the user's local calendar (a DST day is 23 or 25 hours long).",
)
class HistoryResolution(Enum):
    MINUTE = "MINUTE"
    QUARTER_HOUR = "QUARTER_HOUR"
    HOUR = "HOUR"
    DAY = "DAY"
    MONTH = "MONTH"


@strawberry.type(
    name="EnergyBucket",
    description="Energy over [start, end) in Wh. Device buckets carry what the device did; "
    "importedWh/exportedWh are the home's exchange with the grid (0 on device buckets).",
)
class EnergyBucket:
    start: datetime
    end: datetime
    produced_wh: float
    consumed_wh: float
    charged_wh: float
    discharged_wh: float
    imported_wh: float
    exported_wh: float
    net_grid_wh: float = strawberry.field(
        description="importedWh - exportedWh: > 0 imported from the grid, < 0 exported."
    )
    import_cost: float = strawberry.field(
        description="What the bucket's import cost at the prices in force when it was recorded "
        "(the tariff's currency; 0 without a tariff and on device buckets). Negative where a "
        "DYNAMIC price below 0 paid for importing."
    )
    export_revenue: float = strawberry.field(
        description="What the bucket's export earned at the prices in force when it was "
        "recorded (negative where exporting cost money; 0 without a tariff)."
    )
    net_cost: float = strawberry.field(
        description="importCost - exportRevenue (> 0 paying), plus for DAY buckets the day's "
        "dailyFixedCharge (MONTH: its days' charges) as recorded with the day."
    )

    @classmethod
    def from_bucket(cls, b: history.Bucket) -> EnergyBucket:
        converted: EnergyBucket = from_attributes(cls, b)
        return converted


@strawberry.type(name="EnergyBucketEdge")
class EnergyBucketEdge:
    cursor: str
    node: EnergyBucket


@strawberry.type(name="HistoryPageInfo")
class HistoryPageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type(
    name="EnergyHistoryConnection",
    description=f"Buckets overlapping [from, to), oldest first, empty ones included; at most "
    f"{history.MAX_PAGE_SIZE} per page (`first`, default {history.DEFAULT_PAGE_SIZE}).",
)
class EnergyHistoryConnection:
    edges: list[EnergyBucketEdge]
    page_info: HistoryPageInfo

    @classmethod
    def from_page(cls, page: history.Page) -> EnergyHistoryConnection:
        edges = [
            EnergyBucketEdge(
                cursor=history.encode_cursor(b.start), node=EnergyBucket.from_bucket(b)
            )
            for b in page.buckets
        ]
        return cls(
            edges=edges,
            page_info=HistoryPageInfo(
                has_next_page=page.has_next_page,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )
