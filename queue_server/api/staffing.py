"""The API's route for staffing advice (docs/staffing.md):

- `GET /halls/{hall}/staffing?target_minutes=15&service_level=0.8`: per queue, the
  arrivals forecast from today and the same weekday's history, recent handling, the
  windows open for it and the windows Erlang C says it needs now and in each of the
  hall's next hours; which windows could move where (managers, administrators).

Its OpenAPI shapes are here too (`RESPONSES`, `staffing_paths`), merged by `api.openapi`.
"""

from __future__ import annotations

import math
import re
from typing import Any

from flask import Blueprint, Response, request

from queue_server import inputs
from queue_server.api import _json, _now, _principal, _services
from queue_server.api.appointments import _query_args
from queue_server.api.schemas import COUNT, DAY, INSTANT, STRING, WINDOW_NUMBER, Schema, _obj
from queue_server.domain.errors import InvalidInput
from queue_server.domain.staffing import MAX_LEVEL, MAX_TARGET_MINUTES, MIN_LEVEL

FIELDS = frozenset({"target_minutes", "service_level"})
_DECIMAL = re.compile(r"[0-9]{1,6}(\.[0-9]{1,6})?")


def _number(args: dict[str, Any], key: str, low: float, high: float) -> float | None:
    value = args.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not _DECIMAL.fullmatch(value) or not low <= float(value) <= high:
        raise InvalidInput(f"字段 {key} 须是 {low:g} 到 {high:g} 之间的数", field=key)
    number = float(value)
    assert math.isfinite(number)
    return number


def add_routes(bp: Blueprint) -> None:
    @bp.get("/halls/<hall>/staffing")
    def staffing_advice(hall: str) -> Response:
        """How many windows each queue needs now and in the next hours for `service_level`
        of citizens to be called within `target_minutes` (Erlang C), against the windows
        open for it, and which windows could move where."""
        args = _query_args(request.args, many=frozenset())
        inputs.only(args, FIELDS)
        target = _number(args, "target_minutes", 0, MAX_TARGET_MINUTES)
        level = _number(args, "service_level", MIN_LEVEL, MAX_LEVEL)
        return _json(_services().staffing_advice(_principal(), hall, _now(), target, level))


_NUMBER: Schema = {"type": "number", "minimum": 0}
_SHARE: Schema = {"type": ["number", "null"], "minimum": 0, "maximum": 1}
_WINDOWS: Schema = {"type": "array", "items": WINDOW_NUMBER}
_HOUR: Schema = {"type": "string", "pattern": r"^[0-2][0-9]:00$", "description": "A local clock hour, HH:00"}
RESPONSES: dict[str, Schema] = {
    "StaffingAdvice": _obj(
        {
            "hall": STRING,
            "service_day": DAY,
            "now": INSTANT,
            "timezone": {**STRING, "description": "The hall's IANA time zone: the hours are its local hours"},
            "target_minutes": _NUMBER,
            "service_level": {"type": "number", "minimum": MIN_LEVEL, "maximum": MAX_LEVEL},
            "hall_target": _obj(
                {"target_minutes": _NUMBER, "service_level": _SHARE},
                description="The hall file's target ([hall.staffing]), used when the query leaves it out",
            ),
            "max_occupancy": _SHARE,
            "history_weeks": {**COUNT, "description": "Past weeks of the same weekday the forecast reads"},
            "hours": {
                "type": "array",
                "items": _HOUR,
                "description": "The hour in progress and each later one the hall opens in today",
            },
            "queues": {
                "type": "array",
                "items": _obj(
                    {
                        "code": STRING,
                        "name": STRING,
                        "issued": {**COUNT, "description": "Tickets first issued to the queue today"},
                        "issuing_hours": {**_NUMBER, "description": "Hours it has been issuing today, up to now"},
                        "arrivals_per_hour": {**_NUMBER, "description": "Today so far: issued over issuing_hours"},
                        "expected_arrivals_per_hour": {
                            **_NUMBER,
                            "description": "The forecast for the hour in progress (history and today blended)",
                        },
                        "forecast": _obj(
                            {
                                "history_days": {**COUNT, "description": "Past same weekdays averaged"},
                                "from_history": {
                                    "type": "boolean",
                                    "description": "false: no history for the queue, today's average rate throughout",
                                },
                                "history_day_total": {**_NUMBER, "description": "D: a usual day's tickets"},
                                "history_so_far": {**_NUMBER, "description": "E: a usual day's tickets by now"},
                                "today_weight": {**_SHARE, "description": "w = E / D: how much today's pace counts"},
                                "today_pace": {
                                    "type": ["number", "null"],
                                    "minimum": 0,
                                    "description": "r = today's tickets / E; null when E is 0",
                                },
                            }
                        ),
                        "finished": {**COUNT, "description": "Visits finished today"},
                        "recent_finished": {**COUNT, "description": "Visits finished in the last 7 service days"},
                        "average_handling_minutes": _NUMBER,
                        "handling_from_recent": {
                            "type": "boolean",
                            "description": "false: fewer than three finished recently, the queue's configured average",
                        },
                        "load": {**_NUMBER, "description": "Erlangs now: windows kept busy on average"},
                        "windows_open": {**_WINDOWS, "description": "Open windows whose hall file lets them serve it"},
                        "windows_assigned": {
                            **_WINDOWS,
                            "description": "Open windows that call it first (its lowest rank): counted for it",
                        },
                        "windows_needed": {"type": "integer", "minimum": 1},
                        "difference": {
                            "type": "integer",
                            "description": "Assigned minus needed: negative is short, positive is spare",
                        },
                        "service_level": {
                            **_SHARE,
                            "description": "With the windows assigned now; null: none assigned",
                        },
                        "average_wait_minutes": {
                            "type": ["number", "null"],
                            "minimum": 0,
                            "description": "With the windows assigned now; null: none, or too few to keep up",
                        },
                        "occupancy": _SHARE,
                        "hours": {
                            "type": "array",
                            "items": _obj(
                                {
                                    "hour": _HOUR,
                                    "arrivals_per_hour": _NUMBER,
                                    "windows_needed": {"type": "integer", "minimum": 1},
                                }
                            ),
                        },
                    }
                ),
            },
            "moves": {
                "type": "array",
                "description": "Open windows that could move from a queue with some to spare to one short of them",
                "items": _obj(
                    {
                        "window": WINDOW_NUMBER,
                        "window_name": STRING,
                        "clerk": {"type": ["string", "null"], "description": "The clerk signed in at it"},
                        "from_queue": STRING,
                        "from_name": STRING,
                        "to_queue": STRING,
                        "to_name": STRING,
                        "text": {**STRING, "description": "The move in a sentence (zh-CN)"},
                    }
                ),
            },
        },
        description="Staffing advice by Erlang C (docs/staffing.md)",
    ),
}


def staffing_paths() -> dict[str, Any]:
    """The operation of docs/staffing.md, for `api.openapi`."""
    from queue_server.api.openapi import HALL, HALL_READ, _op  # built after it

    return {
        "/api/v1/halls/{hall}/staffing": {
            "parameters": [HALL],
            "get": {
                **_op(
                    "Per queue: arrivals forecast from today and the same weekday's history, recent handling, the "
                    "windows open for it and the windows Erlang C says it needs now and in each of the hall's next "
                    "hours for service_level of citizens called within target_minutes; which windows could move "
                    "where",
                    who="manager, admin (of the hall, or of every hall)",
                    answer="StaffingAdvice",
                    errors=(*HALL_READ, 422),
                ),
                "parameters": [
                    {
                        "name": "target_minutes",
                        "in": "query",
                        "schema": {"type": "string", "pattern": r"^[0-9]{1,6}(\.[0-9]{1,6})?$"},
                        "description": f"A decimal, 0 to {MAX_TARGET_MINUTES:g}; the hall file's "
                        "[hall.staffing] target_minutes (15 unless it says) if left out",
                    },
                    {
                        "name": "service_level",
                        "in": "query",
                        "schema": {"type": "string", "pattern": r"^[0-9]{1,6}(\.[0-9]{1,6})?$"},
                        "description": f"A decimal, {MIN_LEVEL:g} to {MAX_LEVEL:g}; the hall file's "
                        "[hall.staffing] service_level (0.8 unless it says) if left out",
                    },
                ],
            },
        },
    }
