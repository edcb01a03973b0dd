"""Planning for the API: a home's forecast, its stored plan, and what-if scenarios.

The home arrives already resolved through the caller's own homes (a foreign id never gets
here); bad arguments are BAD_USER_INPUT naming the argument, checked before any work.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app import models
from app.errors import BadUserInput
from app.planning.forecast import MAX_HOURS, MIN_HOURS, SLOT_S, Horizon, forecast_home
from app.planning.loading import load_homes
from app.repositories.plan import plans_of


@dataclass(frozen=True, slots=True)
class ForecastSlotValue:
    start: datetime
    end: datetime
    production_wh: float
    consumption_wh: float
    import_price_per_kwh: float | None
    export_price_per_kwh: float | None


def check_hours(hours: int) -> int:
    if not MIN_HOURS <= hours <= MAX_HOURS:
        raise BadUserInput("hours", f"must be between {MIN_HOURS} and {MAX_HOURS}")
    return hours


async def home_forecast(
    session: AsyncSession, owner_id: uuid.UUID, home_id: uuid.UUID, hours: int, now: datetime
) -> list[ForecastSlotValue]:
    """The home's forecast over the next `hours` (1..48) from the quarter hour holding `now`."""
    horizon = Horizon.at(now, check_hours(hours))
    loaded = await load_homes(session, [owner_id], horizon, only=home_id)
    if not loaded.homes:
        return []
    forecast = forecast_home(loaded.homes[0], horizon)
    priced = loaded.tariffs[0] is not None
    out: list[ForecastSlotValue] = []
    for t in range(horizon.slots):
        start = horizon.instant(t)
        out.append(
            ForecastSlotValue(
                start=start,
                end=datetime.fromtimestamp(start.timestamp() + SLOT_S, start.tzinfo),
                production_wh=float(forecast.production_wh[t]),
                consumption_wh=float(forecast.consumption_wh[t]),
                import_price_per_kwh=float(loaded.import_price[0, t]) if priced else None,
                export_price_per_kwh=float(loaded.export_price[0, t]) if priced else None,
            )
        )
    return out


async def get_plan(session: AsyncSession, home_id: uuid.UUID) -> models.PlanRow | None:
    return (await plans_of(session, [home_id])).get(home_id)
