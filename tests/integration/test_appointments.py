"""Appointments (预约) over HTTP and Socket.IO, on a real SQLite file: pushed by the
booking platform, listed, checked in at the desk or a kiosk through the one issue path,
placed in line by the hall's rule, refused early or late, cancelled, voided."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from queue_server.cli import demo_hall_toml
from queue_server.domain import invariants
from queue_server.domain.access import OPERATOR
from queue_server.services import Services
from tests.conftest import Api, Clock

VALID_ID = "11010519491231002X"
TODAY = "2026-11-23"  # the test clock's Monday


def at(clock: Clock, hhmm: str) -> None:
    """Move the test clock to `hhmm` in Shanghai on Monday 23 November 2026."""
    hours, minutes = (int(p) for p in hhmm.split(":"))
    clock.now = clock.now.replace(hour=(hours - 8) % 24, minute=minutes, second=0, microsecond=0)


def booking(reference: str, slot: str = "10:00-10:30", **more: Any) -> dict[str, Any]:
    start, end = slot.split("-")
    return {
        "reference": reference,
        "service_day": TODAY,
        "slot_start": start,
        "slot_end": end,
        "queue": "household",
    } | more


def hall_rules(services: Services, clock: Clock, **settings: str | int) -> None:
    """Re-import the demo hall with other [hall.appointments] settings."""
    text = demo_hall_toml(always_open=False)
    for key, value in settings.items():
        old = next(line for line in text.splitlines() if line.startswith(f"{key} = "))
        text = text.replace(old, f"{key} = {value!r}".replace("'", '"'), 1)
    services.import_hall(OPERATOR, text, clock.now)


@pytest.fixture
def platform(device) -> Api:  # type: ignore[no-untyped-def]
    """The city's booking platform, a device of the demo hall."""
    return device("booking_platform")  # type: ignore[no-any-return]


def test_the_platform_books_and_pushing_again_answers_the_same(platform: Api) -> None:
    first = platform.post("/halls/demo/appointments", booking("YY001", item="id-card"), status=201)
    assert first["status"] == "booked" and first["queue"] == "household" and first["queue_name"] == "公安户政"
    assert (first["slot_start"], first["slot_end"], first["item"], first["ticket"]) == (
        "10:00",
        "10:30",
        "id-card",
        None,
    )
    assert first["check_in_from"] == "2026-11-23T01:30:00.000Z"  # 09:30 in Shanghai
    assert first["late_after"] == "2026-11-23T02:15:00.000Z"  # 10:15
    response = platform.client.post(
        "/api/v1/halls/demo/appointments", json=booking("YY001", item="id-card"), headers=platform.headers
    )
    assert response.status_code == 200 and response.headers["Idempotent-Replayed"] == "true"
    assert response.get_json() == first


def test_the_same_reference_with_other_details_is_refused_naming_them(platform: Api) -> None:
    platform.post("/halls/demo/appointments", booking("YY001"), status=201)
    problem = platform.post("/halls/demo/appointments", booking("YY001", "10:30-11:00"), status=409)
    assert problem["code"] == "appointment_exists" and problem["differs"] == ["slot_start", "slot_end"]
    assert "取消原预约" in problem["detail"]


def test_the_id_number_is_kept_only_as_its_keyed_hash(
    platform: Api,
    store,
    caplog: pytest.LogCaptureFixture,  # type: ignore[no-untyped-def]
) -> None:
    caplog.set_level(logging.DEBUG)
    booked = platform.post("/halls/demo/appointments", booking("YY001", id_number=VALID_ID), status=201)
    assert booked["id_given"] is True and "id_digest" not in booked
    with store.read() as db:
        stored = "".join(str(v) for row in db.query("SELECT * FROM appointments") for v in row.values())
    assert VALID_ID not in stored and "19491231" not in stored
    assert VALID_ID not in caplog.text
    # the same ID again is the same booking; another ID is another one
    platform.post("/halls/demo/appointments", booking("YY001", id_number=VALID_ID.lower()), status=200)
    other = platform.post("/halls/demo/appointments", booking("YY001", id_number="E12345678"), status=409)
    assert other["differs"] == ["id_number"] and "E12345678" not in str(other)


def test_the_day_s_appointments_by_slot(platform: Api, login) -> None:  # type: ignore[no-untyped-def]
    platform.post("/halls/demo/appointments", booking("YY003", "11:00-11:30"), status=201)
    platform.post("/halls/demo/appointments", booking("YY001", "09:00-09:30"), status=201)
    platform.post("/halls/demo/appointments", booking("YY002", "10:00-10:30", queue="real-estate"), status=201)
    platform.post("/halls/demo/appointments", booking("YY004", service_day="2026-11-24"), status=201)
    today = login("guide").get("/halls/demo/appointments")
    assert today["service_day"] == TODAY
    assert [a["reference"] for a in today["appointments"]] == ["YY001", "YY002", "YY003"]
    tomorrow = platform.get("/halls/demo/appointments?day=2026-11-24")
    assert [a["reference"] for a in tomorrow["appointments"]] == ["YY004"]
    assert login("manager").get("/halls/demo/appointments/YY002")["queue_name"] == "不动产登记"


def test_check_in_on_time_issues_its_ticket_and_tells_the_screens(
    platform: Api,
    login,
    device,
    clock: Clock,  # type: ignore[no-untyped-def]
) -> None:
    platform.post("/halls/demo/appointments", booking("YY001", item="id-card"), status=201)
    at(clock, "09:35")
    ticket = device("kiosk").post("/halls/demo/appointments/YY001/check-in", {}, status=201)
    assert (ticket["number"], ticket["status"], ticket["item"]) == ("E001", "waiting", "id-card")
    # a kiosk is a public device: the ticket by its reference, without the staff's fields
    assert (ticket["channel"], ticket["people_ahead"]) == ("kiosk", 0)
    assert "id" not in ticket and "appointment" not in ticket
    guide = login("guide")
    appointment = guide.get("/halls/demo/appointments/YY001")
    assert appointment["status"] == "checked_in" and appointment["late"] is False
    assert appointment["ticket"]["number"] == "E001" and appointment["ticket"]["status"] == "waiting"
    assert guide.get(f"/halls/demo/tickets/{appointment['ticket']['id']}")["appointment"] == "YY001"
    staff_events = guide.get("/halls/demo/events?since=0")["events"]
    issued = [e for e in staff_events if e["type"] == "ticket_issued"]
    assert issued[-1]["appointment"] == {"id": appointment["id"], "late": False}
    assert issued[-1]["waiting"] == {"household": 1}
    events = device("hall_screen").get("/halls/demo/events?since=0")["events"]
    screen_issued = [e for e in events if e["type"] == "ticket_issued"]
    assert screen_issued[-1]["waiting"] == {"household": 1} and "appointment" not in screen_issued[-1]
    assert "YY001" not in str(events + staff_events)  # the booking reference is a check-in credential


def test_checking_in_again_answers_the_same_ticket_while_it_is_open(platform: Api, login) -> None:  # type: ignore[no-untyped-def]
    platform.post("/halls/demo/appointments", booking("YY001"), status=201)
    guide = login("guide")
    ticket = guide.post("/halls/demo/appointments/YY001/check-in", None, status=201)
    response = guide.client.post("/api/v1/halls/demo/appointments/YY001/check-in", headers=guide.headers)
    assert response.status_code == 200 and response.headers["Idempotent-Replayed"] == "true"
    assert response.get_json()["id"] == ticket["id"]
    guide.post(f"/halls/demo/tickets/{ticket['id']}/cancel", {"reason": "市民离开"})
    problem = guide.post("/halls/demo/appointments/YY001/check-in", None, status=409)
    assert problem["code"] == "appointment_checked_in" and problem["number"] == "E001"


def test_too_early_says_when_check_in_opens(platform: Api, login, store) -> None:  # type: ignore[no-untyped-def]
    platform.post("/halls/demo/appointments", booking("YY001", "11:00-11:30"), status=201)
    with store.read() as db:
        before = db.execute("SELECT count(*) FROM tickets").fetchone()[0]
    problem = login("guide").post("/halls/demo/appointments/YY001/check-in", {}, status=409)
    assert problem["code"] == "appointment_too_early" and "10:30 起可签到" in problem["detail"]
    assert problem["check_in_from"] == "2026-11-23T02:30:00.000Z"
    with store.read() as db:
        assert db.execute("SELECT count(*) FROM tickets").fetchone()[0] == before
    assert login("guide").get("/halls/demo/appointments/YY001")["status"] == "booked"


def test_late_becomes_an_ordinary_ticket_placed_at_check_in(platform: Api, login, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    platform.post("/halls/demo/appointments", booking("YY001", "09:30-10:00"), status=201)
    guide = login("guide")
    at(clock, "09:40")
    walk_in = guide.post("/halls/demo/tickets", {"queue": "household"}, status=201)
    at(clock, "09:50")  # 20 minutes after the slot start: late
    ticket = guide.post("/halls/demo/appointments/YY001/check-in", {}, status=201)
    assert ticket["people_ahead"] == 1  # behind the walk-in who came before the check-in
    appointment = guide.get("/halls/demo/appointments/YY001")
    assert appointment["late"] is True and appointment["ticket"]["number"] == ticket["number"]
    assert walk_in["number"] == "E001" and ticket["number"] == "E002"


def test_late_is_refused_where_the_hall_says_so_and_the_appointment_is_void(
    platform: Api,
    login,
    services: Services,
    clock: Clock,
    app: Flask,
    store,  # type: ignore[no-untyped-def]
) -> None:
    hall_rules(services, clock, late="refuse")
    platform.post("/halls/demo/appointments", booking("YY001", "09:30-10:00"), status=201)
    guide = login("guide")
    problem = guide.post("/halls/demo/appointments/YY001/check-in", {}, status=409)  # 10:00: 30 minutes late
    assert problem["code"] == "appointment_late" and "09:45 结束" in problem["detail"]
    assert problem["late_after"] == "2026-11-23T01:45:00.000Z"
    with store.read() as db:
        assert db.execute("SELECT count(*) FROM tickets").fetchone()[0] == 0
    app.extensions["hall_queue"]["jobs"].tick()  # the timer stores what the rule says: void since 09:45
    appointment = guide.get("/halls/demo/appointments/YY001")
    assert (appointment["status"], appointment["reason"]) == ("void", "late")
    again = guide.post("/halls/demo/appointments/YY001/check-in", {}, status=409)
    assert again["code"] == "appointment_closed" and "作废" in again["detail"]


def test_the_timer_voids_an_appointment_when_its_check_in_time_ends(
    platform: Api,
    login,
    services: Services,
    clock: Clock,
    app: Flask,  # type: ignore[no-untyped-def]
) -> None:
    hall_rules(services, clock, late="refuse")
    platform.post("/halls/demo/appointments", booking("YY001", "10:00-10:30"), status=201)
    platform.post("/halls/demo/appointments", booking("YY002", "10:30-11:00"), status=201)
    at(clock, "10:16")  # YY001's check-in ended at 10:15
    app.extensions["hall_queue"]["jobs"].tick()
    states = {a["reference"]: a["status"] for a in login("guide").get("/halls/demo/appointments")["appointments"]}
    assert states == {"YY001": "void", "YY002": "booked"}


def test_where_late_ones_become_ordinary_the_timer_leaves_them_for_the_day(
    platform: Api,
    login,
    clock: Clock,
    app: Flask,  # type: ignore[no-untyped-def]
) -> None:
    platform.post("/halls/demo/appointments", booking("YY001", "10:00-10:30"), status=201)
    at(clock, "11:00")
    app.extensions["hall_queue"]["jobs"].tick()
    assert login("guide").get("/halls/demo/appointments/YY001")["status"] == "booked"


def _waiting(api: Api) -> list[str]:
    return [t["number"] for t in api.get("/halls/demo/tickets?status=waiting&queue=household")["tickets"]]


def test_slot_places_it_at_its_slot_start(platform: Api, login, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    """Ahead of walk-ins who came after the slot started, behind those who came before."""
    platform.post("/halls/demo/appointments", booking("YY001", "10:00-10:30"), status=201)
    guide = login("guide")
    at(clock, "09:50")
    guide.post("/halls/demo/tickets", {"queue": "household"}, status=201)  # E001, before the slot
    at(clock, "10:05")
    guide.post("/halls/demo/tickets", {"queue": "household"}, status=201)  # E002, after it started
    at(clock, "10:10")
    ticket = guide.post("/halls/demo/appointments/YY001/check-in", {}, status=201)  # E003
    assert ticket["people_ahead"] == 1
    assert _waiting(guide) == ["E001", "E003", "E002"]
    clerk = login("clerk1")
    clerk.post("/halls/demo/windows/14/open-window")
    called = [clerk.post("/halls/demo/windows/14/call-next")["ticket"]]
    for _ in range(2):
        clerk.post("/halls/demo/windows/14/mark-no-show")  # household: no-shows are void
        called.append(clerk.post("/halls/demo/windows/14/call-next")["ticket"])
    assert called == ["E001", "E003", "E002"]


def test_front_puts_appointments_ahead_of_walk_ins_in_check_in_order(
    platform: Api,
    login,
    services: Services,
    clock: Clock,  # type: ignore[no-untyped-def]
) -> None:
    hall_rules(services, clock, place="front")
    for ref in ("YY001", "YY002"):
        platform.post("/halls/demo/appointments", booking(ref, "10:00-10:30"), status=201)
    guide = login("guide")
    at(clock, "09:40")
    guide.post("/halls/demo/tickets", {"queue": "household"}, status=201)  # E001
    guide.post("/halls/demo/tickets", {"queue": "household"}, status=201)  # E002
    at(clock, "09:45")
    assert guide.post("/halls/demo/appointments/YY001/check-in", {}, status=201)["people_ahead"] == 0  # E003
    assert guide.post("/halls/demo/appointments/YY002/check-in", {}, status=201)["people_ahead"] == 1  # E004
    assert _waiting(guide) == ["E003", "E004", "E001", "E002"]


def test_issue_places_it_at_check_in(platform: Api, login, services: Services, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    hall_rules(services, clock, place="issue")
    platform.post("/halls/demo/appointments", booking("YY001", "10:00-10:30"), status=201)
    guide = login("guide")
    at(clock, "10:01")
    guide.post("/halls/demo/tickets", {"queue": "household"}, status=201)
    at(clock, "10:02")
    assert guide.post("/halls/demo/appointments/YY001/check-in", {}, status=201)["people_ahead"] == 1


def test_a_citizen_holding_a_ticket_in_the_queue_is_refused_a_second_by_check_in(
    platform: Api,
    login,
    store,  # type: ignore[no-untyped-def]
) -> None:
    guide = login("guide")
    walk_in = guide.post("/halls/demo/tickets", {"item": "id-card", "id_number": VALID_ID}, status=201)
    platform.post("/halls/demo/appointments", booking("YY001", id_number=VALID_ID), status=201)
    problem = guide.post("/halls/demo/appointments/YY001/check-in", {}, status=409)
    assert problem["code"] == "duplicate_ticket" and problem["number"] == walk_in["number"]
    assert guide.get("/halls/demo/appointments/YY001")["status"] == "booked"  # nothing half done
    # once that ticket is over, the appointment checks in
    guide.post(f"/halls/demo/tickets/{walk_in['id']}/cancel", {})
    ticket = guide.post("/halls/demo/appointments/YY001/check-in", {}, status=201)
    with store.read() as db:
        digest = db.execute("SELECT id_digest FROM tickets WHERE id = ?", [ticket["id"]]).fetchone()[0]
        booked = db.execute("SELECT id_digest FROM appointments WHERE reference = 'YY001'").fetchone()[0]
    assert digest == booked is not None


def test_check_in_obeys_the_issuing_hours(platform: Api, login, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    """A 13:00 slot opens for check-in at 12:30, but the queue issues again only at 13:00."""
    platform.post("/halls/demo/appointments", booking("YY001", "13:00-13:30"), status=201)
    at(clock, "12:40")
    problem = login("guide").post("/halls/demo/appointments/YY001/check-in", {}, status=409)
    assert problem["code"] == "queue_closed" and "13:00-17:00" in problem["detail"]
    at(clock, "13:00")
    assert login("guide").post("/halls/demo/appointments/YY001/check-in", {}, status=201)["number"] == "E001"


def test_check_in_counts_against_the_daily_cap(login) -> None:  # type: ignore[no-untyped-def]
    """The town hall issues 3 tickets a day in its one queue."""
    manager, guide = login("other_manager"), login("other_guide")
    manager.post(
        "/halls/town/appointments",
        {"reference": "T1", "service_day": TODAY, "slot_start": "10:00", "slot_end": "10:30", "queue": "general"},
        status=201,
    )
    for _ in range(3):
        guide.post("/halls/town/tickets", {"queue": "general"}, status=201)
    problem = guide.post("/halls/town/appointments/T1/check-in", {}, status=409)
    assert problem["code"] == "queue_full" and "今日号源已发完" in problem["detail"]


def test_the_day_s_close_voids_what_was_never_checked_in(
    platform: Api,
    login,
    clock: Clock,
    app: Flask,  # type: ignore[no-untyped-def]
) -> None:
    platform.post("/halls/demo/appointments", booking("YY001", "10:00-10:30"), status=201)
    platform.post("/halls/demo/appointments", booking("YY002", "16:00-16:30"), status=201)
    platform.post("/halls/demo/appointments", booking("YY003", service_day="2026-11-24"), status=201)
    login("guide").post("/halls/demo/appointments/YY001/check-in", {}, status=201)
    clock.now += timedelta(hours=23)  # Tuesday 09:00: past the rollover
    app.extensions["hall_queue"]["jobs"].tick()
    guide = login("guide")
    monday = {a["reference"]: a for a in guide.get(f"/halls/demo/appointments?day={TODAY}")["appointments"]}
    assert monday["YY001"]["status"] == "checked_in" and monday["YY001"]["ticket"]["status"] == "expired"
    assert (monday["YY002"]["status"], monday["YY002"]["reason"]) == ("void", "end_of_day")
    assert guide.get("/halls/demo/appointments/YY003")["status"] == "booked"
    assert guide.get("/halls/demo/appointments")["service_day"] == "2026-11-24"


def test_cancelling(platform: Api, login) -> None:  # type: ignore[no-untyped-def]
    platform.post("/halls/demo/appointments", booking("YY001"), status=201)
    platform.post("/halls/demo/appointments", booking("YY002"), status=201)
    cancelled = platform.post("/halls/demo/appointments/YY001/cancel", {"reason": "市民在线取消"})
    assert (cancelled["status"], cancelled["reason"]) == ("cancelled", "市民在线取消") and cancelled["closed_at"]
    assert platform.post("/halls/demo/appointments/YY001/cancel", {}) == cancelled  # again: nothing changes
    problem = login("guide").post("/halls/demo/appointments/YY001/check-in", {}, status=409)
    assert problem["code"] == "appointment_closed" and "已取消" in problem["detail"]
    login("guide").post("/halls/demo/appointments/YY002/check-in", {}, status=201)
    refused = login("manager").post("/halls/demo/appointments/YY002/cancel", {}, status=409)
    assert refused["code"] == "appointment_checked_in" and "E001" in refused["detail"]


def test_who_asks_comes_before_whether_it_exists(platform: Api, login) -> None:  # type: ignore[no-untyped-def]
    platform.post("/halls/demo/appointments", booking("YY001"), status=201)
    other = login("other_manager")
    for path in ("/halls/demo/appointments/YY001", "/halls/demo/appointments/NOPE", "/halls/atlantis/appointments"):
        assert other.get(path, status=403)["code"] == "forbidden"
    for path in ("/halls/demo/appointments/NOPE/check-in", "/halls/atlantis/appointments/YY001/check-in"):
        assert login("other_guide").post(path, {}, status=403)["code"] == "forbidden"
    missing = login("guide").post("/halls/demo/appointments/NOPE/check-in", {}, status=404)
    assert missing["field"] == "reference" and "NOPE" in missing["detail"]


def test_a_kiosk_checks_in_over_the_socket(platform: Api, app: Flask) -> None:
    from tests.integration.test_realtime import ack, screen

    platform.post("/halls/demo/appointments", booking("YY001"), status=201)
    kiosk = screen(app, "kiosk")
    answer = ack(kiosk, "check_in_appointment", {"hall": "demo", "reference": "YY001"})
    assert answer["ok"] is True and answer["data"]["number"] == "E001"
    assert answer["data"]["channel"] == "kiosk" and "appointment" not in answer["data"]  # a public device
    refused = ack(kiosk, "check_in_appointment", {"hall": "demo", "reference": "YY 1"})
    assert refused["ok"] is False and refused["problem"]["field"] == "reference"


def test_the_rules_that_tie_appointments_to_tickets_hold(
    platform: Api,
    login,
    services: Services,
    clock: Clock,
    app: Flask,  # type: ignore[no-untyped-def]
) -> None:
    for ref, slot in (("YY001", "10:00-10:30"), ("YY002", "10:00-10:30"), ("YY003", "11:00-11:30")):
        platform.post("/halls/demo/appointments", booking(ref, slot), status=201)
    guide = login("guide")
    ticket = guide.post("/halls/demo/appointments/YY001/check-in", {}, status=201)
    guide.post(f"/halls/demo/tickets/{ticket['id']}/cancel", {})
    platform.post("/halls/demo/appointments/YY002/cancel", {})
    assert invariants.violations(services.hall_state("demo")) == []
    clock.now += timedelta(days=1)
    app.extensions["hall_queue"]["jobs"].tick()
    assert invariants.violations(services.hall_state("demo")) == []
    with services.store.write() as db:  # break one by hand: the check must see it
        db.execute("UPDATE appointments SET status = 'booked', ticket_id = NULL WHERE reference = 'YY001'")
    rules = {v.rule for v in invariants.violations(services.hall_state("demo"))}
    assert rules == {"a_ticket_of_an_appointment_is_its_only_one", "no_appointment_is_booked_for_a_closed_day"}


@pytest.mark.parametrize(
    ("changes", "field", "hint"),
    [
        ({"reference": "YY 001"}, "reference", "字母、数字"),
        ({"reference": None}, "reference", "缺少"),
        ({"service_day": "23/11/2026"}, "service_day", "2026-11-23"),
        ({"service_day": "2026-11-31"}, "service_day", "不存在"),
        ({"service_day": "2026-11-22"}, "service_day", "已过"),
        ({"slot_start": "9:00"}, "slot_start", "09:30"),
        ({"slot_end": "25:00"}, "slot_end", "09:30"),
        ({"slot_end": "09:00"}, "slot_end", "晚于"),
        ({"slot_start": "12:00", "slot_end": "12:30"}, "slot_start", "取号时间"),
        ({"queue": "vip"}, "queue", "comprehensive、real-estate"),
        ({"queue": None, "item": "moon-landing"}, "item", "moon-landing"),
        ({"citizen_ref": "11010519491231002X"}, "citizen_ref", "id_number"),
        ({"id_number": "110105194912310021"}, "id_number", "校验位"),
        ({"name": "张三"}, "name", "可用的字段"),
        ({"ticket": 3}, "ticket", "可用的字段"),
    ],
    ids=[
        "reference-with-a-space",
        "no-reference",
        "day-written-otherwise",
        "day-that-does-not-exist",
        "day-gone",
        "start-without-its-zero",
        "end-past-midnight",
        "ends-before-it-starts",
        "outside-issuing-hours",
        "unknown-queue",
        "unknown-item",
        "citizen-ref-is-an-id-number",
        "id-number-wrong-check-digit",
        "a-name-is-not-a-field",
        "ticket-is-not-the-platform-s-to-say",
    ],
)
def test_a_bad_booking_is_refused_naming_the_field_and_stores_nothing(
    platform: Api,
    store,
    changes: dict[str, Any],
    field: str,
    hint: str,  # type: ignore[no-untyped-def]
) -> None:
    body = {key: value for key, value in (booking("YY001") | changes).items() if value is not None}
    problem = platform.post("/halls/demo/appointments", body, status=422)
    assert problem["code"] == "invalid_input" and problem["field"] == field
    assert hint in problem["detail"], problem["detail"]
    with store.read() as db:
        assert db.execute("SELECT count(*) FROM appointments").fetchone()[0] == 0


def test_a_booking_that_is_not_json_is_malformed(platform: Api) -> None:
    response = platform.client.post(
        "/api/v1/halls/demo/appointments",
        data=b'{"reference": ',
        headers={**platform.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "malformed_request"


def test_the_operator_lists_a_day_s_appointments(platform: Api, login, app: Flask) -> None:  # type: ignore[no-untyped-def]
    from tests.integration.test_days import cli

    platform.post("/halls/demo/appointments", booking("YY002", "11:00-11:30"), status=201)
    platform.post("/halls/demo/appointments", booking("YY001", "10:00-10:30"), status=201)
    login("guide").post("/halls/demo/appointments/YY001/check-in", {}, status=201)
    code, out = cli(app, "appointments", "--hall", "demo", "--day", TODAY)
    assert code == 0, out
    assert out.splitlines() == [
        "demo: 2 appointments on 2026-11-23",
        "  10:00-10:30  YY001                household          checked_in      E001 (waiting)",
        "  11:00-11:30  YY002                household          booked",
    ]
    code, out = cli(app, "appointments", "--hall", "demo", "--day", "23/11")
    assert code != 0 and "--day" in out


def test_a_check_in_prints_at_the_desk_s_station_or_the_kiosk_s_own_as_a_walk_in(
    platform: Api, login, device, store, clock: Clock
) -> None:  # type: ignore[no-untyped-def]
    """Check-in issues through the same print-job path as `issue_ticket`: the desk names
    its station, the kiosk prints at the one it is bound to; a repeat answers the same job."""
    platform.post("/halls/demo/appointments", booking("YY001"), status=201)
    platform.post("/halls/demo/appointments", booking("YY002", queue="real-estate"), status=201)
    platform.post("/halls/demo/appointments", booking("YY003", queue="pickup"), status=201)
    at(clock, "09:40")
    guide = login("guide")
    ticket = guide.post("/halls/demo/appointments/YY001/check-in", {"station": "desk-1"}, status=201)
    job = ticket["print_job"]
    assert (job["state"], job["station"], job["ticket_id"], job["number"]) == (
        "queued",
        "desk-1",
        ticket["id"],
        ticket["number"],
    )
    assert job["ticket"]["queue_name"] == "公安户政" and job["ticket"]["number"] == ticket["number"]
    again = guide.client.post(
        "/api/v1/halls/demo/appointments/YY001/check-in", json={"station": "desk-1"}, headers=guide.headers
    )
    assert again.status_code == 200 and again.get_json()["print_job"]["id"] == job["id"]  # nothing printed twice

    at_kiosk = device("kiosk").post("/halls/demo/appointments/YY002/check-in", {}, status=201)
    assert at_kiosk["print_job"]["station"] == "kiosk-1"
    assert (
        device("kiosk").post("/halls/demo/appointments/YY003/check-in", {"station": "desk-1"}, status=422)["field"]
        == "station"
    )  # a kiosk may not print elsewhere, and nothing was issued
    bad = guide.post("/halls/demo/appointments/YY003/check-in", {"station": "Desk 1!"}, status=422)
    assert bad["field"] == "station"
    without = guide.post("/halls/demo/appointments/YY003/check-in", {}, status=201)
    assert without["print_job"] is None  # no station named: issued all the same, printed nowhere
    with store.read() as db:
        jobs = [(row["ticket_id"], row["station"]) for row in db.query("SELECT * FROM print_jobs ORDER BY id")]
    assert jobs == [(ticket["id"], "desk-1"), (jobs[1][0], "kiosk-1")]
