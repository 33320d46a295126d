"""The commands staff and devices send, one table for HTTP and Socket.IO alike.

Each entry names the fields it takes, reads them (with errors that name the field; a
field it does not take is refused, so a typo never silently drops what was meant) and
calls one use case. The HTTP routes and the socket handlers both dispatch through
`COMMANDS`, so the two interfaces cannot drift apart.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from queue_server import inputs
from queue_server.domain import printing, ratings
from queue_server.domain.access import Principal
from queue_server.domain.errors import InvalidInput
from queue_server.domain.ratings import RatingLevel
from queue_server.domain.tickets import Outcome, PriorityClass
from queue_server.services import Event, IssueRequest, Services
from queue_server.services.windows import CommandKey

Result = tuple[dict[str, Any], list[Event]]
Runner = Callable[[Services, Principal | None, str, dict[str, Any], datetime], Result]

MAX_WINDOW = 999
MAX_ID = 2**62
# What every command may carry besides its own fields: the hall (on the socket) and, for
# window commands, the window and an idempotency key (HTTP: the Idempotency-Key header).
ENVELOPE = frozenset({"hall"})
WINDOW_ENVELOPE = frozenset({"window", "idempotency_key"})


@dataclass(frozen=True)
class Command:
    name: str  # snake_case, imperative: the socket event and the HTTP path segment
    summary: str
    run: Runner
    fields: frozenset[str] = frozenset()  # the command's own fields
    window_scoped: bool = True  # HTTP: POST /halls/{hall}/windows/{window}/{name}
    citizens_only: bool = False  # national rule (好差评): staff are refused before anything is read

    @property
    def accepted(self) -> frozenset[str]:
        return self.fields | ENVELOPE | (WINDOW_ENVELOPE if self.window_scoped else frozenset())

    def __call__(
        self, services: Services, principal: Principal | None, hall: str, args: dict[str, Any], now: datetime
    ) -> Result:
        if self.citizens_only and principal is not None and (principal.is_staff or principal.operator):
            raise ratings.refuse_staff()
        inputs.only(args, self.accepted)
        if not self.window_scoped:
            return self.run(services, principal, hall, args, now)
        # a window command with a key runs at most once (services.windows.run_once)
        key = inputs.text(args, "idempotency_key", max_length=100)
        command_key = CommandKey(key, self.fingerprint(principal, args), self.name) if key is not None else None
        return services.run_once(
            command_key, principal, hall, _window(args), lambda: self.run(services, principal, hall, args, now)
        )

    def fingerprint(self, principal: Principal | None, args: dict[str, Any]) -> str:
        """What makes two sends of a window command 'the same': the command, who sends it,
        and its fields (the window included)."""
        sent = {k: v for k, v in args.items() if k not in ENVELOPE and k != "idempotency_key"}
        who = (principal.user_id, principal.device_id) if principal is not None else None
        raw = json.dumps([self.name, who, sent], sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(raw.encode()).hexdigest()


def _window(args: dict[str, Any]) -> int:
    return inputs.integer(args, "window", 1, MAX_WINDOW)  # type: ignore[return-value]


def _reason(args: dict[str, Any]) -> str | None:
    return inputs.text(args, "reason", max_length=200)


def issue_request(args: dict[str, Any]) -> IssueRequest:
    if args.get("appointment") is not None:
        # an appointment's ticket is issued by its check-in, which checks its slot
        raise InvalidInput(
            "预约请签到取号：check_in_appointment（HTTP：POST /api/v1/halls/{大厅}/appointments/{预约编号}/check-in），"
            "签到时核对预约时段",
            field="appointment",
        )
    return IssueRequest(
        item=inputs.text(args, "item", max_length=40),
        bundle=inputs.text(args, "bundle", max_length=40),
        queue=inputs.text(args, "queue", max_length=40),
        priority=inputs.choice(args, "priority", PriorityClass),
        id_number=inputs.text(args, "id_number", max_length=40),
        station=_station(args),
    )


def _station(args: dict[str, Any]) -> str | None:
    station = inputs.text(args, "station", max_length=40)
    return printing.check_station(station) if station is not None else None


def _issue(s: Services, p: Principal | None, hall: str, args: dict[str, Any], now: datetime) -> Result:
    key = inputs.text(args, "idempotency_key", max_length=100)
    return s.issue_ticket(p, hall, issue_request(args), now, idempotency_key=key)


def _cancel(s: Services, p: Principal | None, hall: str, args: dict[str, Any], now: datetime) -> Result:
    ticket_id = inputs.integer(args, "ticket_id", 1, MAX_ID)
    return s.cancel_ticket(p, hall, ticket_id, _reason(args), now)  # type: ignore[arg-type]


def _reprint(s: Services, p: Principal | None, hall: str, args: dict[str, Any], now: datetime) -> Result:
    ticket_id = inputs.integer(args, "ticket_id", 1, MAX_ID)
    return s.reprint_ticket(p, hall, ticket_id, _station(args), now)  # type: ignore[arg-type]


def _finish(s: Services, p: Principal | None, hall: str, args: dict[str, Any], now: datetime) -> Result:
    outcome = inputs.choice(args, "outcome", Outcome) or Outcome.ACCEPTED
    items = inputs.text_list(args, "items", max_items=20, max_length=40)
    return s.finish_service(p, hall, _window(args), outcome, now, items=items)


def _transfer(s: Services, p: Principal | None, hall: str, args: dict[str, Any], now: datetime) -> Result:
    to_queue = inputs.text(args, "to_queue", max_length=40)
    to_window = inputs.integer(args, "to_window", 1, MAX_WINDOW, required=False)
    return s.transfer(p, hall, _window(args), to_queue, to_window, _reason(args), now)


def _release(s: Services, p: Principal | None, hall: str, args: dict[str, Any], now: datetime) -> Result:
    reason = inputs.text(args, "reason", max_length=200, required=True)
    return s.release_window(p, hall, _window(args), reason, now)  # type: ignore[arg-type]


def _check_in(s: Services, p: Principal | None, hall: str, args: dict[str, Any], now: datetime) -> Result:
    reference = inputs.text(args, "reference", max_length=64, required=True)
    return s.check_in_appointment(p, hall, reference, now, station=_station(args))  # type: ignore[arg-type]


def _rate(s: Services, p: Principal | None, hall: str, args: dict[str, Any], now: datetime) -> Result:
    ticket_ref = inputs.text(args, "ticket_ref", max_length=64)
    level = inputs.choice(args, "level", RatingLevel, required=True)
    reasons = inputs.text_list(args, "reasons", max_items=ratings.MAX_REASONS, max_length=ratings.MAX_REASON_LENGTH)
    text = args.get("text")
    if text is not None and not isinstance(text, str):
        raise InvalidInput(f"字段 text 须是文本（最多 {ratings.MAX_TEXT} 个字）", field="text")
    assert level is not None
    return s.submit_rating(p, hall, ticket_ref, level, reasons or [], text, now)


def _acknowledge(s: Services, p: Principal | None, hall: str, args: dict[str, Any], now: datetime) -> Result:
    alert_id = inputs.integer(args, "alert_id", 1, MAX_ID)
    return s.acknowledge_alert(p, hall, alert_id, now)  # type: ignore[arg-type]


def _ticket_number(args: dict[str, Any]) -> str:
    return inputs.ticket_number(args, "ticket_number")


COMMANDS: dict[str, Command] = {
    c.name: c
    for c in (
        Command(
            "issue_ticket",
            "Issue a numbered ticket (guide, manager, kiosk)",
            _issue,
            frozenset(
                {"item", "bundle", "queue", "priority", "id_number", "appointment", "idempotency_key", "station"}
            ),
            window_scoped=False,
        ),
        Command(
            "reprint_ticket",
            "Print an open ticket again, at its station or another (guide, manager)",
            _reprint,
            frozenset({"ticket_id", "station"}),
            window_scoped=False,
        ),
        Command(
            "check_in_appointment",
            "Check in an appointment (预约签到) by its booking reference: issues its ticket, placed by the hall's rule",
            _check_in,
            frozenset({"reference", "station"}),
            window_scoped=False,
        ),
        Command(
            "submit_rating",
            "Rate a finished service (好差评): the window's review pad, or the ticket's own phone; never staff",
            _rate,
            frozenset({"ticket_ref", "level", "reasons", "text"}),
            window_scoped=False,
            citizens_only=True,
        ),
        Command(
            "cancel_ticket",
            "Cancel a waiting, suspended or no-show ticket",
            _cancel,
            frozenset({"ticket_id", "reason"}),
            window_scoped=False,
        ),
        Command(
            "acknowledge_alert",
            "A manager acknowledges an alert: who and when are kept; a second acknowledgement answers the first",
            _acknowledge,
            frozenset({"alert_id"}),
            window_scoped=False,
        ),
        Command(
            "open_window", "A clerk logs in at the window", lambda s, p, h, a, n: s.open_window(p, h, _window(a), n)
        ),
        Command(
            "close_window", "Log out and close the window", lambda s, p, h, a, n: s.close_window(p, h, _window(a), n)
        ),
        Command(
            "pause_window",
            "Pause service (暂停服务)",
            lambda s, p, h, a, n: s.pause_window(p, h, _window(a), _reason(a), n),
            frozenset({"reason"}),
        ),
        Command("resume_window", "Resume a paused window", lambda s, p, h, a, n: s.resume_window(p, h, _window(a), n)),
        Command(
            "release_window",
            "A manager frees a window its clerk left: its ticket goes back in line, the window closes",
            _release,
            frozenset({"reason"}),
        ),
        Command(
            "call_next", "Call the next ticket for this window", lambda s, p, h, a, n: s.call_next(p, h, _window(a), n)
        ),
        Command(
            "call_number",
            "Call one ticket by number (a recallable no-show, or a chosen one: out of the line's order with a reason)",
            lambda s, p, h, a, n: s.call_number(p, h, _window(a), _ticket_number(a), n, reason=_reason(a)),
            frozenset({"ticket_number", "reason"}),
        ),
        Command(
            "recall", "Announce the current call again (重呼)", lambda s, p, h, a, n: s.recall(p, h, _window(a), n)
        ),
        Command(
            "mark_no_show",
            "The called citizen did not come (过号)",
            lambda s, p, h, a, n: s.mark_no_show(p, h, _window(a), n),
        ),
        Command(
            "start_service",
            "The citizen arrived; service starts",
            lambda s, p, h, a, n: s.start_service(p, h, _window(a), n),
        ),
        Command(
            "finish_service",
            "Finish with an outcome and the item codes served",
            _finish,
            frozenset({"outcome", "items"}),
        ),
        Command(
            "transfer",
            "Send the ticket to another queue or window, keeping its place",
            _transfer,
            frozenset({"to_queue", "to_window", "reason"}),
        ),
        Command(
            "suspend",
            "Suspend (挂起): the citizen fetches papers",
            lambda s, p, h, a, n: s.suspend(p, h, _window(a), _reason(a), n),
            frozenset({"reason"}),
        ),
        Command(
            "resume_ticket",
            "Serve a suspended ticket again at this window",
            lambda s, p, h, a, n: s.resume(p, h, _window(a), _ticket_number(a), n),
            frozenset({"ticket_number"}),
        ),
    )
}
