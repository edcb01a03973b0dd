"""Planning types (API.md "Planning"): forecast slots, the stored plan, scenario figures."""

from __future__ import annotations

from datetime import datetime

import strawberry


@strawberry.type(name="ForecastSlot")
class ForecastSlot:
    start: datetime
    end: datetime
    production_wh: float
    consumption_wh: float
    import_price_per_kwh: float | None = strawberry.field(description="Null without a tariff.")
    export_price_per_kwh: float | None = strawberry.field(description="Null without a tariff.")
