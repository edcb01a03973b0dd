"""Benchmark the writes of the API: device creation mutations and login.

Starts PostgreSQL and Redis, bulk-loads `--users` homes (so the tables are not empty), starts one
`hems serve` process, registers one account through `registerUser` (a real argon2 hash), then
sends `--creates` device creation mutations one after another (each kind in turn, with
`--concurrency` clients) and `--logins` `loginUser` mutations. Login is slow on purpose
(argon2id): it is reported, not tuned.

    uv run python -m bench.writes --creates 2000

Prints one JSON line last (create_p50_ms, create_p99_ms, login_p50_ms, login_p99_ms, ...).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import orjson

from bench.common import (
    BIN,
    Servers,
    fleet_parser,
    free_port,
    load_fleet,
    log,
    percentile,
    run_on_servers,
    spawn,
    stop,
    wait_http,
)
from bench.http import Connection, graphql_request

USERNAME, PASSWORD = "bench-writer", "bench correct horse battery staple"

CREATES = [
    (
        "createSolarPanel",
        "mutation($i: SolarPanelInput!) { createSolarPanel(input: $i) { id createdAt } }",
        {"name": "roof", "panelAreaM2": 20.0, "maxCapacityW": 4000.0},
    ),
    (
        "createBattery",
        "mutation($i: BatteryInput!) { createBattery(input: $i) { id createdAt } }",
        {"name": "wall", "capacityWh": 13500.0, "initialLevelWh": 5000.0},
    ),
    (
        "createElectricVehicle",
        "mutation($i: ElectricVehicleInput!) { createElectricVehicle(input: $i) { id } }",
        {"name": "car", "batteryCapacityKwh": 75.0, "currentChargeKwh": 30.0},
    ),
    (
        "createAirConditioner",
        "mutation($i: AirConditionerInput!) { createAirConditioner(input: $i) { id } }",
        {"name": "ac", "ratedPowerW": 3500.0},
    ),
    (
        "createHeater",
        "mutation($i: HeaterInput!) { createHeater(input: $i) { id } }",
        {"name": "heat", "ratedPowerW": 2000.0},
    ),
    (
        "createGenerator",
        "mutation($i: GeneratorInput!) { createGenerator(input: $i) { id } }",
        {"name": "gen", "ratedPowerW": 5000.0},
    ),
]
AUTH = "mutation($u: String!, $p: String!) { %s(username: $u, password: $p) { token user { id } } }"


async def _call(conn: Connection, raw: bytes) -> tuple[float, dict[str, Any]]:
    t = time.perf_counter()
    status, body = await conn.send(raw)
    elapsed = (time.perf_counter() - t) * 1000.0
    data: dict[str, Any] = orjson.loads(body) if body else {}
    if status != 200 or data.get("errors"):
        raise RuntimeError(f"{status}: {body[:300]!r}")
    return elapsed, data


async def run(args: argparse.Namespace, srv: Servers) -> dict[str, Any]:
    await load_fleet(srv.dsn, args.users, args.devices_per_user)
    port = free_port()
    api = spawn([str(BIN / "hems"), "serve", "--host", "127.0.0.1", "--port", str(port)],
                srv.env(), "api-writes")  # fmt: skip
    try:
        await wait_http(port)
        conn = await Connection.open(port)
        variables = {"u": USERNAME, "p": PASSWORD}
        _, data = await _call(conn, graphql_request(AUTH % "registerUser", None, variables))
        token = data["data"]["registerUser"]["token"]
        requests = [graphql_request(q, token, {"i": v}) for _, q, v in CREATES]
        for raw in requests:  # warm-up: one of each kind
            await _call(conn, raw)
        conn.close()  # idle connections are closed by the server after a few seconds

        creates: list[float] = []
        per_client = args.creates // args.concurrency

        async def client(n: int) -> None:
            c = await Connection.open(port)
            for i in range(per_client):
                elapsed, _ = await _call(c, requests[(n + i) % len(requests)])
                creates.append(elapsed)
            c.close()

        t = time.perf_counter()
        await asyncio.gather(*(client(n) for n in range(args.concurrency)))
        create_s = time.perf_counter() - t
        log(f"{len(creates)} creations in {create_s:.1f} s")

        logins: list[float] = []
        login = graphql_request(AUTH % "loginUser", None, variables)
        conn = await Connection.open(port)
        for _ in range(args.logins):
            elapsed, _ = await _call(conn, login)
            logins.append(elapsed)
        conn.close()
    finally:
        stop(api)
    return {
        "bench": "writes",
        "users": args.users,
        "concurrency": args.concurrency,
        "creates": len(creates),
        "create_p50_ms": round(percentile(creates, 50), 2),
        "create_p99_ms": round(percentile(creates, 99), 2),
        "create_rps": round(len(creates) / create_s),
        "logins": len(logins),
        "login_p50_ms": round(percentile(logins, 50), 1),
        "login_p99_ms": round(percentile(logins, 99), 1),
    }


def main() -> None:
    parser = fleet_parser(__doc__, users=200)
    parser.add_argument("--creates", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--logins", type=int, default=20)
    run_on_servers(run, parser.parse_args())


if __name__ == "__main__":
    main()
