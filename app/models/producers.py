"""Devices that produce power: solar panels and generators."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import UTCDateTime
from app.models.control import GeneratorMode, control_enum
from app.models.device import Device, DeviceKind, kind_key, quantity, setting, subclass_args


class SolarPanel(Device):
    __tablename__ = "solar_panel"
    __table_args__ = (
        CheckConstraint("panel_area_m2 > 0", name="panel_area_positive"),
        CheckConstraint("efficiency > 0 AND efficiency <= 1", name="efficiency_range"),
        CheckConstraint("max_capacity_w > 0", name="max_capacity_positive"),
        CheckConstraint("latitude >= -90 AND latitude <= 90", name="latitude_range"),
        CheckConstraint("longitude >= -180 AND longitude <= 180", name="longitude_range"),
        CheckConstraint("tilt_deg >= 0 AND tilt_deg <= 90", name="tilt_range"),
        CheckConstraint("azimuth_deg >= 0 AND azimuth_deg < 360", name="azimuth_range"),
    )
    __mapper_args__ = subclass_args(DeviceKind.SOLAR_PANEL)

    id: Mapped[uuid.UUID] = kind_key()
    panel_area_m2: Mapped[float] = quantity()
    efficiency: Mapped[float] = quantity()
    max_capacity_w: Mapped[float] = quantity()
    latitude: Mapped[float] = quantity()
    longitude: Mapped[float] = quantity()
    # Created without a location of its own: the panel sits at its home's location, and follows
    # it when the home moves (updateHome) or the panel moves to another home (moveDevice).
    follows_home: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false()
    )
    # Orientation (docs/physics.md): tilt from horizontal, azimuth clockwise from north (180 =
    # facing south). A flat panel (tilt 0, the default) keeps the original horizontal model.
    tilt_deg: Mapped[float] = setting(0.0)
    azimuth_deg: Mapped[float] = setting(180.0)
    # Power temperature coefficient (1/K) of a tilted panel's cell-temperature derating.
    temperature_coefficient_per_k: Mapped[float] = setting(-0.004)


class Generator(Device):
    __tablename__ = "generator"
    __table_args__ = (CheckConstraint("rated_power_w > 0", name="rated_power_positive"),)
    __mapper_args__ = subclass_args(DeviceKind.GENERATOR)

    id: Mapped[uuid.UUID] = kind_key()
    rated_power_w: Mapped[float] = quantity()
    # Controls (app/models/control.py): ON is the original always-running generator. An AUTO
    # generator's run state is durable like a battery level: `run_started_at` is when its
    # current run began (NULL: stopped) as of the cycle at `simulated_at`.
    mode: Mapped[GeneratorMode] = mapped_column(
        control_enum(GeneratorMode, "generator_mode"),
        nullable=False,
        default=GeneratorMode.ON,
        server_default=GeneratorMode.ON.value,
    )
    auto_start_import_w: Mapped[float] = setting(0.0)
    run_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    simulated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
