"""The wait predictor (domain/estimate.py, docs/estimates.md): the hall's calls played
forward the way routing makes them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from queue_server.domain.estimate import (
    DEFAULT_SETTINGS,
    LAST_PLACE,
    Arrivals,
    LastPlay,
    Prediction,
    WaitingTicket,
    WindowNow,
    _linked,
    between_plays,
    handling_minutes,
    predict,
    predict_ticket,
    whole_minutes,
)

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
CAPS = {"a": 2, "b": 2}


def ticket(n: int, queue: str = "a", priority: bool = False, target: int | None = None) -> WaitingTicket:
    return WaitingTicket(n, queue, priority, f"{n:06d}", target)


def window(number: int, status: str = "open", **ranks: int) -> WindowNow:
    return WindowNow(number, ranks or {"a": 1}, status, since=NOW)


def minutes(tickets: list[WaitingTicket], windows: list[WindowNow], **more: object) -> dict[int, float]:
    handling = more.pop("handling", {"a": 10.0, "b": 5.0})
    found = predict(tickets, windows, handling, NOW, caps=CAPS, **more)  # type: ignore[arg-type]
    return {n: p.minutes for n, p in found.tickets.items()}


# ---- the two cases the issue names --------------------------------------------------------


def test_a_pregnant_citizen_behind_five_is_told_she_is_next() -> None:
    """Issue 10: told 5 ahead / 30 minutes, she was called first."""
    line = [ticket(n) for n in range(1, 6)] + [ticket(6, priority=True)]
    found = predict(line, [window(1)], {"a": 6.0}, NOW, caps=CAPS).tickets
    assert found[6] == Prediction(minutes=0.0, ahead=0)
    assert found[1] == Prediction(minutes=6.0, ahead=1)  # the first ordinary one now goes second


def test_three_quick_services_do_not_make_five_people_a_minute() -> None:
    """Issue 10: after three finished tickets of a minute each, five people ahead were
    estimated at 1 minute; the configured 12 still weighs as five services."""
    handling = handling_minutes([1.0, 1.0, 1.0], configured=12)
    assert handling == pytest.approx((5 * 12 + 3) / 8)
    found = predict([ticket(n) for n in range(1, 7)], [window(1)], {"a": handling}, NOW).tickets
    assert found[6].ahead == 5 and found[6].minutes == pytest.approx(5 * handling)
    assert whole_minutes(found[6]) >= 39


def test_the_handling_time_follows_the_day_once_many_are_done() -> None:
    assert handling_minutes([], 12) == 12
    assert handling_minutes([4.0] * 200, 12) == pytest.approx((5 * 12 + 20 * 4) / 25)  # the last 20 only


# ---- windows, ranks, hours -----------------------------------------------------------------


def test_a_busy_window_comes_free_when_its_service_should_end() -> None:
    busy = WindowNow(1, {"a": 1}, "open", since=NOW, busy_queue="a", busy_since=NOW - timedelta(minutes=4))
    assert minutes([ticket(1)], [busy]) == {1: 6.0}
    running_long = WindowNow(1, {"a": 1}, "open", since=NOW, busy_queue="a", busy_since=NOW - timedelta(minutes=30))
    assert minutes([ticket(1)], [running_long]) == {1: 10 * DEFAULT_SETTINGS.least_remaining_share}


def test_a_paused_window_counts_from_the_end_of_a_usual_pause() -> None:
    paused = WindowNow(1, {"a": 1}, "paused", since=NOW - timedelta(minutes=4))
    assert minutes([ticket(1)], [paused]) == {1: DEFAULT_SETTINGS.usual_pause_minutes - 4}


def test_closed_windows_count_only_when_no_window_serves_the_line() -> None:
    line = [ticket(n) for n in range(1, 4)]
    assert minutes(line, [window(1, "closed"), window(2, "closed")]) == {1: 0.0, 2: 0.0, 3: 10.0}
    assert minutes(line, [window(1), window(2, "closed")]) == {1: 0.0, 2: 10.0, 3: 20.0}


def test_closed_windows_are_expected_at_the_start_of_a_session() -> None:
    """Clerks still arriving in the first minutes of a session count; a window still
    closed later in it counts from the next session (after lunch)."""
    line = [ticket(n) for n in range(1, 4)]
    windows = [window(1), window(2, "closed")]
    just_opened = [
        (NOW - timedelta(minutes=5), NOW + timedelta(hours=2)),
        (NOW + timedelta(hours=3), NOW + timedelta(hours=7)),
    ]
    assert minutes(line, windows, hours=just_opened) == {1: 0.0, 2: 0.0, 3: 10.0}
    later = [
        (NOW - timedelta(minutes=30), NOW + timedelta(minutes=15)),
        (NOW + timedelta(hours=1), NOW + timedelta(hours=5)),
    ]
    assert minutes(line, windows, hours=later) == {1: 0.0, 2: 10.0, 3: 60.0}  # 3: window 2 after lunch


def test_a_window_takes_its_first_rank_queue_first() -> None:
    shared = window(1, a=2, b=1)
    assert minutes([ticket(1, "a"), ticket(2, "b"), ticket(3, "b")], [shared]) == {2: 0.0, 3: 5.0, 1: 10.0}


def test_a_ticket_sent_to_a_window_goes_there_first() -> None:
    found = minutes([ticket(1), ticket(2, target=2)], [window(1), window(2, b=1)])
    assert found == {1: 0.0, 2: 0.0}


def test_no_window_starts_a_ticket_over_lunch() -> None:
    lunch = [
        (NOW - timedelta(hours=1), NOW + timedelta(minutes=15)),
        (NOW + timedelta(hours=3), NOW + timedelta(hours=7)),
    ]
    found = minutes([ticket(n) for n in range(1, 4)], [window(1)], hours=lunch)
    assert found == {1: 0.0, 2: 10.0, 3: 180.0}


def test_a_ticket_taken_now_queues_behind_everyone_and_moves_nobody() -> None:
    line = [ticket(1), ticket(2, priority=True)]
    alone = predict(line, [window(1)], {"a": 10.0}, NOW, caps=CAPS)
    asked = predict(line, [window(1)], {"a": 10.0}, NOW, caps=CAPS, new_ticket_queues=["a", "b"])
    assert asked.tickets == alone.tickets
    assert asked.new_ticket["a"] == Prediction(minutes=20.0, ahead=2)
    # no window at all serves b: a figure all the same, one service from now
    assert asked.new_ticket["b"].minutes == 10.0


# ---- properties ----------------------------------------------------------------------------

QUEUES = ("a", "b")
tickets_strategy = st.lists(st.tuples(st.sampled_from(QUEUES), st.booleans()), min_size=1, max_size=25).map(
    lambda drawn: [WaitingTicket(n + 1, q, p, f"{n:06d}") for n, (q, p) in enumerate(drawn)]
)
windows_strategy = st.lists(
    st.tuples(
        st.sampled_from(["open", "paused", "closed"]),
        st.dictionaries(st.sampled_from(QUEUES), st.integers(1, 2), min_size=1),
        st.integers(0, 20),
    ),
    min_size=1,
    max_size=5,
).map(
    lambda drawn: [
        WindowNow(n + 1, ranks, status, since=NOW - timedelta(minutes=ago))
        for n, (status, ranks, ago) in enumerate(drawn)
    ]
)
handling_strategy = st.fixed_dictionaries({q: st.floats(1, 30) for q in QUEUES})
caps_strategy = st.fixed_dictionaries({q: st.integers(0, 3) for q in QUEUES})


def serving_every_queue(windows: list[WindowNow]) -> list[WindowNow]:
    """The drawn windows plus one open window at rank 1 of every queue, so that no line
    falls back to the configured (closed) windows."""
    return [*windows, WindowNow(99, dict.fromkeys(QUEUES, 1), "open", since=NOW)]


# Windows that each serve one queue. Where windows share queues at ranks, one more window
# can make someone wait longer — routing's own anomaly, which the hall would live too: a
# window that takes a priority ticket of queue b earlier moves b's streak, and a ticket
# of a is then held back (Hypothesis finds such cases in a few draws). So the two
# properties below are claimed for dedicated windows, where they hold.
dedicated_windows = st.lists(
    st.tuples(st.sampled_from(["open", "paused", "closed"]), st.sampled_from(QUEUES), st.integers(0, 20)),
    min_size=1,
    max_size=5,
).map(
    lambda drawn: (
        [
            WindowNow(n + 1, {queue: 1}, status, since=NOW - timedelta(minutes=ago))
            for n, (status, queue, ago) in enumerate(drawn)
        ]
        + [WindowNow(90 + i, {queue: 1}, "open", since=NOW) for i, queue in enumerate(QUEUES)]
    )
)


@settings(max_examples=150, deadline=None)
@given(tickets_strategy, dedicated_windows, handling_strategy, caps_strategy, st.sampled_from(QUEUES))
def test_opening_a_window_never_makes_anyone_wait_longer(tickets, windows, handling, caps, queue) -> None:  # type: ignore[no-untyped-def]
    before = predict(tickets, windows, handling, NOW, caps=caps).tickets
    after = predict(tickets, [*windows, WindowNow(50, {queue: 1}, "open")], handling, NOW, caps=caps).tickets
    for n, prediction in after.items():
        assert prediction.minutes <= before[n].minutes + 1e-9, (n, prediction, before[n])


@settings(max_examples=150, deadline=None)
@given(tickets_strategy, dedicated_windows, handling_strategy, caps_strategy, st.data())
def test_pausing_a_window_never_makes_anyone_wait_less(tickets, windows, handling, caps, data) -> None:  # type: ignore[no-untyped-def]
    which = data.draw(st.sampled_from(range(len(windows))))
    paused = [
        WindowNow(w.number, w.ranks, "paused", since=NOW) if i == which and w.status == "open" else w
        for i, w in enumerate(windows)
    ]
    before = predict(tickets, windows, handling, NOW, caps=caps).tickets
    after = predict(tickets, paused, handling, NOW, caps=caps).tickets
    for n, prediction in after.items():
        assert prediction.minutes >= before[n].minutes - 1e-9


@settings(max_examples=150, deadline=None)
@given(tickets_strategy, windows_strategy, handling_strategy, caps_strategy)
def test_the_first_priority_ticket_of_a_queue_is_told_no_later_than_its_ordinary_ones(
    tickets, windows, handling, caps
) -> None:  # type: ignore[no-untyped-def]
    found = predict(tickets, serving_every_queue(windows), handling, NOW, caps=caps).tickets
    for queue in QUEUES:
        if caps[queue] == 0:
            continue  # priority is off in this queue: everyone is ordinary
        first = next((t for t in tickets if t.queue == queue and t.priority), None)
        if first is None:
            continue
        for other in tickets:
            if other.queue == queue and not other.priority:
                assert found[first.id].minutes <= found[other.id].minutes + 1e-9


@settings(max_examples=100, deadline=None)
@given(tickets_strategy, windows_strategy, handling_strategy, caps_strategy)
def test_every_waiting_ticket_gets_a_figure_and_the_line_keeps_its_order(tickets, windows, handling, caps) -> None:  # type: ignore[no-untyped-def]
    found = predict(tickets, windows, handling, NOW, caps=caps).tickets
    assert set(found) == {t.id for t in tickets}
    for queue in QUEUES:
        for priority in (False, True):
            line = [found[t.id].minutes for t in tickets if t.queue == queue and t.priority == priority]
            assert line == sorted(line)  # within one line, first come, first called


arrivals_strategy = st.dictionaries(
    st.sampled_from(QUEUES), st.builds(Arrivals, st.floats(0.05, 2.0), st.sampled_from([0.0, 0.2])), max_size=2
)


@settings(max_examples=300, deadline=None)
@given(tickets_strategy, windows_strategy, handling_strategy, caps_strategy, arrivals_strategy, st.data())
def test_a_ticket_taken_now_played_on_from_the_halls_play_is_told_what_its_own_play_tells(
    tickets, windows, handling, caps, arrivals, data
) -> None:  # type: ignore[no-untyped-def]
    """`new_ticket` (what the kiosks show for each queue) is played on from the hall's own
    play where it can be: the same figure as a play of its own, over the windows linked
    to its queue and their tickets, with it at the end of its line."""
    sent = data.draw(st.sets(st.sampled_from([t.id for t in tickets])))  # some sent to window 1 (转窗口)
    tickets = [WaitingTicket(t.id, t.queue, t.priority, t.place, 1 if t.id in sent else None) for t in tickets]
    asked = predict(tickets, windows, handling, NOW, caps=caps, arrivals=arrivals, new_ticket_queues=QUEUES)
    for queue in QUEUES:
        numbers, queues = _linked(queue, windows)
        own = predict(
            [
                *(t for t in tickets if t.queue in queues or t.target_window in numbers),
                WaitingTicket(0, queue, False, LAST_PLACE),
            ],
            [w for w in windows if w.number in numbers],
            handling,
            NOW,
            caps=caps,
            arrivals={q: a for q, a in arrivals.items() if q in queues},
        )
        assert asked.new_ticket[queue] == own.tickets[0], queue


@settings(max_examples=300, deadline=None)
@given(tickets_strategy, windows_strategy, handling_strategy, caps_strategy, arrivals_strategy, st.data())
def test_one_tickets_figure_played_alone_is_the_one_the_halls_play_gives(
    tickets, windows, handling, caps, arrivals, data
) -> None:  # type: ignore[no-untyped-def]
    """`predict_ticket` (the figure printed on a ticket just issued) plays only the
    windows linked to the ticket's line, until it is called: the same figure as `predict`."""
    sent = data.draw(st.sets(st.sampled_from([t.id for t in tickets])))
    target = data.draw(st.sampled_from([1, 2, 7]))  # 7: a window the hall does not have
    tickets = [WaitingTicket(t.id, t.queue, t.priority, t.place, target if t.id in sent else None) for t in tickets]
    whole = predict(tickets, windows, handling, NOW, caps=caps, arrivals=arrivals).tickets
    for t in tickets:
        assert predict_ticket(t.id, tickets, windows, handling, NOW, caps=caps, arrivals=arrivals) == whole[t.id], t


@settings(max_examples=200, deadline=None)
@given(tickets_strategy, windows_strategy, handling_strategy, caps_strategy, arrivals_strategy, st.sampled_from(QUEUES))
def test_a_ticket_issued_right_after_the_halls_play_gets_its_own_figure_from_it(
    tickets, windows, handling, caps, arrivals, queue
) -> None:  # type: ignore[no-untyped-def]
    """Nothing changed since the play: the figure `between_plays` gives a ticket just issued
    at the end of its line is the one its own play gives (where a window serves its queue)."""
    hall = predict(tickets, windows, handling, NOW, caps=caps, arrivals=arrivals, new_ticket_queues=QUEUES)
    waiting = {q: sum(1 for t in tickets if t.queue == q) for q in QUEUES}
    last = LastPlay("2026-11-23", NOW, hall.new_ticket, hall.pace, waiting)
    issued = WaitingTicket(10_000, queue, False, LAST_PLACE)
    own = predict_ticket(issued.id, [*tickets, issued], windows, handling, NOW, caps=caps, arrivals=arrivals)
    if any(queue in w.ranks for w in windows):
        assert between_plays(last, queue, waiting[queue] + 1, NOW) == own
    else:  # no window serves it: its own play counts from the hall's last call
        assert between_plays(last, queue, waiting[queue] + 1, NOW) is None


def test_between_plays_counts_the_time_since_and_the_tickets_issued_since() -> None:
    taken_then = Prediction(minutes=30.0, ahead=3)
    last = LastPlay("2026-11-23", NOW, {"a": taken_then}, {"a": 10.0}, {"a": 3})
    later = NOW + timedelta(seconds=30)
    assert between_plays(last, "a", 4, NOW) == taken_then
    assert between_plays(last, "a", 6, later) == Prediction(minutes=49.5, ahead=5)  # two more ahead, half a minute on
    assert between_plays(last, "a", 3, later) == Prediction(minutes=29.5, ahead=2)  # one was called since
    assert between_plays(last, "a", 1, NOW + timedelta(hours=1)) == Prediction(minutes=0.0, ahead=0)
    assert between_plays(last, "b", 1, NOW) is None  # the play had no figure for b
