"""Refresh tokens (stored as hashes only) and the log of access-token revocations."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, IdMixin, UTCDateTime


class RefreshToken(IdMixin, Base):
    """One refresh token: single use; rotating it issues the next one of the same family."""

    __tablename__ = "refresh_token"
    __table_args__ = (Index("ix_refresh_token_user_id", "user_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), nullable=False
    )
    #: SHA-256 (hex) of the opaque token; the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    #: Every token rotated from one login shares it; reuse of a used token revokes the family.
    family_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(255), nullable=True)


class TokenRevocation(Base):
    """The newest token generation of a user whose earlier access tokens were revoked.

    Written with each bump (password change, logout everywhere, account deletion) and kept
    without a foreign key, so it outlives a deleted account: an API process that starts later
    loads the rows younger than the access-token lifetime and rejects the tokens they revoke.
    """

    __tablename__ = "token_revocation"

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, nullable=False)
    revoked_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
