"""The wait push's coalescing (`realtime/debounce.py`), on real threads and a short delay."""

from __future__ import annotations

import threading
import time

from queue_server.realtime.debounce import Debounced

DELAY = 0.05
TIMEOUT = 5.0


def start(function: object) -> threading.Thread:
    thread = threading.Thread(target=function, daemon=True)
    thread.start()
    return thread


class Recorder:
    """The push: records each round's halls; can be held inside a round."""

    def __init__(self, *, fail_first: bool = False) -> None:
        self.rounds: list[set[str]] = []
        self.fail_first = fail_first
        self.inside = threading.Event()
        self.release = threading.Event()
        self.release.set()

    def __call__(self, halls: set[str]) -> None:
        self.inside.set()
        assert self.release.wait(TIMEOUT)
        self.rounds.append(set(halls))
        if self.fail_first and len(self.rounds) == 1:
            raise RuntimeError("the first round fails")


def test_a_burst_of_marks_is_one_round() -> None:
    push = Recorder()
    pushes = Debounced(push, DELAY, start, time.sleep)
    for hall in ["demo", "town", "demo", "demo"]:
        pushes.mark([hall])
    assert pushes.wait_idle(TIMEOUT)
    assert push.rounds == [{"demo", "town"}]


def test_no_delay_pushes_in_the_caller() -> None:
    push = Recorder()
    pushes = Debounced(push, 0, start, time.sleep)
    pushes.mark(["demo"])
    assert push.rounds == [{"demo"}]  # already, without waiting


def test_a_failed_round_does_not_stop_the_next() -> None:
    push = Recorder(fail_first=True)
    pushes = Debounced(push, DELAY, start, time.sleep)
    pushes.mark(["demo"])
    assert push.inside.wait(TIMEOUT)
    pushes.mark(["town"])
    assert pushes.wait_idle(TIMEOUT)
    assert push.rounds == [{"demo"}, {"town"}]


def test_close_drops_what_is_due_and_waits_for_the_round_under_way() -> None:
    """A mark made before the server stops is not pushed after it (the store is closed
    then); a round already running finishes before `close` returns."""
    push = Recorder()
    pushes = Debounced(push, DELAY, start, time.sleep)
    push.release.clear()
    pushes.mark(["demo"])
    assert push.inside.wait(TIMEOUT)  # the round for demo runs, held
    pushes.mark(["town"])  # due for the next round
    closing = threading.Thread(target=lambda: results.append(pushes.close(TIMEOUT)))
    results: list[bool] = []
    closing.start()
    time.sleep(DELAY)
    assert results == []  # close waits for the round under way
    push.release.set()
    closing.join(TIMEOUT)
    assert results == [True]
    pushes.mark(["demo"])
    time.sleep(DELAY * 3)
    assert push.rounds == [{"demo"}]  # town's round dropped, nothing after close
