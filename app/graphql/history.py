"""Resolvers of `Query.energyHistory` and `Device.history` (shared argument handling)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import strawberry

from app.graphql.context import Info
from app.graphql.types.history import EnergyHistoryConnection, HistoryResolution
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
) -> EnergyHistoryConnection:
    """A page of the subject's history on the caller's local calendar (ownership checked by
    the caller of this function); the pages of one request are read together."""
    request = history.page_request(
        subject_id, history.Resolution(resolution.value), from_, to, first, after
    )
    page = await info.context.loaders.history_page.load(request)
    return EnergyHistoryConnection.from_page(page)
