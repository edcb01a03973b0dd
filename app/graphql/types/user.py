"""Users and authentication payloads."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app import models
from app.graphql.types.convert import from_attributes


@strawberry.type(name="User")
class User:
    id: strawberry.ID
    username: str
    timezone: str = strawberry.field(description="The home's IANA timezone.")
    latitude: float = strawberry.field(description="The home's latitude (degrees).")
    longitude: float = strawberry.field(description="The home's longitude (degrees).")

    @classmethod
    def from_model(cls, m: models.User) -> User:
        converted: User = from_attributes(cls, m, id=strawberry.ID(str(m.id)))
        return converted


@strawberry.type(name="AuthPayload")
class AuthPayload:
    token: str = strawberry.field(description="Access token (HS256 JWT), valid until expiresAt.")
    expires_at: datetime
    user: User
    refresh_token: str = strawberry.field(
        description="Opaque, single use: trade it in `refreshToken` for a new pair before "
        "refreshExpiresAt. Using one twice revokes every token rotated from it."
    )
    refresh_expires_at: datetime
