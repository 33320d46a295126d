"""Sessions against the production worker: a real python-socketio client signed in with
its session cookie loses its socket the moment the session ends, whether the browser
signed out (this server process) or the operator disabled the account from the command
line (another process; the server's timer notices). The periodic credential re-check is
off on this server, so nothing else can have closed it."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest
import requests
import socketio

from tests.e2e.helpers import TIMEOUT, check, server_errors
from tests.support.live import LiveServer


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path_factory.mktemp("instance"), environment={"QUEUE_CREDENTIAL_RECHECK_SECONDS": "0"})
    with live.running() as running:
        yield running


class Link:
    """A socket signed in with a session's cookie, noting when the server closes it."""

    def __init__(self, server: LiveServer, session: requests.Session) -> None:
        self.closed = threading.Event()
        self.client: socketio.Client = server.socket_client(cookies=session)
        self.client.on("disconnect", lambda *reason: self.closed.set())
        answer = self.client.call("subscribe", {"hall": "demo"}, timeout=TIMEOUT)
        assert answer["ok"], answer


def queue_server(server: LiveServer, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "queue_server.cli", "--instance", str(server.instance), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_signing_out_closes_the_sessions_socket_at_once(server: LiveServer, sign_in) -> None:  # type: ignore[no-untyped-def]
    guide = sign_in(server, "guide")
    link, other = Link(server, guide), Link(server, sign_in(server, "manager"))
    cookie = "; ".join(f"{k}={v}" for k, v in guide.cookies.items())
    check(guide.delete(server.api("/session"), timeout=TIMEOUT), 204)
    assert link.closed.wait(TIMEOUT), "the signed-out session's socket is still open"
    stale = requests.get(server.api("/session"), headers={"Cookie": cookie}, timeout=TIMEOUT)
    assert check(stale, 401)["reason"] == "revoked"
    assert other.client.connected and not other.closed.is_set()
    other.client.disconnect()


def test_disabling_a_user_from_the_command_line_closes_its_socket(server: LiveServer, sign_in) -> None:  # type: ignore[no-untyped-def]
    clerk = sign_in(server, "clerk2")
    link, other = Link(server, clerk), Link(server, sign_in(server, "guide"))
    assert "1 session(s) ended" in queue_server(server, "user", "disable", "clerk2")
    assert link.closed.wait(TIMEOUT), "the disabled user's socket is still open"
    assert check(clerk.get(server.api("/session"), timeout=TIMEOUT), 401)["reason"] == "disabled"
    assert other.client.connected and not other.closed.is_set()
    other.client.disconnect()
    queue_server(server, "user", "enable", "clerk2")
    assert server_errors(server) == []
