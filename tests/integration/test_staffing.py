"""Staffing advice (`GET …/staffing`, docs/staffing.md) over a real SQLite file and the
test clock: the arrivals and handling it reads equal what the test counts itself."""

from __future__ import annotations

import sqlite3
import zoneinfo
from datetime import datetime, time, timedelta

import pytest
from flask import Flask

from queue_server.domain import staffing
from queue_server.domain.access import OPERATOR
from queue_server.services import Services
from tests.conftest import Clock
from tests.integration.test_ratings import serve
from tests.integration.test_review_cases import FRIDAY_10AM_SHANGHAI, hall_with_calendar, validate

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
ISSUING_FROM = (8, 30)  # the demo's comprehensive queue issues from 08:30 (and 13:00-16:30)


@pytest.fixture
def friday(app: Flask, clock: Clock, services: Services) -> Clock:
    """Friday 10:00 in the demo hall, with its real issuing hours (not always open)."""
    clock.now = FRIDAY_10AM_SHANGHAI
    services.import_hall(OPERATOR, hall_with_calendar(), clock.now)
    return clock


@pytest.fixture
def staff(login, friday):  # type: ignore[no-untyped-def]
    """The guide, clerk1 at window 1 and clerk2 at window 2."""
    guide, clerk1, clerk2 = login("guide"), login("clerk1"), login("clerk2")
    clerk1.post("/halls/demo/windows/1/open-window")
    clerk2.post("/halls/demo/windows/2/open-window")
    return guide, clerk1, clerk2


def _hours_issuing(now: datetime) -> float:
    local = now.astimezone(SHANGHAI)
    opened = local.replace(hour=ISSUING_FROM[0], minute=ISSUING_FROM[1], second=0, microsecond=0)
    return (local - opened).total_seconds() / 3600


def _queue(advice: dict, code: str) -> dict:  # type: ignore[type-arg]
    return next(q for q in advice["queues"] if q["code"] == code)


def test_advice_counts_todays_arrivals_and_handling_and_says_how_many_windows_are_short(  # type: ignore[no-untyped-def]
    app, staff, login, friday, store
):
    guide, clerk1, _ = staff
    manager = login("manager")
    serving = next(q for q in manager.get("/halls/demo/catalogue")["queues"] if q["code"] == "comprehensive")
    open_now = sorted(w for w in serving["windows"] if w in (1, 2))

    # two citizens served in the first quarter hour: too few to trust today's handling
    for _ in range(2):
        serve(guide, clerk1, 1, friday)
    early = manager.get("/halls/demo/staffing")
    validate(early, "StaffingAdvice")
    comprehensive = _queue(early, "comprehensive")
    assert comprehensive["handling_from_recent"] is False and comprehensive["average_handling_minutes"] == 12
    assert comprehensive["issued"] == 2 and comprehensive["finished"] == 2

    # then an hour's worth: six more served, and a rush of tickets left waiting
    for _ in range(6):
        serve(guide, clerk1, 1, friday)
    for _ in range(14):
        guide.post("/halls/demo/tickets", {"queue": "comprehensive"}, status=201)
        friday.now += timedelta(minutes=1)
    advice = manager.get("/halls/demo/staffing?target_minutes=2&service_level=0.95")
    validate(advice, "StaffingAdvice")

    # what the test counts itself, from the SQLite file
    with sqlite3.connect(store.path) as db:
        issued = db.execute(
            "SELECT count(*) FROM tickets WHERE origin_queue = 'comprehensive' AND service_day = '2026-11-27'"
        ).fetchone()[0]
        finished, seconds = db.execute(
            "SELECT count(*), sum(v.handling_seconds) FROM visits v JOIN tickets t ON t.id = v.ticket_id "
            "WHERE t.queue = 'comprehensive' AND v.ending = 'finished'"
        ).fetchone()
    assert (issued, finished) == (22, 8), "the test issued 22 tickets and finished 8"
    assert friday.now.astimezone(SHANGHAI).time() < time(11, 30), "still in the morning's issuing hours"
    hours = _hours_issuing(friday.now)
    arrivals, handling = issued / hours, seconds / finished / 60
    assert handling == pytest.approx(5), "each visit was started and finished five minutes apart"

    comprehensive = _queue(advice, "comprehensive")
    assert comprehensive["issued"] == issued and comprehensive["finished"] == finished
    assert comprehensive["issuing_hours"] == pytest.approx(hours, abs=1e-4)
    assert comprehensive["arrivals_per_hour"] == pytest.approx(arrivals, abs=1e-4)
    assert comprehensive["average_handling_minutes"] == pytest.approx(handling, abs=1e-4)
    assert comprehensive["handling_from_recent"] is True
    assert comprehensive["windows_open"] == open_now
    demand = staffing.Demand(arrivals, handling)
    needed = staffing.windows_needed(demand, 2, 0.95)
    assert staffing.service_level(demand, needed, 2) >= 0.95 > staffing.service_level(demand, needed - 1, 2)
    assert needed > len(open_now), "so strict a target wants more windows than are open"
    assert comprehensive["windows_needed"] == needed
    assert comprehensive["difference"] == len(open_now) - needed
    assert comprehensive["service_level"] == pytest.approx(staffing.service_level(demand, len(open_now), 2), abs=1e-4)

    # a queue nobody came to still needs one window
    quiet = _queue(advice, "reflection")
    assert quiet["issued"] == 0 and quiet["arrivals_per_hour"] == 0 and quiet["windows_needed"] == 1


@pytest.mark.parametrize(
    "query,field",
    [
        ("service_level=1", "service_level"),
        ("service_level=0", "service_level"),
        ("service_level=abc", "service_level"),
        ("target_minutes=-5", "target_minutes"),
        ("target_minutes=481", "target_minutes"),
        ("target_minutes=nan", "target_minutes"),
        ("target=15", "target"),
    ],
)
def test_bad_targets_are_refused_naming_the_field(login, friday, query: str, field: str) -> None:  # type: ignore[no-untyped-def]
    problem = login("manager").get(f"/halls/demo/staffing?{query}", status=422)
    assert problem["field"] == field


def test_clerks_may_not_read_the_advice(login, friday) -> None:  # type: ignore[no-untyped-def]
    login("clerk1").get("/halls/demo/staffing", status=403)
