"""A live server for end-to-end tests and benchmarks: gunicorn with the production
(eventlet) worker, or gevent's (`worker="gevent"`, or `LIVE_WORKER=gevent` in the
environment for every server started without saying), on a free loopback port, over a fresh instance folder holding the
demo hall, one account per role, one device per kind and the kiosk's own printer
(`STATIONS`); and a redis-server of their own, for several server processes on one
database."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import socketio
import sqlite_utils

from queue_server import auth, config, storage
from queue_server.app import close_app, create_app
from queue_server.cli import demo_hall_toml, gunicorn_command
from queue_server.domain import clock
from queue_server.domain.access import OPERATOR, DeviceKind, Role

PASSWORD = "test-pass-1234"
HALL = "demo"
USERS = {
    "admin": Role.ADMIN,
    "manager": Role.MANAGER,
    "guide": Role.GUIDE,
    "clerk1": Role.CLERK,
    "clerk2": Role.CLERK,
    "clerk3": Role.CLERK,
}
DEVICES = {
    "hall_screen": (DeviceKind.HALL_SCREEN, None),
    "window_screen": (DeviceKind.WINDOW_SCREEN, 1),
    "kiosk": (DeviceKind.KIOSK, None),
    "printer": (DeviceKind.PRINTER, None),
    "review_pad": (DeviceKind.REVIEW_PAD, 1),
    "kiosk_printer": (DeviceKind.PRINTER, None),
}
# Where the devices print: the "printer" at the guidance desk, the kiosk at its own printer.
STATIONS = {"printer": "desk-1", "kiosk": "kiosk-1", "kiosk_printer": "kiosk-1"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def gunicorn_worker(master: int) -> int:
    """The process id of the only worker under the gunicorn master `master` (Linux's /proc)."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()  # after the command's name
            except OSError:
                continue  # ended meanwhile
            if int(fields[1]) == master:
                return int(entry)
    raise RuntimeError(f"no worker process under gunicorn master {master}")


WORKERS = ("eventlet", "gevent")  # queue_server.cli.WORKER_CLASSES


def default_worker() -> str:
    """The worker class of a live server that names none: `LIVE_WORKER`, else eventlet."""
    worker = os.environ.get("LIVE_WORKER") or "eventlet"
    if worker not in WORKERS:
        raise ValueError(f"LIVE_WORKER must be one of {', '.join(WORKERS)}, not {worker!r}")
    return worker


def wait_until_answering(process: subprocess.Popen[bytes], health_url: str, log_path: Path, timeout: float) -> None:
    """Wait until a server just started answers 200 at `health_url`; RuntimeError (with
    the end of its log) if it exits first or stays silent for `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}: {log_path.read_text()[-2000:]}")
        try:
            if requests.get(health_url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.05)  # port not open yet, or the worker still importing
    raise RuntimeError(f"server did not answer within {timeout}s")


class RedisMissing(RuntimeError):
    """No redis-server on this machine."""


@contextmanager
def running_redis(timeout: float = 10) -> Iterator[str]:
    """A redis-server on a free loopback port, keeping nothing on disk; yields its URL.
    `RedisMissing` where redis-server is not installed (apt-get install redis-server)."""
    executable = shutil.which("redis-server")
    if executable is None:
        raise RedisMissing("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    process = subprocess.Popen(
        [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)  # not yet listening
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


@dataclass
class LiveServer:
    instance: Path
    synchronous: str = "FULL"
    port: int = field(default_factory=free_port)
    tokens: dict[str, str] = field(default_factory=dict)
    environment: dict[str, str] = field(default_factory=dict)  # extra QUEUE_* settings for the server
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    worker: str = field(default_factory=default_worker)  # gunicorn's worker class, and ASYNC_MODE with it

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def prepare(self) -> None:
        """Instance folder, demo hall open at any hour, accounts and device tokens."""
        config.ensure_secret(self.instance)
        app = create_app(
            {"ASYNC_MODE": "threading", "PUBLISHES": False, "BACKGROUND_JOBS": False}, instance_path=str(self.instance)
        )
        ext = app.extensions["hall_queue"]
        ext["services"].import_hall(OPERATOR, demo_hall_toml(always_open=True), clock.utc_now())
        for username, role in USERS.items():
            auth.create_user(
                ext["store"],
                username=username,
                password=PASSWORD,
                role=role,
                display_name=f"测试{username}",
                hall_code=None if role is Role.ADMIN else HALL,
                staff_number=username.upper(),
                now=clock.utc_now(),
            )
        for name, (kind, window) in DEVICES.items():
            _, self.tokens[name] = auth.create_device(
                ext["store"],
                hall_code=HALL,
                kind=kind,
                name=name,
                window=window,
                now=clock.utc_now(),
                station=STATIONS.get(name),
            )
        close_app(app)

    def start(self, timeout: float = 30) -> None:
        env = {
            **os.environ,
            "QUEUE_INSTANCE_PATH": str(self.instance),
            "QUEUE_DB_SYNCHRONOUS": self.synchronous,
            "QUEUE_LOG_LEVEL": "WARNING",
            "QUEUE_SESSION_COOKIE_SECURE": "false",  # plain HTTP on the loopback
            **self.environment,
            "QUEUE_ASYNC_MODE": self.worker,  # the async mode follows the worker class, explicitly
        }
        self.log_path = self.instance / f"server-{self.port}.log"
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            gunicorn_command(f"127.0.0.1:{self.port}", async_mode=self.worker, extra=("--log-level", "warning")),
            env=env,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        wait_until_answering(self.process, f"{self.url}/api/v1/health", self.log_path, timeout)
        self._wait_until_relayed(timeout)

    def _wait_until_relayed(self, timeout: float) -> None:
        """Wait until the server has sent the events written before it started (`prepare`
        writes with PUBLISHES off; the server's timer relays them within JOB_INTERVAL). A
        screen that subscribed before that relay got such an event in its acknowledgement
        and then again live: allowed by the protocol, but not what a test of a started
        server expects to see."""
        database = self.instance / "hall-queue.sqlite3"
        if not database.exists():  # an instance whose DATABASE is elsewhere (a server beside another)
            return
        deadline = time.monotonic() + timeout
        while True:
            with closing(sqlite3.connect(database, timeout=5)) as connection:
                if not storage.halls.has_events_to_relay(sqlite_utils.Database(connection)):
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not relay the events written before it started within {timeout}s")
            time.sleep(0.05)

    @contextmanager
    def running(self, before_start: Callable[[LiveServer], None] | None = None) -> Iterator[LiveServer]:
        """Prepare, optionally adjust (`before_start`), start; SIGKILL at the end (SIGTERM
        would wait out gunicorn's graceful timeout while sockets are open)."""
        self.prepare()
        if before_start is not None:
            before_start(self)
        try:
            self.start()
            yield self
        finally:
            self.kill()

    def kill(self) -> None:
        """SIGKILL the whole process group: master and worker die mid-flight."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def session(self, username: str) -> requests.Session:
        """A signed-in requests session that sends its CSRF token on every request."""
        s = requests.Session()
        response = s.post(f"{self.url}/api/v1/session", json={"username": username, "password": PASSWORD}, timeout=10)
        response.raise_for_status()
        s.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        return s

    def api(self, path: str) -> str:
        return f"{self.url}/api/v1{path}"

    def socket_client(
        self, token: str | None = None, cookies: requests.Session | None = None, **kwargs: Any
    ) -> socketio.Client:
        """A connected python-socketio client (websocket transport)."""
        client = socketio.Client(reconnection=kwargs.pop("reconnection", False), **kwargs)
        headers = {}
        if cookies is not None:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.cookies.items())
        client.connect(
            self.url,
            auth={"token": token} if token else None,
            headers=headers,
            transports=["websocket"],
            wait_timeout=10,
        )
        return client
