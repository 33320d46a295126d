"""The 好差评 feed over a real SQLite file and a real HTTP receiver on a loopback port:
records queued in a write transaction reach the platform once each, signed; failures
are retried after a backoff, refusals become dead letters that can be sent again;
several senders never send one row at once; and managers and administrators see it all."""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import sqlite_utils
from click.testing import CliRunner
from flask import Flask

from queue_server import config, storage
from queue_server.api.openapi import openapi_document
from queue_server.app import close_app, create_app
from queue_server.cli import main
from queue_server.domain import clock as clocks
from queue_server.domain import review_feed
from queue_server.review_feed import FeedSender
from tests.conftest import TEST_CONFIG, Clock
from tests.support import rating_records
from tests.support.feed_receiver import FeedReceiver
from tests.support.rating_records import record

SECRET = "feed-secret-0123456789"


@pytest.fixture
def receiver() -> Iterator[FeedReceiver]:
    with FeedReceiver(SECRET, hold=2.0) as running:
        yield running


def _app(tmp_path: Path, clock: Clock, template: Path, settings: dict[str, Any]) -> Flask:
    """The app over a copy of the template; its instance folder holds the settings (in
    config.toml) and the secret key too, for the command line."""
    instance = tmp_path / "instance"
    shutil.copytree(template, instance)
    (instance / "secret_key").write_text(TEST_CONFIG["SECRET_KEY"])
    (instance / "config.toml").write_text(
        "".join(f"{name} = {_toml(value)}\n" for name, value in settings.items() if name.startswith("REVIEW_"))
    )
    return create_app({**TEST_CONFIG, "CLOCK": clock, **settings}, instance_path=str(instance))


def _toml(value: Any) -> str:
    if isinstance(value, dict):  # an inline table of plain values
        return "{ " + ", ".join(f"{name} = {json.dumps(item)}" for name, item in value.items()) + " }"
    return json.dumps(value)


@pytest.fixture
def app(
    tmp_path: Path, clock: Clock, template_instance: tuple[Path, dict[str, str]], receiver: FeedReceiver
) -> Iterator[Flask]:
    """The app with its feed pointed at the receiver: 3 s to answer, backoff from 1 s to
    8 s; the test runs the sender's rounds itself."""
    template, tokens = template_instance
    app = _app(
        tmp_path,
        clock,
        template,
        {
            "REVIEW_FEED_URL": receiver.url,
            "REVIEW_FEED_SECRET": SECRET,
            "REVIEW_FEED_TIMEOUT": 3,
            "REVIEW_FEED_BACKOFF_FIRST": 1,
            "REVIEW_FEED_BACKOFF_CAP": 8,
            "REVIEW_FEED_BATCH": 5,
        },
    )
    app.config["TEST_TOKENS"] = tokens
    yield app
    close_app(app)


@pytest.fixture
def sender(app: Flask) -> FeedSender:
    return app.extensions["hall_queue"]["feed"]  # type: ignore[no-any-return]


@pytest.fixture
def enqueue_records(clock: Clock) -> Any:
    """enqueue_records(store, numbers, **changes): queued at the test's now."""

    def queue(store: storage.Storage, numbers: range | list[int], **changes: Any) -> dict[str, dict[str, Any]]:
        return rating_records.enqueue_records(store, numbers, queued_at=clock.now, **changes)

    return queue


def rows(store: storage.Storage) -> dict[str, dict[str, Any]]:
    with store.read() as db:
        return {row["key"]: row for row in db.query("SELECT * FROM outbox ORDER BY id")}


def drain(sender: FeedSender, rounds: int = 50) -> int:
    sent = 0
    for _ in range(rounds):
        done = sender.round()
        if not done:
            return sent
        sent += done
    raise AssertionError("the outbox did not drain")


# ---- delivered once, signed -----------------------------------------------------------------


def test_records_queued_in_a_transaction_arrive_once_each_signed_with_their_key(
    enqueue_records: Any, store: storage.Storage, sender: FeedSender, receiver: FeedReceiver
) -> None:
    bodies = enqueue_records(store, range(1, 13))
    assert drain(sender) == 12  # batches of 5: three claims
    assert drain(sender) == 0  # nothing is sent again
    assert receiver.accepted == sorted(bodies, key=lambda key: int(key.rsplit("-", 1)[1]))
    assert receiver.duplicates == [] and receiver.bad_signatures == 0
    for delivery in receiver.deliveries:
        assert delivery.signature_ok
        assert delivery.json() == bodies[delivery.key]  # the body as built when queued
        assert delivery.json()["id"] == delivery.key
        assert delivery.timestamp is not None and delivery.timestamp.isdigit()
    stored = rows(store)
    assert {row["state"] for row in stored.values()} == {"delivered"}
    assert all(row["attempts"] == 1 and row["last_status"] == 201 for row in stored.values())
    assert all(row["claimed_by"] is None for row in stored.values())


def test_the_body_sent_is_the_one_built_when_queued_byte_for_byte(
    enqueue_records: Any, store: storage.Storage, sender: FeedSender, receiver: FeedReceiver
) -> None:
    enqueue_records(store, [1], text="态度很好，办事快👍")
    drain(sender)
    with store.read() as db:
        stored = storage.outbox.by_key(db, "demo-rating-1")
    assert stored is not None
    assert receiver.deliveries[0].body == stored["payload"].encode()
    assert "态度很好，办事快👍" in receiver.deliveries[0].body.decode()  # UTF-8 as it is, not \\u escapes


def test_enqueue_is_idempotent_on_the_key_and_belongs_inside_a_write_transaction(store: storage.Storage) -> None:
    made = record(7)
    body = review_feed.payload(made, review_feed.FeedCodes())
    with store.write() as db:
        first = storage.outbox.enqueue(db, made["key"], "demo", "rating", body, "2026-11-23T02:00:00.000Z")
        again = storage.outbox.enqueue(
            db, made["key"], "demo", "rating", {**body, "level": 1}, "2026-11-23T03:00:00.000Z"
        )
    assert first == again
    assert json.loads(rows(store)[made["key"]]["payload"])["level"] == body["level"]  # the first body stands
    outside = sqlite_utils.Database(sqlite3.connect(store.path, isolation_level=None))
    try:
        with pytest.raises(RuntimeError, match="inside the write transaction"):
            storage.outbox.enqueue(outside, "x", "demo", "rating", body, "2026-11-23T02:00:00.000Z")
    finally:
        outside.close()


def test_a_record_rolled_back_with_its_transaction_is_never_sent(
    store: storage.Storage, sender: FeedSender, receiver: FeedReceiver
) -> None:
    body = review_feed.payload(record(1), review_feed.FeedCodes())
    with pytest.raises(ZeroDivisionError), store.write() as db:
        storage.outbox.enqueue(db, "demo-rating-1", "demo", "rating", body, "2026-11-23T02:00:00.000Z")
        1 / 0  # the rating's own write fails after the row was queued
    assert rows(store) == {}
    assert drain(sender) == 0 and receiver.deliveries == []


def test_a_queued_body_never_changes(enqueue_records: Any, store: storage.Storage) -> None:
    enqueue_records(store, [1])
    with pytest.raises(Exception, match="never change"), store.write() as db:
        db.execute("UPDATE outbox SET payload = '{}' WHERE key = 'demo-rating-1'")


# ---- failures, retries, recovery --------------------------------------------------------------


def test_a_platform_down_is_probed_one_record_at_a_time_with_backoff_until_it_takes_each_record_once(
    enqueue_records: Any, store: storage.Storage, sender: FeedSender, receiver: FeedReceiver, clock: Clock
) -> None:
    """Refusing connections, then holding requests past the timeout, then answering 500
    with Retry-After, then well again. After each failure the rest of the claim goes
    back untried and the sender pauses, each pause longer; a failed record is not tried
    again before it is due. Then each record arrives once."""
    enqueue_records(store, range(1, 4))

    def attempts() -> dict[str, int]:
        return {key: row["attempts"] for key, row in rows(store).items()}

    receiver.mode = "refuse"
    assert sender.round() == 1
    refused = rows(store)["demo-rating-1"]
    assert (refused["state"], refused["attempts"], refused["last_status"]) == ("pending", 1, None)
    assert refused["last_error"] == "connection refused"
    due = clocks.parse_iso(refused["next_attempt_at"]) - clock.now
    assert timedelta(seconds=0.5) <= due <= timedelta(seconds=1)  # half to all of the first delay
    assert attempts() == {"demo-rating-1": 1, "demo-rating-2": 0, "demo-rating-3": 0}
    assert all(row["claimed_by"] is None for row in rows(store).values())  # given back untried
    assert sender.paused_until is not None
    assert timedelta(seconds=0.5) <= sender.paused_until - clock.now <= timedelta(seconds=1)
    assert sender.round() == 0  # paused

    clock.now += timedelta(seconds=1)
    receiver.mode = "timeout"
    sender.timeout = 0.5  # the receiver holds each request 2 s
    assert sender.round() == 1
    sender.timeout = 3
    assert rows(store)["demo-rating-2"]["last_error"] == "no answer within 0.5 s"  # the one due longest
    assert sum(attempts().values()) == 2
    assert timedelta(seconds=1) <= sender.paused_until - clock.now <= timedelta(seconds=2)  # doubled

    clock.now += timedelta(seconds=2)
    receiver.mode = "error"
    receiver.retry_after = "30"
    assert sender.round() == 1
    answered = rows(store)["demo-rating-3"]
    assert (answered["last_status"], answered["last_error"]) == (500, "HTTP 500")
    assert answered["last_answer"] == '{"error":"platform down"}'
    assert clocks.parse_iso(answered["next_attempt_at"]) - clock.now >= timedelta(seconds=30)  # the platform's wish
    assert sender.paused_until - clock.now >= timedelta(seconds=30)
    clock.now += timedelta(seconds=10)
    assert sender.round() == 0  # records 1 and 2 are due, but the platform asked for 30 s

    clock.now += timedelta(seconds=21)
    receiver.mode = "accept"
    assert drain(sender) == 3
    assert sorted(receiver.accepted) == ["demo-rating-1", "demo-rating-2", "demo-rating-3"]
    assert receiver.duplicates == []
    final = rows(store)
    assert {(row["state"], row["attempts"]) for row in final.values()} == {("delivered", 2)}
    assert final["demo-rating-3"]["last_error"] == "HTTP 500"  # the history stays
    assert sender.paused_until is None


def test_a_dead_letter_does_not_pause_the_sender(
    enqueue_records: Any, store: storage.Storage, sender: FeedSender, receiver: FeedReceiver
) -> None:
    enqueue_records(store, range(1, 4))
    receiver.reject["demo-rating-1"] = (400, "no")
    assert sender.round() == 3
    assert sender.paused_until is None
    assert receiver.accepted == ["demo-rating-2", "demo-rating-3"]


def test_a_kept_alive_connection_the_platform_closed_is_reopened_without_a_failure(
    enqueue_records: Any, store: storage.Storage, sender: FeedSender, receiver: FeedReceiver
) -> None:
    enqueue_records(store, [1])
    drain(sender)
    receiver.mode = "refuse"  # cuts the kept-alive connection ...
    receiver.mode = "accept"  # ... and listens again on the same port
    enqueue_records(store, [2])
    drain(sender)
    assert receiver.accepted == ["demo-rating-1", "demo-rating-2"]
    assert rows(store)["demo-rating-2"]["attempts"] == 1


# ---- dead letters ---------------------------------------------------------------------------


def test_a_refusal_is_a_dead_letter_with_the_answer_and_can_be_sent_again(
    enqueue_records: Any, store: storage.Storage, sender: FeedSender, receiver: FeedReceiver, login: Any, clock: Clock
) -> None:
    enqueue_records(store, range(1, 4))
    receiver.reject["demo-rating-2"] = (422, '{"error":"事项编码不存在","field":"items"}')
    assert drain(sender) == 3
    assert sender.round() == 0  # a dead letter is not retried by itself
    manager = login("manager")
    status = manager.get("/feed")
    assert status["counts"] == {"pending": 0, "delivered": 2, "dead": 1}
    assert status["last_error"]["key"] == "demo-rating-2"
    letters = manager.get("/feed/dead-letters")["dead_letters"]
    assert [letter["key"] for letter in letters] == ["demo-rating-2"]
    letter = letters[0]
    assert (letter["last_status"], letter["last_error"]) == (422, "HTTP 422")
    assert json.loads(letter["last_answer"]) == {"error": "事项编码不存在", "field": "items"}
    assert letter["body"]["id"] == "demo-rating-2"

    del receiver.reject["demo-rating-2"]  # the platform's table was mended
    retried = manager.post(f"/feed/dead-letters/{letter['id']}/retry")
    assert (retried["state"], retried["attempts"]) == ("pending", 0)
    manager.post(f"/feed/dead-letters/{letter['id']}/retry", status=409)  # no longer a dead letter
    assert drain(sender) == 1
    assert receiver.accepted == ["demo-rating-1", "demo-rating-3", "demo-rating-2"]
    assert manager.get("/feed")["counts"] == {"pending": 0, "delivered": 3, "dead": 0}
    entries = login("admin").get("/audit?action=feed_retried")["entries"]
    assert [(e["actor"], e["hall"], e["target"], e["detail"]["last_status"]) for e in entries] == [
        ("manager", "demo", "demo-rating-2", 422)
    ]


def test_a_manager_sees_and_retries_only_the_records_of_their_hall(
    enqueue_records: Any, store: storage.Storage, sender: FeedSender, receiver: FeedReceiver, login: Any
) -> None:
    enqueue_records(store, [1])
    enqueue_records(store, [2], hall="town")
    receiver.reject["demo-rating-1"] = (400, "bad")
    receiver.reject["town-rating-2"] = (400, "bad")
    drain(sender)
    other = login("other_manager")
    assert other.get("/feed")["counts"] == {"pending": 0, "delivered": 0, "dead": 1}
    assert [letter["key"] for letter in other.get("/feed/dead-letters")["dead_letters"]] == ["town-rating-2"]
    demo_letter = rows(store)["demo-rating-1"]["id"]
    refused = other.post(f"/feed/dead-letters/{demo_letter}/retry", status=404)
    nowhere = other.post("/feed/dead-letters/999999/retry", status=404)
    assert refused["detail"] == nowhere["detail"].replace("999999", str(demo_letter))  # another hall's = none
    other.get("/feed?hall=demo", status=403)
    admin = login("admin")
    assert admin.get("/feed")["counts"]["dead"] == 2
    assert admin.get("/feed?hall=town")["counts"]["dead"] == 1
    admin.get("/feed?hall=atlantis", status=404)


def test_dead_letters_page_newest_first(
    enqueue_records: Any, store: storage.Storage, sender: FeedSender, receiver: FeedReceiver, login: Any
) -> None:
    enqueue_records(store, range(1, 6))
    for number in range(1, 6):
        receiver.reject[f"demo-rating-{number}"] = (409, "conflict")
    drain(sender)
    admin = login("admin")
    first = admin.get("/feed/dead-letters?limit=2")
    assert [letter["key"] for letter in first["dead_letters"]] == ["demo-rating-5", "demo-rating-4"]
    rest = admin.get(f"/feed/dead-letters?limit=10&before={first['next_before']}")
    assert [letter["key"] for letter in rest["dead_letters"]] == ["demo-rating-3", "demo-rating-2", "demo-rating-1"]
    assert rest["next_before"] is None
    admin.get("/feed/dead-letters?limit=0", status=422)
    admin.get("/feed/dead-letters?colour=red", status=422)


# ---- several senders --------------------------------------------------------------------------


def test_of_two_senders_one_sends_each_row_and_a_dead_senders_rows_come_back_after_its_lease(
    enqueue_records: Any, app: Flask, store: storage.Storage, sender: FeedSender, receiver: FeedReceiver, clock: Clock
) -> None:
    other = FeedSender.from_config(store, app.config, clock, None)
    enqueue_records(store, range(1, 8))
    with store.write() as db:  # a sender that claims and then dies
        held = storage.outbox.claim(
            db, "dead-process", clocks.iso(clock.now), clocks.iso(clock.now + timedelta(seconds=7)), 3
        )
    assert [row["key"] for row in held] == ["demo-rating-1", "demo-rating-2", "demo-rating-3"]
    assert drain(sender) + drain(other) == 4  # the held rows wait for the lease
    clock.now += timedelta(seconds=7)
    assert drain(other) == 3
    assert sorted(receiver.accepted) == sorted(f"demo-rating-{n}" for n in range(1, 8))
    assert receiver.duplicates == []


def test_a_stale_holder_cannot_undo_a_delivery(enqueue_records: Any, store: storage.Storage, clock: Clock) -> None:
    enqueue_records(store, [1])
    at = clocks.iso(clock.now)
    with store.write() as db:
        (row,) = storage.outbox.claim(db, "slow", at, at, 1)  # its lease already over
    with store.write() as db:
        (again,) = storage.outbox.claim(db, "fast", at, clocks.iso(clock.now + timedelta(seconds=9)), 1)
        assert storage.outbox.mark_delivered(db, again["id"], 201, "ok", at)
    with store.write() as db:
        undone = storage.outbox.mark_failed(
            db, row["id"], "slow", dead=False, status=500, error="HTTP 500", answer="", at=at, next_attempt_at=at
        )
        assert not undone
        assert not storage.outbox.mark_delivered(db, row["id"], 200, "late", at)  # delivered once
    assert rows(store)["demo-rating-1"]["state"] == "delivered"


def test_the_sender_loop_takes_records_as_they_come_and_stops(
    enqueue_records: Any, store: storage.Storage, sender: FeedSender, receiver: FeedReceiver
) -> None:
    sender.poll = 0.02
    loop = threading.Thread(target=sender.run, daemon=True)
    loop.start()
    try:
        enqueue_records(store, range(1, 4))
        assert receiver.wait_for(3, timeout=10)
        enqueue_records(store, range(4, 6))
        assert receiver.wait_for(5, timeout=10)
        assert sender.describe()["running"] is True
    finally:
        sender.stop()
        loop.join(5)
    assert not loop.is_alive()
    assert receiver.duplicates == []


# ---- not configured; settings; the command line --------------------------------------------------


def test_without_a_url_records_wait_and_the_status_says_so(
    enqueue_records: Any, tmp_path: Path, clock: Clock, template_instance: tuple[Path, dict[str, str]]
) -> None:
    app = _app(tmp_path, clock, template_instance[0], {})
    ext = app.extensions["hall_queue"]
    try:
        enqueue_records(ext["store"], range(1, 4))
        assert ext["feed"].round() == 0
        runner = CliRunner()
        result = runner.invoke(main, ["--instance", app.instance_path, "feed", "status"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert "not configured (REVIEW_FEED_URL unset)" in result.output
        assert "pending 3  delivered 0  dead 0" in result.output
        assert "oldest pending: demo-rating-1" in result.output
        assert ext["feed"].describe() == {"configured": False, "url": None, "running": False, "paused_until": None}
    finally:
        close_app(app)


def test_the_status_names_the_platform_without_its_secrets(
    tmp_path: Path, clock: Clock, template_instance: tuple[Path, dict[str, str]]
) -> None:
    app = _app(
        tmp_path,
        clock,
        template_instance[0],
        {"REVIEW_FEED_URL": "https://user:pw@hcp.example.cn:8443/api/rate?token=x", "REVIEW_FEED_SECRET": SECRET},
    )
    try:
        assert app.extensions["hall_queue"]["feed"].describe()["url"] == "https://hcp.example.cn:8443/api/rate"
    finally:
        close_app(app)


def test_feed_status_on_the_command_line_shows_dead_letters_and_exits_1(
    enqueue_records: Any, app: Flask, store: storage.Storage, sender: FeedSender, receiver: FeedReceiver
) -> None:
    enqueue_records(store, range(1, 3))
    receiver.reject["demo-rating-2"] = (400, '{"error":"missing field"}')
    drain(sender)
    runner = CliRunner()
    result = runner.invoke(main, ["--instance", app.instance_path, "feed", "status"], catch_exceptions=False)
    assert result.exit_code == 1
    assert f"platform: {receiver.url}" in result.output
    assert "pending 0  delivered 1  dead 1" in result.output
    assert "last success:" in result.output and "demo-rating-1" in result.output
    assert "dead" in result.output and '{"error":"missing field"}' in result.output
    letter = rows(store)["demo-rating-2"]["id"]
    retried = runner.invoke(main, ["--instance", app.instance_path, "feed", "retry", str(letter)])
    assert retried.exit_code == 0 and "pending again" in retried.output
    again = runner.invoke(main, ["--instance", app.instance_path, "feed", "retry", str(letter)])
    assert again.exit_code == 1 and "不在死信中" in again.output


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"REVIEW_FEED_URL": "ftp://hcp.example.cn/", "REVIEW_FEED_SECRET": SECRET}, "REVIEW_FEED_URL"),
        ({"REVIEW_FEED_URL": "https://hcp.example.cn/"}, "REVIEW_FEED_SECRET"),
        ({"REVIEW_FEED_URL": "https://hcp.example.cn/", "REVIEW_FEED_SECRET": "short"}, "REVIEW_FEED_SECRET"),
        ({"REVIEW_FEED_LEVEL_CODES": "GB/T 39046"}, "REVIEW_FEED_LEVEL_CODES"),
        ({"REVIEW_FEED_LEVEL_CODES": {"very_satisfied": 5}}, "REVIEW_FEED_LEVEL_CODES"),
        ({"REVIEW_FEED_CHANNEL_CODES": {"kiosk": 3}}, "REVIEW_FEED_CHANNEL_CODES"),
        ({"REVIEW_FEED_TIMEZONE": "Beijing"}, "REVIEW_FEED_TIMEZONE"),
        ({"REVIEW_FEED_TIMEOUT": 0}, "REVIEW_FEED_TIMEOUT"),
        ({"REVIEW_FEED_BACKOFF_CAP": 1, "REVIEW_FEED_BACKOFF_FIRST": 5}, "REVIEW_FEED_BACKOFF_CAP"),
        ({"REVIEW_FEED_BATCH": 0}, "REVIEW_FEED_BATCH"),
        ({"REVIEW_FEED_BATCH": "20"}, "REVIEW_FEED_BATCH"),
        ({"REVIEW_FEED_POLL": True}, "REVIEW_FEED_POLL"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_a_feed_setting_the_server_cannot_use_stops_it_naming_the_setting(
    tmp_path: Path, settings: dict[str, Any], named: str
) -> None:
    config.ensure_secret(tmp_path)
    with pytest.raises(config.ConfigError, match=named):
        create_app({**TEST_CONFIG, **settings}, instance_path=str(tmp_path))


def test_the_code_tables_of_the_settings_build_the_bodies(
    tmp_path: Path, clock: Clock, template_instance: tuple[Path, dict[str, str]]
) -> None:
    app = _app(
        tmp_path,
        clock,
        template_instance[0],
        {"REVIEW_FEED_LEVEL_CODES": "gbt39046", "REVIEW_FEED_CHANNEL_CODES": {"phone": "QR"}},
    )
    ext = app.extensions["hall_queue"]
    try:
        made = record(1, level="very_satisfied", channel="phone")
        with ext["store"].write() as db:
            ext["services"]._feed_rating(db, made, clocks.iso(clock.now))
        body = json.loads(rows(ext["store"])["demo-rating-1"]["payload"])
        assert (body["level"], body["channel"]) == (1, "QR")
    finally:
        close_app(app)


def test_the_feeds_answers_are_those_the_openapi_document_describes(
    enqueue_records: Any, store: storage.Storage, sender: FeedSender, receiver: FeedReceiver, login: Any, clock: Clock
) -> None:
    """With every part of the status filled: a delivery, a failure, a pending record and a dead letter."""
    enqueue_records(store, range(1, 4))
    receiver.reject["demo-rating-2"] = (400, '{"error":"bad"}')
    drain(sender)
    receiver.mode = "error"
    enqueue_records(store, [4])
    drain(sender)
    manager = login("manager")
    document = openapi_document()

    def check_schema(name: str, answer: Any) -> None:
        validator = jsonschema_rs.validator_for({"$ref": f"#/components/schemas/{name}", **document})
        errors = [f"{e.instance_path}: {e.message}" for e in validator.iter_errors(answer)]
        assert not errors, "\n".join(errors)

    status = manager.get("/feed")
    assert all(status[part] is not None for part in ("oldest_pending", "last_success", "last_error"))
    assert status["oldest_pending"]["waiting_seconds"] == 0  # queued at the test's now
    check_schema("FeedStatus", status)
    letters = manager.get("/feed/dead-letters")
    check_schema("DeadLetters", letters)
    check_schema("FeedRecord", manager.post(f"/feed/dead-letters/{letters['dead_letters'][0]['id']}/retry"))
