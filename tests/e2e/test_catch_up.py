"""A screen that lost its connection catches up from the last sequence number it applied:
the subscribe acknowledgement carries exactly the events it missed, even across a
server restart; a screen too far off redraws from a snapshot."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

from tests.e2e.helpers import Screen, check, issue, numbered, window_do
from tests.support.live import HALL, LiveServer

Connect = Callable[..., Screen]
SignIn = Callable[[LiveServer, str], requests.Session]
WINDOWS = (1, 2, 3)


def screen_up_to_date(server: LiveServer, connect: Connect, sign_in: SignIn) -> tuple[dict[int, requests.Session], int]:
    """A hall screen subscribes with since=0 and applies what it is sent while the
    clerks open windows 1-3 and three tickets are issued; it then goes offline.
    Returns the clerks by window and the highest sequence number the screen applied."""
    screen = connect(server, token=server.tokens["hall_screen"])
    ack = screen.subscribe(since=0)
    assert "snapshot" not in ack
    applied = [event["seq"] for event in ack["events"]]
    assert applied == list(range(1, ack["seq"] + 1))  # the whole log, in order, from the start

    clerks = {window: sign_in(server, f"clerk{window}") for window in WINDOWS}
    for window, clerk in clerks.items():
        window_do(server, clerk, window, "open-window")
    guide = sign_in(server, "guide")
    last = [issue(server, guide, item="public-venue-hygiene") for _ in WINDOWS][-1]
    screen.wait_for("ticket_issued", numbered(last["number"]))
    # sorted: python-socketio's client runs each message's handler in a thread of its own
    applied += sorted(payload["seq"] for _, payload in screen.seen)
    assert applied == list(range(1, applied[-1] + 1)), "the live screen missed an event or got one twice"
    screen.client.disconnect()
    return clerks, applied[-1]


def missed_events(server: LiveServer, connect: Connect, since: int) -> dict[str, Any]:
    """The screen back online: subscribe with the last sequence number it applied."""
    return connect(server, token=server.tokens["hall_screen"]).subscribe(since=since)


def test_a_reconnecting_screen_receives_exactly_the_calls_it_missed(
    server: LiveServer, connect: Connect, sign_in: SignIn
) -> None:
    clerks, last_seq = screen_up_to_date(server, connect, sign_in)
    called = [window_do(server, clerks[window], window, "call-next")["ticket"] for window in WINDOWS]

    ack = missed_events(server, connect, since=last_seq)
    assert "snapshot" not in ack
    events = ack["events"]
    assert [event["type"] for event in events] == ["ticket_called"] * 3
    assert [event["seq"] for event in events] == [last_seq + 1, last_seq + 2, last_seq + 3]
    assert [(event["ticket"]["number"], event["window"]["number"]) for event in events] == list(
        zip(called, WINDOWS, strict=True)
    )
    assert [event["text"] for event in events] == [
        f"请{n}号到{w}号窗口办理" for n, w in zip(called, WINDOWS, strict=True)
    ]
    assert ack["seq"] == last_seq + 3


def test_a_screen_catches_up_across_a_server_restart(
    fresh_server: LiveServer, connect: Connect, sign_in: SignIn
) -> None:
    """One call before the restart and two after: the sequence goes on from the
    database, and the screen gets all three in order."""
    server = fresh_server
    clerks, last_seq = screen_up_to_date(server, connect, sign_in)
    before = window_do(server, clerks[1], 1, "call-next")["ticket"]
    server.stop()
    server.start()
    after = [window_do(server, clerks[window], window, "call-next")["ticket"] for window in (2, 3)]

    ack = missed_events(server, connect, since=last_seq)
    events = ack["events"]
    assert [event["type"] for event in events] == ["ticket_called"] * 3
    assert [event["seq"] for event in events] == [last_seq + 1, last_seq + 2, last_seq + 3]
    assert [event["ticket"]["number"] for event in events] == [before, *after]
    assert ack["seq"] == last_seq + 3


def test_a_screen_from_the_future_gets_a_snapshot(server: LiveServer, connect: Connect, sign_in: SignIn) -> None:
    """A `since` the hall never reached (a screen that kept yesterday's database, say)
    cannot be caught up: the screen gets a fresh snapshot to redraw from."""
    manager = sign_in(server, "manager")
    current = check(manager.get(server.api(f"/halls/{HALL}"), timeout=10), 200)["seq"]
    ack = missed_events(server, connect, since=current + 1_000_000)
    assert "events" not in ack
    snapshot = ack["snapshot"]
    assert snapshot["hall"]["code"] == HALL
    assert snapshot["seq"] == ack["seq"] == current
    assert {window["number"] for window in snapshot["windows"]} >= {1, 9, 18}
