"""Reading a printer's answer to the real-time status query (DLE EOT 1 to 4), and the
error each state raises."""

from __future__ import annotations

import pytest

from ticket_printer.outputs import PaperOut, PrinterError, PrinterOffline, PrinterStatus

READY = bytes([0x12, 0x12, 0x12, 0x12])


def test_a_ready_printer_raises_nothing() -> None:
    status = PrinterStatus.from_answer(READY)
    assert status == PrinterStatus(offline=False, cover_open=False, paper_out=False, paper_near_end=False, error=False)
    status.raise_for_status("the printer")


@pytest.mark.parametrize(
    ("answer", "error", "message"),
    [
        pytest.param([0x1A, 0x32, 0x12, 0x72], PaperOut, "is out of paper", id="paper-end"),
        pytest.param([0x12, 0x12, 0x12, 0x72], PaperOut, "is out of paper", id="paper-sensor-only"),
        pytest.param([0x1A, 0x16, 0x12, 0x12], PrinterOffline, "has its cover open", id="cover-open"),
        pytest.param([0x1A, 0x52, 0x1A, 0x12], PrinterError, "reports an error", id="cutter-jam"),
        pytest.param([0x1A, 0x12, 0x12, 0x12], PrinterOffline, "is offline", id="offline"),
    ],
)
def test_each_fault_raises_its_error(answer: list[int], error: type[PrinterError], message: str) -> None:
    status = PrinterStatus.from_answer(bytes(answer))
    assert status is not None
    with pytest.raises(error, match=message) as raised:
        status.raise_for_status("the printer")
    assert type(raised.value) is error


def test_paper_near_end_is_reported_but_prints() -> None:
    status = PrinterStatus.from_answer(bytes([0x12, 0x12, 0x12, 0x1E]))
    assert status is not None and status.paper_near_end and not status.paper_out
    status.raise_for_status("the printer")


@pytest.mark.parametrize(
    "answer",
    [b"", READY[:3], READY + b"\x12", b"\x00\x00\x00\x00", b"\x12\x12\x12\x92", b"OK\r\n"],
    ids=["nothing", "three-bytes", "five-bytes", "zeros", "bit-7-set", "text"],
)
def test_an_answer_that_is_not_a_status_means_unknown(answer: bytes) -> None:
    assert PrinterStatus.from_answer(answer) is None


@pytest.mark.parametrize(
    ("error", "state"), [(PrinterError, "failed"), (PrinterOffline, "offline"), (PaperOut, "paper_out")]
)
def test_each_error_names_the_state_the_agent_reports(error: type[PrinterError], state: str) -> None:
    assert error.state == state
