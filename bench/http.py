"""A minimal keep-alive HTTP/1.1 client on asyncio streams, for load generation.

httpx costs a few hundred microseconds of client CPU per request, which on a 2-core machine
caps the measurable server throughput; this client sends pre-encoded requests and parses only
the status line and Content-Length, so the server, not the load generator, is the bottleneck.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import orjson


def request_bytes(
    method: str,
    path: str,
    *,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: bench"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def graphql_request(
    query: str, token: str | None, variables: Mapping[str, object] | None = None
) -> bytes:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = orjson.dumps({"query": query, "variables": variables or {}})
    return request_bytes("POST", "/graphql", body=body, headers=headers)


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
                break
        body = await self.reader.readexactly(length) if length else b""
        return status, body

    def close(self) -> None:
        self.writer.close()


@dataclass
class Outcome:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str | None = None
    elapsed_s: float = 0.0

    def fail(self, detail: str) -> None:
        self.errors += 1
        if self.first_error is None:
            self.first_error = detail[:300]


Check = Callable[[int, bytes], bool]


def ok_graphql(status: int, body: bytes) -> bool:
    return status == 200 and b'"errors"' not in body


def ok_plain(status: int, body: bytes) -> bool:
    return status == 200


async def closed_loop(
    port: int, requests: list[bytes], *, concurrency: int, seconds: float, check: Check
) -> Outcome:
    """`concurrency` connections, each sending its next request as soon as the last answers."""
    out = Outcome()
    conns = [await Connection.open(port) for _ in range(concurrency)]
    stop_at = time.perf_counter() + seconds

    async def client(n: int, conn: Connection) -> None:
        i = n
        while time.perf_counter() < stop_at:
            raw = requests[i % len(requests)]
            i += concurrency
            t = time.perf_counter()
            status, body = await conn.send(raw)
            out.latencies_ms.append((time.perf_counter() - t) * 1000.0)
            if not check(status, body):
                out.fail(f"{status} {body!r}")

    start = time.perf_counter()
    await asyncio.gather(*(client(n, c) for n, c in enumerate(conns)))
    out.elapsed_s = time.perf_counter() - start
    for c in conns:
        c.close()
    return out


async def open_loop(
    port: int, requests: list[bytes], *, rate: float, seconds: float, check: Check
) -> Outcome:
    """Send at a fixed schedule whatever the answers; latency counts from the scheduled instant.

    Requests go out on an idle keep-alive connection, or a new one when all are busy, so a slow
    answer never delays the next send (no coordinated omission).
    """
    out = Outcome()
    idle: list[Connection] = []
    tasks: list[asyncio.Task[None]] = []
    total = int(rate * seconds)

    async def one(raw: bytes, due: float) -> None:
        conn = idle.pop() if idle else await Connection.open(port)
        try:
            status, body = await conn.send(raw)
        except (OSError, asyncio.IncompleteReadError) as exc:
            out.fail(repr(exc))
            conn.close()
            return
        out.latencies_ms.append((time.perf_counter() - due) * 1000.0)
        if not check(status, body):
            out.fail(f"{status} {body!r}")
        idle.append(conn)

    start = time.perf_counter()
    for i in range(total):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(requests[i % len(requests)], due)))
    await asyncio.gather(*tasks)
    out.elapsed_s = time.perf_counter() - start
    for c in idle:
        c.close()
    return out
