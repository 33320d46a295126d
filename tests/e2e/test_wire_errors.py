"""Inputs the application never sees whole: gunicorn's own refusals and Socket.IO
packets too deep to decode still answer in the one error shape (issue 6, case 10)."""

from __future__ import annotations

import json

import pytest
import requests
import websocket

from tests.e2e.helpers import TIMEOUT, server_errors
from tests.support.live import LiveServer

pytestmark = pytest.mark.both_workers  # on gevent too (tests/e2e/conftest.py)


def test_an_over_long_request_line_or_header_gets_problem_json(server: LiveServer) -> None:
    long_line = requests.get(server.api("/halls/demo") + "?x=" + "a" * 9000, timeout=TIMEOUT)
    big_header = requests.get(server.api("/health"), headers={"X-Big": "b" * 9000}, timeout=TIMEOUT)
    for response, status in ((long_line, 400), (big_header, 431)):
        assert response.status_code == status
        assert response.headers["Content-Type"] == "application/problem+json"
        problem = response.json()
        assert problem["status"] == status and problem["code"] and "请求" in problem["detail"]
    assert requests.get(server.api("/health"), timeout=TIMEOUT).status_code == 200


def test_a_socket_message_nested_too_deep_is_answered_and_the_link_lives_on(server: LiveServer) -> None:
    """Regression: python-socketio's decoder hit RecursionError, logged a traceback and
    sent no acknowledgement."""
    link = websocket.create_connection(
        server.url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket", timeout=TIMEOUT
    )
    try:
        assert link.recv().startswith("0")  # Engine.IO open
        link.send("40" + json.dumps({"token": server.tokens["hall_screen"]}))
        assert link.recv().startswith("40")  # Socket.IO connect accepted
        link.send('421["subscribe",' + "[" * 5000 + "]" * 5000 + "]")
        answer = link.recv()
        assert answer.startswith("431")
        problem = json.loads(answer[3:])[0]["problem"]
        assert problem["status"] == 400 and problem["code"] == "malformed_request"
        link.send('422["subscribe",{}]')
        assert json.loads(link.recv()[3:])[0]["ok"] is True
    finally:
        link.close()
    assert server_errors(server) == []
