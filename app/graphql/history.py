"""Resolvers of `Query.energyHistory` and `Device.history` (shared argument handling)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

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
    *,
    home_timezone: str | None = None,
    device: bool = False,
) -> EnergyHistoryConnection:
    """A page of the subject's history on the caller's local calendar (ownership checked by
    the caller of this function); with `home_timezone`, a home's totals on its calendar. The
    pages of one request are read together."""
    request = history.page_request(
        subject_id,
        history.Resolution(resolution.value),
        from_,
        to,
        first,
        after,
        home_timezone=home_timezone,
        device=device,
        device_minute=info.context.settings.HISTORY_DEVICE_MINUTE,
    )
    page = await info.context.loaders.history_page.load(request)
    return EnergyHistoryConnection.from_page(page)


def history_field(
    subject: Callable[[Any, Info], uuid.UUID],
    home_timezone: Callable[[Any], str] | None = None,
    *,
    device: bool = False,
    **field: Any,
) -> Any:
    """A history connection field (`energyHistory`, `Device.history`, `Home.energyHistory`):
    one argument list, the subject (a user, a device, a home) given by `subject(root, info)`;
    for a home, `home_timezone(root)` is its calendar; `device`: a device's history (its
    MINUTE resolution needs HISTORY_DEVICE_MINUTE); `field`: strawberry.field's."""

    async def resolve(
        root: Any,
        info: Info,
        resolution: HistoryResolution,
        from_: From,
        to: To,
        first: First = None,
        after: After = None,
    ) -> EnergyHistoryConnection:
        subject_id = subject(root, info)
        tz = None if home_timezone is None else home_timezone(root)
        return await resolve_history(
            info, subject_id, resolution, from_, to, first, after, home_timezone=tz, device=device
        )

    return strawberry.field(resolver=resolve, **field)
