"""The API's routes for the managers' alerts (services.alerts):

- `GET /halls/{hall}/alerts`: the open alerts and those cleared this service day, newest
  first; `?state=open` for the open ones only (managers, administrators);
- `POST /halls/{hall}/alerts/{alert_id}/acknowledge`: a manager saw it (the command
  `acknowledge_alert`, also on the socket).

Their OpenAPI shapes are here too (`RESPONSES`, `alert_paths`), merged by `api.openapi`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from queue_server import inputs
from queue_server.api import _body, _fields, _json, _now, _principal, _run, _services
from queue_server.api.appointments import _query_args
from queue_server.api.schemas import COUNT, INSTANT, OPTIONAL_INSTANT, STRING, Schema, _enum, _nullable, _obj, ref
from queue_server.domain.alerts import AlertKind
from queue_server.domain.errors import InvalidInput


def add_routes(bp: Blueprint) -> None:
    @bp.get("/halls/<hall>/alerts")
    def list_alerts(hall: str) -> Response:
        """Open alerts and today's cleared ones, newest first; `state=open`: open ones only."""
        args = _query_args(request.args, many=frozenset())
        inputs.only(args, {"state"})
        state = args.get("state")
        if state not in (None, "open"):
            raise InvalidInput("字段 state 只能是 open（只列未解除的预警）", field="state")
        return _json(_services().list_alerts(_principal(), hall, _now(), open_only=state == "open"))

    @bp.post("/halls/<hall>/alerts/<uint:alert_id>/acknowledge")
    def acknowledge_alert(hall: str, alert_id: int) -> Response:
        return _run("acknowledge_alert", hall, _fields("acknowledge_alert", _body(), alert_id=alert_id))


ALERT: Schema = _obj(
    {
        "id": {**COUNT, "minimum": 1},
        "hall": STRING,
        "kind": {
            **_enum(AlertKind),
            "description": "long_wait: a queue's oldest waiting ticket waited past its threshold; many_waiting: "
            "more waiting than its threshold; window_paused: a window paused past the threshold; "
            "device_offline: a screen, kiosk, printer or review pad offline past the threshold",
        },
        "subject": {**STRING, "description": "The queue's code, the window's number or the device's id, as text"},
        "detail": {**STRING, "description": "What happened, in Chinese, as it was when raised"},
        "raised_at": INSTANT,
        "cleared_at": {**OPTIONAL_INSTANT, "description": "When its condition ended; null: open"},
        "acknowledged_by": _nullable(_obj({"id": COUNT, "name": STRING})),
        "acknowledged_at": OPTIONAL_INSTANT,
        "threshold": {
            **COUNT,
            "description": "Minutes (long_wait, window_paused), tickets (many_waiting) or seconds (device_offline)",
        },
        "value": {**COUNT, "description": "The figure when raised, in the threshold's unit"},
    },
    description="An alert for the hall's managers (docs/alerts.md)",
)
RESPONSES: dict[str, Schema] = {
    "Alert": ALERT,
    "AlertList": _obj(
        {
            "hall": STRING,
            "now": INSTANT,
            "open": {**COUNT, "description": "How many of `alerts` are open"},
            "alerts": {"type": "array", "items": ref("Alert")},
        }
    ),
}


def alert_paths() -> dict[str, Any]:
    """The operations of the managers' alerts, for `api.openapi`."""
    from queue_server.api.openapi import HALL, HALL_READ, HALL_WRITE, IDENTIFIER, _op  # built after it
    from queue_server.commands import COMMANDS

    return {
        "/api/v1/halls/{hall}/alerts": {
            "parameters": [HALL],
            "get": {
                **_op(
                    "The hall's open alerts and those cleared this service day, newest first",
                    who="manager, admin (of the hall, or of every hall)",
                    answer="AlertList",
                    errors=(*HALL_READ, 422),
                ),
                "parameters": [
                    {
                        "name": "state",
                        "in": "query",
                        "schema": {"enum": ["open"]},
                        "description": "open: the open alerts only",
                    }
                ],
            },
        },
        "/api/v1/halls/{hall}/alerts/{alert_id}/acknowledge": {
            "parameters": [
                HALL,
                {"name": "alert_id", "in": "path", "required": True, "schema": {**IDENTIFIER, "minimum": 1}},
            ],
            "post": _op(
                COMMANDS["acknowledge_alert"].summary + " (recorded in the audit log)",
                who="manager, admin (of the hall, or of every hall)",
                answer="Alert",
                errors=HALL_WRITE,
                write=True,
            ),
        },
    }
