"""People (users) and devices (screens, kiosks, printers, review pads)."""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from queue_server.storage.sql import Row, insert, one


def insert_user(db: sqlite_utils.Database, values: dict[str, Any]) -> int:
    return insert(db, "users", values)


def user_by_username(db: sqlite_utils.Database, username: str) -> Row | None:
    return one(db, "SELECT * FROM users WHERE username = ?", [username])


def user_by_id(db: sqlite_utils.Database, user_id: int) -> Row | None:
    return one(db, "SELECT * FROM users WHERE id = ?", [user_id])


def list_users(db: sqlite_utils.Database) -> list[Row]:
    return list(
        db.query(
            """SELECT u.id, u.username, u.display_name, u.role, u.hall_id, h.code AS hall, u.staff_number, u.active
               FROM users u LEFT JOIN halls h ON h.id = u.hall_id ORDER BY u.id"""
        )
    )


def set_active(db: sqlite_utils.Database, user_id: int, active: bool) -> bool:
    """Whether the account changed (it was not already so)."""
    cursor = db.execute("UPDATE users SET active = ? WHERE id = ? AND active != ?", [int(active), user_id, int(active)])
    return cursor.rowcount == 1


def set_password_hash(db: sqlite_utils.Database, user_id: int, password_hash: str) -> None:
    db.execute("UPDATE users SET password_hash = ? WHERE id = ?", [password_hash, user_id])


def set_role(db: sqlite_utils.Database, user_id: int, role: str, hall_id: int | None) -> None:
    db.execute("UPDATE users SET role = ?, hall_id = ? WHERE id = ?", [role, hall_id, user_id])


def set_staff_number(db: sqlite_utils.Database, user_id: int, staff_number: str | None) -> None:
    db.execute("UPDATE users SET staff_number = ? WHERE id = ?", [staff_number, user_id])


def insert_device(db: sqlite_utils.Database, values: dict[str, Any]) -> int:
    return insert(db, "devices", values)


def device_by_digest(db: sqlite_utils.Database, digest: str) -> Row | None:
    return one(db, "SELECT * FROM devices WHERE token_digest = ? AND revoked_at IS NULL", [digest])


def device_by_id(db: sqlite_utils.Database, device_id: int) -> Row | None:
    return one(db, "SELECT * FROM devices WHERE id = ? AND revoked_at IS NULL", [device_id])


def screen_devices(db: sqlite_utils.Database, hall_id: int) -> list[Row]:
    return list(
        db.query(
            """SELECT id, kind, window, name, settings, last_seen_at, last_shown_seq FROM devices
               WHERE hall_id = ? AND revoked_at IS NULL AND kind IN ('hall_screen', 'window_screen') ORDER BY id""",
            [hall_id],
        )
    )


def set_device_settings(db: sqlite_utils.Database, device_id: int, settings: dict[str, Any]) -> None:
    db.execute("UPDATE devices SET settings = ? WHERE id = ?", [json.dumps(settings, ensure_ascii=False), device_id])


def set_device_seen(db: sqlite_utils.Database, device_id: int, seen_at: str, shown_seq: int | None) -> None:
    db.execute(
        "UPDATE devices SET last_seen_at = ?, last_shown_seq = coalesce(?, last_shown_seq) WHERE id = ?",
        [seen_at, shown_seq, device_id],
    )


def revoke_device(db: sqlite_utils.Database, device_id: int, now: str) -> bool:
    cursor = db.execute("UPDATE devices SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", [now, device_id])
    return cursor.rowcount == 1


def list_devices(db: sqlite_utils.Database) -> list[Row]:
    return list(
        db.query(
            """SELECT d.id, h.code AS hall, d.kind, d.window, d.station, d.name, d.created_at, d.revoked_at
               FROM devices d JOIN halls h ON h.id = d.hall_id ORDER BY d.id"""
        )
    )


def devices_listed(db: sqlite_utils.Database, hall_id: int, *, include_revoked: bool) -> list[Row]:
    """The hall's devices for their administration, those in service first, each with
    what it is bound to and when it was registered, revoked and last seen."""
    revoked = "" if include_revoked else "AND revoked_at IS NULL"
    return list(
        db.query(
            f"""SELECT id, kind, window, station, name, created_at, revoked_at, last_seen_at FROM devices
                WHERE hall_id = ? {revoked} ORDER BY revoked_at IS NOT NULL, id""",
            [hall_id],
        )
    )


def device_record(db: sqlite_utils.Database, device_id: int) -> Row | None:
    """A device's record, revoked or not."""
    return one(db, "SELECT * FROM devices WHERE id = ?", [device_id])


def devices_of_hall(db: sqlite_utils.Database, hall_id: int) -> list[Row]:
    """The hall's devices still in service, with the window they are bound to and their settings."""
    return list(
        db.query(
            "SELECT id, kind, window, name, settings FROM devices WHERE hall_id = ? AND revoked_at IS NULL ORDER BY id",
            [hall_id],
        )
    )
