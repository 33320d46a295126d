"""The OpenAPI 3.1 document for /api/v1, built from the same command table the routes use.

The shapes of bodies and answers live in `api.schemas`; this module says which operation
takes and gives which, with every problem status it can answer. `docs/openapi.json` is
this document written out (`queue-server openapi`); a test keeps the file, this module
and the app's URL map in step, and `tests/integration/test_schemathesis.py` holds the
server to it.
"""

from __future__ import annotations

from typing import Any

from queue_server.api import schemas
from queue_server.api.schemas import ref
from queue_server.commands import COMMANDS
from queue_server.domain.printing import JobState
from queue_server.domain.search import DEFAULT_LIMIT, MAX_LIMIT
from queue_server.domain.tickets import TicketStatus

# What each problem status means, for every operation that can answer with it.
MEANING = {
    400: "The body is not JSON, not UTF-8 or not well-formed (code malformed_request)",
    401: "Not signed in, the account was disabled, or the device token is unknown or revoked",
    403: "Signed in, but this role, hall or window may not do this, or the CSRF token is missing",
    404: "No such hall, ticket, window, screen or call (or no such address)",
    409: "The current state does not allow it (closed or full queue, busy window, wrong ticket state, no printer "
    "at the station)",
    413: "Body too large",
    422: "A field is missing, unknown or invalid; `field` names it",
    429: "Too many failed sign-ins for this user name or from this address (code login_throttled), or the "
    "user name is locked (code account_locked): wait for Retry-After seconds, or ask an administrator to unlock it",
    503: "The database stayed locked by another process (code store_busy): retry",
}
# Every operation: a bad Authorization header or a disabled account (401), a locked database (503).
ALWAYS = (401, 503)
# An operation that reads a JSON body: unreadable (400), too large (413), a field wrong (422).
READS_BODY = (400, 413, 422)


def _problems(statuses: tuple[int, ...], meaning: dict[int, str] | None = None) -> dict[str, Any]:
    meaning = {**MEANING, **(meaning or {})}
    return {
        str(s): {"description": meaning[s], "content": {"application/problem+json": {"schema": ref("Problem")}}}
        for s in sorted(set(statuses) | set(ALWAYS))
    }


def _answer(schema: str, description: str = "Success", **more: Any) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ref(schema)}}, **more}


def _op(
    summary: str,
    *,
    who: str,
    answer: str,
    errors: tuple[int, ...],
    body: dict[str, Any] | None = None,
    write: bool = False,
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "description": f"Who may call it: {who}.",
        "security": WRITE_SECURITY if body is not None or write else READ_SECURITY,
        "responses": {"200": _answer(answer)} | _problems(errors),
    }
    if body is not None:
        operation["requestBody"] = {
            "required": bool(body.get("required")),
            "content": {"application/json": {"schema": body}},
        }
    return operation


HALL = {
    "name": "hall",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": schemas.CODE_PATTERN},
    "description": "Hall code",
}
WINDOW = {"name": "window", "in": "path", "required": True, "schema": schemas.WINDOW_NUMBER}
COMMAND_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "maxLength": 100},
    "description": "A repeat with the same key does not run the command again: it answers the window as it is "
    "now (200, Idempotent-Replayed: true); the key with another command or body is refused (409 "
    "idempotency_key_reused)",
}
# A path's whole numbers are ASCII digits, at most 18 of them (`api.Identifier`).
IDENTIFIER = {"type": "integer", "minimum": 0, "maximum": 10**18 - 1}
TICKET = {"name": "ticket_id", "in": "path", "required": True, "schema": {**IDENTIFIER, "minimum": 1}}
REFERENCE = {"name": "reference", "in": "path", "required": True, "schema": schemas.REFERENCE}
# GET …/tickets: each filter given must hold; status and queue take several values
TICKET_FILTERS = [
    {
        "name": "status",
        "in": "query",
        "required": False,
        "schema": {"type": "array", "items": schemas._enum(TicketStatus), "maxItems": 20},
        "description": "One or several states (repeated, or separated by commas)",
    },
    {
        "name": "queue",
        "in": "query",
        "required": False,
        "schema": {"type": "array", "items": {"type": "string", "maxLength": 40}, "maxItems": 20},
        "description": "One or several queue codes; an unknown one is refused, listing the hall's",
    },
    {
        "name": "number",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "pattern": schemas.TICKET_NUMBER_PATTERN},
    },
    {
        "name": "window",
        "in": "query",
        "required": False,
        "schema": schemas.WINDOW_NUMBER,
        "description": "At it, last at it, or sent to it",
    },
    {"name": "day", "in": "query", "required": False, "schema": schemas.DAY, "description": "Default: today"},
    {
        "name": "limit",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
        "description": f"Default {DEFAULT_LIMIT}",
    },
    {
        "name": "cursor",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "maxLength": 400},
        "description": "The previous page's next_cursor",
    },
]
# Who is asking: a device's bearer token, or a person's session cookie, which on POST, PUT
# and DELETE must come with the CSRF token the sign-in returned.
SECURITY_SCHEMES = {
    "device": {
        "type": "http",
        "scheme": "bearer",
        "description": "A device token (hqd_…): `queue-server device create`",
    },
    "session": {"type": "apiKey", "in": "cookie", "name": "session", "description": "Set by POST /api/v1/session"},
    "csrf": {
        "type": "apiKey",
        "in": "header",
        "name": "X-CSRF-Token",
        "description": "The csrf_token POST /api/v1/session returned; with the session cookie on POST, PUT and DELETE",
    },
}
READ_SECURITY: list[dict[str, list[str]]] = [{"device": []}, {"session": []}]
WRITE_SECURITY: list[dict[str, list[str]]] = [{"device": []}, {"session": [], "csrf": []}]
PUBLIC: list[dict[str, list[str]]] = [{}]
# Taken by the hall's own routes: every one checks the hall and who may act in it.
HALL_READ = (403, 404)
HALL_WRITE = (403, 404, *READS_BODY)


TOO_MANY = {
    "description": MEANING[429],
    "headers": {
        "Retry-After": {"schema": {"type": "string", "pattern": "^[0-9]+$"}, "required": True, "description": "Seconds"}
    },
    "content": {"application/problem+json": {"schema": ref("Problem")}},
}
USER_ID = {"name": "user_id", "in": "path", "required": True, "schema": IDENTIFIER}
# A citizen's phone (docs/phone.md): anonymous, the reference in the address is its credential.
PHONE_REF = {
    "name": "ref",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "maxLength": 200},
    "description": "The ticket's public reference, from its QR code (22 URL-safe characters)",
}
PHONE_PROBLEMS = {
    404: "No ticket has this reference, or it is none (code ticket_not_found: one answer for both), or the "
    "ticket is older than the page shows (code ticket_expired)",
    422: "A query parameter (the route takes none)",
    429: "Too many look-ups that found nothing from this address, or of this ticket (code lookups_throttled): "
    "wait for Retry-After seconds",
    503: "The database stayed locked by another process (code store_busy): retry",
}
# An administrator acting on someone else's account: no such user (404), another hall's
# user for an administrator of one hall (403), their own account (409).
USER_WRITE = (403, 404, 409, *READS_BODY)


_SEVERAL_OF = {"type": "array", "maxItems": 20}
# GET …/ratings: each filter given must hold; queue, level and channel take several values
RATING_FILTERS = [
    {"name": "from", "in": "query", "schema": schemas.DAY, "description": "Service days from this one"},
    {"name": "to", "in": "query", "schema": schemas.DAY, "description": "Service days up to this one"},
    {"name": "queue", "in": "query", "schema": {**_SEVERAL_OF, "items": {"type": "string", "maxLength": 40}}},
    {"name": "window", "in": "query", "schema": schemas.WINDOW_NUMBER},
    {
        "name": "clerk",
        "in": "query",
        "schema": {"type": "string", "maxLength": 40},
        "description": "The clerk's staff number (工号) as the ratings carry it",
    },
    {"name": "level", "in": "query", "schema": {**_SEVERAL_OF, "items": schemas.RATING["properties"]["level"]}},
    {"name": "channel", "in": "query", "schema": {**_SEVERAL_OF, "items": schemas.RATING["properties"]["channel"]}},
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}},
    {
        "name": "cursor",
        "in": "query",
        "schema": {"type": "string", "maxLength": 200},
        "description": "The previous page's next_cursor",
    },
]


def openapi_document() -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/api/v1/health": {
            "get": {
                "summary": "Liveness probe (public)",
                "security": PUBLIC,
                "responses": {"200": _answer("Health", "OK")} | _problems(()),
            }
        },
        "/api/v1/openapi.json": {
            "get": {
                "summary": "This document (public)",
                "security": PUBLIC,
                "responses": {
                    "200": {
                        "description": "OpenAPI 3.1",
                        "content": {
                            "application/json": {"schema": {"type": "object", "required": ["openapi", "info", "paths"]}}
                        },
                    }
                }
                | _problems(()),
            }
        },
        "/api/v1/session": {
            "post": {
                **_op(
                    "Sign in; sets the session cookie and returns the CSRF token. Failed attempts are "
                    "throttled per user name and per client address (429 with Retry-After, checked before "
                    "the password); a user name is locked after repeated failures",
                    body=schemas.LOGIN_BODY,
                    who="anyone with an account",
                    answer="Session",
                    errors=READS_BODY,
                ),
                "security": PUBLIC,
                "responses": {"200": _answer("Session")} | _problems(READS_BODY) | {"429": TOO_MANY},
            },
            "get": _op(
                "Who is signed in, and the CSRF token", who="any signed-in user or device", answer="Session", errors=()
            ),
            "delete": {
                "summary": "Sign out; a clerk's window closes with it when nothing is in its hands",
                "description": "Who may call it: anyone (signed in or not).",
                "security": [{}, *WRITE_SECURITY],
                "responses": {"204": {"description": "Signed out"}} | _problems((403,)),
            },
        },
        "/api/v1/t/{ref}": {
            "parameters": [PHONE_REF],
            "get": {
                "summary": "A ticket's progress for its citizen's phone: number, queue, status, the window when "
                "called, people ahead and estimated wait while waiting. Throttled per client address (look-ups "
                "that find nothing) and per ticket",
                "description": "Who may call it: anyone holding the ticket's reference (its QR code); no "
                "sign-in or device token is read.",
                "security": PUBLIC,
                "responses": {
                    "200": _answer("Progress"),
                    **{
                        str(status): {
                            "description": meaning,
                            "content": {"application/problem+json": {"schema": ref("Problem")}},
                        }
                        for status, meaning in PHONE_PROBLEMS.items()
                        if status != 429
                    },
                    "429": {**TOO_MANY, "description": PHONE_PROBLEMS[429]},
                },
            },
        },
        "/api/v1/halls": {
            "get": _op("Halls the caller may see", who="any signed-in user or device", answer="Halls", errors=())
        },
        "/api/v1/halls/{hall}": {
            "parameters": [HALL],
            "get": _op(
                "Snapshot: queues with waiting counts, windows, recent calls, last sequence number",
                who="every role and device of the hall",
                answer="Snapshot",
                errors=HALL_READ,
            ),
        },
        "/api/v1/halls/{hall}/config": {
            "parameters": [HALL],
            "put": {
                **_op(
                    "Create or replace the hall from its TOML file (UTF-8). A change that contradicts today's "
                    "tickets, windows, clerks or devices is refused with the list of conflicts (409), unless "
                    "`effective=next-day` schedules it for the next service day",
                    who="admin",
                    answer="HallImported",
                    errors=(403, 404, 409, 413, 422),
                    write=True,
                ),
                "parameters": [
                    {"name": "effective", "in": "query", "required": False, "schema": {"enum": ["now", "next-day"]}}
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/toml": {"schema": {"type": "string", "minLength": 1}}},
                },
            },
        },
        "/api/v1/halls/{hall}/catalogue": {
            "parameters": [HALL],
            "get": _op(
                "What a ticket may be issued for: every item, bundle and queue with its pinyin initials and "
                "full pinyin, and each queue's waiting count, issued today, issuing hours and estimated wait",
                who="guide, clerk, manager, admin, kiosk",
                answer="Catalogue",
                errors=(*HALL_READ, 422),
            ),
        },
        "/api/v1/halls/{hall}/events": {
            "parameters": [
                HALL,
                {
                    "name": "since",
                    "in": "query",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 0, "maximum": 2**62},
                    "description": "The last sequence number applied",
                },
            ],
            "get": _op(
                "Events after a sequence number; `complete: false` means redraw from a snapshot",
                who="every role and device of the hall",
                answer="EventsPage",
                errors=(*HALL_READ, 422),
            ),
        },
        "/api/v1/halls/{hall}/tickets": {
            "parameters": [HALL],
            "get": {
                **_op(
                    "Find the day's tickets by status, queue, number or window, a page at a time: waiting ones "
                    "first by place in line (with people ahead and estimated wait), then the others by issue "
                    "time. A citizen's ID number is never put in an address: POST …/tickets/search",
                    who="guide, clerk, manager, admin",
                    answer="TicketsPage",
                    errors=(*HALL_READ, 422),
                ),
                "parameters": TICKET_FILTERS,
            },
            "post": {
                **_op(
                    COMMANDS["issue_ticket"].summary,
                    body=schemas.ISSUE_BODY,
                    who="guide, manager, kiosk",
                    answer="Ticket",
                    errors=(*HALL_WRITE, 409),
                ),
                "parameters": [
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "required": False,
                        "schema": {"type": "string", "maxLength": 100},
                        "description": "A retry with the same key returns the same ticket (200, "
                        "Idempotent-Replayed: true)",
                    }
                ],
                "responses": {
                    "201": _answer("Ticket", "Issued"),
                    "200": _answer(
                        "Ticket",
                        "The ticket issued earlier for this Idempotency-Key",
                        headers={"Idempotent-Replayed": {"schema": {"const": "true"}, "required": True}},
                    ),
                }
                | _problems((*HALL_WRITE, 409)),
            },
        },
        "/api/v1/halls/{hall}/tickets/search": {
            "parameters": [HALL],
            "post": _op(
                "Find tickets as GET …/tickets does, with the filters in the body, where a citizen's ID number "
                "may go (matched by its keyed hash, never stored or logged)",
                body=schemas.SEARCH_BODY,
                who="guide, clerk, manager, admin; with id_number: guide, manager, admin",
                answer="TicketsPage",
                errors=HALL_WRITE,
            ),
        },
        "/api/v1/halls/{hall}/appointments": {
            "parameters": [HALL],
            "post": {
                **_op(
                    "Push an appointment (预约) from the booking platform. Idempotent by its booking reference: "
                    "the same booking again answers it as it stands (200); the reference with other details is "
                    "refused (409 appointment_exists)",
                    body=schemas.BOOKING_BODY,
                    who="booking platform device, manager, admin",
                    answer="Appointment",
                    errors=(*HALL_WRITE, 409),
                ),
                "responses": {
                    "201": _answer("Appointment", "Booked"),
                    "200": _answer(
                        "Appointment",
                        "Pushed before with the same details: the appointment as it stands",
                        headers={"Idempotent-Replayed": {"schema": {"const": "true"}, "required": True}},
                    ),
                }
                | _problems((*HALL_WRITE, 409)),
            },
            "get": {
                **_op(
                    "The appointments of a service day, by slot, each with its state and ticket",
                    who="guide, manager, admin, booking platform device",
                    answer="AppointmentsPage",
                    errors=(*HALL_READ, 422),
                ),
                "parameters": [
                    {"name": "day", "in": "query", "required": False, "schema": schemas.DAY},
                ],
            },
        },
        "/api/v1/halls/{hall}/appointments/{reference}": {
            "parameters": [HALL, REFERENCE],
            "get": _op(
                "One appointment: its slot, state, check-in time and ticket",
                who="guide, manager, admin, booking platform device",
                answer="Appointment",
                errors=(*HALL_READ, 422),
            ),
        },
        "/api/v1/halls/{hall}/appointments/{reference}/check-in": {
            "parameters": [HALL, REFERENCE],
            "post": {
                **_op(
                    COMMANDS["check_in_appointment"].summary + ". From checkin_before minutes before the slot "
                    "start to checkin_after after it; earlier is refused with the time it opens "
                    "(409 appointment_too_early), later becomes an ordinary ticket or is refused "
                    "(409 appointment_late), as the hall file says",
                    body=schemas.CHECK_IN_BODY,
                    who="guide, manager, kiosk",
                    answer="Ticket",
                    errors=(*HALL_WRITE, 409),
                ),
                "responses": {
                    "201": _answer("Ticket", "Checked in: its ticket"),
                    "200": _answer(
                        "Ticket",
                        "Checked in before: its ticket, while still open",
                        headers={"Idempotent-Replayed": {"schema": {"const": "true"}, "required": True}},
                    ),
                }
                | _problems((*HALL_WRITE, 409)),
            },
        },
        "/api/v1/halls/{hall}/appointments/{reference}/cancel": {
            "parameters": [HALL, REFERENCE],
            "post": _op(
                "Cancel an appointment (cancelling again changes nothing; one checked in is refused: cancel "
                "its ticket)",
                body=schemas.CANCEL_BODY,
                who="booking platform device, manager, admin",
                answer="Appointment",
                errors=(*HALL_WRITE, 409),
            ),
        },
        "/api/v1/halls/{hall}/tickets/{ticket_id}": {
            "parameters": [HALL, TICKET],
            "get": _op(
                "A ticket: state, people ahead, estimated wait (managers and admins also see its log and visits)",
                who="guide, clerk, manager, admin",
                answer="Ticket",
                errors=HALL_READ,
            ),
        },
        "/api/v1/halls/{hall}/tickets/{ticket_id}/cancel": {
            "parameters": [HALL, TICKET],
            "post": _op(
                COMMANDS["cancel_ticket"].summary,
                body=schemas.CANCEL_BODY,
                who="guide, manager",
                answer="Ticket",
                errors=(*HALL_WRITE, 409),
            ),
        },
        "/api/v1/halls/{hall}/tickets/{ticket_id}/reprint": {
            "parameters": [HALL, TICKET],
            "post": _op(
                COMMANDS["reprint_ticket"].summary + ": a new print job, printing what the first one printed",
                body=schemas.REPRINT_BODY,
                who="guide, manager",
                answer="PrintJob",
                errors=(*HALL_WRITE, 409),
            ),
        },
        "/api/v1/halls/{hall}/print-jobs": {
            "parameters": [
                HALL,
                {"name": "ticket", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 2**62}},
                {"name": "state", "in": "query", "schema": {"enum": [state.value for state in JobState]}},
                {
                    "name": "printer",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 2**62},
                    "description": "The printer's device id",
                },
                {
                    "name": "before",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 2**62},
                    "description": "Only jobs with a smaller id: the next page",
                },
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}},
            ],
            "get": _op(
                "Print jobs, newest first (default 100), by ticket, state or printer",
                who="guide, manager, admin",
                answer="PrintJobs",
                errors=(*HALL_READ, 422),
            ),
        },
        "/api/v1/halls/{hall}/printers": {
            "parameters": [HALL],
            "get": _op(
                "Every printer: its station, whether its agent is connected, what it last reported, jobs due",
                who="guide, manager, admin",
                answer="Printers",
                errors=HALL_READ,
            ),
        },
        "/api/v1/halls/{hall}/notice": {
            "parameters": [HALL],
            "put": _op(
                "Set the scrolling notice for every screen without its own (null: the hall file's)",
                body=schemas.NOTICE_BODY,
                who="manager",
                answer="Notice",
                errors=HALL_WRITE,
            ),
        },
        "/api/v1/halls/{hall}/screens": {
            "parameters": [HALL],
            "get": _op(
                "Every screen device: settings, online, last seen, last call shown, announcer",
                who="manager, admin",
                answer="Screens",
                errors=HALL_READ,
            ),
        },
        "/api/v1/halls/{hall}/screens/{device_id}": {
            "parameters": [HALL, {"name": "device_id", "in": "path", "required": True, "schema": IDENTIFIER}],
            "put": _op(
                "Change a screen's settings (any subset); the open page follows at once",
                body=schemas.SCREEN_CHANGES,
                who="manager",
                answer="Screen",
                errors=HALL_WRITE,
            ),
        },
        "/api/v1/halls/{hall}/announcements/{seq}.wav": {
            "parameters": [
                HALL,
                {"name": "seq", "in": "path", "required": True, "schema": IDENTIFIER},
                {"name": "language", "in": "query", "schema": {"enum": ["zh-CN", "zh-TW", "en"]}},
                {"name": "rate", "in": "query", "schema": {"type": "number", "minimum": 0.5, "maximum": 2.0}},
            ],
            "get": {
                "summary": "The call logged as seq, spoken by espeak-ng (for screens without a Chinese voice)",
                "description": "Who may call it: every role and device of the hall.",
                "security": READ_SECURITY,
                "responses": {"200": {"description": "WAV audio", "content": {"audio/wav": {}}}}
                | _problems(
                    (*HALL_READ, 422, 503),
                    {
                        503: "No offline speech engine (espeak-ng) on the server (code speech_unavailable), "
                        "or the database stayed locked (code store_busy)"
                    },
                ),
            },
        },
        "/api/v1/halls/{hall}/sweep": {
            "parameters": [HALL],
            "post": _op(
                "End-of-day sweep: expire what is left, close open windows when include_today",
                body=schemas.SWEEP_BODY,
                who="manager, admin",
                answer="SweepResult",
                errors=HALL_WRITE,
            ),
        },
    }
    paths["/api/v1/users"] = {
        "get": _op(
            "Every account (of the administrator's hall, for an administrator of one hall), with its lock",
            who="admin",
            answer="Users",
            errors=(403,),
        )
    }
    for action, summary in (
        ("disable", "Disable an account: every session of it ends and its open links close at once"),
        ("enable", "Enable a disabled account"),
        ("unlock", "Lift the lock on a user name and forget its failed sign-ins"),
    ):
        paths[f"/api/v1/users/{{user_id}}/{action}"] = {
            "parameters": [USER_ID],
            "post": _op(summary, who="admin, not on their own account", answer="User", errors=USER_WRITE, write=True),
        }
    paths["/api/v1/users/{user_id}/role"] = {
        "parameters": [USER_ID],
        "put": _op(
            "Set an account's role (and hall): every session of it ends, its open links close at once",
            body=schemas.ROLE_BODY,
            who="admin, not on their own account",
            answer="User",
            errors=USER_WRITE,
        ),
    }
    paths["/api/v1/users/{user_id}/staff-number"] = {
        "parameters": [USER_ID],
        "put": _op(
            "Set (or, with null, clear) an account's staff number (工号): what review pads show and ratings "
            "carry from then on",
            body=schemas.STAFF_NUMBER_BODY,
            who="admin (their own account too)",
            answer="User",
            errors=(403, 404, *READS_BODY),
        ),
    }
    paths["/api/v1/halls/{hall}/ratings"] = {
        "parameters": [HALL],
        "get": {
            **_op(
                "The hall's ratings (好差评), newest first, in the record shape the 好差评 feed sends; each "
                "filter given must hold",
                who="manager, admin",
                answer="RatingsPage",
                errors=(*HALL_READ, 422),
            ),
            "parameters": RATING_FILTERS,
        },
        "post": {
            **_op(
                "The window's review pad rates the ticket its window has open for rating (channel pad). Staff "
                "are refused whatever they send (code staff_may_not_rate): they may invite a rating, never give "
                "one (国办发〔2019〕51号)",
                body={**schemas.PAD_RATING_BODY, "required": ["ticket_ref", "level"]},
                who="the review pad bound to the window where the ticket finished, while its invitation is open",
                answer="RatingGiven",
                errors=(*HALL_WRITE, 409),
            ),
            "responses": {"201": _answer("RatingGiven", "Rated")}
            | _problems(
                (*HALL_WRITE, 409),
                {
                    403: "Staff (code staff_may_not_rate, the national rule), or not a review pad of this hall",
                    409: "Rated already (code already_rated), or not rateable on this pad now: not finished, "
                    "another window's, its invitation closed or timed out (code not_rateable)",
                },
            ),
        },
    }
    paths["/api/v1/t/{ref}/rating"] = {
        "parameters": [PHONE_REF],
        "post": {
            "summary": "The citizen's phone rates its own ticket once its service finished (channel phone), "
            "throttled as the phone's reads are",
            "description": "Who may call it: anyone holding the ticket's reference (its QR code); a staff "
            "session is refused (code staff_may_not_rate).",
            "security": PUBLIC,
            "requestBody": {"required": True, "content": {"application/json": {"schema": schemas.PHONE_RATING_BODY}}},
            "responses": {
                "201": _answer("RatingGiven", "Rated"),
                **{
                    str(status): {
                        "description": meaning,
                        "content": {"application/problem+json": {"schema": ref("Problem")}},
                    }
                    for status, meaning in {
                        **PHONE_PROBLEMS,
                        400: MEANING[400],
                        403: "A signed-in member of staff (code staff_may_not_rate): the national rule",
                        409: "Not finished yet, or rated already (codes not_rateable, already_rated)",
                        413: MEANING[413],
                        422: MEANING[422],
                    }.items()
                    if status != 429
                },
                "429": {**TOO_MANY, "description": PHONE_PROBLEMS[429]},
            },
        },
    }
    paths["/api/v1/users/{user_id}/password"] = {
        "parameters": [USER_ID],
        "put": _op(
            "Set an account's password: every session of it ends, its open links close at once",
            body=schemas.PASSWORD_BODY,
            who="admin, not on their own account",
            answer="User",
            errors=USER_WRITE,
        ),
    }
    paths["/api/v1/audit"] = {
        "parameters": [
            {
                "name": "since",
                "in": "query",
                "schema": {"type": "string", "format": "date-time"},
                "description": "Entries at or after this moment (ISO 8601 with its offset)",
            },
            {"name": "hall", "in": "query", "schema": {"type": "string", "maxLength": 40}, "description": "Hall code"},
            {
                "name": "actor",
                "in": "query",
                "schema": {"type": "string", "maxLength": 80},
                "description": "A user name, or `operator`",
            },
            {"name": "action", "in": "query", "schema": schemas.AUDIT_ENTRY["properties"]["action"]},
            {
                "name": "before",
                "in": "query",
                "schema": {"type": "integer", "minimum": 1, "maximum": 2**62},
                "description": "Entries older than this id: the `next_before` of the previous page",
            },
            {
                "name": "limit",
                "in": "query",
                "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 100},
            },
        ],
        "get": _op(
            "The audit log: administrators' and managers' actions (accounts, devices, hall files, window "
            "releases, calls out of turn, screen settings, the notice, sweeps), newest first; an administrator "
            "of one hall sees that hall's entries only",
            who="admin",
            answer="AuditPage",
            errors=(403, 404, 422),
        ),
    }
    feed_hall = {
        "name": "hall",
        "in": "query",
        "schema": {"type": "string", "maxLength": 40},
        "description": "Hall code (an administrator of every hall; others see their own hall's only)",
    }
    feed_who = "manager, admin (their own hall's records; an administrator of every hall, every hall's)"
    paths["/api/v1/feed"] = {
        "parameters": [feed_hall],
        "get": _op(
            "The 好差评 feed: whether it is configured, records by state, the oldest pending, the last delivery "
            "and the last failed attempt",
            who=feed_who,
            answer="FeedStatus",
            errors=(403, 404, 422),
        ),
    }
    paths["/api/v1/feed/dead-letters"] = {
        "parameters": [
            feed_hall,
            {
                "name": "before",
                "in": "query",
                "schema": {"type": "integer", "minimum": 1, "maximum": 2**62},
                "description": "Letters older than this id: the `next_before` of the previous page",
            },
            {
                "name": "limit",
                "in": "query",
                "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 100},
            },
        ],
        "get": _op(
            "Records the platform refused for good (4xx but 408 and 429), newest first, with its last answer "
            "and the body it refused",
            who=feed_who,
            answer="DeadLetters",
            errors=(403, 404, 422),
        ),
    }
    paths["/api/v1/feed/dead-letters/{letter_id}/retry"] = {
        "parameters": [{"name": "letter_id", "in": "path", "required": True, "schema": IDENTIFIER}],
        "post": _op(
            "Send a dead letter again: pending, due now, its backoff started afresh (recorded in the audit log)",
            who=feed_who + "; another hall's letter answers 404",
            answer="FeedRecord",
            errors=(*READS_BODY, 403, 404, 409),
            write=True,
        ),
    }
    for command in COMMANDS.values():
        if not command.window_scoped:
            continue
        who = "the clerk signed in at the window" if command.name != "open_window" else "a clerk of the hall"
        if command.name in ("pause_window", "resume_window", "close_window"):
            who += ", or a manager of the hall"
        if command.name == "release_window":
            who = "a manager of the hall"
        paths[f"/api/v1/halls/{{hall}}/windows/{{window}}/{command.name.replace('_', '-')}"] = {
            "parameters": [HALL, WINDOW],
            "post": {
                **_op(
                    command.summary,
                    body=schemas.WINDOW_BODIES.get(command.name),
                    who=who,
                    answer="Window",
                    errors=(*HALL_WRITE, 409),
                    write=True,
                ),
                "parameters": [COMMAND_KEY],
                "responses": {
                    "200": _answer(
                        "Window",
                        "Done; or, for a repeated Idempotency-Key, the window as it is now (not run again)",
                        headers={"Idempotent-Replayed": {"schema": {"const": "true"}, "required": False}},
                    )
                }
                | _problems((*HALL_WRITE, 409)),
            },
        }
    paths["/api/v1/halls/{hall}/windows/{window}"] = {
        "parameters": [HALL, WINDOW],
        "get": _op(
            "One window as its clerk's console shows it: the ticket in hand (how long it waited, the windows it "
            "passed), the queues it serves with their waiting counts, the next few tickets, those it suspended",
            who="the clerk signed in at the window, or a manager of the hall",
            answer="WindowConsole",
            errors=(*HALL_READ, 422),
        ),
    }
    paths["/api/v1/halls/{hall}/clerk/today"] = {
        "parameters": [HALL],
        "get": _op(
            "The signed-in clerk's day: the hall's windows with which they may open (and which would be "
            "covering, 顶岗), the window they are at, and their own figures today (served, average handling)",
            who="a clerk of the hall",
            answer="ClerkToday",
            errors=(*HALL_READ, 422),
        ),
    }
    from queue_server.api import review_schemas  # its operations use this module's helpers

    paths.update(review_schemas.review_paths())
    from queue_server.api import staffing

    paths.update(staffing.staffing_paths())
    from queue_server.api import alerts

    paths.update(alerts.alert_paths())
    from queue_server.api import admin

    for path, operations in admin.admin_paths().items():  # POST /users joins GET /users
        paths.setdefault(path, {}).update(operations)
    from queue_server.api import reports

    paths.update(reports.report_paths())
    from queue_server.api import dashboard

    paths.update(dashboard.dashboard_paths())
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "hall-queue API",
            "version": "1",
            "description": "Queue and counter service for government service halls. People sign in with "
            "POST /api/v1/session and send the returned CSRF token as X-CSRF-Token on every POST, PUT and "
            "DELETE; devices send `Authorization: Bearer <device token>`. Every error is "
            "application/problem+json (`Problem`).",
        },
        "security": READ_SECURITY,
        "paths": paths,
        "components": {
            "schemas": {
                **schemas.RESPONSES,
                **review_schemas.RESPONSES,
                **staffing.RESPONSES,
                **alerts.RESPONSES,
                **admin.RESPONSES,
                **reports.RESPONSES,
                **dashboard.RESPONSES,
            },
            "securitySchemes": SECURITY_SCHEMES,
        },
    }
