"""Staffing advice: Erlang C for a queue served by identical windows (docs/staffing.md).

Citizens arrive at `arrivals_per_hour` (Poisson), each takes `handling_minutes` on
average at a window (exponential), and the windows serve one shared line first come first
served (M/M/c). With `load = arrivals_per_hour * handling_minutes / 60` (in Erlangs) and
`windows` servers:

- `probability_of_waiting`: Erlang C, the share of citizens who wait at all;
- `service_level(target)`: the share who wait no longer than `target_minutes`,
  `1 - C * exp(-(windows - load) * target / handling)`;
- `average_speed_of_answer`: the mean wait in minutes, `C * handling / (windows - load)`;
- `occupancy`: the share of the windows' time spent serving, `load / windows`;
- `windows_needed`: the fewest windows meeting a service level with occupancy at most a cap.

Erlang C is computed from the Erlang B recursion (`B(0) = 1`, `B(n) = a B(n-1) / (n + a B(n-1))`),
never from factorials or powers, so it stays finite for loads of thousands of Erlangs.
Pure: no I/O, no clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from queue_server.domain.errors import InvalidInput

MAX_WINDOWS = 10_000  # the search for enough windows gives up beyond this many


@dataclass(frozen=True)
class Demand:
    """One queue's traffic: arrivals per hour and the mean handling time in minutes."""

    arrivals_per_hour: float
    handling_minutes: float

    def __post_init__(self) -> None:
        _finite_at_least(self.arrivals_per_hour, 0.0, "arrivals_per_hour")
        _finite_positive(self.handling_minutes, "handling_minutes")

    @property
    def load(self) -> float:
        """The offered load in Erlangs: windows kept busy on average."""
        return self.arrivals_per_hour * self.handling_minutes / 60.0


def _finite_at_least(value: float, low: float, field: str) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value) or value < low:
        raise InvalidInput(f"{field} 必须是不小于 {low:g} 的有限数", field=field)


def _finite_positive(value: float, field: str) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value) or value <= 0:
        raise InvalidInput(f"{field} 必须是大于 0 的有限数", field=field)


def _windows(windows: int) -> int:
    if not isinstance(windows, int) or isinstance(windows, bool) or windows < 1:
        raise InvalidInput("windows 必须是不小于 1 的整数", field="windows")
    return windows


def _target(target_minutes: float) -> float:
    _finite_at_least(target_minutes, 0.0, "target_minutes")
    return float(target_minutes)


def _share(value: float, field: str) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or not (0 < value <= 1):
        raise InvalidInput(f"{field} 必须在 0 与 1 之间（不含 0）", field=field)
    return float(value)


def erlang_b(windows: int, load: float) -> float:
    """The share of arrivals that would find every window busy if they left (Erlang B)."""
    _windows(windows)
    _finite_at_least(load, 0.0, "load")
    blocking = 1.0
    for n in range(1, windows + 1):
        blocking = load * blocking / (n + load * blocking)
    return blocking


def probability_of_waiting(demand: Demand, windows: int) -> float:
    """Erlang C: the share of citizens who find every window busy and wait. 1 when the
    windows cannot keep up (load at or above their number): the line grows without end."""
    _windows(windows)
    load = demand.load
    if load >= windows:
        return 1.0
    if load == 0:
        return 0.0
    blocking = erlang_b(windows, load)
    return windows * blocking / (windows - load * (1.0 - blocking))


def service_level(demand: Demand, windows: int, target_minutes: float) -> float:
    """The share of citizens who wait at most `target_minutes` (0 when overloaded)."""
    target = _target(target_minutes)
    load = demand.load
    if load >= windows:
        _windows(windows)
        return 0.0
    waiting = probability_of_waiting(demand, windows)
    return max(0.0, 1.0 - waiting * math.exp(-(windows - load) * target / demand.handling_minutes))


def average_speed_of_answer(demand: Demand, windows: int) -> float:
    """The mean wait in minutes over all citizens (infinite when overloaded)."""
    load = demand.load
    if load >= _windows(windows):
        return math.inf
    return probability_of_waiting(demand, windows) * demand.handling_minutes / (windows - load)


def occupancy(demand: Demand, windows: int) -> float:
    """The share of the windows' time spent serving (capped at 1: busy all the time)."""
    return min(1.0, demand.load / _windows(windows))


def windows_needed(demand: Demand, target_minutes: float, target_level: float, max_occupancy: float = 1.0) -> int:
    """The fewest windows (at least 1) whose service level reaches `target_level` for a
    wait of `target_minutes` and whose occupancy is at most `max_occupancy`."""
    target = _target(target_minutes)
    level = _share(target_level, "service_level")
    cap = _share(max_occupancy, "max_occupancy")
    start = max(1, math.floor(demand.load / cap))
    for windows in range(start, MAX_WINDOWS + 1):
        if demand.load / windows <= cap and service_level(demand, windows, target) >= level:
            return windows
    raise InvalidInput(f"需要超过 {MAX_WINDOWS} 个窗口，无法给出建议", field="arrivals_per_hour")


@dataclass(frozen=True)
class Advice:
    """What Erlang C says of one queue served by `windows` windows now."""

    windows: int  # serving now
    needed: int  # the fewest meeting the target
    service_level: float | None  # with the windows serving now (None: none serving)
    average_wait_minutes: float | None  # likewise; None also when overloaded
    occupancy: float | None

    @property
    def difference(self) -> int:
        """Windows serving minus windows needed: negative is short, positive is spare."""
        return self.windows - self.needed


def advise(
    demand: Demand, windows: int, target_minutes: float, target_level: float, max_occupancy: float = 1.0
) -> Advice:
    needed = windows_needed(demand, target_minutes, target_level, max_occupancy)
    if windows < 0:
        raise InvalidInput("windows 不能为负", field="windows")
    if windows == 0:
        return Advice(0, needed, None, None, None)
    speed = average_speed_of_answer(demand, windows)
    return Advice(
        windows,
        needed,
        service_level(demand, windows, target_minutes),
        speed if math.isfinite(speed) else None,
        occupancy(demand, windows),
    )


# ---- the hall's own target (`[hall.staffing]` in the hall file) -----------------------

MAX_TARGET_MINUTES = 480.0  # a working day
MIN_LEVEL, MAX_LEVEL = 0.01, 0.99  # 100 % is never reached while anyone arrives
MIN_OCCUPANCY = 0.5
MAX_HISTORY_WEEKS = 12


@dataclass(frozen=True)
class StaffingSettings:
    """The hall's target (a request may override the first two), the busiest the windows
    may be kept, and how many past weeks of the same weekday the forecast reads."""

    target_minutes: float = 15.0
    service_level: float = 0.8
    max_occupancy: float = 1.0
    history_weeks: int = 6
