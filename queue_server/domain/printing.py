"""Print jobs: where a ticket prints, what the paper says, and the life of a job.

A hall prints at *stations*: a guidance desk or a kiosk, each named by a short code
(`desk-1`, `kiosk-2`). A printer device serves one station; a kiosk device is bound to
one when it is registered; the desk names its station with each ticket it issues. A
ticket issued at a station with a printer gets one print job, written in the issuing
transaction. The job is what the agent next to the printer receives and answers:

    queued ──sent to the agent──▶ sent ──the agent's result──▶ printed | paper_out | offline | failed
       │                            │
       └── older than the max age, or its ticket is over ──▶ expired | cancelled

`queued` and `sent` are *due*: an agent that connects gets them (a `sent` job was in the
hands of an agent that left without answering). The agent's result is final: a job it
reported is never sent again, whatever it reported, and a reprint is a new job. A result
that comes in after the server gave a job up (`expired`, `cancelled`) is still recorded,
since it says what the paper really did.

Pure: builds values and decides; the services store them.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import datetime, timedelta
from enum import StrEnum

from queue_server.domain.errors import Conflict, InvalidInput
from queue_server.domain.hall import HallSpec
from queue_server.domain.lifecycle import Ticket
from ticket_printer.ticket import MAX_TEXT_LENGTH, PrintedTicket

STATION_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
PRIORITY_LABEL = "绿色通道"  # printed as 【绿色通道】 for every priority class: the class stays private
MAX_MESSAGE = 500  # characters of an agent's message kept with a job
DEFAULT_MAX_AGE = 120.0  # seconds: after this a job not yet sent is not printed

# The socket events of printing (docs/socket-events.md). Not hall events: no sequence
# number, not logged, not replayed; an agent fetches what is due, a page re-reads jobs.
PRINT_JOB = "print_job"  # server to a printer's agent: a job to print
PRINT_JOB_UPDATED = "print_job_updated"  # server to staff and the issuing kiosk: a job changed


class JobState(StrEnum):
    QUEUED = "queued"  # written with the ticket; no agent has it yet
    SENT = "sent"  # handed to the agent; no result yet
    PRINTED = "printed"
    PAPER_OUT = "paper_out"
    OFFLINE = "offline"  # the agent cannot reach its printer, or the printer says offline
    FAILED = "failed"  # the printer reported a fault, or the job could not be rendered
    EXPIRED = "expired"  # older than the max age before it reached an agent
    CANCELLED = "cancelled"  # its ticket was over before the job reached an agent


DUE = frozenset({JobState.QUEUED, JobState.SENT})
# What an agent may report: the states `ticket_printer.agent.Agent.print_job` returns.
REPORTED = frozenset({JobState.PRINTED, JobState.PAPER_OUT, JobState.OFFLINE, JobState.FAILED})


class NoPrinter(Conflict):
    """A reprint asked for at a station where no printer is registered."""

    code = "no_printer"
    title = "No printer at this station"


def check_station(value: object) -> str:
    """A station code: lower-case letters, digits, `-` and `_`, at most 40."""
    if not isinstance(value, str) or not STATION_PATTERN.fullmatch(value):
        raise InvalidInput(
            "工位（station）须是小写字母、数字、- 和 _ 组成的编码，最长 40 个字符，如 desk-1", field="station"
        )
    return value


def check_result(ok: bool, state: JobState) -> None:
    """An agent's result must agree with itself: `ok` exactly when printed."""
    if state not in REPORTED:
        raise InvalidInput(f"state 只能是 {', '.join(s.value for s in sorted(REPORTED))}", field="state")
    if ok != (state is JobState.PRINTED):
        raise InvalidInput("ok 与 state 不一致：只有 state 为 printed 时 ok 为 true", field="ok")


def verdict(created_at: datetime, ticket_open: bool, now: datetime, max_age: float) -> JobState | None:
    """What becomes of a due job before it is sent: `None` to send it, else the state it
    ends in. An old job is not printed (the citizen already has the number on screen, or
    left); a job whose ticket is over (served, cancelled, expired) is not printed at all."""
    if not ticket_open:
        return JobState.CANCELLED
    if now - created_at > timedelta(seconds=max_age):
        return JobState.EXPIRED
    return None


def printed_ticket(
    spec: HallSpec,
    ticket: Ticket,
    *,
    people_ahead: int,
    estimated_wait_minutes: int | None,
    phone_url: str,
) -> PrintedTicket:
    """What the paper says for `ticket`, worked out now: its line and wait as of issuing,
    the issue time in the hall's own time zone, the hall's tips. Names longer than a
    ticket line allows are shortened rather than refused: printing must never stop a
    ticket from being issued."""
    item_name = None
    if ticket.bundle is not None:
        item_name = next((b.name for b in spec.bundles if b.code == ticket.bundle), None)
    elif ticket.item is not None:
        item_name = next((i.name for i in spec.items if i.code == ticket.item), None)
    queue_name = spec.queue(ticket.queue).name if spec.has_queue(ticket.queue) else ticket.queue
    return PrintedTicket(
        hall_name=_fit(spec.name),
        queue_name=_fit(queue_name),
        item_name=_fit(item_name) if item_name else None,
        number=ticket.number,
        people_ahead=people_ahead,
        estimated_wait_minutes=estimated_wait_minutes,
        issued_at=ticket.issued_at.astimezone(zoneinfo.ZoneInfo(spec.timezone)).replace(microsecond=0),
        phone_url=phone_url,
        tips=spec.tips,
        priority_label=PRIORITY_LABEL if ticket.priority is not None else None,
        language="zh-CN",
    )


def _fit(text: str) -> str:
    """One line of a ticket's text: no control characters (they would reach the printer
    as commands), at most the length a ticket takes."""
    clean = "".join(" " if ord(ch) < 0x20 or ord(ch) == 0x7F else ch for ch in text).strip() or "-"
    return clean if len(clean) <= MAX_TEXT_LENGTH else clean[: MAX_TEXT_LENGTH - 1] + "…"
