"""A home's tariff (at most one per home) and its uploaded DYNAMIC price slots.

The rules live in `app.tariffs` (pure); these tables only store what `setTariff` and
`uploadPrices` validated. `tariff.windows` is the TIME_OF_USE windows as JSON
(`[{"days": [0, 5], "start": 420, "end": 540, "import": 0.3, "export": 0.1}, ...]`, minutes of
the local day, weekday numbers Monday = 0). Both tables go with their home (ON DELETE CASCADE).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, TimestampMixin, UTCDateTime


class TariffRow(TimestampMixin, Base):
    __tablename__ = "tariff"

    home_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("home.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    daily_fixed_charge: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    import_price_per_kwh: Mapped[float | None] = mapped_column(Float, nullable=True)
    export_price_per_kwh: Mapped[float | None] = mapped_column(Float, nullable=True)
    windows: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)


class PriceSlotRow(Base):
    __tablename__ = "price_slot"

    home_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("home.id", ondelete="CASCADE"), primary_key=True
    )
    start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    import_price_per_kwh: Mapped[float] = mapped_column("import", Float, nullable=False)
    export_price_per_kwh: Mapped[float | None] = mapped_column("export", Float, nullable=True)


__all__ = ["PriceSlotRow", "TariffRow"]
