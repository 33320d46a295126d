"""Print jobs on a real SQLite file: written with the ticket, sent to the printer's agent
live or when it comes back, answered once, given up when too old or when the ticket is
over, reprinted; and everything from outside that is wrong gets a clear refusal.

The template has the "printer" at station desk-1 and the kiosk bound to kiosk-1, whose
printer is "kiosk_printer" (tests/conftest.py). The agent here is the Socket.IO test
client with the printer's token; the real `ticket-printer` is tests/e2e/test_printing.py.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_socketio import SocketIOTestClient

from queue_server.app import close_app, create_app
from queue_server.config import ConfigError
from queue_server.storage import Storage
from tests.conftest import PASSWORD, TEST_CONFIG, Api, Clock
from ticket_printer.layout import PAPER_58
from ticket_printer.preview import render_preview_png
from ticket_printer.ticket import PrintedTicket

MAX_AGE = 120  # seconds: the default PRINT_JOB_MAX_AGE


def agent(app: Flask, name: str = "printer") -> SocketIOTestClient:
    """A printer's agent: a socket connected with the printer's device token."""
    return app.extensions["socketio"].test_client(app, auth={"token": app.config["TEST_TOKENS"][name]})


def staff(app: Flask, username: str) -> SocketIOTestClient:
    """A signed-in page subscribed to the whole hall (as the desk page is)."""
    client = app.test_client()
    assert client.post("/api/v1/session", json={"username": username, "password": PASSWORD}).status_code == 200
    page = app.extensions["socketio"].test_client(app, flask_test_client=client)
    assert ack(page, "subscribe", {"hall": "demo"})["ok"]
    return page


def kiosk_page(app: Flask) -> SocketIOTestClient:
    return app.extensions["socketio"].test_client(app, auth={"token": app.config["TEST_TOKENS"]["kiosk"]})


def ack(client: SocketIOTestClient, event: str, data: Any = None) -> dict[str, Any]:
    answer = client.emit(event, {} if data is None else data, callback=True)
    assert isinstance(answer, dict), answer
    return answer


def ok(client: SocketIOTestClient, event: str, data: Any = None) -> Any:
    answer = ack(client, event, data)
    assert answer["ok"], answer
    return answer["data"]


def received(client: SocketIOTestClient, name: str) -> list[dict[str, Any]]:
    return [m["args"][0] for m in client.get_received() if m["name"] == name]


def fetch(printer: SocketIOTestClient) -> list[dict[str, Any]]:
    return ok(printer, "fetch_print_jobs")["jobs"]  # type: ignore[no-any-return]


def report(printer: SocketIOTestClient, job: int, state: str = "printed", message: str = "printed") -> dict[str, Any]:
    return ack(printer, "print_result", {"job": job, "ok": state == "printed", "state": state, "message": message})


def rows(store: Storage, table: str = "print_jobs") -> list[dict[str, Any]]:
    with store.read() as db:
        return list(db.query(f"SELECT * FROM {table} ORDER BY id"))


def job(guide: Api, job_id: int) -> dict[str, Any]:
    return next(j for j in guide.get("/halls/demo/print-jobs")["print_jobs"] if j["id"] == job_id)


# ---- the job written with the ticket ------------------------------------------------


def test_a_ticket_issued_at_a_desk_gets_its_print_job_with_what_the_paper_says(
    app: Flask, login: Any, store: Storage
) -> None:
    app.config["PUBLIC_BASE_URL"] = "https://hall.example.cn"
    guide = login("guide")
    guide.post("/halls/demo/tickets", {"queue": "real-estate"}, status=201)
    ticket = guide.post(
        "/halls/demo/tickets",
        {"item": "property-transfer", "priority": "senior", "station": "desk-1"},
        status=201,
    )
    printed = ticket["print_job"]
    assert printed["state"] == "queued" and printed["attempts"] == 0 and printed["revision"] == 1
    assert printed["station"] == "desk-1" and printed["printer"]["name"] == "printer"
    assert printed["ticket_id"] == ticket["id"] and printed["number"] == ticket["number"] == "B002"
    assert printed["requested_by_user"] is not None and printed["requested_by_device"] is None
    assert printed["ticket"] == {
        "hall_name": "示范区政务服务中心",
        "queue_name": "不动产登记",
        "item_name": "不动产转移登记（二手房过户）",
        "number": "B002",
        "people_ahead": ticket["people_ahead"],
        "estimated_wait_minutes": ticket["estimated_wait_minutes"],
        "issued_at": "2026-11-23T10:00:00+08:00",
        "phone_url": f"https://hall.example.cn/t/{ticket['ref']}",  # services.printing.phone_url
        "tips": ["请在休息区等候，留意大屏和语音叫号", "过号请到导办台重新排队"],
        "priority_label": "绿色通道",
        "language": "zh-CN",
    }
    assert printed["ticket"]["people_ahead"] == 0  # a priority ticket: called before B001
    [stored] = rows(store)
    assert (stored["ticket_id"], stored["state"]) == (ticket["id"], "queued")


def test_without_a_printer_the_ticket_is_issued_all_the_same(login: Any, store: Storage) -> None:
    guide = login("guide")
    assert guide.post("/halls/demo/tickets", {"queue": "household"}, status=201)["print_job"] is None
    nowhere = guide.post("/halls/demo/tickets", {"queue": "household", "station": "desk-9"}, status=201)
    assert nowhere["print_job"] is None and nowhere["number"] == "E002"
    assert rows(store) == []


def test_a_job_exists_exactly_when_its_ticket_was_issued(login: Any, device: Any, store: Storage, clock: Clock) -> None:
    """Every refusal writes neither a ticket nor a job; every ticket issued at a station
    with a printer has exactly one job."""
    guide, kiosk = login("guide"), device("kiosk")
    at_desk = {"station": "desk-1"}
    guide.post("/halls/demo/tickets", {"queue": "household", "id_number": "11010519491231002X", **at_desk}, status=201)
    refusals = [
        (guide, {"item": "moon-landing", **at_desk}, 404),
        (guide, {"queue": "household", "id_number": "11010519491231002X", **at_desk}, 409),
        (guide, {"queue": "household", "station": "Desk 1"}, 422),
        (kiosk, {"queue": "household", "station": "desk-1"}, 422),  # a kiosk prints at its own station
    ]
    for caller, body, status in refusals:
        caller.post("/halls/demo/tickets", body, status=status)
    kiosk.post("/halls/demo/tickets", {"queue": "household"}, status=201)
    kiosk.post("/halls/demo/tickets", {"queue": "household", "station": "kiosk-1"}, status=201)
    clock.now += timedelta(hours=10)  # 20:00: closed
    guide = login("guide")
    guide.post("/halls/demo/tickets", {"queue": "household", **at_desk}, status=409)
    tickets, jobs = rows(store, "tickets"), rows(store)
    assert len(tickets) == 3
    assert sorted(j["ticket_id"] for j in jobs) == [t["id"] for t in tickets]
    assert [j["station"] for j in jobs] == ["desk-1", "kiosk-1", "kiosk-1"]


def test_a_kiosk_prints_at_its_own_printer_and_hears_how_it_went(app: Flask, device: Any, store: Storage) -> None:
    page = kiosk_page(app)
    ticket = device("kiosk").post("/halls/demo/tickets", {"item": "id-card"}, status=201)
    printed = ticket["print_job"]
    assert printed["station"] == "kiosk-1" and printed["printer"]["name"] == "kiosk_printer"
    kiosk_id = rows(store, "devices")[2]["id"]
    assert printed["requested_by_device"] == kiosk_id and printed["requested_by_user"] is None
    printer = agent(app, "kiosk_printer")
    [sent] = fetch(printer)
    assert report(printer, sent["id"], "paper_out", "the printer is out of paper")["ok"]
    heard = received(page, "print_job_updated")
    assert [u["job"]["state"] for u in heard] == ["queued", "sent", "paper_out"]
    assert {u["job"]["id"] for u in heard} == {printed["id"]}


def test_a_repeated_issue_prints_nothing_more(login: Any, store: Storage) -> None:
    guide = login("guide")
    key = {"Idempotency-Key": "desk-1-0042"}
    first = guide.post("/halls/demo/tickets", {"queue": "pickup", "station": "desk-1"}, status=201, headers=key)
    again = guide.post("/halls/demo/tickets", {"queue": "pickup", "station": "desk-1"}, status=200, headers=key)
    assert again["id"] == first["id"] and again["print_job"]["id"] == first["print_job"]["id"]
    assert len(rows(store)) == 1


# ---- the agent: live, catching up, exactly once --------------------------------------


def test_the_agent_gets_a_new_job_live_and_its_answer_reaches_staff(app: Flask, login: Any) -> None:
    printer, desk = agent(app), staff(app, "guide")
    issued = ok(desk, "issue_ticket", {"hall": "demo", "queue": "household", "station": "desk-1"})
    [live] = received(printer, "print_job")
    assert live == {"hall": "demo", "job": issued["print_job"]}
    guide = login("guide")
    assert (job(guide, live["job"]["id"])["state"], job(guide, live["job"]["id"])["attempts"]) == ("sent", 1)
    answer = report(printer, live["job"]["id"])
    assert answer["ok"] and answer["data"]["state"] == "printed" and answer["data"]["message"] == "printed"
    updates = [u["job"] for u in received(desk, "print_job_updated")]
    assert [(u["state"], u["revision"]) for u in updates] == [("queued", 1), ("sent", 2), ("printed", 3)]
    [listed] = guide.get("/halls/demo/printers")["printers"][:1]
    assert listed["online"] and listed["station"] == "desk-1"
    assert listed["last_result"]["state"] == "printed" and listed["due_jobs"] == 0
    assert fetch(printer) == []  # printed: never sent again


def test_jobs_issued_while_the_agent_was_away_print_once_when_it_returns(app: Flask, login: Any) -> None:
    guide = login("guide")
    issued = [guide.post("/halls/demo/tickets", {"queue": "household", "station": "desk-1"}, status=201) for _ in "abc"]
    assert {job(guide, t["print_job"]["id"])["state"] for t in issued} == {"queued"}
    printer = agent(app)
    due = fetch(printer)
    assert [j["number"] for j in due] == ["E001", "E002", "E003"]
    assert {(j["state"], j["attempts"]) for j in due} == {("sent", 1)}
    report(printer, due[0]["id"])
    report(printer, due[1]["id"], "offline", "cannot reach the printer")
    printer.disconnect()  # the third was sent, and not answered
    assert guide.get("/halls/demo/printers")["printers"][0]["online"] is False
    printer = agent(app)
    [again] = fetch(printer)
    assert (again["id"], again["attempts"]) == (due[2]["id"], 2)
    report(printer, again["id"])
    assert fetch(printer) == []
    states = {j["number"]: j["state"] for j in guide.get("/halls/demo/print-jobs")["print_jobs"]}
    assert states == {"E001": "printed", "E002": "offline", "E003": "printed"}


def test_an_answer_is_recorded_once(app: Flask, login: Any) -> None:
    guide = login("guide")
    guide.post("/halls/demo/tickets", {"queue": "household", "station": "desk-1"}, status=201)
    printer = agent(app)
    [sent] = fetch(printer)
    first = report(printer, sent["id"], "paper_out", "out of paper")["data"]
    repeated = report(printer, sent["id"])
    assert repeated["ok"] and repeated["data"] == first  # the agent lost the ack and sent it again
    assert job(guide, sent["id"])["state"] == "paper_out"


def test_a_job_too_old_is_given_up_not_printed(app: Flask, login: Any, clock: Clock) -> None:
    guide, desk = login("guide"), staff(app, "guide")
    old = guide.post("/halls/demo/tickets", {"queue": "household", "station": "desk-1"}, status=201)["print_job"]
    clock.now += timedelta(seconds=MAX_AGE + 1)
    guide = login("guide")
    fresh = guide.post("/halls/demo/tickets", {"queue": "household", "station": "desk-1"}, status=201)["print_job"]
    printer = agent(app)
    assert [j["id"] for j in fetch(printer)] == [fresh["id"]]
    assert job(guide, old["id"])["state"] == "expired" and job(guide, old["id"])["finished_at"] is not None
    updates = [(u["job"]["id"], u["job"]["state"]) for u in received(desk, "print_job_updated")]
    assert (old["id"], "expired") in updates


def test_the_timer_gives_up_jobs_no_agent_took(app: Flask, login: Any, clock: Clock) -> None:
    guide, desk = login("guide"), staff(app, "guide")
    waiting = guide.post("/halls/demo/tickets", {"queue": "household", "station": "desk-1"}, status=201)
    cancelled = guide.post("/halls/demo/tickets", {"queue": "household", "station": "desk-1"}, status=201)
    guide.post(f"/halls/demo/tickets/{cancelled['id']}/cancel", {})
    jobs = app.extensions["hall_queue"]["jobs"]
    jobs.tick()
    assert job(guide, cancelled["print_job"]["id"])["state"] == "cancelled"
    assert job(guide, waiting["print_job"]["id"])["state"] == "queued"
    clock.now += timedelta(seconds=MAX_AGE + 1)
    jobs.tick()
    guide = login("guide")
    assert job(guide, waiting["print_job"]["id"])["state"] == "expired"
    assert [u["job"]["state"] for u in received(desk, "print_job_updated")][-2:] == ["cancelled", "expired"]


def test_a_sent_job_whose_ticket_is_over_is_not_printed_when_the_agent_returns(app: Flask, login: Any) -> None:
    guide = login("guide")
    ticket = guide.post("/halls/demo/tickets", {"queue": "household", "station": "desk-1"}, status=201)
    printer = agent(app)
    assert len(fetch(printer)) == 1
    printer.disconnect()
    guide.post(f"/halls/demo/tickets/{ticket['id']}/cancel", {})
    assert fetch(agent(app)) == []
    assert job(guide, ticket["print_job"]["id"])["state"] == "cancelled"


def test_a_printer_out_of_paper_shows_and_issuing_goes_on(app: Flask, login: Any) -> None:
    printer, guide = agent(app), login("guide")
    first = guide.post("/halls/demo/tickets", {"queue": "household", "station": "desk-1"}, status=201)
    report(printer, first["print_job"]["id"], "paper_out", "the printer at 10.0.0.9:9100 is out of paper")
    [desk_printer] = [p for p in guide.get("/halls/demo/printers")["printers"] if p["station"] == "desk-1"]
    assert desk_printer["last_result"]["state"] == "paper_out"
    assert "out of paper" in desk_printer["last_result"]["message"]
    second = guide.post("/halls/demo/tickets", {"queue": "household", "station": "desk-1"}, status=201)
    assert second["number"] == "E002" and second["print_job"]["state"] == "queued"
    assert job(guide, second["print_job"]["id"])["state"] == "sent"
    assert job(guide, first["print_job"]["id"])["state"] == "paper_out"
    assert [j["id"] for j in guide.get("/halls/demo/print-jobs?state=paper_out")["print_jobs"]] == [
        first["print_job"]["id"]
    ]


# ---- reprints ---------------------------------------------------------------------


def test_a_reprint_is_a_new_job_printing_what_the_first_printed(app: Flask, login: Any) -> None:
    guide, manager = login("guide"), login("manager")
    ticket = guide.post("/halls/demo/tickets", {"queue": "household", "station": "desk-1"}, status=201)
    first = ticket["print_job"]
    for _ in range(2):  # the line grows; the reprint still says what the first paper said
        guide.post("/halls/demo/tickets", {"queue": "household"}, status=201)
    reprint = manager.post(f"/halls/demo/tickets/{ticket['id']}/reprint", {})
    assert reprint["reprint_of"] == first["id"] and reprint["id"] != first["id"]
    assert reprint["station"] == "desk-1" and reprint["state"] == "queued"
    assert reprint["ticket"] == first["ticket"]
    assert reprint["requested_by_user"] != first["requested_by_user"]  # the manager asked
    elsewhere = guide.post(f"/halls/demo/tickets/{ticket['id']}/reprint", {"station": "kiosk-1"})
    assert elsewhere["printer"]["name"] == "kiosk_printer" and elsewhere["reprint_of"] == reprint["id"]
    assert [j["id"] for j in fetch(agent(app))] == [first["id"], reprint["id"]]
    listed = guide.get(f"/halls/demo/print-jobs?ticket={ticket['id']}")["print_jobs"]
    assert [j["id"] for j in listed] == [elsewhere["id"], reprint["id"], first["id"]]


def test_a_ticket_never_printed_is_printed_at_the_station_named(login: Any) -> None:
    guide = login("guide")
    ticket = guide.post("/halls/demo/tickets", {"queue": "household"}, status=201)
    guide.post("/halls/demo/tickets", {"queue": "household"}, status=201)
    reprint = guide.post(f"/halls/demo/tickets/{ticket['id']}/reprint", {"station": "desk-1"})
    assert reprint["reprint_of"] is None and reprint["ticket"]["number"] == "E001"
    assert reprint["ticket"]["people_ahead"] == 0


def test_the_desks_preview_is_the_paper_the_printer_got(app: Flask, login: Any) -> None:
    app.config["PUBLIC_BASE_URL"] = "https://hall.example.cn"
    guide = login("guide")
    printed = guide.post("/halls/demo/tickets", {"queue": "household", "station": "desk-1"}, status=201)
    for _ in range(2):  # the line grows after it printed: the preview still says what the paper says
        guide.post("/halls/demo/tickets", {"queue": "household"}, status=201)
    never = guide.post("/halls/demo/tickets", {"queue": "household"}, status=201)  # no station: no job
    before_printing = guide.client.get(f"/desk/tickets/{never['id']}/preview.png?paper=58")
    # printed now at desk-1, it gets the paper the preview drew: as it would print
    paper = guide.post(f"/halls/demo/tickets/{never['id']}/reprint", {"station": "desk-1"})["ticket"]
    assert paper["people_ahead"] == 3 and paper["phone_url"] == f"https://hall.example.cn/t/{never['ref']}"
    assert before_printing.data == render_preview_png(PrintedTicket.from_payload(paper), PAPER_58)
    answer = guide.client.get(f"/desk/tickets/{printed['id']}/preview.png?paper=58")
    assert answer.status_code == 200 and answer.mimetype == "image/png"
    assert answer.data == render_preview_png(PrintedTicket.from_payload(printed["print_job"]["ticket"]), PAPER_58)
    assert printed["print_job"]["ticket"]["people_ahead"] == 0
    assert guide.client.get(f"/desk/tickets/{printed['id']}/preview.png?language=en").status_code == 422


@pytest.mark.parametrize(
    ("ticket", "body", "status", "code", "field"),
    [
        pytest.param("waiting", {}, 422, "invalid_input", "station", id="never-printed-no-station"),
        pytest.param("waiting", {"station": "desk-9"}, 409, "no_printer", "station", id="no-printer-there"),
        pytest.param("waiting", {"station": "桌1"}, 422, "invalid_input", "station", id="not-a-station"),
        pytest.param("waiting", {"copies": 2}, 422, "invalid_input", "copies", id="unknown-field"),
        pytest.param("waiting", {"ticket_id": 1}, 422, "invalid_input", "ticket_id", id="ticket-in-the-body"),
        pytest.param("cancelled", {"station": "desk-1"}, 409, "invalid_transition", None, id="ticket-over"),
        pytest.param(999_999, {"station": "desk-1"}, 404, "not_found", "ticket_id", id="no-such-ticket"),
    ],
)
def test_a_reprint_that_cannot_be_gets_a_clear_refusal_and_writes_nothing(
    login: Any, store: Storage, ticket: Any, body: dict[str, Any], status: int, code: str, field: str | None
) -> None:
    guide = login("guide")
    issued = guide.post("/halls/demo/tickets", {"queue": "household"}, status=201)
    if ticket == "cancelled":
        guide.post(f"/halls/demo/tickets/{issued['id']}/cancel", {})
    ticket_id = issued["id"] if isinstance(ticket, str) else ticket
    problem = guide.post(f"/halls/demo/tickets/{ticket_id}/reprint", body, status=status)
    assert (problem["code"], problem.get("field")) == (code, field)
    assert problem["detail"] and problem["status"] == status
    assert rows(store) == []


# ---- what comes from outside and is wrong -------------------------------------------


@pytest.mark.parametrize(
    ("payload", "status", "code", "field"),
    [
        pytest.param(
            {"job": "one", "ok": True, "state": "printed"}, 422, "invalid_input", "job", id="job-not-a-number"
        ),
        pytest.param({"ok": True, "state": "printed"}, 422, "invalid_input", "job", id="no-job"),
        pytest.param({"job": "JOB", "state": "printed"}, 422, "invalid_input", "ok", id="no-ok"),
        pytest.param({"job": "JOB", "ok": "yes", "state": "printed"}, 422, "invalid_input", "ok", id="ok-not-boolean"),
        pytest.param({"job": "JOB", "ok": True, "state": "burnt"}, 422, "invalid_input", "state", id="unknown-state"),
        pytest.param({"job": "JOB", "ok": True, "state": "expired"}, 422, "invalid_input", "state", id="not-a-result"),
        pytest.param({"job": "JOB", "ok": True, "state": "paper_out"}, 422, "invalid_input", "ok", id="disagrees"),
        pytest.param(
            {"job": "JOB", "ok": True, "state": "printed", "message": "x" * 501},
            422,
            "invalid_input",
            "message",
            id="message-too-long",
        ),
        pytest.param(
            {"job": "JOB", "ok": True, "state": "printed", "copies": 1}, 422, "invalid_input", "copies", id="extra"
        ),
        pytest.param({"job": 999_999, "ok": True, "state": "printed"}, 404, "not_found", "job", id="no-such-job"),
        pytest.param({"job": "KIOSK", "ok": True, "state": "printed"}, 404, "not_found", "job", id="another-printers"),
        pytest.param(
            {"job": "JOB", "ok": True, "state": "printed", "hall": "town"}, 403, "forbidden", None, id="another-hall"
        ),
        pytest.param([1, 2], 422, "invalid_input", None, id="not-an-object"),
    ],
)
def test_a_bad_result_is_refused_and_changes_nothing(
    app: Flask, login: Any, device: Any, store: Storage, payload: Any, status: int, code: str, field: str | None
) -> None:
    """JOB stands for a job of this printer's, KIOSK for one of the kiosk's printer."""
    kiosks = device("kiosk").post("/halls/demo/tickets", {"queue": "household"}, status=201)["print_job"]
    own = login("guide").post("/halls/demo/tickets", {"queue": "household", "station": "desk-1"}, status=201)
    printer = agent(app)
    if isinstance(payload, dict) and payload.get("job") in ("JOB", "KIOSK"):
        payload = {**payload, "job": own["print_job"]["id"] if payload["job"] == "JOB" else kiosks["id"]}
    before = rows(store)
    answer = ack(printer, "print_result", payload)
    assert not answer["ok"], answer
    problem = answer["problem"]
    assert (problem["status"], problem["code"], problem.get("field")) == (status, code, field)
    assert problem["detail"]
    assert rows(store) == before


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        pytest.param({"hall": "town"}, 403, None, id="another-hall"),
        pytest.param({"since": 0}, 422, "since", id="unknown-field"),
        pytest.param("all", 422, None, id="not-an-object"),
    ],
)
def test_a_bad_fetch_is_refused_and_sends_nothing(
    app: Flask, login: Any, store: Storage, payload: Any, status: int, field: str | None
) -> None:
    login("guide").post("/halls/demo/tickets", {"queue": "household", "station": "desk-1"}, status=201)
    printer = agent(app)
    before = rows(store)
    answer = ack(printer, "fetch_print_jobs", payload)
    assert not answer["ok"] and (answer["problem"]["status"], answer["problem"].get("field")) == (status, field)
    assert rows(store) == before
    assert [j["state"] for j in ok(printer, "fetch_print_jobs", {"hall": "demo"})["jobs"]] == ["sent"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("state=burnt", "state"),
        ("ticket=one", "ticket"),
        ("limit=501", "limit"),
        ("before=0", "before"),
        ("printer=-1", "printer"),
        ("page=2", "page"),
    ],
)
def test_a_bad_job_filter_names_itself(login: Any, query: str, field: str) -> None:
    problem = login("guide").get(f"/halls/demo/print-jobs?{query}", status=422)
    assert problem["field"] == field


def test_jobs_are_listed_newest_first_and_filtered(app: Flask, login: Any, device: Any, store: Storage) -> None:
    guide = login("guide")
    made = [guide.post("/halls/demo/tickets", {"queue": "household", "station": "desk-1"}, status=201) for _ in "abc"]
    kiosk = device("kiosk").post("/halls/demo/tickets", {"queue": "household"}, status=201)
    ids = [t["print_job"]["id"] for t in [*made, kiosk]]

    def listed(query: str) -> list[int]:
        return [j["id"] for j in guide.get(f"/halls/demo/print-jobs{query}")["print_jobs"]]

    assert listed("") == ids[::-1]
    assert listed("?limit=2") == ids[:1:-1] and listed(f"?limit=2&before={ids[2]}") == ids[1::-1]
    kiosk_printer = kiosk["print_job"]["printer"]["device_id"]
    assert listed(f"?printer={kiosk_printer}") == [ids[3]]
    assert listed(f"?ticket={made[1]['id']}") == [ids[1]]
    assert listed("?state=queued") == ids[::-1] and listed("?state=printed") == []
    assert login("manager").get("/halls/demo/print-jobs")["print_jobs"][0]["id"] == ids[-1]
    assert login("admin").get("/halls/demo/print-jobs?limit=1")["print_jobs"][0]["id"] == ids[-1]


# ---- the settings -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        pytest.param({"PUBLIC_BASE_URL": "hall.example.cn"}, "must be an http", id="no-scheme"),
        pytest.param({"PUBLIC_BASE_URL": "https://大厅.cn"}, "plain ASCII", id="not-ascii"),
        pytest.param({"PUBLIC_BASE_URL": "https://hall.cn/?from=qr"}, "without a user, ? or #", id="query"),
        pytest.param({"PRINT_JOB_MAX_AGE": 0}, "PRINT_JOB_MAX_AGE must be a positive number", id="max-age-zero"),
        pytest.param({"PRINT_JOB_MAX_AGE": "2m"}, "PRINT_JOB_MAX_AGE must be a positive number", id="max-age-text"),
    ],
)
def test_a_bad_printing_setting_stops_start_up_naming_it(
    tmp_path: Path, settings: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message.replace("?", r"\?")):
        create_app({**TEST_CONFIG, **settings}, instance_path=str(tmp_path / "instance"))


def test_the_public_base_url_setting_loses_its_trailing_slash(tmp_path: Path) -> None:
    app = create_app({**TEST_CONFIG, "PUBLIC_BASE_URL": "https://hall.example.cn/"}, instance_path=str(tmp_path / "i"))
    try:
        assert app.config["PUBLIC_BASE_URL"] == "https://hall.example.cn"
    finally:
        close_app(app)
