"""The staffing forecast and moves (`domain.staffing_plan`): hours covered, the blend of
history and today at its edges, and which windows move where."""

from __future__ import annotations

from datetime import time

import pytest

from queue_server.domain.hall import TimeRange, WindowQueue, WindowSpec
from queue_server.domain.staffing_plan import Move, assigned, forecast, moves, overlap_hours

MORNING = (TimeRange(time(8, 30), time(11, 30)),)


@pytest.mark.parametrize(
    "ranges,hour,until,hours",
    [
        pytest.param(MORNING, 8, None, 0.5, id="from half past"),
        pytest.param(MORNING, 9, None, 1.0, id="a whole hour"),
        pytest.param(MORNING, 11, None, 0.5, id="to half past"),
        pytest.param(MORNING, 12, None, 0.0, id="after"),
        pytest.param(MORNING, 9, time(9, 15), 0.25, id="cut at now"),
        pytest.param((TimeRange(time(22, 0), time(0, 0)),), 23, None, 1.0, id="to midnight"),
    ],
)
def test_overlap_hours(ranges: tuple[TimeRange, ...], hour: int, until: time | None, hours: float) -> None:
    assert overlap_hours(ranges, hour, until) == pytest.approx(hours)


ISSUING = {8: 0.5, 9: 1.0, 10: 1.0, 11: 0.5}


def test_at_opening_the_forecast_is_history_alone() -> None:
    plan = forecast({8: 4, 9: 10, 10: 6}, 2, ISSUING, {8: 0.0}, 0)
    assert plan.weight == 0 and plan.pace is None
    assert plan.rates[8] == pytest.approx(2 / 0.5) and plan.rates[9] == pytest.approx(5) and plan.rates[11] == 0


def test_by_closing_the_forecast_is_history_scaled_by_todays_pace() -> None:
    history = {8: 4, 9: 10, 10: 6}  # two days: 2, 5 and 3 a day
    plan = forecast(history, 2, ISSUING, dict(ISSUING), 20)  # today twice a usual day
    assert plan.weight == pytest.approx(1) and plan.pace == pytest.approx(2)
    assert plan.rates[9] == pytest.approx(10) and plan.rates[8] == pytest.approx(8)


def test_without_history_every_issuing_hour_gets_todays_average() -> None:
    plan = forecast({}, 0, ISSUING, {8: 0.5, 9: 1.0}, 6)  # six tickets in an hour and a half
    assert not plan.from_history
    assert [plan.rates[hour] for hour in (8, 9, 10, 11, 12)] == pytest.approx([4, 4, 4, 4, 0])
    assert forecast({}, 0, ISSUING, {}, 0).rates[9] == 0, "before issuing: nothing to go by"


def _window(number: int, *serves: tuple[str, int]) -> WindowSpec:
    return WindowSpec(number, f"{number}号窗口", "1f", tuple(WindowQueue(q, r) for q, r in serves))


WINDOWS = [
    _window(1, ("a", 1)),
    _window(2, ("a", 1), ("b", 2)),
    _window(3, ("b", 1), ("a", 3)),
    _window(4, ("b", 1), ("a", 2)),
    _window(5, ("c", 1)),
    _window(6, ("c", 1), ("b", 2)),
]
ORDER = ["a", "b", "c"]


def test_each_open_window_counts_for_the_queue_it_ranks_first() -> None:
    assert assigned(WINDOWS, {1, 2, 3, 4, 5}) == {"a": [1, 2], "b": [3, 4], "c": [5]}


def test_the_window_ranking_the_short_queue_best_moves_and_a_window_moves_once() -> None:
    # a needs 4 (has 2), b needs 0 (has 3, 4), c needs 1 (has 5, 6)
    proposed = moves(WINDOWS, {1, 2, 3, 4, 5, 6}, {"a": 4, "b": 0, "c": 1}, ORDER)
    assert proposed == [Move(4, "b", "a"), Move(3, "b", "a")], "4 ranks a second, 3 third; 6 may not serve a"


def test_a_window_whose_file_does_not_list_the_short_queue_never_moves() -> None:
    assert moves(WINDOWS, {1, 5}, {"a": 3, "c": 0}, ORDER) == []


def test_a_queue_gives_only_what_it_can_spare_and_chains_are_not_made() -> None:
    # b is short; c has 5 and 6 but needs both: nothing moves
    assert moves(WINDOWS, {5, 6}, {"b": 1, "c": 2}, ORDER) == []
    # c can spare one: 6 goes to b
    assert moves(WINDOWS, {5, 6}, {"b": 1, "c": 1}, ORDER) == [Move(6, "c", "b")]
