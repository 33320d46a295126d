"""Another process holding SQLite's write lock (the command line, a second server): a
write waits for it without SQLite's own busy handler, which sleeps inside C and would
freeze every green thread of an eventlet worker; past the wait it is told, not hung
(issue 6, case 8). bench/cli_write.py measures that the hub stays free meanwhile."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask

from tests.conftest import Api


@contextmanager
def lock_held_by_another_process(app: Flask) -> Iterator[threading.Event]:
    """Hold the database's write lock from a connection of our own until the yielded
    event is set (as `sqlite3 hall.sqlite3 'BEGIN IMMEDIATE; …'` would)."""
    release, held = threading.Event(), threading.Event()

    def hold() -> None:
        other = sqlite3.connect(app.config["DATABASE"], isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        held.set()
        release.wait(30)
        other.execute("COMMIT")
        other.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(10)
    try:
        yield release
    finally:
        release.set()
        holder.join(10)


def test_the_stores_connections_leave_lock_waits_to_python(store) -> None:  # type: ignore[no-untyped-def]
    with store.read() as db:
        assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 0


def test_a_write_waits_for_another_process_and_reads_do_not(app: Flask, login) -> None:  # type: ignore[no-untyped-def]
    guide: Api = login("guide")
    done: dict[str, Any] = {}

    def issue() -> None:
        done["ticket"] = guide.post("/halls/demo/tickets", {"queue": "household"}, status=201)
        done["at"] = time.monotonic()

    with lock_held_by_another_process(app) as release:
        writer = threading.Thread(target=issue)
        writer.start()
        assert guide.get("/halls/demo")["hall"]["code"] == "demo"  # a snapshot reads meanwhile
        writer.join(0.3)
        assert writer.is_alive(), "the write went through while another process held the lock"
        released_at = time.monotonic()
        release.set()
        writer.join(10)
    assert done["ticket"]["number"] == "E001" and done["at"] >= released_at


def test_a_write_that_cannot_get_the_lock_in_time_is_told_so(app: Flask, login) -> None:  # type: ignore[no-untyped-def]
    app.extensions["hall_queue"]["store"].busy_timeout = 0.2
    guide: Api = login("guide")
    with lock_held_by_another_process(app):
        response = guide.client.post("/api/v1/halls/demo/tickets", json={"queue": "household"}, headers=guide.headers)
    assert response.status_code == 503 and response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "store_busy" and "稍后重试" in response.get_json()["detail"]
    assert guide.post("/halls/demo/tickets", {"queue": "household"}, status=201)["number"] == "E001"
