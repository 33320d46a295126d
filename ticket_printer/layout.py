"""The layout of a paper ticket, shared by the printer bytes and the PNG preview.

`ticket_layout(ticket, paper)` turns a `PrintedTicket` into a short list of blocks
(text lines with their style, a QR code, an empty line), already wrapped to the
paper's width. `escpos_render` turns the blocks into ESC/POS commands and `preview`
draws them, so the two cannot drift apart.

Widths are counted in the printer's columns: font A is 12 dots wide, so a 58 mm
printer (384 dots) has 32 columns and an 80 mm one (576 dots) 48. A Chinese character
(and full-width punctuation) is 24 dots wide and takes two columns.

Pure: no I/O, standard library only.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from ticket_printer.ticket import Language, PrintedTicket

Align = Literal["left", "center"]

COLUMN_DOTS = 12  # font A: 12 x 24 dots a half-width character


@dataclass(frozen=True)
class Paper:
    """A paper roll width and how the ticket uses it."""

    name: str
    columns: int  # half-width characters of font A on one line
    dots: int  # printable width in dots (8 dots a millimetre)
    number_scale: int  # how many times larger than normal the ticket number prints
    qr_module_dots: int  # the side of one QR module, in dots (the printer's QR "size")


PAPER_58 = Paper("58", columns=32, dots=384, number_scale=4, qr_module_dots=5)
PAPER_80 = Paper("80", columns=48, dots=576, number_scale=6, qr_module_dots=6)
PAPERS = {paper.name: paper for paper in (PAPER_58, PAPER_80)}


@dataclass(frozen=True)
class Text:
    """Lines printed in one style. Each line fits `paper.columns // width` columns."""

    lines: tuple[str, ...]
    align: Align = "center"
    bold: bool = False
    width: int = 1  # character magnification across, 1 to 8
    height: int = 1  # and down


@dataclass(frozen=True)
class Qr:
    """A QR code, centred, each module `module_dots` square."""

    content: str
    module_dots: int


@dataclass(frozen=True)
class Gap:
    """One empty line of normal height."""


Block = Text | Qr | Gap


@dataclass(frozen=True)
class Labels:
    """The fixed words of a ticket in one language; `{n}`, `{m}`, `{time}` are filled in."""

    ahead: str
    ahead_one: str
    next: str
    wait: str
    issued: str
    scan: str
    priority: str


LABELS: dict[Language, Labels] = {
    "zh-CN": Labels(
        ahead="您前面还有 {n} 人",
        ahead_one="您前面还有 1 人",
        next="下一位就是您",
        wait="预计等候约 {m} 分钟",
        issued="取号时间 {time}",
        scan="扫码查看排队进度",
        priority="【{label}】",
    ),
    "zh-TW": Labels(
        ahead="您前面還有 {n} 人",
        ahead_one="您前面還有 1 人",
        next="下一位就是您",
        wait="預計等候約 {m} 分鐘",
        issued="取號時間 {time}",
        scan="掃碼查看排隊進度",
        priority="【{label}】",
    ),
    "en": Labels(
        ahead="{n} people ahead of you",
        ahead_one="1 person ahead of you",
        next="You are next",
        wait="Estimated wait: about {m} min",
        issued="Issued {time}",
        scan="Scan to follow your place in the queue",
        priority="[{label}]",
    ),
}

# Chinese line-breaking rules (避头尾): these never start a line ...
NO_LINE_START = frozenset("，。、；：？！）》」』】〕…·,.;:?!)%")
# ... and these never end one.
NO_LINE_END = frozenset("（《「『【〔(")
_TOKENS = re.compile(r" +|[^\s]")


def char_columns(character: str) -> int:
    """Columns a character takes on the printer: 2 for wide (CJK, full-width), else 1."""
    return 2 if unicodedata.east_asian_width(character) in ("W", "F") else 1


def text_columns(text: str) -> int:
    return sum(char_columns(character) for character in text)


def wrap(text: str, columns: int) -> list[str]:
    """Break `text` into lines of at most `columns` columns.

    Chinese breaks between any two characters, except that closing punctuation is
    never carried to the start of a line nor an opening bracket left at the end of one;
    runs of half-width letters and digits (English words, "A023", "15") break at
    spaces and are split only when longer than a whole line.
    """
    if columns < 4:
        raise ValueError("a line needs room for at least two Chinese characters")
    words: list[str] = []  # wide characters one by one, narrow runs whole, spaces as runs
    for match in _TOKENS.finditer(" ".join(text.split())):
        token = match.group()
        if token != " " and char_columns(token) == 1 and words and _is_word(words[-1]):
            words[-1] += token
        else:
            words.append(token)

    lines: list[str] = []
    line = ""
    for word in words:
        if word == " ":
            if line:
                line += word
            continue
        if text_columns(line) + text_columns(word) <= columns:
            line += word
            continue
        if text_columns(word) > columns:  # a narrow run longer than a line: split it
            for character in word:
                if text_columns(line) + char_columns(character) > columns:
                    lines.append(line.rstrip())
                    line = ""
                line += character
            continue
        carry = ""
        body = line.rstrip()
        if word[0] in NO_LINE_START and len(body) > 1 and char_columns(body[-1]) == 2:
            carry, body = body[-1], body[:-1]
        while len(body) > 1 and body[-1] in NO_LINE_END:
            carry, body = body[-1] + carry, body[:-1]
        lines.append(body)
        line = carry + word
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _is_word(token: str) -> bool:
    return token != " " and all(char_columns(character) == 1 for character in token)


def number_scale(number: str, paper: Paper) -> int:
    """The largest magnification up to the paper's own at which `number` fits a line."""
    return max(1, min(paper.number_scale, paper.columns // max(1, len(number))))


def ticket_layout(ticket: PrintedTicket, paper: Paper) -> tuple[Block, ...]:
    """The blocks of a ticket, top to bottom; the cut follows the last one."""
    labels = LABELS[ticket.language]
    scale = number_scale(ticket.number, paper)
    # the hall's name twice as high, and twice as wide too where it still fits one line
    hall_width = 2 if text_columns(ticket.hall_name) * 2 <= paper.columns else 1
    blocks: list[Block] = [
        Text(tuple(wrap(ticket.hall_name, paper.columns // hall_width)), bold=True, width=hall_width, height=2),
        Text(tuple(wrap(ticket.queue_name, paper.columns)), bold=True),
    ]
    if ticket.item_name:
        blocks.append(Text(tuple(wrap(ticket.item_name, paper.columns))))
    blocks.append(Text((ticket.number,), bold=True, width=scale, height=scale))
    if ticket.priority_label:
        label = labels.priority.format(label=ticket.priority_label)
        blocks.append(Text(tuple(wrap(label, paper.columns)), bold=True))
    if ticket.people_ahead == 0:
        ahead = labels.next
    elif ticket.people_ahead == 1:
        ahead = labels.ahead_one
    else:
        ahead = labels.ahead.format(n=ticket.people_ahead)
    status = [ahead]
    if ticket.estimated_wait_minutes:  # none, or 0 when the citizen is called at once
        status.append(labels.wait.format(m=ticket.estimated_wait_minutes))
    status.append(labels.issued.format(time=ticket.issued_at.strftime("%Y-%m-%d %H:%M")))
    blocks.append(Text(tuple(line for part in status for line in wrap(part, paper.columns))))
    blocks.append(Qr(ticket.phone_url, paper.qr_module_dots))
    blocks.append(Text(tuple(wrap(labels.scan, paper.columns))))
    if ticket.tips:
        blocks.append(Gap())
        blocks.append(Text(tuple(line for tip in ticket.tips for line in wrap(tip, paper.columns)), align="left"))
    return tuple(blocks)
