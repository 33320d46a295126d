"""差评整改 and the 好差评 figures over HTTP and Socket.IO, on a real SQLite file: a 差评
from the pad or the phone opens a case in the rating's transaction, its deadlines on the
hall's calendar; the hall's managers record each step in order; overdue cases come first;
the figures are counted from the records (docs/review-cases.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import jsonschema_rs
import pytest
from flask import Flask
from flask_socketio import SocketIOTestClient

from queue_server import storage
from queue_server.api.openapi import openapi_document
from queue_server.cli import demo_hall_toml
from queue_server.domain import invariants
from queue_server.domain.access import OPERATOR
from queue_server.domain.review_cases import Counts
from queue_server.services import Services
from tests.conftest import Api, Clock
from tests.integration.test_ratings import ack, received, serve, socket

# Friday 2026-11-27, 10:00 in Shanghai; the hall is closed on Monday 11-30
FRIDAY_10AM_SHANGHAI = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
CLOSED_MONDAY = "2026-11-30"
# 1 working day from Friday: not Sat, Sun, nor the closed Monday: Tuesday 12-01, ending at
# its local midnight; 5 working days: Tue, Wed, Thu, Fri, and Monday 12-07
CONTACT_DUE = "2026-12-01T16:00:00.000Z"
FIX_DUE = "2026-12-07T16:00:00.000Z"


def hall_with_calendar() -> str:
    return demo_hall_toml(always_open=False).replace(
        "[hall.appointments]",
        f"[hall.calendar]\nclosed = [{CLOSED_MONDAY}]\n\n"
        '[hall.review_cases]\nconfirm = { days = 2, kind = "natural" }\n\n[hall.appointments]',
        1,
    )


@pytest.fixture
def friday(app: Flask, clock: Clock, services: Services) -> Clock:
    """Friday morning in the demo hall, whose calendar closes the Monday after."""
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


def staff_socket(app: Flask, person: Api) -> SocketIOTestClient:
    """A socket on `person`'s session (signed in at the test's clock)."""
    return app.extensions["socketio"].test_client(app, flask_test_client=person.client)


def phone_rates(app: Flask, ticket: dict[str, Any], level: str) -> None:
    Api(app.test_client()).post(f"/t/{ticket['ref']}/rating", {"level": level, "text": "等了很久"}, status=201)


def check_rules(services: Services) -> None:
    found = invariants.violations(services.hall_state("demo"))
    assert not found, "\n".join(str(v) for v in found)


def validate(answer: Any, schema: str) -> None:
    validator = jsonschema_rs.validator_for({"$ref": f"#/components/schemas/{schema}", **openapi_document()})
    errors = [f"{e.instance_path}: {e.message}" for e in validator.iter_errors(answer)]
    assert not errors, errors


def test_a_bad_rating_from_the_pad_or_the_phone_opens_a_case_with_deadlines_on_the_halls_calendar(  # type: ignore[no-untyped-def]
    app, staff, device, login, friday, services
):
    guide, clerk1, _ = staff
    manager = login("manager")
    manager_socket = staff_socket(app, manager)
    assert ack(manager_socket, "subscribe", {"hall": "demo"})["ok"]
    screen = socket(app, app.config["TEST_TOKENS"]["hall_screen"])
    assert ack(screen, "subscribe", {"hall": "demo"})["ok"]

    by_pad = serve(guide, clerk1, 1, friday)
    device("review_pad").post("/halls/demo/ratings", {"ticket_ref": by_pad["ref"], "level": "dissatisfied"}, status=201)
    by_phone = serve(guide, clerk1, 1, friday)
    phone_rates(app, by_phone, "very_dissatisfied")
    for level in ("very_satisfied", "satisfied", "basic"):
        phone_rates(app, serve(guide, clerk1, 1, friday), level)

    listed = manager.get("/halls/demo/review-cases")
    validate(listed, "ReviewCases")
    cases = listed["cases"]
    assert [(c["ticket_number"], c["channel"], c["level"]) for c in cases] == [
        (by_pad["number"], "pad", "dissatisfied"),
        (by_phone["number"], "phone", "very_dissatisfied"),
    ], "a 差评 from either channel opens one case; 好评 and 基本满意 open none"
    for case in cases:
        assert case["state"] == "open" and case["overdue"] is False and listed["overdue"] == 0
        assert case["deadlines"]["contact"] == {"due": CONTACT_DUE, "done_at": None, "overdue": False, "late": False}
        assert case["deadlines"]["fix"]["due"] == FIX_DUE
        assert case["deadlines"]["confirm"]["due"] is None, "the callback's clock starts at the reply"
        assert case["clerk"]["staff_number"] == "CLERK1" and case["window"] == 1
    assert cases[1]["text"] == "等了很久"

    opened = received(manager_socket, "review_case_opened")
    assert [o["case"]["id"] for o in opened] == [c["id"] for c in cases]
    assert opened[0]["case"]["deadlines"]["contact"]["due"] == CONTACT_DUE
    assert "等了很久" not in str(opened), "the citizen's words stay in the case, not in the hall's log"
    got = screen.get_received()
    assert not [m for m in got if m["name"].startswith("review_case")], "staff only"
    assert {"hall": "demo", "seq": opened[0]["seq"]} in [m["args"][0] for m in got]
    with app.extensions["hall_queue"]["store"].read() as db:
        ratings = db.execute("SELECT count(*) FROM ratings").fetchone()[0]
        cases_kept = db.execute("SELECT count(*) FROM review_cases").fetchone()[0]
    assert (ratings, cases_kept) == (5, 2)
    check_rules(services)


def test_managers_record_each_step_in_order_and_out_of_order_is_refused(app, staff, login, friday):  # type: ignore[no-untyped-def]
    guide, clerk1, _ = staff
    phone_rates(app, serve(guide, clerk1, 1, friday), "dissatisfied")
    manager = login("manager")
    [case] = manager.get("/halls/demo/review-cases")["cases"]
    path = f"/halls/demo/review-cases/{case['id']}"
    manager_socket = staff_socket(app, manager)
    assert ack(manager_socket, "subscribe", {"hall": "demo"})["ok"]

    for step, body, expected in (
        ("reply", {"reply": "已整改"}, "联系群众"),
        ("confirm", {"satisfied": True}, "联系群众"),
        ("close", {}, "联系群众"),
    ):
        refused = manager.post(f"{path}/{step}", body, status=409)
        assert refused["code"] == "review_case_out_of_order" and expected in refused["detail"], refused

    friday.now += timedelta(hours=2)
    contacted = manager.post(f"{path}/contact", {"note": "电话联系群众，\n已致歉"})
    assert contacted["state"] == "contacted" and contacted["contact"]["note"] == "电话联系群众，\n已致歉"
    assert contacted["deadlines"]["contact"]["done_at"] == contacted["contact"]["at"]
    again = manager.post(f"{path}/contact", {"note": "再次联系"}, status=409)
    assert again["code"] == "review_case_out_of_order" and "整改并答复" in again["detail"]
    future = (friday.now + timedelta(hours=1)).isoformat()
    assert manager.post(f"{path}/reply", {"reply": "x", "at": future}, status=422)["field"] == "at"
    assert manager.post(f"{path}/reply", {"fix": "调整排班"}, status=422)["field"] == "reply"

    # the reply on Tuesday 12-01 at 10:00; the callback: 2 natural days (the hall file's)
    friday.now = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    manager = login("manager")  # the Friday sign-in has run out
    replied = manager.post(f"{path}/reply", {"reply": "已增开窗口", "fix": "高峰期增开两个综合窗口"})
    assert replied["state"] == "replied" and replied["reply"]["fix"] == "高峰期增开两个综合窗口"
    assert replied["deadlines"]["confirm"]["due"] == "2026-12-03T16:00:00.000Z"
    assert manager.post(f"{path}/confirm", {"satisfied": "yes"}, status=422)["field"] == "satisfied"
    confirmed = manager.post(f"{path}/confirm", {"satisfied": True})
    assert confirmed["confirmation"]["satisfied"] is True and confirmed["state"] == "confirmed"
    closed = manager.post(f"{path}/close", {"note": "办结"})
    validate(closed, "ReviewCase")
    assert closed["state"] == "closed" and closed["closed_at"] == closed["history"][-1]["at"]
    assert [(h["action"], h["by"]) for h in closed["history"]] == [
        ("open", None),
        ("contact", "manager"),
        ("reply", "manager"),
        ("confirm", "manager"),
        ("close", "manager"),
    ]
    after = manager.post(f"{path}/appeal", {"reason": "迟来的申诉"}, status=409)
    assert after["code"] == "review_case_closed"
    assert manager.get(path) == {**closed, "overdue": False}

    updated = received(manager_socket, "review_case_updated")
    assert [u["action"] for u in updated] == ["contact", "reply", "confirm", "close"]
    assert updated[-1]["case"]["state"] == "closed" and "已增开窗口" not in str(updated)
    audit = login("admin").get("/audit?action=review_case_replied")["entries"]
    assert [(e["actor"], e["target"], e["detail"]["fix"]) for e in audit] == [
        ("manager", str(case["id"]), "高峰期增开两个综合窗口")
    ]


def test_an_appeal_is_filed_once_decided_and_an_upheld_one_closes_the_case(app, staff, login, friday):  # type: ignore[no-untyped-def]
    guide, clerk1, _ = staff
    phone_rates(app, serve(guide, clerk1, 1, friday), "very_dissatisfied")
    manager = login("manager")
    [case] = manager.get("/halls/demo/review-cases")["cases"]
    path = f"/halls/demo/review-cases/{case['id']}"
    assert manager.post(f"{path}/appeal-decision", {"upheld": True}, status=409)["code"] == "review_case_out_of_order"
    appealed = manager.post(f"{path}/appeal", {"reason": "群众所评事项不属本窗口办理"})
    assert appealed["appeal"]["state"] == "pending" and appealed["state"] == "open"
    assert manager.post(f"{path}/appeal", {"reason": "再申诉"}, status=409)["code"] == "review_case_out_of_order"
    assert manager.post(f"{path}/close", {}, status=409)["code"] == "review_case_out_of_order"
    decided = manager.post(f"{path}/appeal-decision", {"upheld": True, "note": "经核实申诉成立"})
    assert decided["appeal"]["state"] == "upheld" and decided["overdue"] is False
    assert manager.post(f"{path}/close", {})["state"] == "closed"


@pytest.mark.parametrize("who", ["other_manager", "other_admin", "clerk1", "guide", "admin"])
def test_only_the_halls_managers_act_on_its_cases(app, staff, login, friday, who):  # type: ignore[no-untyped-def]
    guide, clerk1, _ = staff
    phone_rates(app, serve(guide, clerk1, 1, friday), "dissatisfied")
    [case] = login("manager").get("/halls/demo/review-cases")["cases"]
    person = clerk1 if who == "clerk1" else login(who)
    refused = person.post(f"/halls/demo/review-cases/{case['id']}/contact", {"note": "已联系"}, status=403)
    assert refused["code"] == "forbidden"
    reads = 200 if who == "admin" else 403
    person.get("/halls/demo/review-cases", status=reads)
    person.get("/halls/demo/review-figures?from=2026-11-27&to=2026-11-27", status=reads)
    state = login("manager").get(f"/halls/demo/review-cases/{case['id']}")
    assert state["state"] == "open" and len(state["history"]) == 1, "nothing was recorded"


def test_another_halls_case_is_not_found_in_this_hall(app, staff, login, friday):  # type: ignore[no-untyped-def]
    guide, clerk1, _ = staff
    phone_rates(app, serve(guide, clerk1, 1, friday), "dissatisfied")
    [case] = login("manager").get("/halls/demo/review-cases")["cases"]
    admin = login("admin")  # sees every hall: the town hall has no such case
    assert admin.get(f"/halls/town/review-cases/{case['id']}", status=404)["field"] == "case_id"
    assert admin.get("/halls/town/review-cases")["cases"] == []


def test_overdue_cases_stand_out_and_come_first(app, staff, login, friday):  # type: ignore[no-untyped-def]
    guide, clerk1, clerk2 = staff
    phone_rates(app, serve(guide, clerk1, 1, friday), "dissatisfied")
    phone_rates(app, serve(guide, clerk2, 2, friday), "dissatisfied")
    manager = login("manager")
    first, second = manager.get("/halls/demo/review-cases")["cases"]
    manager.post(f"/halls/demo/review-cases/{first['id']}/contact", {"note": "已联系"})

    friday.now = datetime(2026, 12, 1, 15, 59, tzinfo=UTC)  # Tuesday, 23:59 in Shanghai
    manager = login("manager")
    assert manager.get("/halls/demo/review-cases")["overdue"] == 0
    friday.now = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)  # the contact deadline
    listed = manager.get("/halls/demo/review-cases")
    assert listed["overdue"] == 1
    assert [(c["id"], c["overdue"]) for c in listed["cases"]] == [(second["id"], True), (first["id"], False)]
    assert listed["cases"][0]["deadlines"]["contact"]["overdue"] is True
    assert [c["id"] for c in manager.get("/halls/demo/review-cases?overdue=true")["cases"]] == [second["id"]]
    assert [c["id"] for c in manager.get("/halls/demo/review-cases?overdue=false")["cases"]] == [first["id"]]
    assert [c["id"] for c in manager.get("/halls/demo/review-cases?state=contacted")["cases"]] == [first["id"]]
    assert len(manager.get("/halls/demo/review-cases?state=open&state=contacted")["cases"]) == 2
    first_only = manager.get("/halls/demo/review-cases?limit=1")
    assert [c["id"] for c in first_only["cases"]] == [second["id"]] and first_only["total"] == 2
    assert manager.get("/halls/demo/review-cases?from=2026-11-28")["cases"] == []
    assert len(manager.get("/halls/demo/review-cases?from=2026-11-27&to=2026-11-27")["cases"]) == 2
    for query, field in (("state=done", "state"), ("overdue=yes", "overdue"), ("from=2026-13-01", "from"),
                         ("from=2026-11-28&to=2026-11-27", "to"), ("colour=red", "colour"),
                         ("limit=0", "limit")):  # fmt: skip
        assert manager.get(f"/halls/demo/review-cases?{query}", status=422)["field"] == field

    # contacted late: no longer overdue, but marked late
    late = manager.post(f"/halls/demo/review-cases/{second['id']}/contact", {"note": "晚了一天"})
    assert late["overdue"] is False and late["deadlines"]["contact"]["late"] is True


def test_the_figures_count_from_a_known_set_of_tickets_and_ratings(app, staff, login, friday, services):  # type: ignore[no-untyped-def]
    """Window 1 (clerk1): 非常满意 on the pad, 满意, 不满意 (fixed, satisfied), one left for
    the system's default. Window 2 (clerk2): 基本满意, 非常不满意 (replied, nothing fixed),
    不满意 (appeal upheld), one finished and unrated."""
    guide, clerk1, clerk2 = staff
    pad = app.config["TEST_TOKENS"]["review_pad"]
    good_pad = serve(guide, clerk1, 1, friday)
    Api(app.test_client(), token=pad).post(
        "/halls/demo/ratings", {"ticket_ref": good_pad["ref"], "level": "very_satisfied"}, status=201
    )
    phone_rates(app, serve(guide, clerk1, 1, friday), "satisfied")
    phone_rates(app, serve(guide, clerk1, 1, friday), "dissatisfied")
    serve(guide, clerk1, 1, friday)  # nobody rates: the system's 基本满意 later
    phone_rates(app, serve(guide, clerk2, 2, friday), "basic")
    phone_rates(app, serve(guide, clerk2, 2, friday), "very_dissatisfied")
    phone_rates(app, serve(guide, clerk2, 2, friday), "dissatisfied")
    serve(guide, clerk2, 2, friday)  # unrated
    waiting = guide.post("/halls/demo/tickets", {"queue": "comprehensive"}, status=201)  # never finished

    manager = login("manager")
    fixed, explained, appealed = manager.get("/halls/demo/review-cases")["cases"]
    assert (fixed["window"], explained["window"], appealed["window"]) == (1, 2, 2)
    base = "/halls/demo/review-cases"
    manager.post(f"{base}/{fixed['id']}/contact", {"note": "已联系"})
    manager.post(f"{base}/{fixed['id']}/reply", {"reply": "已整改", "fix": "加强培训"})
    manager.post(f"{base}/{fixed['id']}/confirm", {"satisfied": True})
    manager.post(f"{base}/{explained['id']}/contact", {"note": "已联系"})
    manager.post(f"{base}/{explained['id']}/reply", {"reply": "已解释办理要求"})
    manager.post(f"{base}/{appealed['id']}/appeal", {"reason": "恶意差评"})
    manager.post(f"{base}/{appealed['id']}/appeal-decision", {"upheld": True})

    # a week later the unrated ticket of window 1 has had the system's default... and the
    # one of window 2 too: both finished the same Friday
    friday.now += timedelta(days=8)
    app.extensions["hall_queue"]["jobs"].tick()
    manager = login("manager")

    figures = manager.get("/halls/demo/review-figures?from=2026-11-27&to=2026-11-27&by=window")
    validate(figures, "ReviewFigures")

    def pairs(part: dict[str, Any]) -> dict[str, tuple[int, int]]:
        return {name: (f["numerator"], f["denominator"]) for name, f in part["figures"].items()}

    assert figures["total"]["counts"] == {
        "finished": 8, "rated": 8, "citizen_rated": 6, "good": 2, "bad": 3, "cases": 2, "appeals_upheld": 1,
    }  # fmt: skip
    assert pairs(figures["total"]) == {
        "good_rate": (2, 8),
        "bad_rate": (3, 8),
        "unrated_rate": (2, 8),
        "active_rate": (6, 8),
        "reply_rate": (2, 2),
        "fix_rate": (1, 2),
        "fix_satisfaction_rate": (1, 1),
    }
    assert figures["total"]["figures"]["good_rate"]["rate"] == 0.25
    by_window = {g["key"]: g for g in figures["groups"]}
    assert set(by_window) == {1, 2} and by_window[1]["label"] == "综合受理1号窗口"
    assert pairs(by_window[1]) == {
        "good_rate": (2, 4),
        "bad_rate": (1, 4),
        "unrated_rate": (1, 4),
        "active_rate": (3, 4),
        "reply_rate": (1, 1),
        "fix_rate": (1, 1),
        "fix_satisfaction_rate": (1, 1),
    }
    assert pairs(by_window[2]) == {
        "good_rate": (0, 4),
        "bad_rate": (2, 4),
        "unrated_rate": (1, 4),
        "active_rate": (3, 4),
        "reply_rate": (1, 1),
        "fix_rate": (0, 1),
        "fix_satisfaction_rate": (0, 0),
    }
    assert by_window[2]["figures"]["fix_satisfaction_rate"]["rate"] is None

    # the store's SQL counts what the domain's definition counts, ticket by ticket
    with app.extensions["hall_queue"]["store"].read() as db:
        hall_id = db.execute("SELECT id FROM halls WHERE code = 'demo'").fetchone()[0]
        rows = storage.review_cases.figure_rows(db, hall_id, "2026-11-27", "2026-11-27")
    defined: dict[int, Counts] = {}
    for row in rows:
        defined.setdefault(row["window"], Counts()).add(row)
    assert {key: counts.as_dict() for key, counts in defined.items()} == {
        g["key"]: {"counts": g["counts"], "figures": g["figures"]} for g in figures["groups"]
    }

    by_clerk = manager.get("/halls/demo/review-figures?from=2026-11-27&to=2026-11-27&by=clerk")["groups"]
    assert [(g["label"], g["counts"]["finished"], g["counts"]["bad"]) for g in by_clerk] == [
        ("测试clerk1（CLERK1）", 4, 1),
        ("测试clerk2（CLERK2）", 4, 2),
    ]
    by_day = manager.get("/halls/demo/review-figures?from=2026-11-26&to=2026-11-30&by=day")["groups"]
    assert [(g["key"], g["counts"]["finished"]) for g in by_day] == [("2026-11-27", 8)]
    by_queue = manager.get("/halls/demo/review-figures?from=2026-11-27&to=2026-11-27&by=queue")["groups"]
    assert [(g["key"], g["label"]) for g in by_queue] == [("comprehensive", "综合受理")]
    nothing = manager.get("/halls/demo/review-figures?from=2026-11-28&to=2026-11-28")
    assert nothing["groups"] == [] and nothing["total"]["figures"]["good_rate"]["rate"] is None
    assert waiting["status"] == "waiting"

    for query, field in (("to=2026-11-27", "from"), ("from=2026-11-27", "to"),
                         ("from=2026-11-27&to=2026-11-27&by=month", "by"),
                         ("from=2026-11-28&to=2026-11-27", "to"), ("from=2025-01-01&to=2026-11-27", "to")):  # fmt: skip
        assert manager.get(f"/halls/demo/review-figures?{query}", status=422)["field"] == field
    check_rules(services)


def test_the_reports_long_reads_go_through_the_offloader(app: Any, login: Any) -> None:
    services = app.extensions["hall_queue"]["services"]
    offloaded: list[str] = []

    def recording(function: Any, *args: Any, **kwargs: Any) -> Any:
        offloaded.append(function.__name__)
        return function(*args, **kwargs)

    services.offload = recording
    manager = login("manager")
    manager.get("/halls/demo/review-figures?from=2026-11-01&to=2026-11-23&by=window")
    manager.get("/halls/demo/review-cases")
    assert offloaded == ["figure_counts", "listed"]
