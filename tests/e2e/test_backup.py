"""A backup taken by `queue-server backup` while the live server issues tickets to several
desks holds every ticket acknowledged before it began; `queue-server restore` puts it
back (refused while the server runs), and the restored server numbers on and serves."""

from __future__ import annotations

import itertools
import sqlite3
import subprocess
import sys
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.helpers import TIMEOUT, Screen, check, numbered, server_errors, window_do
from tests.support.live import HALL, LiveServer

pytestmark = pytest.mark.both_workers  # on gevent too (tests/e2e/conftest.py)

Connect = Callable[..., Screen]
SignIn = Callable[[LiveServer, str], requests.Session]
DESKS = 6
ACKNOWLEDGED_BEFORE_BACKUP = 60
AFTER_BACKUP = 30  # tickets the desks go on getting once the backup is done
# Each desk's pause between tickets: 6 desks then ask for at most 60 a second, so that a
# slow backup (a CLI process starting on a loaded machine) does not see the three queues'
# 900 numbers of the day (daily cap 300 each) given out before it ends.
DESK_PACE = 0.1
QUEUES = ("comprehensive", "pickup", "social-insurance")


def queue_server(server: LiveServer, *args: str) -> subprocess.CompletedProcess[str]:
    """The command line, a process of its own beside the server, as an operator runs it."""
    return subprocess.run(
        [sys.executable, "-m", "queue_server.cli", "--instance", str(server.instance), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def highest_numbers(database: Path) -> dict[str, int]:
    with sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT queue, number FROM tickets").fetchall()
    highest: dict[str, int] = {}
    for queue, number in rows:
        highest[queue] = max(highest.get(queue, 0), int(number[1:]))
    return highest


def test_a_backup_taken_while_desks_issue_restores_every_ticket_acknowledged_before_it(
    fresh_server: LiveServer, sign_in: SignIn, connect: Connect, tmp_path: Path
) -> None:
    server = fresh_server
    lock = threading.Lock()
    acknowledged: dict[str, dict[str, Any]] = {}  # key -> ticket
    unexpected: list[str] = []
    enough, done = threading.Event(), threading.Event()
    queue_of_request = itertools.cycle(QUEUES)

    def desk(session: requests.Session) -> None:
        while not done.is_set():
            key = str(uuid.uuid4())
            with lock:
                body = {"queue": next(queue_of_request)}
            response = session.post(
                server.api(f"/halls/{HALL}/tickets"), json=body, headers={"Idempotency-Key": key}, timeout=TIMEOUT
            )
            with lock:
                if response.status_code != 201:
                    unexpected.append(f"{response.status_code} {response.text}")
                    return
                acknowledged[key] = response.json()
                if len(acknowledged) >= ACKNOWLEDGED_BEFORE_BACKUP:
                    enough.set()
            done.wait(DESK_PACE)

    sessions = [sign_in(server, "guide") for _ in range(DESKS)]
    desks = [threading.Thread(target=desk, args=(session,), daemon=True) for session in sessions]
    for thread in desks:
        thread.start()
    try:
        assert enough.wait(timeout=60), f"only {len(acknowledged)} tickets acknowledged: {unexpected}"
        with lock:
            before = dict(acknowledged)  # every ticket acknowledged before the backup began
        taken = queue_server(server, "backup", str(tmp_path / "backup"))
        assert taken.returncode == 0, taken.stderr
        with lock:
            during = len(acknowledged) - len(before)
        more = threading.Event()
        while not more.is_set() and not unexpected and all(t.is_alive() for t in desks):
            with lock:
                if len(acknowledged) >= len(before) + during + AFTER_BACKUP:
                    more.set()
            more.wait(0.05)
        assert more.is_set(), f"the server stopped issuing after the backup: {unexpected}"
    finally:
        done.set()
        for thread in desks:
            thread.join(timeout=TIMEOUT + 5)
        for session in sessions:
            session.close()  # no idle keep-alive connection for the graceful stop to wait out
    assert unexpected == []

    # Not while the server runs: it would replace the file the server writes.
    refused = queue_server(server, "restore", str(tmp_path / "backup"))
    assert refused.returncode != 0 and "服务器正在使用该实例" in refused.stderr, refused.stderr

    server.stop()
    restored = queue_server(server, "restore", str(tmp_path / "backup"))
    assert restored.returncode == 0, restored.stderr
    database = server.instance / "hall-queue.sqlite3"
    highest = highest_numbers(database)
    server.start()
    guide, manager, clerk = sign_in(server, "guide"), sign_in(server, "manager"), sign_in(server, "clerk1")

    # Every ticket acknowledged before the backup began is there, as the citizen holds it.
    for ticket in before.values():
        stored = check(guide.get(server.api(f"/halls/{HALL}/tickets/{ticket['id']}"), timeout=TIMEOUT), 200)
        assert (stored["number"], stored["queue"]) == (ticket["number"], ticket["queue"])
    # Nothing in it that was never acknowledged or asked for: at most what the desks got.
    assert sum(highest.values()) <= len(acknowledged) + DESKS
    assert sum(highest.values()) >= len(before)

    # Numbering continues each queue's sequence of the restored database: no number reused.
    for queue in QUEUES:
        response = guide.post(
            server.api(f"/halls/{HALL}/tickets"),
            json={"queue": queue},
            headers={"Idempotency-Key": str(uuid.uuid4())},
            timeout=TIMEOUT,
        )
        assert int(check(response, 201)["number"][1:]) == highest[queue] + 1, queue
    with sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True) as conn:
        per_queue = Counter(conn.execute("SELECT queue, number FROM tickets WHERE service_day IS NOT NULL"))
    assert [entry for entry, n in per_queue.items() if n > 1] == [], "a number given twice in a queue"

    # And it serves: a call reaches the hall screen.
    screen = connect(server, token=server.tokens["hall_screen"])
    screen.subscribe()
    window_do(server, clerk, 1, "open-window")
    called = window_do(server, clerk, 1, "call-next")["ticket"]
    assert screen.wait_for("ticket_called", numbered(called))["text"].startswith(f"请{called}号")
    assert manager.get(server.api("/health"), timeout=TIMEOUT).status_code == 200
    assert server_errors(server) == []
