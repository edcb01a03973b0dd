"""Browser tests: Debian's Chromium (driven by Playwright) against a real `hems serve`.

The server runs the embedded default (SQLite file, in-process simulation every 2 s) on a free
port. Playwright never downloads a browser: it launches the system's Chromium
(`HEMS_CHROMIUM`, default /usr/bin/chromium; `bash .ci/run` installs it). Without it these
tests fail, saying so: they are never skipped. Every request a page makes is recorded, and
any to a host other than 127.0.0.1 is refused and fails the test. Screenshots go to
artifacts/screenshots/ (CI keeps that folder as its artifacts).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Route,
    sync_playwright,
)

from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("HEMS_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
#: Short enough that a test sees several cycles within seconds.
SIMULATION_INTERVAL_S = 2
LOCAL_HOST = "127.0.0.1"


@dataclass
class HemsServer:
    url: str
    log: Path

    def gql(self, query: str, variables: dict[str, Any] | None = None, token: str | None = None):
        headers = {"authorization": f"Bearer {token}"} if token else {}
        response = httpx.post(
            f"{self.url}/graphql",
            json={"query": query, "variables": variables or {}},
            headers=headers,
            timeout=10,
        )
        response.raise_for_status()
        body = response.json()
        assert not body.get("errors"), body
        return body["data"]


@pytest.fixture(scope="module")
def hems_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HemsServer]:
    """`hems serve` on the embedded default (as `make run` starts it), on a free port."""
    folder = tmp_path_factory.mktemp("hems-serve")
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "HEMS_ENV", "GRAPHIQL"}
    }
    env.update(
        HEMS_ENV="development",
        SQLITE_PATH=str(folder / "hems.db"),
        SIMULATION_INTERVAL_S=str(SIMULATION_INTERVAL_S),
        JWT_SECRET="browser-test-secret-that-is-at-least-32-bytes",
        LOG_LEVEL="WARNING",
        LOG_FORMAT="json",
    )
    log = folder / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from app.cli import main; main()",
                "serve",
                "--host",
                LOCAL_HOST,
                "--port",
                str(port),
            ],
            cwd=folder,  # no developer .env is read
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://{LOCAL_HOST}:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"hems serve exited:\n{log.read_text()}")
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"hems serve did not become healthy:\n{log.read_text()}")
            time.sleep(0.2)
        yield HemsServer(url=url, log=log)
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: the browser tests need Debian's chromium "
            "(`apt-get install -y chromium`; `bash .ci/run` installs it when missing) or "
            "HEMS_CHROMIUM pointing at a Chromium binary. Playwright's own browsers are "
            "never downloaded.",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield chromium
        chromium.close()


@dataclass
class Tab:
    """One browser context and page, with what it requested and what went wrong in it."""

    context: BrowserContext
    page: Page
    requests: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / name
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def tab(browser: Browser) -> Iterator[Tab]:
    # A European household: the page must draw the home's day, not the machine's (UTC).
    context = browser.new_context(
        timezone_id="Europe/Berlin",
        viewport={"width": 1280, "height": 900},
        service_workers="block",
    )
    page = context.new_page()
    tab = Tab(context=context, page=page)

    def route(route: Route) -> None:
        url = route.request.url
        if url.startswith(("data:", "blob:")):  # inline data, no network
            route.continue_()
            return
        tab.requests.append(url)
        if urlsplit(url).hostname == LOCAL_HOST:
            route.continue_()
        else:
            tab.foreign.append(url)
            route.abort()

    def console(message: ConsoleMessage) -> None:
        text = message.text
        if message.type == "error" or "Content Security Policy" in text:
            tab.problems.append(f"console {message.type}: {text}")

    context.route("**/*", route)
    page.on("console", console)
    page.on("pageerror", lambda error: tab.problems.append(f"page error: {error}"))
    page.on("websocket", lambda ws: tab.requests.append(ws.url))
    try:
        yield tab
        # Websockets bypass routing: check the hosts they went to as well.
        tab.foreign += [u for u in tab.requests if urlsplit(u).hostname != LOCAL_HOST]
        assert tab.foreign == [], f"requests left {LOCAL_HOST}: {tab.foreign}"
        assert tab.problems == [], tab.problems
    finally:
        context.close()
