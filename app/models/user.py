"""A HEMS account: credentials, and the location and timezone of its first home."""

from __future__ import annotations

from sqlalchemy import Float, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, IdMixin, TimestampMixin


class User(IdMixin, TimestampMixin, Base):
    __tablename__ = "user"

    username: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    # Those of the user's first home (kept equal to it, see app/models/home.py): the IANA
    # timezone of the user's local calendar (energyHistory DAY/MONTH) and the home's location.
    timezone: Mapped[str] = mapped_column(String(64), nullable=False)
    latitude: Mapped[float] = mapped_column(Float, nullable=False)
    longitude: Mapped[float] = mapped_column(Float, nullable=False)

    def __repr__(self) -> str:
        return f"User(id={self.__dict__.get('id')!r}, username={self.__dict__.get('username')!r})"
