"""The printer agent end to end: a live server (gunicorn, the eventlet worker), the real
`ticket-printer` command in a process of its own with the printer's token, and the fake
network printer on a loopback port, which keeps every byte it receives.

What a printer receives for a job is the status query (`DLE EOT 1..4`) and then exactly
`render_escpos` of the job's ticket: each test compares the bytes, connection by
connection. "Exactly once" is checked with a last ticket issued after the others: the
agent prints one job at a time, so when that one has reached the printer, any second
copy of an earlier one would have reached it before.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests

from tests.e2e.helpers import TIMEOUT, check, issue
from tests.support.fake_printer import FakePrinter
from tests.support.live import HALL, LiveServer
from tests.support.printer_agent import AgentProcess
from ticket_printer.escpos_render import render_escpos
from ticket_printer.layout import PAPER_80
from ticket_printer.outputs import STATUS_QUERY
from ticket_printer.ticket import PrintedTicket

T = TypeVar("T")
# Seconds to wait for an agent process to start, connect, fetch and print, or for a
# server to come back, on a busy machine. A limit on waiting, not a figure under test.
PATIENCE = 60


def eventually(check: Callable[[], T | None], what: str, timeout: float = PATIENCE) -> T:
    """Wait until `check()` gives something, asking again and again; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(0.05)  # between two looks at the API; the condition is what is waited for


def paper(job: dict[str, Any]) -> bytes:
    """What the printer must receive for `job`: the status query, then the ticket."""
    return STATUS_QUERY + render_escpos(PrintedTicket.from_payload(job["ticket"]), PAPER_80)


def job_state(server: LiveServer, guide: requests.Session, job_id: int) -> str:
    jobs = check(guide.get(server.api(f"/halls/{HALL}/print-jobs"), timeout=TIMEOUT), 200)["print_jobs"]
    return str(next(j["state"] for j in jobs if j["id"] == job_id))


def reaches(server: LiveServer, guide: requests.Session, job_id: int, state: str) -> None:
    eventually(lambda: job_state(server, guide, job_id) == state, f"job {job_id} {state}")


def desk_printer(server: LiveServer, guide: requests.Session) -> dict[str, Any]:
    printers = check(guide.get(server.api(f"/halls/{HALL}/printers"), timeout=TIMEOUT), 200)["printers"]
    return next(p for p in printers if p["station"] == "desk-1")


def online(server: LiveServer, guide: requests.Session) -> None:
    eventually(lambda: desk_printer(server, guide)["online"], "the agent connected")


def at_desk(server: LiveServer, guide: requests.Session, queue: str = "household") -> dict[str, Any]:
    """Issue a ticket at the guidance desk (station desk-1); its print job."""
    job = issue(server, guide, queue=queue, station="desk-1")["print_job"]
    assert job is not None and job["station"] == "desk-1"
    return job  # type: ignore[no-any-return]


@pytest.fixture
def printer() -> Iterator[FakePrinter]:
    with FakePrinter() as fake:
        yield fake


@pytest.fixture
def agent(server: LiveServer, printer: FakePrinter, tmp_path: Path) -> Iterator[AgentProcess]:
    """The desk's `ticket-printer`, not started yet; killed after the test if still running."""
    with AgentProcess(server.url, server.tokens["printer"], printer.port, tmp_path / "agent.log") as process:
        yield process


def test_a_ticket_issued_at_the_desk_prints_exactly_its_bytes(
    server: LiveServer, sign_in: Any, printer: FakePrinter, agent: AgentProcess
) -> None:
    guide = sign_in(server, "guide")
    agent.start()
    online(server, guide)
    job = at_desk(server, guide, queue="real-estate")
    printer.wait_for_connections(1, PATIENCE)
    assert printer.connections == [paper(job)]
    reaches(server, guide, job["id"], "printed")
    assert "printed" in agent.log() and server.tokens["printer"] not in agent.log()
    assert agent.stop() == 0 and "stopped" in agent.log()


def test_the_agent_stops_on_sigterm_whichever_of_its_threads_the_kernel_gives_it_to(
    server: LiveServer, sign_in: Any, printer: FakePrinter, tmp_path: Path
) -> None:
    """Connected, the main thread used to block in the socket client's join: a SIGTERM the
    kernel handed to another thread was never acted on (a flaky CI run showed it)."""
    guide = sign_in(server, "guide")
    log = tmp_path / "agent.log"
    with AgentProcess(server.url, server.tokens["printer"], printer.port, log, signal_elsewhere=True) as agent:
        agent.start()
        online(server, guide)
        job = at_desk(server, guide)
        printer.wait_for_connections(1, PATIENCE)
        reaches(server, guide, job["id"], "printed")
        assert agent.stop() == 0 and "stopped" in agent.log()


def test_tickets_issued_while_the_agent_was_stopped_print_once_when_it_returns(
    server: LiveServer, sign_in: Any, printer: FakePrinter, agent: AgentProcess
) -> None:
    guide = sign_in(server, "guide")
    agent.start()
    online(server, guide)
    first = at_desk(server, guide)
    printer.wait_for_connections(1, PATIENCE)
    reaches(server, guide, first["id"], "printed")
    agent.stop()
    eventually(lambda: not desk_printer(server, guide)["online"], "the agent gone")

    away = [at_desk(server, guide) for _ in range(3)]
    assert {job_state(server, guide, job["id"]) for job in away} == {"queued"}
    assert desk_printer(server, guide)["due_jobs"] == 3
    agent.start()
    printer.wait_for_connections(4, PATIENCE)
    online(server, guide)
    last = at_desk(server, guide)  # after the three: a second copy of any would come before it
    printer.wait_for_connections(5, PATIENCE)
    assert printer.connections == [paper(job) for job in (first, *away, last)]
    for job in (*away, last):
        reaches(server, guide, job["id"], "printed")
    listed = check(guide.get(server.api(f"/halls/{HALL}/print-jobs"), timeout=TIMEOUT), 200)["print_jobs"]
    assert {j["id"]: j["attempts"] for j in listed if j["id"] in {job["id"] for job in away}} == {
        job["id"]: 1 for job in away
    }


def test_a_printer_out_of_paper_shows_over_the_api_and_issuing_goes_on(
    server: LiveServer, sign_in: Any, printer: FakePrinter, agent: AgentProcess
) -> None:
    guide = sign_in(server, "guide")
    printer.state = "paper_out"
    agent.start()
    online(server, guide)
    stuck = at_desk(server, guide)
    reaches(server, guide, stuck["id"], "paper_out")
    reported = desk_printer(server, guide)["last_result"]
    assert reported["state"] == "paper_out" and "out of paper" in reported["message"]
    assert printer.connections == [STATUS_QUERY]  # asked, and sent nothing: no ticket waits in the printer

    after = issue(server, guide, queue="household", station="desk-1")  # issuing goes on
    reaches(server, guide, after["print_job"]["id"], "paper_out")

    printer.state = "ready"  # the roll is changed; the desk reprints the first
    reprint = check(
        guide.post(server.api(f"/halls/{HALL}/tickets/{stuck['ticket_id']}/reprint"), json={}, timeout=TIMEOUT), 200
    )
    assert reprint["reprint_of"] == stuck["id"]
    printer.wait_for_connections(3, PATIENCE)
    assert printer.connections[2] == paper(stuck)
    reaches(server, guide, reprint["id"], "printed")
    assert desk_printer(server, guide)["last_result"]["state"] == "printed"


def test_a_job_older_than_the_max_age_is_not_printed(sign_in: Any, printer: FakePrinter, tmp_path: Path) -> None:
    """A server whose jobs may wait one second: the agent is away for longer."""
    live = LiveServer(tmp_path / "instance", environment={"QUEUE_PRINT_JOB_MAX_AGE": "1"})
    with (
        live.running() as server,
        AgentProcess(server.url, server.tokens["printer"], printer.port, tmp_path / "agent.log") as agent,
    ):
        guide = sign_in(server, "guide")
        old = at_desk(server, guide)
        reaches(server, guide, old["id"], "expired")  # the server's timer gave it up
        agent.start()
        online(server, guide)
        last = at_desk(server, guide)
        printer.wait_for_connections(1, PATIENCE)
        reaches(server, guide, last["id"], "printed")
        assert printer.connections == [paper(last)]
        assert job_state(server, guide, old["id"]) == "expired"


def test_the_agent_comes_back_by_itself_after_the_server_restarts(
    sign_in: Any, printer: FakePrinter, tmp_path: Path
) -> None:
    with (
        LiveServer(tmp_path / "instance").running() as server,
        AgentProcess(server.url, server.tokens["printer"], printer.port, tmp_path / "agent.log") as agent,
    ):
        agent.start()
        guide = sign_in(server, "guide")
        online(server, guide)
        before = at_desk(server, guide)
        printer.wait_for_connections(1, PATIENCE)
        server.kill()  # SIGKILL: the agent sees its connection drop
        eventually(lambda: "lost the server" in agent.log() or "disconnected" in agent.log(), "the agent noticed")
        server.start()
        guide = sign_in(server, "guide")
        meanwhile = at_desk(server, guide)  # before or after the agent is back: either way it prints
        printer.wait_for_connections(2, PATIENCE)
        online(server, guide)
        last = at_desk(server, guide)
        printer.wait_for_connections(3, PATIENCE)
        assert printer.connections == [paper(job) for job in (before, meanwhile, last)]
        assert agent.running() and "connecting to" in agent.log()


def test_a_token_that_is_not_a_printers_stops_the_agent_saying_why(
    server: LiveServer, printer: FakePrinter, tmp_path: Path
) -> None:
    with AgentProcess(server.url, server.tokens["kiosk"], printer.port, tmp_path / "agent.log") as agent:
        agent.start()
        assert agent.process is not None
        assert agent.process.wait(PATIENCE) == 1
        assert "the server gives this token no print jobs" in agent.log()
        assert "当前身份（kiosk）无权执行此操作" in agent.log()
    assert printer.connections == []


def test_a_refused_token_is_retried_and_the_refusal_is_logged(
    server: LiveServer, printer: FakePrinter, tmp_path: Path
) -> None:
    """A revoked or mistyped token: the administrator may register the device again, so
    the agent keeps trying, and says why it cannot connect."""
    with AgentProcess(server.url, "hqd_not-a-registered-printer", printer.port, tmp_path / "agent.log") as agent:
        agent.start()
        eventually(lambda: agent.log().count("设备令牌无效或已吊销") >= 2, "two refusals logged")
        assert agent.running()
        assert agent.stop() == 0
