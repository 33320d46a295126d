"""The staffing advice's forecast and moves (docs/staffing.md): pure, no I/O, no clock.

**Forecast.** Per queue and per local clock hour `[h:00, h+1:00)`, arrivals per hour
from two sources:

- the same weekday's history: the tickets first issued to the queue in that hour on the
  last N same weekdays the hall issued any ticket, averaged over those days (`H_h`);
- today so far: `T` tickets since the queue began issuing.

History early, today as it fills: with `E` the history's count for the part of today
already past (the hour in progress pro rata of its issuing time) and `D` the history's
count for the whole day, today's weight is `w = E / D` (the share of a usual day's
arrivals already past) and today's pace against history is `r = T / E`. An hour's count
is then forecast as `H_h × ((1 − w) + w × r)`: history alone at opening, history scaled
by today's pace by evening. Divided by the hours the queue issues in that hour, it is a
rate. With no history for the queue (`D = 0`) every issuing hour gets today's average
rate so far (`T` over the hours issued), and before any issuing, 0.

**Moves.** Each open window works first for the queue it ranks first (its lowest `rank`
in the hall file; ties: the first listed) and counts for that queue once. Against the
windows each queue needs, a queue short of windows takes an open window from a queue
with windows to spare, only a window whose hall-file `serves` lists the short queue —
so a specialised area's window never goes to another area's queue unless its file says
it may. Largest shortfall first; from the queue with most to spare; the window ranking
the short queue best; then the lowest number. Each window moves at most once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import time

from queue_server.domain.hall import TimeRange, WindowSpec

HOURS = range(24)


def overlap_hours(ranges: Sequence[TimeRange], hour: int, until: time | None = None) -> float:
    """Hours of `[hour:00, hour+1:00)` (cut at `until`, a local time, when given) that the
    ranges cover; a range whose end is not after its start runs to midnight."""
    start = hour * 60.0
    end = start + 60.0
    if until is not None:
        end = min(end, until.hour * 60 + until.minute + until.second / 60 + until.microsecond / 60e6)
    covered = 0.0
    for span in ranges:
        low = span.start.hour * 60 + span.start.minute + span.start.second / 60
        high = span.end.hour * 60 + span.end.minute + span.end.second / 60
        if high <= low:
            high = 24 * 60.0
        covered += max(0.0, min(end, high) - max(start, low))
    return covered / 60


@dataclass(frozen=True)
class Forecast:
    """One queue's forecast for today."""

    rates: dict[int, float]  # local hour -> arrivals per hour while issuing in it
    history_days: int  # the past days averaged
    history_today: float  # D: the history's count for the whole day
    history_so_far: float  # E: the history's count for the part of today already past
    today: int  # T: tickets first issued to the queue today so far
    weight: float  # w: how much today's pace counts
    pace: float | None  # r = T / E; None where E = 0

    @property
    def from_history(self) -> bool:
        return self.history_today > 0


def forecast(
    history: Mapping[int, float],
    history_days: int,
    issuing: Mapping[int, float],
    elapsed: Mapping[int, float],
    today: int,
) -> Forecast:
    """The queue's arrivals per hour for each hour of today.

    `history`: tickets per local hour summed over `history_days` past days; `issuing`:
    the hours the queue issues in each local hour today; `elapsed`: of those, the hours
    already past now; `today`: tickets so far."""
    issued_hours = sum(elapsed.values())
    mean = {hour: history.get(hour, 0) / history_days if history_days else 0.0 for hour in HOURS}
    whole_day = sum(mean[hour] for hour in HOURS if issuing.get(hour, 0) > 0)
    so_far = sum(mean[hour] * elapsed.get(hour, 0) / issuing[hour] for hour in HOURS if issuing.get(hour, 0) > 0)
    if whole_day <= 0:
        average = today / issued_hours if issued_hours > 0 else 0.0
        rates = {hour: average if issuing.get(hour, 0) > 0 else 0.0 for hour in HOURS}
        return Forecast(rates, history_days, 0.0, 0.0, today, 1.0, None)
    weight = min(1.0, so_far / whole_day)
    pace = today / so_far if so_far > 0 else None
    factor = (1 - weight) + weight * (pace if pace is not None else 1.0)
    rates = {hour: mean[hour] * factor / issuing[hour] if issuing.get(hour, 0) > 0 else 0.0 for hour in HOURS}
    return Forecast(rates, history_days, whole_day, so_far, today, weight, pace)


# ---- moves -------------------------------------------------------------------------------


def first_queue(window: WindowSpec) -> str:
    """The queue a window calls from first: its lowest rank, the first listed on a tie."""
    return min(window.serves, key=lambda s: s.rank).queue


def rank_for(window: WindowSpec, queue: str) -> int | None:
    return next((s.rank for s in window.serves if s.queue == queue), None)


@dataclass(frozen=True)
class Move:
    window: int
    from_queue: str
    to_queue: str


def assigned(windows: Sequence[WindowSpec], open_numbers: set[int]) -> dict[str, list[int]]:
    """The open windows counted for each queue: each for the queue it ranks first."""
    counted: dict[str, list[int]] = {}
    for window in windows:
        if window.number in open_numbers:
            counted.setdefault(first_queue(window), []).append(window.number)
    return counted


def moves(
    windows: Sequence[WindowSpec], open_numbers: set[int], needed: Mapping[str, int], queue_order: Sequence[str]
) -> list[Move]:
    """Which open windows to move from a queue with windows to spare to one short of them
    (module docstring)."""
    counted = {queue: list(numbers) for queue, numbers in assigned(windows, open_numbers).items()}
    by_number = {window.number: window for window in windows}
    order = {queue: index for index, queue in enumerate(queue_order)}
    moved: set[int] = set()
    result: list[Move] = []

    def spare(queue: str) -> int:
        return len(counted.get(queue, [])) - needed.get(queue, 0)

    while True:
        short = sorted((q for q in queue_order if spare(q) < 0), key=lambda q: (spare(q), order[q]))
        chosen: Move | None = None
        for to_queue in short:
            candidates = [
                (-spare(from_queue), rank_for(by_number[number], to_queue) or 10, number, from_queue)
                for from_queue, numbers in counted.items()
                if from_queue != to_queue and spare(from_queue) > 0
                for number in numbers
                if number not in moved and by_number[number].serves_queue(to_queue)
            ]
            if candidates:
                _, _, number, from_queue = min(candidates)
                chosen = Move(number, from_queue, to_queue)
                break
        if chosen is None:
            return result
        counted[chosen.from_queue].remove(chosen.window)
        counted.setdefault(chosen.to_queue, []).append(chosen.window)
        moved.add(chosen.window)
        result.append(chosen)
