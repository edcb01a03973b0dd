"""Joined-table inheritance: polymorphic and per-kind queries, eager subclass loading, indexes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import cast

import pytest
from sqlalchemy import Table, event, inspect, select

from app import models
from tests.fixtures.factories import create_device, create_home, create_user

#: Attributes only the subclass table holds, per kind.
OWN_COLUMNS = {
    kind: [
        c.key
        for c in kind.model.__mapper__.column_attrs
        if c.key not in models.Device.__mapper__.column_attrs
    ]
    for kind in models.DeviceKind
}


class _StatementCounter:
    def __init__(self, engine):
        self.engine = engine.sync_engine
        self.statements: list[str] = []

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._record)

    def _record(self, conn, cursor, statement, *args):
        self.statements.append(statement)


class TestDeviceKind:
    @pytest.mark.parametrize("kind", list(models.DeviceKind))
    def test_model_is_the_subclass_with_that_identity(self, kind):
        assert kind.model.__mapper__.polymorphic_identity == kind
        assert issubclass(kind.model, models.Device)
        assert kind.model is not models.Device

    def test_every_kind_has_its_own_table(self):
        tables = {cast(Table, kind.model.__table__).name for kind in models.DeviceKind}
        assert tables == {
            "solar_panel",
            "generator",
            "battery",
            "electric_vehicle",
            "air_conditioner",
            "heater",
            "household_load",
        }

    @pytest.mark.parametrize("kind", list(models.DeviceKind))
    def test_subclass_has_columns_of_its_own(self, kind):
        assert OWN_COLUMNS[kind]


class TestSelectDevice:
    async def test_returns_each_row_as_its_subclass(self, session):
        user, devices = await create_home(session)
        await session.commit()
        session.expunge_all()
        rows = (await session.scalars(select(models.Device))).all()
        assert {(type(r), r.id) for r in rows} == {(type(d), d.id) for d in devices}
        for row in rows:
            assert type(row) is row.kind.model

    async def test_subclass_attributes_are_loaded_without_lazy_loads(self, session):
        await create_home(session)
        await session.commit()
        session.expunge_all()
        rows = (await session.scalars(select(models.Device))).all()
        for row in rows:
            assert inspect(row).unloaded == set(), type(row).__name__
        session.expunge_all()
        for row in rows:  # detached: an unloaded attribute would raise here
            values = {key: getattr(row, key) for key in OWN_COLUMNS[row.kind]}
            assert all(key in values for key in OWN_COLUMNS[row.kind])

    async def test_subclass_values_round_trip(self, session):
        user = await create_user(session)
        await create_device(
            session, models.DeviceKind.BATTERY, user, capacity_wh=9000.0, current_level_wh=1234.5
        )
        await create_device(
            session,
            models.DeviceKind.ELECTRIC_VEHICLE,
            user,
            mode=models.EVMode.DISCHARGING,
            mode_setting=models.EVMode.DISCHARGING,
        )
        await session.commit()
        session.expunge_all()
        rows = {type(r): r for r in (await session.scalars(select(models.Device))).all()}
        session.expunge_all()
        assert (rows[models.Battery].capacity_wh, rows[models.Battery].current_level_wh) == (
            9000.0,
            1234.5,
        )
        assert rows[models.ElectricVehicle].mode is models.EVMode.DISCHARGING

    async def test_statement_count_does_not_grow_with_the_number_of_devices(self, session, engine):
        for _ in range(3):
            await create_home(session)
        await session.commit()
        session.expunge_all()
        with _StatementCounter(engine) as counter:
            rows = (await session.scalars(select(models.Device))).all()
        assert len(rows) == 3 * len(models.DeviceKind)
        # One SELECT for the base table, then one per kind present (selectin polymorphic load).
        selects = [s for s in counter.statements if s.lstrip().upper().startswith("SELECT")]
        assert len(selects) <= 1 + len(models.DeviceKind)

    async def test_created_at_order_and_owner_filter(self, session):
        alice = await create_user(session, username="alice")
        bob = await create_user(session, username="bob")
        t0 = datetime(2026, 1, 1, tzinfo=UTC)
        for minutes, owner in ((2, alice), (1, alice), (0, bob)):
            await create_device(
                session,
                models.DeviceKind.HEATER,
                owner,
                name=f"{owner.username}-{minutes}",
                created_at=t0 + timedelta(minutes=minutes),
            )
        await session.commit()
        stmt = (
            select(models.Device)
            .where(models.Device.owner_id == alice.id)
            .order_by(models.Device.created_at)
        )
        names = [d.name for d in (await session.scalars(stmt)).all()]
        assert names == ["alice-1", "alice-2"]


class TestSelectKind:
    @pytest.mark.parametrize("kind", list(models.DeviceKind))
    async def test_returns_only_that_kind(self, session, kind):
        await create_home(session)
        await create_home(session)
        await session.commit()
        session.expunge_all()
        rows = (await session.scalars(select(kind.model))).all()
        assert len(rows) == 2
        assert {type(r) for r in rows} == {kind.model}
        assert all(inspect(r).unloaded == set() for r in rows)

    async def test_filters_on_a_subclass_column(self, session):
        user = await create_user(session)
        small = await create_device(
            session, models.DeviceKind.BATTERY, user, capacity_wh=5000.0, current_level_wh=0.0
        )
        await create_device(session, models.DeviceKind.BATTERY, user, capacity_wh=20000.0)
        await session.commit()
        stmt = select(models.Battery).where(models.Battery.capacity_wh < 10000.0)
        assert [b.id for b in (await session.scalars(stmt)).all()] == [small.id]

    async def test_kind_column_is_set_from_the_class(self, session):
        user = await create_user(session)
        ev = await create_device(session, models.DeviceKind.ELECTRIC_VEHICLE, user)
        await session.commit()
        stored = await session.scalar(select(models.Device.kind).where(models.Device.id == ev.id))
        assert stored is models.DeviceKind.ELECTRIC_VEHICLE

    async def test_new_devices_are_active(self, session):
        user = await create_user(session)
        device = await create_device(session, models.DeviceKind.GENERATOR, user)
        await session.commit()
        assert device.status is models.DeviceStatus.ACTIVE


class TestDeviceIndexes:
    async def test_owner_status_index_exists(self, engine):
        async with engine.connect() as conn:
            indexes = await conn.run_sync(lambda c: inspect(c).get_indexes("device"))
        columns = {i["name"]: i["column_names"] for i in indexes}
        assert columns["ix_device_owner_id_status"] == ["owner_id", "status"]
