"""Which ticket a window calls next: rank, then priority within its cap, then wait."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from queue_server.domain.routing import Candidate, choose_next, next_streak, upcoming


def c(
    ticket_id: int, queue: str = "a", priority: bool = False, place: float | None = None, targeted: bool = False
) -> Candidate:
    return Candidate(ticket_id, queue, priority, float(ticket_id if place is None else place), targeted)


def test_nothing_waiting_gives_none() -> None:
    assert choose_next([], {"a": 1}, {}, {"a": 2}) is None


def test_longest_wait_first() -> None:
    assert choose_next([c(3), c(1), c(2)], {"a": 1}, {}, {"a": 2}) == c(1)


def test_better_rank_first_even_if_younger() -> None:
    chosen = choose_next([c(1, "pickup"), c(9, "main")], {"main": 1, "pickup": 2}, {}, {})
    assert chosen is not None and chosen.queue == "main"


def test_queues_of_equal_rank_share_by_wait() -> None:
    chosen = choose_next([c(5, "a"), c(2, "b")], {"a": 1, "b": 1}, {}, {})
    assert chosen == c(2, "b")


def test_tickets_of_queues_the_window_does_not_serve_are_ignored() -> None:
    assert choose_next([c(1, "other")], {"a": 1}, {}, {}) is None


def test_priority_goes_first_below_the_cap() -> None:
    assert choose_next([c(1), c(2, priority=True)], {"a": 1}, {"a": 1}, {"a": 2}) == c(2, priority=True)


def test_at_the_cap_an_ordinary_ticket_goes_first() -> None:
    assert choose_next([c(1), c(2, priority=True)], {"a": 1}, {"a": 2}, {"a": 2}) == c(1)


def test_at_the_cap_priority_still_goes_when_no_ordinary_waits() -> None:
    assert choose_next([c(2, priority=True)], {"a": 1}, {"a": 5}, {"a": 2}) == c(2, priority=True)


def test_cap_zero_turns_priority_off() -> None:
    assert choose_next([c(1), c(2, priority=True)], {"a": 1}, {}, {"a": 0}) == c(1)


def test_a_ticket_transferred_to_this_window_comes_first() -> None:
    chosen = choose_next([c(1), c(9, "b", targeted=True)], {"a": 1}, {}, {})
    assert chosen == c(9, "b", targeted=True)


@pytest.mark.parametrize(
    ("priority", "streak", "cap", "after"),
    [(True, 0, 2, 1), (True, 1, 2, 2), (False, 2, 2, 0), (True, 3, 0, 0)],
    ids=["priority-counts", "priority-adds", "ordinary-resets", "cap-off-never-counts"],
)
def test_streak_after_a_call(priority: bool, streak: int, cap: int, after: int) -> None:
    assert next_streak(c(1, priority=priority), streak, {"a": cap}) == after


# ---- invariants under any arrival and call order -----------------------------------


@dataclass
class Line:
    """A model of one window serving two queues, fed through the routing rules with only
    the line heads, as storage.line_heads hands them over."""

    caps: dict[str, int]
    ranks: dict[str, int] = field(default_factory=lambda: {"a": 1, "b": 1})
    waiting: list[Candidate] = field(default_factory=list)
    called: list[Candidate] = field(default_factory=list)
    streaks: dict[str, int] = field(default_factory=dict)
    clock: float = 0.0

    def arrive(self, queue: str, priority: bool) -> None:
        self.clock += 1
        self.waiting.append(
            Candidate(len(self.called) + len(self.waiting) + 1000 * int(self.clock), queue, priority, self.clock)
        )

    def heads(self) -> list[Candidate]:
        heads: dict[tuple[str, bool], Candidate] = {}
        for t in sorted(self.waiting, key=lambda t: t.place):
            heads.setdefault((t.queue, t.priority), t)
        return list(heads.values())

    def call(self) -> Candidate | None:
        chosen = choose_next(self.heads(), self.ranks, self.streaks, self.caps)
        if chosen is not None:
            self.waiting.remove(chosen)
            self.called.append(chosen)
            self.streaks[chosen.queue] = next_streak(chosen, self.streaks.get(chosen.queue, 0), self.caps)
        return chosen


operations = st.lists(
    st.one_of(st.tuples(st.just("arrive"), st.sampled_from(["a", "b"]), st.booleans()), st.just(("call",))),
    max_size=120,
)


@settings(max_examples=300, deadline=None)
@given(ops=operations, cap_a=st.integers(0, 3), cap_b=st.integers(0, 3))
def test_no_ticket_twice_no_starvation_beyond_cap_longest_wait_within_class(
    ops: list[tuple[str, ...]], cap_a: int, cap_b: int
) -> None:
    line = Line(caps={"a": cap_a, "b": cap_b})
    priority_run = {"a": 0, "b": 0}
    for op in ops:
        if op[0] == "arrive":
            line.arrive(op[1], bool(op[2]))
            continue
        ordinary_waiting = {
            q: any(t.queue == q and not (t.priority and line.caps[q]) for t in line.waiting) for q in "ab"
        }
        before = list(line.waiting)
        chosen = line.call()
        if chosen is None:
            assert not before
            continue
        # never called twice
        assert line.called.count(chosen) == 1
        q = chosen.queue
        counts_as_priority = chosen.priority and line.caps[q] > 0
        if counts_as_priority and ordinary_waiting[q]:
            priority_run[q] += 1
            assert priority_run[q] <= line.caps[q], "ordinary tickets starved beyond the cap"
        elif not counts_as_priority:
            priority_run[q] = 0
        # within its class, the chosen ticket is the longest waiting one
        same_class = [t for t in before if t.queue == q and (t.priority and line.caps[q] > 0) == counts_as_priority]
        assert chosen.place == min(t.place for t in same_class)
    assert len({t.ticket_id for t in line.called}) == len(line.called)


# ---- the next few (the clerk's console) ---------------------------------------------------


def test_upcoming_is_call_next_again_and_again_with_the_streak_moving() -> None:
    """Two priority tickets and a cap of one in a row: priority, ordinary, priority, ordinary."""
    line = [c(1), c(2), c(3, priority=True), c(4, priority=True)]
    shown = upcoming(line, {"a": 1}, {"a": 0}, {"a": 1}, 10)
    assert [x.ticket_id for x in shown] == [3, 1, 4, 2]


def test_upcoming_stops_at_its_limit_and_when_nobody_is_left() -> None:
    line = [c(i) for i in range(1, 8)]
    assert [x.ticket_id for x in upcoming(line, {"a": 1}, {}, {"a": 2}, 3)] == [1, 2, 3]
    assert upcoming([], {"a": 1}, {}, {"a": 2}, 3) == []


def test_upcoming_puts_tickets_sent_to_the_window_first() -> None:
    line = [c(1), c(9, targeted=True)]
    assert [x.ticket_id for x in upcoming(line, {"a": 1}, {}, {"a": 2}, 5)] == [9, 1]


@given(
    st.lists(st.tuples(st.sampled_from(["a", "b"]), st.booleans()), max_size=12),
    st.integers(0, 3),
)
@settings(max_examples=200, deadline=None)
def test_the_first_of_upcoming_is_what_call_next_calls(tickets: list[tuple[str, bool]], cap: int) -> None:
    line = [c(i + 1, queue, priority) for i, (queue, priority) in enumerate(tickets)]
    ranks, caps = {"a": 1, "b": 2}, {"a": cap, "b": cap}
    shown = upcoming(line, ranks, {"a": 1, "b": 0}, caps, 5)
    first = choose_next(line, ranks, {"a": 1, "b": 0}, caps)
    assert (shown[0] if shown else None) == first
    assert len(shown) == min(5, len(line)) and len({x.ticket_id for x in shown}) == len(shown)
