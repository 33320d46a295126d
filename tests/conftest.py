"""Shared fixtures: a fresh instance folder and app per test, on a real SQLite file."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from queue_server import auth
from queue_server.app import close_app, create_app
from queue_server.cli import demo_hall_toml
from queue_server.domain.access import OPERATOR, DeviceKind, Role
from queue_server.services import Services
from queue_server.storage import Storage
from tests.support.live import RedisMissing, running_redis

pytest_plugins = ["tests.support.ci", "pytester"]

PASSWORD = "test-pass-1234"
# A Monday, 10:00 in Shanghai: the demo hall is open and issuing.
MONDAY_10AM_SHANGHAI = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


class Clock:
    """The app's idea of now, moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY_10AM_SHANGHAI)


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A redis-server of the test's own on a free loopback port, nothing kept on disk."""
    try:
        with running_redis() as url:
            yield url
    except RedisMissing as missing:
        pytest.skip(str(missing))


TEST_CONFIG = {
    "ASYNC_MODE": "threading",
    "SECRET_KEY": "test-secret-key-0123456789",
    "TESTING": True,
    "BACKGROUND_JOBS": False,  # tests run the timer's rounds themselves: `app.extensions["hall_queue"]["jobs"].tick()`
    "SESSION_COOKIE_SECURE": False,  # the test client speaks plain HTTP
    "LOGIN_REFUSAL_DELAY": 0,  # refused sign-ins answer at once (test_sign_in checks the hold)
    # every issue plays the hall for its own figure: whether a background play came first
    # would otherwise decide the figure (test_wait_estimates checks the figure from a play)
    "ISSUE_FIGURE_MAX_AGE": 0,
    # each stub at once, as the tests that count them expect (test_stubs checks the coalescing)
    "STUB_DELAY": 0,
}


# Where the template's devices print: the "printer" at the guidance desk, and the kiosk
# with a printer of its own (device "kiosk_printer", made after one device per kind).
STATIONS = {"printer": "desk-1", "kiosk": "kiosk-1", "kiosk_printer": "kiosk-1"}


@pytest.fixture(scope="session")
def template_instance(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """Built once: the demo hall (real hours), a town hall, one user per role of each
    (the demo hall's administrator sees every hall, the town's only the town), and one
    device per kind of each (tokens `hall_screen` … and `town_hall_screen` …; window-bound
    ones at window 1; `STATIONS`: the printer at desk-1, the kiosk at kiosk-1), and in the
    demo hall a second printer, the kiosk's (`kiosk_printer`, at kiosk-1). Password hashing
    is deliberately slow, so each test gets a copy of this database instead of building its
    own."""
    instance = tmp_path_factory.mktemp("template") / "instance"
    app = create_app(TEST_CONFIG, instance_path=str(instance))
    services: Services = app.extensions["hall_queue"]["services"]
    store: Storage = app.extensions["hall_queue"]["store"]
    services.import_hall(OPERATOR, demo_hall_toml(always_open=False), MONDAY_10AM_SHANGHAI)
    services.import_hall(OPERATOR, OTHER_HALL, MONDAY_10AM_SHANGHAI)
    for username, role, hall in (
        ("admin", Role.ADMIN, None),
        ("manager", Role.MANAGER, "demo"),
        ("guide", Role.GUIDE, "demo"),
        ("clerk1", Role.CLERK, "demo"),
        ("clerk2", Role.CLERK, "demo"),
        ("other_manager", Role.MANAGER, "town"),
        ("other_guide", Role.GUIDE, "town"),
        ("other_clerk", Role.CLERK, "town"),
        ("other_admin", Role.ADMIN, "town"),
    ):
        auth.create_user(
            store,
            username=username,
            password=PASSWORD,
            role=role,
            display_name=f"测试{username}",
            hall_code=hall,
            staff_number=username.upper(),
            now=MONDAY_10AM_SHANGHAI,
        )
    tokens = {}
    for hall, prefix in (("demo", ""), ("town", "town_")):
        for kind in DeviceKind:
            window = 1 if kind in (DeviceKind.WINDOW_SCREEN, DeviceKind.REVIEW_PAD) else None
            _, tokens[prefix + kind.value] = auth.create_device(
                store,
                hall_code=hall,
                kind=kind,
                name=prefix + kind.value,
                window=window,
                now=MONDAY_10AM_SHANGHAI,
                station=STATIONS.get(kind.value),
            )
    # the kiosk's own printer: the "printer" serves the guidance desk
    _, tokens["kiosk_printer"] = auth.create_device(
        store,
        hall_code="demo",
        kind=DeviceKind.PRINTER,
        name="kiosk_printer",
        window=None,
        now=MONDAY_10AM_SHANGHAI,
        station=STATIONS["kiosk_printer"],
    )
    store.close()  # the last connection to close folds the WAL back into the file
    return instance, tokens


@pytest.fixture
def app(tmp_path: Path, clock: Clock, template_instance: tuple[Path, dict[str, str]]) -> Iterator[Flask]:
    """The app over its own copy of the template database, with a clock the test moves."""
    template, tokens = template_instance
    instance = tmp_path / "instance"
    shutil.copytree(template, instance)
    app = create_app({**TEST_CONFIG, "CLOCK": clock}, instance_path=str(instance))
    app.config["TEST_TOKENS"] = tokens
    yield app
    close_app(app)


@pytest.fixture
def services(app: Flask) -> Services:
    return app.extensions["hall_queue"]["services"]  # type: ignore[no-any-return]


@pytest.fixture
def store(app: Flask) -> Storage:
    return app.extensions["hall_queue"]["store"]  # type: ignore[no-any-return]


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class Api:
    """A signed-in test client that sends its CSRF token and checks statuses."""

    def __init__(self, client: FlaskClient, csrf: str | None = None, token: str | None = None) -> None:
        self.client = client
        self.headers: dict[str, str] = {}
        if csrf:
            self.headers["X-CSRF-Token"] = csrf
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, status: int = 200) -> Any:
        response = self.client.get(f"/api/v1{path}", headers=self.headers)
        assert response.status_code == status, response.get_data(as_text=True)
        return response.get_json()

    def post(self, path: str, body: Any = None, status: int = 200, headers: dict[str, str] | None = None) -> Any:
        response = self.client.post(f"/api/v1{path}", json=body, headers={**self.headers, **(headers or {})})
        assert response.status_code == status, response.get_data(as_text=True)
        return response.get_json()


@pytest.fixture
def login(app: Flask):  # type: ignore[no-untyped-def]
    """login("guide") -> an Api for a fresh client signed in as that user."""

    def sign_in(username: str) -> Api:
        client = app.test_client()
        response = client.post("/api/v1/session", json={"username": username, "password": PASSWORD})
        assert response.status_code == 200, response.get_data(as_text=True)
        return Api(client, csrf=response.get_json()["csrf_token"])

    return sign_in


@pytest.fixture
def device(app: Flask):  # type: ignore[no-untyped-def]
    """device("kiosk") -> an Api that authenticates with that device's token."""

    def as_device(kind: str) -> Api:
        return Api(app.test_client(), token=app.config["TEST_TOKENS"][kind])

    return as_device


OTHER_HALL = """
[hall]
code = "town"
name = "某镇便民服务中心"
always_open = true
[hall.hours]
mon = ["09:00-17:00"]
[[zones]]
code = "main"
name = "大厅"
[[queues]]
code = "general"
prefix = "A"
name = "综合受理"
kind = "comprehensive"
daily_cap = 3
[[windows]]
number = 1
name = "1号窗口"
zone = "main"
serves = [{queue = "general", rank = 1}]
"""
