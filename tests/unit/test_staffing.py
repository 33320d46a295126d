"""Erlang C (`domain.staffing`): textbook values, properties, and pyworkforce's figures."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from queue_server.domain import staffing
from queue_server.domain.errors import InvalidInput
from queue_server.domain.staffing import Demand


def _erlang_c_by_factorials(windows: int, load: float) -> float:
    """The closed form, for small cases only: a^c/c! * c/(c-a) over the same plus sum a^k/k!."""
    top = load**windows / math.factorial(windows) * windows / (windows - load)
    return top / (sum(load**k / math.factorial(k) for k in range(windows)) + top)


def test_one_window_waits_with_the_probability_of_being_busy() -> None:
    # M/M/1: P(wait) = rho, mean wait = rho * h / (1 - rho), P(wait > t) = rho e^{-(1-rho) t/h}
    demand = Demand(arrivals_per_hour=6, handling_minutes=7.5)  # rho = 0.75
    assert staffing.probability_of_waiting(demand, 1) == pytest.approx(0.75)
    assert staffing.average_speed_of_answer(demand, 1) == pytest.approx(0.75 * 7.5 / 0.25)
    assert staffing.service_level(demand, 1, 10) == pytest.approx(1 - 0.75 * math.exp(-0.25 * 10 / 7.5))
    assert staffing.occupancy(demand, 1) == pytest.approx(0.75)


def test_two_windows_at_one_erlang_wait_a_third_of_the_time() -> None:
    assert staffing.probability_of_waiting(Demand(12, 5), 2) == pytest.approx(1 / 3)


def test_erlang_b_table_value() -> None:
    # the Erlang B table: 10 Erlangs offered to 10 servers lose 21.46 %
    assert staffing.erlang_b(10, 10.0) == pytest.approx(0.21458, abs=5e-6)


@pytest.mark.parametrize("windows,load", [(3, 2.5), (8, 6.2), (15, 12.0), (30, 27.5)])
def test_erlang_c_equals_the_closed_form(windows: int, load: float) -> None:
    demand = Demand(arrivals_per_hour=load * 60 / 4, handling_minutes=4)
    assert staffing.probability_of_waiting(demand, windows) == pytest.approx(_erlang_c_by_factorials(windows, load))


def test_large_loads_stay_finite() -> None:
    demand = Demand(arrivals_per_hour=30_000, handling_minutes=6)  # 3000 Erlangs: 3000! overflows a float
    waiting = staffing.probability_of_waiting(demand, 3050)
    assert 0 < waiting < 1
    needed = staffing.windows_needed(demand, 0.5, 0.8)
    assert 3000 < needed < 3100
    assert staffing.service_level(demand, needed, 0.5) >= 0.8 > staffing.service_level(demand, needed - 1, 0.5)


def test_overloaded_windows_never_catch_up() -> None:
    demand = Demand(arrivals_per_hour=20, handling_minutes=6)  # 2 Erlangs
    assert staffing.probability_of_waiting(demand, 2) == 1.0
    assert staffing.service_level(demand, 2, 15) == 0.0
    assert staffing.average_speed_of_answer(demand, 1) == math.inf
    assert staffing.occupancy(demand, 1) == 1.0


def test_no_arrivals_need_one_window_and_nobody_waits() -> None:
    demand = Demand(arrivals_per_hour=0, handling_minutes=6)
    assert staffing.probability_of_waiting(demand, 1) == 0.0
    assert staffing.windows_needed(demand, 15, 0.8) == 1


def test_the_occupancy_cap_adds_windows() -> None:
    demand = Demand(arrivals_per_hour=60, handling_minutes=9)  # 9 Erlangs
    free = staffing.windows_needed(demand, 15, 0.8)
    capped = staffing.windows_needed(demand, 15, 0.8, max_occupancy=0.7)
    assert capped == max(free, math.ceil(9 / 0.7))
    assert staffing.occupancy(demand, capped) <= 0.7 < staffing.occupancy(demand, capped - 1)


def test_advice_says_how_many_short_or_spare() -> None:
    demand = Demand(arrivals_per_hour=40, handling_minutes=12)
    needed = staffing.windows_needed(demand, 15, 0.8)
    short = staffing.advise(demand, needed - 2, 15, 0.8)
    assert (short.needed, short.difference) == (needed, -2)
    spare = staffing.advise(demand, needed + 1, 15, 0.8)
    assert spare.difference == 1 and spare.service_level is not None and spare.service_level >= 0.8
    none = staffing.advise(demand, 0, 15, 0.8)
    assert (none.difference, none.service_level, none.average_wait_minutes) == (-needed, None, None)


@pytest.mark.parametrize(
    "call,field",
    [
        (lambda: Demand(-1, 5), "arrivals_per_hour"),
        (lambda: Demand(math.nan, 5), "arrivals_per_hour"),
        (lambda: Demand(10, 0), "handling_minutes"),
        (lambda: Demand(10, math.inf), "handling_minutes"),
        (lambda: staffing.probability_of_waiting(Demand(10, 5), 0), "windows"),
        (lambda: staffing.service_level(Demand(10, 5), 2, -1), "target_minutes"),
        (lambda: staffing.windows_needed(Demand(10, 5), 15, 0), "service_level"),
        (lambda: staffing.windows_needed(Demand(10, 5), 15, 1.5), "service_level"),
        (lambda: staffing.windows_needed(Demand(10, 5), 15, 0.8, max_occupancy=0), "max_occupancy"),
        (lambda: staffing.advise(Demand(10, 5), -1, 15, 0.8), "windows"),
    ],
)
def test_impossible_inputs_name_their_field(call, field: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as raised:
        call()
    assert raised.value.extra["field"] == field


demands = st.builds(
    Demand,
    arrivals_per_hour=st.floats(min_value=0.1, max_value=2000),
    handling_minutes=st.floats(min_value=0.5, max_value=60),
)
targets = st.floats(min_value=0, max_value=60)
levels = st.floats(min_value=0.05, max_value=0.99)


@given(demands, st.integers(min_value=1, max_value=2100), targets)
def test_more_windows_never_lower_the_service_level(demand: Demand, windows: int, target: float) -> None:
    assert staffing.service_level(demand, windows + 1, target) >= staffing.service_level(demand, windows, target)


@given(demands, targets, levels)
def test_the_advised_number_meets_the_target_and_one_fewer_does_not(
    demand: Demand, target: float, level: float
) -> None:
    needed = staffing.windows_needed(demand, target, level)
    assert staffing.service_level(demand, needed, target) >= level
    if needed > 1:
        assert staffing.service_level(demand, needed - 1, target) < level


# ---- pyworkforce, an independent implementation ------------------------------------------

ARRIVALS = [3, 12, 30, 75, 160, 400]
HANDLING = [2.5, 6, 11, 20]
TARGETS = [1, 5, 15, 30]


@pytest.mark.parametrize("arrivals", ARRIVALS)
@pytest.mark.parametrize("handling", HANDLING)
@pytest.mark.parametrize("target", TARGETS)
def test_figures_equal_pyworkforce(arrivals: float, handling: float, target: float) -> None:
    from pyworkforce.queuing import ErlangC

    theirs = ErlangC(transactions=arrivals, aht=handling, asa=target, interval=60)
    demand = Demand(arrivals, handling)
    for level, cap in [(0.8, 1.0), (0.9, 1.0), (0.8, 0.85)]:
        needed = staffing.windows_needed(demand, target, level, max_occupancy=cap)
        their = theirs.required_positions(service_level=level, max_occupancy=cap)
        # pyworkforce starts its search at round(load + 1), above the fewest when the
        # load's fraction is 0.5 or more; there it can only answer its starting point
        their_start = round(demand.load + 1)
        assert their["raw_positions"] == max(needed, their_start)
        assert theirs.service_level(needed) >= level
        assert theirs.achieved_occupancy(needed) <= cap + 1e-12
        for windows in (needed, needed + 1, needed + 3):
            assert staffing.probability_of_waiting(demand, windows) == pytest.approx(
                theirs.waiting_probability(windows), rel=1e-9
            )
            assert staffing.service_level(demand, windows, target) == pytest.approx(
                theirs.service_level(windows), rel=1e-9, abs=1e-12
            )
            assert staffing.occupancy(demand, windows) == pytest.approx(theirs.achieved_occupancy(windows))
