"""A HEMS account: credentials, and the location and timezone of its first home."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.auth import usernames
from app.models.base import Base, IdMixin, TimestampMixin


def _username_key(context: Any) -> str:
    return usernames.key(context.get_current_parameters()["username"])


class User(IdMixin, TimestampMixin, Base):
    __tablename__ = "user"

    username: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    #: NFKC + case folded username: unique, so "Alice" and "alice" cannot be two accounts.
    #: (A unique index rather than a constraint: SQLite adds one without rebuilding the table.)
    username_key: Mapped[str] = mapped_column(
        String(64), unique=True, index=True, nullable=False, default=_username_key
    )
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    #: Carried in every access token ("gen"); bumping it revokes every earlier token.
    token_generation: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default="0"
    )
    # Those of the user's first home (kept equal to it, see app/models/home.py): the IANA
    # timezone of the user's local calendar (energyHistory DAY/MONTH) and the home's location.
    timezone: Mapped[str] = mapped_column(String(64), nullable=False)
    latitude: Mapped[float] = mapped_column(Float, nullable=False)
    longitude: Mapped[float] = mapped_column(Float, nullable=False)

    def __repr__(self) -> str:
        return f"User(id={self.__dict__.get('id')!r}, username={self.__dict__.get('username')!r})"
