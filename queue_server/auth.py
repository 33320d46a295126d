"""Credentials: users and their principals, CSRF tokens, device tokens.

People sign in with a password (`accounts.Accounts.sign_in`) and get a session cookie
plus a CSRF token that every state-changing request must echo in `X-CSRF-Token`.
Devices (screens, kiosks, printers, review pads) carry a bearer token made by an
administrator; only its SHA-256 is stored, as for session tokens.

Creating a user, registering a device and revoking one are the use cases of the command
line (`queue-server user create`, `device create|revoke`) and of the API alike, one
function each: who may (`domain.access`: accounts by an administrator, devices by a
manager of their hall or an administrator), the checks of every field, and the audit log
entry in the same transaction, as done `by` the operator's command line unless said
otherwise.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from typing import Any

from queue_server import inputs, storage
from queue_server.domain import audit, clock, printing
from queue_server.domain.access import (
    OPERATOR,
    WINDOW_BOUND_DEVICES,
    DeviceKind,
    Permission,
    Principal,
    Role,
    require,
)
from queue_server.domain.devices import MAX_DEVICE_NAME
from queue_server.domain.errors import Conflict, InvalidInput, NotFound
from queue_server.passwords import Passwords

DEVICE_TOKEN_PREFIX = "hqd_"
STATION_DEVICES = frozenset({DeviceKind.PRINTER, DeviceKind.KIOSK})  # devices bound to a station
USERNAME_MAX = 64  # the sign-in takes names up to this long
DISPLAY_NAME_MAX = 40
STAFF_NUMBER_MAX = 20  # 工号


def user_principal(user: dict[str, Any]) -> Principal:
    return Principal(
        actor=Role(user["role"]),
        name=user["display_name"],
        hall_id=user["hall_id"],
        user_id=user["id"],
        username=user["username"],
    )


def principal_for_user_id(store: storage.Storage, user_id: int) -> Principal | None:
    """The principal of an active user, with no password: for the operator's own tools."""
    with store.read() as db:
        user = storage.people.user_by_id(db, user_id)
    if user is None or not user["active"]:
        return None
    return user_principal(user)


def principal_for_username(store: storage.Storage, username: str) -> Principal | None:
    """As `principal_for_user_id`, by user name."""
    with store.read() as db:
        user = storage.people.user_by_username(db, username)
    if user is None or not user["active"]:
        return None
    return user_principal(user)


def create_user(
    store: storage.Storage,
    *,
    username: str,
    password: str,
    role: Role,
    display_name: str,
    hall_code: str | None,
    staff_number: str | None,
    now: datetime,
    passwords: Passwords | None = None,
    by: Principal = OPERATOR,
) -> int:
    """A new user, made `by` an administrator (of every hall, or of the hall the user
    joins) or the operator's command line; `passwords` hashes the password (default: a
    plain call, as the command line and the tests' set-up need; the server passes its
    own, which hashes off the event loop). Who asks is checked first, then the fields,
    then the password is hashed outside any transaction."""
    require(by, Permission.MANAGE_USERS, by.hall_id)  # the role first: a guide learns nothing of halls
    username = _text("username", username, USERNAME_MAX)
    if any(ch.isspace() for ch in username):
        raise InvalidInput("用户名不能含空格", field="username")
    display_name = _text("display_name", display_name, DISPLAY_NAME_MAX)
    staff_number = inputs.text({"staff_number": staff_number}, "staff_number", max_length=STAFF_NUMBER_MAX)
    if role is not Role.ADMIN and hall_code is None:
        raise InvalidInput("除管理员外，每个账号都要属于一个大厅（--hall）", field="hall")
    with store.read() as db:
        _hall_of_user(db, by, hall_code)
    password_hash = (passwords or Passwords()).hash(password)
    with store.write() as db:
        hall_id = _hall_of_user(db, by, hall_code)
        if storage.people.user_by_username(db, username) is not None:
            raise Conflict(f"用户名 {username!r} 已存在", field="username")
        user_id = storage.people.insert_user(
            db,
            {
                "username": username,
                "display_name": display_name,
                "password_hash": password_hash,
                "role": role.value,
                "hall_id": hall_id,
                "staff_number": staff_number,
                "active": 1,
                "created_at": clock.iso(now),
            },
        )
        detail = {"role": role.value, "hall": hall_code, "display_name": display_name, "staff_number": staff_number}
        entry = audit.entry(by, now, audit.AuditAction.USER_CREATED, hall=hall_code, target=username, detail=detail)
        storage.audit.record(db, entry)
        return user_id


def create_device(
    store: storage.Storage,
    *,
    hall_code: str,
    kind: DeviceKind,
    name: str,
    window: int | None,
    now: datetime,
    station: str | None = None,
    by: Principal = OPERATOR,
) -> tuple[int, str]:
    """Register a device, `by` a manager of its hall, an administrator or the operator's
    command line; returns its id and the token, shown this once and never again.

    A printer serves one station (a desk or a kiosk, docs/printing.md), and a station has
    one printer in service; a kiosk may be bound to a station, whose printer then prints
    its tickets."""
    with store.read() as db:
        _hall_of_device(db, by, hall_code)  # who asks comes first
    name = _text("name", name, MAX_DEVICE_NAME)
    if kind in WINDOW_BOUND_DEVICES and window is None:
        raise InvalidInput(f"{kind.value} 设备须绑定窗口（--window）", field="window")
    if kind not in WINDOW_BOUND_DEVICES and window is not None:
        raise InvalidInput("只有窗口屏和评价器绑定窗口（--window）", field="window")
    if kind is DeviceKind.PRINTER and station is None:
        raise InvalidInput("打印机须指定它所在的工位（--station，如 desk-1）", field="station")
    if station is not None:
        if kind not in STATION_DEVICES:
            raise InvalidInput("只有打印机和自助取号机绑定工位（--station）", field="station")
        station = printing.check_station(station)
    token = DEVICE_TOKEN_PREFIX + secrets.token_urlsafe(24)
    with store.write() as db:
        hall_id = _hall_of_device(db, by, hall_code)
        if window is not None and storage.windows.load(db, hall_id, window) is None:
            raise NotFound(f"大厅 {hall_code} 没有 {window} 号窗口", field="window")
        if kind is DeviceKind.PRINTER and station is not None:
            serving = storage.print_jobs.printer_of_station(db, hall_id, station)
            if serving is not None:
                raise Conflict(
                    f"工位 {station} 已有打印机 {serving['name']}（设备 {serving['id']}）：请先吊销它再登记新的",
                    field="station",
                )
        device_id = storage.people.insert_device(
            db,
            {
                "hall_id": hall_id,
                "kind": kind.value,
                "window": window,
                "name": name,
                "token_digest": token_digest(token),
                "created_at": clock.iso(now),
                "station": station,
            },
        )
        detail = {"kind": kind.value, "name": name, "window": window, "station": station}  # never the token
        entry = audit.entry(
            by, now, audit.AuditAction.DEVICE_REGISTERED, hall=hall_code, target=device_id, detail=detail
        )
        storage.audit.record(db, entry)
    return device_id, token


def revoke_device(
    store: storage.Storage,
    device_id: int,
    now: datetime,
    by: Principal = OPERATOR,
    *,
    hall_code: str | None = None,
) -> dict[str, Any]:
    """End a device's token, `by` a manager of its hall, an administrator or the
    operator's command line; `hall_code`: the hall it must belong to (the API names it in
    the address). Returns the device's record, revoked. A running server closes its open
    links within a round of its timer (`jobs.Jobs.close_revoked_links`); the server that
    revoked it closes its own at once."""
    with store.write() as db:
        if hall_code is not None:
            hall_id = _hall_of_device(db, by, hall_code)
            device = storage.people.device_by_id(db, device_id)
            if device is not None and device["hall_id"] != hall_id:
                device = None
        else:
            device = storage.people.device_by_id(db, device_id)
            require(by, Permission.MANAGE_DEVICES, device["hall_id"] if device is not None else None)
        if device is None or not storage.people.revoke_device(db, device_id, clock.iso(now)):
            raise NotFound(f"没有未吊销的设备 {device_id}", field="device")
        storage.sessions.credentials_changed(db)
        hall = storage.halls.by_id(db, device["hall_id"])
        detail = {"kind": device["kind"], "name": device["name"], "window": device["window"]}
        hall_code = hall["code"] if hall else None
        entry = audit.entry(by, now, audit.AuditAction.DEVICE_REVOKED, hall=hall_code, target=device_id, detail=detail)
        storage.audit.record(db, entry)
        revoked = storage.people.device_record(db, device_id)
    assert revoked is not None  # revoked in this transaction: still there
    return revoked


def device_principal(store: storage.Storage, token: str) -> Principal | None:
    if not token.startswith(DEVICE_TOKEN_PREFIX):
        return None
    with store.read() as db:
        device = storage.people.device_by_digest(db, token_digest(token))
    if device is None:
        return None
    return Principal(
        actor=DeviceKind(device["kind"]),
        name=device["name"],
        hall_id=device["hall_id"],
        device_id=device["id"],
        window=device["window"],
    )


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_matches(expected: str | None, given: str | None) -> bool:
    if not expected or not given:
        return False
    # compared as bytes: compare_digest refuses text with non-ASCII characters, and a
    # header may carry any Latin-1 character
    return hmac.compare_digest(expected.encode(), given.encode())


def _hall_of_user(db: Any, by: Principal, hall_code: str | None) -> int | None:
    """The hall a new account joins, once `by` may make accounts there: an account of no
    hall (an administrator of every hall) is no hall's to make, so only an administrator
    of every hall makes one. Who asks comes before what exists."""
    if hall_code is None:
        require(by, Permission.MANAGE_USERS, 0)
        return None
    hall = storage.halls.by_code(db, hall_code)
    require(by, Permission.MANAGE_USERS, hall["id"] if hall is not None else None)
    if hall is None:
        raise NotFound(f"没有编码为 {hall_code!r} 的大厅：请先导入大厅配置", field="hall")
    return int(hall["id"])


def _hall_of_device(db: Any, by: Principal, hall_code: str) -> int:
    """The hall's id, once `by` may manage its devices; who asks comes before whether the
    hall exists."""
    hall = storage.halls.by_code(db, hall_code)
    require(by, Permission.MANAGE_DEVICES, hall["id"] if hall is not None else None)
    if hall is None:
        raise NotFound(f"没有编码为 {hall_code!r} 的大厅：请先导入大厅配置", field="hall")
    return int(hall["id"])


def _text(field: str, value: object, max_length: int) -> str:
    """A required one-line text field, as the API and the command line both check it."""
    checked = inputs.text({field: value}, field, max_length=max_length, required=True)
    assert checked is not None  # required
    return checked
