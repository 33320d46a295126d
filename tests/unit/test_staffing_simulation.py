"""The staffing advice checked by a discrete-event simulation (SimPy): a queue with
Poisson arrivals and exponential handling served first come first served by the windows
Erlang C advises meets the target service level, and by one window fewer does not.

Each run simulates RUN citizens with a fixed seed, drops the first WARM_UP (the windows
start idle) and measures the share called within the target. The tolerance: that share
is a mean of correlated yes/no outcomes; its standard error, estimated by batch means
(BATCHES consecutive batches, whose means are close to independent), was at most 0.011
over these cases, so TOLERANCE = 0.03 is about three standard errors — and each run checks
its own standard error stays under a third of it, i.e. that it was long enough. The
cases are chosen so that Erlang C's figure is more than TOLERANCE from the target on
both sides (advised and one fewer): a verdict the simulation cannot reverse by noise.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Iterator

import pytest
import simpy

from queue_server.domain import staffing

RUN, WARM_UP, BATCHES = 60_000, 2_000, 20
TOLERANCE = 0.03
SEED = 20261201


def simulate(arrivals_per_hour: float, handling_minutes: float, windows: int, seed: int) -> list[float]:
    """The waits in minutes of RUN citizens at an M/M/c queue."""
    env = simpy.Environment()
    rng = random.Random(seed)
    desk = simpy.Resource(env, capacity=windows)
    waits: list[float] = []

    def citizen() -> Iterator[object]:
        arrived = env.now
        with desk.request() as turn:
            yield turn
            waits.append(env.now - arrived)
            yield env.timeout(rng.expovariate(1 / handling_minutes))

    def arrivals() -> Iterator[object]:
        for _ in range(RUN):
            yield env.timeout(rng.expovariate(arrivals_per_hour / 60))
            env.process(citizen())

    env.process(arrivals())
    env.run()
    return waits[WARM_UP:]


def measured(waits: list[float], target_minutes: float) -> tuple[float, float]:
    """The share called within the target, and its batch-means standard error."""
    within = [wait <= target_minutes for wait in waits]
    size = len(within) // BATCHES
    means = [sum(within[i * size : (i + 1) * size]) / size for i in range(BATCHES)]
    return sum(within) / len(within), statistics.stdev(means) / BATCHES**0.5


CASES = [
    # arrivals per hour, handling minutes, target minutes, service level
    pytest.param(4, 10, 15, 0.8, id="a quiet queue: one window is not enough, two are"),
    pytest.param(40, 10, 2, 0.85, id="ten windows at 6.7 Erlangs"),
    pytest.param(100, 3, 1, 0.9, id="quick services, a one-minute target"),
]


@pytest.mark.parametrize("arrivals,handling,target,level", CASES)
def test_the_advised_windows_meet_the_target_and_one_fewer_do_not(
    arrivals: float, handling: float, target: float, level: float
) -> None:
    demand = staffing.Demand(arrivals, handling)
    advised = staffing.windows_needed(demand, target, level)
    assert advised - 1 > demand.load, "one fewer can still keep up: a real queue, not an overflowing one"
    for windows, meets in ((advised, True), (advised - 1, False)):
        predicted = staffing.service_level(demand, windows, target)
        assert abs(predicted - level) > TOLERANCE, "the case leaves the simulation room for its noise"
        share, error = measured(simulate(arrivals, handling, windows, SEED + windows), target)
        assert error < TOLERANCE / 3, f"{windows} windows: the run is too short to judge ({error:.4f})"
        assert share == pytest.approx(predicted, abs=TOLERANCE), f"{windows} windows"
        assert (share >= level) is meets, f"{windows} windows: {share:.3f} called within {target} min"
