"""A clerk's call reaches the screens that should show it, and only those, over real
Socket.IO connections to gunicorn's eventlet worker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

from tests.e2e.helpers import TIMEOUT, Screen, at_window, issue, numbered, serve_and_finish, window_do
from tests.support.live import HALL, LiveServer

pytestmark = pytest.mark.both_workers  # on gevent too (tests/e2e/conftest.py)

Connect = Callable[..., Screen]
SignIn = Callable[[LiveServer, str], requests.Session]


def test_a_call_reaches_the_hall_screen_the_zone_screen_and_the_window_screen(
    fresh_server: LiveServer, connect: Connect, sign_in: SignIn
) -> None:
    """clerk1 calls A001 at window 1 (first floor): the whole-hall screen, the 1f zone
    screen and window 1's screen announce 请A001号到1号窗口办理; the 2f screen does not,
    though it does announce a call at window 9 on its own floor."""
    server = fresh_server
    hall_screen = connect(server, token=server.tokens["hall_screen"])
    hall_screen.subscribe()
    first_floor = connect(server, token=server.tokens["hall_screen"])
    first_floor.subscribe(zone="1f")
    second_floor = connect(server, token=server.tokens["hall_screen"])
    second_floor.subscribe(zone="2f")
    window_screen = connect(server, token=server.tokens["window_screen"])
    window_screen.subscribe(window=1)
    guide, clerk1, clerk3 = (sign_in(server, name) for name in ("guide", "clerk1", "clerk3"))

    ticket = issue(server, guide, item="construction-permit")
    assert ticket["number"] == "A001"
    window_do(server, clerk1, 1, "open-window")
    window = window_do(server, clerk1, 1, "call-next")
    assert (window["ticket"], window["ticket_status"]) == ("A001", "called")

    for screen in (hall_screen, first_floor, window_screen):
        call = screen.wait_for("ticket_called", numbered("A001"))
        assert call["text"] == "请A001号到1号窗口办理"
        assert call["window"]["number"] == 1
        assert call["ticket"]["ref"] == ticket["ref"] and "id" not in call["ticket"]  # screens: by reference
        assert call["recall"] is False

    # The positive control upstairs: a call at window 9 (2f) does reach the 2f screen.
    # Events reach one client in the order they were sent, so once this one is in, the
    # window-1 call would have been in before it.
    assert issue(server, guide, item="property-transfer")["number"] == "B001"
    window_do(server, clerk3, 9, "open-window")
    window_do(server, clerk3, 9, "call-next")
    upstairs = second_floor.wait_for("ticket_called", at_window(9))
    assert upstairs["text"] == "请B001号到9号窗口办理"
    assert second_floor.received("ticket_called") == [upstairs], "the 2f screen showed a first-floor call"
    assert hall_screen.wait_for("ticket_called", at_window(9))["text"] == "请B001号到9号窗口办理"

    # And the other way round: a ticket issued afterwards (a hall-wide event) reaches the
    # 1f and window-1 screens; by then neither has shown the call at window 9.
    later = issue(server, guide, item="certificate-pickup")
    for screen in (first_floor, window_screen):
        screen.wait_for("ticket_issued", numbered(later["number"]))
        assert [call["window"]["number"] for call in screen.received("ticket_called")] == [1]


def test_a_window_screen_may_subscribe_to_its_own_window_only(server: LiveServer, connect: Connect) -> None:
    """The screen above window 1 is refused a zone and another window, with a problem in
    the acknowledgement; its own window is granted, and is what it gets by default."""
    screen = connect(server, token=server.tokens["window_screen"])
    assert screen.subscribe()["scope"] == {"hall": HALL, "zone": None, "window": 1}
    for scope in ({"window": 2}, {"zone": "1f"}):
        ack = screen.client.call("subscribe", {"hall": HALL, **scope}, timeout=TIMEOUT)
        assert ack["ok"] is False, scope
        assert (ack["problem"]["status"], ack["problem"]["code"]) == (403, "forbidden")
        assert ack["problem"]["detail"] == "此设备只绑定 1 号窗口"
    assert screen.subscribe(window=1)["scope"] == {"hall": HALL, "zone": None, "window": 1}


def test_a_clerk_calls_through_a_socket_command(server: LiveServer, connect: Connect, sign_in: SignIn) -> None:
    """A clerk console connected with the clerk's session cookie opens the window and
    calls through Socket.IO commands; each answers in its acknowledgement, and the
    screens announce the call. Refusals come back in the acknowledgement too."""
    hall_screen = connect(server, token=server.tokens["hall_screen"])
    hall_screen.subscribe()
    window_screen = connect(server, token=server.tokens["window_screen"])
    window_screen.subscribe(window=1)
    guide, clerk1 = sign_in(server, "guide"), sign_in(server, "clerk1")
    console = connect(server, cookies=clerk1)

    def command(name: str, **args: Any) -> dict[str, Any]:
        return console.client.call(name, {"hall": HALL, "window": 1, **args}, timeout=TIMEOUT)  # type: ignore[no-any-return]

    assert command("open_window")["ok"] is True
    ticket = issue(server, guide, item="food-business-licence")
    ack = command("call_next")
    assert ack["ok"] is True, ack
    assert (ack["data"]["number"], ack["data"]["ticket"], ack["data"]["ticket_status"]) == (
        1,
        ticket["number"],
        "called",
    )
    text = f"请{ticket['number']}号到1号窗口办理"
    for screen in (hall_screen, window_screen):
        assert screen.wait_for("ticket_called", numbered(ticket["number"]))["text"] == text

    busy = command("call_next")
    assert busy["ok"] is False and busy["problem"]["code"] == "window_busy"
    assert command("call_next", window=2)["problem"]["code"] == "window_not_open"  # not clerk1's window
    assert command("start_service")["ok"] is True
    assert command("finish_service", outcome="accepted")["ok"] is True
    hall_screen.wait_for("service_finished", numbered(ticket["number"]))
    empty = command("call_next")
    assert empty["ok"] is False
    assert (empty["problem"]["status"], empty["problem"]["code"]) == (409, "nothing_waiting")


def test_a_recall_is_announced_again_with_the_recall_mark(
    server: LiveServer, connect: Connect, sign_in: SignIn
) -> None:
    """重呼: the screens announce the same ticket again, marked （重呼）."""
    hall_screen = connect(server, token=server.tokens["hall_screen"])
    hall_screen.subscribe()
    window_screen = connect(server, token=server.tokens["window_screen"])
    window_screen.subscribe(window=1)
    guide, clerk1 = sign_in(server, "guide"), sign_in(server, "clerk1")
    window_do(server, clerk1, 1, "open-window")
    ticket = issue(server, guide, item="road-excavation")
    window_do(server, clerk1, 1, "call-next")
    window_do(server, clerk1, 1, "recall")

    for screen in (hall_screen, window_screen):
        first = screen.wait_for("ticket_called", numbered(ticket["number"]))
        again = screen.wait_for("ticket_recalled", numbered(ticket["number"]))
        assert again["text"] == f"请{ticket['number']}号到1号窗口办理（重呼）"
        assert again["text"] == first["text"] + "（重呼）"
        assert (again["recall"], again["call_count"], again["ticket"]["ref"]) == (True, 2, ticket["ref"])
        assert again["seq"] > first["seq"]
    serve_and_finish(server, clerk1, 1)
