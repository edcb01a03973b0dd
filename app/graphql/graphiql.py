"""GraphiQL's page, served at GET /graphql when GraphiQL is enabled.

The page and its scripts live in app/static (vendored, nothing fetched from another host); its
Content-Security-Policy allows the inline styles GraphiQL's editor sets.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from starlette.responses import HTMLResponse

from app.security.middleware import GRAPHIQL_CSP

_PAGE = Path(__file__).resolve().parent.parent / "static" / "graphiql" / "index.html"


@cache
def graphiql_html() -> str:
    """The page's text, read once per process."""
    return _PAGE.read_text(encoding="utf-8")


def graphiql_response() -> HTMLResponse:
    """Revalidated by browsers like the dashboard's files (its file name carries no hash)."""
    return HTMLResponse(
        graphiql_html(),
        headers={"cache-control": "no-cache", "content-security-policy": GRAPHIQL_CSP.decode()},
    )
