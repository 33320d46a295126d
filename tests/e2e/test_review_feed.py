"""The 好差评 feed on a live server (gunicorn, the eventlet worker): records queued while
the platform refuses connections, holds requests past the timeout and answers 500, and
more queued while the server is down after a SIGKILL, all reach the platform exactly
once by key once it recovers; a record the platform refuses is a dead letter with its
answer, and a manager's retry delivers it."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from queue_server import storage
from tests.e2e.helpers import TIMEOUT, check, server_errors
from tests.support.feed_receiver import FeedReceiver
from tests.support.live import LiveServer
from tests.support.rating_records import enqueue_records

SECRET = "live-feed-secret-0123456789"
WAIT = 60.0  # seconds for a state of the outbox to come about


@pytest.fixture
def receiver() -> Iterator[FeedReceiver]:
    with FeedReceiver(SECRET, hold=3.0) as running:  # holds a request past the sender's 1 s timeout
        yield running


def feed_server(instance: Path, receiver: FeedReceiver, timeout: float = 1) -> LiveServer:
    """A live server posting to `receiver`: `timeout` s to answer, backoff 0.2 s up to 1 s, batches of 5."""
    return LiveServer(
        instance,
        environment={
            "QUEUE_REVIEW_FEED_URL": receiver.url,
            "QUEUE_REVIEW_FEED_SECRET": SECRET,
            "QUEUE_REVIEW_FEED_TIMEOUT": str(timeout),
            "QUEUE_REVIEW_FEED_BACKOFF_FIRST": "0.2",
            "QUEUE_REVIEW_FEED_BACKOFF_CAP": "1",
            "QUEUE_REVIEW_FEED_BATCH": "5",
            "QUEUE_REVIEW_FEED_POLL": "0.1",
        },
    )


def outbox(instance: Path) -> dict[str, dict[str, Any]]:
    """The outbox as the file holds it, read beside the server (as the command line does)."""
    store = storage.Storage(instance / "hall-queue.sqlite3")
    try:
        with store.read() as db:
            return {row["key"]: row for row in db.query("SELECT * FROM outbox ORDER BY id")}
    finally:
        store.close()


def queue(instance: Path, numbers: range) -> dict[str, dict[str, Any]]:
    """Records queued in a write transaction of another process, as a rating is."""
    store = storage.Storage(instance / "hall-queue.sqlite3")
    try:
        return enqueue_records(store, numbers)
    finally:
        store.close()


def wait_until(instance: Path, condition: Callable[[dict[str, dict[str, Any]]], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if condition(outbox(instance)):
            return
        time.sleep(0.1)  # the outbox is a file: look again
    raise AssertionError(f"within {WAIT} s: {what}; outbox: {summary(outbox(instance))}")


def summary(rows: dict[str, dict[str, Any]]) -> Counter[tuple[str, str | None]]:
    return Counter((row["state"], row["last_error"]) for row in rows.values())


def test_through_refusals_timeouts_500s_and_a_restart_every_record_arrives_exactly_once(
    tmp_path: Path, receiver: FeedReceiver
) -> None:
    instance = tmp_path / "instance"
    server = feed_server(instance, receiver)
    receiver.mode = "refuse"
    with server.running():
        first = queue(instance, range(1, 21))
        wait_until(
            instance,
            lambda rows: any(r["last_error"] == "connection refused" for r in rows.values()),
            "a record tried against a platform refusing connections",
        )
        receiver.mode = "timeout"
        wait_until(
            instance,
            lambda rows: any(r["last_error"] == "no answer within 1 s" for r in rows.values()),
            "a record tried against a platform that does not answer in time",
        )
        receiver.mode = "error"
        wait_until(
            instance,
            lambda rows: any(r["last_status"] == 500 for r in rows.values()),
            "a record answered 500",
        )
        server.kill()  # SIGKILL mid-round: rows it held stay claimed until their lease ends
        assert receiver.accepted == []
        second = queue(instance, range(21, 36))  # queued while no server runs

        receiver.mode = "accept"
        server.start()
        wait_until(
            instance,
            lambda rows: len(rows) == 35 and all(r["state"] == "delivered" for r in rows.values()),
            "every record delivered after the restart",
        )
        bodies = {**first, **second}
        assert sorted(receiver.accepted) == sorted(bodies)
        assert Counter(receiver.accepted).most_common(1)[0][1] == 1
        assert receiver.duplicates == []  # no record was sent again after a 2xx
        assert receiver.bad_signatures == 0
        statuses = Counter(receiver.statuses())
        assert statuses[500] >= 1 and statuses[None] >= 1 and statuses[201] == 35
        for delivery in receiver.deliveries:
            assert delivery.signature_ok
            assert delivery.json() == bodies[delivery.key]

        manager = server.session("manager")
        status = check(manager.get(server.api("/feed"), timeout=TIMEOUT), 200)
        assert status["counts"] == {"pending": 0, "delivered": 35, "dead": 0}
        assert status["sender"]["configured"] and status["sender"]["running"]
        assert status["last_error"]["last_error"] in ("HTTP 500", "no answer within 1 s", "connection refused")
        assert server_errors(server) == []


def test_a_refused_record_is_a_dead_letter_with_the_answer_and_a_managers_retry_delivers_it(
    tmp_path: Path, receiver: FeedReceiver
) -> None:
    instance = tmp_path / "instance"
    server = feed_server(instance, receiver)
    receiver.reject["demo-rating-2"] = (422, '{"code":"E1002","message":"事项编码不存在"}')
    with server.running():
        queue(instance, range(1, 4))
        wait_until(
            instance,
            lambda rows: Counter(r["state"] for r in rows.values()) == {"delivered": 2, "dead": 1},
            "two delivered, one dead letter",
        )
        manager = server.session("manager")
        letters = check(manager.get(server.api("/feed/dead-letters"), timeout=TIMEOUT), 200)["dead_letters"]
        assert [(letter["key"], letter["last_status"]) for letter in letters] == [("demo-rating-2", 422)]
        assert "事项编码不存在" in letters[0]["last_answer"]

        del receiver.reject["demo-rating-2"]
        retried = manager.post(server.api(f"/feed/dead-letters/{letters[0]['id']}/retry"), timeout=TIMEOUT)
        assert check(retried, 200)["state"] == "pending"
        wait_until(instance, lambda rows: rows["demo-rating-2"]["state"] == "delivered", "the retried record delivered")
        assert sorted(receiver.accepted) == ["demo-rating-1", "demo-rating-2", "demo-rating-3"]
        assert receiver.duplicates == []
        again = manager.post(server.api(f"/feed/dead-letters/{letters[0]['id']}/retry"), timeout=TIMEOUT)
        assert again.status_code == 409 and again.headers["Content-Type"] == "application/problem+json"
        assert server_errors(server) == []


def test_without_a_url_the_live_server_keeps_records_and_says_it_is_not_configured(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    with LiveServer(instance).running() as server:
        queue(instance, range(1, 3))
        admin = server.session("admin")
        status = check(admin.get(server.api("/feed"), timeout=TIMEOUT), 200)
        assert status["sender"] == {"configured": False, "url": None, "running": False, "paused_until": None}
        assert status["counts"] == {"pending": 2, "delivered": 0, "dead": 0}
        assert status["oldest_pending"]["key"] == "demo-rating-1"
        assert isinstance(requests.get(server.api("/feed"), timeout=TIMEOUT).json()["detail"], str)  # 401


def test_two_server_processes_on_one_database_send_each_record_once(
    tmp_path: Path, receiver: FeedReceiver, redis_url: str
) -> None:
    """Both servers' senders claim from the same outbox, batches of 5, to a platform that
    takes 20 ms a record: of the two, one sends each record."""
    receiver.delay = 0.02
    first = feed_server(tmp_path / "instance", receiver)
    first.environment["QUEUE_MESSAGE_QUEUE"] = redis_url
    first.prepare()
    second = LiveServer(first.instance, environment=first.environment, tokens=first.tokens)
    try:
        first.start()
        second.start()
        bodies = queue(first.instance, range(1, 61))
        wait_until(
            first.instance,
            lambda rows: all(r["state"] == "delivered" for r in rows.values()),
            "every record delivered",
        )
        assert sorted(receiver.accepted) == sorted(bodies)
        assert receiver.duplicates == [] and receiver.bad_signatures == 0
        assert len(receiver.deliveries) == 60
        assert server_errors(first) == [] and server_errors(second) == []
    finally:
        second.kill()
        first.kill()


def test_a_server_killed_between_the_platforms_taking_a_record_and_its_commit_resends_it_with_the_same_key(
    tmp_path: Path, receiver: FeedReceiver
) -> None:
    """The one gap of "once per key" (docs/review-feed.md): the platform has the record,
    its answer is on the way, the server dies before committing it. After the restart,
    once the dead process's lease is over (3 timeouts + 5 s), the record goes again with
    the same Idempotency-Key and the same body, and the platform knows it has it."""
    receiver.delay = 1.5  # it takes the record at once and answers 1.5 s later
    instance = tmp_path / "instance"
    server = feed_server(instance, receiver, timeout=2.5)
    with server.running():
        queue(instance, range(1, 2))
        assert receiver.wait_for(1, timeout=WAIT)  # taken, its answer not yet sent
        server.kill()
        assert outbox(instance)["demo-rating-1"]["state"] == "pending"
        server.start()
        wait_until(instance, lambda rows: rows["demo-rating-1"]["state"] == "delivered", "the record delivered")
        assert receiver.accepted == ["demo-rating-1"]
        assert receiver.duplicates == ["demo-rating-1"]  # the platform saw the key again and kept the first
        first, again = (d for d in receiver.deliveries if d.answered is not None)
        assert first.key == again.key == "demo-rating-1" and first.body == again.body
        assert first.signature_ok and again.signature_ok
        row = outbox(instance)["demo-rating-1"]
        assert (row["attempts"], row["last_status"]) == (1, 200)  # the first attempt was never recorded
        assert server_errors(server) == []
