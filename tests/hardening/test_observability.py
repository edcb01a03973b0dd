"""Ops signals: Prometheus metrics (API, fleet, worker), JSON logs with ids, readiness."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import time_machine
from arq.connections import RedisSettings
from arq.constants import default_queue_name
from arq.worker import Worker
from prometheus_client.parser import text_string_to_metric_families

from app.api import ready
from app.live import keys
from app.main import build_state, close_state
from app.repositories.device import DeviceRepository
from tests.fixtures.app import _api, make_settings
from tests.fixtures.factories import create_home
from workers import hooks
from workers.context import WorkerContext
from workers.jobs.simulate import run_energy_simulation
from workers.settings import build_worker_settings

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(text: str) -> Samples:
    out: Samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


async def scrape(api) -> Samples:
    response = await api.client.get("/metrics")
    assert response.status_code == 200
    return samples(response.text)


def _logs(stream) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


class TestMetricsToken:
    TOKEN = "scrape-" + "s" * 24

    async def test_with_a_token_only_its_bearer_is_answered(self, sqlite_url):
        state = await build_state(make_settings(DATABASE_URL=sqlite_url, METRICS_TOKEN=self.TOKEN))
        try:
            async for api in _api(state):
                for headers in (
                    {},
                    {"authorization": "Bearer wrong"},
                    {"authorization": self.TOKEN},
                ):
                    refused = await api.client.get("/metrics", headers=headers)
                    assert refused.status_code == 401, headers
                    assert "hems_" not in refused.text
                ok = await api.client.get(
                    "/metrics", headers={"authorization": f"Bearer {self.TOKEN}"}
                )
                assert ok.status_code == 200
                assert "hems_graphql_requests_total" in ok.text
        finally:
            await close_state(state)

    def test_a_short_token_is_refused_at_start(self):
        with pytest.raises(ValueError, match="METRICS_TOKEN"):
            make_settings(METRICS_TOKEN="short")


class TestApiMetrics:
    async def test_requests_are_counted_by_operation_and_outcome(self, api):
        token = await api.register("alice")
        ok_key = (
            "hems_graphql_requests_total",
            (("operation", "MyDevices"), ("outcome", "ok")),
        )
        rejected_key = (
            "hems_graphql_requests_total",
            (("operation", "TooMuch"), ("outcome", "rejected")),
        )
        before = await scrape(api)
        for _ in range(3):
            await api.gql("query MyDevices { devices { id } }", token=token)
        too_much = "query TooMuch { " + " ".join(
            f"d{i}: devices {{ id name kind }}" for i in range(20)
        )
        await api.gql(too_much + " }", token=token)
        after = await scrape(api)
        assert after[ok_key] - before.get(ok_key, 0) == 3
        assert after[rejected_key] - before.get(rejected_key, 0) == 1
        latency = ("hems_graphql_request_duration_seconds_count", (("operation", "MyDevices"),))
        assert after[latency] - before.get(latency, 0) == 3
        status = ("hems_http_requests_total", (("route", "/graphql"), ("status", "200")))
        assert after[status] - before.get(status, 0) >= 4

    async def test_fleet_gauges_come_from_redis(self, api, redis):
        last = int(time.time()) - 120
        progress = keys.cycle_progress_key(last)
        await redis.set(keys.last_complete_cycle_key(), last)
        await redis.hset(
            progress,
            mapping={"started_at": last + 1, "completed_at": last + 4.5, "devices": 1234},
        )
        await redis.zadd(default_queue_name, {"job-a": 1, "job-b": 2, "job-c": 3})
        values = await scrape(api)
        assert values[("hems_queue_depth", ())] == 3
        assert values[("hems_cycle_lag_seconds", ())] >= 120
        assert values[("hems_last_cycle_duration_seconds", ())] == 3.5
        assert values[("hems_last_cycle_devices", ())] == 1234
        assert values[("hems_live_store_up", ())] == 1


class TestWorkerMetrics:
    async def test_a_worker_serves_its_own_counts(
        self, database_url, redis_url, db_session, sessionmaker, redis, arq_pool, json_logs
    ):
        for _ in range(3):
            await create_home(db_session)
        await db_session.commit()
        settings = make_settings(
            DATABASE_URL=database_url, REDIS_URL=redis_url, WORKER_METRICS_PORT=0
        )
        kwargs = build_worker_settings(settings)
        cycle = datetime.now(UTC).replace(microsecond=0)
        worker = Worker(
            functions=kwargs["functions"],
            on_startup=kwargs["on_startup"],
            on_shutdown=kwargs["on_shutdown"],
            on_job_start=kwargs["on_job_start"],
            on_job_end=kwargs["on_job_end"],
            redis_settings=RedisSettings.from_dsn(redis_url),
            burst=True,
            poll_delay=0.01,
            handle_signals=False,
        )
        with time_machine.travel(cycle + timedelta(seconds=1), tick=True):
            ctx: WorkerContext = {
                "settings": settings,
                "redis": arq_pool,
                "sessionmaker": sessionmaker,
            }
            await run_energy_simulation(ctx, cycle_at=cycle)
            try:
                await worker.main()
            finally:
                await worker.close()
        assert hooks._metrics_port is not None
        async with httpx.AsyncClient() as client:
            port_scrape = await client.get(f"http://127.0.0.1:{hooks._metrics_port}/metrics")
        values = samples(port_scrape.text)
        assert values[("hems_devices_simulated_total", ())] >= 18
        assert values[("hems_cycles_completed_total", ())] >= 1
        assert values[("hems_cycle_duration_seconds_count", ())] >= 1
        ok = ("hems_worker_jobs_total", (("function", "simulate_user_batch"), ("outcome", "ok")))
        assert values[ok] >= 1
        # The batch that finished the cycle logged it under its job id.
        (done,) = [r for r in _logs(json_logs) if r["event"] == "cycle complete"]
        assert done["job_id"].startswith(f"sim:{int(cycle.timestamp())}:")


class TestLogs:
    async def test_each_request_is_logged_once_with_its_id(self, api, json_logs):
        response = await api.client.post(
            "/graphql", json={"query": "{ __typename }"}, headers={"x-request-id": "req-abc.123"}
        )
        assert response.headers["x-request-id"] == "req-abc.123"
        generated = await api.client.get("/livez")
        assert len(generated.headers["x-request-id"]) == 32
        lines = [r for r in _logs(json_logs) if r["event"] == "request"]
        mine = [r for r in lines if r.get("request_id") == "req-abc.123"]
        assert len(mine) == 1
        assert mine[0]["route"] == "/graphql"
        assert mine[0]["status"] == 200
        assert mine[0]["level"] == "info"

    async def test_a_hostile_request_id_is_replaced(self, api):
        response = await api.client.get("/livez", headers={"x-request-id": "a\nb" + "x" * 100})
        assert response.headers["x-request-id"] != "a\nb" + "x" * 100

    async def test_an_unexpected_error_is_logged_with_its_request_id(
        self, api, json_logs, monkeypatch
    ):
        async def explode(self, *args, **kwargs):
            raise RuntimeError("disk on fire")

        monkeypatch.setattr(DeviceRepository, "records_for_owner", explode)
        token = await api.register("alice")
        response = await api.client.post(
            "/graphql",
            json={"query": "{ devices { id } }"},
            headers={"Authorization": f"Bearer {token}", "x-request-id": "req-boom"},
        )
        assert "disk on fire" not in response.text
        errors = [r for r in _logs(json_logs) if r["level"] == "error"]
        assert errors
        assert errors[0]["request_id"] == "req-boom"
        assert "disk on fire" in errors[0]["exception"]


class TestReadiness:
    async def test_ready_when_schema_is_current_and_stores_answer(self, api):
        response = await api.client.get("/readyz")
        assert response.status_code == 200
        assert response.json() == {"status": "ready", "database": "ok", "live_store": "ok"}

    async def test_not_ready_on_an_unmigrated_database_while_healthz_stays_ok(
        self, api, monkeypatch
    ):
        monkeypatch.setattr(ready, "expected_heads", lambda: frozenset({"a-newer-revision"}))
        response = await api.client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["database"] == "outdated"
        assert (await api.client.get("/healthz")).status_code == 200
        assert (await api.client.get("/livez")).status_code == 200


class TestEmbedded:
    async def test_metrics_and_readiness_without_redis(self, api_sqlite):
        assert (await api_sqlite.client.get("/readyz")).json() == {
            "status": "ready",
            "database": "ok",
            "live_store": "ok",
        }
        await api_sqlite.gql("query Ping { __typename }")
        values = await scrape(api_sqlite)
        assert values[("hems_graphql_requests_total", (("operation", "Ping"), ("outcome", "ok")))]
