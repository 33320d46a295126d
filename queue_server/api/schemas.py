"""The JSON Schemas of the OpenAPI document: every body the API answers with and every
body it takes.

Each answer's shape is written out whole (`required`, `additionalProperties: false`
wherever the shape is fixed), so that a test driving the API from this document
(`tests/integration/test_schemathesis.py`) catches a field that was renamed, dropped or
added without the document. Request bodies refuse unknown fields, as the server does
(`inputs.only`).
"""

from __future__ import annotations

from typing import Any

from queue_server.domain.access import DeviceKind, Role
from queue_server.domain.announcements import LANGUAGES
from queue_server.domain.appointments import REFERENCE_PATTERN, AppointmentStatus
from queue_server.domain.audit import AuditAction
from queue_server.domain.events import EventType
from queue_server.domain.hall import QueueKind
from queue_server.domain.lifecycle import Channel, VisitEnd, WindowStatus
from queue_server.domain.logins import Refusal
from queue_server.domain.printing import REPORTED, JobState
from queue_server.domain.ratings import MAX_REASON_LENGTH, MAX_REASONS, MAX_TEXT, RatingChannel, RatingLevel
from queue_server.domain.review_cases import CaseAction
from queue_server.domain.review_feed import OutboxState
from queue_server.domain.screens import MAX_NOTICE, SCREEN_KINDS
from queue_server.domain.search import DEFAULT_LIMIT, MAX_LIMIT
from queue_server.domain.tickets import Outcome, PriorityClass, TicketStatus

Schema = dict[str, Any]


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(properties: dict[str, Schema], *, optional: tuple[str, ...] = (), **more: Any) -> Schema:
    """A fixed shape: every property required unless listed in `optional`, no others."""
    return {
        "type": "object",
        "required": [name for name in properties if name not in optional],
        "properties": properties,
        "additionalProperties": False,
        **more,
    }


def _nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def _enum(values: Any) -> Schema:
    return {"enum": [v.value if hasattr(v, "value") else v for v in values]}


STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
COUNT: Schema = {"type": "integer", "minimum": 0}
BOOLEAN: Schema = {"type": "boolean"}
OPTIONAL_STRING: Schema = {"type": ["string", "null"]}
OPTIONAL_INTEGER: Schema = {"type": ["integer", "null"]}
INSTANT: Schema = {"type": "string", "format": "date-time", "description": "UTC, ISO 8601 with milliseconds and Z"}
OPTIONAL_INSTANT: Schema = {"type": ["string", "null"], "format": "date-time"}
DAY: Schema = {"type": "string", "format": "date", "description": "A service day, the hall's local date"}
CODE_PATTERN = "^[a-z0-9][a-z0-9_-]{0,39}$"
TICKET_NUMBER_PATTERN = "^[A-Za-z][0-9]{3}$"
TEXT_NOTE = "Text without control characters"
WINDOW_NUMBER: Schema = {"type": "integer", "minimum": 1, "maximum": 999}
ACTORS = _enum([*Role, *DeviceKind])
BY_LANGUAGE: Schema = _obj({language: STRING for language in LANGUAGES})


def _reason(max_length: int = 200) -> Schema:
    return {"type": "string", "maxLength": max_length, "description": TEXT_NOTE}


# ---- answers -----------------------------------------------------------------------------

TICKET_LOG_ENTRY = _obj(
    {
        "seq": INTEGER,
        "at": INSTANT,
        "type": _enum(EventType),
        "window": OPTIONAL_INTEGER,
        "clerk_id": OPTIONAL_INTEGER,
        "device_id": OPTIONAL_INTEGER,
        "reason": OPTIONAL_STRING,
    }
)

VISIT = _obj(
    {
        "window": INTEGER,
        "clerk_id": OPTIONAL_INTEGER,
        "called_at": OPTIONAL_INSTANT,
        "calls": COUNT,
        "started_at": OPTIONAL_INSTANT,
        "ended_at": OPTIONAL_INSTANT,
        "ending": _nullable(_enum(VisitEnd)),
        "handling_seconds": {"type": "number", "minimum": 0},
    }
)

_WAITING_ONLY = ("people_ahead", "estimated_wait_minutes")

# A ticket's public reference (queue_server.services.tickets.new_ticket_ref); 32 hex
# digits for tickets issued before references existed.
TICKET_REF: Schema = {
    "type": "string",
    "pattern": "^[A-Za-z0-9_-]{16,64}$",
    "description": "The ticket's random public reference: what citizens and public devices name it by",
}
STAFF_ID: Schema = {**INTEGER, "description": "The ticket's id in the store; staff only, never sent to a device"}

TICKET = _obj(
    {
        "id": STAFF_ID,
        "ref": TICKET_REF,
        "number": {"type": "string", "examples": ["A001"]},
        "service_day": DAY,
        "queue": STRING,
        "queue_name": STRING,
        "item": OPTIONAL_STRING,
        "bundle": OPTIONAL_STRING,
        "items": {"type": "array", "items": STRING},
        "appointment": {
            **OPTIONAL_STRING,
            "description": "The booking reference of the appointment it was checked in for",
        },
        "priority": _nullable(_enum(PriorityClass)),
        "channel": _enum(Channel),
        "status": _enum(TicketStatus),
        "window": OPTIONAL_INTEGER,
        "target_window": OPTIONAL_INTEGER,
        "issued_at": INSTANT,
        "first_called_at": OPTIONAL_INSTANT,
        "called_at": OPTIONAL_INSTANT,
        "started_at": OPTIONAL_INSTANT,
        "finished_at": OPTIONAL_INSTANT,
        "handling_seconds": {"type": "number", "minimum": 0},
        "outcome": _nullable(_enum(Outcome)),
        "hall": _obj({"code": STRING, "name": STRING}),
        "people_ahead": {**COUNT, "description": "Only while waiting"},
        "estimated_wait_minutes": {**COUNT, "description": "Only while waiting"},
        "log": {
            "type": "array",
            "items": TICKET_LOG_ENTRY,
            "description": "Managers and administrators only: every event of the ticket",
        },
        "visits": {
            "type": "array",
            "items": VISIT,
            "description": "Managers and administrators only: its stays at windows",
        },
        "print_job": {
            **_nullable(ref("PrintJob")),
            "description": "Issuing and check-in only: the print job written with the ticket (a repeated "
            "request: its latest); null when no station was named or no printer serves it (the ticket is issued "
            "all the same)",
        },
    },
    optional=(*_WAITING_ONLY, "log", "visits", "id", "appointment", "handling_seconds", "outcome", "print_job"),
    description="A ticket. `people_ahead` and `estimated_wait_minutes` come together, only while it waits; "
    "`log` and `visits` only for managers and administrators; `id`, `appointment`, `handling_seconds` and "
    "`outcome` only for staff (a kiosk sees the ticket it issued by its `ref`).",
    dependentRequired={"people_ahead": ["estimated_wait_minutes"], "estimated_wait_minutes": ["people_ahead"]},
    **{
        "if": {"properties": {"status": {"const": TicketStatus.WAITING.value}}},
        "else": {"not": {"anyOf": [{"required": [name]} for name in _WAITING_ONLY]}},
    },
)

TICKET_BRIEF = _obj(
    {
        "id": STAFF_ID,
        "ref": TICKET_REF,
        "number": STRING,
        "queue": STRING,
        "queue_name": STRING,
        "status": _enum(TicketStatus),
        "priority": {"type": "boolean", "description": "Whether it is a priority ticket; never the class"},
        "issued_at": INSTANT,
        "first_called_at": {**_nullable(INSTANT), "description": "The end of its wait in line; null: never called"},
    },
    optional=("id", "issued_at", "first_called_at"),
    description="What a screen may show of a ticket: never the ID digest, the priority class or the "
    "appointment; `id`, `issued_at` and `first_called_at` for staff only (the managers' dashboard counts "
    "waits from them)",
)

WINDOW = _obj(
    {
        "number": INTEGER,
        "name": STRING,
        "zone": STRING,
        "status": _enum(WindowStatus),
        "clerk": {**OPTIONAL_STRING, "description": "The signed-in clerk's name; null while closed"},
        "clerk_number": {
            **OPTIONAL_STRING,
            "description": "The signed-in clerk's staff number (工号); null while closed. Public devices get "
            "it, like the name, only where the hall file shows clerks' names",
        },
        "ticket": {**OPTIONAL_STRING, "description": "The number of the ticket in its hands"},
        "ticket_id": {**OPTIONAL_INTEGER, "description": "Staff only"},
        "ticket_ref": _nullable(TICKET_REF),
        "ticket_status": _nullable(_enum(TicketStatus)),
    },
    optional=("ticket_id",),
    description="A window and what is in its hands, after the action (in events to public devices without "
    "`ticket_id`, and without the clerk's name unless the hall file shows it)",
)

WINDOW_BRIEF = _obj({"number": INTEGER, "name": STRING, "zone": OPTIONAL_STRING})

_NAMED_WINDOW = _obj({"number": INTEGER, "name": STRING})
_NAMED = _obj({"code": STRING, "name": STRING})

PROGRESS = _obj(
    {
        "hall": _obj({"code": STRING, "name": STRING}),
        "number": {"type": "string", "examples": ["A001"]},
        "service_day": DAY,
        "past_day": {**BOOLEAN, "description": "The ticket is of an earlier service day than the hall's"},
        "queue": STRING,
        "queue_name": STRING,
        "item": _nullable(_NAMED),
        "bundle": _nullable(_NAMED),
        "status": _enum(TicketStatus),
        "window": {
            **_nullable(_NAMED_WINDOW),
            "description": "Where it is called, served or suspended, or was (done, no-show); null while waiting",
        },
        "clerk": {
            **OPTIONAL_STRING,
            "description": "The clerk at the window while called or served, where the hall file shows clerks' names",
        },
        "target_window": {**_nullable(_NAMED_WINDOW), "description": "Waiting for this window only (转窗口)"},
        "recalled": {**BOOLEAN, "description": "Called, and called again (重呼)"},
        "transferred": {**BOOLEAN, "description": "Waiting again after a transfer"},
        "requeued": {**BOOLEAN, "description": "Waiting again after a no-show (过号重排)"},
        "people_ahead": {**COUNT, "description": "Only while waiting, on its own day"},
        "estimated_wait_minutes": {**COUNT, "description": "Only while waiting, on its own day"},
        "issued_at": INSTANT,
        "called_at": OPTIONAL_INSTANT,
        "finished_at": OPTIONAL_INSTANT,
        "rating": {
            **_nullable(
                _obj(
                    {
                        "given": _nullable(
                            _obj(
                                {
                                    "level": _enum(RatingLevel),
                                    "label": {**STRING, "description": "非常满意 … 非常不满意"},
                                    "channel": _enum(RatingChannel),
                                    "rated_at": INSTANT,
                                }
                            )
                        ),
                        "levels": {
                            "type": "array",
                            "items": _obj(
                                {
                                    "level": _enum(RatingLevel),
                                    "label": STRING,
                                    "reasons": {"type": "array", "items": STRING},
                                }
                            ),
                            "description": "The five levels best first with the hall file's reasons; empty once rated",
                        },
                    }
                )
            ),
            "description": "好差评, once service finished (null before): the rating given (whoever gave it, level "
            "and channel only), else the levels the phone may rate with (`POST /api/v1/t/{ref}/rating`)",
        },
        "seq": {**COUNT, "description": "The hall's last event when this was read: every event up to it is in it"},
    },
    optional=_WAITING_ONLY,
    description="A ticket's progress as its citizen's phone shows it (docs/phone.md): its public part only, "
    "never its id, reference, appointment, outcome or handling time.",
    dependentRequired={"people_ahead": ["estimated_wait_minutes"], "estimated_wait_minutes": ["people_ahead"]},
    **{
        "if": {"properties": {"status": {"const": TicketStatus.WAITING.value}, "past_day": {"const": False}}},
        "else": {"not": {"anyOf": [{"required": [name]} for name in _WAITING_ONLY]}},
    },
)

WAITING: Schema = {
    "type": "object",
    "additionalProperties": COUNT,
    "description": "Queue code → tickets waiting in it",
}

SNAPSHOT = _obj(
    {
        "hall": _obj({"code": STRING, "name": STRING, "timezone": STRING, "notice": STRING}),
        "notice": {**STRING, "description": "The notice in force: the manager's, else the hall file's"},
        "service_day": DAY,
        "seq": {**COUNT, "description": "The hall's last sequence number: subscribe or catch up from it"},
        "zones": {"type": "array", "items": _obj({"code": STRING, "name": STRING})},
        "queues": {
            "type": "array",
            "items": _obj(
                {
                    "code": STRING,
                    "prefix": STRING,
                    "name": STRING,
                    "kind": _enum(QueueKind),
                    "waiting": COUNT,
                    "issuing": BOOLEAN,
                }
            ),
        },
        "items": {
            "type": "array",
            "items": _obj({"code": STRING, "name": STRING, "department": STRING, "queue": STRING}),
        },
        "bundles": {
            "type": "array",
            "items": _obj(
                {"code": STRING, "name": STRING, "queue": STRING, "items": {"type": "array", "items": STRING}}
            ),
        },
        "windows": {
            "type": "array",
            "items": _obj(
                {
                    "number": INTEGER,
                    "name": STRING,
                    "zone": STRING,
                    "status": _enum(WindowStatus),
                    "clerk": OPTIONAL_STRING,
                    "clerk_number": OPTIONAL_STRING,
                    "ticket": OPTIONAL_STRING,
                    "ticket_status": _nullable(_enum(TicketStatus)),
                    "queues": {"type": "array", "items": STRING},
                }
            ),
        },
        "recent_calls": {
            "type": "array",
            "description": "The call of each window that still has its ticket in hand, newest first",
            "items": _obj(
                {
                    "number": STRING,
                    "window": INTEGER,
                    "called_at": OPTIONAL_INSTANT,
                    "seq": INTEGER,
                    "recall": BOOLEAN,
                    "texts": BY_LANGUAGE,
                }
            ),
        },
    },
    description="Everything a screen or console needs to draw the hall from scratch",
)

# What each event type carries besides `hall`, `seq`, `type`, `at` and `service_day`
# (docs/socket-events.md). Members listed here are always present; others may be.
_TICKET_EVENT = {"ticket": ref("TicketBrief"), "waiting": WAITING}
_AT_WINDOW = {**_TICKET_EVENT, "window": ref("WindowBrief")}
_CALL = {
    **_AT_WINDOW,
    "text": STRING,
    "texts": BY_LANGUAGE,
    "speech": BY_LANGUAGE,
    "recall": BOOLEAN,
    "call_count": {"type": "integer", "minimum": 1},
}
_WINDOW_EVENT = {"window": ref("Window"), "reason": OPTIONAL_STRING}

# A rating (好差评) in the shared record shape that the 好差评 feed sends (docs/ratings.md).
RATING = _obj(
    {
        "id": {**INTEGER, "minimum": 1},
        "key": {**STRING, "description": "`{hall}-rating-{id}`: the idempotency id the feed sends, never reused"},
        "hall": STRING,
        "ticket_ref": {**STRING, "description": "The ticket's public reference (never the ID number)"},
        "ticket_number": STRING,
        "service_day": DAY,
        "queue": STRING,
        "items": {"type": "array", "items": STRING, "description": "Item codes served"},
        "window": {**INTEGER, "description": "Where service finished"},
        "clerk_number": {**OPTIONAL_STRING, "description": "The clerk's staff number (工号) when rated"},
        "channel": _enum(RatingChannel),
        "level": {**_enum(RatingLevel), "description": "非常满意 … 非常不满意, by name; the last two are 差评"},
        "reasons": {"type": "array", "items": STRING},
        "text": {"type": ["string", "null"], "maxLength": MAX_TEXT},
        "system_default": {**BOOLEAN, "description": "The 基本满意 the system gave when nobody rated in time"},
        "issued_at": INSTANT,
        "called_at": {**OPTIONAL_INSTANT, "description": "The first call"},
        "started_at": {**OPTIONAL_INSTANT, "description": "The first service start"},
        "finished_at": {**INSTANT, "description": "The final finish"},
        "rated_at": INSTANT,
        "wait_seconds": {**COUNT, "description": "Issue to first call"},
        "handling_seconds": {**COUNT, "description": "Service time summed across every window that served it"},
    }
)
EVENT_MEMBERS: dict[EventType, Schema] = {
    EventType.TICKET_ISSUED: _TICKET_EVENT,
    EventType.TICKET_CALLED: _CALL,
    EventType.TICKET_RECALLED: _CALL,
    EventType.TICKET_NO_SHOW: {**_AT_WINDOW, "policy": _enum(["void", "requeued", "recallable"])},
    EventType.SERVICE_STARTED: _AT_WINDOW,
    EventType.SERVICE_FINISHED: {
        **_AT_WINDOW,
        "outcome": {**_enum(Outcome), "description": "Staff only"},
        "handling_seconds": {"type": "number", "minimum": 0, "description": "Staff only"},
    },
    EventType.TICKET_TRANSFERRED: {
        **_AT_WINDOW,
        "from_queue": STRING,
        "to_queue": STRING,
        "to_window": OPTIONAL_INTEGER,
    },
    EventType.TICKET_RETURNED: {**_TICKET_EVENT, "reason": STRING},
    EventType.TICKET_SUSPENDED: _AT_WINDOW,
    EventType.TICKET_RESUMED: _AT_WINDOW,
    EventType.TICKET_CANCELLED: _TICKET_EVENT,
    EventType.TICKET_EXPIRED: {**_TICKET_EVENT, "reason": STRING},
    EventType.WINDOW_OPENED: _WINDOW_EVENT,
    EventType.WINDOW_PAUSED: _WINDOW_EVENT,
    EventType.WINDOW_RESUMED: _WINDOW_EVENT,
    EventType.WINDOW_CLOSED: _WINDOW_EVENT,
    EventType.WINDOW_RELEASED: {**_WINDOW_EVENT, "ticket": _nullable(ref("TicketBrief"))},
    EventType.HALL_UPDATED: {"name": STRING, "revision": {"type": "integer", "minimum": 1}},
    EventType.HALL_CHANGE_SCHEDULED: {"effective_from": DAY},
    EventType.NOTICE_CHANGED: {"notice": STRING},
    EventType.DAY_STARTED: {"previous_day": DAY, "expired_tickets": COUNT, "closed_windows": COUNT},
    EventType.RATING_RECORDED: {"rating": ref("Rating"), "window": ref("WindowBrief")},
    EventType.REVIEW_CASE_OPENED: {"case": ref("ReviewCaseBrief")},
    EventType.REVIEW_CASE_UPDATED: {"case": ref("ReviewCaseBrief"), "action": _enum(CaseAction)},
    EventType.ALERT_RAISED: {"alert": ref("Alert")},
    EventType.ALERT_CLEARED: {"alert": ref("Alert")},
    EventType.ALERT_ACKNOWLEDGED: {"alert": ref("Alert")},
}

# Members that only staff receive (domain.privacy): present for them, absent for devices.
STAFF_ONLY_MEMBERS = frozenset({"outcome", "handling_seconds"})

EVENT: Schema = {
    "type": "object",
    "description": "One committed entry of the hall's log, as the socket sends it; the members beyond the "
    "common five depend on `type` (docs/socket-events.md). Public devices get the public part only "
    "(docs/privacy.md): tickets without `id`, windows without `ticket_id` and, unless the hall shows "
    "them, without the clerk's name, no person's free-text `reason` (null instead), no `outcome` or "
    "`handling_seconds`, and nothing of `rating_recorded`, `review_case_opened`, `review_case_updated` or the "
    "alerts (`alert_raised`, `alert_cleared`, `alert_acknowledged`) "
    "(staff only: a `sequence_advanced` stub instead)",
    "required": ["hall", "seq", "type", "at", "service_day"],
    "properties": {
        "hall": STRING,
        "seq": {"type": "integer", "minimum": 1},
        "type": _enum(EventType),
        "at": INSTANT,
        "service_day": DAY,
        "reason": OPTIONAL_STRING,
    },
    "additionalProperties": True,
    "allOf": [
        {
            "if": {"properties": {"type": {"const": kind.value}}},
            "then": {"required": [m for m in members if m not in STAFF_ONLY_MEMBERS], "properties": members},
        }
        for kind, members in EVENT_MEMBERS.items()
    ],
}

_CLOCK_TIME: Schema = {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$", "examples": ["09:30"]}
REFERENCE: Schema = {
    "type": "string",
    "pattern": REFERENCE_PATTERN,
    "description": "The booking platform's reference; what the appointment's QR code carries",
    "examples": ["YY20261123042"],
}

APPOINTMENT = _obj(
    {
        "reference": REFERENCE,
        "id": INTEGER,
        "service_day": DAY,
        "slot_start": {**_CLOCK_TIME, "description": "Local time on the service day"},
        "slot_end": _CLOCK_TIME,
        "queue": STRING,
        "queue_name": STRING,
        "item": OPTIONAL_STRING,
        "bundle": OPTIONAL_STRING,
        "citizen_ref": {**OPTIONAL_STRING, "description": "The platform's name-free reference for the citizen"},
        "id_given": {**BOOLEAN, "description": "An ID number was given (kept only as a keyed hash, never shown)"},
        "status": _enum(AppointmentStatus),
        "check_in_from": {**INSTANT, "description": "Check-in opens (checkin_before minutes before the slot)"},
        "late_after": {
            **INSTANT,
            "description": "After this a check-in is late (checkin_after minutes after the start)",
        },
        "late": {**BOOLEAN, "description": "Checked in late, as an ordinary ticket"},
        "booked_at": INSTANT,
        "checked_in_at": OPTIONAL_INSTANT,
        "closed_at": {**OPTIONAL_INSTANT, "description": "When it was cancelled or became void"},
        "reason": {**OPTIONAL_STRING, "description": "Why it was cancelled; for a void one: late or end_of_day"},
        "ticket": _nullable(_obj({"id": INTEGER, "number": STRING, "status": _enum(TicketStatus)})),
    },
    description="An appointment (预约) and what became of it",
)

WHO = _obj(
    {
        "name": STRING,
        "role": {**ACTORS, "description": "A person's role, or a device's kind"},
        "hall_id": {**OPTIONAL_INTEGER, "description": "null: every hall (administrators)"},
        "user_id": OPTIONAL_INTEGER,
        "device_id": OPTIONAL_INTEGER,
        "window": {**OPTIONAL_INTEGER, "description": "The window a window screen or review pad is bound to"},
    }
)

SCREEN_SETTINGS = _obj(
    {
        "zone": OPTIONAL_STRING,
        "rows": {"type": "integer", "minimum": 1, "maximum": 20},
        "language": _enum(LANGUAGES),
        "notice": OPTIONAL_STRING,
        "voice": _obj(
            {
                "enabled": BOOLEAN,
                "repeat": {"type": "integer", "minimum": 1, "maximum": 5},
                "rate": {"type": "number", "minimum": 0.5, "maximum": 2.0},
            }
        ),
    }
)

SCREEN = _obj(
    {
        "device_id": INTEGER,
        "kind": _enum(sorted(SCREEN_KINDS)),
        "name": STRING,
        "window": OPTIONAL_INTEGER,
        "settings": SCREEN_SETTINGS,
        "last_seen": OPTIONAL_INSTANT,
        "last_shown_seq": OPTIONAL_INTEGER,
        "online": BOOLEAN,
        "connections": COUNT,
        "announcer": {**BOOLEAN, "description": "This screen speaks for its zone now"},
    }
)

USER = _obj(
    {
        "id": INTEGER,
        "username": STRING,
        "display_name": STRING,
        "role": _enum(Role),
        "hall": {**OPTIONAL_STRING, "description": "The hall's code; null: every hall (administrators)"},
        "staff_number": OPTIONAL_STRING,
        "active": {**BOOLEAN, "description": "false: disabled, may not sign in"},
        "locked_until": {
            **OPTIONAL_INSTANT,
            "description": "Set while the user name is locked after repeated failed sign-ins",
        },
        "last_seen": {**OPTIONAL_INSTANT, "description": "The last use of any of its sessions; null: none kept"},
    }
)

STATION: Schema = {
    "type": "string",
    "pattern": "^[a-z0-9][a-z0-9_-]{0,39}$",
    "description": "A station: the desk or kiosk a printer serves (docs/printing.md)",
    "examples": ["desk-1"],
}

PRINTED_TICKET = _obj(
    {
        "hall_name": STRING,
        "queue_name": STRING,
        "item_name": {**OPTIONAL_STRING, "description": "The item or bundle, if the ticket is for one"},
        "number": STRING,
        "people_ahead": {**COUNT, "description": "As of issuing"},
        "estimated_wait_minutes": {"type": ["integer", "null"], "minimum": 0, "description": "As of issuing"},
        "issued_at": {"type": "string", "format": "date-time", "description": "In the hall's own time zone"},
        "phone_url": {"type": "string", "format": "uri", "description": "The citizen's phone page: the QR code"},
        "tips": {"type": "array", "items": STRING, "maxItems": 10, "description": "The hall file's tips"},
        "priority_label": OPTIONAL_STRING,
        "language": _enum(LANGUAGES),
    },
    description="What the paper says (ticket_printer.ticket.PrintedTicket's payload)",
)

PRINT_JOB = _obj(
    {
        "id": INTEGER,
        "hall": STRING,
        "ticket_id": INTEGER,
        "number": {**STRING, "description": "The ticket's number"},
        "station": STATION,
        "printer": _obj({"device_id": INTEGER, "name": STRING}),
        "state": _enum(JobState),
        "attempts": {**COUNT, "description": "How many times it was sent to the printer's agent"},
        "revision": {
            "type": "integer",
            "minimum": 1,
            "description": "One higher with each change: of two views of a job, keep the higher",
        },
        "message": {**OPTIONAL_STRING, "description": "The agent's own words on its result (English)"},
        "reprint_of": {**OPTIONAL_INTEGER, "description": "A reprint: the job it prints again"},
        "requested_by_user": OPTIONAL_INTEGER,
        "requested_by_device": {**OPTIONAL_INTEGER, "description": "The kiosk that issued the ticket"},
        "created_at": INSTANT,
        "sent_at": {**OPTIONAL_INSTANT, "description": "Last sent to the agent"},
        "finished_at": {**OPTIONAL_INSTANT, "description": "Answered by the agent, or given up"},
        "updated_at": INSTANT,
        "ticket": ref("PrintedTicket"),
    },
    description="A print job (docs/printing.md): queued, sent, then the agent's answer, or given up",
)

PRINTER = _obj(
    {
        "device_id": INTEGER,
        "name": STRING,
        "station": STATION,
        "online": {**BOOLEAN, "description": "Its agent is connected now"},
        "last_seen": OPTIONAL_INSTANT,
        "last_result": _nullable(
            _obj(
                {"state": _enum(sorted(REPORTED)), "message": OPTIONAL_STRING, "at": INSTANT},
                description="What its agent last reported: paper out, offline, a fault, or printed",
            )
        ),
        "due_jobs": {**COUNT, "description": "Jobs queued or sent and not yet answered"},
    }
)

AUDIT_ENTRY = _obj(
    {
        "id": {**INTEGER, "minimum": 1, "description": "Increasing: later entries have larger ids"},
        "at": INSTANT,
        "actor": {**STRING, "description": "The user name, or `operator` for the command line on the server"},
        "actor_name": {**STRING, "description": "The name shown for the actor at the time"},
        "actor_role": {**_nullable(_enum(Role)), "description": "null for the operator"},
        "action": _enum(AuditAction),
        "hall": {
            **OPTIONAL_STRING,
            "description": "The hall acted on (for an account or a device, the hall it belongs to)",
        },
        "target": {
            **OPTIONAL_STRING,
            "description": "What was acted on: a user name, a device id, a window number, a ticket number, a hall code",
        },
        "detail": {"type": "object", "description": "What changed; depends on `action` (docs/audit.md)"},
    }
)

CONFLICT = _obj(
    {
        "code": STRING,
        "detail": STRING,
        "lasting": {**BOOLEAN, "description": "Still a conflict after the service day closes"},
    }
)

PROBLEM: Schema = {
    "type": "object",
    "description": "RFC 9457 problem details; `detail` is a sentence a person can act on (Chinese), `code` "
    "is stable for programs. Extension members name what is at fault.",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": STRING,
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": STRING,
        "code": {"type": "string", "pattern": "^[a-z0-9_]+$"},
        "instance": STRING,
        "field": {**STRING, "description": "The request field at fault"},
        "key": {**STRING, "description": "The hall file's setting at fault (code invalid_hall_config)"},
        "conflicts": {
            "type": "array",
            "items": ref("Conflict"),
            "description": "Each way a hall file contradicts the live hall (code hall_change_conflicts)",
        },
        "permission": STRING,
        "queue": STRING,
        "number": {**STRING, "description": "A ticket number"},
        "window": INTEGER,
        "reference": {**STRING, "description": "The booking reference of the appointment at fault"},
        "check_in_from": {**INSTANT, "description": "When the appointment's check-in opens (appointment_too_early)"},
        "late_after": {**INSTANT, "description": "When its check-in time ended (appointment_late)"},
        "differs": {
            "type": "array",
            "items": STRING,
            "description": "Where a booking pushed again differs from the one stored (appointment_exists)",
        },
        "retry_after": {
            "type": "integer",
            "minimum": 1,
            "description": "Seconds to wait before signing in again, as the Retry-After header says (429)",
        },
        "reason": {
            **_enum(Refusal),
            "description": "Why a session no longer stands (401): ended on the server (signed out, password or "
            "role changed), account disabled, unused too long, or past the longest a session lasts",
        },
    },
    "additionalProperties": True,
}

_SEARCH_KEYS: dict[str, Schema] = {
    "initials": {**STRING, "description": "Pinyin initials, one letter per character: 不动产登记 is bdcdj"},
    "pinyin": {**STRING, "description": "Full pinyin without spaces: budongchandengji"},
}

CATALOGUE = _obj(
    {
        "hall": _obj({"code": STRING, "name": STRING, "timezone": STRING}),
        "service_day": DAY,
        "seq": {**COUNT, "description": "The hall's last sequence number when the figures were read"},
        "priority_classes": {"type": "array", "items": _enum(PriorityClass)},
        "queues": {
            "type": "array",
            "items": _obj(
                {
                    "code": STRING,
                    "prefix": STRING,
                    "name": STRING,
                    "kind": _enum(QueueKind),
                    **_SEARCH_KEYS,
                    "waiting": COUNT,
                    "issued": {**COUNT, "description": "Tickets issued today, counted against daily_cap"},
                    "daily_cap": {"type": "integer", "minimum": 1},
                    "issuing": {**BOOLEAN, "description": "Whether the queue issues tickets now"},
                    "issuing_hours": {
                        "type": "array",
                        "items": {"type": "string", "pattern": "^[0-9]{2}:[0-9]{2}-[0-9]{2}:[0-9]{2}$"},
                        "description": "Today's issuing hours, local time; empty on a day it does not issue",
                    },
                    "priority_calls": {**BOOLEAN, "description": "Whether priority tickets go first in this queue"},
                    "average_handling_minutes": {"type": "number", "minimum": 0},
                    "windows": {"type": "array", "items": INTEGER},
                    "windows_open": COUNT,
                    "estimated_wait_minutes": {**COUNT, "description": "For a ticket taken now"},
                }
            ),
        },
        "items": {
            "type": "array",
            "items": _obj({"code": STRING, "name": STRING, "department": STRING, "queue": STRING, **_SEARCH_KEYS}),
        },
        "bundles": {
            "type": "array",
            "items": _obj(
                {
                    "code": STRING,
                    "name": STRING,
                    "queue": STRING,
                    "items": {"type": "array", "items": STRING},
                    **_SEARCH_KEYS,
                }
            ),
        },
    },
    description="What a ticket may be issued for, with search keys and each queue's figures now",
)

# The clerk's console (counter_client/): the ticket in hand, and the clerk's own day.
CONSOLE_TICKET: Schema = {
    **TICKET,
    "properties": {
        **TICKET["properties"],
        "item_name": OPTIONAL_STRING,
        "bundle_name": OPTIONAL_STRING,
        "waited_seconds": {"type": "number", "minimum": 0, "description": "From issue to its first call"},
        "earlier_windows": {
            "type": "array",
            "items": _obj(
                {
                    "window": INTEGER,
                    "name": STRING,
                    "ending": STRING,
                    "ended_at": INSTANT,
                    "handling_seconds": {"type": "number", "minimum": 0},
                }
            ),
            "description": "Its stays at windows before this one (this one's too after a suspension), in order",
        },
    },
    "required": [*TICKET["required"], "item_name", "bundle_name", "waited_seconds", "earlier_windows"],
    "description": "The ticket in the window's hands, as its clerk's console shows it",
}
WINDOW_CONSOLE = _obj(
    {
        "seq": {**COUNT, "description": "The hall's last sequence number when this was read"},
        "service_day": DAY,
        "window": ref("Window"),
        "queues": {
            "type": "array",
            "items": _obj({"code": STRING, "name": STRING, "prefix": STRING, "rank": INTEGER, "waiting": COUNT}),
        },
        "sent_here": {**COUNT, "description": "Tickets transferred to this window, waiting"},
        "ticket": _nullable(CONSOLE_TICKET),
        "next": {
            "type": "array",
            "items": _obj(
                {
                    "id": STAFF_ID,
                    "number": STRING,
                    "queue": STRING,
                    "queue_name": STRING,
                    "priority": _nullable(_enum(PriorityClass)),
                    "sent_here": BOOLEAN,
                    "issued_at": INSTANT,
                }
            ),
            "description": "The next few tickets call_next would call, in order, if nothing else happened",
        },
        "suspended": {
            "type": "array",
            "items": {
                **TICKET_BRIEF,
                "properties": {**TICKET_BRIEF["properties"], "suspended_at": OPTIONAL_INSTANT},
                "required": [*TICKET_BRIEF["required"], "suspended_at"],
            },
            "description": "The tickets this window suspended (挂起) that are still away",
        },
    },
    description="One window as its clerk's console shows it",
)
CLERK_TODAY = _obj(
    {
        "hall": _NAMED,
        "service_day": DAY,
        "clerk": _obj({"name": STRING, "username": OPTIONAL_STRING, "staff_number": OPTIONAL_STRING}),
        "window": {**_nullable(WINDOW_NUMBER), "description": "The window the clerk is signed in at"},
        "own_windows": {"type": "array", "items": WINDOW_NUMBER, "description": "Windows whose `clerks` name them"},
        "windows": {
            "type": "array",
            "items": _obj(
                {
                    "number": WINDOW_NUMBER,
                    "name": STRING,
                    "zone": STRING,
                    "status": _enum(WindowStatus),
                    "clerk": OPTIONAL_STRING,
                    "queues": {"type": "array", "items": STRING},
                    "may_open": BOOLEAN,
                    "own": BOOLEAN,
                    "covering": {**BOOLEAN, "description": "Opening it would be covering (顶岗), recorded as such"},
                }
            ),
        },
        "today": _obj(
            {
                "served": COUNT,
                "average_handling_seconds": {"type": ["number", "null"], "minimum": 0},
                "handling_seconds": {"type": "number", "minimum": 0},
                "called": COUNT,
                "no_shows": COUNT,
                "transferred": COUNT,
                "suspended": COUNT,
            },
            description="The clerk's own stays at windows with today's tickets, computed from the visits",
        ),
    },
    description="A clerk's day at the windows: where they may sit, where they sit, what they did today",
)

RESPONSES: dict[str, Schema] = {
    "Ticket": TICKET,
    "WindowConsole": WINDOW_CONSOLE,
    "ClerkToday": CLERK_TODAY,
    "Progress": PROGRESS,
    "TicketBrief": TICKET_BRIEF,
    "Window": WINDOW,
    "WindowBrief": WINDOW_BRIEF,
    "Snapshot": SNAPSHOT,
    "Catalogue": CATALOGUE,
    "Event": EVENT,
    "Rating": RATING,
    "RatingsPage": _obj(
        {
            "ratings": {"type": "array", "items": ref("Rating")},
            "next_cursor": {**OPTIONAL_STRING, "description": "Pass as `cursor` for the next (older) page"},
        }
    ),
    "RatingGiven": _obj(
        {
            "ticket_number": STRING,
            "level": _enum(RatingLevel),
            "label": {**STRING, "description": "The level's name: 非常满意 … 非常不满意"},
            "reasons": {"type": "array", "items": STRING},
            "text": OPTIONAL_STRING,
            "channel": _enum([RatingChannel.PAD, RatingChannel.PHONE]),
            "rated_at": INSTANT,
        },
        description="The rating as its rater gave it",
    ),
    "EventsPage": _obj(
        {
            "events": {"type": "array", "items": ref("Event")},
            "seq": {
                **COUNT,
                "description": "The last sequence number looked at (`since` if none): ask from here next. A "
                "window screen or review pad gets its own window's events only, so it may be past the last "
                "one listed",
            },
            "complete": {**BOOLEAN, "description": "false: too many missed, redraw from a snapshot"},
        }
    ),
    "Who": WHO,
    "User": USER,
    "Users": _obj({"users": {"type": "array", "items": ref("User")}}),
    "FeedStatus": _obj(
        {
            "sender": _obj(
                {
                    "configured": {**BOOLEAN, "description": "false: REVIEW_FEED_URL unset, records wait here"},
                    "url": {**OPTIONAL_STRING, "description": "The platform's address, without credentials or query"},
                    "running": {**BOOLEAN, "description": "This server process's sender loop is running"},
                    "paused_until": {
                        **OPTIONAL_INSTANT,
                        "description": "After a failed post this process's sender waits until then (backoff)",
                    },
                }
            ),
            "hall": {**OPTIONAL_STRING, "description": "The hall counted; null: every hall"},
            "counts": _obj({state: COUNT for state in ("pending", "delivered", "dead")}),
            "oldest_pending": _nullable(
                _obj(
                    {
                        "id": INTEGER,
                        "key": STRING,
                        "created_at": INSTANT,
                        "attempts": COUNT,
                        "next_attempt_at": INSTANT,
                        "last_error": OPTIONAL_STRING,
                        "waiting_seconds": {**COUNT, "description": "Since it was queued"},
                    }
                )
            ),
            "last_success": _nullable(
                _obj({"id": INTEGER, "key": STRING, "delivered_at": INSTANT, "last_status": INTEGER})
            ),
            "last_error": _nullable(
                _obj(
                    {
                        "id": INTEGER,
                        "key": STRING,
                        "state": _enum(OutboxState),
                        "failed_at": INSTANT,
                        "last_status": {**OPTIONAL_INTEGER, "description": "null: no answer (timeout, refused, reset)"},
                        "last_error": OPTIONAL_STRING,
                        "last_answer": {**OPTIONAL_STRING, "description": "The platform's answer, truncated"},
                    }
                )
            ),
        }
    ),
    "FeedRecord": _obj(
        {
            "id": INTEGER,
            "key": {**STRING, "description": "The record's idempotency id, sent as Idempotency-Key"},
            "hall": STRING,
            "kind": {**STRING, "description": "`rating`"},
            "state": _enum(OutboxState),
            "attempts": COUNT,
            "next_attempt_at": INSTANT,
            "last_attempt_at": OPTIONAL_INSTANT,
            "last_status": OPTIONAL_INTEGER,
            "last_error": OPTIONAL_STRING,
            "last_answer": {**OPTIONAL_STRING, "description": "The platform's last answer, truncated"},
            "failed_at": OPTIONAL_INSTANT,
            "created_at": INSTANT,
            "delivered_at": OPTIONAL_INSTANT,
            "body": {"type": "object", "description": "The JSON body posted (docs/review-feed.md)"},
        }
    ),
    "DeadLetters": _obj(
        {
            "dead_letters": {"type": "array", "items": ref("FeedRecord"), "description": "Newest first"},
            "next_before": {
                **OPTIONAL_INTEGER,
                "description": "Ask again with before=this for the next (older) page; null: no more",
            },
        }
    ),
    "AuditEntry": AUDIT_ENTRY,
    "AuditPage": _obj(
        {
            "entries": {"type": "array", "items": ref("AuditEntry"), "description": "Newest first"},
            "next_before": {
                **OPTIONAL_INTEGER,
                "description": "Ask again with before=this for the next (older) page; null: no more",
            },
        }
    ),
    "Session": _obj(
        {
            "user": ref("Who"),
            "csrf_token": {
                **OPTIONAL_STRING,
                "description": "Send as X-CSRF-Token on every POST, PUT and DELETE; null for devices",
            },
        }
    ),
    "Halls": _obj({"halls": {"type": "array", "items": _obj({"code": STRING, "name": STRING})}}),
    "HallImported": _obj(
        {
            "code": STRING,
            "name": STRING,
            "id": INTEGER,
            "revision": {"type": "integer", "minimum": 1},
            "service_day": DAY,
            "effective_from": {**DAY, "description": "The service day the file takes effect"},
        }
    ),
    "Notice": _obj({"notice": {**STRING, "description": "The notice now in force"}}),
    "ScreenSettings": SCREEN_SETTINGS,
    "Screen": SCREEN,
    "Screens": _obj({"screens": {"type": "array", "items": ref("Screen")}}),
    "TicketsPage": _obj(
        {
            "service_day": DAY,
            "tickets": {
                "type": "array",
                "items": ref("Ticket"),
                "description": "Waiting tickets first, by place in line; then the others, by issue time",
            },
            "next_cursor": {
                **OPTIONAL_STRING,
                "description": "Send as `cursor` for the next page; null: the last page",
            },
        }
    ),
    "Appointment": APPOINTMENT,
    "AppointmentsPage": _obj(
        {"service_day": DAY, "appointments": {"type": "array", "items": ref("Appointment"), "description": "By slot"}}
    ),
    "SweepResult": _obj({"expired_tickets": COUNT, "closed_windows": COUNT, "service_day": DAY}),
    "Health": _obj({"status": {"const": "ok"}}),
    "Conflict": CONFLICT,
    "Problem": PROBLEM,
    "PrintedTicket": PRINTED_TICKET,
    "PrintJob": PRINT_JOB,
    "PrintJobs": _obj({"print_jobs": {"type": "array", "items": ref("PrintJob")}}),
    "Printer": PRINTER,
    "Printers": _obj({"printers": {"type": "array", "items": ref("Printer")}}),
}

# ---- requests ----------------------------------------------------------------------------

LOGIN_BODY = _obj(
    {"username": {"type": "string", "minLength": 1, "maxLength": 64}, "password": {"type": "string", "minLength": 1}}
)

ISSUE_BODY = _obj(
    {
        "item": {"type": "string", "maxLength": 40, "description": "An item code of the hall"},
        "bundle": {"type": "string", "maxLength": 40, "description": "A bundle (“一件事”) code"},
        "queue": {"type": "string", "maxLength": 40, "description": "A queue code"},
        "priority": _enum(PriorityClass),
        "id_number": {"type": "string", "maxLength": 40, "description": "Checked, then kept only as a keyed hash"},
        "station": {
            **STATION,
            "description": "Where the ticket prints: the desk's station. A kiosk prints at its own and may leave "
            "it out",
        },
    },
    optional=("item", "bundle", "queue", "priority", "id_number", "station"),
    description="Exactly one of item, bundle, queue. An appointment is checked in with "
    "POST …/appointments/{reference}/check-in instead.",
    oneOf=[{"required": ["item"]}, {"required": ["bundle"]}, {"required": ["queue"]}],
)

CANCEL_BODY = _obj({"reason": _reason()}, optional=("reason",))

REPRINT_BODY = _obj(
    {"station": {**STATION, "description": "Default: where the ticket last printed"}}, optional=("station",)
)

_SEVERAL = {"type": "array", "items": {"type": "string", "maxLength": 40}, "maxItems": 20}
SEARCH_BODY = _obj(
    {
        "status": {"anyOf": [_enum(TicketStatus), {**_SEVERAL, "items": _enum(TicketStatus)}]},
        "queue": {"anyOf": [{"type": "string", "maxLength": 40}, _SEVERAL], "description": "Queue code(s)"},
        "number": {"type": "string", "pattern": TICKET_NUMBER_PATTERN},
        "window": {**WINDOW_NUMBER, "description": "At it, last at it, or sent to it"},
        "day": {**DAY, "description": "The service day; default today"},
        "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "description": f"Default {DEFAULT_LIMIT}"},
        "cursor": {"type": "string", "maxLength": 400, "description": "The previous page's next_cursor"},
        "id_number": {
            "type": "string",
            "maxLength": 40,
            "description": "The citizen's ID number, matched by its keyed hash; never stored or logged",
        },
    },
    optional=("status", "queue", "number", "window", "day", "limit", "cursor", "id_number"),
)

BOOKING_BODY = _obj(
    {
        "reference": REFERENCE,
        "service_day": DAY,
        "slot_start": {**_CLOCK_TIME, "description": "Local time on the service day"},
        "slot_end": _CLOCK_TIME,
        "queue": {
            "type": "string",
            "maxLength": 40,
            "description": "A queue code; may be left out for an item or bundle",
        },
        "item": {"type": "string", "maxLength": 40, "description": "An item code of the hall"},
        "bundle": {"type": "string", "maxLength": 40, "description": "A bundle (“一件事”) code"},
        "citizen_ref": {
            "type": "string",
            "maxLength": 64,
            "description": "The platform's own reference for the citizen: never a name or an ID number",
        },
        "id_number": {
            "type": "string",
            "maxLength": 40,
            "description": "Checked, then kept only as a keyed hash: the check-in's ticket counts for one ID per queue",
        },
    },
    optional=("queue", "item", "bundle", "citizen_ref", "id_number"),
    description="One of queue, item, bundle at least; a queue given with an item or bundle must be theirs.",
    anyOf=[{"required": ["queue"]}, {"required": ["item"]}, {"required": ["bundle"]}],
)

CHECK_IN_BODY = _obj(
    {
        "station": {
            **STATION,
            "description": "Where the ticket prints, as for a walk-in: the desk's station. A kiosk prints at its "
            "own and may leave it out",
        }
    },
    optional=("station",),
)

NOTICE_BODY = _obj(
    {
        "notice": {
            "type": ["string", "null"],
            "maxLength": MAX_NOTICE,
            "description": "The notice for every screen without its own; null or blank: the hall file's",
        }
    }
)

SCREEN_CHANGES = {
    **SCREEN_SETTINGS,
    "required": [],
    "properties": {
        **SCREEN_SETTINGS["properties"],
        "notice": {"type": ["string", "null"], "maxLength": MAX_NOTICE},
        "voice": {**SCREEN_SETTINGS["properties"]["voice"], "required": []},
    },
    "description": "Any subset of a screen's settings; `zone` only for hall screens (null: the whole hall)",
}

ROLE_BODY = _obj(
    {
        "role": _enum(Role),
        "hall": {
            "type": "string",
            "maxLength": 40,
            "description": "The hall's code; needed when the user has none and the role is not admin",
        },
    },
    optional=("hall",),
)
STAFF_NUMBER_BODY = _obj(
    {
        "staff_number": {
            "type": ["string", "null"],
            "maxLength": 20,
            "description": "工号, shown on review pads and carried by ratings; null clears it",
        }
    }
)
_RATING_FIELDS: dict[str, Schema] = {
    "level": _enum(RatingLevel),
    "reasons": {
        "type": "array",
        "items": {"type": "string", "maxLength": MAX_REASON_LENGTH},
        "maxItems": MAX_REASONS,
        "description": "Among the hall file's reasons for the level chosen ([hall.ratings.reasons])",
    },
    "text": {"type": ["string", "null"], "maxLength": MAX_TEXT, "description": "Free text; no control characters"},
}
PAD_RATING_BODY = _obj(
    {
        "ticket_ref": {
            "type": "string",
            "maxLength": 64,
            "description": "The ticket the pad was invited to rate (`rating_requested`'s ticket.ref)",
        },
        **_RATING_FIELDS,
    },
    optional=("reasons", "text"),
)
PHONE_RATING_BODY = _obj(_RATING_FIELDS, optional=("reasons", "text"))
PASSWORD_BODY = _obj({"password": {"type": "string", "minLength": 8, "description": "At least 8 characters"}})

SWEEP_BODY = _obj({"include_today": BOOLEAN}, optional=("include_today",))

_TICKET_NUMBER: Schema = {"type": "string", "pattern": TICKET_NUMBER_PATTERN, "examples": ["A001"]}

# The bodies of window actions that take fields; the others take none.
WINDOW_BODIES: dict[str, Schema] = {
    "finish_service": _obj(
        {
            "outcome": {**_enum(Outcome), "description": "Default: accepted"},
            "items": {"type": "array", "items": {"type": "string", "maxLength": 40}, "maxItems": 20},
        },
        optional=("outcome", "items"),
    ),
    "release_window": _obj({"reason": {**_reason(), "minLength": 1}}),
    "transfer": _obj(
        {"to_queue": {"type": "string", "maxLength": 40}, "to_window": WINDOW_NUMBER, "reason": _reason()},
        optional=("to_queue", "to_window", "reason"),
        anyOf=[{"required": ["to_queue"]}, {"required": ["to_window"]}],
    ),
    "call_number": _obj(
        {
            "ticket_number": _TICKET_NUMBER,
            "reason": {
                **_reason(),
                "description": "Required when the ticket waits in line and call_next would call another "
                "(422 reason_required); kept in the hall's log and the audit log",
            },
        },
        optional=("reason",),
    ),
    "resume_ticket": _obj({"ticket_number": _TICKET_NUMBER}),
    "pause_window": _obj({"reason": _reason()}, optional=("reason",)),
    "suspend": _obj({"reason": _reason()}, optional=("reason",)),
}
