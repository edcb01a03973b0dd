"""Every model, imported here so mapper configuration and Alembic autogenerate see them all."""

from app.models.base import Base, utcnow
from app.models.control import BatteryMode, DeviceEvent, EVChargeMode, GeneratorMode
from app.models.device import Device, DeviceKind, DeviceStatus
from app.models.history import (
    EnergyDay,
    EnergyHour,
    EnergyMinute,
    EnergyQuarterHour,
    HistoryRollup,
    HomeEnergyDay,
    HomeEnergyHour,
    HomeEnergyMinute,
)
from app.models.home import Home
from app.models.loads import AirConditioner, Heater, HouseholdLoad
from app.models.plan import PlanRow
from app.models.producers import Generator, SolarPanel
from app.models.storage import Battery, ElectricVehicle, EVMode
from app.models.tariff import PriceSlotRow, TariffRow
from app.models.tokens import RefreshToken, TokenRevocation
from app.models.user import User

__all__ = [
    "AirConditioner",
    "Base",
    "Battery",
    "BatteryMode",
    "Device",
    "DeviceEvent",
    "DeviceKind",
    "DeviceStatus",
    "EVChargeMode",
    "EVMode",
    "ElectricVehicle",
    "EnergyDay",
    "EnergyHour",
    "EnergyMinute",
    "EnergyQuarterHour",
    "Generator",
    "GeneratorMode",
    "Heater",
    "HistoryRollup",
    "Home",
    "HomeEnergyDay",
    "HomeEnergyHour",
    "HomeEnergyMinute",
    "HouseholdLoad",
    "PlanRow",
    "PriceSlotRow",
    "RefreshToken",
    "SolarPanel",
    "TariffRow",
    "TokenRevocation",
    "User",
    "utcnow",
]
