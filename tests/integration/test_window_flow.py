"""A clerk runs a window: open, call, recall, no-show, serve, transfer, suspend, close."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import Api, Clock


@pytest.fixture
def guide(login) -> Api:  # type: ignore[no-untyped-def]
    return login("guide")  # type: ignore[no-any-return]


@pytest.fixture
def clerk(login) -> Api:  # type: ignore[no-untyped-def]
    """clerk1, signed in and with window 14 (公安户政) open."""
    api: Api = login("clerk1")
    opened = api.post("/halls/demo/windows/14/open-window")
    assert opened["status"] == "open" and opened["clerk"] == "测试clerk1"
    return api


def issue(guide: Api, clock: Clock, queue: str = "household", **extra: Any) -> dict[str, Any]:
    clock.now += timedelta(seconds=30)  # each citizen arrives a little later
    return guide.post("/halls/demo/tickets", {"queue": queue, **extra}, status=201)  # type: ignore[no-any-return]


def w(action: str, window: int = 14) -> str:
    return f"/halls/demo/windows/{window}/{action}"


def test_call_serve_finish_and_the_log_records_each_step(guide: Api, clerk: Api, clock: Clock, login) -> None:  # type: ignore[no-untyped-def]
    ticket = issue(guide, clock)
    called = clerk.post(w("call-next"))
    assert called["ticket"] == "E001" and called["ticket_status"] == "called"
    assert clerk.post(w("recall"))["ticket"] == "E001"
    clock.now += timedelta(seconds=40)
    clerk.post(w("start-service"))
    clock.now += timedelta(minutes=6)
    finished = clerk.post(w("finish-service"), {"outcome": "accepted"})
    assert finished["ticket"] is None
    view = login("manager").get(f"/halls/demo/tickets/{ticket['id']}")
    assert view["status"] == "done" and view["outcome"] == "accepted"
    assert [e["type"] for e in view["log"]] == [
        "ticket_issued",
        "ticket_called",
        "ticket_recalled",
        "service_started",
        "service_finished",
    ]
    assert all(e["window"] == 14 for e in view["log"][1:])
    assert view["log"][1]["clerk_id"] is not None


def test_the_clerk_cannot_call_while_serving_or_work_a_window_not_theirs(
    guide: Api, clerk: Api, clock: Clock, login
) -> None:  # type: ignore[no-untyped-def]
    issue(guide, clock)
    issue(guide, clock)
    clerk.post(w("call-next"))
    busy = clerk.post(w("call-next"), status=409)
    assert busy["code"] == "window_busy" and "E001" in busy["detail"]
    other = login("clerk2")
    problem = other.post(w("call-next"), status=409)
    assert problem["code"] == "window_taken" and "测试clerk1" in problem["detail"]
    taken = other.post(w("open-window"), status=409)
    assert "已有工作人员登录" in taken["detail"]


def test_nothing_waiting_is_a_clear_409(clerk: Api) -> None:
    problem = clerk.post(w("call-next"), status=409)
    assert problem["code"] == "nothing_waiting" and "暂无等候" in problem["detail"]


def test_no_show_void_policy_ends_the_ticket(guide: Api, clerk: Api, clock: Clock) -> None:
    issue(guide, clock)  # household: no_show policy "void"
    clerk.post(w("call-next"))
    clerk.post(w("mark-no-show"))
    assert clerk.post(w("call-next"), status=409)["code"] == "nothing_waiting"
    problem = clerk.post(w("call-number"), {"ticket_number": "E001"}, status=409)
    assert "过号作废" in problem["detail"]


def test_no_show_requeue_puts_the_ticket_back_after_n_places(guide: Api, login, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    clerk = login("clerk1")
    clerk.post(w("open-window", 12))  # 社保医保: requeue after 5 places
    numbers = [issue(guide, clock, "social-insurance")["number"] for _ in range(8)]
    assert clerk.post(w("call-next", 12))["ticket"] == "D001"
    clerk.post(w("mark-no-show", 12))
    order = []
    for _ in range(8):
        order.append(clerk.post(w("call-next", 12))["ticket"])
        clerk.post(w("start-service", 12))
        clerk.post(w("finish-service", 12))
    assert order == ["D002", "D003", "D004", "D005", "D006", "D001", "D007", "D008"]
    assert numbers[0] == "D001"


def test_a_second_no_show_under_requeue_ends_the_ticket(guide: Api, login, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    clerk = login("clerk1")
    clerk.post(w("open-window", 12))
    issue(guide, clock, "social-insurance")
    for _ in range(2):
        clerk.post(w("call-next", 12))
        clerk.post(w("mark-no-show", 12))
    assert clerk.post(w("call-next", 12), status=409)["code"] == "nothing_waiting"


def test_two_no_shows_put_back_behind_the_same_people_keep_distinct_places(guide: Api, login, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    """A001 and A002 both miss their call while only A003 and A004 wait: each goes back
    behind them. They once got the very same place (A001 was called again meanwhile), so
    the next no-show that had to go between the two failed with a server error."""
    one, two = login("clerk1"), login("clerk2")
    one.post(w("open-window", 1))  # 综合受理: requeue after 3 places
    two.post(w("open-window", 2))
    for _ in range(4):
        issue(guide, clock, "comprehensive")
    assert one.post(w("call-next", 1))["ticket"] == "A001"
    assert two.post(w("call-next", 2))["ticket"] == "A002"
    one.post(w("mark-no-show", 1))
    one.post(w("call-number", 1), {"ticket_number": "A001"})  # the citizen came back after all
    two.post(w("mark-no-show", 2))
    login("manager").post(w("release-window", 1), {"reason": "工作人员离开"})  # A001 back in line
    issue(guide, clock, "comprehensive")
    one.post(w("open-window", 1))
    one.post(w("call-number", 1), {"ticket_number": "A005", "reason": "测试：先叫新号"})
    one.post(w("mark-no-show", 1))  # behind A003, A004 and the first of A001/A002
    order = []
    for _ in range(5):
        order.append(one.post(w("call-next", 1))["ticket"])
        one.post(w("start-service", 1))
        one.post(w("finish-service", 1))
    assert order[:2] == ["A003", "A004"] and order[3] == "A005"
    assert sorted(order[2::2]) == ["A001", "A002"]


def test_recallable_no_show_can_be_called_back_by_number(guide: Api, login, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    clerk = login("clerk1")
    clerk.post(w("open-window", 11))  # 企业开办: recallable
    issue(guide, clock, "enterprise")
    issue(guide, clock, "enterprise")
    clerk.post(w("call-next", 11))
    clerk.post(w("mark-no-show", 11))
    assert clerk.post(w("call-next", 11))["ticket"] == "C002"
    clerk.post(w("start-service", 11))
    clerk.post(w("finish-service", 11), {"outcome": "consulted"})
    back = clerk.post(w("call-number", 11), {"ticket_number": "c001"})
    assert back["ticket"] == "C001" and back["ticket_status"] == "called"


def test_transfer_keeps_the_original_place(guide: Api, clerk: Api, clock: Clock, login) -> None:  # type: ignore[no-untyped-def]
    early = issue(guide, clock, "household")  # E001, issued first
    later = [issue(guide, clock, "cross-province")["number"] for _ in range(2)]  # F001, F002
    clerk.post(w("call-next"))
    clerk.post(w("start-service"))
    clerk.post(w("transfer"), {"to_queue": "cross-province", "reason": "需跨省通办"})
    other = login("clerk2")
    other.post(w("open-window", 15))
    # E001 was issued before F001 and F002: it goes first in its new queue
    assert other.post(w("call-next", 15))["ticket"] == early["number"]
    assert later == ["F001", "F002"]


def test_transfer_to_a_window_reaches_only_that_window(guide: Api, clerk: Api, clock: Clock, login) -> None:  # type: ignore[no-untyped-def]
    issue(guide, clock, "household")
    clerk.post(w("call-next"))
    other = login("clerk2")
    closed = clerk.post(w("transfer"), {"to_window": 15}, status=409)  # nobody works window 15 yet
    assert closed["code"] == "wrong_window" and "未开放" in closed["detail"]
    other.post(w("open-window", 15))
    clerk.post(w("transfer"), {"to_window": 15})
    assert clerk.post(w("call-next"), status=409)["code"] == "nothing_waiting"
    assert other.post(w("call-next", 15))["ticket"] == "E001"


def test_suspended_time_does_not_count_against_the_clerk(guide: Api, clerk: Api, clock: Clock, login, store) -> None:  # type: ignore[no-untyped-def]
    first = issue(guide, clock)
    issue(guide, clock)
    clerk.post(w("call-next"))
    clerk.post(w("start-service"))
    clock.now += timedelta(minutes=2)
    clerk.post(w("suspend"), {"reason": "回去取户口本"})
    # the window is free while the citizen fetches papers
    assert clerk.post(w("call-next"))["ticket"] == "E002"
    clerk.post(w("start-service"))
    clerk.post(w("finish-service"))
    clock.now += timedelta(minutes=30)
    resumed = clerk.post(w("resume-ticket"), {"ticket_number": "E001"})
    assert resumed["ticket"] == "E001" and resumed["ticket_status"] == "serving"
    clock.now += timedelta(minutes=3)
    clerk.post(w("finish-service"))
    with store.read() as db:
        row = next(db.query("SELECT suspended_seconds FROM tickets WHERE id = ?", [first["id"]]))
        served = next(db.query("SELECT served, handling_seconds FROM queue_days WHERE queue = 'household'"))
    assert row["suspended_seconds"] == pytest.approx(30 * 60 + 0.0, abs=1)
    # E001: 2 + 3 minutes of service (the 30 away are not the clerk's); E002: 0 minutes
    assert served["served"] == 2 and served["handling_seconds"] == pytest.approx(5 * 60, abs=1)


def test_pause_resume_and_close(guide: Api, clerk: Api, clock: Clock, login) -> None:  # type: ignore[no-untyped-def]
    issue(guide, clock)
    assert clerk.post(w("pause-window"), {"reason": "午休"})["status"] == "paused"
    assert "暂停服务" in clerk.post(w("call-next"), status=409)["detail"]
    assert clerk.post(w("resume-window"))["status"] == "open"
    clerk.post(w("call-next"))
    assert clerk.post(w("close-window"), status=409)["code"] == "window_busy"
    clerk.post(w("start-service"))
    clerk.post(w("finish-service"))
    assert clerk.post(w("close-window"))["status"] == "closed"
    # a manager may pause any window, but not call on it
    clerk.post(w("open-window"))
    manager = login("manager")
    assert manager.post(w("pause-window"))["status"] == "paused"
    assert manager.post(w("call-next"), status=403)["code"] == "forbidden"


def test_priority_goes_first_but_at_most_twice_in_a_row(guide: Api, clerk: Api, clock: Clock) -> None:
    ordinary = [issue(guide, clock)["number"] for _ in range(2)]
    seniors = [issue(guide, clock, priority="senior")["number"] for _ in range(4)]
    calls = []
    for _ in range(6):
        calls.append(clerk.post(w("call-next"))["ticket"])
        clerk.post(w("start-service"))
        clerk.post(w("finish-service"))
    assert calls == [seniors[0], seniors[1], ordinary[0], seniors[2], seniors[3], ordinary[1]]


def test_end_of_day_sweep_closes_what_is_left(guide: Api, clerk: Api, clock: Clock, login) -> None:  # type: ignore[no-untyped-def]
    left = issue(guide, clock)
    issue(guide, clock)
    clerk.post(w("call-next"))
    manager = login("manager")
    result = manager.post("/halls/demo/sweep", {"include_today": True})
    assert result == {"expired_tickets": 2, "closed_windows": 1, "service_day": "2026-11-23"}
    assert manager.get(f"/halls/demo/tickets/{left['id']}")["status"] == "expired"
    snapshot = manager.get("/halls/demo")
    assert all(window["status"] == "closed" for window in snapshot["windows"])
    assert login("guide").post("/halls/demo/sweep", status=403)["code"] == "forbidden"


def test_snapshot_shows_waiting_counts_windows_and_latest_calls(guide: Api, clerk: Api, clock: Clock, device) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        issue(guide, clock)
    clerk.post(w("call-next"))
    snapshot = device("hall_screen").get("/halls/demo")
    assert next(q for q in snapshot["queues"] if q["code"] == "household")["waiting"] == 2
    window = next(x for x in snapshot["windows"] if x["number"] == 14)
    assert (window["status"], window["ticket"], window["clerk"]) == ("open", "E001", "测试clerk1")
    (latest,) = snapshot["recent_calls"]
    assert (latest["number"], latest["window"], latest["called_at"]) == ("E001", 14, "2026-11-23T02:01:30.000Z")
    assert latest["texts"]["zh-CN"] == "请E001号到14号窗口办理"
    assert snapshot["seq"] > 0 and snapshot["service_day"] == "2026-11-23"
