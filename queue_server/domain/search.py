"""Finding tickets: the filters a search takes, checked against the hall, and the cursor
that pages through the answer.

The answer's order: waiting tickets first, by their place in line (who is called first
comes first), then every other ticket by its issue time; the ticket id breaks ties. A
cursor is a position in that order (the last ticket of a page), so the next page starts
right after it; it is not a snapshot: a ticket that changes state between two pages may
move past the cursor and show twice, or not at all.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from queue_server.domain.errors import InvalidInput
from queue_server.domain.hall import HallSpec
from queue_server.domain.tickets import TicketStatus

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
WAITING_FIRST = 0  # the cursor's group: waiting tickets, by place in line
OTHERS = 1  # every other ticket, by issue time


@dataclass(frozen=True)
class Cursor:
    group: int
    key: str  # the place (waiting) or the issue instant (others), as stored
    ticket_id: int

    def encode(self) -> str:
        raw = json.dumps([self.group, self.key, self.ticket_id], separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            group, key, ticket_id = json.loads(raw)
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, RecursionError):
            raise _bad_cursor() from None
        valid = (
            group in (WAITING_FIRST, OTHERS)
            and isinstance(key, str)
            and len(key) <= 200
            and isinstance(ticket_id, int)
            and not isinstance(ticket_id, bool)
            and 0 < ticket_id < 2**63
        )
        if not valid:
            raise _bad_cursor()
        return cls(group, key, ticket_id)


def _bad_cursor() -> InvalidInput:
    return InvalidInput("cursor 无效：请使用上一页答复中的 next_cursor，或去掉 cursor 从第一页开始", field="cursor")


@dataclass(frozen=True)
class TicketSearch:
    """What to look for; every filter given must hold. `day` None: the hall's open day."""

    statuses: frozenset[TicketStatus] = frozenset()
    queues: tuple[str, ...] = ()
    number: str | None = None
    window: int | None = None  # the window it is at, was last at, or was sent to
    day: date | None = None
    id_digest: str | None = None  # the citizen's ID number, as its keyed hash
    limit: int = DEFAULT_LIMIT
    after: Cursor | None = None


def statuses(values: Iterable[str]) -> frozenset[TicketStatus]:
    """Ticket states named one by one or separated by commas (`waiting,called`)."""
    found = set()
    for value in values:
        for name in value.split(","):
            try:
                found.add(TicketStatus(name.strip()))
            except ValueError:
                known = ", ".join(s.value for s in TicketStatus)
                raise InvalidInput(f"未知的状态 {name.strip()!r}：可用的有 {known}", field="status") from None
    return frozenset(found)


def queue_codes(values: Iterable[str]) -> tuple[str, ...]:
    """Queue codes named one by one or separated by commas."""
    return tuple(dict.fromkeys(code.strip() for value in values for code in value.split(",") if code.strip()))


def check_against(search: TicketSearch, hall: HallSpec) -> None:
    """Refuse a queue or window the hall does not have, listing those it has."""
    for code in search.queues:
        if not hall.has_queue(code):
            known = "、".join(q.code for q in hall.queues)
            raise InvalidInput(f"大厅中没有队列 {code!r}：可用的有 {known}", field="queue")
    if search.window is not None and not hall.has_window(search.window):
        known = "、".join(str(w.number) for w in sorted(hall.windows, key=lambda w: w.number))
        raise InvalidInput(f"大厅中没有 {search.window} 号窗口：可用的有 {known}", field="window")
