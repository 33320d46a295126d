"""Windows calling at the same time never call the same citizen twice and never skip one,
on the production worker (gunicorn + eventlet, one process, SQLite underneath)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from tests.e2e.helpers import (
    GROUP_COMMIT_LOG,
    TIMEOUT,
    Screen,
    check,
    issue,
    largest_write_batch,
    serve_and_finish,
    server_errors,
    window_do,
    window_post,
)
from tests.support.live import LiveServer

SignIn = Callable[[LiveServer, str], requests.Session]
TICKETS = 150
ROUNDS = 40


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The demo hall on a live server for this module, logging the group commit's
    batches: windows pressing at once share a COMMIT, and a refusal in the batch
    (nothing_waiting) must not undo the call that won."""
    with LiveServer(tmp_path_factory.mktemp("instance"), environment=GROUP_COMMIT_LOG).running() as server:
        yield server


def test_three_windows_draining_one_line_call_every_ticket_exactly_once(
    server: LiveServer, connect: Callable[..., Screen], sign_in: SignIn
) -> None:
    """150 tickets in the comprehensive line; windows 1, 2 and 3 call, serve and finish
    as fast as they can until the line is empty (409 nothing_waiting), their writes
    sharing COMMITs (group commit). Each ticket is
    called by one window only, every ticket is called, and the hall screen announces
    each number once, at the window that called it, in sequence order."""
    hall_screen = connect(server, token=server.tokens["hall_screen"])
    subscribed_at = hall_screen.subscribe()["seq"]
    guide = sign_in(server, "guide")
    issued = [issue(server, guide, item="construction-permit") for _ in range(TICKETS)]
    clerks = {window: sign_in(server, f"clerk{window}") for window in (1, 2, 3)}
    for window, clerk in clerks.items():
        window_do(server, clerk, window, "open-window")

    calls: dict[int, list[tuple[int, str]]] = {window: [] for window in clerks}
    failures: list[str] = []
    go = threading.Barrier(len(clerks), timeout=TIMEOUT)

    def work(window: int, clerk: requests.Session) -> None:
        try:
            go.wait()
            while True:
                response = window_post(server, clerk, window, "call-next")
                if response.status_code == 409 and response.json()["code"] == "nothing_waiting":
                    return
                called = check(response, 200)
                calls[window].append((called["ticket_id"], called["ticket"]))
                serve_and_finish(server, clerk, window)
        except Exception as error:  # reported below, with the window it happened at
            failures.append(f"window {window}: {error!r}")

    threads = [threading.Thread(target=work, args=item) for item in clerks.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a window never saw the line empty"
    assert failures == []

    called_ids = Counter(ticket_id for window_calls in calls.values() for ticket_id, _ in window_calls)
    twice = {ticket_id: n for ticket_id, n in called_ids.items() if n > 1}
    assert twice == {}, f"called by more than one window: {twice}"
    assert set(called_ids) == {ticket["id"] for ticket in issued}
    assert sum(len(window_calls) for window_calls in calls.values()) == TICKETS

    window_of = {number: window for window, window_calls in calls.items() for _, number in window_calls}
    for _ in range(TICKETS):
        hall_screen.wait_for("ticket_called")
    announced = Counter(call["ticket"]["number"] for call in hall_screen.received("ticket_called"))
    assert announced == Counter(ticket["number"] for ticket in issued)
    for call in hall_screen.received("ticket_called"):
        assert call["window"]["number"] == window_of[call["ticket"]["number"]]
        assert call["text"] == f"请{call['ticket']['number']}号到{call['window']['number']}号窗口办理"
    # The screen got the hall's whole log after its snapshot, nothing missing and nothing
    # twice, so the last sequence number is a safe place to resume from after a
    # reconnect. (Compared as a sorted list: python-socketio's client runs each message's
    # handler in a thread of its own, so the order handlers run in is not the order of
    # the wire. An event its snapshot already held may come too: committed, it is emitted
    # once its writer resumes, which under group commit can be after the snapshot was
    # read; screens drop what they already applied, so does this check.)
    # Every writer has been answered, so every event is committed: the hall's sequence now
    # (a second subscriber's snapshot) is the last the screen must get. Under group commit
    # the writers of a batch emit in no set order, so the last few may still be on the
    # wire: wait for them, bounded.
    last = connect(server, token=server.tokens["hall_screen"]).subscribe()["seq"]
    deadline = time.monotonic() + TIMEOUT

    def received() -> list[int]:
        return sorted(p["seq"] for _, p in hall_screen.take_arrived() if subscribed_at < p["seq"] <= last)

    while received() != list(range(subscribed_at + 1, last + 1)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert received() == list(range(subscribed_at + 1, last + 1))
    # the windows' writes were committed in batches, not one COMMIT each
    assert largest_write_batch(server) > 1, "no COMMIT held more than one write: group commit not exercised"
    assert server_errors(server) == []


@pytest.mark.both_workers  # on gevent too (tests/e2e/conftest.py)
def test_two_windows_calling_at_the_same_instant_never_share_a_ticket(server: LiveServer, sign_in: SignIn) -> None:
    """Windows 1 and 2 press call-next at the same instant, round after round. With one
    ticket waiting exactly one window gets it and the other hears nothing_waiting; with
    two waiting each window gets a different one."""
    guide = sign_in(server, "guide")
    clerks = {window: sign_in(server, f"clerk{window}") for window in (1, 2)}
    for window, clerk in clerks.items():
        window_do(server, clerk, window, "open-window")
    assert window_post(server, clerks[1], 1, "call-next").json()["code"] == "nothing_waiting", "the line is not empty"

    answers: dict[int, Any] = {}
    go = threading.Barrier(len(clerks) + 1, timeout=TIMEOUT)
    done = threading.Barrier(len(clerks) + 1, timeout=TIMEOUT)

    def press(window: int, clerk: requests.Session) -> None:
        for _ in range(ROUNDS):
            go.wait()
            try:
                answers[window] = window_post(server, clerk, window, "call-next")
            except Exception as error:  # the main thread reports it
                answers[window] = error
            done.wait()

    threads = [threading.Thread(target=press, args=item, daemon=True) for item in clerks.items()]
    for thread in threads:
        thread.start()
    try:
        for round_number in range(ROUNDS):
            waiting = {issue(server, guide, item="drainage-permit")["id"] for _ in range(1 + round_number % 2)}
            answers.clear()
            go.wait()
            done.wait()
            assert all(isinstance(answer, requests.Response) for answer in answers.values()), answers
            winners = {window: answer.json() for window, answer in answers.items() if answer.status_code == 200}
            losers = [answer.json() for answer in answers.values() if answer.status_code != 200]
            context = f"round {round_number}: {len(waiting)} waiting, answers {[a.text for a in answers.values()]}"
            assert {called["ticket_id"] for called in winners.values()} == waiting, context
            assert len(winners) == len(waiting), context
            assert [(loser["status"], loser["code"]) for loser in losers] == [(409, "nothing_waiting")] * (
                2 - len(waiting)
            ), context
            for window in winners:
                serve_and_finish(server, clerks[window], window)
    finally:
        go.abort()
        done.abort()
    assert server_errors(server) == []
