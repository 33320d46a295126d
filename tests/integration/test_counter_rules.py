"""The rules the clerk's console leans on, met over HTTP and the socket: which clerks may
open which window (the hall file's `clerks` and `cover`), covering another's window (顶岗)
kept in the hall's log and the audit log, a call out of the line's order needs a reason,
a window command sent twice with one Idempotency-Key runs once, and the console's reads
(`GET …/windows/{n}`, `GET …/clerk/today`) for the clerk who asks."""

from __future__ import annotations

import json
import tomllib
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from queue_server.cli import demo_hall_toml
from queue_server.domain.errors import HallConfigError
from queue_server.domain.hall import parse_hall
from tests.conftest import Api, Clock
from tests.integration.test_realtime import ack, received, screen, signed_in

# Window 1 is clerk1's own; window 2 is clerk2's, and clerk1 may cover it; window 3 names
# nobody (any clerk of the hall may open it).
STAFFED = (
    demo_hall_toml(always_open=True)
    .replace('name = "综合受理1号窗口"\n', 'name = "综合受理1号窗口"\nclerks = ["clerk1"]\n', 1)
    .replace('name = "综合受理2号窗口"\n', 'name = "综合受理2号窗口"\nclerks = ["clerk2"]\ncover = ["clerk1"]\n', 1)
)


def w(number: int, action: str) -> str:
    return f"/halls/demo/windows/{number}/{action}"


@pytest.fixture
def guide(login) -> Api:  # type: ignore[no-untyped-def]
    return login("guide")  # type: ignore[no-any-return]


@pytest.fixture
def staffed(login) -> None:  # type: ignore[no-untyped-def]
    """The demo hall with window 1 clerk1's, window 2 clerk2's (clerk1 may cover it)."""
    admin = login("admin")
    put = admin.client.put(
        "/api/v1/halls/demo/config",
        data=STAFFED.encode(),
        headers={**admin.headers, "Content-Type": "application/toml"},
    )
    assert put.status_code == 200, put.get_data(as_text=True)


def issue(guide: Api, clock: Clock, queue: str = "comprehensive", **body: Any) -> dict[str, Any]:
    clock.now += timedelta(seconds=30)
    return guide.post("/halls/demo/tickets", {"queue": queue, **body}, status=201)  # type: ignore[no-any-return]


def audit_rows(store, action: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    with store.read() as db:
        rows = list(db.query("SELECT * FROM audit_log WHERE action = ? ORDER BY id", [action]))
    return [{**row, "detail": json.loads(row["detail"])} for row in rows]


def events_of(store, type_: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    with store.read() as db:
        rows = list(db.query("SELECT * FROM events WHERE type = ? ORDER BY seq", [type_]))
    return [{**row, "data": json.loads(row["data"])} for row in rows]


# ---- (a) which clerks may open which window --------------------------------------------


def test_a_window_that_names_its_clerks_refuses_another_clerk_clearly(staffed: None, login) -> None:  # type: ignore[no-untyped-def]
    refused = login("clerk2").post(w(1, "open-window"), status=403)
    assert refused["code"] == "window_not_allowed"
    assert "clerk1" in refused["detail"] and "cover" in refused["detail"]
    assert login("clerk1").post(w(1, "open-window"))["status"] == "open"


def test_the_refusal_is_the_same_over_the_socket(staffed: None, app: Flask) -> None:
    answer = ack(signed_in(app, "clerk2"), "open_window", {"hall": "demo", "window": 1})
    assert not answer["ok"] and answer["problem"]["code"] == "window_not_allowed"
    assert answer["problem"]["status"] == 403


def test_a_window_naming_nobody_is_open_to_any_clerk_of_the_hall(staffed: None, login) -> None:  # type: ignore[no-untyped-def]
    assert login("clerk2").post(w(3, "open-window"))["status"] == "open"
    refused = login("other_clerk").post(w(4, "open-window"), status=403)  # another hall's clerk
    assert refused["code"] == "forbidden"


def test_the_hall_file_refuses_cover_without_clerks_and_a_name_twice() -> None:
    base = demo_hall_toml(always_open=True)
    no_clerks = base.replace('name = "综合受理3号窗口"\n', 'name = "综合受理3号窗口"\ncover = ["clerk1"]\n', 1)
    with pytest.raises(HallConfigError, match="cover"):
        parse_hall(tomllib.loads(no_clerks))
    twice = base.replace('name = "综合受理3号窗口"\n', 'name = "综合受理3号窗口"\nclerks = ["a", "a"]\n', 1)
    with pytest.raises(HallConfigError, match="重复"):
        parse_hall(tomllib.loads(twice))
    both = base.replace('name = "综合受理3号窗口"\n', 'name = "综合受理3号窗口"\nclerks = ["a"]\ncover = ["a"]\n', 1)
    with pytest.raises(HallConfigError, match="只写一处"):
        parse_hall(tomllib.loads(both))


# ---- (b) covering another's window (顶岗) ------------------------------------------------


def test_covering_is_recorded_on_the_event_and_in_the_audit_log(staffed: None, login, store) -> None:  # type: ignore[no-untyped-def]
    clerk1 = login("clerk1")
    clerk1.post(w(2, "open-window"))  # clerk2's window; clerk1's own is 1
    opened = events_of(store, "window_opened")[-1]
    assert opened["data"]["covering"] == {"own": [1]}
    assert opened["data"]["window"]["clerk"] == "测试clerk1"
    (entry,) = audit_rows(store, "window_covered")
    assert (entry["actor"], entry["target"], entry["detail"]) == ("clerk1", "2", {"own": [1]})


def test_opening_ones_own_window_or_an_open_one_without_an_own_is_not_covering(staffed: None, login, store) -> None:  # type: ignore[no-untyped-def]
    login("clerk1").post(w(1, "open-window"))
    login("clerk2").post(w(3, "open-window"))  # clerk2 has window 2 as own: 3 is covering
    opened = events_of(store, "window_opened")
    assert opened[-2]["data"]["covering"] is None
    assert opened[-1]["data"]["covering"] == {"own": [2]}
    assert [e["target"] for e in audit_rows(store, "window_covered")] == ["3"]


def test_a_screen_never_hears_who_covers(staffed: None, app: Flask, login) -> None:  # type: ignore[no-untyped-def]
    hall_screen = screen(app)
    assert ack(hall_screen, "subscribe", {"hall": "demo"})["ok"]
    hall_screen.get_received()
    login("clerk1").post(w(2, "open-window"))
    (event,) = received(hall_screen, "window_opened")
    assert "covering" not in event


# ---- (c) calling out of the line's order ---------------------------------------------------


def test_calling_a_waiting_ticket_out_of_order_needs_a_reason_and_is_kept(
    guide: Api, login, clock: Clock, store
) -> None:  # type: ignore[no-untyped-def]
    clerk = login("clerk1")
    clerk.post(w(1, "open-window"))
    for _ in range(3):
        issue(guide, clock)
    refused = clerk.post(w(1, "call-number"), {"ticket_number": "A003"}, status=422)
    assert (refused["code"], refused["field"]) == ("reason_required", "reason")
    assert "A003" in refused["detail"]
    called = clerk.post(w(1, "call-number"), {"ticket_number": "A003", "reason": "预约老人，材料已核"})
    assert called["ticket"] == "A003"
    event = events_of(store, "ticket_called")[-1]
    assert event["reason"] == "预约老人，材料已核" and event["data"]["out_of_order"] is True
    entry = audit_rows(store, "called_by_number")[-1]
    assert entry["detail"]["reason"] == "预约老人，材料已核" and entry["detail"]["out_of_order"] is True


def test_the_ticket_next_in_line_or_a_recallable_no_show_needs_no_reason(
    guide: Api, login, clock: Clock, store
) -> None:  # type: ignore[no-untyped-def]
    clerk = login("clerk1")
    clerk.post(w(11, "open-window"))  # 企业开办: no-shows stay recallable
    issue(guide, clock, "enterprise")
    issue(guide, clock, "enterprise")
    assert clerk.post(w(11, "call-number"), {"ticket_number": "C001"})["ticket"] == "C001"  # next anyway
    clerk.post(w(11, "mark-no-show"))
    assert clerk.post(w(11, "call-number"), {"ticket_number": "C001"})["ticket"] == "C001"  # came back
    assert [e["data"]["out_of_order"] for e in events_of(store, "ticket_called")] == [False, False]


def test_a_screen_gets_no_typed_reason_for_an_out_of_order_call(guide: Api, app: Flask, login, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    hall_screen = screen(app)
    assert ack(hall_screen, "subscribe", {"hall": "demo"})["ok"]
    clerk = login("clerk1")
    clerk.post(w(1, "open-window"))
    issue(guide, clock)
    issue(guide, clock)
    hall_screen.get_received()
    clerk.post(w(1, "call-number"), {"ticket_number": "A002", "reason": "张三的私事"})
    (call,) = received(hall_screen, "ticket_called")
    assert call["ticket"]["number"] == "A002" and call["reason"] is None
    assert "张三" not in json.dumps(call, ensure_ascii=False)


def test_the_socket_asks_for_the_reason_alike(guide: Api, app: Flask, clock: Clock) -> None:
    clerk = signed_in(app, "clerk1")
    assert ack(clerk, "open_window", {"hall": "demo", "window": 1})["ok"]
    issue(guide, clock)
    issue(guide, clock)
    refused = ack(clerk, "call_number", {"hall": "demo", "window": 1, "ticket_number": "A002"})
    assert not refused["ok"] and refused["problem"]["code"] == "reason_required"
    called = ack(clerk, "call_number", {"hall": "demo", "window": 1, "ticket_number": "A002", "reason": "急事"})
    assert called["ok"] and called["data"]["ticket"] == "A002"


# ---- one command per Idempotency-Key ---------------------------------------------------------


def test_a_window_command_sent_twice_with_one_key_runs_once(guide: Api, login, clock: Clock, store) -> None:  # type: ignore[no-untyped-def]
    clerk = login("clerk1")
    clerk.post(w(1, "open-window"))
    for _ in range(2):
        issue(guide, clock)
    key = {"Idempotency-Key": "console-call-1"}
    first = clerk.client.post(f"/api/v1{w(1, 'call-next')}", headers={**clerk.headers, **key})
    again = clerk.client.post(f"/api/v1{w(1, 'call-next')}", headers={**clerk.headers, **key})
    assert first.status_code == again.status_code == 200
    assert first.get_json()["ticket"] == again.get_json()["ticket"] == "A001"
    assert "Idempotent-Replayed" not in first.headers and again.headers["Idempotent-Replayed"] == "true"
    assert len(events_of(store, "ticket_called")) == 1
    # the next call is another key: it calls A002
    clerk.post(w(1, "start-service"))
    clerk.post(w(1, "finish-service"), {"outcome": "accepted"})
    assert clerk.post(w(1, "call-next"), headers={"Idempotency-Key": "console-call-2"})["ticket"] == "A002"


def test_a_key_reused_for_another_command_is_refused(guide: Api, login, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    clerk = login("clerk1")
    clerk.post(w(1, "open-window"), headers={"Idempotency-Key": "k-1"})
    refused = clerk.post(w(1, "pause-window"), headers={"Idempotency-Key": "k-1"}, status=409)
    assert refused["code"] == "idempotency_key_reused"
    assert "open_window" in refused["detail"]


def test_a_refused_command_keeps_no_key_so_its_retry_is_judged_again(guide: Api, login, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    clerk = login("clerk1")
    clerk.post(w(1, "open-window"))
    key = {"Idempotency-Key": "k-nothing"}
    assert clerk.post(w(1, "call-next"), headers=key, status=409)["code"] == "nothing_waiting"
    issue(guide, clock)
    assert clerk.post(w(1, "call-next"), headers=key)["ticket"] == "A001"


def test_the_socket_takes_the_key_in_the_payload(guide: Api, app: Flask, clock: Clock, store) -> None:
    clerk = signed_in(app, "clerk1")
    assert ack(clerk, "open_window", {"hall": "demo", "window": 1})["ok"]
    issue(guide, clock)
    issue(guide, clock)
    sent = {"hall": "demo", "window": 1, "idempotency_key": "sock-1"}
    first, again = ack(clerk, "call_next", sent), ack(clerk, "call_next", sent)
    assert first["data"]["ticket"] == again["data"]["ticket"] == "A001"
    assert again["data"]["replayed"] is True and "replayed" not in first["data"]
    assert len(events_of(store, "ticket_called")) == 1


def test_finish_replayed_with_its_key_finishes_once(guide: Api, login, clock: Clock, store) -> None:  # type: ignore[no-untyped-def]
    clerk = login("clerk1")
    clerk.post(w(1, "open-window"))
    issue(guide, clock)
    clerk.post(w(1, "call-next"))
    clerk.post(w(1, "start-service"))
    body = {"outcome": "accepted", "items": []}
    key = {"Idempotency-Key": "finish-1"}
    clerk.post(w(1, "finish-service"), body, headers=key)
    replay = clerk.post(w(1, "finish-service"), body, headers=key)
    assert replay["ticket"] is None
    assert len(events_of(store, "service_finished")) == 1


# ---- the console's reads --------------------------------------------------------------------


def test_the_console_view_shows_the_ticket_the_queues_the_next_and_the_suspended(
    guide: Api, login, clock: Clock
) -> None:  # type: ignore[no-untyped-def]
    clerk = login("clerk1")
    clerk.post(w(1, "open-window"))
    clerk2 = login("clerk2")
    clerk2.post(w(2, "open-window"))
    for _ in range(5):
        issue(guide, clock)
    assert clerk2.post(w(2, "call-next"))["ticket"] == "A001"
    clerk2.post(w(2, "start-service"))
    clock.now += timedelta(minutes=3)
    clerk2.post(w(2, "transfer"), {"to_window": 1, "reason": "需综合受理1号窗口"})
    clerk.post(w(1, "call-next"))  # A001, sent here
    clerk.post(w(1, "start-service"))
    clerk.post(w(1, "suspend"), {"reason": "回去取材料"})
    assert clerk.post(w(1, "call-next"))["ticket"] == "A002"
    view = clerk.get("/halls/demo/windows/1")
    assert view["window"]["ticket"] == "A002" and view["window"]["status"] == "open"
    ticket = view["ticket"]
    assert ticket["number"] == "A002" and ticket["queue_name"] == "综合受理"
    assert ticket["waited_seconds"] > 0 and ticket["earlier_windows"] == []
    assert [q["code"] for q in view["queues"]] == ["comprehensive"]
    assert view["queues"][0]["waiting"] == 3
    assert [t["number"] for t in view["next"]] == ["A003", "A004", "A005"]
    assert [t["number"] for t in view["suspended"]] == ["A001"]
    # A001 back from suspension: its earlier windows list window 2 (transferred) and 1 (suspended)
    clerk.post(w(1, "start-service"))
    clerk.post(w(1, "finish-service"), {"outcome": "consulted"})
    clerk.post(w(1, "resume-ticket"), {"ticket_number": "A001"})
    back = clerk.get("/halls/demo/windows/1")["ticket"]
    assert [(v["window"], v["ending"]) for v in back["earlier_windows"]] == [(2, "transferred"), (1, "suspended")]
    assert back["earlier_windows"][0]["handling_seconds"] == 180.0


def test_the_console_view_is_the_signed_in_clerks_own_or_a_managers(login) -> None:  # type: ignore[no-untyped-def]
    login("clerk1").post(w(1, "open-window"))
    refused = login("clerk2").get("/halls/demo/windows/1", status=403)
    assert "1 号窗口" in refused["detail"]
    assert login("manager").get("/halls/demo/windows/1")["window"]["clerk"] == "测试clerk1"
    assert login("guide").get("/halls/demo/windows/1", status=403)["code"] == "forbidden"


def test_the_clerks_day_lists_the_windows_they_may_open_and_their_figures(
    staffed: None, guide: Api, login, clock: Clock
) -> None:  # type: ignore[no-untyped-def]
    clerk = login("clerk1")
    day = clerk.get("/halls/demo/clerk/today")
    windows = {w_["number"]: w_ for w_ in day["windows"]}
    assert (windows[1]["may_open"], windows[1]["own"], windows[1]["covering"]) == (True, True, False)
    assert (windows[2]["may_open"], windows[2]["covering"]) == (True, True)
    assert windows[3]["may_open"] and windows[3]["covering"]
    assert day["window"] is None and day["own_windows"] == [1]
    assert day["today"]["served"] == 0 and day["today"]["average_handling_seconds"] is None
    assert day["clerk"]["staff_number"] == "CLERK1"
    assert not {w_["number"]: w_ for w_ in login("clerk2").get("/halls/demo/clerk/today")["windows"]}[1]["may_open"]

    clerk.post(w(1, "open-window"))
    for minutes in (4, 6):
        issue(guide, clock)
        clerk.post(w(1, "call-next"))
        clerk.post(w(1, "start-service"))
        clock.now += timedelta(minutes=minutes)
        clerk.post(w(1, "finish-service"), {"outcome": "accepted"})
    issue(guide, clock)
    clerk.post(w(1, "call-next"))
    clerk.post(w(1, "mark-no-show"))
    today = clerk.get("/halls/demo/clerk/today")
    assert today["window"] == 1
    assert today["today"]["served"] == 2 and today["today"]["average_handling_seconds"] == 300.0
    assert today["today"]["no_shows"] == 1
    assert login("clerk2").get("/halls/demo/clerk/today")["today"]["served"] == 0


def test_only_a_clerk_has_a_day_at_the_windows(login) -> None:  # type: ignore[no-untyped-def]
    assert login("manager").get("/halls/demo/clerk/today", status=403)["code"] == "forbidden"
    assert login("guide").get("/halls/demo/clerk/today", status=403)["code"] == "forbidden"
