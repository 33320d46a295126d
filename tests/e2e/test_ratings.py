"""好差评 on the production worker: gunicorn with eventlet, real python-socketio clients.
A clerk finishes at window 1 and that window's review pad, and only it, is asked to rate
exactly that ticket; the pad rates, goes back to idle, and a manager's page hears of it
live; the clerk's own attempt is refused by the national rule (docs/ratings.md)."""

from __future__ import annotations

from collections.abc import Callable

import requests

from tests.e2e.helpers import TIMEOUT, Screen, check, issue, server_errors, window_do
from tests.support.live import HALL, LiveServer

Connect = Callable[..., Screen]
SignIn = Callable[[LiveServer, str], requests.Session]


def test_the_pad_of_the_finishing_window_rates_that_ticket_and_managers_hear_of_it(
    server: LiveServer, connect: Connect, sign_in: SignIn
) -> None:
    pad = connect(server, token=server.tokens["review_pad"])
    assert pad.subscribe()["rating"] is None
    screen = connect(server, token=server.tokens["window_screen"])
    screen.subscribe()
    guide, clerk, manager = (sign_in(server, name) for name in ("guide", "clerk1", "manager"))
    managers_page = connect(server, cookies=manager)
    managers_page.subscribe()

    ticket = issue(server, guide, queue="comprehensive")
    window_do(server, clerk, 1, "open-window")
    window_do(server, clerk, 1, "call-next")
    window_do(server, clerk, 1, "start-service")
    window_do(server, clerk, 1, "finish-service")

    invited = pad.wait_for("rating_requested")
    assert invited["ticket"]["ref"] == ticket["ref"] and invited["window"]["number"] == 1
    assert invited["clerk"] == {"name": "测试clerk1", "staff_number": "CLERK1"}
    refused = clerk.post(
        server.api(f"/halls/{HALL}/ratings"),
        json={"ticket_ref": ticket["ref"], "level": "very_satisfied"},
        timeout=TIMEOUT,
    )
    assert check(refused, 403)["code"] == "staff_may_not_rate"

    ack = pad.client.call(
        "submit_rating",
        {"hall": HALL, "ticket_ref": ticket["ref"], "level": "satisfied", "reasons": ["业务熟练"]},
        timeout=TIMEOUT,
    )
    assert ack["ok"] and ack["data"]["channel"] == "pad", ack
    assert pad.wait_for("rating_closed")["reason"] == "rated"
    heard = managers_page.wait_for("rating_recorded")
    assert heard["rating"]["ticket_ref"] == ticket["ref"] and heard["rating"]["reasons"] == ["业务熟练"]
    # the window screen hears only that the hall's sequence moved on
    screen.wait_for("sequence_advanced", lambda stub: stub["seq"] == heard["seq"])
    assert not screen.received("rating_recorded") and not screen.received("rating_requested")
    listed = check(manager.get(server.api(f"/halls/{HALL}/ratings"), timeout=TIMEOUT), 200)
    assert [r["ticket_ref"] for r in listed["ratings"]] == [ticket["ref"]]
    assert not server_errors(server)
