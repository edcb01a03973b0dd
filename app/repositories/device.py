"""Device queries; every lookup is scoped to its owner so foreign ids look like missing ones."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Column, FromClause, bindparam, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import models


class DeviceRecord(SimpleNamespace):
    """One device as plain attributes named like the model's (its kind's columns), no ORM state.

    For reading lists: SQLAlchemy's ORM spent ~50 us per polymorphic device building instances
    (identity map, instance state, per-kind population), more than the rest of a `devices`
    request. Attributes: every column attribute of the device's mapped class.
    """

    id: uuid.UUID
    kind: models.DeviceKind


def _record_layout() -> tuple[list[Column[Any]], FromClause, dict[str, list[tuple[str, int]]]]:
    """Columns to select, the `device LEFT OUTER JOIN <kind tables>` and, per kind, which
    attribute each selected position fills."""
    base = inspect(models.Device)
    columns: list[Column[Any]] = []

    def position(column: Any) -> int:
        columns.append(column)
        return len(columns) - 1

    base_fields = [(prop.key, position(prop.columns[0])) for prop in base.column_attrs]
    joined: FromClause = base.local_table
    fields: dict[str, list[tuple[str, int]]] = {}
    for mapper in base.self_and_descendants:
        if mapper is base:
            continue
        table = mapper.local_table
        joined = joined.outerjoin(table, mapper.inherit_condition)
        own = [
            (prop.key, position(prop.columns[0]))
            for prop in mapper.column_attrs
            if prop.key not in base.column_attrs and prop.columns[0].table is table
        ]
        fields[str(mapper.polymorphic_identity)] = base_fields + own
    return columns, joined, fields


_COLUMNS, _JOINED, _FIELDS = _record_layout()
_DEVICE = inspect(models.Device).local_table
_ORDER = (_DEVICE.c.created_at, _DEVICE.c.id)


def _scoped(scope: Any, parameter: str) -> Any:
    """Every device record of one owner or home, oldest first (one joined statement)."""
    return (
        select(*_COLUMNS)
        .select_from(_JOINED)
        .where(scope == bindparam(parameter))
        .order_by(*_ORDER)
    )


_RECORDS = _scoped(_DEVICE.c.owner_id, "owner")
_RECORDS_OF_KIND = _RECORDS.where(_DEVICE.c.kind == bindparam("kind"))
_HOME_RECORDS = _scoped(_DEVICE.c.home_id, "home")
_HOME_RECORDS_OF_KIND = _HOME_RECORDS.where(_DEVICE.c.kind == bindparam("kind"))
_KIND = next(i for i, c in enumerate(_COLUMNS) if c is _DEVICE.c.kind)


class DeviceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def ids_for_owner(self, owner_id: uuid.UUID) -> list[uuid.UUID]:
        """The owner's device ids, oldest first (one indexed SELECT, no kind tables)."""
        stmt = select(_DEVICE.c.id).where(_DEVICE.c.owner_id == owner_id).order_by(*_ORDER)
        return list((await self.session.scalars(stmt)).all())

    async def records_for_owner(
        self, owner_id: uuid.UUID, kind: models.DeviceKind | None = None
    ) -> list[DeviceRecord]:
        """The owner's devices as plain records, oldest first, in one SELECT (no ORM objects)."""
        if kind is None:
            result = await self.session.execute(_RECORDS, {"owner": owner_id})
        else:
            result = await self.session.execute(_RECORDS_OF_KIND, {"owner": owner_id, "kind": kind})
        return _records(result.all())

    async def records_for_home(
        self, home_id: uuid.UUID, kind: models.DeviceKind | None = None
    ) -> list[DeviceRecord]:
        """One home's devices as plain records, oldest first (the caller checked the home)."""
        if kind is None:
            result = await self.session.execute(_HOME_RECORDS, {"home": home_id})
        else:
            result = await self.session.execute(
                _HOME_RECORDS_OF_KIND, {"home": home_id, "kind": kind}
            )
        return _records(result.all())

    async def get_for_owner(
        self, device_id: uuid.UUID, owner_id: uuid.UUID
    ) -> models.Device | None:
        stmt = select(models.Device).where(
            models.Device.id == device_id, models.Device.owner_id == owner_id
        )
        return (await self.session.scalars(stmt)).one_or_none()

    def add(self, device: models.Device) -> None:
        self.session.add(device)

    async def delete(self, device: models.Device) -> None:
        await self.session.delete(device)


def _records(rows: Sequence[Any]) -> list[DeviceRecord]:
    records = []
    for row in rows:
        fields = _FIELDS[row[_KIND]]
        records.append(DeviceRecord(**{name: row[i] for name, i in fields}))
    return records
