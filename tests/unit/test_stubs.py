"""`sequence_advanced` stubs coalesced per room (`realtime/stubs.py`). The background task
is run by hand here: `tasks` holds it until the test lets the delay end."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from queue_server.realtime.stubs import StubRanges

Sent = list[tuple[dict[str, Any], list[str]]]


@pytest.fixture
def wire() -> tuple[StubRanges, Sent, list[Callable[[], None]]]:
    sent: Sent = []
    tasks: list[Callable[[], None]] = []
    stubs = StubRanges(lambda stub, rooms: sent.append((stub, sorted(rooms))), 0.1, tasks.append, lambda _: None)
    return stubs, sent, tasks


def test_no_delay_sends_each_stub_at_once_to_all_its_rooms_in_one_emit() -> None:
    sent: Sent = []
    stubs = StubRanges(lambda stub, rooms: sent.append((stub, sorted(rooms))), 0, list.append, lambda _: None)
    stubs.add("demo", 7, ["zone:a", "phones"])
    assert sent == [({"hall": "demo", "seq": 7}, ["phones", "zone:a"])]


def test_stubs_that_follow_on_go_out_as_one_run_when_the_delay_ends(wire: Any) -> None:
    stubs, sent, tasks = wire
    for seq in (7, 8, 9):
        stubs.add("demo", seq, ["zone:a", "phones"])
    assert sent == [] and len(tasks) == 1  # one timer for the burst
    tasks.pop()()
    assert sent == [({"hall": "demo", "seq": 9, "from": 7}, ["phones", "zone:a"])]  # one emit for both rooms
    stubs.add("demo", 10, ["zone:a"])
    tasks.pop()()
    assert sent[-1] == ({"hall": "demo", "seq": 10}, ["zone:a"])  # a run of one: a plain stub


def test_a_rooms_run_goes_out_before_anything_else_sent_to_it(wire: Any) -> None:
    """A zone's call after two stubs for other zones' events: the zone's screens get the
    run first, then the call; the other rooms' runs wait on."""
    stubs, sent, tasks = wire
    stubs.add("demo", 7, ["zone:a", "zone:b"])
    stubs.add("demo", 8, ["zone:a", "zone:b"])
    stubs.before(["zone:a"], 9)  # event 9 is for zone a
    assert sent == [({"hall": "demo", "seq": 8, "from": 7}, ["zone:a"])]
    stubs.add("demo", 9, ["zone:b"])
    tasks.pop()()
    assert sent[1:] == [({"hall": "demo", "seq": 9, "from": 7}, ["zone:b"])]


def test_a_number_that_does_not_follow_on_sends_the_run_before_it(wire: Any) -> None:
    """Event 8 was another server process's: this process's run 6..7 cannot stand for it."""
    stubs, sent, tasks = wire
    stubs.add("demo", 6, ["zone:a"])
    stubs.add("demo", 7, ["zone:a"])
    stubs.add("demo", 9, ["zone:a"])
    assert sent == [({"hall": "demo", "seq": 7, "from": 6}, ["zone:a"])]
    stubs.add("town", 10, ["zone:a"])  # another hall's number never joins a run either
    assert sent[-1] == ({"hall": "demo", "seq": 9}, ["zone:a"])
    tasks.pop()()
    assert sent[-1] == ({"hall": "town", "seq": 10}, ["zone:a"])


def test_a_stub_below_a_number_already_sent_whole_goes_at_once(wire: Any) -> None:
    """Group commit may publish a batch's events out of order: event 8 went out whole to
    zone a before event 7, whose stub zone a's screens now wait for."""
    stubs, sent, tasks = wire
    stubs.before(["zone:a"], 8)
    stubs.add("demo", 7, ["zone:a", "zone:b"])
    assert sent == [({"hall": "demo", "seq": 7}, ["zone:a"])]  # zone b's waits for the delay
    tasks.pop()()
    assert sent[1:] == [({"hall": "demo", "seq": 7}, ["zone:b"])]
