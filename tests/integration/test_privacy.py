"""What each audience receives (docs/privacy.md): staff everything of their hall, public
devices (every screen, kiosk, printer and review pad) the public part only, through every
door: live events, catch-up, `GET /events` and snapshots; a window screen or review pad
only its own window."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask

from queue_server.cli import demo_hall_toml
from queue_server.domain.access import OPERATOR
from tests.conftest import MONDAY_10AM_SHANGHAI, Api
from tests.integration.test_realtime import ack, screen, signed_in

DEVICES = ("hall_screen", "window_screen", "kiosk", "printer", "review_pad")
STAFF = ("guide", "clerk1", "manager", "admin")
# What people typed: none of it may reach a public device.
FREE_TEXT = ("去复印户口本", "转不动产专窗", "市民不办了", "系统维护暂停", "工作人员临时离岗")
CLERK_NAMES = ("测试clerk1", "测试clerk2", "CLERK1", "CLERK2")  # their names and staff numbers (工号)
STAFF_ONLY_KEYS = ("ticket_id", "outcome", "handling_seconds", "log", "visits")


def w(window: int, action: str) -> str:
    return f"/halls/demo/windows/{window}/{action}"


def a_day_with_every_kind_of_reason(login) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """At window 1 (zone 1f) clerk1 suspends A001, transfers A002, pauses and resumes, is
    released by the manager with A003 called; the guide cancels B001; at window 14 (2f)
    clerk2 serves E001. Returns the tickets as staff saw them."""
    guide, clerk, clerk2, manager = (login(u) for u in ("guide", "clerk1", "clerk2", "manager"))
    tickets = [guide.post("/halls/demo/tickets", {"queue": "comprehensive"}, status=201) for _ in range(3)]
    other = guide.post("/halls/demo/tickets", {"queue": "pickup"}, status=201)
    upstairs = guide.post("/halls/demo/tickets", {"queue": "household"}, status=201)
    clerk.post(w(1, "open-window"))
    clerk2.post(w(14, "open-window"))
    clerk2.post(w(14, "call-next"))
    clerk2.post(w(14, "start-service"))
    clerk2.post(w(14, "finish-service"), {"outcome": "consulted"})
    clerk.post(w(1, "call-next"))
    clerk.post(w(1, "start-service"))
    clerk.post(w(1, "suspend"), {"reason": FREE_TEXT[0]})
    clerk.post(w(1, "call-next"))
    clerk.post(w(1, "transfer"), {"to_queue": "real-estate", "reason": FREE_TEXT[1]})
    guide.post(f"/halls/demo/tickets/{other['id']}/cancel", {"reason": FREE_TEXT[2]})
    clerk.post(w(1, "pause-window"), {"reason": FREE_TEXT[3]})
    clerk.post(w(1, "resume-window"))
    clerk.post(w(1, "call-next"))
    manager.post(w(1, "release-window"), {"reason": FREE_TEXT[4]})
    return {"tickets": [*tickets, other, upstairs]}


def public_leaks(payload: Any, *, clerk_names: bool = False) -> list[str]:
    """Everything in `payload` a public device must not receive."""
    text = json.dumps(payload, ensure_ascii=False)
    found = [t for t in FREE_TEXT if t in text]
    if not clerk_names:
        found += [name for name in CLERK_NAMES if name in text]

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                if key in STAFF_ONLY_KEYS or (key == "id" and path.endswith("ticket")):
                    found.append(f"{path}.{key}")
                walk(inner, f"{path}.{key}")
        elif isinstance(value, list):
            for inner in value:
                walk(inner, path)

    walk(payload, "")
    return found


def hide_clerk_names(services: Any) -> None:
    text = demo_hall_toml(always_open=False).replace("show_clerk_names = true", "show_clerk_names = false")
    services.import_hall(OPERATOR, text, MONDAY_10AM_SHANGHAI)


@pytest.mark.parametrize("names_shown", [True, False], ids=["names-shown", "names-hidden"])
def test_public_devices_get_public_fields_live_in_catch_up_over_http_and_in_snapshots(
    app: Flask, login, device, services, names_shown: bool
) -> None:  # type: ignore[no-untyped-def]
    if not names_shown:
        hide_clerk_names(services)
    public = {kind: screen(app, kind) for kind in DEVICES}
    staff = {name: signed_in(app, name) for name in STAFF}
    for client in (*public.values(), *staff.values()):
        assert ack(client, "subscribe", {"hall": "demo"})["ok"]
    a_day_with_every_kind_of_reason(login)

    for kind, client in public.items():
        live = [(m["name"], m["args"][0]) for m in client.get_received()]
        assert live, kind
        assert public_leaks(live, clerk_names=names_shown) == [], kind
        caught_up = ack(screen(app, kind), "subscribe", {"since": 0})["data"]["events"]
        assert public_leaks(caught_up, clerk_names=names_shown) == [], kind
        api: Api = device(kind)
        page = api.get("/halls/demo/events?since=0")
        assert public_leaks(page, clerk_names=names_shown) == [], kind
        assert public_leaks(api.get("/halls/demo"), clerk_names=names_shown) == [], kind
        snapshot = ack(screen(app, kind), "subscribe", {})["data"]["snapshot"]
        assert public_leaks(snapshot, clerk_names=names_shown) == [], kind
    for name, client in staff.items():
        text = json.dumps([m["args"][0] for m in client.get_received()], ensure_ascii=False)
        assert all(t in text for t in FREE_TEXT), name
        assert '"ticket_id"' in text and '"outcome": "consulted"' in text and "测试clerk1" in text, name
        page = json.dumps(login(name).get("/halls/demo/events?since=0"), ensure_ascii=False)
        assert all(t in page for t in FREE_TEXT), name
    # the reasons the server gives itself stay, for everyone
    everything = ack(screen(app, "hall_screen"), "subscribe", {"since": 0})["data"]["events"]
    assert [e["reason"] for e in everything if e["type"] == "window_released"] == [None]


def test_the_window_screen_sees_its_clerk_only_where_the_hall_shows_names(app: Flask, login, services) -> None:  # type: ignore[no-untyped-def]
    login("clerk1").post(w(1, "open-window"))
    shown = ack(screen(app, "window_screen"), "subscribe", {})["data"]["snapshot"]["windows"]
    assert [(x["number"], x["clerk"], x["clerk_number"]) for x in shown] == [(1, "测试clerk1", "CLERK1")]
    hide_clerk_names(services)
    for kind in ("window_screen", "review_pad"):  # the staff number (工号) goes with the name
        hidden = ack(screen(app, kind), "subscribe", {})["data"]["snapshot"]["windows"]
        assert [(x["number"], x["clerk"], x["clerk_number"]) for x in hidden] == [(1, None, None)], kind
    manager_view = ack(signed_in(app, "manager"), "subscribe", {"hall": "demo"})["data"]["snapshot"]["windows"]
    assert {x["number"]: (x["clerk"], x["clerk_number"]) for x in manager_view}[1] == ("测试clerk1", "CLERK1")
    page = screen(app, "window_screen")
    ack(page, "subscribe", {})
    login("clerk1").post(w(1, "pause-window"))
    (paused,) = [m["args"][0] for m in page.get_received() if m["name"] == "window_paused"]
    assert paused["window"]["clerk"] is None and paused["window"]["status"] == "paused"


@pytest.mark.parametrize("kind", ["window_screen", "review_pad"])
def test_a_window_device_reads_over_http_only_its_own_window(app: Flask, login, device, kind: str) -> None:  # type: ignore[no-untyped-def]
    """Bound to window 1: the snapshot holds window 1 only, `GET /events` its window's
    events and the hall-wide ones, and the audio of another window's call is not there."""
    a_day_with_every_kind_of_reason(login)
    api: Api = device(kind)
    snapshot = api.get("/halls/demo")
    assert [x["number"] for x in snapshot["windows"]] == [1]
    assert all(c["window"] == 1 for c in snapshot["recent_calls"])
    assert len(snapshot["queues"]) > 1  # waiting counts are hall-wide, as on its socket
    page = api.get("/halls/demo/events?since=0")
    at_windows = {e["window"]["number"] for e in page["events"] if isinstance(e.get("window"), dict)}
    assert at_windows == {1}
    whole = login("manager").get("/halls/demo/events?since=0")
    assert page["seq"] == whole["seq"] == whole["events"][-1]["seq"] and page["complete"]
    assert {e["type"] for e in page["events"]} >= {"ticket_issued", "ticket_suspended", "window_released"}
    elsewhere = next(e["seq"] for e in whole["events"] if e["type"] == "ticket_called" and e["window"]["number"] == 14)
    assert api.get(f"/halls/demo/announcements/{elsewhere}.wav", status=404)["field"] == "seq"
    socket = screen(app, kind)
    assert ack(socket, "subscribe", {"window": 14})["problem"]["status"] == 403
    caught_up = ack(socket, "subscribe", {"since": 0})["data"]
    assert caught_up["events"] == page["events"] and caught_up["seq"] == page["seq"]


def test_one_event_is_encoded_once_per_audience_however_many_clients(app: Flask, login, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Ten screens and three consoles: a call goes out in three emits (public, staff, and
    citizens' phones) and one `sequence_advanced` for the scopes it does not concern."""
    clients = [screen(app) for _ in range(5)] + [screen(app, "window_screen") for _ in range(5)]
    clients += [signed_in(app, name) for name in ("guide", "manager", "admin")]
    for client in clients:
        ack(client, "subscribe", {"hall": "demo"})
    login("guide").post("/halls/demo/tickets", {"queue": "comprehensive"}, status=201)
    clerk = login("clerk1")
    clerk.post(w(2, "open-window"))
    emitted: list[tuple[str, Any]] = []
    realtime = app.extensions["hall_queue"]["realtime"]
    original = realtime.socketio.emit
    monkeypatch.setattr(
        realtime.socketio,
        "emit",
        lambda event, data, **kw: (emitted.append((event, kw["to"])), original(event, data, **kw)),
    )
    clerk.post(w(2, "call-next"))
    assert [event for event, _ in emitted] == ["ticket_called", "ticket_called", "ticket_called", "sequence_advanced"]
    public_rooms, staff_rooms, citizens, elsewhere = (rooms for _, rooms in emitted)
    assert citizens == "hall:demo:citizen"
    assert all(":staff" in r for r in staff_rooms) and all(":public" in r for r in public_rooms)
    assert "hall:demo:public:window:1" in elsewhere and "hall:demo:staff:window:1" in elsewhere
