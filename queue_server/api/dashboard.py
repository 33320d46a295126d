"""The API's route for the managers' live dashboard (docs/dashboard.md):

- `GET /halls/{hall}/dashboard`: the hall as of `seq` — per queue waiting now (each
  waiting ticket's issue time), the day's waits, issued and served per hour; per window
  its state, clerk, ticket and since when; the hall's devices online or offline (on any
  server process) with when each was last seen; today's 好差评 counts and the open 差评
  cases (managers, administrators). The page applies the live events after `seq`.

Its OpenAPI shapes are here too (`RESPONSES`, `dashboard_paths`), merged by `api.openapi`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from queue_server import inputs
from queue_server.api import _ext, _json, _now, _principal, _services
from queue_server.api.schemas import COUNT, DAY, INSTANT, STRING, WINDOW_NUMBER, Schema, _nullable, _obj, ref
from queue_server.domain.access import DeviceKind
from queue_server.domain.dashboard import HOURS, WindowState


def add_routes(bp: Blueprint) -> None:
    @bp.get("/halls/<hall>/dashboard")
    def dashboard(hall: str) -> Response:
        """The live dashboard's figures, as of the answer's `seq`."""
        inputs.only(dict(request.args), set())
        figures = _services().dashboard(_principal(), hall, _now())
        figures["devices"] = _ext()["realtime"].device_presence(figures["devices"])
        return _json(figures)


_HOURLY: Schema = {"type": "array", "items": COUNT, "minItems": HOURS, "maxItems": HOURS}
_MS: Schema = {"type": "integer", "minimum": 0}
RESPONSES: dict[str, Schema] = {
    "Dashboard": _obj(
        {
            "hall": _obj({"code": STRING, "name": STRING, "timezone": STRING}),
            "service_day": DAY,
            "notice": {**STRING, "description": "The hall's notice in force (PUT …/notice changes it)"},
            "seq": {**COUNT, "description": "The hall's last event in these figures: apply the events after it"},
            "now": INSTANT,
            "queues": {
                "type": "array",
                "items": _obj(
                    {
                        "code": STRING,
                        "name": STRING,
                        "prefix": STRING,
                        "wait_threshold_minutes": {"type": ["integer", "null"], "minimum": 1},
                        "waiting": COUNT,
                        "waiting_tickets": {
                            "type": "array",
                            "items": _obj({"id": {"type": "integer"}, "issued_at": INSTANT}),
                            "description": "Oldest first: the first one's age is the oldest waiting ticket's",
                        },
                        "issued_by_hour": {**_HOURLY, "description": "Issued to the queue, per local hour 0–23"},
                        "served_by_hour": {**_HOURLY, "description": "Finished in the queue, per local hour 0–23"},
                        "issued": COUNT,
                        "served": COUNT,
                        "waits": {**COUNT, "description": "Tickets first called today"},
                        "wait_total_ms": _MS,
                        "average_wait_ms": _nullable(_MS),
                        "longest_wait_ms": _nullable(_MS),
                    }
                ),
            },
            "windows": {
                "type": "array",
                "items": _obj(
                    {
                        "number": WINDOW_NUMBER,
                        "name": STRING,
                        "zone": _nullable(STRING),
                        "status": {"enum": ["open", "paused", "closed"]},
                        "state": {"enum": [state.value for state in WindowState]},
                        "clerk": _nullable(STRING),
                        "clerk_number": _nullable(STRING),
                        "ticket": _nullable(STRING),
                        "ticket_id": _nullable({"type": "integer"}),
                        "ticket_status": _nullable(STRING),
                        "since": {
                            **_nullable(INSTANT),
                            "description": "When it entered this state or took this ticket; null: not today",
                        },
                    }
                ),
            },
            "devices": {
                "type": "array",
                "items": _obj(
                    {
                        "id": {"type": "integer"},
                        "kind": {"enum": [kind.value for kind in DeviceKind]},
                        "name": STRING,
                        "window": _nullable(WINDOW_NUMBER),
                        "station": _nullable(STRING),
                        "online": {"type": "boolean", "description": "Connected now, to any server process"},
                        "last_seen": _nullable(INSTANT),
                    }
                ),
            },
            "ratings": _obj(
                {"finished": COUNT, "rated": COUNT, "citizen_rated": COUNT, "good": COUNT, "bad": COUNT},
                description="Today's 好差评 counts, as GET …/review-figures counts them (docs/review-cases.md)",
            ),
            "cases": {
                "type": "array",
                "items": ref("ReviewCaseBrief"),
                "description": "The open 差评整改 cases, overdue first",
            },
        },
        description="The managers' live dashboard (docs/dashboard.md)",
    ),
}


def dashboard_paths() -> dict[str, Any]:
    """The operation of docs/dashboard.md, for `api.openapi`."""
    from queue_server.api.openapi import HALL, HALL_READ, _op  # built after it

    return {
        "/api/v1/halls/{hall}/dashboard": {
            "parameters": [HALL],
            "get": _op(
                "The live dashboard's figures as of seq: per queue waiting now, the day's waits, issued and "
                "served per hour; per window state, clerk, ticket and since when; devices online; today's "
                "好差评 counts and the open 差评 cases",
                who="manager, admin (of the hall, or of every hall)",
                answer="Dashboard",
                errors=(*HALL_READ, 422),
            ),
        },
    }
