"""The errors the rules raise. Each one knows its HTTP status and a stable code.

`detail` is the sentence a person reads (Chinese, the hall's language); `code` is what a
client uses to pick its own wording. The API layer turns these into RFC 9457
problem+json bodies; nothing else needs to know about HTTP.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base class: a request the rules refuse."""

    status: int = 400
    code: str = "bad_request"
    title: str = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class MalformedRequest(DomainError):
    """The body cannot be read at all (not JSON, wrong content type)."""

    status = 400
    code = "malformed_request"
    title = "Malformed request"


class InvalidInput(DomainError):
    status = 422
    code = "invalid_input"
    title = "Invalid input"


class NotFound(DomainError):
    status = 404
    code = "not_found"
    title = "Not found"


class Conflict(DomainError):
    """The request is valid but the current state does not allow it."""

    status = 409
    code = "conflict"
    title = "Conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"
    title = "Ticket is not in a state that allows this"


class QueueClosed(Conflict):
    code = "queue_closed"
    title = "Queue is not issuing now"


class QueueFull(Conflict):
    code = "queue_full"
    title = "Daily cap reached"


class DuplicateTicket(Conflict):
    """At most one open ticket per ID number per queue; `number` names the other one."""

    code = "duplicate_ticket"
    title = "This ID already holds an open ticket in this queue"


class WindowBusy(Conflict):
    code = "window_busy"
    title = "Window is busy"


class WindowNotOpen(Conflict):
    code = "window_not_open"
    title = "Window is not open"


class WindowTaken(Conflict):
    """Another clerk is signed in at the window."""

    code = "window_taken"
    title = "Window is held by another clerk"


class WindowNotAllowed(DomainError):
    """The hall file names the clerks who may open this window, and not this one."""

    status = 403
    code = "window_not_allowed"
    title = "Not one of this window's clerks"


class ReasonRequired(InvalidInput):
    """Calling a waiting ticket out of the line's order needs a reason, kept in the log."""

    code = "reason_required"
    title = "A reason is required"


class NoCurrentTicket(Conflict):
    """The window has no ticket in hand to recall, start, finish, transfer or suspend."""

    code = "no_current_ticket"
    title = "No ticket at this window"


class WrongWindow(Conflict):
    """The ticket may not be called, recalled or resumed here: the window does not serve
    its queue, or the ticket was sent to another window."""

    code = "wrong_window"
    title = "Ticket does not belong to this window"


class HallChangeRefused(Conflict):
    """A new hall file contradicts today's tickets, windows, clerks or devices; `conflicts`
    lists each one."""

    code = "hall_change_conflicts"
    title = "Hall file conflicts with the hall's live state"


class StoreBusy(DomainError):
    """The database stayed locked by another process for longer than the wait allows."""

    status = 503
    code = "store_busy"
    title = "Database busy"


class NothingWaiting(Conflict):
    code = "nothing_waiting"
    title = "No ticket waiting"


class IdempotencyMismatch(Conflict):
    code = "idempotency_key_reused"
    title = "Idempotency-Key reused with a different request"


class HallConfigError(DomainError):
    """A hall file the product refuses. `key` names the offending setting."""

    status = 422
    code = "invalid_hall_config"
    title = "Invalid hall configuration"

    def __init__(self, key: str, detail: str, *, label: str | None = None) -> None:
        super().__init__(f"{label or key}：{detail}", key=key)
        self.key = key
