"""Wait figures pushed as the hall changes (docs/estimates.md): each ticket's own to its
phone, each queue's for a ticket taken now to the kiosks and desks."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from flask_socketio import SocketIOTestClient

from queue_server.services import base
from tests.conftest import Api


def phone(app: Flask, ref: str) -> SocketIOTestClient:
    link = app.extensions["socketio"].test_client(app, auth={"ticket": ref}, flask_test_client=app.test_client())
    assert link.emit("subscribe", {}, callback=True)["ok"]
    link.get_received()
    return link


def pushed(link: SocketIOTestClient, name: str) -> list[dict[str, Any]]:
    return [m["args"][0] for m in link.get_received() if m["name"] == name]


def wait_for_pushes(app: Flask) -> None:
    """The figures go out from a background task, at most once per hall per
    WAIT_PUSH_DELAY after writes: wait until it has pushed everything marked so far."""
    assert app.extensions["hall_queue"]["realtime"].wait_pushes.wait_idle(timeout=10)


def test_a_phone_gets_its_new_estimate_when_a_window_opens_and_only_its_own(app: Flask, login: Any) -> None:
    guide: Api = login("guide")
    first, second = login("clerk1"), login("clerk2")
    first.post("/halls/demo/windows/14/open-window")  # 公安户政: household at rank 1
    tickets = [guide.post("/halls/demo/tickets", {"queue": "household"}, status=201) for _ in range(4)]
    assert [t["estimated_wait_minutes"] for t in tickets] == [0, 10, 20, 30]  # one window, 10 minutes each
    wait_for_pushes(app)  # the issues' own figures, before the phones below connect
    mine, other = phone(app, tickets[3]["ref"]), phone(app, tickets[2]["ref"])
    kiosk = app.extensions["socketio"].test_client(app, auth={"token": app.config["TEST_TOKENS"]["kiosk"]})
    assert kiosk.emit("subscribe", {}, callback=True)["ok"]
    kiosk.get_received()
    screen = app.extensions["socketio"].test_client(app, auth={"token": app.config["TEST_TOKENS"]["hall_screen"]})
    assert screen.emit("subscribe", {}, callback=True)["ok"]
    screen.get_received()

    # window 15 (跨省通办) serves household at rank 2 and nothing of its own waits
    second.post("/halls/demo/windows/15/open-window")
    wait_for_pushes(app)

    [figures] = pushed(mine, "wait_estimated")
    assert figures["number"] == "E004" and figures["service_day"] == "2026-11-23"
    assert (figures["people_ahead"], figures["estimated_wait_minutes"]) == (3, 10)
    assert "ref" not in figures and "id" not in figures  # nothing that names another ticket, nor its own
    assert [f["number"] for f in pushed(other, "wait_estimated")] == ["E003"]
    # what the phone reads afresh agrees with what was pushed
    progress = mine.emit("read_progress", {}, callback=True)["data"]
    assert progress["estimated_wait_minutes"] == 10 and progress["people_ahead"] == 3
    # the kiosks (and desks) get each queue's figure for a ticket taken now, no ticket's;
    # the screens, which show none, get nothing of it
    [queues] = pushed(kiosk, "queue_waits_estimated")
    assert queues["queues"]["household"] == 20 and set(queues) == {"hall", "service_day", "queues", "at"}
    assert pushed(screen, "queue_waits_estimated") == []


def test_the_figures_move_as_time_passes_without_any_write(app: Flask, login: Any, clock: Any) -> None:
    guide: Api = login("guide")
    login("clerk1").post("/halls/demo/windows/14/open-window")
    tickets = [guide.post("/halls/demo/tickets", {"queue": "household"}, status=201) for _ in range(3)]
    login("clerk1").post("/halls/demo/windows/14/call-next")
    link = phone(app, tickets[2]["ref"])
    realtime = app.extensions["hall_queue"]["realtime"]
    realtime.refresh_waits()  # the timer's first round
    link.get_received()
    clock.now += timedelta(minutes=6)
    realtime.refresh_waits()
    [figures] = pushed(link, "wait_estimated")
    assert figures["number"] == "E003" and figures["estimated_wait_minutes"] == 14  # 4 left of E001's, then E002's 10


def test_a_burst_of_writes_is_played_once_and_pushed_once(app: Flask, login: Any) -> None:
    """Writes coming together (within WAIT_PUSH_DELAY of each other) cost one prediction
    of the hall: the kiosk gets one `queue_waits_estimated` and a waiting ticket's phone
    one `wait_estimated`, each with the figure after the whole burst."""
    guide: Api = login("guide")
    login("clerk1").post("/halls/demo/windows/14/open-window")
    waiting = [guide.post("/halls/demo/tickets", {"queue": "household"}, status=201) for _ in range(2)]
    wait_for_pushes(app)
    realtime = app.extensions["hall_queue"]["realtime"]
    realtime.wait_pushes.delay = 2.0  # far longer than the burst below takes, on any machine
    kiosk = app.extensions["socketio"].test_client(app, auth={"token": app.config["TEST_TOKENS"]["kiosk"]})
    assert kiosk.emit("subscribe", {}, callback=True)["ok"]
    kiosk.get_received()
    second = phone(app, waiting[1]["ref"])

    burst = [guide.post("/halls/demo/tickets", {"queue": "household"}, status=201) for _ in range(4)]
    assert [t["estimated_wait_minutes"] for t in burst] == [20, 30, 40, 50]  # one window, 10 minutes each
    login("clerk2").post("/halls/demo/windows/15/open-window")  # household at rank 2: a second window
    wait_for_pushes(app)

    [figures] = pushed(second, "wait_estimated")
    assert (figures["number"], figures["people_ahead"], figures["estimated_wait_minutes"]) == ("E002", 1, 0)
    [queues] = pushed(kiosk, "queue_waits_estimated")
    assert queues["queues"]["household"] == 30  # six ahead over two windows


def test_a_ticket_issued_soon_after_the_halls_play_takes_its_figure_from_it(
    app: Flask, login: Any, clock: Any, monkeypatch: Any
) -> None:
    """ISSUE_FIGURE_MAX_AGE (1 s by default, 0 in the other tests): an ordinary ticket
    issued that soon after the hall's last play gets that play's figure for a ticket taken
    then, plus the queue's pace for each ticket issued since, without a play of its own;
    later than that, or a priority ticket, is played."""
    services = app.extensions["hall_queue"]["services"]
    services.issue_figure_max_age = 1.0
    guide: Api = login("guide")
    login("clerk1").post("/halls/demo/windows/14/open-window")  # household at rank 1: 10 minutes a call
    for _ in range(3):
        guide.post("/halls/demo/tickets", {"queue": "household"}, status=201)
    wait_for_pushes(app)  # the hall's play as of now: a ticket taken now waits 30 minutes behind 3
    played: list[int] = []
    real = base.ticket_prediction
    monkeypatch.setattr(base, "ticket_prediction", lambda *a, **k: played.append(1) or real(*a, **k))

    fourth = guide.post("/halls/demo/tickets", {"queue": "household"}, status=201)
    clock.now += timedelta(seconds=0.5)
    fifth = guide.post("/halls/demo/tickets", {"queue": "household"}, status=201)
    assert played == []  # neither played the hall
    assert (fourth["people_ahead"], fourth["estimated_wait_minutes"]) == (3, 30)
    assert (fifth["people_ahead"], fifth["estimated_wait_minutes"]) == (4, 40)  # half a minute less, rounded up

    elder = guide.post("/halls/demo/tickets", {"queue": "household", "priority": "senior"}, status=201)
    assert played == [1] and elder["people_ahead"] == 0  # a priority ticket goes ahead: played
    clock.now += timedelta(seconds=1)  # 1.5 s after the play
    sixth = guide.post("/halls/demo/tickets", {"queue": "household"}, status=201)
    assert played == [1, 1] and sixth["people_ahead"] == 6
