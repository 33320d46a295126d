"""Reports (`GET …/reports/{kind}`, docs/reports.md) over a real SQLite file and the test
clock: a day with issues, calls, a no-show, a transfer, a cancellation, pauses and ratings
across two clerks at two windows. Every figure the reports give is checked against what
the test works out itself by replaying the hall's event log (not the reports' SQL)."""

from __future__ import annotations

import csv
import io
import json
import math
import sqlite3
import zoneinfo
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote

import pytest

from queue_server.domain import clock as clocks
from tests.conftest import Api, Clock
from tests.integration.test_review_cases import validate

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
DAY = "2026-11-23"  # the test clock's Monday
GOOD, BAD = {"very_satisfied", "satisfied"}, {"dissatisfied", "very_dissatisfied"}


def _serve(clerk: Api, window: int, clock: Clock, minutes: int) -> dict[str, Any]:
    called = clerk.post(f"/halls/demo/windows/{window}/call-next")
    clerk.post(f"/halls/demo/windows/{window}/start-service")
    clock.now += timedelta(minutes=minutes)
    clerk.post(f"/halls/demo/windows/{window}/finish-service", {"outcome": "accepted"})
    return called  # type: ignore[no-any-return]


@pytest.fixture
def day(app, login, clock):  # type: ignore[no-untyped-def]
    """The day's work; returns the manager's Api."""
    guide, clerk1, clerk2 = login("guide"), login("clerk1"), login("clerk2")
    clerk1.post("/halls/demo/windows/1/open-window")
    clock.now += timedelta(minutes=1)
    clerk2.post("/halls/demo/windows/2/open-window")
    tickets = []
    for n in range(7):
        body = {"item": "construction-permit"} if n % 3 == 0 else {"queue": "comprehensive"}
        tickets.append(guide.post("/halls/demo/tickets", body, status=201))
        clock.now += timedelta(minutes=2)
    phone = Api(app.test_client())
    _serve(clerk1, 1, clock, 4)  # the 1st, rated very satisfied
    phone.post(f"/t/{tickets[0]['ref']}/rating", {"level": "very_satisfied"}, status=201)
    clerk2.post("/halls/demo/windows/2/call-next")  # the 2nd, sent on to 公安户政 after 3 minutes
    clerk2.post("/halls/demo/windows/2/start-service")
    clock.now += timedelta(minutes=3)
    clerk2.post("/halls/demo/windows/2/transfer", {"to_queue": "household", "reason": "户籍业务"})
    clock.now += timedelta(minutes=1)
    clerk1.post("/halls/demo/windows/1/call-next")  # the 3rd does not come
    clock.now += timedelta(minutes=2)
    clerk1.post("/halls/demo/windows/1/mark-no-show")
    clerk1.post("/halls/demo/windows/1/pause-window", {"reason": "午休"})
    clock.now += timedelta(minutes=30)
    clerk1.post("/halls/demo/windows/1/resume-window")
    guide.post(f"/halls/demo/tickets/{tickets[6]['id']}/cancel", {"reason": "群众主动放弃"})
    _serve(clerk2, 2, clock, 6)  # the 4th: 不满意
    phone.post(f"/t/{tickets[3]['ref']}/rating", {"level": "dissatisfied"}, status=201)
    clock.now += timedelta(minutes=1)
    _serve(clerk1, 1, clock, 9)  # the 5th: satisfied
    phone.post(f"/t/{tickets[4]['ref']}/rating", {"level": "satisfied"}, status=201)
    clerk2.post("/halls/demo/windows/2/pause-window", {"reason": "取材料"})
    clock.now += timedelta(minutes=5)
    clerk2.post("/halls/demo/windows/2/resume-window")
    _serve(clerk2, 2, clock, 2)  # the 6th: not rated
    clock.now += timedelta(minutes=3)
    clerk2.post("/halls/demo/windows/2/close-window")
    clerk1.post("/halls/demo/windows/1/pause-window", {"reason": ""})  # still paused when the report runs
    clock.now += timedelta(minutes=10)
    return login("manager")


# ---- what the event log says, worked out here ---------------------------------------------


def _log(store) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    with sqlite3.connect(store.path) as db:
        db.row_factory = sqlite3.Row
        rows = db.execute("SELECT * FROM events WHERE hall_id = 1 ORDER BY seq").fetchall()
        return [{**dict(row), "data": json.loads(row["data"]), "at": clocks.parse_iso(row["at"])} for row in rows]


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def _minutes(seconds: float) -> float:
    return round(seconds / 60, 1)


def _replay(log: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    """Per queue, window and clerk, and each clerk's attendance, from the log alone."""
    tickets: dict[int, dict[str, Any]] = {}
    per_window: dict[int, dict[str, Any]] = defaultdict(lambda: defaultdict(list))
    per_clerk: dict[int, dict[str, Any]] = defaultdict(lambda: defaultdict(list))
    at_window: dict[int, dict[str, Any]] = {}  # ticket -> its current stay
    opened: dict[int, tuple[int, datetime]] = {}  # window -> (clerk, since)
    paused: dict[int, tuple[str, datetime]] = {}
    attendance: dict[int, dict[str, Any]] = defaultdict(lambda: {"on": 0.0, "pauses": [], "in": None, "out": None})
    transfers: dict[str, int] = defaultdict(int)
    no_shows: dict[str, int] = defaultdict(int)

    def stay_ended(ticket_id: int, event: dict[str, Any], how: str) -> None:
        stay = at_window.pop(ticket_id)
        for group in (per_window[stay["window"]], per_clerk[stay["clerk"]]):
            group[how].append(1)
            if how == "served":
                group["handling"].append((event["at"] - stay["started"]).total_seconds())

    for event in log:
        kind, tid, data = event["type"], event["ticket_id"], event["data"]
        if kind == "ticket_issued":
            queue = data["ticket"]["queue"]
            tickets[tid] = {
                "origin": queue,
                "queue": queue,
                "issued": event["at"],
                "called": None,
                "end": None,
                "handling": 0.0,
                "no_shows": 0,
            }
        elif kind == "ticket_called":
            ticket = tickets[tid]
            window = event["window"]
            first = ticket["called"] is None
            if first:
                ticket["called"] = event["at"]
            at_window[tid] = {"window": window, "clerk": event["clerk_id"], "started": None}
            for group in (per_window[window], per_clerk[event["clerk_id"]]):
                group["called"].append(1)
                if first:
                    group["waits"].append((event["at"] - ticket["issued"]).total_seconds())
        elif kind == "service_started":
            at_window[tid]["started"] = event["at"]
        elif kind == "service_finished":
            stay = at_window[tid]
            tickets[tid]["handling"] += (event["at"] - stay["started"]).total_seconds()
            tickets[tid]["end"] = "done"
            stay_ended(tid, event, "served")
        elif kind == "ticket_transferred":
            stay = at_window[tid]
            tickets[tid]["handling"] += (event["at"] - stay["started"]).total_seconds()
            tickets[tid]["queue"] = data["to_queue"]
            transfers[data["from_queue"]] += 1
            stay_ended(tid, event, "transferred")
        elif kind == "ticket_no_show":
            no_shows[data["ticket"]["queue"]] += 1
            stay_ended(tid, event, "no_shows")
        elif kind == "ticket_cancelled":
            tickets[tid]["end"] = "cancelled"
        elif kind == "window_opened":
            opened[event["window"]] = (event["clerk_id"], event["at"])
            record = attendance[event["clerk_id"]]
            record["in"] = record["in"] or event["at"]
        elif kind == "window_paused":
            paused[event["window"]] = (event["reason"] or "（未填原因）", event["at"])
        elif kind in ("window_resumed", "window_closed"):
            clerk = opened[event["window"]][0]
            if event["window"] in paused:
                reason, since = paused.pop(event["window"])
                attendance[clerk]["pauses"].append((reason, (event["at"] - since).total_seconds()))
            if kind == "window_closed":
                clerk, since = opened.pop(event["window"])
                attendance[clerk]["on"] += (event["at"] - since).total_seconds()
                attendance[clerk]["out"] = event["at"]
    for window, (clerk, since) in opened.items():  # still signed in: up to now
        attendance[clerk]["on"] += (now - since).total_seconds()
        attendance[clerk]["out"] = None
        if window in paused:
            reason, at = paused.pop(window)
            attendance[clerk]["pauses"].append((reason, (now - at).total_seconds()))
    return {
        "tickets": tickets,
        "windows": per_window,
        "clerks": per_clerk,
        "attendance": attendance,
        "transfers": transfers,
        "no_shows": no_shows,
    }


def _ratings(store) -> dict[int, str]:  # type: ignore[no-untyped-def]
    """Each rated ticket's level, from the log's rating events."""
    return {
        event["ticket_id"]: event["data"]["rating"]["level"]
        for event in _log(store)
        if event["type"] == "rating_recorded"
    }


def _row(report: dict[str, Any], key: Any) -> dict[str, Any]:
    return next(row for row in report["rows"] if row["key"] == key)


def _ratings_of(log: list[dict[str, Any]], field: str) -> dict[Any, list[str]]:
    """The levels given, by the rated ticket's queue, window or clerk number, from the log."""
    found: dict[Any, list[str]] = defaultdict(list)
    for event in log:
        if event["type"] == "rating_recorded":
            found[event["data"]["rating"][field]].append(event["data"]["rating"]["level"])
    return found


def _check_ratings(row: dict[str, Any], levels: list[str]) -> None:
    for level in ("very_satisfied", "satisfied", "basic", "dissatisfied", "very_dissatisfied"):
        assert row[level] == levels.count(level), level
    good, bad = sum(v in GOOD for v in levels), sum(v in BAD for v in levels)
    assert (row["rated"], row["good"], row["bad"]) == (len(levels), good, bad)
    assert row["figures"]["good_rate"] == {
        "numerator": good,
        "denominator": len(levels),
        "rate": round(good / len(levels), 4) if levels else None,
    }
    assert row["figures"]["bad_rate"]["numerator"] == bad and row["good_rate"] == row["figures"]["good_rate"]["rate"]


def _check_spread(row: dict[str, Any], prefix: str, values: list[float]) -> None:
    if not values:
        assert row[f"{prefix}_avg_minutes"] is None
        return
    assert row[f"{prefix}_avg_minutes"] == _minutes(sum(values) / len(values)), prefix
    assert row[f"{prefix}_p90_minutes"] == _minutes(_p90(values)), prefix


def test_each_report_of_a_day_equals_what_the_event_log_says(day, store, clock):  # type: ignore[no-untyped-def]
    manager = day
    log = _log(store)
    replay = _replay(log, clock.now)
    tickets = replay["tickets"].values()
    assert replay["transfers"] and replay["no_shows"] and any(t["end"] == "cancelled" for t in tickets)

    queues = manager.get(f"/halls/demo/reports/queues?day={DAY}")
    validate(queues, "Report")
    assert queues["period"] == {"unit": "day", "label": DAY, "from": DAY, "to": DAY}
    by_queue = _ratings_of(log, "queue")
    for code in ("comprehensive", "household"):
        row = _row(queues, code)
        assert row["issued"] == sum(t["origin"] == code for t in tickets)
        assert row["served"] == sum(t["queue"] == code and t["end"] == "done" for t in tickets)
        assert row["cancelled"] == sum(t["queue"] == code and t["end"] == "cancelled" for t in tickets)
        assert row["no_shows"] == replay["no_shows"].get(code, 0)
        assert row["transferred"] == replay["transfers"].get(code, 0)
        _check_spread(
            row,
            "wait",
            [(t["called"] - t["issued"]).total_seconds() for t in tickets if t["origin"] == code and t["called"]],
        )
        _check_spread(row, "handling", [t["handling"] for t in tickets if t["queue"] == code and t["end"] == "done"])
        _check_ratings(row, by_queue.get(code, []))

    windows = manager.get(f"/halls/demo/reports/windows?day={DAY}")
    clerks = manager.get(f"/halls/demo/reports/clerks?day={DAY}")
    by_window, by_clerk = _ratings_of(log, "window"), _ratings_of(log, "clerk_number")
    numbers = {4: "CLERK1", 5: "CLERK2"}  # the clerks' user ids in the test instance
    for report, groups, ratings, key in (
        (windows, replay["windows"], by_window, lambda k: k),
        (clerks, replay["clerks"], by_clerk, lambda k: numbers[k]),
    ):
        assert len(groups) == 2
        for group_key, group in groups.items():
            row = _row(report, key(group_key))
            for column in ("called", "served", "no_shows", "transferred"):
                assert row[column] == len(group[column]), column
            _check_spread(row, "wait", group["waits"])
            _check_spread(row, "handling", group["handling"])
            _check_ratings(row, ratings.get(key(group_key), []))

    attendance = manager.get(f"/halls/demo/reports/attendance?day={DAY}")
    review = manager.get(f"/halls/demo/reports/clerk-review?month={DAY[:7]}")
    assert review["period"] == {"unit": "month", "label": "2026-11", "from": "2026-11-01", "to": "2026-11-30"}
    for clerk_id, record in replay["attendance"].items():
        row = _row(attendance, numbers[clerk_id])
        assert row["day"] == DAY
        assert row["first_sign_in"] == record["in"].astimezone(SHANGHAI).strftime("%H:%M:%S")
        assert row["last_sign_out"] == (
            record["out"].astimezone(SHANGHAI).strftime("%H:%M:%S") if record["out"] else None
        )
        assert row["on_window_minutes"] == _minutes(record["on"])
        paused = sum(seconds for _, seconds in record["pauses"])
        assert (row["pauses"], row["pause_minutes"]) == (len(record["pauses"]), _minutes(paused))
        assert row["working_minutes"] == _minutes(record["on"] - paused)
        for reason, _seconds in record["pauses"]:
            assert f"{reason} " in row["pause_reasons"]
        monthly = _row(review, numbers[clerk_id])
        assert monthly["days_on_duty"] == 1 and monthly["pauses"] == len(record["pauses"])
        assert monthly["served"] == len(replay["clerks"][clerk_id]["served"])
        _check_ratings(monthly, by_clerk.get(numbers[clerk_id], []))
    # clerk2's 不满意 opened a 差评 case, counted against clerk2 in the review
    assert _row(review, "CLERK2")["cases"] == 1 and _row(review, "CLERK1")["cases"] == 0
    assert "午休 1次 30.0分钟" in _row(attendance, "CLERK1")["pause_reasons"]

    # the items report counts the same served tickets, each under the items it was served for
    items = manager.get(f"/halls/demo/reports/items?day={DAY}")
    permit = _row(items, "construction-permit")
    assert permit["issued"] == 3 and permit["name"] == "建筑工程施工许可证核发"
    assert sum(row["served"] for row in items["rows"]) >= _row(queues, "comprehensive")["served"]


def test_the_csv_opens_in_excel_with_chinese_headers_and_a_chinese_file_name(day):  # type: ignore[no-untyped-def]
    manager = day
    response = manager.client.get(f"/api/v1/halls/demo/reports/queues?day={DAY}&format=csv", headers=manager.headers)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel looks for
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:4] == ["队列编码", "队列", "取号数", "办结数"] and "好评率" in rows[0]
    by_code = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    as_json = _row(manager.get(f"/halls/demo/reports/queues?day={DAY}"), "comprehensive")
    assert by_code["comprehensive"]["取号数"] == str(as_json["issued"])
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="demo-queues-2026-11-23.csv"')
    chinese = unquote(disposition.split("filename*=UTF-8''", 1)[1])
    assert chinese == "示范区政务服务中心-队列统计-2026-11-23.csv"
    # Accept: text/csv asks the same
    accepted = manager.client.get(
        "/api/v1/halls/demo/reports/attendance?month=2026-11", headers={**manager.headers, "Accept": "text/csv"}
    )
    assert accepted.mimetype == "text/csv" and accepted.get_data().decode("utf-8-sig").startswith("日期,工号,姓名")


@pytest.mark.parametrize(
    ("query", "field", "status"),
    [
        ("queues?day=2026-13-01", "day", 422),
        ("queues?day=yesterday", "day", 422),
        ("queues?month=2026-1", "month", 422),
        ("queues", "month", 422),
        ("queues?day=2026-11-23&month=2026-11", "day", 422),
        ("queues?day=2026-11-23&format=xlsx", "format", 422),
        ("queues?day=2026-11-23&by=x", "by", 422),
        ("sales?day=2026-11-23", "kind", 404),
    ],
    ids=["bad-day", "word-day", "bad-month", "neither", "both", "format", "unknown-field", "kind"],
)
def test_a_bad_period_or_kind_is_a_problem_naming_the_field(login, query, field, status):  # type: ignore[no-untyped-def]
    problem = login("manager").get(f"/halls/demo/reports/{query}", status=status)
    assert problem["field"] == field and problem["detail"]


def test_who_may_read_reports(login):  # type: ignore[no-untyped-def]
    for who in ("guide", "clerk1"):
        assert login(who).get(f"/halls/demo/reports/queues?day={DAY}", status=403)["code"] == "forbidden"
    assert login("admin").get(f"/halls/demo/reports/clerks?day={DAY}")["rows"] == []
