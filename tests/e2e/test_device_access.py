"""Screens and other devices connect with their token; an unknown or revoked token is
refused at connect, and the refusal should carry the server's own sentence."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio

from queue_server import auth, storage
from queue_server.domain import clock
from queue_server.domain.access import DeviceKind
from tests.e2e.helpers import TIMEOUT, Screen, check
from tests.support.live import HALL, LiveServer

REFUSED_TOKEN = "设备令牌无效或已吊销：请联系管理员重新登记此设备"
NOT_SIGNED_IN = "请先登录，或使用设备令牌连接"


def queue_server(server: LiveServer, *args: str) -> str:
    """Run the operator's command line, `queue-server --instance <dir> ...`, on the live
    server's instance folder; returns what it printed."""
    script = Path(sys.executable).with_name("queue-server")
    command = [str(script)] if script.exists() else [sys.executable, "-c", "from queue_server.cli import main; main()"]
    result = subprocess.run(
        [*command, "--instance", str(server.instance), *args], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def refusal(server: LiveServer, credentials: dict[str, Any] | None) -> list[Any]:
    """Connect a client that must be refused; returns what its `connect_error` said.

    python-socketio's `connect()` raises a generic ConnectionError ("One or more
    namespaces failed to connect"); the server's reason arrives as `connect_error`.
    """
    client = socketio.Client(reconnection=False)
    said: list[Any] = []
    client.on("connect_error", lambda data=None: said.append(data))
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(server.url, auth=credentials, transports=["websocket"], wait_timeout=TIMEOUT)
    assert not client.connected
    assert len(said) == 1, said
    return said


@pytest.fixture(scope="module")
def revoked_token(server: LiveServer) -> Iterator[str]:
    """A hall screen registered and then revoked on the instance database (auth.revoke_device)."""
    store = storage.Storage(server.instance / "hall-queue.sqlite3")
    try:
        device_id, token = auth.create_device(
            store, hall_code=HALL, kind=DeviceKind.HALL_SCREEN, name="e2e 已吊销大屏", window=None, now=clock.utc_now()
        )
        auth.revoke_device(store, device_id, clock.utc_now())
    finally:
        store.close()
    yield token


def test_an_unknown_token_is_refused_at_connect(server: LiveServer) -> None:
    refusal(server, {"token": "hqd_not-a-registered-device"})
    refusal(server, {"token": "not even the right shape"})


def test_a_client_without_credentials_is_refused_at_connect(server: LiveServer) -> None:
    refusal(server, None)


def test_a_revoked_token_is_refused_at_connect(server: LiveServer, connect: Callable[..., Screen]) -> None:
    """The administrator registers a screen with the command line and it connects; after
    `queue-server device revoke` the same token is refused, on Socket.IO and HTTP alike,
    while the other devices carry on."""
    created = queue_server(
        server, "device", "create", "--hall", HALL, "--kind", "hall_screen", "--name", "e2e 待吊销大屏"
    )
    found = re.search(r"device (\d+) \(hall_screen\) token: (\S+)", created)
    assert found, created
    device_id, token = found.groups()
    bearer = {"Authorization": f"Bearer {token}"}

    screen = connect(server, token=token)
    assert screen.subscribe()["scope"]["hall"] == HALL
    screen.client.disconnect()
    check(requests.get(server.api(f"/halls/{HALL}"), headers=bearer, timeout=TIMEOUT), 200)

    assert f"device {device_id} revoked" in queue_server(server, "device", "revoke", device_id)

    refusal(server, {"token": token})
    assert (
        check(requests.get(server.api(f"/halls/{HALL}"), headers=bearer, timeout=TIMEOUT), 401)["detail"]
        == REFUSED_TOKEN
    )
    assert connect(server, token=server.tokens["hall_screen"]).subscribe()["scope"]["hall"] == HALL


@pytest.mark.parametrize(
    ("credentials", "message"),
    [
        pytest.param({"token": "hqd_not-a-registered-device"}, REFUSED_TOKEN, id="unknown-token"),
        pytest.param("revoked", REFUSED_TOKEN, id="revoked-token"),
        pytest.param(None, NOT_SIGNED_IN, id="no-credentials"),
    ],
)
def test_a_refused_screen_is_told_why(server: LiveServer, revoked_token: str, credentials: Any, message: str) -> None:
    """The device's screen can show the operator what to do, in the hall's language."""
    if credentials == "revoked":
        credentials = {"token": revoked_token}
    assert refusal(server, credentials) == [{"message": message}]
