"""The whole path of one visit, every part real (issue 9): a guide issues a ticket; the
clerk calls it from the console with the keyboard; the hall screen shows the call; the
clerk starts and finishes; window 1's review pad shows the rating for exactly that ticket;
the citizen rates on the pad; the rating is in the outbox; and the 好差评 platform, a
receiver on a loopback port, gets it once, its signature verified, with the wait and
handling times. A live gunicorn with the eventlet worker, Chromium for the console
(1366×768), the hall screen (1920×1080) and the pad (1280×800)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.helpers import TIMEOUT, check, issue, server_errors
from tests.e2e.pages import Page
from tests.support.feed_receiver import FeedReceiver
from tests.support.live import HALL, LiveServer

SECRET = "whole-path-secret-0123456789"
MS = TIMEOUT * 1000


@pytest.fixture
def receiver() -> Iterator[FeedReceiver]:
    with FeedReceiver(SECRET) as running:
        yield running


@pytest.fixture
def feed_server(tmp_path: Path, receiver: FeedReceiver) -> Iterator[LiveServer]:
    """The demo hall on a server of the test's own, posting ratings to `receiver`."""
    live = LiveServer(
        tmp_path / "instance",
        environment={
            "QUEUE_REVIEW_FEED_URL": receiver.url,
            "QUEUE_REVIEW_FEED_SECRET": SECRET,
            "QUEUE_REVIEW_FEED_POLL": "0.1",
        },
    )
    with live.running() as running:
        yield running


def test_a_call_from_the_console_reaches_the_screen_the_pad_and_the_platform(
    feed_server: LiveServer,
    receiver: FeedReceiver,
    open_page: Callable[..., Page],
    open_screen: Callable[..., Any],
    sign_in: Callable[[LiveServer, str], requests.Session],
) -> None:
    server = feed_server
    guide, manager = sign_in(server, "guide"), sign_in(server, "manager")
    hall = open_screen(server, "hall", server.tokens["hall_screen"])
    pad = open_page(server, (1280, 800), touch=True)
    pad.goto(f"/pad#token={server.tokens['review_pad']}")
    pad.wait_until("hq.state === 'online'")
    console = open_page(server, (1366, 768))
    console.sign_in("clerk1", "/counter")
    console.wait_until("hq.loaded && hq.link === 'online' && hq.day !== null")
    console.by_testid("open-1").click()
    console.wait_until("hq.view && hq.view.window.status === 'open'")
    expect(pad.by_testid("clerk-name")).to_have_text("测试clerk1", timeout=MS)

    ticket = issue(server, guide, queue="comprehensive")
    console.page.keyboard.press("F1")  # call next
    console.wait_until(f"hq.view && hq.view.ticket && hq.view.ticket.number === '{ticket['number']}'")
    expect(hall.by_testid("latest-number")).to_have_text(ticket["number"], timeout=MS)
    expect(hall.by_testid("latest-window")).to_contain_text("1")
    console.page.keyboard.press("F4")  # start
    console.wait_until("hq.view.ticket && hq.view.ticket.status === 'serving' && hq.sender.phase === 'idle'")
    console.page.keyboard.press("F5")  # finish: 受理 (the default outcome), no items picked
    expect(console.by_testid("finish-dialog")).to_be_visible()
    console.page.keyboard.press("Enter")
    console.wait_until("hq.view && hq.view.ticket === null && hq.sender.phase === 'idle'")

    # the pad of window 1 asks about exactly that ticket; the citizen rates it there
    expect(pad.by_testid("rating")).to_be_visible(timeout=MS)
    expect(pad.by_testid("ticket-number")).to_have_text(ticket["number"])
    pad.page.locator('[data-level="very_satisfied"]').tap()
    pad.by_testid("submit").tap()
    expect(pad.by_testid("thanks")).to_be_visible(timeout=MS)
    pad.screenshot("whole-path-pad-thanks-1280x800")

    [rating] = check(manager.get(server.api(f"/halls/{HALL}/ratings"), timeout=TIMEOUT), 200)["ratings"]
    assert (rating["ticket_ref"], rating["channel"], rating["level"]) == (ticket["ref"], "pad", "very_satisfied")
    assert receiver.wait_for(1, TIMEOUT), f"the platform got nothing: {receiver.stats()}"
    assert receiver.accepted == [rating["key"]] and receiver.bad_signatures == 0
    [delivery] = [d for d in receiver.deliveries if d.key == rating["key"]]
    body = delivery.json()
    assert delivery.signature_ok and body["id"] == rating["key"] and body["ticket_number"] == ticket["number"]
    assert (body["level"], body["level_name"], body["window"]) == (5, "very_satisfied", 1)
    assert (body["wait_seconds"], body["handling_seconds"]) == (rating["wait_seconds"], rating["handling_seconds"])
    # the platform's answer is committed after it came: the outbox says delivered soon after
    deadline = time.monotonic() + TIMEOUT
    while (status := check(manager.get(server.api("/feed"), timeout=TIMEOUT), 200))["counts"]["delivered"] != 1:
        assert time.monotonic() < deadline, status
        time.sleep(0.1)  # between two looks at the API
    assert status["sender"]["configured"] is True and status["counts"] == {"pending": 0, "delivered": 1, "dead": 0}
    assert server_errors(server) == []
