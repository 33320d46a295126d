"""A ticket as ESC/POS bytes: `render_escpos(ticket, paper)`.

Pure: the commands are collected by python-escpos's `Dummy` printer and returned; no
device is opened. The bytes follow `layout.ticket_layout` block by block:

- `ESC @` resets the printer;
- each style change (`ESC a` alignment, `ESC E` bold, `GS !` character size) is sent
  only when it differs from the one in force, which keeps a ticket to 300-odd bytes;
- Chinese text goes out as GB18030 after `FS &` (Chinese character mode), sent once
  before the first non-ASCII line. ASCII is the same byte in GB18030, so lines after
  it need no switching back; python-escpos's code pages carry no Chinese, so its
  `text()` is not used for any line. A ticket whose text is all ASCII never enters
  Chinese mode and prints on any ESC/POS printer; one that entered it sends `FS .`
  before the cut, leaving the printer in single-byte mode for whatever comes next;
- `GS !` scales the ticket number (it applies to Chinese and ASCII alike, where
  `ESC !` would not);
- the QR code is the printer's own (`GS ( k`, python-escpos `qr(native=True)`), so a
  ticket carries the address, not an image: tens of bytes instead of thousands;
- `ESC d 6` feeds the paper past the cutter and `GS V 0` cuts.
"""

from __future__ import annotations

from typing import Any

from ticket_printer import _escpos
from ticket_printer.layout import Align, Gap, Paper, Qr, Text, ticket_layout
from ticket_printer.ticket import PrintedTicket

INIT = b"\x1b@"
CHINESE_ON = b"\x1c&"  # FS &: select Chinese (double-byte) character mode
CHINESE_OFF = b"\x1c."  # FS .: cancel it
LF = b"\n"


def render_escpos(ticket: PrintedTicket, paper: Paper) -> bytes:
    """The bytes that print `ticket` on `paper` and cut it. Same input, same bytes."""
    printer = _escpos.printer.Dummy()
    writer = _Writer(printer)
    printer.hw("INIT")
    for block in ticket_layout(ticket, paper):
        if isinstance(block, Text):
            writer.style(align=block.align, bold=block.bold, width=block.width, height=block.height)
            for line in block.lines:
                writer.line(line)
        elif isinstance(block, Qr):
            writer.style(align="center", bold=False, width=1, height=1)
            printer.qr(block.content, ec=_escpos.QR_ECLEVEL_M, size=block.module_dots, native=True)
        elif isinstance(block, Gap):
            writer.style(align=writer.align, bold=writer.bold, width=1, height=1)
            printer._raw(LF)
    if writer.chinese:
        printer._raw(CHINESE_OFF)
    printer.cut()
    output: bytes = printer.output
    return output


class _Writer:
    """Sends text lines and the style commands they need, remembering what is in force
    since `ESC @` (left, not bold, normal size, Chinese mode off)."""

    def __init__(self, printer: Any) -> None:  # an escpos.printer.Dummy; python-escpos is untyped
        self.printer = printer
        self.align: Align = "left"
        self.bold = False
        self.size = (1, 1)
        self.chinese = False

    def style(self, *, align: Align, bold: bool, width: int, height: int) -> None:
        printer = self.printer
        if (width, height) != self.size:
            printer.set(custom_size=True, width=width, height=height)
            self.size = (width, height)
        if bold != self.bold:
            printer.set(bold=bold)
            self.bold = bold
        if align != self.align:
            printer.set(align=align)
            self.align = align

    def line(self, text: str) -> None:
        if not text.isascii():
            if not self.chinese:
                self.printer._raw(CHINESE_ON)
                self.chinese = True
            self.printer._raw(text.encode("gb18030") + LF)
        else:
            self.printer._raw(text.encode("ascii") + LF)
