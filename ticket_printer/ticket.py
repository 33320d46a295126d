"""What a paper ticket says: `PrintedTicket`, and the JSON print-job payload it comes from.

The server builds a `PrintedTicket` after the ticket is committed, sends
`ticket.to_payload()` to the printer agent, and the agent reads it back with
`PrintedTicket.from_payload()`. Everything on the paper is here, already worked out
(people ahead, estimated wait, the phone page's address): the renderers only lay it
out, so that a reprint shows what the first print showed.

No I/O here; the module imports only the standard library.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal, get_args

logger = logging.getLogger(__name__)

Language = Literal["zh-CN", "zh-TW", "en"]
LANGUAGES: tuple[Language, ...] = get_args(Language)

# Ticket numbers are the queue's prefix letter and digits ("A023"); printed large in the
# printer's own ASCII font, so they are kept short and plain.
NUMBER_PATTERN = re.compile(r"[A-Z0-9]{1,8}")
# The printer's QR command holds at most a few hundred characters at a size a phone
# still reads from thermal paper; the phone page's address is far shorter.
MAX_URL_LENGTH = 300
MAX_TEXT_LENGTH = 200
MAX_TIPS = 10

REQUIRED_FIELDS = ("hall_name", "queue_name", "number", "people_ahead", "issued_at", "phone_url")
OPTIONAL_FIELDS = ("item_name", "estimated_wait_minutes", "tips", "priority_label", "language")


class TicketPayloadError(ValueError):
    """A print-job payload that cannot make a ticket. `problems` lists every fault,
    one sentence each, naming the field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class PrintedTicket:
    """Everything printed on one paper ticket.

    `issued_at` is aware; it is printed in its own offset, so the server sends it in
    the hall's local time. `tips` are the hall's lines of advice, printed in order.
    `language` picks the fixed labels ("您前面还有 3 人"); names and tips come from the
    hall already in the language wanted.
    """

    hall_name: str
    queue_name: str
    number: str
    people_ahead: int
    issued_at: datetime
    phone_url: str
    item_name: str | None = None
    estimated_wait_minutes: int | None = None
    tips: tuple[str, ...] = field(default=())
    priority_label: str | None = None
    language: Language = "zh-CN"

    def __post_init__(self) -> None:
        problems = _check(self)
        if problems:
            raise TicketPayloadError(problems)

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> PrintedTicket:
        """Read a print job's `ticket` object (decoded JSON). Raises `TicketPayloadError`
        naming every missing or malformed field. Unknown fields are ignored (a newer
        server may send more than this agent knows) and logged."""
        if not isinstance(payload, Mapping):
            raise TicketPayloadError([f"the ticket must be a JSON object, not {type(payload).__name__}"])
        problems = [f"{name}: missing" for name in REQUIRED_FIELDS if payload.get(name) is None]
        unknown = sorted(set(payload) - set(REQUIRED_FIELDS) - set(OPTIONAL_FIELDS))
        if unknown:
            logger.warning("ignoring unknown ticket fields: %s", ", ".join(map(str, unknown)))

        issued_at: Any = payload.get("issued_at")
        if isinstance(issued_at, str):
            try:
                issued_at = datetime.fromisoformat(issued_at)
            except ValueError:
                problems.append(f"issued_at: {issued_at!r} is not an ISO 8601 date and time")
                issued_at = None
        elif issued_at is not None:
            problems.append("issued_at: must be an ISO 8601 string with an offset, e.g. 2026-11-23T10:00:00+08:00")
            issued_at = None

        tips: Any = payload.get("tips", [])
        if tips is None:
            tips = []
        if not isinstance(tips, list):
            problems.append("tips: must be a list of strings")
            tips = []

        if problems:
            raise TicketPayloadError(problems)
        return cls(
            hall_name=payload["hall_name"],
            queue_name=payload["queue_name"],
            number=payload["number"],
            people_ahead=payload["people_ahead"],
            issued_at=issued_at,
            phone_url=payload["phone_url"],
            item_name=payload.get("item_name"),
            estimated_wait_minutes=payload.get("estimated_wait_minutes"),
            tips=tuple(tips),
            priority_label=payload.get("priority_label"),
            language="zh-CN" if payload.get("language") is None else payload["language"],
        )

    def to_payload(self) -> dict[str, Any]:
        """The JSON-ready object `from_payload` reads back into an equal ticket."""
        return {
            "hall_name": self.hall_name,
            "queue_name": self.queue_name,
            "item_name": self.item_name,
            "number": self.number,
            "people_ahead": self.people_ahead,
            "estimated_wait_minutes": self.estimated_wait_minutes,
            "issued_at": self.issued_at.isoformat(),
            "phone_url": self.phone_url,
            "tips": list(self.tips),
            "priority_label": self.priority_label,
            "language": self.language,
        }


def _check(ticket: PrintedTicket) -> list[str]:
    """Every fault of a ticket's fields, as sentences naming the field."""
    problems: list[str] = []

    def text(name: str, value: object, *, optional: bool = False) -> None:
        if value is None and optional:
            return
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{name}: must be a non-empty string")
        elif len(value) > MAX_TEXT_LENGTH:
            problems.append(f"{name}: longer than {MAX_TEXT_LENGTH} characters")
        elif any(ord(character) < 0x20 or ord(character) == 0x7F for character in value):
            # control characters would reach the printer as commands
            problems.append(f"{name}: contains control characters")

    def count(name: str, value: object, *, optional: bool = False) -> None:
        if value is None and optional:
            return
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            problems.append(f"{name}: must be a whole number, 0 or more")

    text("hall_name", ticket.hall_name)
    text("queue_name", ticket.queue_name)
    text("item_name", ticket.item_name, optional=True)
    text("priority_label", ticket.priority_label, optional=True)
    if not isinstance(ticket.number, str) or not NUMBER_PATTERN.fullmatch(ticket.number):
        problems.append(f"number: {ticket.number!r} is not a ticket number (1 to 8 capital letters or digits)")
    count("people_ahead", ticket.people_ahead)
    count("estimated_wait_minutes", ticket.estimated_wait_minutes, optional=True)
    if not isinstance(ticket.issued_at, datetime):
        problems.append("issued_at: must be a date and time")
    elif ticket.issued_at.utcoffset() is None:
        problems.append("issued_at: has no UTC offset; send the hall's local time with its offset")
    url = ticket.phone_url
    if not isinstance(url, str) or not re.fullmatch(r"https?://[!-~]+", url):
        problems.append("phone_url: must be an http:// or https:// address in plain ASCII")
    elif len(url) > MAX_URL_LENGTH:
        problems.append(f"phone_url: longer than {MAX_URL_LENGTH} characters")
    if not isinstance(ticket.tips, tuple):
        problems.append("tips: must be a tuple of strings")
    else:
        if len(ticket.tips) > MAX_TIPS:
            problems.append(f"tips: more than {MAX_TIPS} lines")
        for index, tip in enumerate(ticket.tips):
            text(f"tips[{index}]", tip)
    if ticket.language not in LANGUAGES:
        problems.append(f"language: {ticket.language!r} is not one of {', '.join(LANGUAGES)}")
    return problems


SHANGHAI = timezone(timedelta(hours=8))


def sample_ticket(language: Language = "zh-CN", issued_at: datetime | None = None) -> PrintedTicket:
    """The ticket of the test page and of the golden files: a realistic one, with an
    item, a wait, a priority class and the two tips most halls print."""
    issued_at = issued_at or datetime(2026, 11, 23, 2, 5, tzinfo=UTC).astimezone(SHANGHAI)
    texts: dict[str, tuple[str, str, str, str, tuple[str, ...]]] = {
        "zh-CN": (
            "示范区政务服务中心",
            "不动产登记",
            "二手房转移登记",
            "绿色通道",
            ("请在休息区等候，留意大屏和语音叫号。", "过号请到导办台重新排队。"),
        ),
        "zh-TW": (
            "示範區政務服務中心",
            "不動產登記",
            "二手房轉移登記",
            "綠色通道",
            ("請在休息區等候，留意大屏和語音叫號。", "過號請到導辦台重新排隊。"),
        ),
        "en": (
            "Demo District Government Service Center",
            "Real estate registration",
            "Transfer of a resold home",
            "Priority lane",
            (
                "Please wait in the seating area and watch the screens and voice calls.",
                "If you miss your call, queue again at the guidance desk.",
            ),
        ),
    }
    hall_name, queue_name, item_name, priority_label, tips = texts[language]
    return PrintedTicket(
        hall_name=hall_name,
        queue_name=queue_name,
        item_name=item_name,
        number="B023",
        people_ahead=3,
        estimated_wait_minutes=15,
        issued_at=issued_at,
        phone_url="http://hall.example.cn/t/Xq3vR8kP2mZt",
        tips=tips,
        priority_label=priority_label,
        language=language,
    )
