"""The `ticket-printer` command: its choices checked with clear messages, and the test
page printed for real to a file and to the fake network printer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.support.escpos_reader import read_escpos
from tests.support.fake_printer import FakePrinter
from ticket_printer.cli import main, parse_tcp, parse_usb
from ticket_printer.layout import PAPERS, text_columns
from ticket_printer.outputs import STATUS_QUERY


def run(*arguments: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(arguments), env={"TICKET_PRINTER_TOKEN": None, **(env or {})})  # type: ignore[dict-item]


@pytest.fixture
def printer() -> Iterator[FakePrinter]:
    with FakePrinter() as fake:
        yield fake


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("192.168.1.50:9100", ("192.168.1.50", 9100)),
        ("192.168.1.50", ("192.168.1.50", 9100)),
        ("printer-3.hall.lan:9101", ("printer-3.hall.lan", 9101)),
        ("[fd00::50]:9100", ("fd00::50", 9100)),
        ("[::1]", ("::1", 9100)),
    ],
    ids=["host-port", "default-port", "name", "ipv6-port", "ipv6"],
)
def test_tcp_addresses(value: str, expected: tuple[str, int]) -> None:
    assert parse_tcp(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0416:5011", (0x0416, 0x5011)), ("0x04b8:0x0202", (0x04B8, 0x0202)), ("1fc9:2016", (0x1FC9, 0x2016))],
    ids=["plain", "0x-prefixed", "lower-case"],
)
def test_usb_ids(value: str, expected: tuple[int, int]) -> None:
    assert parse_usb(value) == expected


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        pytest.param(
            ["--test-page"], "choose the printer: one of --tcp HOST:PORT, --usb VID:PID or --file PATH", id="none"
        ),
        pytest.param(
            ["--tcp", "10.0.0.5", "--file", "out.bin", "--test-page"],
            "choose one printer, not --tcp and --file",
            id="two",
        ),
        pytest.param(
            ["--tcp", "10.0.0.5:99999", "--test-page"], "port 99999 is not between 1 and 65535", id="big-port"
        ),
        pytest.param(["--tcp", "10.0.0.5:ipp", "--test-page"], "is not HOST or HOST:PORT", id="named-port"),
        pytest.param(["--usb", "0416-5011", "--test-page"], "is not VID:PID", id="usb-dash"),
        pytest.param(["--usb", "0000:5011", "--test-page"], "is not VID:PID", id="usb-zero-vendor"),
        pytest.param(["--usb", "10416:5011", "--test-page"], "is not VID:PID", id="usb-five-digits"),
        pytest.param(
            ["--tcp", "10.0.0.5", "--paper", "76", "--test-page"], "'76' is not one of '58', '80'", id="paper"
        ),
        pytest.param(["--tcp", "10.0.0.5"], "--server URL and --token TOKEN are needed", id="no-server"),
        pytest.param(["--tcp", "10.0.0.5", "--server", "https://hall.cn"], "--token TOKEN is needed", id="no-token"),
        pytest.param(
            ["--tcp", "10.0.0.5", "--server", "hall.cn", "--token", "t"], "is not an http:// or https://", id="bad-url"
        ),
    ],
)
def test_bad_choices_get_a_clear_message(arguments: list[str], message: str) -> None:
    result = run(*arguments)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_the_token_may_come_from_the_environment() -> None:
    """With the token in TICKET_PRINTER_TOKEN, only the server is left to check. (The
    agent connecting with it is tests/e2e/test_printing.py.)"""
    without = run("--tcp", "10.0.0.5", "--server", "ftp://hall.example.cn")
    assert without.exit_code == 2 and "--token TOKEN is needed" in without.output
    result = run("--tcp", "10.0.0.5", "--server", "ftp://hall.example.cn", env={"TICKET_PRINTER_TOKEN": "t0k3n"})
    assert result.exit_code == 2, result.output
    assert "--token" not in result.output and "is not an http:// or https:// address" in result.output


def test_help_lists_every_choice() -> None:
    result = run("--help")
    assert result.exit_code == 0
    for option in ("--server URL", "--token TOKEN", "--tcp HOST[:PORT]", "--usb VID:PID", "--file PATH", "--test-page"):
        assert option in result.output


@pytest.mark.parametrize("paper", ["58", "80"])
def test_the_test_page_prints_to_a_file(tmp_path: Path, paper: str) -> None:
    path = tmp_path / "test-page.bin"
    result = run("--file", str(path), "--paper", paper, "--test-page")
    assert result.exit_code == 0, result.output
    assert "test page: sent to the file" in result.output
    printout = read_escpos(path.read_bytes())
    assert printout.texts()[0] == "打印测试页"
    assert "B023" in printout.texts()
    assert printout.qr_codes and printout.cut
    settings = "".join(line.text for line in printout.lines if line.align == "left")
    assert f"纸宽 {paper} 毫米，打印机 --file {path}".replace(" ", "") in settings.replace(" ", "")
    assert all(text_columns(line.text) * line.width <= PAPERS[paper].columns for line in printout.lines)


def test_the_test_page_prints_to_a_network_printer_in_english(printer: FakePrinter) -> None:
    result = run("--tcp", f"127.0.0.1:{printer.port}", "--paper", "58", "--language", "en", "--test-page")
    assert result.exit_code == 0, result.output
    assert "test page: printed" in result.output
    printer.wait_for_connections(1)
    assert printer.received.startswith(STATUS_QUERY + b"\x1b@")
    printout = read_escpos(printer.received[len(STATUS_QUERY) :])
    assert printout.texts()[0] == "Printer test page"
    assert f"Paper 58 mm, printer --tcp 127.0.0.1:{printer.port}" in " ".join(printout.texts())


def test_a_test_page_that_did_not_print_says_why(printer: FakePrinter) -> None:
    printer.state = "paper_out"
    result = run("--tcp", f"127.0.0.1:{printer.port}", "--test-page")
    assert result.exit_code == 1
    assert (
        f"test page not printed (paper_out): the printer at 127.0.0.1:{printer.port} is out of paper" in result.output
    )
