"""The browser pages: the dashboard at `/` and the files under `/static` (app/static).

Everything a page loads comes from app/static (the vendored libraries under app/static/vendor
are rebuilt by frontend/vendor.mjs and committed), so nothing is fetched from another host.
The Content-Security-Policy of HTML answers is SecurityHeadersMiddleware's PAGE_CSP (GraphiQL:
GRAPHIQL_CSP, which also allows inline styles; its page is app/graphql/graphiql.py).
"""

from __future__ import annotations

from pathlib import Path

from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

#: The only folder pages and their assets are served from.
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
#: Browsers revalidate (ETag / Last-Modified) rather than keep a stale copy: file names carry
#: no content hash. JSON answers stay `no-store` (SecurityHeadersMiddleware).
_REVALIDATE = "no-cache"


class StaticFolder(StaticFiles):
    """Starlette's static files (which refuse paths outside the folder and symlinks leaving
    it), answered with a revalidation cache policy."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.setdefault("cache-control", _REVALIDATE)
        return response


async def dashboard(request: object) -> Response:
    """GET /: the dashboard page (it signs the visitor in itself: no server-side session)."""
    return FileResponse(
        STATIC_DIR / "index.html", media_type="text/html", headers={"cache-control": _REVALIDATE}
    )


def page_routes() -> list[Route | Mount]:
    """`/` and `/static/...`; mounted by create_app."""
    return [
        Route("/", dashboard, methods=["GET", "HEAD"]),
        Mount("/static", app=StaticFolder(directory=STATIC_DIR), name="static"),
    ]
