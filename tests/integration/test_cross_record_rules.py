"""The rules that span records, met the way users meet them: one open ticket per ID per
queue, tickets only at windows that serve them, windows never stranded, times that add
up across windows, and refusals that say what to do (issue 6, cases 2, 6, 7, 12–14)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from tests.conftest import Api, Clock
from tests.integration.test_realtime import ack, screen, signed_in

VALID_ID = "11010519491231002X"


def w(action: str, window: int) -> str:
    return f"/halls/demo/windows/{window}/{action}"


@pytest.fixture
def guide(login) -> Api:  # type: ignore[no-untyped-def]
    return login("guide")  # type: ignore[no-any-return]


@pytest.fixture
def manager(login) -> Api:  # type: ignore[no-untyped-def]
    return login("manager")  # type: ignore[no-any-return]


def window_of(api: Api, number: int) -> dict[str, Any]:
    return next(w for w in api.get("/halls/demo")["windows"] if w["number"] == number)


def issue(guide: Api, clock: Clock, **body: Any) -> dict[str, Any]:
    clock.now += timedelta(seconds=30)
    return guide.post("/halls/demo/tickets", body, status=201)  # type: ignore[no-any-return]


# ---- case 2: one open ticket per ID number per queue ----------------------------------


def test_a_citizen_being_called_cannot_take_a_second_ticket_in_that_queue(guide: Api, login, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    """Regression: a citizen called at A took a new ticket at the desk, then the no-show
    of the first (requeue) answered 500. Now the second ticket is refused, naming the first."""
    clerk = login("clerk1")
    clerk.post(w("open-window", 12))  # 社保医保: requeue policy
    first = issue(guide, clock, queue="social-insurance", id_number=VALID_ID)
    clerk.post(w("call-next", 12))
    refused = guide.post("/halls/demo/tickets", {"queue": "social-insurance", "id_number": VALID_ID}, status=409)
    assert refused["code"] == "duplicate_ticket" and refused["number"] == first["number"]
    assert "已叫号" in refused["detail"]
    assert clerk.post(w("mark-no-show", 12))["ticket"] is None  # back in line, no 500
    assert login("manager").get(f"/halls/demo/tickets/{first['id']}")["status"] == "waiting"


def test_a_transfer_into_a_queue_where_the_citizen_already_waits_is_refused_naming_it(
    guide: Api, login, clock: Clock
) -> None:  # type: ignore[no-untyped-def]
    """Regression: served at A with a waiting ticket in B, a transfer to B answered 500."""
    clerk = login("clerk1")
    clerk.post(w("open-window", 14))  # 公安户政
    issue(guide, clock, queue="household", id_number=VALID_ID)
    waiting_in_f = issue(guide, clock, queue="cross-province", id_number=VALID_ID)
    clerk.post(w("call-next", 14))
    clerk.post(w("start-service", 14))
    refused = clerk.post(w("transfer", 14), {"to_queue": "cross-province"}, status=409)
    assert refused["code"] == "duplicate_ticket" and refused["number"] == waiting_in_f["number"]
    assert window_of(clerk, 14)["ticket"] == "E001"  # nothing moved
    clerk.post(w("finish-service", 14))  # the clerk finishes here; the citizen keeps F001


def test_a_transfer_tells_the_counters_the_ticket_now_waits_in_its_new_queue(
    guide: Api, login, clock: Clock, app: Flask
) -> None:  # type: ignore[no-untyped-def]
    """Regression (bench/hall_day.py, tickets left waiting at the end of the day): the
    transfer's event read the counts before the ticket moved, so it told every counter that
    nobody waited in the new queue, and no clerk called the ticket."""
    clerk = login("clerk1")
    clerk.post(w("open-window", 14))  # 公安户政
    issue(guide, clock, queue="household")
    issue(guide, clock, queue="household")
    clerk.post(w("call-next", 14))
    clerk.post(w("start-service", 14))
    console = signed_in(app, "manager")
    ack(console, "subscribe", {"hall": "demo"})
    clerk.post(w("transfer", 14), {"to_queue": "cross-province", "reason": "转办"})
    (event,) = [m["args"][0] for m in console.get_received() if m["name"] == "ticket_transferred"]
    assert event["waiting"] == {"household": 1, "cross-province": 1}
    with app.extensions["hall_queue"]["store"].read() as db:  # what a reconnecting screen is replayed
        (stored,) = db.execute("SELECT data FROM events WHERE type = 'ticket_transferred'").fetchone()
    assert json.loads(stored)["waiting"] == event["waiting"]


def test_a_recallable_no_show_is_not_called_back_when_the_citizen_took_a_new_ticket(
    guide: Api, login, clock: Clock
) -> None:  # type: ignore[no-untyped-def]
    clerk = login("clerk1")
    clerk.post(w("open-window", 11))  # 企业开办: recallable
    issue(guide, clock, queue="enterprise", id_number=VALID_ID)
    clerk.post(w("call-next", 11))
    clerk.post(w("mark-no-show", 11))
    again = issue(guide, clock, queue="enterprise", id_number=VALID_ID)  # a no-show is not open
    refused = clerk.post(w("call-number", 11), {"ticket_number": "C001"}, status=409)
    assert refused["code"] == "duplicate_ticket" and refused["number"] == again["number"]


# ---- case 6: what the 好差评 record needs ----------------------------------------------


def test_handling_time_adds_up_across_windows_and_every_call_is_kept(guide: Api, login, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    """Regression: a transfer cleared the start time, so 12 minutes of service were
    recorded as 2; each call overwrote the one before."""
    first_clerk, second_clerk, manager = login("clerk1"), login("clerk2"), login("manager")
    first_clerk.post(w("open-window", 14))
    second_clerk.post(w("open-window", 15))
    ticket = issue(guide, clock, queue="household")
    clock.now += timedelta(minutes=3)
    first_clerk.post(w("call-next", 14))
    first_called = clock.now
    first_clerk.post(w("start-service", 14))
    clock.now += timedelta(minutes=10)
    first_clerk.post(w("transfer", 14), {"to_queue": "cross-province", "reason": "需跨省通办"})
    clock.now += timedelta(minutes=1)
    second_clerk.post(w("call-next", 15))
    second_clerk.post(w("start-service", 15))
    clock.now += timedelta(minutes=2)
    second_clerk.post(w("finish-service", 15), {"outcome": "accepted", "items": ["cross-province-hukou"]})
    view = manager.get(f"/halls/demo/tickets/{ticket['id']}")
    assert view["handling_seconds"] == 12 * 60
    assert view["first_called_at"] == first_called.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    assert view["items"] == ["cross-province-hukou"]
    assert [(v["window"], v["ending"], v["handling_seconds"]) for v in view["visits"]] == [
        (14, "transferred", 600.0),
        (15, "finished", 120.0),
    ]
    assert [v["clerk_id"] for v in view["visits"]] == [
        e["clerk_id"] for e in view["log"] if e["type"] == "ticket_called"
    ]
    with pytest.raises(AssertionError):  # the two calls were made by two different clerks
        assert view["visits"][0]["clerk_id"] == view["visits"][1]["clerk_id"]


def test_finish_refuses_an_item_code_the_hall_does_not_have(guide: Api, login, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    clerk = login("clerk1")
    clerk.post(w("open-window", 14))
    issue(guide, clock, queue="household")
    clerk.post(w("call-next", 14))
    clerk.post(w("start-service", 14))
    refused = clerk.post(w("finish-service", 14), {"items": ["moon-landing"]}, status=422)
    assert refused["field"] == "items"


def test_the_device_that_made_a_change_is_in_the_log(device, manager: Api) -> None:  # type: ignore[no-untyped-def]
    ticket = device("kiosk").post("/halls/demo/tickets", {"queue": "pickup"}, status=201)
    assert "id" not in ticket  # a kiosk knows the ticket by its public reference only
    events = manager.get("/halls/demo/events?since=0")["events"]
    ticket_id = next(
        e["ticket"]["id"] for e in events if e["type"] == "ticket_issued" and e["ticket"]["ref"] == ticket["ref"]
    )
    (issued,) = manager.get(f"/halls/demo/tickets/{ticket_id}")["log"]
    assert issued["device_id"] is not None and issued["clerk_id"] is None and issued["reason"] == "kiosk"


# ---- case 7: tickets only where they belong -------------------------------------------


def test_a_suspended_ticket_resumes_only_where_its_queue_is_served(guide: Api, login, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    """Regression: a 户政 ticket could be resumed at the 出件 window."""
    clerk, other = login("clerk1"), login("clerk2")
    clerk.post(w("open-window", 14))  # 公安户政
    other.post(w("open-window", 5))  # 出件发证
    issue(guide, clock, queue="household")
    clerk.post(w("call-next", 14))
    clerk.post(w("start-service", 14))
    clerk.post(w("suspend", 14), {"reason": "回去取户口本"})
    refused = other.post(w("resume-ticket", 5), {"ticket_number": "E001"}, status=409)
    assert refused["code"] == "wrong_window" and "5 号窗口不办理" in refused["detail"]
    assert clerk.post(w("resume-ticket", 14), {"ticket_number": "E001"})["ticket_status"] == "serving"


def test_a_ticket_sent_to_one_window_cannot_be_called_by_number_at_another(guide: Api, login, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    clerk, other, third = login("clerk1"), login("clerk2"), login("manager")
    clerk.post(w("open-window", 14))
    other.post(w("open-window", 15))
    issue(guide, clock, queue="household")
    clerk.post(w("call-next", 14))
    clerk.post(w("transfer", 14), {"to_window": 15})
    refused = clerk.post(w("call-number", 14), {"ticket_number": "E001"}, status=409)
    assert refused["code"] == "wrong_window" and "15 号窗口" in refused["detail"]
    assert other.post(w("call-number", 15), {"ticket_number": "E001"})["ticket"] == "E001"
    del third


# ---- case 12: nothing stranded --------------------------------------------------------


def test_a_transfer_to_a_closed_window_or_one_that_does_not_serve_the_queue_is_refused(
    guide: Api, login, clock: Clock
) -> None:  # type: ignore[no-untyped-def]
    """Regression: {"to_window": 10} to a closed window that does not serve the queue
    answered 200, and the ticket vanished from every open window."""
    clerk, other = login("clerk1"), login("clerk2")
    clerk.post(w("open-window", 14))
    issue(guide, clock, queue="household")
    clerk.post(w("call-next", 14))
    closed = clerk.post(w("transfer", 14), {"to_window": 10}, status=409)
    assert closed["code"] == "wrong_window" and "未开放" in closed["detail"]
    other.post(w("open-window", 10))  # 不动产登记: does not serve 公安户政
    elsewhere = clerk.post(w("transfer", 14), {"to_window": 10}, status=409)
    assert elsewhere["code"] == "wrong_window" and "不办理" in elsewhere["detail"] and "to_queue" in elsewhere["detail"]
    moved = clerk.post(w("transfer", 14), {"to_window": 10, "to_queue": "real-estate"})
    assert moved["ticket"] is None
    assert other.post(w("call-next", 10))["ticket"] == "E001"


def test_tickets_sent_to_a_window_go_back_in_line_when_it_closes(guide: Api, login, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    clerk, other = login("clerk1"), login("clerk2")
    clerk.post(w("open-window", 14))
    other.post(w("open-window", 15))
    issue(guide, clock, queue="household")
    clerk.post(w("call-next", 14))
    clerk.post(w("transfer", 14), {"to_window": 15})
    other.post(w("close-window", 15))
    assert clerk.post(w("call-next", 14))["ticket"] == "E001"  # back in 公安户政's line


def test_a_clerk_who_signs_out_closes_an_idle_window(login) -> None:  # type: ignore[no-untyped-def]
    clerk = login("clerk1")
    clerk.post(w("open-window", 14))
    assert clerk.client.delete("/api/v1/session", headers=clerk.headers).status_code == 204
    window = window_of(login("manager"), 14)
    assert (window["status"], window["clerk"]) == ("closed", None)


def test_a_manager_releases_a_window_its_clerk_left_with_a_ticket_called(
    guide: Api, manager: Api, login, clock: Clock, app: Flask
) -> None:  # type: ignore[no-untyped-def]
    """Regression: a clerk signed out with a ticket called; the manager's close was
    refused with advice only the clerk could follow."""
    clerk = login("clerk1")
    clerk.post(w("open-window", 14))
    first = issue(guide, clock, queue="household")
    issue(guide, clock, queue="household")
    clerk.post(w("call-next", 14))
    clerk.client.delete("/api/v1/session", headers=clerk.headers)
    refused = manager.post(w("close-window", 14), status=409)
    assert refused["code"] == "window_busy" and "释放窗口" in refused["detail"]
    watching, console = screen(app), signed_in(app, "manager")
    ack(watching, "subscribe", {"hall": "demo"})
    ack(console, "subscribe", {"hall": "demo"})
    without_reason = manager.post(w("release-window", 14), status=422)
    assert without_reason["field"] == "reason"
    released = manager.post(w("release-window", 14), {"reason": "工作人员临时离岗"})
    assert (released["status"], released["ticket"], released["clerk"]) == ("closed", None, None)
    (event,) = [m["args"][0] for m in watching.get_received() if m["name"] == "window_released"]
    assert event["ticket"]["number"] == "E001" and event["reason"] is None  # a screen: no one's free text
    (staff,) = [m["args"][0] for m in console.get_received() if m["name"] == "window_released"]
    assert staff["reason"] == "工作人员临时离岗"
    assert event["window"]["status"] == "closed" and event["waiting"] == {"household": 2}
    view = manager.get(f"/halls/demo/tickets/{first['id']}")
    assert view["status"] == "waiting" and view["log"][-1]["type"] == "window_released"
    assert view["log"][-1]["clerk_id"] is not None  # the manager who released it
    other = login("clerk2")
    other.post(w("open-window", 14))
    assert other.post(w("call-next", 14))["ticket"] == "E001"  # its own place, first in line
    assert login("clerk1").post(w("release-window", 15), {"reason": "x"}, status=403)["code"] == "forbidden"


# ---- case 13: refusals that say what happened and what to do --------------------------


def test_nothing_in_hand_is_not_nothing_waiting(guide: Api, login, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    clerk = login("clerk1")
    clerk.post(w("open-window", 14))
    issue(guide, clock, queue="household")
    refused = clerk.post(w("recall", 14), status=409)
    assert refused["code"] == "no_current_ticket" and "请先叫号" in refused["detail"]
    clerk.post(w("call-next", 14))
    early = clerk.post(w("finish-service", 14), status=409)
    assert early["code"] == "invalid_transition" and "开始办理" in early["detail"]


def test_an_unknown_socket_event_is_answered(app: Flask) -> None:
    clerk = signed_in(app, "clerk1")
    answer = ack(clerk, "call_nxt", {"hall": "demo", "window": 1})
    assert answer["ok"] is False and answer["problem"]["code"] == "unknown_event"
    assert "call_next" in answer["problem"]["detail"]


# ---- case 14: a hall screen shows current calls only ----------------------------------


def test_the_snapshot_shows_only_calls_whose_ticket_is_still_at_its_window(
    guide: Api, login, clock: Clock, device
) -> None:  # type: ignore[no-untyped-def]
    """Regression: on load the 正在叫号 banner showed a ticket finished at a closed
    window, and after a transfer the list fell back to an old finished call there."""
    clerk = login("clerk1")
    clerk.post(w("open-window", 14))
    for _ in range(3):
        issue(guide, clock, queue="household")
    clerk.post(w("call-next", 14))  # E001
    clerk.post(w("start-service", 14))
    clerk.post(w("finish-service", 14))
    clerk.post(w("call-next", 14))  # E002
    clerk.post(w("recall", 14))
    current = device("hall_screen").get("/halls/demo")["recent_calls"]
    assert [(c["number"], c["window"], c["recall"]) for c in current] == [("E002", 14, True)]
    assert current[0]["texts"]["zh-CN"].endswith("（重呼）") and current[0]["seq"] > 0
    clerk.post(w("transfer", 14), {"to_queue": "cross-province"})
    assert device("hall_screen").get("/halls/demo")["recent_calls"] == []  # no fallback to E001
    clerk.post(w("close-window", 14))
    assert device("hall_screen").get("/halls/demo")["recent_calls"] == []
