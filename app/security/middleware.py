"""Pure ASGI middleware: request ids and access logs, security headers, deadlines, body limits.

Pure ASGI (not BaseHTTPMiddleware) so the request's context variables reach the resolvers and
nothing is copied into another task. Every refusal is a GraphQL-shaped JSON body
(`{"data": null, "errors": [{"message", "extensions": {"code"}}]}`) with a meaningful status,
so clients handle it like any other GraphQL error and nothing surfaces as a 500.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

from app.api import metrics
from app.config import Settings
from app.observability import request_id_var
from app.services import rate_limit

logger = logging.getLogger("hems.http")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_ROUTES = frozenset({"/graphql", "/healthz", "/readyz", "/livez", "/metrics"})
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def route_label(path: str) -> str:
    """A bounded label for a path (anything unknown is "other")."""
    path = path.rstrip("/") or "/"
    return path if path in _ROUTES else "other"


async def send_graphql_error(
    send: Send,
    status: int,
    code: str,
    message: str,
    headers: tuple[tuple[bytes, bytes], ...] = (),
) -> None:
    """Answer with a GraphQL error body (`extensions.code`) and the given HTTP status."""
    body = orjson.dumps(
        {"data": None, "errors": [{"message": message, "extensions": {"code": code}}]}
    )
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RequestContextMiddleware:
    """Give each request an id (`X-Request-ID`, echoed back), log it once, count it.

    Also binds what login rate limiting needs (the limiter and the client address) for the
    resolvers below; see `app.services.rate_limit`.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        given = _header(scope, b"x-request-id")
        request_id = given if given and _REQUEST_ID.match(given) else uuid.uuid4().hex
        client = scope.get("client")
        tokens = (
            request_id_var.set(request_id),
            rate_limit.bind(scope.get("app"), client[0] if client else None),
        )
        status = 500
        start = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if scope["type"] == "http":
                route = route_label(scope.get("path", ""))
                metrics.HTTP_REQUESTS.labels(route, str(status)).inc()
                logger.info(
                    "request",
                    extra={
                        "method": scope.get("method"),
                        "route": route,
                        "status": status,
                        "duration_ms": round((time.perf_counter() - start) * 1000, 2),
                    },
                )
            request_id_var.reset(tokens[0])
            rate_limit.unbind(tokens[1])


class SecurityHeadersMiddleware:
    """Headers that browsers act on. GraphiQL (an HTML page) keeps its scripts; JSON gets none."""

    def __init__(self, app: ASGIApp, *, production: bool) -> None:
        self.app = app
        self.production = production

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                html = any(
                    k.lower() == b"content-type" and v.startswith(b"text/html") for k, v in headers
                )
                extra = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
                    # GraphiQL loads its scripts and styles from a CDN: only forbid framing it.
                    (
                        b"content-security-policy",
                        b"frame-ancestors 'none'"
                        if html
                        else b"default-src 'none'; frame-ancestors 'none'",
                    ),
                ]
                if not html:
                    # Answers carry tokens and personal data: no shared or browser caching.
                    extra.append((b"cache-control", b"no-store"))
                if self.production:
                    extra.append((b"strict-transport-security", b"max-age=31536000"))
                message["headers"] = headers + [(k, v) for k, v in extra if k not in present]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class TimeoutMiddleware:
    """A deadline per HTTP request; past it the work is cancelled and the client gets TIMEOUT.

    Streaming responses (subscriptions over SSE or multipart) are exempt, and the deadline stops
    applying once a response has started.
    """

    def __init__(self, app: ASGIApp, *, timeout_s: float) -> None:
        self.app = app
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        accept = _header(scope, b"accept") or ""
        if scope["type"] != "http" or "text/event-stream" in accept or "multipart/" in accept:
            await self.app(scope, receive, send)
            return
        started = False
        deadline = asyncio.timeout(self.timeout_s)

        async def send_tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                deadline.reschedule(None)
            await send(message)

        try:
            async with deadline:
                await self.app(scope, receive, send_tracking)
        except TimeoutError:
            if not deadline.expired() or started:
                raise
            metrics.HTTP_REJECTIONS.labels("timeout").inc()
            logger.warning("request timed out", extra={"timeout_s": self.timeout_s})
            await send_graphql_error(
                send,
                504,
                "TIMEOUT",
                f"The request took longer than {self.timeout_s:g} s and was cancelled.",
            )


#: Websocket close code for a message too large to process (RFC 6455).
WS_MESSAGE_TOO_BIG = 1009


class BodyLimitMiddleware:
    """Refuse bodies over `max_bytes` (413) and batched GraphQL requests (400), unread by GraphQL.

    The body is read here (at most `max_bytes`) and replayed to the app, so a client that lies
    about Content-Length, or sends none, is limited all the same. A websocket message is held
    to the same limit: a larger one closes the connection (1009) and never reaches GraphQL.
    The server's own frame limit (uvicorn's `ws_max_size`) is set to the same size, but it
    already allocated the message by then; this limit is the one every server shares.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def _too_large(self, send: Send) -> None:
        metrics.HTTP_REJECTIONS.labels("body_too_large").inc()
        await send_graphql_error(
            send,
            413,
            "PAYLOAD_TOO_LARGE",
            f"Request body exceeds the limit of {self.max_bytes} bytes.",
            ((b"connection", b"close"),),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self.app(scope, self._limited_messages(receive, send), send)
            return
        if scope["type"] != "http" or scope.get("method") not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._too_large(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        content_type = _header(scope, b"content-type") or ""
        if (
            route_label(scope.get("path", "")) == "/graphql"
            and content_type.startswith("application/json")
            and body.lstrip()[:1] == b"["
        ):
            metrics.HTTP_REJECTIONS.labels("batching").inc()
            await send_graphql_error(
                send,
                400,
                "BATCHING_NOT_SUPPORTED",
                "Batched requests are not supported: send one operation per request.",
            )
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _limited_messages(self, receive: Receive, send: Send) -> Receive:
        """`receive` for a websocket that closes it on a message over the limit."""
        limit = self.max_bytes

        async def limited() -> Message:
            message = await receive()
            if message["type"] != "websocket.receive":
                return message
            text = message.get("text")
            # A str's UTF-8 size is at most 4 bytes per character: encode only when in doubt.
            size = (
                len(message.get("bytes") or b"")
                if text is None
                else len(text)
                if len(text) * 4 <= limit
                else len(text.encode())
            )
            if size <= limit:
                return message
            metrics.HTTP_REJECTIONS.labels("ws_message_too_large").inc()
            await send(
                {
                    "type": "websocket.close",
                    "code": WS_MESSAGE_TOO_BIG,
                    "reason": f"message exceeds {limit} bytes",
                }
            )
            return {"type": "websocket.disconnect", "code": WS_MESSAGE_TOO_BIG}

        return limited


def install_middleware(app: Any, settings: Settings) -> None:
    """Add the stack (outermost first: request context, headers, deadline, body limit)."""
    # Starlette wraps in reverse order of addition: the last added runs first.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.MAX_BODY_BYTES)
    app.add_middleware(TimeoutMiddleware, timeout_s=settings.REQUEST_TIMEOUT_S)
    app.add_middleware(SecurityHeadersMiddleware, production=settings.is_production())
    app.add_middleware(RequestContextMiddleware)
