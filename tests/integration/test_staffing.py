"""Staffing advice (`GET …/staffing`, docs/staffing.md) over a real SQLite file and the
test clock: the arrivals and handling it reads equal what the test counts itself; the
forecast from tickets written on past weekdays equals the documented blend computed here
from the tickets the test issued; the moves name the window and its clerk and keep to
the hall file's `serves`; the weeks of history are read through an index, off the hub."""

from __future__ import annotations

import sqlite3
import zoneinfo
from datetime import datetime, time, timedelta

import pytest
from flask import Flask

from queue_server import auth
from queue_server.domain import staffing
from queue_server.domain.access import OPERATOR, Role
from queue_server.services import Services
from tests.conftest import PASSWORD, Clock
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


# ---- the forecast from the same weekday's history, and the moves -------------------------

# Fridays: two past ones (history) and "today"; a Wednesday between that must not count
PAST_FRIDAYS = ("2026-11-27", "2026-12-04")
WEDNESDAY, TODAY = "2026-12-09", "2026-12-11"
# tickets first issued to each queue: (service day, local time, queue, how many)
ISSUED = (
    ("2026-11-27", "08:40", "comprehensive", 2),
    ("2026-11-27", "09:10", "comprehensive", 3),
    ("2026-11-27", "10:20", "comprehensive", 4),
    ("2026-11-27", "13:30", "comprehensive", 2),
    ("2026-11-27", "09:15", "real-estate", 1),
    ("2026-12-04", "08:50", "comprehensive", 4),
    ("2026-12-04", "09:30", "comprehensive", 1),
    ("2026-12-04", "10:05", "comprehensive", 2),
    ("2026-12-04", "14:10", "comprehensive", 3),
    ("2026-12-09", "09:00", "comprehensive", 5),
    ("2026-12-11", "08:45", "comprehensive", 3),
    ("2026-12-11", "09:20", "comprehensive", 3),
)
NOW_TODAY = "09:40"
# the demo's comprehensive queue issues 08:30-11:30 and 13:00-16:30: hours of each clock hour
ISSUING = {8: 0.5, 9: 1.0, 10: 1.0, 11: 0.5, 13: 1.0, 14: 1.0, 15: 1.0, 16: 0.5}
HALL_HOURS_AHEAD = ["09:00", "10:00", "11:00", "13:00", "14:00", "15:00", "16:00"]  # opens 9-12, 13-17
STAFFING_SECTION = "[hall.staffing]\ntarget_minutes = 10\nservice_level = 0.9\nhistory_weeks = 4\n\n"


def _at(day: str, hhmm: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}:00").replace(tzinfo=SHANGHAI)


@pytest.fixture
def weeks(app: Flask, clock: Clock, services: Services, login):  # type: ignore[no-untyped-def]
    """The demo hall (with a staffing target in its file) and the tickets of ISSUED, each
    issued at its time on the test clock; three visits finished on the Wednesday, five
    minutes each. Leaves the clock at 09:40 on the last Friday."""
    clock.now = _at(PAST_FRIDAYS[0], "08:00")
    hall_file = hall_with_calendar().replace("[hall.appointments]", STAFFING_SECTION + "[hall.appointments]", 1)
    services.import_hall(OPERATOR, hall_file, clock.now)
    for day, hhmm, queue, count in ISSUED:
        clock.now = _at(day, hhmm)
        guide = login("guide")  # a sign-in lasts a working day
        for _ in range(count):
            guide.post("/halls/demo/tickets", {"queue": queue}, status=201)
        if day == WEDNESDAY:
            clerk = login("clerk1")
            clerk.post("/halls/demo/windows/1/open-window")
            for _ in range(3):
                serve(guide, clerk, 1, clock)
            clerk.post("/halls/demo/windows/1/close-window")
    clock.now = _at(TODAY, NOW_TODAY)
    return clock


def test_the_forecast_blends_the_same_weekdays_history_with_today_as_documented(  # type: ignore[no-untyped-def]
    login, weeks, store
):
    manager = login("manager")
    advice = manager.get("/halls/demo/staffing")
    validate(advice, "StaffingAdvice")
    assert (advice["target_minutes"], advice["service_level"]) == (10, 0.9), "the hall file's target"
    assert advice["hall_target"] == {"target_minutes": 10, "service_level": 0.9}
    assert advice["hours"] == HALL_HOURS_AHEAD

    # what the test counts from what it issued: per past Friday and hour, then the mean
    with sqlite3.connect(store.path) as db:
        days = [d for (d,) in db.execute("SELECT DISTINCT service_day FROM tickets ORDER BY 1")]
    assert days == [*PAST_FRIDAYS, WEDNESDAY, TODAY], "each ticket carries the day it was issued on"
    history: dict[int, float] = {}
    for day, hhmm, queue, count in ISSUED:
        if day in PAST_FRIDAYS and queue == "comprehensive":
            hour = int(hhmm[:2])
            history[hour] = history.get(hour, 0) + count / len(PAST_FRIDAYS)
    today = sum(count for day, _, queue, count in ISSUED if day == TODAY and queue == "comprehensive")
    elapsed = {8: 0.5, 9: 40 / 60}  # 08:30 to 09:40
    whole_day = sum(history.values())
    so_far = sum(history.get(hour, 0) * part / ISSUING[hour] for hour, part in elapsed.items())
    weight, pace = so_far / whole_day, today / so_far
    factor = (1 - weight) + weight * pace
    assert 0 < weight < 1 and pace != 1, "the case tests a blend, not either source alone"
    expected = {hour: history.get(hour, 0) * factor / ISSUING[hour] if hour in ISSUING else 0.0 for hour in range(24)}

    comprehensive = _queue(advice, "comprehensive")
    forecast = comprehensive["forecast"]
    assert forecast["history_days"] == 2 and forecast["from_history"] is True
    assert forecast["history_day_total"] == pytest.approx(whole_day, abs=1e-4)
    assert forecast["history_so_far"] == pytest.approx(so_far, abs=1e-4)
    assert forecast["today_weight"] == pytest.approx(weight, abs=1e-4)
    assert forecast["today_pace"] == pytest.approx(pace, abs=1e-4)
    assert comprehensive["issued"] == today
    assert comprehensive["expected_arrivals_per_hour"] == pytest.approx(expected[9], abs=1e-4)

    # handling: the Wednesday's three five-minute visits (within the last seven days)
    assert comprehensive["recent_finished"] == 3 and comprehensive["finished"] == 0
    assert comprehensive["handling_from_recent"] is True
    assert comprehensive["average_handling_minutes"] == pytest.approx(5)
    for entry in comprehensive["hours"]:
        hour = int(entry["hour"][:2])
        assert entry["arrivals_per_hour"] == pytest.approx(expected[hour], abs=1e-4), entry
        needed = staffing.windows_needed(staffing.Demand(expected[hour], 5), 10, 0.9)
        assert entry["windows_needed"] == needed, entry
    assert [e["hour"] for e in comprehensive["hours"]] == HALL_HOURS_AHEAD

    # a queue whose history holds one ticket and today none: history scaled by today's pace
    estate = _queue(advice, "real-estate")
    assert estate["forecast"]["history_day_total"] == pytest.approx(0.5)
    assert estate["forecast"]["today_pace"] == 0 and estate["expected_arrivals_per_hour"] < 0.5

    # a query's target wins over the file's
    strict = manager.get("/halls/demo/staffing?target_minutes=2&service_level=0.95")
    assert (strict["target_minutes"], strict["service_level"]) == (2, 0.95)
    nine = _queue(strict, "comprehensive")["hours"][0]
    assert nine["windows_needed"] == staffing.windows_needed(staffing.Demand(expected[9], 5), 2, 0.95) > 1


def test_the_arrivals_are_read_through_an_index(store) -> None:  # type: ignore[no-untyped-def]
    """The history read looks tickets up by hall and day: never a scan of the table."""
    with sqlite3.connect(store.path) as db:
        plan = db.execute(
            "EXPLAIN QUERY PLAN SELECT origin_queue, service_day, substr(issued_at, 1, 16) AS minute, count(*) "
            "FROM tickets WHERE hall_id = 1 AND service_day IN ('2026-12-04', '2026-11-27') "
            "GROUP BY origin_queue, service_day, minute"
        ).fetchall()
    details = " ".join(row[3] for row in plan)
    assert "USING INDEX" in details and "SCAN tickets" not in details, details


def test_a_window_that_may_serve_a_short_queue_is_moved_there_and_a_specialised_one_never(  # type: ignore[no-untyped-def]
    login, friday, store
):
    """Open: 1 (comprehensive), 5 and 6 (pickup first; 6 may also serve comprehensive), 12
    and 13 (social insurance only). A rush at comprehensive, nobody at the others: only
    window 6 may go to comprehensive, and it is named with its clerk."""
    for name in ("clerk3", "clerk4", "clerk5"):
        auth.create_user(
            store,
            username=name,
            password=PASSWORD,
            role=Role.CLERK,
            display_name=f"测试{name}",
            hall_code="demo",
            staff_number=name.upper(),
            now=friday.now,
        )
    for name, window in (("clerk1", 1), ("clerk2", 6), ("clerk3", 5), ("clerk4", 12), ("clerk5", 13)):
        login(name).post(f"/halls/demo/windows/{window}/open-window")
    guide = login("guide")
    for _ in range(30):
        guide.post("/halls/demo/tickets", {"queue": "comprehensive"}, status=201)

    advice = login("manager").get("/halls/demo/staffing")
    validate(advice, "StaffingAdvice")
    by_code = {q["code"]: q for q in advice["queues"]}
    assert by_code["comprehensive"]["windows_assigned"] == [1]
    assert by_code["comprehensive"]["windows_open"] == [1, 6], "6 may serve it, at rank 2"
    assert by_code["pickup"]["windows_assigned"] == [5, 6]
    assert by_code["social-insurance"]["windows_assigned"] == [12, 13]
    assert by_code["comprehensive"]["difference"] < -1, "30 tickets in an hour and a half at 12 minutes each"
    assert by_code["pickup"]["difference"] == 1 and by_code["social-insurance"]["difference"] == 1
    assert advice["moves"] == [
        {
            "window": 6,
            "window_name": "出件发证6号窗口",
            "clerk": "测试clerk2",
            "from_queue": "pickup",
            "from_name": "出件发证",
            "to_queue": "comprehensive",
            "to_name": "综合受理",
            "text": "把 6 号窗口（测试clerk2）从 出件发证 调到 综合受理",
        }
    ], "12 and 13 are spare too, but their file lets them serve social insurance only"


def test_the_weeks_of_history_are_read_through_the_offloader(app: Flask, login, friday) -> None:  # type: ignore[no-untyped-def]
    """Under eventlet that runs the read in a real thread: calls and screens go on."""
    services = app.extensions["hall_queue"]["services"]
    offloaded: list[str] = []

    def recording(function, *args, **kwargs):  # type: ignore[no-untyped-def]
        offloaded.append(function.__name__)
        return function(*args, **kwargs)

    services.offload = recording
    login("manager").get("/halls/demo/staffing")
    assert offloaded == ["_arrivals"]
