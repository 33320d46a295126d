"""Who receives what: the two audiences of the hall's data and what the public one sees.

Every device is **public**: hall and window screens hang in the hall, kiosks and review pads
stand in it, printers sit on the guidance desk with their output in citizens' hands; a
device token is the credential most likely to leak. Staff (guides, clerks, managers,
administrators, and the operator's command line) are the **staff** audience and see
everything of their hall.

A public device receives public fields only (docs/privacy.md), chosen here by listing
what it may see, so that a field added later stays with the staff until someone decides
otherwise:

- tickets by their random public reference (`ref`), never by their counting `id`;
- no clerk's name or staff number (工号), unless the hall file says `show_clerk_names = true`;
- no free text a person typed (the reasons given for a suspension, transfer, cancellation,
  pause or release): only the reasons the server itself gives (`end_of_day`, `window_closed`);
- no outcome or handling time of a service, and never anything of a citizen's identity
  (the ID number is never stored; its digest, the appointment and the priority class are
  not in any event).

A window screen or review pad also sees only its own window of the hall (`concerns`).

Some hall events are the staff's alone (`STAFF_ONLY_EVENTS`): a rating (`rating_recorded`)
says how a citizen judged a clerk, which is no screen's or phone's business; nor are the
差评整改 cases that follow a 差评 (`review_case_opened`, `review_case_updated`), nor the
managers' alerts (`alert_raised`, `alert_cleared`, `alert_acknowledged`). Public
devices and phones get nothing of them, only the `sequence_advanced` stub that keeps
their sequence unbroken. (What a review pad needs of a rating it invites comes to it
alone, as `rating_requested`: `services.ratings`.)
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from queue_server.domain.access import Principal


class Audience(StrEnum):
    PUBLIC = "public"  # every device
    STAFF = "staff"  # guides, clerks, managers, administrators, the operator


def audience_of(principal: Principal | None) -> Audience:
    """Staff see everything of their hall; a device, a citizen's phone, or nobody known,
    sees the public part."""
    if principal is not None and (principal.operator or principal.is_staff):
        return Audience.STAFF
    return Audience.PUBLIC


# What a public device may see of a ticket (`ticket_view`); the rest is the staff's.
PUBLIC_TICKET_VIEW = frozenset(
    {
        "ref",
        "number",
        "service_day",
        "queue",
        "queue_name",
        "item",
        "bundle",
        "items",
        "priority",
        "channel",
        "status",
        "window",
        "target_window",
        "issued_at",
        "first_called_at",
        "called_at",
        "started_at",
        "finished_at",
        "people_ahead",
        "estimated_wait_minutes",
        "hall",
    }
)


def public_ticket_view(view: dict[str, Any]) -> dict[str, Any]:
    """A ticket as a kiosk that issued it sees it: by its reference, without the staff's
    fields (its counting id, its handling time, its outcome, its log)."""
    return {key: value for key, value in view.items() if key in PUBLIC_TICKET_VIEW}


# What a citizen's phone reads of its own ticket (`GET /api/v1/t/{ref}`, `read_progress`;
# docs/phone.md): the ticket's public part, worded for a citizen, with where it stands now.
PROGRESS_VIEW = frozenset(
    {
        "hall",
        "number",
        "service_day",
        "past_day",
        "queue",
        "queue_name",
        "item",
        "bundle",
        "status",
        "window",
        "clerk",
        "target_window",
        "recalled",
        "transferred",
        "requeued",
        "people_ahead",
        "estimated_wait_minutes",
        "issued_at",
        "called_at",
        "finished_at",
        "rating",
        "seq",
    }
)


def progress_view(view: dict[str, Any]) -> dict[str, Any]:
    """A ticket's progress as its citizen's phone sees it: listed fields only."""
    return {key: value for key, value in view.items() if key in PROGRESS_VIEW}


# Hall events no public device or phone receives anything of (but their sequence number).
STAFF_ONLY_EVENTS = frozenset(
    {
        "rating_recorded",
        "review_case_opened",
        "review_case_updated",
        # the managers' alerts (services.alerts): which device is offline, which window idles
        "alert_raised",
        "alert_cleared",
        "alert_acknowledged",
    }
)


def staff_only(payload: dict[str, Any]) -> bool:
    return payload.get("type") in STAFF_ONLY_EVENTS


# The reasons the server gives itself; every other reason is a person's free text.
SYSTEM_REASONS = frozenset({"end_of_day", "window_closed"})
PUBLIC_TICKET = frozenset({"ref", "number", "queue", "queue_name", "status", "priority"})
PUBLIC_WINDOW = frozenset(
    {"number", "name", "zone", "status", "clerk", "clerk_number", "ticket", "ticket_ref", "ticket_status", "queues"}
)
# The members of a hall event a public device receives (docs/socket-events.md).
PUBLIC_EVENT = frozenset(
    {
        # every event
        "hall",
        "seq",
        "type",
        "at",
        "service_day",
        "reason",
        # tickets, windows, calls
        "ticket",
        "window",
        "waiting",
        "text",
        "texts",
        "speech",
        "recall",
        "call_count",
        "policy",
        "from_queue",
        "to_queue",
        "to_window",
        # the hall and its day
        "name",
        "revision",
        "effective_from",
        "notice",
        "previous_day",
        "expired_tickets",
        "closed_windows",
    }
)


# What a public device may see of a snapshot, and of each of its recent calls.
PUBLIC_SNAPSHOT = frozenset(
    {"hall", "notice", "service_day", "seq", "zones", "queues", "items", "bundles", "windows", "recent_calls"}
)
PUBLIC_CALL = frozenset({"number", "window", "called_at", "seq", "recall", "texts"})


def public_ticket(brief: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in brief.items() if key in PUBLIC_TICKET}


def public_window(window: dict[str, Any], *, show_clerk_names: bool) -> dict[str, Any]:
    shown = {key: value for key, value in window.items() if key in PUBLIC_WINDOW}
    if not show_clerk_names:  # the clerk's staff number (工号) goes with the name: both, or neither
        for key in ("clerk", "clerk_number"):
            if key in shown:
                shown[key] = None
    return shown


def public_event(payload: dict[str, Any], *, show_clerk_names: bool) -> dict[str, Any]:
    """A hall event as a public device receives it."""
    shown = {key: value for key, value in payload.items() if key in PUBLIC_EVENT}
    if isinstance(shown.get("ticket"), dict):
        shown["ticket"] = public_ticket(shown["ticket"])
    if isinstance(shown.get("window"), dict):
        shown["window"] = public_window(shown["window"], show_clerk_names=show_clerk_names)
    if "reason" in shown and shown["reason"] not in SYSTEM_REASONS:
        shown["reason"] = None
    return shown


# What a citizen's phone receives of a hall event (the hall's citizen stream,
# docs/phone.md): the public part without any ticket's reference, since each reference is
# the credential of somebody's page, and without the call's texts and speech, which the
# phone words itself. A phone knows its own ticket by number and service day (unique in a
# hall), and only needs to learn that something touching its line happened.
CITIZEN_EVENT = PUBLIC_EVENT - {"text", "texts", "speech"}
CITIZEN_TICKET = PUBLIC_TICKET - {"ref"}
CITIZEN_WINDOW = frozenset({"number", "name", "zone", "status", "ticket", "ticket_status"})


def citizen_event(payload: dict[str, Any]) -> dict[str, Any] | None:
    """A hall event as a citizen's phone receives it; None: nothing of it (staff only)."""
    if staff_only(payload):
        return None
    shown = {key: value for key, value in payload.items() if key in CITIZEN_EVENT}
    if isinstance(shown.get("ticket"), dict):
        shown["ticket"] = {key: value for key, value in shown["ticket"].items() if key in CITIZEN_TICKET}
    if isinstance(shown.get("window"), dict):
        shown["window"] = {key: value for key, value in shown["window"].items() if key in CITIZEN_WINDOW}
    if "reason" in shown and shown["reason"] not in SYSTEM_REASONS:
        shown["reason"] = None
    return shown


def event_for(payload: dict[str, Any], audience: Audience, *, show_clerk_names: bool) -> dict[str, Any] | None:
    """A hall event as `audience` receives it; None: nothing of it (a staff-only event to
    the public)."""
    if audience is Audience.STAFF:
        return payload
    if staff_only(payload):
        return None
    return public_event(payload, show_clerk_names=show_clerk_names)


def snapshot_for(
    snapshot: dict[str, Any], audience: Audience, *, show_clerk_names: bool, window: int | None = None
) -> dict[str, Any]:
    """A snapshot as `audience` may see it; `window`: only that window's part of it (a
    window-bound device), as its socket scope gives it."""
    shown = dict(snapshot)
    if window is not None:
        shown["windows"] = [w for w in shown["windows"] if w["number"] == window]
        shown["recent_calls"] = [c for c in shown["recent_calls"] if c["window"] == window]
    if audience is Audience.PUBLIC:
        shown = {key: value for key, value in shown.items() if key in PUBLIC_SNAPSHOT}
        shown["windows"] = [public_window(w, show_clerk_names=show_clerk_names) for w in shown["windows"]]
        shown["recent_calls"] = [{k: v for k, v in c.items() if k in PUBLIC_CALL} for c in shown["recent_calls"]]
    return shown


def concerns(payload: dict[str, Any], *, zone: str | None = None, window: int | None = None) -> bool:
    """Whether a hall event belongs to a scope: the whole hall (neither given), a zone or
    a window. An event at a window concerns its zone and itself; every other event (a
    ticket issued, the day, the notice) concerns every scope."""
    at = payload.get("window")
    if not isinstance(at, dict) or (zone is None and window is None):
        return True
    if window is not None:
        return bool(at.get("number") == window)
    return bool(at.get("zone") == zone)
