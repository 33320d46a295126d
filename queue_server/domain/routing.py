"""Which waiting ticket a window calls next.

Order: tickets transferred to this very window first; then the queues the window
serves, best rank first; within that rank priority tickets ahead of ordinary ones
unless the queue's cap of priority calls in a row is reached while an ordinary ticket
waits; then the longest wait (the ticket's place in line).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    ticket_id: int
    queue: str
    priority: bool
    place: str  # sortable instant: the ticket's place in line (issue time, or adjusted)
    targeted: bool = False  # transferred to this window specifically


def choose_next(
    candidates: Iterable[Candidate],
    ranks: Mapping[str, int],
    priority_streaks: Mapping[str, int],
    priority_caps: Mapping[str, int],
) -> Candidate | None:
    """Pick the next ticket, or None when nothing is waiting for this window.

    `ranks` maps each queue the window serves to its rank (1 first). A queue's
    `priority_streaks` entry counts its priority calls since its last ordinary call;
    `priority_caps` is its limit (0: priority is off, everyone is ordinary).
    """
    pool = [c for c in candidates if c.targeted or c.queue in ranks]
    if not pool:
        return None
    targeted = [c for c in pool if c.targeted]
    if targeted:
        pool = targeted
    else:
        best_rank = min(ranks[c.queue] for c in pool)
        pool = [c for c in pool if ranks[c.queue] == best_rank]
    if not any(_counts_as_priority(c, priority_caps) for c in pool):
        return min(pool, key=_place)  # all ordinary: the longest wait (the wait predictions' usual case)
    # the queues with an ordinary ticket in the pool, found once (the wait predictions
    # choose thousands of times per play)
    ordinary_waiting = {c.queue for c in pool if not _counts_as_priority(c, priority_caps)}
    return min(pool, key=lambda c: (_precedence(c, ordinary_waiting, priority_streaks, priority_caps), c.place))


def _precedence(c: Candidate, ordinary_waiting: set[str], streaks: Mapping[str, int], caps: Mapping[str, int]) -> int:
    """0: priority ticket that may go first; 1: ordinary; 2: priority held back because
    its queue reached the cap while an ordinary ticket waits."""
    if not _counts_as_priority(c, caps):
        return 1
    return 2 if c.queue in ordinary_waiting and streaks.get(c.queue, 0) >= caps[c.queue] else 0


def _place(c: Candidate) -> str:
    return c.place


def _counts_as_priority(c: Candidate, caps: Mapping[str, int]) -> bool:
    return c.priority and caps.get(c.queue, 0) > 0


def next_streak(chosen: Candidate, streak: int, caps: Mapping[str, int]) -> int:
    """The queue's priority streak after calling `chosen`."""
    return streak + 1 if _counts_as_priority(chosen, caps) else 0


def upcoming(
    candidates: Iterable[Candidate],
    ranks: Mapping[str, int],
    priority_streaks: Mapping[str, int],
    priority_caps: Mapping[str, int],
    limit: int,
) -> list[Candidate]:
    """The next `limit` tickets this window would call, in order, if nothing else
    happened: `choose_next` again and again, the streaks moving as calls would move them.
    `candidates` must hold at least the first `limit` of each line (queue, priority or
    not, sent to the window or not) for the answer to be exact."""
    pool = list(candidates)
    streaks = dict(priority_streaks)
    chosen: list[Candidate] = []
    while len(chosen) < limit:
        pick = choose_next(pool, ranks, streaks, priority_caps)
        if pick is None:
            break
        chosen.append(pick)
        pool.remove(pick)
        if not pick.targeted:
            streaks[pick.queue] = next_streak(pick, streaks.get(pick.queue, 0), priority_caps)
    return chosen
