"""Each home's latest plan (one row per home, replaced on every re-plan).

`slots` is the plan as JSON, one list per 15-minute slot from `start`:
`[battery_flow_w, ev_flow_w, grid_flow_w, battery_soc_percent | null, ev_soc_percent | null]`
(flows > 0 charging / importing). A row per slot would be 192 rows per home rewritten every hour:
the plan is read and written whole, so one JSON value is the cheaper shape. `fingerprint` is a
hash of what the plan was computed from (devices, tariff, prices, horizon start): the re-planner
compares it to skip homes whose inputs did not change. The plan goes with its home.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime


class PlanRow(Base):
    __tablename__ = "plan"

    home_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("home.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    start: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    end: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    expected_cost: Mapped[float] = mapped_column(Float, nullable=False)
    baseline_cost: Mapped[float] = mapped_column(Float, nullable=False)
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    target_missed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    slots: Mapped[list[list[Any]]] = mapped_column(JSON, nullable=False, default=list)


__all__ = ["PlanRow"]
