"""Device lists read as plain records convert to exactly what the ORM instances convert to."""

from __future__ import annotations

import pytest

from app import models
from app.graphql.types.device import device_from_model
from app.repositories.device import DeviceRepository
from tests.fixtures.factories import create_home


@pytest.mark.parametrize("kind", [None, *models.DeviceKind])
async def test_records_match_orm_instances(any_api, kind):
    async with any_api.state.sessionmaker() as session:
        owner, _ = await create_home(session, username="ada")
        other, _ = await create_home(session, username="bob")
        await session.commit()
    async with any_api.state.sessionmaker() as session:
        repo = DeviceRepository(session)
        orm = [device_from_model(d) for d in await repo.list_for_owner(owner.id, kind)]
        records = await repo.records_for_owner(owner.id, kind)
    assert [device_from_model(r) for r in records] == orm
    assert len(orm) == (len(models.DeviceKind) if kind is None else 1)
    assert all(r.owner_id == owner.id for r in records)
    assert other.id != owner.id
