"""Live servers for the end-to-end tests.

`server` is one gunicorn (eventlet worker) per test module: tests that share it leave
its windows idle and its lines empty. `fresh_server` is one per test, for tests that
kill or restart it. `connect` opens real python-socketio clients and closes them after
the test; `sign_in` signs people in. `browser` is Debian's Chromium driven by Playwright,
one per session, started only by the tests that ask for it.

The worker class: eventlet (production), or gevent for the whole run with
`LIVE_WORKER=gevent` (`make test-gevent`). Tests marked `both_workers` (the live-server
tests that drive no browser: crash, concurrency, calls, processes, wire errors, backup)
run on both in the ordinary run, as `test_x[eventlet]` and `test_x[gevent]`: every
server they start, by fixture or by `LiveServer(...)`, takes the module's worker.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.helpers import Screen
from tests.e2e.screens import CHROMIUM, CHROMIUM_ARGS, VENDORED, ScreenPage
from tests.support.live import WORKERS, LiveServer, default_worker


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "both_workers: run on the eventlet and the gevent worker (unless LIVE_WORKER)")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """`both_workers` tests, once per worker class; unless LIVE_WORKER names one for all."""
    marked = metafunc.definition.get_closest_marker("both_workers") is not None
    if marked and "live_worker" in metafunc.fixturenames and not os.environ.get("LIVE_WORKER"):
        metafunc.parametrize("live_worker", WORKERS, indirect=True, scope="module")


@pytest.fixture(scope="module", autouse=True)
def live_worker(request: pytest.FixtureRequest) -> Iterator[str]:
    """The worker class of every live server the module's tests start (LIVE_WORKER)."""
    worker = getattr(request, "param", None) or default_worker()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LIVE_WORKER", worker)
        yield worker


def _live(instance: Path, worker: str) -> Iterator[LiveServer]:
    with LiveServer(instance, worker=worker).running() as server:
        yield server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, live_worker: str) -> Iterator[LiveServer]:
    """The demo hall on a live server shared by the tests of one module."""
    yield from _live(tmp_path_factory.mktemp("instance"), live_worker)


@pytest.fixture
def fresh_server(tmp_path: Path, live_worker: str) -> Iterator[LiveServer]:
    """A live server of the test's own: it may kill it, restart it, count from A001."""
    yield from _live(tmp_path / "instance", live_worker)


@pytest.fixture
def connect() -> Iterator[Callable[..., Screen]]:
    """connect(server, token=..., cookies=session) -> a connected `Screen`."""
    screens: list[Screen] = []

    def open_screen(server: LiveServer, token: str | None = None, cookies: requests.Session | None = None) -> Screen:
        screen = Screen(server.socket_client(token=token, cookies=cookies))
        screens.append(screen)
        return screen

    yield open_screen
    for screen in screens:
        screen.client.disconnect()


@pytest.fixture
def sign_in() -> Iterator[Callable[[LiveServer, str], requests.Session]]:
    """sign_in(server, "clerk1") -> a requests session signed in, sending its CSRF token."""
    sessions: list[requests.Session] = []

    def open_session(server: LiveServer, username: str) -> requests.Session:
        session = server.session(username)
        sessions.append(session)
        return session

    yield open_session
    for session in sessions:
        session.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium (Debian's, with the CJK fonts the halls use); Playwright
    cannot download browsers here. Skipped where Chromium is not installed."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium fonts-wqy-microhei)")
    from playwright.sync_api import sync_playwright  # the test extra installs it

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    finally:
        playwright.stop()


@pytest.fixture
def open_screen(browser: Any) -> Iterator[Callable[..., ScreenPage]]:
    """open_screen(server, "hall", token, viewport=(1920, 1080)) -> a `ScreenPage`, each in
    a browser context of its own (its own localStorage, like a TV of its own). After the
    test: closed, and the test fails if a page threw an uncaught error."""
    assert VENDORED.exists(), f"{VENDORED} is missing: run `make setup` (npm ci, then the copy)"
    pages: list[ScreenPage] = []

    def open_page(server: LiveServer, kind: str, token: str | None, **options: Any) -> ScreenPage:
        page = ScreenPage.open(browser, server, kind, token, **options)
        pages.append(page)
        return page

    yield open_page
    errors = [error for page in pages for error in page.errors]
    for page in pages:
        page.close()
    assert not errors, f"uncaught errors in the screen pages: {errors}"


@pytest.fixture
def open_page(browser: Any) -> Iterator[Callable[..., Any]]:
    """open_page(server, viewport=(1920, 1080), touch=False) -> a `tests.e2e.pages.Page`
    in a browser context of its own. After the test: closed, and the test fails if a page
    threw an uncaught error or broke its Content-Security-Policy."""
    from tests.e2e.pages import Page

    assert VENDORED.exists(), f"{VENDORED} is missing: run `make setup` (npm ci, then the copy)"
    pages: list[Page] = []

    def open_one(server: LiveServer, viewport: tuple[int, int] = (1920, 1080), *, touch: bool = False) -> Page:
        page = Page.open(browser, server, viewport, touch=touch)
        pages.append(page)
        return page

    yield open_one
    problems = []
    for page in pages:
        problems += page.errors
        with contextlib.suppress(Exception):  # a page that navigated away to nothing: no record to read
            problems += [f"CSP: {violation}" for violation in page.violations() or []]
        page.close()
    assert not problems, f"errors in the pages: {problems}"
