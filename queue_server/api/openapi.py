"""The OpenAPI 3.1 document for /api/v1, built from the same command table the routes use.

`docs/openapi.json` is this document written out (`queue-server openapi`); a test keeps
the file, this module and the app's URL map in step.
"""

from __future__ import annotations

from typing import Any

from queue_server.commands import COMMANDS
from queue_server.domain.tickets import Outcome, PriorityClass

PROBLEM = {"$ref": "#/components/schemas/Problem"}


def _problem_responses(*statuses: int) -> dict[str, Any]:
    meaning = {
        400: "Malformed request",
        401: "Not signed in, or the device token is unknown or revoked",
        403: "Signed in, but this role, hall or window may not do this (or the CSRF token is missing)",
        404: "No such hall, ticket, window or item",
        409: "The current state does not allow it (closed or full queue, busy window, wrong ticket state)",
        413: "Body too large",
        422: "A field is missing or invalid; `field` names it",
        503: "No offline speech engine (espeak-ng) on the server",
    }
    return {
        str(s): {"description": meaning[s], "content": {"application/problem+json": {"schema": PROBLEM}}}
        for s in statuses
    }


def _op(
    summary: str, *, body: dict[str, Any] | None = None, ok: str = "200", who: str, errors: tuple[int, ...] = ()
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "description": f"Who may call it: {who}.",
        "responses": {ok: {"description": "Success", "content": {"application/json": {"schema": {"type": "object"}}}}}
        | _problem_responses(401, 403, 404, *errors),
    }
    if body is not None:
        operation["requestBody"] = {"required": False, "content": {"application/json": {"schema": body}}}
    return operation


HALL = {"name": "hall", "in": "path", "required": True, "schema": {"type": "string"}, "description": "Hall code"}
WINDOW = {"name": "window", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
TICKET = {"name": "ticket_id", "in": "path", "required": True, "schema": {"type": "integer"}}

ISSUE_BODY = {
    "type": "object",
    "description": "Exactly one of item, bundle, queue.",
    "properties": {
        "item": {"type": "string"},
        "bundle": {"type": "string"},
        "queue": {"type": "string"},
        "priority": {"enum": [p.value for p in PriorityClass]},
        "id_number": {"type": "string", "description": "Checked, then kept only as a keyed hash"},
        "appointment": {"type": "string"},
    },
    "additionalProperties": False,
}

SCREEN_SETTINGS = {
    "type": "object",
    "properties": {
        "zone": {"type": ["string", "null"]},
        "rows": {"type": "integer", "minimum": 1, "maximum": 20},
        "language": {"enum": ["zh-CN", "zh-TW", "en"]},
        "notice": {"type": ["string", "null"], "maxLength": 500},
        "voice": {
            "type": "object",
            "properties": {
                "enabled": {"type": "boolean"},
                "repeat": {"type": "integer", "minimum": 1, "maximum": 5},
                "rate": {"type": "number", "minimum": 0.5, "maximum": 2.0},
            },
        },
    },
}

WINDOW_BODIES: dict[str, dict[str, Any]] = {
    "finish_service": {
        "type": "object",
        "properties": {
            "outcome": {"enum": [o.value for o in Outcome]},
            "items": {"type": "array", "items": {"type": "string"}, "maxItems": 20},
        },
    },
    "release_window": {"type": "object", "required": ["reason"], "properties": {"reason": {"type": "string"}}},
    "transfer": {
        "type": "object",
        "properties": {"to_queue": {"type": "string"}, "to_window": {"type": "integer"}, "reason": {"type": "string"}},
    },
    "call_number": {
        "type": "object",
        "required": ["ticket_number"],
        "properties": {"ticket_number": {"type": "string"}},
    },
    "resume_ticket": {
        "type": "object",
        "required": ["ticket_number"],
        "properties": {"ticket_number": {"type": "string"}},
    },
    "pause_window": {"type": "object", "properties": {"reason": {"type": "string"}}},
    "suspend": {"type": "object", "properties": {"reason": {"type": "string"}}},
}


def openapi_document() -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/api/v1/health": {"get": {"summary": "Liveness probe (public)", "responses": {"200": {"description": "OK"}}}},
        "/api/v1/openapi.json": {
            "get": {"summary": "This document (public)", "responses": {"200": {"description": "OK"}}}
        },
        "/api/v1/session": {
            "post": _op(
                "Sign in; sets the session cookie and returns the CSRF token",
                body={
                    "type": "object",
                    "required": ["username", "password"],
                    "properties": {"username": {"type": "string"}, "password": {"type": "string"}},
                },
                who="anyone with an account",
                errors=(422,),
            ),
            "get": _op("Who is signed in, and the CSRF token", who="any signed-in user or device"),
            "delete": {"summary": "Sign out", "responses": {"204": {"description": "Signed out"}}},
        },
        "/api/v1/halls": {"get": _op("Halls the caller may see", who="any signed-in user or device")},
        "/api/v1/halls/{hall}": {
            "parameters": [HALL],
            "get": _op(
                "Snapshot: queues with waiting counts, windows, recent calls, last sequence number",
                who="every role and device of the hall",
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
                    errors=(409, 413, 422),
                ),
                "parameters": [
                    {"name": "effective", "in": "query", "required": False, "schema": {"enum": ["now", "next-day"]}}
                ],
                "requestBody": {"required": True, "content": {"application/toml": {"schema": {"type": "string"}}}},
            },
        },
        "/api/v1/halls/{hall}/events": {
            "parameters": [HALL, {"name": "since", "in": "query", "required": True, "schema": {"type": "integer"}}],
            "get": _op(
                "Events after a sequence number; `complete: false` means redraw from a snapshot",
                who="every role and device of the hall",
                errors=(422,),
            ),
        },
        "/api/v1/halls/{hall}/tickets": {
            "parameters": [
                HALL,
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string"},
                    "description": "A retry with the same key returns the same ticket (200, Idempotent-Replayed: true)",
                },
            ],
            "post": _op(
                COMMANDS["issue_ticket"].summary,
                body=ISSUE_BODY,
                ok="201",
                who="guide, manager, kiosk",
                errors=(409, 413, 422),
            ),
        },
        "/api/v1/halls/{hall}/tickets/{ticket_id}": {
            "parameters": [HALL, TICKET],
            "get": _op(
                "A ticket: state, people ahead, estimated wait (managers also see its log)",
                who="guide, clerk, manager, admin, kiosk",
            ),
        },
        "/api/v1/halls/{hall}/tickets/{ticket_id}/cancel": {
            "parameters": [HALL, TICKET],
            "post": _op(
                COMMANDS["cancel_ticket"].summary,
                body={"type": "object", "properties": {"reason": {"type": "string"}}},
                who="guide, manager",
                errors=(409, 422),
            ),
        },
        "/api/v1/halls/{hall}/notice": {
            "parameters": [HALL],
            "put": _op(
                "Set the scrolling notice for every screen without its own (null: the hall file's)",
                body={"type": "object", "required": ["notice"], "properties": {"notice": {"type": ["string", "null"]}}},
                who="manager",
                errors=(422,),
            ),
        },
        "/api/v1/halls/{hall}/screens": {
            "parameters": [HALL],
            "get": _op(
                "Every screen device: settings, online, last seen, last call shown, announcer", who="manager, admin"
            ),
        },
        "/api/v1/halls/{hall}/screens/{device_id}": {
            "parameters": [HALL, {"name": "device_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "put": _op(
                "Change a screen's settings (any subset); the open page follows at once",
                body=SCREEN_SETTINGS,
                who="manager",
                errors=(422,),
            ),
        },
        "/api/v1/halls/{hall}/announcements/{seq}.wav": {
            "parameters": [
                HALL,
                {"name": "seq", "in": "path", "required": True, "schema": {"type": "integer"}},
                {"name": "language", "in": "query", "schema": {"enum": ["zh-CN", "zh-TW", "en"]}},
                {"name": "rate", "in": "query", "schema": {"type": "number", "minimum": 0.5, "maximum": 2.0}},
            ],
            "get": {
                **_op(
                    "The call logged as seq, spoken by espeak-ng (for screens without a Chinese voice)",
                    who="every role and device of the hall",
                    errors=(422,),
                ),
                "responses": {"200": {"description": "WAV audio", "content": {"audio/wav": {}}}}
                | _problem_responses(401, 403, 404, 422, 503),
            },
        },
        "/api/v1/halls/{hall}/sweep": {
            "parameters": [HALL],
            "post": _op(
                "End-of-day sweep: expire what is left, close open windows when include_today",
                body={"type": "object", "properties": {"include_today": {"type": "boolean"}}},
                who="manager, admin",
                errors=(422,),
            ),
        },
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
            "post": _op(command.summary, body=WINDOW_BODIES.get(command.name), who=who, errors=(409, 422)),
        }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "hall-queue API",
            "version": "1",
            "description": "Queue and counter service for government service halls. People sign in with "
            "POST /api/v1/session and send the returned CSRF token as X-CSRF-Token on every POST, PUT and "
            "DELETE; devices send `Authorization: Bearer <device token>`.",
        },
        "paths": paths,
        "components": {
            "schemas": {
                "Problem": {
                    "type": "object",
                    "description": "RFC 9457 problem details; `detail` is a sentence a person can act on",
                    "required": ["type", "title", "status", "detail", "code"],
                    "properties": {
                        "type": {"type": "string"},
                        "title": {"type": "string"},
                        "status": {"type": "integer"},
                        "detail": {"type": "string"},
                        "code": {"type": "string"},
                        "field": {"type": "string"},
                    },
                }
            }
        },
    }
