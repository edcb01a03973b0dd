"""The GraphQL ASGI app mounted at /graphql: HTTP (with a direct path for JSON POSTs) and
websockets (authenticated in connection_init)."""

from __future__ import annotations

import contextlib
from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import MissingQueryError
from strawberry.http import process_result
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from app.graphql.context import Context, Db
from app.graphql.graphiql import graphiql_response
from app.graphql.media import as_graphql_response, prefers_graphql_response
from app.graphql.subscriptions import SubscriptionAuth
from app.state import AppState

#: Where a request's lazily opened database session waits for its context (ASGI scope key).
_DB_SCOPE_KEY = "hems.db"
#: The operation types a POST may name, as in Strawberry's view (a subscription sent by POST gets
#: the view's answer too: tests/graphql/test_http_post.py compares both paths).
_POST_OPERATIONS = frozenset(OperationType.from_http("POST"))


class HemsGraphQL(SubscriptionAuth, GraphQL[Context, None]):
    """GraphQL over HTTP and websockets; websockets authenticate in connection_init.

    Strawberry's plain ASGI app, routed directly rather than through `GraphQLRouter`: the
    router resolves FastAPI dependencies on every request, which cost more than executing a
    small query (see docs/performance.md). The per-request database session (lazy: opened only
    by resolvers that need it) is closed once the response or websocket is done.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        hems: AppState = scope["app"].state.hems
        db = Db(hems.sessionmaker)
        scope[_DB_SCOPE_KEY] = db
        try:
            if scope["type"] == "http" and prefers_graphql_response(scope):
                send = as_graphql_response(send)
            if scope["type"] == "http" and scope.get("method") == "POST":
                await self._post(scope, receive, send, hems, db)
            else:
                await super().__call__(scope, receive, send)
        finally:
            await db.close()

    async def _post(
        self, scope: Scope, receive: Receive, send: Send, hems: AppState, db: Db
    ) -> None:
        """A JSON POST of one operation, executed without Strawberry's generic HTTP layer.

        For this, the common request, Strawberry's view builds a Starlette request, an adapter,
        a sub-response, parses Content-Type with the `email` package, looks for a streaming
        transport and checks results against runtime protocols: together more CPU than
        executing a small query. Here: the same body, context, `schema.execute` call (POST:
        queries and mutations), result processing, JSON encoding and response. Anything else
        (another content type, a streaming Accept, a body that is not one JSON object with
        well-typed members) goes to Strawberry's view unchanged, with the body replayed.
        """
        content_type = accept = authorization = user_agent = None
        for key, value in scope["headers"]:
            if key == b"content-type" and content_type is None:
                content_type = bytes(value).decode("latin-1")
            elif key == b"accept" and accept is None:
                accept = bytes(value).decode("latin-1").lower()
            elif key == b"authorization" and authorization is None:
                authorization = bytes(value).decode("latin-1")
            elif key == b"user-agent" and user_agent is None:
                user_agent = bytes(value).decode("latin-1")
        if (
            content_type is None
            or content_type.split(";", 1)[0].strip() != "application/json"
            or (accept is not None and ("event-stream" in accept or "multipart" in accept))
        ):
            await super().__call__(scope, receive, send)
            return
        received: list[Message] = []
        while True:
            message = await receive()
            received.append(message)
            if message["type"] != "http.request" or not message.get("more_body", False):
                break
        data = None
        if received[-1]["type"] == "http.request":
            body = b"".join(m.get("body", b"") for m in received)
            # Strawberry's own decoder (json.loads): orjson, for one, reads integers past 64
            # bits as floats. Whatever it refuses, the view refuses again with its answer.
            with contextlib.suppress(ValueError, RecursionError):
                data = self.decode_json(body)
        if (
            type(data) is not dict
            or not isinstance(query := data.get("query"), str)
            or not isinstance(variables := data.get("variables"), dict | None)
            or not isinstance(extensions := data.get("extensions"), dict | None)
        ):
            await super().__call__(scope, _replay(received, receive), send)
            return
        client = scope.get("client")
        context = _context(hems, db, authorization, client[0] if client else None, user_agent)
        response: Response
        try:
            result = await self.schema.execute(
                query,
                root_value=None,
                variable_values=variables,
                context_value=context,
                operation_name=data.get("operationName"),
                allowed_operation_types=_POST_OPERATIONS,
                operation_extensions=extensions,
            )
        except CannotGetOperationTypeError as e:
            response = PlainTextResponse(e.as_http_error_reason(), status_code=400)
        except InvalidOperationTypeError as e:
            response = PlainTextResponse(e.as_http_error_reason("POST"), status_code=400)
        except MissingQueryError:
            response = PlainTextResponse("No GraphQL query found in the request", status_code=400)
        else:
            response = Response(
                self.encode_json(process_result(result)), media_type="application/json"
            )
        await response(scope, receive, send)

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        """HEMS's own GraphiQL page: its scripts and styles come from /static, not a CDN."""
        return graphiql_response()

    def parse_json(self, data: str | bytes) -> Any:
        """Strawberry's JSON parsing, refusing a body that is a bare string, number or null.

        The view reads members of whatever the body decodes to; for a JSON scalar that was an
        internal error (500) instead of a client error naming the problem.
        """
        value = super().parse_json(data)
        if not isinstance(value, dict | list):
            raise HTTPException(400, "The GraphQL request must be a JSON object.")
        return value

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        context = _context(
            request.app.state.hems,
            request.scope[_DB_SCOPE_KEY],
            request.headers.get("authorization"),
            request.client.host if request.client else None,
            request.headers.get("user-agent"),
        )
        if isinstance(request, WebSocket):
            # Subscriptions close it (4403) once the caller's token is revoked.
            context.extra["websocket"] = request
        return context


def _context(
    hems: AppState,
    db: Db,
    authorization: str | None,
    client_host: str | None,
    user_agent: str | None = None,
) -> Context:
    """A request's (or websocket's) context: the process's shared parts, its own session."""
    return Context(
        settings=hems.settings,
        db=db,
        live=hems.live,
        verifier=hems.verifier,
        authorization=authorization,
        client_host=client_host,
        user_agent=user_agent,
        redis=hems.redis,
    )


def _replay(received: list[Message], receive: Receive) -> Receive:
    """`receive` that first hands out the messages already read."""
    pending = list(received)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay
