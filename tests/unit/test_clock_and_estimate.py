"""Service days, issuing hours and wait estimates."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime

import pytest

from queue_server.cli import demo_hall_toml
from queue_server.domain import clock
from queue_server.domain.estimate import average_handling_minutes, naive_wait_minutes
from queue_server.domain.hall import HallSpec, parse_hall


@pytest.fixture(scope="module")
def hall() -> HallSpec:
    return parse_hall(tomllib.loads(demo_hall_toml(always_open=False)))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("rollover", "moment", "day"),
    [
        ("03:00", utc(2026, 11, 23, 15, 59, 59), "2026-11-23"),  # 23:59:59 in Shanghai
        ("03:00", utc(2026, 11, 23, 18, 59, 59), "2026-11-23"),  # 02:59:59: still the evening's day
        ("03:00", utc(2026, 11, 23, 19, 0, 0), "2026-11-24"),  # 03:00: a new day, numbers restart
        ("00:00", utc(2026, 11, 23, 15, 59, 59), "2026-11-23"),
        ("00:00", utc(2026, 11, 23, 16, 0, 0), "2026-11-24"),  # a hall that turns at midnight
    ],
    ids=["evening", "before-rollover", "at-rollover", "midnight-before", "midnight-at"],
)
def test_the_service_day_turns_at_the_halls_rollover(rollover: str, moment: datetime, day: str) -> None:
    data = tomllib.loads(demo_hall_toml(always_open=False))
    data["hall"]["rollover"] = rollover
    hall = parse_hall(data)
    assert clock.service_day(moment, hall).isoformat() == day
    assert clock.next_rollover(moment, hall) > moment
    assert clock.service_day(clock.next_rollover(moment, hall), hall) > clock.service_day(moment, hall)


def test_closed_dates_and_make_up_workdays_come_from_the_calendar() -> None:
    data = tomllib.loads(demo_hall_toml(always_open=False))
    data["hall"]["calendar"] = {"closed": ["2026-11-23"], "workdays": ["2026-11-29"], "workday_hours": "mon"}
    hall = parse_hall(data)
    queue = hall.queue("social-insurance")
    assert not clock.is_issuing(queue, hall, utc(2026, 11, 23, 2, 0))  # a Monday the hall closes
    assert clock.is_issuing(queue, hall, utc(2026, 11, 29, 2, 0))  # a Sunday made a working day (调休)
    assert clock.issuing_hours(queue, hall, datetime(2026, 11, 29).date()) == hall.hours["mon"]


@pytest.mark.parametrize(
    ("queue", "moment", "issuing"),
    [
        ("comprehensive", utc(2026, 11, 23, 0, 29), False),  # Mon 08:29
        ("comprehensive", utc(2026, 11, 23, 0, 30), True),  # Mon 08:30, its own early issuing hours
        ("comprehensive", utc(2026, 11, 23, 3, 30), False),  # Mon 11:30, lunch break
        ("comprehensive", utc(2026, 11, 23, 5, 0), True),  # Mon 13:00
        ("social-insurance", utc(2026, 11, 23, 0, 45), False),  # Mon 08:45: follows hall hours from 09:00
        ("social-insurance", utc(2026, 11, 28, 2, 0), True),  # Sat 10:00: Saturday service
        ("social-insurance", utc(2026, 11, 28, 6, 0), False),  # Sat 14:00: mornings only
        ("comprehensive", utc(2026, 11, 29, 2, 0), False),  # Sunday: closed all day
    ],
    ids=[
        "before-issuing",
        "issuing-opens",
        "lunch",
        "afternoon",
        "before-hall-opens",
        "saturday",
        "saturday-afternoon",
        "sunday",
    ],
)
def test_issuing_hours(hall: HallSpec, queue: str, moment: datetime, issuing: bool) -> None:
    assert clock.is_issuing(hall.queue(queue), hall, moment) is issuing


def test_an_always_open_hall_issues_on_sunday_night() -> None:
    hall = parse_hall(tomllib.loads(demo_hall_toml(always_open=True)))
    assert clock.is_issuing(hall.queue("comprehensive"), hall, utc(2026, 11, 29, 18, 0))


def test_iso_round_trip() -> None:
    moment = utc(2026, 11, 23, 2, 0, 0)
    assert clock.iso(moment) == "2026-11-23T02:00:00.000Z"
    assert clock.parse_iso(clock.iso(moment)) == moment


@pytest.mark.parametrize(
    ("ahead", "avg", "open_", "total", "minutes"),
    [(0, 10, 2, 2, 0), (4, 10, 2, 2, 20), (5, 12, 0, 3, 20), (1, 7.5, 4, 4, 2)],
    ids=["first-in-line", "two-windows", "none-open-uses-configured", "rounds-up"],
)
def test_the_naive_baseline(ahead: int, avg: float, open_: int, total: int, minutes: int) -> None:
    """The old rule, now only the baseline bench/eta.py measures the predictor against
    (tests/unit/test_estimate.py checks the predictor)."""
    assert naive_wait_minutes(ahead, avg, open_, total) == minutes


def test_average_uses_today_once_a_few_are_done() -> None:
    assert average_handling_minutes(2, 100, 12) == 12
    assert average_handling_minutes(4, 4 * 300, 12) == 5
