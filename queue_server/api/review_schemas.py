"""The OpenAPI shapes and operations of 差评整改 and the 好差评 figures
(docs/review-cases.md), kept apart from `api.schemas` and `api.openapi`, which merge them
in (`RESPONSES`, `review_paths`)."""

from __future__ import annotations

from typing import Any

from queue_server.api.schemas import (
    BOOLEAN,
    COUNT,
    DAY,
    INSTANT,
    OPTIONAL_INSTANT,
    OPTIONAL_STRING,
    STRING,
    WINDOW_NUMBER,
    Schema,
    _enum,
    _obj,
    ref,
)
from queue_server.domain.ratings import MAX_TEXT, RatingChannel, RatingLevel
from queue_server.domain.review_cases import (
    DEADLINES,
    FIGURES,
    MAX_NOTE,
    AppealState,
    Breakdown,
    CaseAction,
    CaseState,
)

_NOTE: Schema = {"type": "string", "maxLength": MAX_NOTE, "description": "Lines allowed; no other control characters"}
_OPTIONAL_NOTE: Schema = {**_NOTE, "type": ["string", "null"]}
_AT: Schema = {
    "type": "string",
    "format": "date-time",
    "description": "When it happened, with its offset; now if left out. Not in the future, nor before the step before",
}
DEADLINE = _obj(
    {
        "due": {
            **OPTIONAL_INSTANT,
            "description": "Local midnight at the end of its last day; null until its clock starts",
        },
        "done_at": OPTIONAL_INSTANT,
        "overdue": {**BOOLEAN, "description": "Not done, and due has passed (never for a closed or upheld case)"},
        "late": {**BOOLEAN, "description": "Done after due"},
    }
)
_BRIEF: dict[str, Schema] = {
    "id": {"type": "integer", "minimum": 1},
    "hall": STRING,
    "rating_id": {"type": "integer", "minimum": 1},
    "ticket_number": STRING,
    "service_day": DAY,
    "queue": STRING,
    "window": WINDOW_NUMBER,
    "clerk_number": {**OPTIONAL_STRING, "description": "The clerk's staff number (工号) the rating carries"},
    "level": _enum([RatingLevel.DISSATISFIED, RatingLevel.VERY_DISSATISFIED]),
    "channel": _enum([RatingChannel.PAD, RatingChannel.PHONE]),
    "state": _enum(CaseState),
    "appeal_state": {"enum": [*(s.value for s in AppealState), None]},
    "opened_at": INSTANT,
    "closed_at": OPTIONAL_INSTANT,
    "overdue": {**BOOLEAN, "description": "Any of its deadlines is overdue now"},
    "deadlines": _obj({name: ref("ReviewCaseDeadline") for name in DEADLINES}),
}
CASE_BRIEF = _obj(_BRIEF, description="A case without anyone's words: what the staff-only events carry")


def _nullable_obj(properties: dict[str, Schema]) -> Schema:
    return {"anyOf": [_obj(properties), {"type": "null"}]}


CASE = _obj(
    {
        **_BRIEF,
        "ticket_ref": STRING,
        "clerk": {
            "anyOf": [
                _obj({"id": {"type": "integer"}, "name": STRING, "staff_number": OPTIONAL_STRING}),
                {"type": "null"},
            ]
        },
        "reasons": {"type": "array", "items": STRING},
        "text": {"type": ["string", "null"], "maxLength": MAX_TEXT},
        "rated_at": INSTANT,
        "contact": _nullable_obj({"at": INSTANT, "note": STRING}),
        "reply": _nullable_obj({"at": INSTANT, "reply": STRING, "fix": OPTIONAL_STRING}),
        "confirmation": _nullable_obj({"at": INSTANT, "satisfied": BOOLEAN}),
        "appeal": _nullable_obj(
            {
                "state": _enum(AppealState),
                "filed_at": INSTANT,
                "reason": STRING,
                "decided_at": OPTIONAL_INSTANT,
                "note": OPTIONAL_STRING,
            }
        ),
        "close_note": OPTIONAL_STRING,
        "history": {
            "type": "array",
            "items": _obj(
                {
                    "at": INSTANT,
                    "action": _enum(["open", *CaseAction]),
                    "by": {**OPTIONAL_STRING, "description": "The manager's user name; null for the opening"},
                    "by_name": OPTIONAL_STRING,
                    "detail": {"type": "object"},
                }
            ),
        },
    },
    optional=("history",),
    description="A 差评整改 case: its rating, deadlines and every record; `history` on one case's answers",
)
_FIGURE = _obj({"numerator": COUNT, "denominator": COUNT, "rate": {"type": ["number", "null"], "minimum": 0}})
_COUNTS = {
    "counts": _obj(
        {name: COUNT for name in ("finished", "rated", "citizen_rated", "good", "bad", "cases", "appeals_upheld")}
    ),
    "figures": _obj({name: _FIGURE for name in FIGURES}),
}
RESPONSES: dict[str, Schema] = {
    "ReviewCaseDeadline": DEADLINE,
    "ReviewCaseBrief": CASE_BRIEF,
    "ReviewCase": CASE,
    "ReviewCases": _obj(
        {
            "cases": {
                "type": "array",
                "items": ref("ReviewCase"),
                "description": "Overdue first, then by next due; the first `limit`",
            },
            "total": {**COUNT, "description": "How many cases matched the filters"},
            "overdue": {**COUNT, "description": "How many of those are overdue now"},
            "now": INSTANT,
        }
    ),
    "ReviewFigures": _obj(
        {
            "hall": STRING,
            "from": DAY,
            "to": DAY,
            "by": {"enum": [*(b.value for b in Breakdown), None]},
            "total": _obj(_COUNTS),
            "groups": {
                "type": "array",
                "items": _obj(
                    {
                        "key": {
                            "type": ["string", "integer", "null"],
                            "description": "The queue code, window number, clerk's user id (null: none) or day",
                        },
                        "label": STRING,
                        **_COUNTS,
                    }
                ),
            },
        },
        description="好评率 … 整改满意率 with their numerators and denominators (docs/review-cases.md)",
    ),
}
BODIES: dict[str, Schema] = {
    "contact": _obj({"at": _AT, "note": _NOTE}, optional=("at",)),
    "reply": _obj(
        {
            "at": _AT,
            "reply": _NOTE,
            "fix": {**_OPTIONAL_NOTE, "description": "What was rectified; null or left out: nothing needed fixing"},
        },
        optional=("at", "fix"),
    ),
    "confirm": _obj({"at": _AT, "satisfied": BOOLEAN}, optional=("at",)),
    "appeal": _obj({"reason": _NOTE}),
    "appeal-decision": _obj({"upheld": BOOLEAN, "note": _OPTIONAL_NOTE}, optional=("note",)),
    "close": _obj({"note": _OPTIONAL_NOTE}, optional=("note",)),
}
STEPS = {
    "contact": "Record that the citizen was contacted (the first step)",
    "reply": "Record the fix (if one was made) and the reply to the citizen; the callback's clock starts",
    "confirm": "Record the callback: whether the citizen is satisfied with the fix",
    "appeal": "File an appeal (申诉) against the 差评; once per case, before it closes",
    "appeal-decision": "Record the appeal's decision: upheld (the case may close) or rejected",
    "close": "Close the case: once the citizen's satisfaction is recorded, or its appeal upheld",
}


def review_paths() -> dict[str, Any]:
    """The operations of docs/review-cases.md, for `api.openapi`."""
    from queue_server.api.openapi import HALL, HALL_READ, HALL_WRITE, IDENTIFIER, _op  # built after it

    case = {"name": "case_id", "in": "path", "required": True, "schema": {**IDENTIFIER, "minimum": 1}}
    readers = "manager, admin (of the hall, or of every hall)"
    paths: dict[str, Any] = {
        "/api/v1/halls/{hall}/review-cases": {
            "parameters": [HALL],
            "get": {
                **_op(
                    "The hall's 差评整改 cases with their deadlines and whether each is overdue now; overdue "
                    "cases first",
                    who=readers,
                    answer="ReviewCases",
                    errors=(*HALL_READ, 422),
                ),
                "parameters": [
                    {"name": "state", "in": "query", "schema": {"type": "array", "items": _enum(CaseState)}},
                    {"name": "overdue", "in": "query", "schema": {"enum": ["true", "false"]}},
                    {"name": "from", "in": "query", "schema": DAY, "description": "Opened on this local date or later"},
                    {"name": "to", "in": "query", "schema": DAY, "description": "Opened on this local date or before"},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}},
                ],
            },
        },
        "/api/v1/halls/{hall}/review-cases/{case_id}": {
            "parameters": [HALL, case],
            "get": _op("One case, with who recorded what and when", who=readers, answer="ReviewCase", errors=HALL_READ),
        },
        "/api/v1/halls/{hall}/review-figures": {
            "parameters": [HALL],
            "get": {
                **_op(
                    "好评率, 差评率, 未评率, 主动评价率, 回复率, 整改率, 整改满意率 of the tickets finished on the "
                    "service days from … to, for the hall and per queue, window, clerk or day",
                    who=readers,
                    answer="ReviewFigures",
                    errors=(*HALL_READ, 422),
                ),
                "parameters": [
                    {"name": "from", "in": "query", "required": True, "schema": DAY},
                    {"name": "to", "in": "query", "required": True, "schema": DAY},
                    {"name": "by", "in": "query", "schema": _enum(Breakdown)},
                ],
            },
        },
    }
    for step, summary in STEPS.items():
        operation = _op(
            summary,
            body=BODIES[step],
            who="a manager of the hall",
            answer="ReviewCase",
            errors=(*HALL_WRITE, 409),
        )
        operation["responses"]["409"]["description"] = (
            "Not the case's next step (code review_case_out_of_order), or the case is closed (code review_case_closed)"
        )
        paths[f"/api/v1/halls/{{hall}}/review-cases/{{case_id}}/{step}"] = {
            "parameters": [HALL, case],
            "post": operation,
        }
    return paths
