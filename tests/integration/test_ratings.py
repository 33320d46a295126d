"""好差评 over HTTP and Socket.IO, on a real SQLite file: finishing at a window opens the
rating on that window's review pad; the pad, or the ticket's phone, rates once; staff are
refused by the national rule; the pad's time runs out while the phone may still rate;
nobody's rating becomes the system's 基本满意 after the hall's days (docs/ratings.md)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jsonschema_rs
import pytest
from flask import Flask
from flask_socketio import SocketIOTestClient

from queue_server import auth
from queue_server.api.openapi import openapi_document
from queue_server.domain import invariants
from queue_server.domain.access import DeviceKind
from queue_server.domain.ratings import DEFAULT_REASONS, NATIONAL_RULE, RatingLevel
from queue_server.services import RatingQuery, Services, rating_record
from tests.conftest import MONDAY_10AM_SHANGHAI, Api, Clock

RECORD_KEYS = {
    "id", "key", "hall", "ticket_ref", "ticket_number", "service_day", "queue", "items", "window",
    "clerk_number", "channel", "level", "reasons", "text", "system_default", "issued_at", "called_at",
    "started_at", "finished_at", "rated_at", "wait_seconds", "handling_seconds",
}  # fmt: skip


def socket(app: Flask, token: str) -> SocketIOTestClient:
    return app.extensions["socketio"].test_client(app, auth={"token": token})


def ack(client: SocketIOTestClient, event: str, data: Any = None) -> dict[str, Any]:
    answer = client.emit(event, {} if data is None else data, callback=True)
    assert isinstance(answer, dict), answer
    return answer


def received(client: SocketIOTestClient, name: str) -> list[dict[str, Any]]:
    return [m["args"][0] for m in client.get_received() if m["name"] == name]


def serve(guide: Api, clerk: Api, window: int, clock: Clock, queue: str = "comprehensive") -> dict[str, Any]:
    """A ticket issued, called, served for five minutes and finished at `window`."""
    ticket = guide.post("/halls/demo/tickets", {"queue": queue}, status=201)
    clock.now += timedelta(minutes=3)
    clerk.post(f"/halls/demo/windows/{window}/call-next")
    clerk.post(f"/halls/demo/windows/{window}/start-service")
    clock.now += timedelta(minutes=5)
    clerk.post(f"/halls/demo/windows/{window}/finish-service", {"outcome": "accepted"})
    return ticket  # type: ignore[no-any-return]


@pytest.fixture
def staff(login):  # type: ignore[no-untyped-def]
    """The guide, and clerk1 signed in at window 1."""
    guide, clerk = login("guide"), login("clerk1")
    clerk.post("/halls/demo/windows/1/open-window")
    return guide, clerk


def check_rules(services: Services) -> None:
    found = invariants.violations(services.hall_state("demo"))
    assert not found, "\n".join(str(v) for v in found)


def test_the_pad_of_the_window_that_finished_gets_the_rating_and_rates_it(app, staff, device, clock, services):  # type: ignore[no-untyped-def]
    guide, clerk = staff
    pad = socket(app, app.config["TEST_TOKENS"]["review_pad"])
    subscribed = ack(pad, "subscribe", {"hall": "demo"})
    assert subscribed["ok"] and subscribed["data"]["rating"] is None
    screen = socket(app, app.config["TEST_TOKENS"]["window_screen"])
    assert ack(screen, "subscribe", {"hall": "demo"})["ok"]
    manager = socket_for_staff(app, "manager")
    assert ack(manager, "subscribe", {"hall": "demo"})["ok"]

    ticket = serve(guide, clerk, 1, clock)
    requested = received(pad, "rating_requested")
    assert len(requested) == 1
    invitation = requested[0]
    assert invitation["window"] == {"number": 1, "name": "综合受理1号窗口"}
    assert invitation["ticket"] == {
        "ref": ticket["ref"],
        "number": ticket["number"],
        "queue": "comprehensive",
        "queue_name": ticket["queue_name"],
    }
    assert invitation["clerk"] == {"name": "测试clerk1", "staff_number": "CLERK1"}
    assert [level["level"] for level in invitation["levels"]] == [level.value for level in RatingLevel]
    assert invitation["levels"][3]["reasons"] == list(DEFAULT_REASONS[RatingLevel.DISSATISFIED])
    assert invitation["timeout_seconds"] == 60
    assert "id_number" not in str(invitation) and "id_digest" not in str(invitation)
    assert not received(screen, "rating_requested"), "the window screen is no pad"

    clock.now += timedelta(seconds=20)
    answer = ack(
        pad,
        "submit_rating",
        {
            "hall": "demo",
            "ticket_ref": ticket["ref"],
            "level": "very_satisfied",
            "reasons": ["服务态度好"],
            "text": "很好",
        },
    )
    assert answer["ok"], answer
    assert answer["data"]["level"] == "very_satisfied" and answer["data"]["channel"] == "pad"
    closed = received(pad, "rating_closed")
    assert [c["reason"] for c in closed] == ["rated"] and closed[0]["ticket"]["ref"] == ticket["ref"]

    # managers see it live; the screen only learns that the hall's sequence moved on
    recorded = received(manager, "rating_recorded")
    assert len(recorded) == 1 and recorded[0]["rating"]["level"] == "very_satisfied"
    screen_got = screen.get_received()
    assert "rating_recorded" not in [m["name"] for m in screen_got]
    assert {"hall": "demo", "seq": recorded[0]["seq"]} in [m["args"][0] for m in screen_got]

    listed = login_list(app, "manager")
    [record] = listed["ratings"]
    assert set(record) == RECORD_KEYS
    assert record["key"] == f"demo-rating-{record['id']}"
    assert (record["ticket_ref"], record["ticket_number"], record["window"]) == (ticket["ref"], ticket["number"], 1)
    assert (record["channel"], record["level"], record["reasons"], record["text"]) == (
        "pad",
        "very_satisfied",
        ["服务态度好"],
        "很好",
    )
    assert record["clerk_number"] == "CLERK1" and record["system_default"] is False
    assert (record["wait_seconds"], record["handling_seconds"]) == (180, 300)
    with app.extensions["hall_queue"]["store"].read() as db:
        assert rating_record(db, record["id"]) == record
    check_rules(services)


def test_another_windows_pad_a_wrong_ticket_and_a_second_rating_are_refused(app, staff, login, device, clock):  # type: ignore[no-untyped-def]
    guide, clerk = staff
    _, token = auth.create_device(
        app.extensions["hall_queue"]["store"],
        hall_code="demo",
        kind=DeviceKind.REVIEW_PAD,
        name="2号窗口评价器",
        window=2,
        now=MONDAY_10AM_SHANGHAI,
    )
    other_pad = Api(app.test_client(), token=token)
    pad = device("review_pad")
    first = serve(guide, clerk, 1, clock)
    body = {"ticket_ref": first["ref"], "level": "satisfied"}
    refused = other_pad.post("/halls/demo/ratings", body, status=409)
    assert refused["code"] == "not_rateable" and "1 号窗口" in refused["detail"]

    second = serve(guide, clerk, 1, clock)  # the window called its next ticket: first's invitation closed
    refused = pad.post("/halls/demo/ratings", body, status=409)
    assert refused["code"] == "not_rateable" and "二维码" in refused["detail"]
    pad.post("/halls/demo/ratings", {"ticket_ref": second["ref"], "level": "satisfied"}, status=201)
    again = pad.post("/halls/demo/ratings", {"ticket_ref": second["ref"], "level": "very_dissatisfied"}, status=409)
    assert again["code"] == "already_rated" and second["number"] in again["detail"]
    by_phone = Api(app.test_client()).post(f"/t/{second['ref']}/rating", {"level": "basic"}, status=409)
    assert by_phone["code"] == "already_rated"


@pytest.mark.parametrize("who", ["clerk1", "guide", "manager", "admin"])
def test_staff_may_invite_a_rating_but_never_give_one(app, staff, login, clock, who):  # type: ignore[no-untyped-def]
    guide, clerk = staff
    ticket = serve(guide, clerk, 1, clock)
    person = clerk if who == "clerk1" else login(who)
    body = {"ticket_ref": ticket["ref"], "level": "very_satisfied"}
    for refused in (
        person.post("/halls/demo/ratings", body, status=403),
        person.post(f"/t/{ticket['ref']}/rating", {"level": "very_satisfied"}, status=403),
        person.post("/halls/demo/ratings", {"level": "nonsense", "sneaky": 1}, status=403),
    ):
        assert refused["code"] == "staff_may_not_rate" and refused["detail"] == NATIONAL_RULE
        assert "国办发〔2019〕51号" in refused["detail"]
    over_socket = socket_for_staff(app, who)
    answer = ack(over_socket, "submit_rating", {"hall": "demo", **body})
    assert answer["problem"]["status"] == 403 and answer["problem"]["code"] == "staff_may_not_rate"
    assert login_list(app, "manager")["ratings"] == [], "no rating was kept"


def test_the_phone_rates_its_own_ticket_once_service_has_finished(app, staff, clock):  # type: ignore[no-untyped-def]
    guide, clerk = staff
    ticket = guide.post("/halls/demo/tickets", {"queue": "comprehensive"}, status=201)
    phone = Api(app.test_client())
    early = phone.post(f"/t/{ticket['ref']}/rating", {"level": "satisfied"}, status=409)
    assert early["code"] == "not_rateable" and "尚未办结" in early["detail"]
    clerk.post("/halls/demo/windows/1/call-next")
    clerk.post("/halls/demo/windows/1/start-service")
    clock.now += timedelta(minutes=2)
    clerk.post("/halls/demo/windows/1/finish-service", {"items": []})
    given = phone.post(
        f"/t/{ticket['ref']}/rating", {"level": "dissatisfied", "reasons": ["等候时间"], "text": "等太久"}, status=201
    )
    assert given == {
        "ticket_number": ticket["number"],
        "level": "dissatisfied",
        "label": "不满意",
        "reasons": ["等候时间"],
        "text": "等太久",
        "channel": "phone",
        "rated_at": given["rated_at"],
    }
    [record] = login_list(app, "manager")["ratings"]
    assert record["channel"] == "phone" and record["reasons"] == ["等候时间"]


def test_the_phone_rates_over_its_socket_and_hears_of_ratings_only_as_a_number(app, staff, clock):  # type: ignore[no-untyped-def]
    guide, clerk = staff
    ticket = serve(guide, clerk, 1, clock)
    other = guide.post("/halls/demo/tickets", {"queue": "comprehensive"}, status=201)
    phone = app.extensions["socketio"].test_client(app, auth={"ticket": ticket["ref"]})
    onlooker = app.extensions["socketio"].test_client(app, auth={"ticket": other["ref"]})
    assert ack(phone, "subscribe", {})["ok"] and ack(onlooker, "subscribe", {})["ok"]
    not_its_own = ack(phone, "submit_rating", {"hall": "demo", "ticket_ref": other["ref"], "level": "satisfied"})
    assert not_its_own["problem"]["status"] == 403 and not_its_own["problem"]["field"] == "ticket_ref"
    given = ack(phone, "submit_rating", {"hall": "demo", "level": "very_satisfied", "reasons": ["一次办成"]})
    assert given["ok"] and given["data"]["channel"] == "phone", given
    heard = onlooker.get_received()
    assert "rating_recorded" not in [m["name"] for m in heard]
    stubs = [m["args"][0] for m in heard if m["name"] == "sequence_advanced"]
    assert len(stubs) == 1 and set(stubs[0]) == {"hall", "seq"}, heard


def test_after_the_pads_timeout_only_the_phone_may_rate(app, staff, device, clock):  # type: ignore[no-untyped-def]
    guide, clerk = staff
    pad_socket = socket(app, app.config["TEST_TOKENS"]["review_pad"])
    assert ack(pad_socket, "subscribe", {"hall": "demo"})["ok"]
    ticket = serve(guide, clerk, 1, clock)
    # a pad that reconnects while it is open gets it again
    again = socket(app, app.config["TEST_TOKENS"]["review_pad"])
    reopened = ack(again, "subscribe", {"hall": "demo"})["data"]["rating"]
    assert reopened["ticket"]["ref"] == ticket["ref"] and reopened["type"] == "rating_requested"

    clock.now += timedelta(seconds=61)
    pad_socket.get_received()
    app.extensions["hall_queue"]["jobs"].tick()
    closed = received(pad_socket, "rating_closed")
    assert [(c["reason"], c["ticket"]["ref"]) for c in closed] == [("timeout", ticket["ref"])]
    assert ack(again, "subscribe", {"hall": "demo"})["data"]["rating"] is None
    refused = device("review_pad").post(
        "/halls/demo/ratings", {"ticket_ref": ticket["ref"], "level": "basic"}, status=409
    )
    assert refused["code"] == "not_rateable"
    Api(app.test_client()).post(f"/t/{ticket['ref']}/rating", {"level": "satisfied"}, status=201)


def test_unrated_tickets_get_the_system_default_after_seven_days(app, staff, clock, services):  # type: ignore[no-untyped-def]
    guide, clerk = staff
    rated = serve(guide, clerk, 1, clock)
    unrated = serve(guide, clerk, 1, clock)
    Api(app.test_client()).post(f"/t/{rated['ref']}/rating", {"level": "satisfied"}, status=201)
    finished = clock.now
    jobs = app.extensions["hall_queue"]["jobs"]

    clock.now = finished + timedelta(days=7) - timedelta(minutes=1)
    jobs.tick()
    assert len(login_list(app, "admin")["ratings"]) == 1, "not yet: seven natural days have not passed"
    clock.now = finished + timedelta(days=7, minutes=1)
    events = jobs.tick()
    assert [e.type for e in events if e.type == "rating_recorded"] == ["rating_recorded"]
    newest = login_list(app, "admin")["ratings"][0]
    assert (newest["ticket_ref"], newest["level"], newest["channel"], newest["system_default"]) == (
        unrated["ref"],
        "basic",
        "system_default",
        True,
    )
    assert newest["rated_at"] == clock.now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    assert newest["reasons"] == [] and newest["text"] is None
    clock.now += timedelta(minutes=2)
    assert not [e for e in jobs.tick() if e.type == "rating_recorded"], "one rating per ticket"
    check_rules(services)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"level": "great"}, "level"),
        ({}, "level"),
        ({"level": "satisfied", "reasons": ["等候时间"]}, "reasons"),  # a reason of 不满意, not of 满意
        ({"level": "satisfied", "reasons": "服务态度好"}, "reasons"),
        ({"level": "satisfied", "text": "好" * 501}, "text"),
        ({"level": "satisfied", "text": "好\x00"}, "text"),
        ({"level": "satisfied", "text": 5}, "text"),
        ({"level": "satisfied", "colour": "red"}, "colour"),
    ],
    ids=["unknown level", "no level", "reason of another level", "reasons not a list", "text too long",
         "control character", "text not text", "unknown field"],
)  # fmt: skip
def test_bad_input_is_refused_by_field(app, staff, clock, body, field):  # type: ignore[no-untyped-def]
    guide, clerk = staff
    ticket = serve(guide, clerk, 1, clock)
    refused = Api(app.test_client()).post(f"/t/{ticket['ref']}/rating", body, status=422)
    assert refused["field"] == field, refused
    assert login_list(app, "manager")["ratings"] == []


def test_the_managers_list_filters_and_pages(app, staff, login, clock):  # type: ignore[no-untyped-def]
    guide, clerk = staff
    phone = Api(app.test_client())
    for level in ("very_satisfied", "satisfied", "dissatisfied"):
        ticket = serve(guide, clerk, 1, clock)
        phone.post(f"/t/{ticket['ref']}/rating", {"level": level}, status=201)
    manager = login("manager")
    first = manager.get("/halls/demo/ratings?limit=2")
    assert [r["level"] for r in first["ratings"]] == ["dissatisfied", "satisfied"]
    rest = manager.get(f"/halls/demo/ratings?limit=2&cursor={first['next_cursor']}")
    assert [r["level"] for r in rest["ratings"]] == ["very_satisfied"] and rest["next_cursor"] is None
    assert len(manager.get("/halls/demo/ratings?level=dissatisfied&level=satisfied")["ratings"]) == 2
    assert (
        len(manager.get("/halls/demo/ratings?window=1&clerk=CLERK1&channel=phone&queue=comprehensive")["ratings"]) == 3
    )
    assert manager.get("/halls/demo/ratings?from=2026-11-24")["ratings"] == []
    assert len(manager.get("/halls/demo/ratings?from=2026-11-23&to=2026-11-23")["ratings"]) == 3
    for query, field in (
        ("level=meh", "level"),
        ("window=99", "window"),
        ("cursor=xyz", "cursor"),
        ("day=1", "day"),
        ("from=2026-11-24&to=2026-11-23", "to"),
    ):
        assert manager.get(f"/halls/demo/ratings?{query}", status=422)["field"] == field
    schema = jsonschema_rs.validator_for({"$ref": "#/components/schemas/RatingsPage", **openapi_document()})
    errors = [f"{e.instance_path}: {e.message}" for e in schema.iter_errors(first)]
    assert not errors, errors


def test_an_admin_sets_a_staff_number_that_later_ratings_carry(app, staff, login, clock):  # type: ignore[no-untyped-def]
    guide, clerk = staff
    admin = login("admin")
    users = {u["username"]: u for u in admin.get("/users")["users"]}
    changed = admin.client.put(
        f"/api/v1/users/{users['clerk1']['id']}/staff-number", json={"staff_number": "GH-0042"}, headers=admin.headers
    )
    assert changed.status_code == 200 and changed.get_json()["staff_number"] == "GH-0042"
    bad = admin.client.put(
        f"/api/v1/users/{users['clerk1']['id']}/staff-number", json={"staff_number": "x\x01"}, headers=admin.headers
    )
    assert bad.status_code == 422 and bad.get_json()["field"] == "staff_number"
    ticket = serve(guide, clerk, 1, clock)
    Api(app.test_client()).post(f"/t/{ticket['ref']}/rating", {"level": "satisfied"}, status=201)
    assert login_list(app, "manager")["ratings"][0]["clerk_number"] == "GH-0042"


# ---- helpers that sign in ------------------------------------------------------------


def socket_for_staff(app: Flask, username: str) -> SocketIOTestClient:
    from tests.integration.test_role_matrix import _session

    client = app.test_client()
    _session(app, client, username)
    return app.extensions["socketio"].test_client(app, flask_test_client=client)


def login_list(app: Flask, username: str) -> dict[str, Any]:
    """The hall's ratings as `username` reads them (the use case behind `GET …/ratings`)."""
    principal = auth.principal_for_username(app.extensions["hall_queue"]["store"], username)
    services: Services = app.extensions["hall_queue"]["services"]
    return services.ratings(principal, "demo", RatingQuery())
