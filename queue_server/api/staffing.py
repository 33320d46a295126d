"""The API's route for staffing advice (docs/staffing.md):

- `GET /halls/{hall}/staffing?target_minutes=15&service_level=0.8`: per queue, today's
  arrivals and handling, the windows open for it and the windows Erlang C says it needs
  (managers, administrators).

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
from queue_server.services.staffing import DEFAULT_SERVICE_LEVEL, DEFAULT_TARGET_MINUTES

FIELDS = frozenset({"target_minutes", "service_level"})
MAX_TARGET_MINUTES = 480.0  # a working day
MIN_LEVEL, MAX_LEVEL = 0.01, 0.99  # 100 % is never reached while anyone arrives
_DECIMAL = re.compile(r"[0-9]{1,6}(\.[0-9]{1,6})?")


def _number(args: dict[str, Any], key: str, low: float, high: float, default: float) -> float:
    value = args.get(key)
    if value is None:
        return default
    if not isinstance(value, str) or not _DECIMAL.fullmatch(value) or not low <= float(value) <= high:
        raise InvalidInput(f"字段 {key} 须是 {low:g} 到 {high:g} 之间的数", field=key)
    number = float(value)
    assert math.isfinite(number)
    return number


def add_routes(bp: Blueprint) -> None:
    @bp.get("/halls/<hall>/staffing")
    def staffing_advice(hall: str) -> Response:
        """How many windows each queue needs now for `service_level` of citizens to be
        called within `target_minutes` (Erlang C), against the windows open for it."""
        args = _query_args(request.args, many=frozenset())
        inputs.only(args, FIELDS)
        target = _number(args, "target_minutes", 0, MAX_TARGET_MINUTES, DEFAULT_TARGET_MINUTES)
        level = _number(args, "service_level", MIN_LEVEL, MAX_LEVEL, DEFAULT_SERVICE_LEVEL)
        return _json(_services().staffing_advice(_principal(), hall, _now(), target, level))


_NUMBER: Schema = {"type": "number", "minimum": 0}
_SHARE: Schema = {"type": ["number", "null"], "minimum": 0, "maximum": 1}
RESPONSES: dict[str, Schema] = {
    "StaffingAdvice": _obj(
        {
            "hall": STRING,
            "service_day": DAY,
            "now": INSTANT,
            "target_minutes": _NUMBER,
            "service_level": {"type": "number", "minimum": MIN_LEVEL, "maximum": MAX_LEVEL},
            "queues": {
                "type": "array",
                "items": _obj(
                    {
                        "code": STRING,
                        "name": STRING,
                        "issued": {**COUNT, "description": "Tickets first issued to the queue today"},
                        "issuing_hours": {**_NUMBER, "description": "Hours it has been issuing today, up to now"},
                        "arrivals_per_hour": _NUMBER,
                        "finished": {**COUNT, "description": "Visits finished today"},
                        "average_handling_minutes": _NUMBER,
                        "handling_from_today": {
                            "type": "boolean",
                            "description": "false: fewer than three finished, the queue's configured average",
                        },
                        "load": {**_NUMBER, "description": "Erlangs: windows kept busy on average"},
                        "windows_open": {"type": "array", "items": WINDOW_NUMBER},
                        "windows_needed": {"type": "integer", "minimum": 1},
                        "difference": {
                            "type": "integer",
                            "description": "Open minus needed: negative is short, positive is spare",
                        },
                        "service_level": {**_SHARE, "description": "With the windows open now; null: none open"},
                        "average_wait_minutes": {
                            "type": ["number", "null"],
                            "minimum": 0,
                            "description": "With the windows open now; null: none open, or too few to keep up",
                        },
                        "occupancy": _SHARE,
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
                    "Per queue: arrivals per hour and average handling today, the windows open for it and the "
                    "windows Erlang C says it needs for service_level of citizens called within target_minutes",
                    who="manager, admin (of the hall, or of every hall)",
                    answer="StaffingAdvice",
                    errors=(*HALL_READ, 422),
                ),
                "parameters": [
                    {
                        "name": "target_minutes",
                        "in": "query",
                        "schema": {"type": "string", "pattern": r"^[0-9]{1,6}(\.[0-9]{1,6})?$"},
                        "description": f"A decimal, 0 to {MAX_TARGET_MINUTES:g}; {DEFAULT_TARGET_MINUTES:g} if "
                        "left out",
                    },
                    {
                        "name": "service_level",
                        "in": "query",
                        "schema": {"type": "string", "pattern": r"^[0-9]{1,6}(\.[0-9]{1,6})?$"},
                        "description": f"A decimal, {MIN_LEVEL:g} to {MAX_LEVEL:g}; {DEFAULT_SERVICE_LEVEL:g} if "
                        "left out",
                    },
                ],
            },
        },
    }
