"""Fixtures of the browser tests: a real intake served by uvicorn over TCP, and Debian's
Chromium driven by Playwright (never a browser build Playwright would download)."""

import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from halsosupport.auth import Role, issue_token
from services.intake.bootstrap import bootstrap
from services.intake.entrypoints.api import create_app
from services.intake.settings import IntakeSettings
from tests.integration.org import seed_directory
from tests.support import FixedClock

NOW = datetime(2026, 11, 22, 8, 30, tzinfo=UTC)
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def chromium_path() -> str:
    """Debian's Chromium; a missing one fails the tests rather than skipping them unseen."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail(
            "Chromium is not installed: `make test` installs it, or `apt-get install chromium`",
            pytrace=False,
        )
    return found


@dataclass
class Console:
    """The running intake as the browser reaches it, and what the test checks behind it."""

    base_url: str
    settings: IntakeSettings
    clock: FixedClock
    token: str
    employees: dict[str, str]  # name -> employee_id

    @property
    def url(self) -> str:
        return f"{self.base_url}/console#token={self.token}"

    def api(self) -> httpx.Client:
        """The JSON API over the same socket the page uses."""
        return httpx.Client(
            base_url=self.base_url, headers={"Authorization": f"Bearer {self.token}"}
        )


def _serve(app: object) -> tuple[uvicorn.Server, threading.Thread, int]:
    """Uvicorn in a thread on a port the OS picks (no race for a 'free' port)."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="console-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start the intake app")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, thread, port


@pytest.fixture
def console(database, kafka_bootstrap) -> Iterator[Console]:
    settings = IntakeSettings(
        database_url=database.url,
        database_schema_prefix=database.schema_prefix,
        kafka_bootstrap_servers=kafka_bootstrap,
        outbox_poll_interval_s=0.1,
    )
    clock = FixedClock(NOW)
    runtime = bootstrap(settings, clock=clock)
    seed_directory(runtime.engine)
    server, thread, port = _serve(create_app(settings, runtime))
    try:
        token = issue_token(settings, subject="nurse-browser", role=Role.NURSE)
        base_url = f"http://127.0.0.1:{port}"
        running = Console(base_url, settings, clock, token, employees={})
        with running.api() as api:
            items = api.get("/v1/employees").raise_for_status().json()["items"]
        running.employees = {e["name"]: e["employee_id"] for e in items}
        yield running
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = chromium_path()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser, console: Console) -> Iterator[Page]:
    """A fresh tab in Swedish time whose clock shows the same moment as the server's."""
    with swedish_tab(browser, console.clock.now()) as tab:
        yield tab


@contextmanager
def swedish_tab(
    browser: Browser, now: datetime, *, width: int = 1360, timeout_ms: int = 10_000
) -> Iterator[Page]:
    """A fresh tab in Swedish time whose clock shows `now`; fails the test if the page broke
    (see `_watch_for_breakage`)."""
    context = browser.new_context(
        locale="sv-SE", timezone_id="Europe/Stockholm", viewport={"width": width, "height": 1000}
    )
    tab = context.new_page()
    tab.clock.set_fixed_time(now)
    tab.set_default_timeout(timeout_ms)
    broken = _watch_for_breakage(tab)
    try:
        yield tab
    finally:
        context.close()
    assert not broken, f"the page broke: {broken}"


def _watch_for_breakage(tab: Page) -> list[str]:
    """Uncaught script errors, CSP refusals and page files (a style sheet or script, shared or
    the page's own) that did not load, which a passing click-through could hide. Failed API
    calls also log console errors; those are the page's business to show."""
    broken: list[str] = []
    tab.on("pageerror", lambda error: broken.append(f"script error: {error}"))
    tab.on(
        "response",
        lambda response: (
            broken.append(f"{response.status} for {response.url}")
            if response.status >= 400 and response.request.resource_type in ("stylesheet", "script")
            else None
        ),
    )
    tab.on(
        "requestfailed",
        lambda request: (
            broken.append(f"{request.failure} for {request.url}")
            if request.resource_type in ("stylesheet", "script")
            else None
        ),
    )
    tab.on(
        "console",
        lambda message: (
            broken.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    return broken
