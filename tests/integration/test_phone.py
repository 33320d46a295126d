"""The citizen's phone over HTTP and Socket.IO: a ticket's progress by its public
reference, the same answer for every reference that finds nothing, the throttle, and a
socket whose credential is a ticket's reference and opens nothing else (docs/phone.md)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jsonschema_rs
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_socketio import SocketIOTestClient

from queue_server import auth, config
from queue_server.api.openapi import openapi_document
from queue_server.app import close_app, create_app
from queue_server.domain.access import DeviceKind
from queue_server.domain.privacy import PROGRESS_VIEW
from queue_server.domain.ratings import DEFAULT_REASONS, RatingLevel
from queue_server.phone import phone_url_for
from tests.conftest import MONDAY_10AM_SHANGHAI, TEST_CONFIG, Api

WAITING_KEYS = PROGRESS_VIEW
OTHER_KEYS = PROGRESS_VIEW - {"people_ahead", "estimated_wait_minutes"}


PROGRESS_SCHEMA = jsonschema_rs.validator_for({"$ref": "#/components/schemas/Progress", **openapi_document()})


def progress(client: FlaskClient, ref: str, status: int = 200, address: str = "127.0.0.1") -> Any:
    """GET /api/v1/t/{ref} from `address`; a progress is held to the document's schema."""
    response = client.get(f"/api/v1/t/{ref}", environ_base={"REMOTE_ADDR": address})
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    if status == 200:
        errors = [f"{e.instance_path}: {e.message}" for e in PROGRESS_SCHEMA.iter_errors(body)]
        assert not errors, errors
    else:
        assert response.mimetype == "application/problem+json"
    return body


def phone(app: Flask, ref: str, address: str = "127.0.0.1") -> SocketIOTestClient:
    """A phone's socket, connected with the ticket's reference (maybe refused)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return app.extensions["socketio"].test_client(app, auth={"ticket": ref}, flask_test_client=client)


def ack(client: SocketIOTestClient, event: str, data: Any = None) -> dict[str, Any]:
    answer = client.emit(event, {} if data is None else data, callback=True)
    assert isinstance(answer, dict), answer
    return answer


def received(client: SocketIOTestClient) -> list[tuple[str, dict[str, Any]]]:
    return [(m["name"], m["args"][0]) for m in client.get_received()]


@pytest.fixture
def guide(login) -> Api:  # type: ignore[no-untyped-def]
    return login("guide")  # type: ignore[no-any-return]


@pytest.fixture
def clerk(login) -> Api:  # type: ignore[no-untyped-def]
    """clerk1, signed in at window 14 (公安户政, household)."""
    api: Api = login("clerk1")
    api.post("/halls/demo/windows/14/open-window")
    return api


def issue(guide: Api, queue: str = "household", **more: Any) -> dict[str, Any]:
    return guide.post("/halls/demo/tickets", {"queue": queue, **more}, status=201)  # type: ignore[no-any-return]


# ---- reading a ticket's progress -------------------------------------------------------------


def test_a_waiting_ticket_shows_its_place_in_line_and_nothing_of_the_staff(client, guide) -> None:  # type: ignore[no-untyped-def]
    issue(guide)
    mine = issue(guide)
    shown = progress(client, mine["ref"])
    assert set(shown) == WAITING_KEYS
    assert shown["number"] == "E002" and shown["queue_name"] == "公安户政" and shown["status"] == "waiting"
    assert shown["hall"] == {"code": "demo", "name": "示范区政务服务中心"}
    # windows 14 and 15 both serve household and both count as opening now: called at once
    assert shown["people_ahead"] == 1 and shown["estimated_wait_minutes"] == 0
    assert shown["service_day"] == "2026-11-23" and shown["past_day"] is False
    assert shown["window"] is None and shown["clerk"] is None
    assert mine["ref"] not in repr(shown) and "id" not in shown and "appointment" not in shown


def test_an_item_or_bundle_is_named(client, guide) -> None:  # type: ignore[no-untyped-def]
    ticket = guide.post("/halls/demo/tickets", {"item": "food-business-licence"}, status=201)
    item = progress(client, ticket["ref"])
    assert item["item"] == {"code": "food-business-licence", "name": "食品经营许可"} and item["bundle"] is None


def test_the_progress_follows_the_ticket_through_its_day(client, guide, clerk) -> None:  # type: ignore[no-untyped-def]
    ref = issue(guide)["ref"]
    clerk.post("/halls/demo/windows/14/call-next")
    called = progress(client, ref)
    assert set(called) == OTHER_KEYS
    assert called["status"] == "called" and called["recalled"] is False
    assert called["window"] == {"number": 14, "name": "公安户政14号窗口"}
    assert called["clerk"] == "测试clerk1"  # the demo hall shows clerks' names
    clerk.post("/halls/demo/windows/14/recall")
    assert progress(client, ref)["recalled"] is True
    clerk.post("/halls/demo/windows/14/start-service")
    assert progress(client, ref)["status"] == "serving"
    clerk.post("/halls/demo/windows/14/suspend", {"reason": "去复印户口本"})
    suspended = progress(client, ref)
    assert suspended["status"] == "suspended" and suspended["window"]["number"] == 14 and suspended["clerk"] is None
    assert "复印" not in repr(suspended)
    number = suspended["number"]
    clerk.post("/halls/demo/windows/14/resume-ticket", {"ticket_number": number})
    clerk.post("/halls/demo/windows/14/finish-service", {"outcome": "consulted"})
    done = progress(client, ref)
    assert done["status"] == "done" and done["finished_at"] and done["window"]["number"] == 14
    assert "outcome" not in done and "handling_seconds" not in done


def test_a_finished_ticket_offers_its_rating_and_then_shows_it_whoever_rated(client, guide, clerk, device) -> None:  # type: ignore[no-untyped-def]
    """好差评 on the phone: nothing to rate before service finishes; then the hall file's five
    levels and their reasons; once rated (here by the phone, there by the window's pad), the
    level and the channel, and no words of anybody's."""
    ref = issue(guide)["ref"]
    assert progress(client, ref)["rating"] is None
    clerk.post("/halls/demo/windows/14/call-next")
    clerk.post("/halls/demo/windows/14/start-service")
    assert progress(client, ref)["rating"] is None, "not before service has finished"
    clerk.post("/halls/demo/windows/14/finish-service", {"outcome": "accepted"})
    offered = progress(client, ref)["rating"]
    assert offered["given"] is None
    assert [level["level"] for level in offered["levels"]] == [level.value for level in RatingLevel]
    assert offered["levels"][4]["reasons"] == list(DEFAULT_REASONS[RatingLevel.VERY_DISSATISFIED])
    Api(client).post(f"/t/{ref}/rating", {"level": "satisfied", "reasons": ["指引清楚"], "text": "谢谢"}, status=201)
    rated = progress(client, ref)["rating"]
    assert rated["levels"] == [] and rated["given"] == {
        "level": "satisfied",
        "label": "满意",
        "channel": "phone",
        "rated_at": rated["given"]["rated_at"],
    }
    assert "谢谢" not in repr(rated) and "指引清楚" not in repr(rated)

    # a ticket the window's own pad rated shows as rated too
    other = issue(guide)["ref"]
    clerk.post("/halls/demo/windows/14/call-next")
    clerk.post("/halls/demo/windows/14/start-service")
    clerk.post("/halls/demo/windows/14/finish-service", {"outcome": "accepted"})
    pad = Api(client, token=pad_token(client.application, window=14))
    pad.post("/halls/demo/ratings", {"ticket_ref": other, "level": "very_satisfied"}, status=201)
    assert progress(client, other)["rating"]["given"]["channel"] == "pad"


def pad_token(app: Flask, window: int) -> str:
    """A review pad registered for `window`, as `queue-server device create` does."""
    _, token = auth.create_device(
        app.extensions["hall_queue"]["store"],
        hall_code="demo",
        kind=DeviceKind.REVIEW_PAD,
        name=f"{window}号窗口评价器",
        window=window,
        now=MONDAY_10AM_SHANGHAI,
    )
    return token


def test_a_transferred_ticket_says_where_it_went(client, guide, clerk, login) -> None:  # type: ignore[no-untyped-def]
    ref = issue(guide)["ref"]
    login("clerk2").post("/halls/demo/windows/15/open-window")
    clerk.post("/halls/demo/windows/14/call-next")
    clerk.post("/halls/demo/windows/14/transfer", {"to_window": 15, "reason": "跨省业务"})
    moved = progress(client, ref)
    assert moved["status"] == "waiting" and moved["transferred"] is True
    assert moved["target_window"] == {"number": 15, "name": "跨省通办15号窗口"} and moved["window"] is None
    assert moved["people_ahead"] == 0 and "跨省业务" not in repr(moved)


def test_a_no_show_is_void_or_back_in_line_as_its_queue_says(client, guide, clerk, login) -> None:  # type: ignore[no-untyped-def]
    void = issue(guide)["ref"]  # household: a no-show is void
    clerk.post("/halls/demo/windows/14/call-next")
    clerk.post("/halls/demo/windows/14/mark-no-show")
    assert progress(client, void)["status"] == "no_show"
    back = issue(guide, "comprehensive")["ref"]  # comprehensive: back in line once
    counter = login("clerk2")
    counter.post("/halls/demo/windows/1/open-window")
    counter.post("/halls/demo/windows/1/call-next")
    counter.post("/halls/demo/windows/1/mark-no-show")
    requeued = progress(client, back)
    assert requeued["status"] == "waiting" and requeued["requeued"] is True


def test_a_cancelled_ticket_says_so(client, guide) -> None:  # type: ignore[no-untyped-def]
    ticket = issue(guide)
    guide.post(f"/halls/demo/tickets/{ticket['id']}/cancel", {"reason": "不办了"})
    cancelled = progress(client, ticket["ref"])
    assert cancelled["status"] == "cancelled" and "不办了" not in repr(cancelled)


def test_a_ticket_of_a_past_day_says_so_until_it_is_too_old(app, client, guide, clock) -> None:  # type: ignore[no-untyped-def]
    ref = issue(guide)["ref"]
    clock.now += timedelta(days=1)
    before_the_close = progress(client, ref)  # the new day began, nobody wrote yet
    assert before_the_close["past_day"] is True and "people_ahead" not in before_the_close
    app.extensions["hall_queue"]["jobs"].tick()  # the server's timer closes the day
    closed = progress(client, ref)
    assert closed["status"] == "expired" and closed["past_day"] is True and closed["service_day"] == "2026-11-23"
    clock.now += timedelta(days=7)  # eight days on: past PHONE_TICKET_DAYS (7)
    too_old = progress(client, ref, 404)
    assert too_old["code"] == "ticket_expired" and "2026-11-23" in too_old["detail"] and "7 天" in too_old["detail"]


@pytest.mark.parametrize(
    "ref",
    ["abc", "x" * 200, "%3Cscript%3E", "a%20b%00c", "%E7%A5%A8" * 8, "0123456789ABCDEF0123456789ABCDEF", "A" * 22],
    ids=["short", "long", "markup", "space-and-nul", "chinese", "upper-hex", "well-formed-but-unknown"],
)
def test_every_reference_that_finds_nothing_gets_the_same_clear_answer(client, ref: str) -> None:  # type: ignore[no-untyped-def]
    assert progress(client, ref, 404) == {
        "type": "https://hall-queue.invalid/problems/ticket_not_found",
        "title": "No such ticket",
        "status": 404,
        "detail": "找不到这张票：请核对二维码，或到导办台询问",
        "code": "ticket_not_found",
    }


def test_the_reference_is_the_only_credential_whoever_else_the_caller_is(client, guide, app) -> None:  # type: ignore[no-untyped-def]
    """A stale session cookie or a bad Authorization header (a clerk opening a citizen's QR
    code in their own browser) changes nothing: the page needs no one signed in."""
    ref = issue(guide)["ref"]
    assert guide.client.get(f"/api/v1/t/{ref}").status_code == 200
    assert client.get(f"/api/v1/t/{ref}", headers={"Authorization": "Bearer nonsense"}).status_code == 200
    assert client.get(f"/api/v1/t/{ref}?x=1").status_code == 422  # no query is taken


def test_a_ticket_of_another_hall_is_read_by_its_own_reference(client, login) -> None:  # type: ignore[no-untyped-def]
    town = login("other_guide").post("/halls/town/tickets", {"queue": "general"}, status=201)
    shown = progress(client, town["ref"])
    assert shown["hall"]["code"] == "town" and shown["number"] == "A001"


# ---- the throttle ---------------------------------------------------------------------------


def test_an_address_that_keeps_missing_is_refused_everything_for_a_while(client, guide, clock) -> None:  # type: ignore[no-untyped-def]
    good = issue(guide)["ref"]
    for n in range(10):  # PHONE_MISSES_PER_MINUTE
        progress(client, f"{n:022d}", 404, address="10.9.8.7")
    refused = client.get(f"/api/v1/t/{good}", environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert refused.status_code == 429 and refused.mimetype == "application/problem+json"
    body = refused.get_json()
    assert body["code"] == "lookups_throttled" and body["retry_after"] == 6 and "秒后再试" in body["detail"]
    assert refused.headers["Retry-After"] == "6"
    assert progress(client, "A" * 22, 429, address="10.9.8.7")["code"] == "lookups_throttled"  # tells nothing
    progress(client, good, address="10.9.8.8")  # another address is not held back
    clock.now += timedelta(seconds=6)  # one miss refilled
    progress(client, good, address="10.9.8.7")


def test_one_ticket_is_read_a_burst_at_a_time(client, guide, clock) -> None:  # type: ignore[no-untyped-def]
    mine, other = issue(guide)["ref"], issue(guide)["ref"]
    for _ in range(30):  # PHONE_LOOKUP_BURST
        progress(client, mine)
    assert progress(client, mine, 429)["retry_after"] == 1  # PHONE_LOOKUPS_PER_MINUTE: one a second
    progress(client, other)  # every ticket has its own
    clock.now += timedelta(seconds=1)
    progress(client, mine)


def test_the_throttle_is_a_setting(tmp_path, template_instance, clock) -> None:  # type: ignore[no-untyped-def]
    import shutil

    instance = tmp_path / "instance"
    shutil.copytree(template_instance[0], instance)
    settings = {**TEST_CONFIG, "CLOCK": clock, "PHONE_MISSES_PER_MINUTE": 2}
    app = create_app(settings, instance_path=str(instance))
    try:
        client = app.test_client()
        progress(client, "A" * 22, 404)
        progress(client, "B" * 22, 404)
        assert progress(client, "C" * 22, 429)["retry_after"] == 30
    finally:
        close_app(app)


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("PUBLIC_BASE_URL", "zwfw.example.cn"),
        ("PUBLIC_BASE_URL", "https://zwfw.example.cn/?a=1"),
        ("PHONE_MISSES_PER_MINUTE", 0),
        ("PHONE_LOOKUP_BURST", "many"),
        ("PHONE_TICKET_DAYS", -1),
    ],
    ids=["url-without-scheme", "url-with-query", "no-misses", "burst-not-a-number", "negative-days"],
)
def test_a_bad_phone_setting_stops_the_start(tmp_path, setting: str, value: Any) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(config.ConfigError, match=setting):
        create_app({**TEST_CONFIG, setting: value}, instance_path=str(tmp_path / "instance"))


# ---- the page's address ---------------------------------------------------------------------


def test_the_phone_url_is_the_public_base_url_or_the_requests_own_host(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ref = "AbCdEfGhIjKlMnOpQrSt_-"
    with app.test_request_context("/api/v1/halls/demo/tickets", base_url="http://10.1.2.3:8000"):
        assert phone_url_for(ref) == f"http://10.1.2.3:8000/t/{ref}"
    app.config["PUBLIC_BASE_URL"] = "https://zwfw.example.cn/queue"
    with app.test_request_context("/api/v1/halls/demo/tickets", base_url="http://10.1.2.3:8000"):
        assert phone_url_for(ref) == f"https://zwfw.example.cn/queue/t/{ref}"


def test_a_public_base_url_is_kept_without_its_trailing_slash(tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = create_app(
        {**TEST_CONFIG, "PUBLIC_BASE_URL": "https://zwfw.example.cn/queue/"}, instance_path=str(tmp_path / "i")
    )
    try:
        assert app.config["PUBLIC_BASE_URL"] == "https://zwfw.example.cn/queue"
    finally:
        close_app(app)


def test_the_page_is_the_same_for_any_reference_and_holds_no_data(client, guide) -> None:  # type: ignore[no-untyped-def]
    ticket = issue(guide)
    mine, nobodys = client.get(f"/t/{ticket['ref']}"), client.get("/t/nonsense")
    assert mine.status_code == nobodys.status_code == 200 and mine.data == nobodys.data
    html = mine.get_data(as_text=True)
    assert ticket["number"] not in html and "static/phone.js" in html and "static/phone.css" in html


# ---- the socket ----------------------------------------------------------------------------


def test_a_phone_follows_its_hall_and_asks_for_its_progress(app, guide, clerk) -> None:  # type: ignore[no-untyped-def]
    ticket = issue(guide)
    link = phone(app, ticket["ref"])
    assert link.is_connected()
    subscribed = ack(link, "subscribe")
    assert subscribed["ok"], subscribed
    data = subscribed["data"]
    assert data["scope"] == {"hall": "demo", "zone": None, "window": None}
    assert data["progress"]["number"] == ticket["number"] and data["progress"]["status"] == "waiting"
    assert data["seq"] == data["progress"]["seq"]
    clerk.post("/halls/demo/windows/14/call-next")
    events = received(link)
    called = [payload for name, payload in events if name == "ticket_called"]
    assert len(called) == 1 and called[0]["ticket"]["number"] == ticket["number"]
    assert called[0]["seq"] > data["seq"]
    for _, payload in events:  # no event carries any ticket's reference, nor the call's texts
        assert ticket["ref"] not in repr(payload) and "texts" not in payload and "speech" not in payload
    fresh = ack(link, "read_progress")
    assert fresh["ok"] and fresh["data"]["status"] == "called" and fresh["data"]["window"]["number"] == 14
    assert fresh["data"]["seq"] >= called[0]["seq"]


def test_each_event_reaches_a_phone_once_whatever_the_hall(app, guide, clerk, login) -> None:  # type: ignore[no-untyped-def]
    link = phone(app, issue(guide)["ref"])
    ack(link, "subscribe")
    link.get_received()
    issue(guide, "comprehensive")  # another queue, another zone's windows: the phone sees it too
    names = [name for name, _ in received(link)]
    assert names == ["ticket_issued"]


def test_a_phones_reference_opens_nothing_else(app, guide, login) -> None:  # type: ignore[no-untyped-def]
    ref = issue(guide)["ref"]
    link = phone(app, ref)
    for payload in ({"hall": "town"}, {"hall": "atlantis"}, {"zone": "2f"}, {"window": 14}):
        refused = ack(link, "subscribe", payload)
        assert not refused["ok"] and refused["problem"]["status"] == 403, (payload, refused)
    assert ack(link, "subscribe", {"hall": "town"}) == ack(link, "subscribe", {"hall": "atlantis"})
    for event, payload in (
        ("issue_ticket", {"hall": "demo", "queue": "household"}),
        ("call_next", {"hall": "demo", "window": 14}),
        ("cancel_ticket", {"hall": "demo", "ticket_id": 1}),
        ("mark_shown", {"seq": 1}),
    ):
        refused = ack(link, event, payload)
        assert not refused["ok"] and refused["problem"]["status"] == 403, (event, refused)
    assert ack(link, "read_progress", {"ref": "A" * 22})["problem"]["field"] == "ref"  # no other ticket by name
    for who in ("guide", "manager"):  # staff read tickets their own way
        staff = app.extensions["socketio"].test_client(app, flask_test_client=login(who).client)
        assert ack(staff, "read_progress")["problem"]["status"] == 403
    screen = app.extensions["socketio"].test_client(app, auth={"token": app.config["TEST_TOKENS"]["hall_screen"]})
    assert ack(screen, "read_progress")["problem"]["status"] == 403


def test_a_reference_that_finds_nothing_is_refused_at_the_door_and_counted(app, client) -> None:  # type: ignore[no-untyped-def]
    for ref in ("A" * 22, "short", 12345, {"ref": "x"}):
        assert not phone(app, ref, address="10.1.1.1").is_connected()  # type: ignore[arg-type]
    for n in range(6):
        progress(client, f"{n:022d}", 404, address="10.1.1.1")
    assert progress(client, "B" * 22, 429, address="10.1.1.1")["code"] == "lookups_throttled"


def test_a_phone_whose_ticket_grows_too_old_is_let_go(app, guide, clock) -> None:  # type: ignore[no-untyped-def]
    link = phone(app, issue(guide)["ref"])
    assert ack(link, "subscribe")["ok"]
    clock.now += timedelta(days=9)
    assert app.extensions["hall_queue"]["realtime"].close_revoked_links() == 1
    assert not link.is_connected()
