"""The browser pages without a browser: what is served, from where, with which headers."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest

from app.api.pages import STATIC_DIR
from app.security.middleware import GRAPHIQL_CSP, PAGE_CSP

ROOT = Path(__file__).resolve().parents[2]
VENDOR = STATIC_DIR / "vendor"


class Page(HTMLParser):
    """The parts of a page that load or run something."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str | None] = []  # src, or None for an inline script
        self.links: list[str] = []
        self.handlers: list[str] = []  # on* attributes
        self.styles: list[str] = []  # style attributes
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script":
            self.scripts.append(values.get("src"))
        if tag == "link" and values.get("href"):
            self.links.append(values["href"] or "")
        self.handlers += [k for k, _ in attrs if k.startswith("on")]
        self.styles += [v or "" for k, v in attrs if k == "style"]
        if tag == "style":
            self.styles.append("<style>")


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


async def get_graphiql(api):
    return await api.client.get("/graphql", headers={"accept": "text/html"})


class TestDashboardPage:
    async def test_served_at_root_with_the_page_policy_and_the_security_headers(self, api_sqlite):
        response = await api_sqlite.client.get("/")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["content-security-policy"] == PAGE_CSP.decode()
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert 'id="signin-form"' in response.text

    def test_the_policy_allows_scripts_and_connections_from_the_origin_only(self):
        directives = dict(d.strip().split(" ", 1) for d in PAGE_CSP.decode().split(";"))
        assert directives["default-src"] == "'none'"
        assert directives["script-src"] == "'self'"
        assert directives["connect-src"] == "'self'"
        assert directives["style-src"] == "'self'"
        assert directives["frame-ancestors"] == "'none'"
        graphiql = dict(d.strip().split(" ", 1) for d in GRAPHIQL_CSP.decode().split(";"))
        assert graphiql["script-src"] == "'self'"
        assert graphiql["connect-src"] == "'self'"

    async def test_no_inline_script_handler_or_style(self, api_sqlite):
        page = parse((await api_sqlite.client.get("/")).text)
        assert page.scripts
        assert None not in page.scripts
        assert page.handlers == []
        assert page.styles == []


class TestGraphiQLPage:
    async def test_loads_everything_from_hems(self, api_sqlite):
        response = await get_graphiql(api_sqlite)
        assert response.status_code == 200
        assert response.headers["content-security-policy"] == GRAPHIQL_CSP.decode()
        page = parse(response.text)
        assert None not in page.scripts
        for url in [*page.scripts, *page.links]:
            assert url is not None
            assert url.startswith("/static/"), url
        assert "unpkg" not in response.text
        assert "cdn" not in response.text.lower()


class TestAssets:
    async def test_every_asset_the_pages_name_is_served(self, api_sqlite):
        urls: set[str] = set()
        pages = [await api_sqlite.client.get("/"), await get_graphiql(api_sqlite)]
        for html in (p.text for p in pages):
            page = parse(html)
            urls.update(u for u in [*page.scripts, *page.links] if u)
        # The dashboard's modules import each other and the vendored modules by path.
        for module in (STATIC_DIR / "dashboard").glob("*.js"):
            for spec in re.findall(r'from "([^"]+)"', module.read_text()):
                urls.add(spec if spec.startswith("/") else f"/static/dashboard/{spec[2:]}")
        assert "/static/vendor/graphql-ws/client.mjs" in urls
        assert "/static/vendor/uplot/uPlot.esm.js" in urls
        for url in sorted(urls):
            response = await api_sqlite.client.get(url)
            assert response.status_code == 200, url
            assert response.headers["cache-control"] == "no-cache", url
            assert response.headers["x-content-type-options"] == "nosniff"

    def test_page_code_names_no_other_host(self):
        own = ["*.html", "*/*.js", "*/*.html"]
        for path in [p for pattern in own for p in STATIC_DIR.glob(pattern)]:
            text = path.read_text()
            assert not re.search(r"""(src|href|from|import)\s*[=(]?\s*["']https?://""", text), path

    def test_vendored_files_match_the_manifest_and_the_lock_file(self):
        manifest = json.loads((VENDOR / "MANIFEST.json").read_text())
        lock = json.loads((ROOT / "frontend" / "package-lock.json").read_text())["packages"]
        present = {p.relative_to(VENDOR).as_posix() for p in VENDOR.rglob("*") if p.is_file()}
        listed = {"MANIFEST.json"}
        for package, entry in manifest.items():
            assert lock[f"node_modules/{package}"]["version"] == entry["version"], package
            for name, digest in entry["files"].items():
                data = (VENDOR / package / name).read_bytes()
                assert hashlib.sha256(data).hexdigest() == digest, f"{package}/{name}"
                listed.add(f"{package}/{name}")
        assert present == listed


async def raw_get(app, raw_path: str) -> tuple[int, bytes]:
    """GET `raw_path` exactly as a server would pass it on (no client-side normalisation of
    dot segments, which httpx does): `path` percent-decoded as uvicorn decodes it."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": unquote(raw_path),
        "raw_path": raw_path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"hems.test")],
        "client": ("127.0.0.1", 1234),
        "server": ("hems.test", 80),
    }
    status = 0
    body = b""

    requested = False

    async def receive():
        nonlocal requested
        if requested:  # file responses listen for a disconnect while sending: none comes
            await asyncio.Event().wait()
        requested = True
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        nonlocal status, body
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            body += message.get("body", b"")

    await app(scope, receive, send)
    return status, body


class TestStaticFolder:
    async def test_a_static_file_is_served_as_is(self, api_sqlite):
        status, body = await raw_get(api_sqlite.app, "/static/dashboard/main.js")
        assert status == 200
        assert body == (STATIC_DIR / "dashboard" / "main.js").read_bytes()

    @pytest.mark.parametrize(
        "path",
        [
            "/static/../main.py",
            "/static/../../pyproject.toml",
            "/static/%2e%2e/main.py",
            "/static/..%2fmain.py",
            "/static/%2e%2e%2f%2e%2e%2fpyproject.toml",
            "/static/dashboard/../../config.py",
            "/static/vendor/..%5c..%5cmain.py",
            "/static//etc/passwd",
            "/static/%2fetc%2fpasswd",
            "/static/",
            "/static/dashboard",
            "/static/nonexistent.js",
        ],
    )
    async def test_nothing_outside_the_static_files_is_served(self, api_sqlite, path):
        status, body = await raw_get(api_sqlite.app, path)
        assert status == 404, (path, status)
        assert b"import" not in body
        assert b"root:" not in body

    def test_the_static_folder_holds_no_python(self):
        assert not list(STATIC_DIR.rglob("*.py"))
