"""The agent's own promise, within one run: a job id is printed once, however often it
arrives (live, in a fetch after a reconnect, from a server that never heard the
result), and a result the server has not confirmed is kept to send again.

The link here is not connected to any server, so nothing it sends can be confirmed:
the fake network printer shows what was printed. The agent against a live server is
tests/e2e/test_printing.py.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from tests.support.fake_printer import FakePrinter
from ticket_printer.agent import Agent, ServerLink
from ticket_printer.escpos_render import render_escpos
from ticket_printer.layout import PAPER_58
from ticket_printer.outputs import STATUS_QUERY, TcpOutput
from ticket_printer.ticket import PrintedTicket, sample_ticket


def job(job_id: int, number: str) -> dict[str, Any]:
    ticket = sample_ticket(issued_at=datetime.fromisoformat("2026-11-23T10:05:00+08:00"))
    payload = {**ticket.to_payload(), "number": number}
    return {"id": job_id, "number": number, "ticket": payload}


def paper(sent: dict[str, Any]) -> bytes:
    return STATUS_QUERY + render_escpos(PrintedTicket.from_payload(sent["ticket"]), PAPER_58)


@pytest.fixture
def printer() -> Iterator[FakePrinter]:
    with FakePrinter() as fake:
        yield fake


@pytest.fixture
def link(printer: FakePrinter) -> Iterator[ServerLink]:
    """A link that never connects, with its printing thread running."""
    made = ServerLink("http://127.0.0.1:9", "hqd_not-used", Agent(TcpOutput("127.0.0.1", printer.port), PAPER_58))
    thread = threading.Thread(target=made._print_jobs, daemon=True)
    thread.start()
    yield made
    made._jobs.put((-1, {}))
    thread.join(10)


def test_a_job_that_comes_again_is_not_printed_again(link: ServerLink, printer: FakePrinter) -> None:
    link._take(job(7, "A007"))
    link._take(job(7, "A007"))  # live, then in the fetch after a reconnect
    link._jobs.join()  # printed and answered
    link._take(job(7, "A007"))  # from a server that never heard the result
    link._take(job(8, "A008"))
    link._jobs.join()
    assert printer.connections == [paper(job(7, "A007")), paper(job(8, "A008"))]
    assert sorted(link._pending_results()) == [(7, link._results[7]), (8, link._results[8])]
    assert link._results[7] == {"ok": True, "state": "printed", "message": "printed"}


def test_a_job_that_cannot_print_is_answered_not_retried(link: ServerLink, printer: FakePrinter) -> None:
    printer.state = "paper_out"
    link._take(job(3, "B003"))
    link._jobs.join()  # printed and answered
    link._take(job(3, "B003"))
    printer.state = "ready"
    link._take(job(4, "B004"))
    link._jobs.join()
    assert printer.connections[0] == STATUS_QUERY  # paper out: asked, nothing sent
    assert len(printer.connections) == 2  # the desk decides whether to reprint: a new job
    assert link._results[3]["state"] == "paper_out" and link._results[4]["state"] == "printed"


@pytest.mark.parametrize("bad", [{"number": "A001"}, {"id": "7"}, {"id": True}])
def test_a_job_without_an_id_is_ignored(link: ServerLink, printer: FakePrinter, bad: dict[str, Any]) -> None:
    link._take(bad)
    link._take(job(1, "A001"))
    link._jobs.join()  # printed and answered
    assert list(link._results) == [1]
