"""Device lists read as plain records convert to exactly what the ORM instances convert to."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import with_polymorphic

from app import models
from app.graphql.types.device import device_from_model
from app.repositories.device import DeviceRepository
from tests.fixtures.factories import create_home


async def _orm_devices(session, owner_id, kind):
    """The reference: ORM instances of the owner's devices (every kind joined), oldest first."""
    model = with_polymorphic(models.Device, "*") if kind is None else kind.model
    stmt = select(model).where(model.owner_id == owner_id)
    return (await session.scalars(stmt.order_by(models.Device.created_at, models.Device.id))).all()


@pytest.mark.parametrize("kind", [None, *models.DeviceKind])
async def test_records_match_orm_instances(any_api, kind):
    async with any_api.state.sessionmaker() as session:
        owner, owned = await create_home(session, username="ada")
        other, others = await create_home(session, username="bob")
        await session.commit()
    async with any_api.state.sessionmaker() as session:
        repo = DeviceRepository(session)
        orm = [device_from_model(d) for d in await _orm_devices(session, owner.id, kind)]
        records = await repo.records_for_owner(owner.id, kind)
        other_records = await repo.records_for_owner(other.id, kind)
    assert [device_from_model(r) for r in records] == orm
    assert len(orm) == (len(models.DeviceKind) if kind is None else 1)
    # Both homes have a device of every kind: each owner gets exactly their own.
    wanted = {d.id for d in owned if kind is None or d.kind == kind}
    assert {r.id for r in records} == wanted
    assert {r.id for r in other_records} == {d.id for d in others if kind is None or d.kind == kind}
    assert not {r.id for r in records} & {d.id for d in others}
