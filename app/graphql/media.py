"""The `application/graphql-response+json` media type of the GraphQL-over-HTTP specification.

A client that asks for it (`Accept`, preferred over `application/json`) gets it as the response
Content-Type, and a *request error* (the document does not parse or validate, the operation
cannot be found, a variable cannot be coerced: nothing was executed) gets status 400 with no
`data` entry, so it can tell "your request is wrong" from "a field failed". Clients that accept
`application/json` (or send no Accept) see exactly what they always saw: status 200 and `data`.

This is applied to the response on its way out, whichever path produced it (the direct JSON
POST path or Strawberry's view), so both answer alike.
"""

from __future__ import annotations

import orjson
from starlette.types import Message, Scope, Send

GRAPHQL_RESPONSE = "application/graphql-response+json"
_CONTENT_TYPE = f"{GRAPHQL_RESPONSE}; charset=utf-8".encode()


def _preference(accept: str) -> str | None:
    """Which of the two JSON media types an Accept header prefers: highest q, then first."""
    best: tuple[float, int] | None = None
    chosen = None
    for index, item in enumerate(accept.split(",")):
        media, *params = (part.strip() for part in item.split(";"))
        media = media.lower()
        if media == GRAPHQL_RESPONSE:
            kind = GRAPHQL_RESPONSE
        elif media in ("application/json", "application/*", "*/*"):
            kind = "application/json"
        else:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q <= 0:
            continue
        rank = (q, -index)
        if best is None or rank > best:
            best, chosen = rank, kind
    return chosen


def prefers_graphql_response(scope: Scope) -> bool:
    for key, value in scope["headers"]:
        if key == b"accept":
            return _preference(bytes(value).decode("latin-1")) == GRAPHQL_RESPONSE
    return False


def _is_request_error(body: object) -> bool:
    """Nothing executed: no data, and no error belongs to a field (field errors have a path)."""
    return (
        isinstance(body, dict)
        and body.get("data") is None
        and bool(errors := body.get("errors"))
        and isinstance(errors, list)
        and all(isinstance(e, dict) and e.get("path") is None for e in errors)
    )


def as_graphql_response(send: Send) -> Send:
    """`send` that turns a JSON GraphQL response into `application/graphql-response+json`.

    Streaming responses (SSE, multipart) and non-JSON answers pass unchanged.
    """
    held: Message | None = None

    async def wrapped(message: Message) -> None:
        nonlocal held
        if message["type"] == "http.response.start":
            headers = dict(message.get("headers", []))
            content_type = bytes(headers.get(b"content-type", b"")).split(b";", 1)[0].strip()
            if content_type == b"application/json":
                held = message
                return
        elif message["type"] == "http.response.body" and held is not None:
            start, held = held, None
            if message.get("more_body", False):
                await send(start)
            else:
                start, message = _convert(start, message)
                await send(start)
        await send(message)

    return wrapped


def _convert(start: Message, message: Message) -> tuple[Message, Message]:
    status = start["status"]
    body = message.get("body", b"")
    if status == 200:
        try:
            decoded = orjson.loads(body)
        except orjson.JSONDecodeError:
            decoded = None
        if _is_request_error(decoded):
            assert isinstance(decoded, dict)
            decoded.pop("data", None)
            status, body = 400, orjson.dumps(decoded)
    headers = [
        (key, value)
        for key, value in start.get("headers", [])
        if key not in (b"content-type", b"content-length")
    ]
    headers += [(b"content-type", _CONTENT_TYPE), (b"content-length", str(len(body)).encode())]
    return (
        {**start, "status": status, "headers": headers},
        {**message, "body": body},
    )
