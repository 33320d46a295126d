"""Socket.IO in process: connect with a token or a session, subscribe, catch up, command."""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask import Flask
from flask_socketio import SocketIOTestClient

from tests.conftest import PASSWORD


def _socketio(app: Flask):  # type: ignore[no-untyped-def]
    return app.extensions["socketio"]


def screen(app: Flask, kind: str = "hall_screen") -> SocketIOTestClient:
    return _socketio(app).test_client(app, auth={"token": app.config["TEST_TOKENS"][kind]})


def signed_in(app: Flask, username: str) -> SocketIOTestClient:
    client = app.test_client()
    assert client.post("/api/v1/session", json={"username": username, "password": PASSWORD}).status_code == 200
    return _socketio(app).test_client(app, flask_test_client=client)


def ack(client: SocketIOTestClient, event: str, data: dict[str, Any]) -> dict[str, Any]:
    answer = client.emit(event, data, callback=True)
    assert isinstance(answer, dict)
    return answer


def received(client: SocketIOTestClient, name: str) -> list[dict[str, Any]]:
    return [m["args"][0] for m in client.get_received() if m["name"] == name]


def test_a_screen_gets_a_snapshot_then_every_call(app: Flask) -> None:
    hall_screen = screen(app)
    answer = ack(hall_screen, "subscribe", {"hall": "demo"})
    assert answer["ok"] and answer["data"]["snapshot"]["hall"]["code"] == "demo"
    guide, clerk = signed_in(app, "guide"), signed_in(app, "clerk1")
    assert ack(guide, "issue_ticket", {"hall": "demo", "queue": "comprehensive"})["data"]["number"] == "A001"
    assert ack(clerk, "open_window", {"hall": "demo", "window": 1})["ok"]
    called = ack(clerk, "call_next", {"hall": "demo", "window": 1})
    assert called == {"ok": True, "data": called["data"]} and called["data"]["ticket"] == "A001"
    calls = received(hall_screen, "ticket_called")
    assert len(calls) == 1
    assert calls[0]["text"] == "请A001号到1号窗口办理" and calls[0]["window"]["number"] == 1
    assert calls[0]["seq"] > answer["data"]["seq"]


def test_zone_and_window_scopes_see_only_their_calls(app: Flask) -> None:
    upstairs, window_screen = screen(app), screen(app, "window_screen")
    assert ack(upstairs, "subscribe", {"hall": "demo", "zone": "2f"})["ok"]
    refused = ack(window_screen, "subscribe", {"hall": "demo", "window": 2})
    assert not refused["ok"] and refused["problem"]["status"] == 403
    assert ack(window_screen, "subscribe", {"hall": "demo", "window": 1})["ok"]
    guide, clerk = signed_in(app, "guide"), signed_in(app, "clerk1")
    ack(guide, "issue_ticket", {"hall": "demo", "queue": "comprehensive"})
    ack(guide, "issue_ticket", {"hall": "demo", "queue": "household"})
    ack(clerk, "open_window", {"hall": "demo", "window": 1})
    ack(clerk, "call_next", {"hall": "demo", "window": 1})  # 1f
    assert [c["ticket"]["number"] for c in received(window_screen, "ticket_called")] == ["A001"]
    assert received(upstairs, "ticket_called") == []
    ack(clerk, "start_service", {"hall": "demo", "window": 1})
    ack(clerk, "finish_service", {"hall": "demo", "window": 1})
    ack(clerk, "close_window", {"hall": "demo", "window": 1})
    ack(clerk, "open_window", {"hall": "demo", "window": 14})
    ack(clerk, "call_next", {"hall": "demo", "window": 14})  # 2f
    assert [c["ticket"]["number"] for c in received(upstairs, "ticket_called")] == ["E001"]
    assert received(window_screen, "ticket_called") == []


def test_a_reconnecting_screen_receives_what_it_missed_in_order(app: Flask) -> None:
    first = screen(app)
    last_seq = ack(first, "subscribe", {"hall": "demo"})["data"]["seq"]
    first.disconnect()
    guide, clerk = signed_in(app, "guide"), signed_in(app, "clerk1")
    ack(clerk, "open_window", {"hall": "demo", "window": 1})
    for _ in range(3):
        ack(guide, "issue_ticket", {"hall": "demo", "queue": "comprehensive"})
    for _ in range(3):
        ack(clerk, "call_next", {"hall": "demo", "window": 1})
        ack(clerk, "start_service", {"hall": "demo", "window": 1})
        ack(clerk, "finish_service", {"hall": "demo", "window": 1})
    again = screen(app)
    answer = ack(again, "subscribe", {"hall": "demo", "since": last_seq})["data"]
    seqs = [e["seq"] for e in answer["events"]]
    assert seqs == sorted(seqs) and seqs[0] == last_seq + 1 and answer["seq"] == seqs[-1]
    assert [e["ticket"]["number"] for e in answer["events"] if e["type"] == "ticket_called"] == ["A001", "A002", "A003"]
    assert "snapshot" not in answer


def test_too_far_behind_or_from_the_future_gets_a_snapshot(app: Flask) -> None:
    app.config["CATCH_UP_LIMIT"] = 2
    app.extensions["hall_queue"]["realtime"].catch_up_limit = 2
    guide = signed_in(app, "guide")
    for _ in range(4):
        ack(guide, "issue_ticket", {"hall": "demo", "queue": "comprehensive"})
    answer = ack(screen(app), "subscribe", {"hall": "demo", "since": 0})["data"]
    assert "snapshot" in answer and answer["snapshot"]["queues"][0]["waiting"] == 4
    answer = ack(screen(app), "subscribe", {"hall": "demo", "since": 10**9})["data"]
    assert "snapshot" in answer


@pytest.mark.parametrize(
    "credentials", [{"token": "hqd_unknown"}, {"token": "nonsense"}, None], ids=["unknown", "garbled", "none"]
)
def test_unknown_credentials_are_refused_at_connect(app: Flask, credentials: dict[str, str] | None) -> None:
    client = _socketio(app).test_client(app, auth=credentials)
    assert not client.is_connected()


def test_devices_cannot_run_window_commands_and_errors_come_back_as_problems(app: Flask) -> None:
    kiosk = screen(app, "kiosk")
    answer = ack(kiosk, "call_next", {"hall": "demo", "window": 1})
    assert answer["ok"] is False and answer["problem"]["status"] == 403
    assert ack(kiosk, "issue_ticket", {"hall": "demo", "queue": "pickup"})["data"]["number"] == "G001"
    bad = ack(kiosk, "issue_ticket", {"hall": "demo"})
    assert bad["problem"]["code"] == "invalid_input"
    not_a_dict = kiosk.emit("issue_ticket", ["demo"], callback=True)
    assert not_a_dict["problem"]["status"] == 422
    no_hall = ack(kiosk, "subscribe", {"hall": "atlantis"})  # not its hall: whether it exists is not its business
    assert no_hall["problem"]["status"] == 403


def test_a_device_revoked_while_connected_loses_access_at_its_next_message(app: Flask, store) -> None:  # type: ignore[no-untyped-def]
    from queue_server import auth
    from tests.conftest import MONDAY_10AM_SHANGHAI

    kiosk = screen(app, "kiosk")
    assert ack(kiosk, "issue_ticket", {"hall": "demo", "queue": "pickup"})["ok"]
    with store.read() as db:
        device_id = next(db.query("SELECT id FROM devices WHERE kind = 'kiosk'"))["id"]
    auth.revoke_device(store, device_id, MONDAY_10AM_SHANGHAI)
    answer = kiosk.emit("issue_ticket", {"hall": "demo", "queue": "pickup"}, callback=True)
    assert answer is None or answer["problem"]["status"] == 401
    assert not kiosk.is_connected()
    with store.read() as db:
        assert db.execute("SELECT count(*) FROM tickets").fetchone()[0] == 1


def test_a_scoped_screen_sees_an_unbroken_sequence(app: Flask) -> None:
    """A window screen gets its window's events and, for every other event of the hall,
    `sequence_advanced` with its number: it can tell a gap (hold, then catch up) from an
    event that was not its business (issue 6, case 9)."""
    window_screen = screen(app, "window_screen")
    start = ack(window_screen, "subscribe", {"hall": "demo"})["data"]["seq"]
    guide, clerk = signed_in(app, "guide"), signed_in(app, "clerk1")
    ack(guide, "issue_ticket", {"hall": "demo", "queue": "comprehensive"})
    ack(clerk, "open_window", {"hall": "demo", "window": 2})
    ack(clerk, "call_next", {"hall": "demo", "window": 2})
    got = [(m["name"], m["args"][0]) for m in window_screen.get_received()]
    seqs = sorted(payload["seq"] for _, payload in got)
    assert seqs == list(range(start + 1, start + 1 + len(seqs))) and len(seqs) == 3
    names = [name for name, _ in sorted(got, key=lambda m: m[1]["seq"])]
    assert names == ["ticket_issued", "sequence_advanced", "sequence_advanced"]
    assert all(set(payload) == {"hall", "seq"} for name, payload in got if name == "sequence_advanced")


def test_a_scoped_screens_stubs_come_as_one_run_before_its_own_next_event(app: Flask) -> None:
    """STUB_DELAY (0 in the other tests): the stubs for window 2's opening and call wait,
    and reach window 1's screen as one run just before window 1's own next event."""
    app.extensions["hall_queue"]["realtime"].stubs.delay = 1.0
    window_screen = screen(app, "window_screen")  # window 1's
    start = ack(window_screen, "subscribe", {"hall": "demo"})["data"]["seq"]
    guide, clerk, other = signed_in(app, "guide"), signed_in(app, "clerk1"), signed_in(app, "clerk2")
    ack(guide, "issue_ticket", {"hall": "demo", "queue": "comprehensive"})
    ack(clerk, "open_window", {"hall": "demo", "window": 2})
    ack(clerk, "call_next", {"hall": "demo", "window": 2})
    assert ack(other, "open_window", {"hall": "demo", "window": 1})["ok"]
    got = [(m["name"], m["args"][0]) for m in window_screen.get_received()]  # as they arrived
    assert [name for name, _ in got] == ["ticket_issued", "sequence_advanced", "window_opened"]
    assert got[1][1] == {"hall": "demo", "seq": start + 3, "from": start + 2}
    assert [payload["seq"] for _, payload in got] == [start + 1, start + 3, start + 4]


def test_half_a_surrogate_pair_in_a_payload_is_refused_as_malformed(app: Flask) -> None:
    kiosk = screen(app, "kiosk")
    answer = ack(kiosk, "issue_ticket", {"hall": "demo", "queue": "pickup", "appointment": "\ud800"})
    assert answer["ok"] is False and answer["problem"]["code"] == "malformed_request"


def _room_sizes(app: Flask) -> dict[str, int]:
    manager = _socketio(app).server.manager
    return {room: len(members) for room, members in manager.rooms.get("/", {}).items()}


def test_screens_that_leave_leave_nothing_behind_and_their_memory_goes_back(app: Flask) -> None:
    """Every trace of a link (its credential, its presence, its rooms) goes with its
    disconnect, and after a wave of links opening and closing the freed memory is handed
    back to the system once (the cycle collector, then glibc's malloc_trim:
    realtime/memory.py), as the memory phase of `python -m bench.broadcast` measures."""
    realtime = app.extensions["hall_queue"]["realtime"]
    realtime.memory.threshold, realtime.memory.delay = 8, 0.0  # four links opening, then four closing
    rooms_before = _room_sizes(app)
    screens = [screen(app) for _ in range(4)]
    device = ack(screens[0], "subscribe", {"hall": "demo"})["data"]["screen"]["device_id"]
    for other in screens[1:]:
        assert ack(other, "subscribe", {"hall": "demo"})["ok"]
    assert len(realtime.presence.links_of([device])[device]) == 4
    assert len(realtime._credentials) == 4
    assert _room_sizes(app) != rooms_before
    for gone in screens[:3]:
        gone.disconnect()
    assert realtime.memory.trims == 0  # four opened, three closed: not yet a wave
    screens[3].disconnect()
    assert realtime.presence.links_of([device]) == {device: []}
    assert realtime._credentials == {}
    assert _room_sizes(app) == rooms_before
    assert _socketio(app).server.manager.eio_to_sid == {}
    deadline = time.monotonic() + 5
    while realtime.memory.trims == 0 and time.monotonic() < deadline:
        time.sleep(0.01)  # the trim runs in a background task after the last disconnect
    assert realtime.memory.trims == 1
