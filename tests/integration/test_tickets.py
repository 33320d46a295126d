"""Issuing tickets through the API, on a real SQLite file."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask

from queue_server import storage
from tests.conftest import Clock

VALID_ID = "11010519491231002X"


def test_a_guide_issues_numbered_tickets_with_place_and_estimate(login) -> None:  # type: ignore[no-untyped-def]
    guide = login("guide")
    first = guide.post("/halls/demo/tickets", {"item": "construction-permit"}, status=201)
    second = guide.post("/halls/demo/tickets", {"queue": "comprehensive"}, status=201)
    third = guide.post("/halls/demo/tickets", {"bundle": "enterprise-start"}, status=201)
    assert [first["number"], second["number"], third["number"]] == ["A001", "A002", "A003"]
    assert third["people_ahead"] == 2
    # no comprehensive window is open: the estimate counts the 5 configured ones (window 6
    # at rank 2) as opening now, so with two ahead the third is called at once
    assert third["estimated_wait_minutes"] == 0
    assert third["queue_name"] == "综合受理" and third["bundle"] == "enterprise-start"
    assert third["hall"]["name"] == "示范区政务服务中心"


def test_each_queue_counts_on_its_own(login) -> None:  # type: ignore[no-untyped-def]
    guide = login("guide")
    assert guide.post("/halls/demo/tickets", {"item": "id-card"}, status=201)["number"] == "E001"
    assert guide.post("/halls/demo/tickets", {"item": "property-transfer"}, status=201)["number"] == "B001"
    assert guide.post("/halls/demo/tickets", {"item": "id-card"}, status=201)["number"] == "E002"


def test_numbers_restart_at_local_midnight(login, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    guide = login("guide")
    monday = guide.post("/halls/demo/tickets", {"queue": "household"}, status=201)
    clock.now += timedelta(days=1)  # Tuesday 10:00
    guide = login("guide")  # Monday's session has lapsed
    tuesday = guide.post("/halls/demo/tickets", {"queue": "household"}, status=201)
    assert monday["number"] == tuesday["number"] == "E001"
    assert (monday["service_day"], tuesday["service_day"]) == ("2026-11-23", "2026-11-24")


def test_a_retry_with_the_same_idempotency_key_returns_the_same_ticket(app: Flask, login) -> None:  # type: ignore[no-untyped-def]
    guide = login("guide")
    key = {"Idempotency-Key": "kiosk-7-0001"}
    first = guide.post("/halls/demo/tickets", {"queue": "pickup"}, status=201, headers=key)
    response = guide.client.post(
        "/api/v1/halls/demo/tickets", json={"queue": "pickup"}, headers={**guide.headers, **key}
    )
    assert response.status_code == 200 and response.headers["Idempotent-Replayed"] == "true"
    assert response.get_json()["id"] == first["id"]
    assert guide.post("/halls/demo/tickets", {"queue": "pickup"}, status=201)["number"] == "G002"
    problem = guide.post("/halls/demo/tickets", {"queue": "household"}, status=409, headers=key)
    assert problem["code"] == "idempotency_key_reused"


def test_one_open_ticket_per_id_number_per_queue(app: Flask, login, store) -> None:  # type: ignore[no-untyped-def]
    guide = login("guide")
    guide.post("/halls/demo/tickets", {"item": "id-card", "id_number": VALID_ID}, status=201)
    problem = guide.post("/halls/demo/tickets", {"item": "passport", "id_number": VALID_ID.lower()}, status=409)
    assert problem["code"] == "duplicate_ticket" and "E001" in problem["detail"] and problem["number"] == "E001"
    # another queue is fine
    guide.post("/halls/demo/tickets", {"item": "property-records", "id_number": VALID_ID}, status=201)
    with store.read() as db:
        stored = "".join(str(v) for row in db.query("SELECT * FROM tickets") for v in row.values())
        logged = "".join(str(v) for row in db.query("SELECT * FROM events") for v in row.values())
    assert VALID_ID not in stored and VALID_ID not in logged and "19491231" not in stored


def test_outside_issuing_hours_the_message_says_when(login, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    clock.now = clock.now.replace(hour=4)  # 12:00 in Shanghai, lunch
    problem = login("guide").post("/halls/demo/tickets", {"queue": "comprehensive"}, status=409)
    assert problem["code"] == "queue_closed"
    assert "08:30-11:30" in problem["detail"] and "13:00-16:30" in problem["detail"]


def test_a_full_queue_says_so_and_writes_nothing(app: Flask, store) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import PASSWORD

    client = app.test_client()
    csrf = client.post("/api/v1/session", json={"username": "other_guide", "password": PASSWORD}).get_json()[
        "csrf_token"
    ]
    headers = {"X-CSRF-Token": csrf}
    numbers = [
        client.post("/api/v1/halls/town/tickets", json={"queue": "general"}, headers=headers).get_json()["number"]
        for _ in range(3)
    ]
    assert numbers == ["A001", "A002", "A003"]
    with store.read() as db:
        before = (
            db.execute("SELECT count(*) FROM tickets").fetchone()[0],
            db.execute("SELECT count(*) FROM events").fetchone()[0],
        )
    response = client.post("/api/v1/halls/town/tickets", json={"queue": "general"}, headers=headers)
    assert response.status_code == 409 and response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "queue_full" and "今日号源已发完" in response.get_json()["detail"]
    with store.read() as db:
        after = (
            db.execute("SELECT count(*) FROM tickets").fetchone()[0],
            db.execute("SELECT count(*) FROM events").fetchone()[0],
        )
        issued = storage.tickets.queue_day(db, 2, "general", "2026-11-23")["issued"]
    assert after == before and issued == 3


def test_a_kiosk_issues_with_its_device_token_and_the_channel_says_so(device, login) -> None:  # type: ignore[no-untyped-def]
    ticket = device("kiosk").post("/halls/demo/tickets", {"item": "social-security-card"}, status=201)
    assert (ticket["number"], ticket["channel"]) == ("D001", "kiosk")
    assert login("guide").post("/halls/demo/tickets", {"queue": "pickup"}, status=201)["channel"] == "desk"
    # the channel is decided by who issues, never claimed: a kiosk cannot pass for the desk
    refused = device("kiosk").post("/halls/demo/tickets", {"queue": "pickup", "channel": "desk"}, status=422)
    assert refused["field"] == "channel" and "channel" in refused["detail"]


def test_priority_is_kept_but_never_shown_to_screens(login, device) -> None:  # type: ignore[no-untyped-def]
    guide = login("guide")
    ticket = guide.post("/halls/demo/tickets", {"queue": "household", "priority": "senior"}, status=201)
    assert ticket["priority"] == "senior"
    events = device("hall_screen").get("/halls/demo/events?since=0")["events"]
    issued = [e for e in events if e["type"] == "ticket_issued"]
    assert issued[-1]["ticket"] == {  # a screen: by its reference, not its id
        "ref": ticket["ref"],
        "number": "E001",
        "queue": "household",
        "queue_name": "公安户政",
        "status": "waiting",
        "priority": True,
    }


def test_an_appointment_is_checked_in_not_written_on_a_ticket(login) -> None:  # type: ignore[no-untyped-def]
    """A free-text appointment on issue_ticket passed by every check of its slot; the
    check-in (test_appointments.py) is the one way an appointment gets its ticket."""
    problem = login("guide").post(
        "/halls/demo/tickets", {"queue": "household", "appointment": "YY-20261123-0042"}, status=422
    )
    assert problem["field"] == "appointment" and "check-in" in problem["detail"]


def test_the_guide_cancels_a_waiting_ticket(login, device) -> None:  # type: ignore[no-untyped-def]
    guide = login("guide")
    ticket = guide.post("/halls/demo/tickets", {"queue": "household"}, status=201)
    cancelled = guide.post(f"/halls/demo/tickets/{ticket['id']}/cancel", {"reason": "群众主动放弃"})
    assert cancelled["status"] == "cancelled"
    again = guide.post(f"/halls/demo/tickets/{ticket['id']}/cancel", status=409)
    assert again["code"] == "invalid_transition" and "已取消" in again["detail"]
    cancelled_event = device("hall_screen").get("/halls/demo/events?since=0")["events"][-1]
    assert cancelled_event["type"] == "ticket_cancelled" and cancelled_event["waiting"] == {"household": 0}


def test_the_idempotency_fingerprint_holds_the_id_number_only_as_a_keyed_hash(login, store) -> None:  # type: ignore[no-untyped-def]
    """Regression (issue 6, case 4): the fingerprint was an unkeyed SHA-256 over the
    request with the raw ID number's SHA-256, which anyone could recompute from a guess."""
    import hashlib
    import json

    guide = login("guide")
    body = {"item": "id-card", "id_number": VALID_ID}
    guide.post("/halls/demo/tickets", body, status=201, headers={"Idempotency-Key": "k-42"})
    with store.read() as db:
        (stored,) = [r["fingerprint"] for r in db.query("SELECT fingerprint FROM idempotency_keys")]
    unkeyed = hashlib.sha256(VALID_ID.encode()).hexdigest()
    guessed = hashlib.sha256(json.dumps(["id-card", None, None, None, None, "desk", unkeyed]).encode()).hexdigest()
    guessed_now = hashlib.sha256(json.dumps(["id-card", None, None, None, None, unkeyed]).encode()).hexdigest()
    assert stored not in (guessed, guessed_now) and unkeyed not in stored
    # the same request replays; the same key with another ID number does not
    again = guide.client.post(
        "/api/v1/halls/demo/tickets", json=body, headers={**guide.headers, "Idempotency-Key": "k-42"}
    )
    assert again.status_code == 200
    other = {"item": "id-card", "id_number": "110105198001010016"}
    reused = guide.post("/halls/demo/tickets", other, status=409, headers={"Idempotency-Key": "k-42"})
    assert reused["code"] == "idempotency_key_reused"


def test_every_ticket_has_a_public_reference_that_cannot_be_guessed_or_changed(login, store) -> None:  # type: ignore[no-untyped-def]
    """Ids count up; a reference is random, unique, fixed, and required by the store itself."""
    import sqlite3

    guide = login("guide")
    refs = [guide.post("/halls/demo/tickets", {"queue": "household"}, status=201)["ref"] for _ in range(3)]
    assert len(set(refs)) == 3 and all(re.fullmatch(r"[A-Za-z0-9_-]{22}", ref) for ref in refs)
    with store.write() as db, pytest.raises(sqlite3.IntegrityError, match="never changes"):
        db.execute("UPDATE tickets SET ref = 'guessable-0000000001' WHERE ref = ?", [refs[0]])
    with store.write() as db, pytest.raises(sqlite3.IntegrityError, match="public reference"):
        db.execute(
            "INSERT INTO tickets (hall_id, service_day, number, queue, origin_queue, channel, status, place, issued_at)"
            " VALUES (1, '2026-11-23', 'Z999', 'household', 'household', 'desk', 'waiting', '0', '2026-11-23')"
        )
