"""The printer outputs and the agent against a fake network printer on a loopback port
(tests/support/fake_printer.py), a file, and the USB bus as it is."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.fake_printer import FakePrinter
from ticket_printer.agent import Agent
from ticket_printer.escpos_render import render_escpos
from ticket_printer.layout import PAPER_58, PAPER_80, Paper
from ticket_printer.outputs import (
    STATUS_QUERY,
    FileOutput,
    PaperOut,
    PrinterError,
    PrinterOffline,
    TcpOutput,
    UsbOutput,
)
from ticket_printer.ticket import sample_ticket

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
# A printer that never answers the status query is waited for this long; short, so the
# tests of such a printer stay quick. (A setting, not a measurement.)
SHORT_STATUS_WAIT = 0.2


@pytest.fixture
def printer() -> Iterator[FakePrinter]:
    """A fake network printer, ready and with paper, on a free loopback port."""
    with FakePrinter() as fake:
        yield fake


@pytest.fixture
def refusing_port() -> Iterator[int]:
    """A loopback port with a socket bound but not listening: connections are refused,
    and no other test can take the port meanwhile."""
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        yield bound.getsockname()[1]


@pytest.mark.parametrize(
    ("paper", "golden"), [(PAPER_58, "ticket-zh-CN-58mm.bin"), (PAPER_80, "ticket-zh-CN-80mm.bin")]
)
def test_the_printer_receives_exactly_the_golden_bytes(printer: FakePrinter, paper: Paper, golden: str) -> None:
    result = Agent(TcpOutput("127.0.0.1", printer.port), paper).print_job(sample_ticket().to_payload())
    assert result == {"ok": True, "state": "printed", "message": "printed"}
    printer.wait_for_connections(1)
    # the status query first, then the ticket, byte for byte, and nothing else
    assert printer.received == STATUS_QUERY + (GOLDEN / golden).read_bytes()
    assert printer.status_requests == [1, 2, 3, 4]


def test_paper_out_is_reported_and_nothing_is_printed(printer: FakePrinter) -> None:
    printer.state = "paper_out"
    output = TcpOutput("127.0.0.1", printer.port)
    with pytest.raises(PaperOut, match="is out of paper"):
        output.send(render_escpos(sample_ticket(), PAPER_58))
    printer.wait_for_connections(1)
    assert printer.received == STATUS_QUERY


def test_the_agent_reports_paper_out_then_prints_once_the_roll_is_changed(printer: FakePrinter) -> None:
    agent = Agent(TcpOutput("127.0.0.1", printer.port), PAPER_58)
    printer.state = "paper_out"
    result = agent.print_job(sample_ticket().to_payload())
    assert result == {
        "ok": False,
        "state": "paper_out",
        "message": f"the printer at 127.0.0.1:{printer.port} is out of paper",
    }
    printer.state = "ready"
    assert agent.print_job(sample_ticket().to_payload())["state"] == "printed"
    printer.wait_for_connections(2)
    assert printer.connections[1] == STATUS_QUERY + (GOLDEN / "ticket-zh-CN-58mm.bin").read_bytes()


def test_an_open_cover_is_reported_as_offline(printer: FakePrinter) -> None:
    printer.state = "cover_open"
    result = Agent(TcpOutput("127.0.0.1", printer.port), PAPER_58).print_job(sample_ticket().to_payload())
    assert (result["ok"], result["state"]) == (False, "offline")
    assert "cover open" in result["message"]
    printer.wait_for_connections(1)
    assert printer.received == STATUS_QUERY


def test_paper_near_end_prints_and_warns(printer: FakePrinter) -> None:
    printer.state = "paper_near_end"
    result = Agent(TcpOutput("127.0.0.1", printer.port), PAPER_80).print_job(sample_ticket().to_payload())
    assert result["ok"] and result["state"] == "printed"
    assert result["message"] == f"printed; the printer at 127.0.0.1:{printer.port} is running out of paper"
    printer.wait_for_connections(1)
    assert printer.received.endswith((GOLDEN / "ticket-zh-CN-80mm.bin").read_bytes())


def test_a_printer_that_does_not_answer_status_still_gets_the_ticket(printer: FakePrinter) -> None:
    printer.state = "silent"
    output = TcpOutput("127.0.0.1", printer.port, status_timeout=SHORT_STATUS_WAIT)
    result = Agent(output, PAPER_58).print_job(sample_ticket().to_payload())
    assert result["ok"] and result["state"] == "printed"
    assert "does not report its status" in result["message"]
    printer.wait_for_connections(1)
    assert printer.received == STATUS_QUERY + (GOLDEN / "ticket-zh-CN-58mm.bin").read_bytes()


def test_a_refused_connection_is_printer_offline(refusing_port: int) -> None:
    output = TcpOutput("127.0.0.1", refusing_port)
    with pytest.raises(PrinterOffline, match=f"cannot reach the printer at 127.0.0.1:{refusing_port}"):
        output.send(b"\x1b@")
    result = Agent(output, PAPER_58).print_job(sample_ticket().to_payload())
    assert (result["ok"], result["state"]) == (False, "offline")


def test_a_malformed_job_fails_without_touching_the_printer(printer: FakePrinter) -> None:
    payload = {**sample_ticket().to_payload(), "number": "", "issued_at": "2026-11-23T10:05:00"}
    result = Agent(TcpOutput("127.0.0.1", printer.port), PAPER_58).print_job(payload)
    assert (result["ok"], result["state"]) == (False, "failed")
    assert "number: '' is not a ticket number" in result["message"]
    assert "issued_at: has no UTC offset" in result["message"]
    assert printer.connections == []


def test_the_file_output_appends_each_ticket(tmp_path: Path) -> None:
    path = tmp_path / "tickets.bin"
    agent = Agent(FileOutput(path), PAPER_58)
    first, second = agent.print_job(sample_ticket().to_payload()), agent.print_job(sample_ticket("en").to_payload())
    assert first["ok"] and second["ok"]
    assert (
        path.read_bytes()
        == (GOLDEN / "ticket-zh-CN-58mm.bin").read_bytes() + (GOLDEN / "ticket-en-58mm.bin").read_bytes()
    )


def test_a_file_in_a_missing_folder_is_offline(tmp_path: Path) -> None:
    """/dev/usb/lp0 disappears when the printer is unplugged."""
    with pytest.raises(PrinterOffline, match="does not exist"):
        FileOutput(tmp_path / "usb" / "lp0").send(b"\x1b@")


def test_a_usb_printer_that_is_not_plugged_in_is_offline() -> None:
    """The real USB bus, through pyusb and libusb: no device has this vendor ID."""
    import usb.backend.libusb1

    output = UsbOutput(0xFFFE, 0x0001)
    if usb.backend.libusb1.get_backend() is None:  # libusb itself missing: a clear error, not a crash
        with pytest.raises(PrinterError, match="libusb"):
            output.send(b"\x1b@")
    else:
        with pytest.raises(PrinterOffline, match="the USB printer fffe:0001 is not connected"):
            output.send(b"\x1b@")
