"""The managers' live dashboard (`GET …/dashboard`, docs/dashboard.md) over a real SQLite
file and the test clock: its figures equal what the test counts from the tickets it made
itself, and the page's reducer (run by Node) turns the morning's figures plus the day's
events, or a mid-day's figures plus the events since, into exactly the evening's."""

from __future__ import annotations

import json
import shutil
import subprocess
import tomllib
import zoneinfo
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Clock
from tests.integration.test_review_cases import validate

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
REPLAY = Path(__file__).parents[1] / "js" / "dashboard-replay.mjs"


def _iso(moment: datetime) -> str:
    return moment.astimezone(zoneinfo.ZoneInfo("UTC")).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _ms(later: datetime, earlier: datetime) -> int:
    return round((later - earlier).total_seconds() * 1000)


def _queue(figures: dict[str, Any], code: str) -> dict[str, Any]:
    return next(q for q in figures["queues"] if q["code"] == code)


def _window(figures: dict[str, Any], number: int) -> dict[str, Any]:
    return next(w for w in figures["windows"] if w["number"] == number)


def comparable(figures: dict[str, Any]) -> dict[str, Any]:
    """What the reducer keeps, in the form it reports it (`figuresOf`)."""
    queue_keys = ["code", "waiting", "waiting_tickets", "issued_by_hour", "served_by_hour", "issued", "served"]
    queue_keys += ["waits", "wait_total_ms", "average_wait_ms", "longest_wait_ms"]
    window_keys = ["number", "status", "state", "clerk", "clerk_number", "ticket", "ticket_id", "ticket_status"]
    window_keys += ["since"]
    return {
        "service_day": figures["service_day"],
        "seq": figures["seq"],
        "notice": figures["notice"],
        "queues": [{key: queue[key] for key in queue_keys} for queue in figures["queues"]],
        "windows": [{key: window[key] for key in window_keys} for window in figures["windows"]],
        "ratings": figures["ratings"],
        "cases": sorted(case["id"] for case in figures["cases"]),
    }


def replay(snapshot: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the dashboard's reducer runs in Node")
    answer = subprocess.run(
        [node, str(REPLAY)],
        input=json.dumps({"snapshot": snapshot, "events": events}),
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return json.loads(answer.stdout)  # type: ignore[no-any-return]


def test_the_figures_are_the_tickets_the_test_made_and_the_reducer_reaches_them_from_any_start(  # type: ignore[no-untyped-def]
    login, device, clock: Clock
):
    manager, guide, clerk1, clerk2 = (login(u) for u in ("manager", "guide", "clerk1", "clerk2"))
    morning = manager.get("/halls/demo/dashboard")
    validate(morning, "Dashboard")
    assert _queue(morning, "comprehensive")["issued"] == 0

    refs: dict[str, str] = {}  # ticket number -> its reference
    issued: dict[str, datetime] = {}  # ticket number -> when the test issued it
    called: dict[str, datetime] = {}  # ticket number -> its first call

    def issue(queue: str = "comprehensive") -> dict[str, Any]:
        ticket = guide.post("/halls/demo/tickets", {"queue": queue}, status=201)
        issued[ticket["number"]] = clock.now
        refs[ticket["number"]] = ticket["ref"]
        clock.now += timedelta(minutes=1)
        return ticket  # type: ignore[no-any-return]

    def call(window: int, clerk: Any) -> str:
        number = clerk.post(f"/halls/demo/windows/{window}/call-next")["ticket"]
        called.setdefault(number, clock.now)
        return number  # type: ignore[no-any-return]

    # 10:00 (Monday, Shanghai): four tickets, one served at window 1, one not there
    for _ in range(3):
        issue()
    issue("real-estate")
    clerk1.post("/halls/demo/windows/1/open-window")
    clock.now += timedelta(minutes=4)
    first = call(1, clerk1)
    clerk1.post("/halls/demo/windows/1/start-service")
    clock.now += timedelta(minutes=5)
    clerk1.post("/halls/demo/windows/1/finish-service", {"outcome": "accepted"})
    finished_at = clock.now
    # the citizen rates it 非常不满意 on the window's pad: a 差评, and its case opens
    device("review_pad").post(
        "/halls/demo/ratings", {"ticket_ref": refs[first], "level": "very_dissatisfied"}, status=201
    )
    clock.now += timedelta(minutes=2)
    second = call(1, clerk1)
    clerk1.post("/halls/demo/windows/1/recall")
    clerk1.post("/halls/demo/windows/1/mark-no-show")  # requeued: back in line, its wait already counted
    idle_since = clock.now
    midday = manager.get("/halls/demo/dashboard")

    # 11:05: two more; window 2 opens and calls, window 1 pauses, the manager cancels one
    clock.now = datetime(2026, 11, 23, 11, 5, tzinfo=SHANGHAI)
    issue()
    last = issue()
    clerk2.post("/halls/demo/windows/2/open-window")
    third = call(2, clerk2)
    serving_since = called[third]
    clock.now += timedelta(minutes=1)
    clerk1.post("/halls/demo/windows/1/pause-window", {"reason": "午间交接"})
    paused_since = clock.now
    manager.post(f"/halls/demo/tickets/{last['id']}/cancel", {"reason": "群众离开"})
    evening = manager.get("/halls/demo/dashboard")
    validate(evening, "Dashboard")

    # the figures, counted here from what the test did
    comprehensive = _queue(evening, "comprehensive")
    a_numbers = [number for number in issued if number.startswith("A")]
    waits = [_ms(called[number], issued[number]) for number in called]
    assert comprehensive["issued_by_hour"][10] == 3 and comprehensive["issued_by_hour"][11] == 2
    assert comprehensive["issued"] == len(a_numbers) == 5
    assert comprehensive["served_by_hour"][finished_at.astimezone(SHANGHAI).hour] == 1
    assert comprehensive["served"] == 1
    assert comprehensive["waits"] == len(called) == 3
    assert comprehensive["wait_total_ms"] == sum(waits)
    assert comprehensive["longest_wait_ms"] == max(waits)
    assert comprehensive["average_wait_ms"] == round(sum(waits) / len(waits))
    still_waiting = sorted(set(a_numbers) - {first, third, last["number"]}, key=lambda n: issued[n])
    assert second in still_waiting
    assert comprehensive["waiting"] == len(still_waiting) == 2
    assert [t["issued_at"] for t in comprehensive["waiting_tickets"]] == [_iso(issued[n]) for n in still_waiting]
    assert _queue(evening, "real-estate")["waiting"] == 1
    assert _queue(evening, "real-estate")["waits"] == 0 and _queue(evening, "real-estate")["average_wait_ms"] is None

    one, two = _window(evening, 1), _window(evening, 2)
    assert (one["state"], one["ticket"], one["since"]) == ("paused", None, _iso(paused_since))
    assert (two["state"], two["ticket"], two["since"]) == ("serving", third, _iso(serving_since))
    assert two["clerk"] == "测试clerk2" and two["clerk_number"] == "CLERK2"
    assert (_window(evening, 3)["state"], _window(evening, 3)["since"]) == ("closed", None)
    assert _window(midday, 1)["state"] == "idle" and _window(midday, 1)["since"] == _iso(idle_since)
    assert evening["ratings"] == {"finished": 1, "rated": 1, "citizen_rated": 1, "good": 0, "bad": 1}
    assert [case["ticket_number"] for case in evening["cases"]] == [first]

    # the page's reducer: from the morning with every event, or from mid-day with the rest
    day_events = manager.get(f"/halls/demo/events?since={morning['seq']}")["events"]
    assert replay(morning, day_events) == comparable(evening)
    later = [event for event in day_events if event["seq"] > midday["seq"]]
    assert replay(midday, later) == comparable(evening)


@pytest.mark.parametrize(
    ("who", "status"),
    [("manager", 200), ("admin", 200), ("guide", 403), ("clerk1", 403), ("other_manager", 403), ("other_admin", 403)],
    ids=["manager", "admin", "guide", "clerk", "another-halls-manager", "another-halls-admin"],
)
def test_only_the_halls_managers_and_administrators_read_it(login, who: str, status: int) -> None:  # type: ignore[no-untyped-def]
    login(who).get("/halls/demo/dashboard", status=status)


def test_devices_are_listed_by_kind_and_a_device_is_refused(login, device) -> None:  # type: ignore[no-untyped-def]
    figures = login("manager").get("/halls/demo/dashboard")
    kinds = {d["kind"] for d in figures["devices"]}
    assert {"hall_screen", "window_screen", "kiosk", "printer", "review_pad"} <= kinds
    assert not any(d["online"] for d in figures["devices"])  # nothing is connected in this test
    device("kiosk").get("/halls/demo/dashboard", status=403)


def test_each_queue_turns_red_at_its_own_long_wait_alert_threshold(login) -> None:  # type: ignore[no-untyped-def]
    """The card's colour and the alert come from one threshold: the hall file's, per queue."""
    from queue_server.cli import demo_hall_toml
    from queue_server.domain.hall import parse_hall

    spec = parse_hall(tomllib.loads(demo_hall_toml(always_open=True)))
    figures = login("manager").get("/halls/demo/dashboard")
    shown = {queue["code"]: queue["wait_threshold_minutes"] for queue in figures["queues"]}
    assert shown == {queue.code: spec.alerts.for_queue(queue.code).long_wait_minutes for queue in spec.queues}
    assert shown["pickup"] == 10 and shown["comprehensive"] == 30  # the demo's override and its hall-wide value
