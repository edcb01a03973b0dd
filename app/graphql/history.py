"""Resolvers of `Query.energyHistory` and `Device.history` (shared argument handling)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Unauthenticated
from app.graphql.context import Info
from app.graphql.types.history import EnergyHistoryConnection, HistoryResolution
from app.repositories.user import UserRepository
from app.services import history

From = Annotated[datetime, strawberry.argument(name="from", description="Inclusive (UTC).")]
To = Annotated[datetime, strawberry.argument(description="Exclusive (UTC).")]
First = Annotated[
    int | None,
    strawberry.argument(
        description=f"Buckets per page, 1..{history.MAX_PAGE_SIZE} "
        f"(default {history.DEFAULT_PAGE_SIZE})."
    ),
]
After = Annotated[str | None, strawberry.argument(description="endCursor of the previous page.")]


async def resolve_history(
    info: Info,
    subject_id: uuid.UUID,
    resolution: HistoryResolution,
    from_: datetime,
    to: datetime,
    first: int | None,
    after: str | None,
    *,
    home_timezone: str | None = None,
) -> EnergyHistoryConnection:
    """A page of the subject's history on the caller's local calendar (ownership checked by
    the caller of this function); with `home_timezone`, a home's totals on its calendar."""
    owner = info.context.principal.user_id
    history.validate_range(from_, to, first)

    async def load(session: AsyncSession) -> history.Page:
        user = await UserRepository(session).get(owner)
        if user is None:  # a valid token for an account that no longer exists
            raise Unauthenticated("account no longer exists")
        return await history.history_page(
            session,
            subject_id,
            home_timezone or user.timezone,
            history.Resolution(resolution.value),
            from_,
            to,
            first,
            after,
            home=home_timezone is not None,
        )

    return EnergyHistoryConnection.from_page(await info.context.db.run(load))
