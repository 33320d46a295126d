"""`ticket-printer`: the printer agent on a desk or kiosk PC, and its test page.

    ticket-printer --tcp 192.168.1.50 --paper 80 --test-page
    ticket-printer --server https://hall.example.cn --token TOKEN --usb 0416:5011 --paper 58

With `--server`, it prints the hall's tickets until stopped (Ctrl-C, SIGTERM), and
reconnects by itself whenever the server is away (docs/printing.md, "The agent").
Exactly one printer: `--tcp HOST[:PORT]` (a network printer's raw port, 9100 unless
given), `--usb VID:PID` (hexadecimal, as `lsusb` shows them) or `--file PATH` (a device
file such as /dev/usb/lp0, or a plain file). `--test-page` prints a sample ticket and
exits, without a server: the first thing to try when installing a printer. The token
may come from the environment (TICKET_PRINTER_TOKEN) rather than the command line,
where every user of the PC can read it.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import click

from ticket_printer import agent as agent_module
from ticket_printer.agent import Agent
from ticket_printer.layout import PAPERS, Paper
from ticket_printer.outputs import FileOutput, Output, TcpOutput, UsbOutput
from ticket_printer.ticket import LANGUAGES, Language, PrintedTicket, sample_ticket

DEFAULT_PORT = 9100
TEST_PAGE_TITLE: dict[Language, str] = {"zh-CN": "打印测试页", "zh-TW": "列印測試頁", "en": "Printer test page"}
TEST_PAGE_TIPS: dict[Language, tuple[str, str]] = {
    "zh-CN": ("纸宽 {paper} 毫米，打印机 {printer}", "中文、大号码、二维码都清楚并已切纸，打印机即可使用。"),
    "zh-TW": ("紙寬 {paper} 毫米，印表機 {printer}", "中文、大號碼、二維碼都清楚並已切紙，印表機即可使用。"),
    "en": (
        "Paper {paper} mm, printer {printer}",
        "If the text, the large number and the QR code are clear and the paper is cut, the printer is ready.",
    ),
}


def parse_tcp(value: str) -> tuple[str, int]:
    """`HOST`, `HOST:PORT`, `[IPv6]` or `[IPv6]:PORT` -> (host, port)."""
    match = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\](?::(\d+))?|([^\s:\[\]]+)(?::(\d+))?", value)
    if not match:
        raise click.BadParameter(f"{value!r} is not HOST or HOST:PORT, e.g. 192.168.1.50:9100", param_hint="--tcp")
    host = match.group(1) or match.group(3)
    port = int(match.group(2) or match.group(4) or DEFAULT_PORT)
    if not 1 <= port <= 65535:
        raise click.BadParameter(f"port {port} is not between 1 and 65535", param_hint="--tcp")
    return host, port


def parse_usb(value: str) -> tuple[int, int]:
    """`VID:PID` in hexadecimal (`0416:5011`, `0x0416:0x5011`) -> (vendor, product)."""
    match = re.fullmatch(r"(?:0x)?([0-9A-Fa-f]{1,4}):(?:0x)?([0-9A-Fa-f]{1,4})", value)
    if not match or 0 in (vendor := int(match.group(1), 16), product := int(match.group(2), 16)):
        raise click.BadParameter(
            f"{value!r} is not VID:PID, the printer's vendor and product IDs in hexadecimal as lsusb shows them, "
            "e.g. 0416:5011",
            param_hint="--usb",
        )
    return vendor, product


def choose_output(tcp: str | None, usb: str | None, file: Path | None) -> Output:
    chosen = [name for name, value in (("--tcp", tcp), ("--usb", usb), ("--file", file)) if value is not None]
    if not chosen:
        raise click.UsageError("choose the printer: one of --tcp HOST:PORT, --usb VID:PID or --file PATH")
    if len(chosen) > 1:
        raise click.UsageError(f"choose one printer, not {' and '.join(chosen)}")
    if tcp is not None:
        return TcpOutput(*parse_tcp(tcp))
    if usb is not None:
        return UsbOutput(*parse_usb(usb))
    assert file is not None
    return FileOutput(file)


def check_server(server: str | None, token: str | None) -> tuple[str, str]:
    if not server or not token:
        missing = [name for name, value in (("--server URL", server), ("--token TOKEN", token)) if not value]
        verb = "are" if len(missing) > 1 else "is"
        raise click.UsageError(
            f"{' and '.join(missing)} {verb} needed to print the hall's tickets (--test-page checks the printer alone)"
        )
    parts = urlsplit(server)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise click.BadParameter(
            f"{server!r} is not an http:// or https:// address, e.g. https://hall.example.cn", param_hint="--server"
        )
    return server.rstrip("/"), token


def build_test_page(paper: Paper, printer: str, language: Language, now: datetime) -> PrintedTicket:
    """The sample ticket, titled as a test page, with the settings in its tips."""
    settings, verdict = TEST_PAGE_TIPS[language]
    printer = printer if len(printer) <= 100 else printer[:97] + "..."
    return replace(
        sample_ticket(language, issued_at=now),
        hall_name=TEST_PAGE_TITLE[language],
        tips=(settings.format(paper=paper.name, printer=printer), verdict),
    )


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--server", metavar="URL", help="The hall server, e.g. https://hall.example.cn.")
@click.option(
    "--token",
    metavar="TOKEN",
    envvar="TICKET_PRINTER_TOKEN",
    help="The printer's device token (or TICKET_PRINTER_TOKEN).",
)
@click.option("--tcp", metavar="HOST[:PORT]", help="A network printer's raw port (9100 unless given).")
@click.option("--usb", metavar="VID:PID", help="A USB printer's vendor and product IDs in hexadecimal, e.g. 0416:5011.")
@click.option(
    "--file",
    "file",
    metavar="PATH",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A file to append tickets to: a device such as /dev/usb/lp0, or a plain file.",
)
@click.option("--paper", type=click.Choice(sorted(PAPERS)), default="80", show_default=True, help="Paper width in mm.")
@click.option("--test-page", is_flag=True, help="Print a sample ticket and exit; needs no server.")
@click.option(
    "--language", type=click.Choice(LANGUAGES), default="zh-CN", show_default=True, help="The test page's language."
)
def main(
    server: str | None,
    token: str | None,
    tcp: str | None,
    usb: str | None,
    file: Path | None,
    paper: str,
    test_page: bool,
    language: Language,
) -> None:
    """Print a service hall's tickets on a receipt printer at the desk or kiosk."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    output = choose_output(tcp, usb, file)
    printer_argument = next(
        f"--{name} {value}" for name, value in (("tcp", tcp), ("usb", usb), ("file", file)) if value
    )
    agent = Agent(output, PAPERS[paper])
    if test_page:
        ticket = build_test_page(PAPERS[paper], printer_argument, language, datetime.now().astimezone())
        result = agent.print_job(ticket.to_payload())
        if not result["ok"]:
            raise click.ClickException(f"test page not printed ({result['state']}): {result['message']}")
        click.echo(f"test page: {result['message']}")
        return
    server_url, device_token = check_server(server, token)
    try:
        agent_module.run(server_url, device_token, agent)
    except agent_module.AgentStopped as error:
        raise click.ClickException(str(error)) from error


if __name__ == "__main__":
    main()
