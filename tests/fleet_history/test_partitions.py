"""PostgreSQL day partitions: created ahead by the maintenance, dropped whole at retention."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from app.pipeline.history import prune_history
from app.repositories import partitions as p

NOW = datetime(2030, 6, 15, 12, 0, tzinfo=UTC)


async def names(sessionmaker, table):
    async with sessionmaker() as s:
        return {r[0] for r in (await s.execute(text(p.LIST_SQL), {"table": table})).all()}


async def count(sessionmaker, table, day=None):
    where = ""
    if day is not None:
        lo, hi = p.day_bounds(day)
        where = f" WHERE bucket_start >= '{lo.isoformat()}' AND bucket_start < '{hi.isoformat()}'"
    async with sessionmaker() as s:
        return (await s.execute(text(f"SELECT count(*) FROM {table}{where}"))).scalar()


async def insert_quarter(sessionmaker, at):
    async with sessionmaker() as s:
        await s.execute(
            text("INSERT INTO energy_quarter_hour VALUES (:s, :b, :u, 1, 0, 0, 0)"),
            {"s": uuid.uuid4(), "b": at, "u": uuid.uuid4()},
        )
        await s.commit()


class TestPartitions:
    async def test_maintenance_creates_ahead_and_drops_expired_days(self, sessionmaker, caplog):
        caplog.set_level(logging.INFO, logger="hems.history")
        await prune_history(sessionmaker, now=NOW, retention_days=7, quarter_retention_days=2)
        today = NOW.date()
        for table in p.PARTITIONED:
            have = await names(sessionmaker, table)
            assert p.default_name(table) in have
            for day in p.days(today - timedelta(days=1), today + timedelta(days=p.AHEAD_DAYS)):
                assert p.partition_name(table, day) in have
        # Rows of yesterday land in its partition; three days later that partition goes whole.
        yesterday = NOW - timedelta(days=1)
        for n in range(5):
            await insert_quarter(sessionmaker, yesterday + timedelta(minutes=15 * n))
        await insert_quarter(sessionmaker, datetime(2030, 1, 1, tzinfo=UTC))  # DEFAULT
        assert await count(sessionmaker, "energy_quarter_hour") == 6
        later = NOW + timedelta(days=3)
        await prune_history(sessionmaker, now=later, retention_days=7, quarter_retention_days=2)
        have = await names(sessionmaker, "energy_quarter_hour")
        assert p.partition_name("energy_quarter_hour", yesterday.date()) not in have
        assert p.partition_name("energy_quarter_hour", later.date()) in have
        assert await count(sessionmaker, "energy_quarter_hour") == 0
        assert any(r.getMessage() == "history partitions" for r in caplog.records)
        # The minute tables keep 7 days: yesterday's partition is still there.
        assert p.partition_name("energy_minute", yesterday.date()) in await names(
            sessionmaker, "energy_minute"
        )

    async def test_a_drop_behind_a_busy_table_gives_up_and_drops_at_the_next_run(
        self, sessionmaker, caplog
    ):
        """A reader holds the parent table (its transaction open): the drop waits at most its
        lock timeout, keeps the partition, leaves nothing queued in front of the cycle's
        writes, and the next run, once the reader is done, drops it."""
        caplog.set_level(logging.WARNING, logger="hems.history")
        day = (NOW - timedelta(days=10)).date()
        async with sessionmaker() as s:
            await s.execute(text(p.create_sql("energy_minute", day)))
            await s.commit()
        name = p.partition_name("energy_minute", day)
        async with sessionmaker() as reader:
            await reader.execute(text("SELECT count(*) FROM energy_minute"))
            async with sessionmaker() as s:
                assert await p.drop_expired(s, "energy_minute", NOW, lock_timeout_ms=50) == []
            assert name in await names(sessionmaker, "energy_minute")
            assert any("postponed" in r.getMessage() for r in caplog.records)
            # No drop is left waiting for the lock: a cycle's insert goes through at once.
            async with sessionmaker() as s:
                await asyncio.wait_for(
                    s.execute(
                        text(
                            "INSERT INTO energy_minute (subject_id, bucket_start, user_id, "
                            "produced_wh, consumed_wh, charged_wh, discharged_wh, imported_wh, "
                            "exported_wh) VALUES (:s, :b, :s, 1, 0, 0, 0, 0, 0)"
                        ),
                        {"s": uuid.uuid4(), "b": NOW},
                    ),
                    timeout=10,
                )
                await s.commit()
        async with sessionmaker() as s:
            assert day in await p.drop_expired(s, "energy_minute", NOW, lock_timeout_ms=50)
        assert name not in await names(sessionmaker, "energy_minute")

    async def test_a_day_detached_by_an_interrupted_drop_is_dropped_by_the_next_run(
        self, sessionmaker
    ):
        """A drop detaches the partition, then drops it: a run stopped in between leaves a
        table that is no partition any more; the next run finds and drops it."""
        day = (NOW - timedelta(days=12)).date()
        name = p.partition_name("energy_quarter_hour", day)
        async with sessionmaker() as s:
            await s.execute(text(p.create_sql("energy_quarter_hour", day)))
            await s.execute(
                text(
                    f"ALTER TABLE energy_quarter_hour DETACH PARTITION {p.PARTITION_SCHEMA}.{name}"
                )
            )
            await s.commit()
        assert name not in await names(sessionmaker, "energy_quarter_hour")
        async with sessionmaker() as s:
            assert day in await p.drop_expired(s, "energy_quarter_hour", NOW)
            still = await s.execute(
                text("SELECT to_regclass(:n)"), {"n": f"{p.PARTITION_SCHEMA}.{name}"}
            )
            assert still.scalar() is None
            # A day not yet expired is left alone, detached or not.
            assert await p.drop_expired(s, "energy_quarter_hour", NOW - timedelta(days=30)) == []

    async def test_a_day_already_in_default_keeps_its_rows_there(self, sessionmaker):
        day = datetime(2031, 2, 1, 6, 0, tzinfo=UTC)
        await insert_quarter(sessionmaker, day)
        await prune_history(sessionmaker, now=day, retention_days=7, quarter_retention_days=35)
        have = await names(sessionmaker, "energy_quarter_hour")
        assert p.partition_name("energy_quarter_hour", day.date()) not in have
        assert p.partition_name("energy_quarter_hour", day.date() + timedelta(days=1)) in have
        assert await count(sessionmaker, "energy_quarter_hour", day.date()) == 1

    async def test_finished_quarter_days_are_compacted_once_keeping_their_rows(self, sessionmaker):
        day = (NOW - timedelta(days=3)).date()
        async with sessionmaker() as s:
            await s.execute(text(p.create_sql("energy_quarter_hour", day)))
            await s.commit()
        for n in range(4):
            await insert_quarter(sessionmaker, p.day_bounds(day)[0] + timedelta(minutes=15 * n))
        name = p.partition_name("energy_quarter_hour", day)
        options = f"SELECT reloptions FROM pg_class WHERE relname = '{name}'"
        async with sessionmaker() as s:
            assert (await s.execute(text(options))).scalar() == ["fillfactor=50"]
        await prune_history(sessionmaker, now=NOW, retention_days=7, quarter_retention_days=35)
        async with sessionmaker() as s:
            assert (await s.execute(text(options))).scalar() == ["fillfactor=100"]
        assert await count(sessionmaker, "energy_quarter_hour", day) == 4
        # Yesterday's partition (still written by late cycles) keeps its free space.
        yesterday = p.partition_name("energy_quarter_hour", (NOW - timedelta(days=1)).date())
        async with sessionmaker() as s:
            found = await s.execute(
                text(f"SELECT reloptions FROM pg_class WHERE relname = '{yesterday}'")
            )
            assert found.scalar() == ["fillfactor=50"]

    async def test_finished_minute_days_get_their_indexes_rebuilt_full_once(self, sessionmaker):
        day = (NOW - timedelta(days=3)).date()
        async with sessionmaker() as s:
            await s.execute(text(p.create_sql("energy_minute", day)))
            for n in range(30):
                user = uuid.uuid4()
                await s.execute(
                    text(
                        "INSERT INTO energy_minute (subject_id, bucket_start, user_id, "
                        "produced_wh, consumed_wh, charged_wh, discharged_wh, imported_wh, "
                        "exported_wh) VALUES (:s, :b, :s, 1, 0, 0, 0, 0, 0)"
                    ),
                    {"s": user, "b": p.day_bounds(day)[0] + timedelta(minutes=n)},
                )
            await s.commit()
        name = p.partition_name("energy_minute", day)
        options = (
            "SELECT i.relname, i.reloptions FROM pg_index x JOIN pg_class i ON i.oid = "
            f"x.indexrelid JOIN pg_class t ON t.oid = x.indrelid WHERE t.relname = '{name}'"
        )
        async with sessionmaker() as s:
            before = dict((await s.execute(text(options))).all())
        assert len(before) == 2  # the key and the owner's
        assert set(before.values()) == {None}
        compacted = await p.compact_days(sessionmaker.kw["bind"], NOW)
        assert compacted["energy_minute"] == [day]
        async with sessionmaker() as s:
            after = dict((await s.execute(text(options))).all())
        assert set(map(tuple, after.values())) == {("fillfactor=100",)}
        assert await count(sessionmaker, "energy_minute", day) == 30
        # Once: the next maintenance leaves it alone.
        assert "energy_minute" not in await p.compact_days(sessionmaker.kw["bind"], NOW)
