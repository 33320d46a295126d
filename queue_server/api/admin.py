"""The API's administration of accounts and devices (docs/operations.md), the same use
cases as `queue-server user create` and `queue-server device create|revoke`:

- `POST /users`: a new account (administrators: of every hall, or of the account's hall);
  the password is checked as the command line checks it and hashed off the event loop;
- `GET /halls/{hall}/devices?revoked=`: the hall's devices, with when each was registered,
  revoked and last seen, and whether it is online now on any server process;
- `POST /halls/{hall}/devices`: register one; the answer carries its token, this once, and
  the address its page opens with (`/screens/hall#token=…`), on the server as the hall
  reaches it (`PUBLIC_BASE_URL`, as the tickets' QR codes);
- `POST /halls/{hall}/devices/{device_id}/revoke`: end its token; its open links close
  at once on this server, within a round of the timer on the others.

Devices are managed by the hall's managers and by administrators. Its OpenAPI shapes are
here too (`RESPONSES`, `admin_paths`), merged by `api.openapi`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, request

from queue_server import inputs
from queue_server.api import _accounts, _body, _caller, _ext, _json, _now, _principal, _services
from queue_server.api.schemas import (
    BOOLEAN,
    INSTANT,
    INTEGER,
    OPTIONAL_INSTANT,
    OPTIONAL_INTEGER,
    OPTIONAL_STRING,
    STRING,
    WINDOW_NUMBER,
    Schema,
    _enum,
    _obj,
    ref,
)
from queue_server.auth import DISPLAY_NAME_MAX, STAFF_NUMBER_MAX, USERNAME_MAX
from queue_server.domain.access import DeviceKind, Role
from queue_server.domain.devices import MAX_DEVICE_NAME, device_address
from queue_server.domain.errors import InvalidInput
from queue_server.passwords import MIN_PASSWORD_LENGTH
from queue_server.phone import public_base_url

USER_FIELDS = frozenset({"username", "display_name", "role", "hall", "staff_number", "password"})
DEVICE_FIELDS = frozenset({"kind", "name", "window", "station"})


def add_routes(bp: Blueprint) -> None:
    @bp.post("/users")
    def create_user() -> Response:
        """A new account; 201 with it."""
        caller = _caller()
        args = _body()
        inputs.only(args, USER_FIELDS)
        role = inputs.choice(args, "role", Role, required=True)
        password = args.get("password")
        if not isinstance(password, str) or not password:
            raise InvalidInput("缺少字段 password：初始密码", field="password")
        user = _accounts().create_user(
            caller,
            username=args.get("username"),  # type: ignore[arg-type]  # checked by the use case, naming the field
            password=password,
            role=role,  # type: ignore[arg-type]  # required
            display_name=args.get("display_name"),  # type: ignore[arg-type]
            hall_code=inputs.text(args, "hall", max_length=40),
            staff_number=args.get("staff_number"),
            now=_now(),
        )
        return _json(user, 201)

    @bp.get("/halls/<hall>/devices")
    def list_devices(hall: str) -> Response:
        args = dict(request.args)
        inputs.only(args, {"revoked"})
        revoked = args.get("revoked", "false")
        if revoked not in ("true", "false"):
            raise InvalidInput("revoked 只能是 true 或 false", field="revoked")
        listed = _services().devices(_principal(), hall, include_revoked=revoked == "true")
        return _json({"devices": _ext()["realtime"].devices(listed)})

    @bp.post("/halls/<hall>/devices")
    def register_device(hall: str) -> Response:
        """201 with the device, its token (this once: only its digest is kept) and the
        address its page opens with; never cached."""
        caller = _caller()
        args = _body()
        inputs.only(args, DEVICE_FIELDS)
        kind = inputs.choice(args, "kind", DeviceKind, required=True)
        assert kind is not None  # required
        device, token = _services().register_device(
            caller,
            hall,
            kind=kind,
            name=args.get("name"),  # type: ignore[arg-type]  # checked by the use case, naming the field
            window=inputs.integer(args, "window", 1, 999, required=False),
            station=inputs.text(args, "station", max_length=40),
            now=_now(),
        )
        base = public_base_url(current_app.config)
        body = {
            "device": {**device, "online": False},
            "token": token,
            "address": device_address(base, kind, token),
            "server": base,
        }
        return _json(body, 201, headers={"Cache-Control": "no-store"})

    @bp.post("/halls/<hall>/devices/<uint:device_id>/revoke")
    def revoke_device(hall: str, device_id: int) -> Response:
        caller = _caller()
        inputs.only(_body(), set())
        device = _services().revoke_device(caller, device_id, _now(), hall_code=hall)
        _ext()["realtime"].close_revoked_links()  # this server's links at once; the others' timers follow
        return _json({**device, "online": False})


# ---- the OpenAPI document -----------------------------------------------------------------

_TEXT = "Text without control characters"
DEVICE: Schema = _obj(
    {
        "device_id": INTEGER,
        "kind": _enum(DeviceKind),
        "name": STRING,
        "window": {**OPTIONAL_INTEGER, "description": "The window a window screen or review pad is bound to"},
        "station": {**OPTIONAL_STRING, "description": "The station a printer serves, or a kiosk prints at"},
        "created_at": INSTANT,
        "revoked_at": {**OPTIONAL_INSTANT, "description": "null: in service"},
        "last_seen": {**OPTIONAL_INSTANT, "description": "Now while it is connected; null: never seen"},
        "online": {**BOOLEAN, "description": "Connected now, to any server process"},
    }
)
RESPONSES: dict[str, Schema] = {
    "Device": DEVICE,
    "Devices": _obj({"devices": {"type": "array", "items": ref("Device")}}),
    "DeviceRegistered": _obj(
        {
            "device": ref("Device"),
            "token": {"type": "string", "pattern": "^hqd_", "description": "Shown this once: only its digest is kept"},
            "address": {
                **OPTIONAL_STRING,
                "description": "The page to open on the device, the token in its fragment; null for a printer "
                "(it runs the printer agent) and the booking platform (it calls the API)",
            },
            "server": {**STRING, "description": "This server as the hall reaches it (PUBLIC_BASE_URL)"},
        }
    ),
}
USER_BODY: Schema = _obj(
    {
        "username": {"type": "string", "minLength": 1, "maxLength": USERNAME_MAX, "description": "No spaces"},
        "display_name": {
            "type": "string",
            "minLength": 1,
            "maxLength": DISPLAY_NAME_MAX,
            "description": f"Shown on screens and in reports. {_TEXT}",
        },
        "role": _enum(Role),
        "hall": {"type": "string", "maxLength": 40, "description": "The hall's code; every role but admin has one"},
        "staff_number": {"type": ["string", "null"], "maxLength": STAFF_NUMBER_MAX, "description": "工号"},
        "password": {
            "type": "string",
            "minLength": MIN_PASSWORD_LENGTH,
            "description": f"The initial password, at least {MIN_PASSWORD_LENGTH} characters",
        },
    },
    optional=("hall", "staff_number"),
)
DEVICE_BODY: Schema = _obj(
    {
        "kind": _enum(DeviceKind),
        "name": {"type": "string", "minLength": 1, "maxLength": MAX_DEVICE_NAME, "description": _TEXT},
        "window": {**WINDOW_NUMBER, "description": "Required for a window screen or a review pad; no other"},
        "station": {
            "type": "string",
            "maxLength": 40,
            "description": "Required for a printer (e.g. desk-1); a kiosk's names the printer of its tickets",
        },
    },
    optional=("window", "station"),
)


def admin_paths() -> dict[str, Any]:
    """The operations above, for `api.openapi`."""
    from queue_server.api.openapi import HALL, HALL_READ, HALL_WRITE, IDENTIFIER, READS_BODY, _answer, _op, _problems

    created = {
        409: "The user name is taken (code conflict, field username), or the station has a printer in service "
        "(field station)",
    }
    return {
        "/api/v1/users": {
            "post": {
                **_op(
                    "Create an account with its initial password (checked as `queue-server user create` checks "
                    "it); 201 with the account",
                    body={**USER_BODY, "required": USER_BODY["required"]},
                    who="admin (of every hall; an administrator of one hall, accounts of that hall)",
                    answer="User",
                    errors=(403, 404, 409, *READS_BODY),
                ),
                "responses": {"201": _answer("User", "Created")} | _problems((403, 404, 409, *READS_BODY), created),
            },
        },
        "/api/v1/halls/{hall}/devices": {
            "parameters": [HALL],
            "get": {
                **_op(
                    "The hall's devices: kind, name, window or station, registered, revoked, last seen, online now",
                    who="manager (of the hall), admin",
                    answer="Devices",
                    errors=(*HALL_READ, 422),
                ),
                "parameters": [
                    {
                        "name": "revoked",
                        "in": "query",
                        "schema": {"enum": ["true", "false"]},
                        "description": "true: the revoked ones too, after those in service",
                    }
                ],
            },
            "post": {
                **_op(
                    "Register a device: 201 with its token (shown this once) and the address its page opens with",
                    body=DEVICE_BODY,
                    who="manager (of the hall), admin",
                    answer="DeviceRegistered",
                    errors=(*HALL_WRITE, 409),
                ),
                "responses": {
                    "201": _answer(
                        "DeviceRegistered",
                        "Registered",
                        headers={"Cache-Control": {"schema": {"const": "no-store"}, "required": True}},
                    )
                }
                | _problems((*HALL_WRITE, 409), created),
            },
        },
        "/api/v1/halls/{hall}/devices/{device_id}/revoke": {
            "parameters": [HALL, {"name": "device_id", "in": "path", "required": True, "schema": IDENTIFIER}],
            "post": _op(
                "Revoke a device's token: its open pages and links close at once (on other server processes "
                "within a round of their timer)",
                who="manager (of the hall), admin",
                answer="Device",
                errors=HALL_WRITE,
                write=True,
            ),
        },
    }
