"""User queries."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app import models
from app.auth import usernames


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: uuid.UUID) -> models.User | None:
        return await self.session.get(models.User, user_id)

    async def get_by_username(self, username: str) -> models.User | None:
        """The account of this username, whatever its case or Unicode form."""
        stmt = select(models.User).where(models.User.username_key == usernames.key(username))
        return (await self.session.scalars(stmt)).one_or_none()

    def add(self, user: models.User) -> None:
        self.session.add(user)
