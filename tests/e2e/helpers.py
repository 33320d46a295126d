"""What the end-to-end tests share: starting a live server, screens that record what
they receive, and small HTTP helpers that fail with the server's own answer.

Nothing here sleeps to wait for an event: a `Screen` waits on its queue with a timeout.
"""

from __future__ import annotations

import queue
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
import socketio

from tests.support.live import HALL, LiveServer

TIMEOUT = 10  # seconds for any one request, acknowledgement or awaited event
Payload = dict[str, Any]


GROUP_COMMIT_LOG = {"QUEUE_LOG_LEVEL": "INFO"}  # a LiveServer environment that logs the group commit's batches


def largest_write_batch(server: LiveServer) -> int:
    """The most writes one COMMIT held so far, from the lines the server logs at INFO
    (`GROUP_COMMIT_LOG`) when a batch larger than any before commits (storage/store.py);
    1 if no batch ever held more than one write."""
    if server.log_path is None or not server.log_path.exists():
        return 0
    sizes = re.findall(r"group commit: a batch of (\d+) writes", server.log_path.read_text(errors="replace"))
    return max((int(size) for size in sizes), default=1)


def server_errors(server: LiveServer) -> list[str]:
    """Lines the server logged at ERROR or above (unhandled exceptions, failed handlers)."""
    if server.log_path is None or not server.log_path.exists():
        return []
    return [
        line
        for line in server.log_path.read_text(errors="replace").splitlines()
        if " ERROR " in line or " CRITICAL " in line or "Traceback" in line
    ]


# ---- HTTP ------------------------------------------------------------------------------


def check(response: requests.Response, status: int) -> Payload:
    """The JSON body of a response that must have `status`; else fail showing the body."""
    assert response.status_code == status, (
        f"{response.request.method} {response.url} -> {response.status_code}: {response.text}"
    )
    return response.json() if response.content else {}


def issue(server: LiveServer, session: requests.Session, **body: Any) -> Payload:
    """Issue a ticket (guide or manager session); returns the ticket."""
    return check(session.post(server.api(f"/halls/{HALL}/tickets"), json=body, timeout=TIMEOUT), 201)


def window_post(
    server: LiveServer, session: requests.Session, window: int, action: str, **body: Any
) -> requests.Response:
    """POST /halls/demo/windows/{window}/{action}, e.g. action="call-next"."""
    return session.post(server.api(f"/halls/{HALL}/windows/{window}/{action}"), json=body or None, timeout=TIMEOUT)


def window_do(server: LiveServer, session: requests.Session, window: int, action: str, **body: Any) -> Payload:
    """A window action that must succeed; returns the window as the server shows it."""
    return check(window_post(server, session, window, action, **body), 200)


def serve_and_finish(server: LiveServer, session: requests.Session, window: int) -> None:
    """The called citizen arrives and is served: the window is free again."""
    window_do(server, session, window, "start-service")
    window_do(server, session, window, "finish-service")


def all_events(server: LiveServer, session: requests.Session) -> list[Payload]:
    """The hall's whole event log, page by page through GET /halls/demo/events."""
    events: list[Payload] = []
    after = 0
    while True:
        page = check(session.get(server.api(f"/halls/{HALL}/events"), params={"since": after}, timeout=TIMEOUT), 200)
        events += page["events"]
        if page["complete"]:
            return events
        after = events[-1]["seq"]


# ---- Socket.IO -------------------------------------------------------------------------


@dataclass
class Screen:
    """A real python-socketio client that records every event it receives, in order.

    `wait_for` takes events off the queue until one matches; everything taken so far
    is kept in `seen`, so after a later event has arrived the test can say what did
    *not* arrive before it (events to one client arrive in the order they were sent).
    """

    client: socketio.Client
    inbox: queue.Queue[tuple[str, Payload]] = field(default_factory=queue.Queue)
    seen: list[tuple[str, Payload]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.client.on("*", lambda event, data=None: self.inbox.put((event, data)))

    def subscribe(self, **scope: Any) -> Payload:
        """`subscribe` to the demo hall (or a zone or window of it); returns the ack's data."""
        ack = self.client.call("subscribe", {"hall": HALL, **scope}, timeout=TIMEOUT)
        assert ack["ok"], ack
        return ack["data"]  # type: ignore[no-any-return]

    def wait_for(self, event: str, where: Callable[[Payload], bool] = lambda payload: True) -> Payload:
        deadline = time.monotonic() + TIMEOUT
        while True:
            remaining = deadline - time.monotonic()
            try:
                name, payload = self.inbox.get(timeout=max(remaining, 0.001))
            except queue.Empty:
                raise AssertionError(f"no {event!r} within {TIMEOUT}s; received: {self.seen}") from None
            self.seen.append((name, payload))
            if name == event and where(payload):
                return payload

    def received(self, event: str) -> list[Payload]:
        return [payload for name, payload in self.seen if name == event]

    def take_arrived(self) -> list[tuple[str, Payload]]:
        """Move what has arrived so far into `seen`, without waiting; returns `seen`."""
        while True:
            try:
                self.seen.append(self.inbox.get_nowait())
            except queue.Empty:
                return self.seen


def at_window(number: int) -> Callable[[Payload], bool]:
    return lambda payload: payload.get("window", {}).get("number") == number


def numbered(number: str) -> Callable[[Payload], bool]:
    return lambda payload: payload.get("ticket", {}).get("number") == number
