"""Tariffs: validated price rules per home and the price in force at any instant (pure).

No database, Redis or wall clock: instants come in as arguments. See docs/tariffs.md.
"""

from app.tariffs.book import HomeTariff, IntervalPrices, PriceBook, SlotColumns
from app.tariffs.cost import (
    cost_of,
    cost_rate_per_hour,
    fixed_charges,
    local_day_bounds,
    local_day_start,
)
from app.tariffs.errors import FieldError, TariffInputError
from app.tariffs.model import (
    MAX_ABS_PRICE,
    MAX_PRICE_RANGE,
    MAX_SLOTS_PER_UPLOAD,
    MAX_WINDOWS,
    SLOT,
    PricedSlot,
    PriceSlot,
    SlotInput,
    Tariff,
    TariffInput,
    TariffKind,
    Weekday,
    Window,
    WindowInput,
)
from app.tariffs.schedule import price_at, prices, week_schedule
from app.tariffs.validation import validate_range, validate_tariff, validate_upload

__all__ = [
    "MAX_ABS_PRICE",
    "MAX_PRICE_RANGE",
    "MAX_SLOTS_PER_UPLOAD",
    "MAX_WINDOWS",
    "SLOT",
    "FieldError",
    "HomeTariff",
    "IntervalPrices",
    "PriceBook",
    "PriceSlot",
    "PricedSlot",
    "SlotColumns",
    "SlotInput",
    "Tariff",
    "TariffInput",
    "TariffInputError",
    "TariffKind",
    "Weekday",
    "Window",
    "WindowInput",
    "cost_of",
    "cost_rate_per_hour",
    "fixed_charges",
    "local_day_bounds",
    "local_day_start",
    "price_at",
    "prices",
    "validate_range",
    "validate_tariff",
    "validate_upload",
    "week_schedule",
]
