"""The wait push's coalescing (`realtime/debounce.py`), on real threads and a short delay."""

from __future__ import annotations

import threading
import time

import pytest

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


class RoundClock:
    """A clock that moves only while a round runs: each round takes `seconds`."""

    def __init__(self, seconds: float) -> None:
        self.now = 0.0
        self.seconds = seconds

    def push(self, halls: set[str]) -> None:
        self.now += self.seconds


def paced(round_seconds: float, marks_while_asleep: int, max_pause: float | None = None) -> list[float]:
    """The pauses before each round when every round takes `round_seconds`, with the hall
    marked again during the first `marks_while_asleep` sleeps."""
    clock = RoundClock(round_seconds)
    pauses: list[float] = []

    def sleep(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) <= marks_while_asleep:
            pushes.mark(["demo"])

    pushes = Debounced(clock.push, DELAY, start, sleep, max_share=0.1, max_pause=max_pause, clock=lambda: clock.now)
    pushes.mark(["demo"])
    assert pushes.wait_idle(TIMEOUT)
    return pauses


def test_a_long_round_holds_the_next_back_to_its_share_of_the_time() -> None:
    # a round of 0.2 s at a share of 0.1: 1.8 s of rest before the next, and before ending
    assert paced(0.2, marks_while_asleep=2) == [DELAY, pytest.approx(1.8), pytest.approx(1.8)]


def test_the_pause_stops_at_its_bound() -> None:
    # the plays stay fresh enough for the tickets issued between them
    assert paced(0.2, marks_while_asleep=2, max_pause=0.5) == [DELAY, 0.5, 0.5]
    # a bound below the delay leaves the delay
    assert paced(0.2, marks_while_asleep=1, max_pause=0.0) == [DELAY, DELAY]


def test_short_rounds_keep_the_delay() -> None:
    assert paced(0.001, marks_while_asleep=2) == [DELAY, DELAY, DELAY]


def test_the_share_is_a_fraction_of_the_time() -> None:
    for share in (0, -0.1, 1.5):
        with pytest.raises(ValueError, match="max_share"):
            Debounced(RoundClock(0).push, DELAY, start, time.sleep, max_share=share)
