"""Alerts (domain.alerts) and the reads the timer judges them by: per round, a few indexed
reads over every hall at once, and a write only when an alert is raised or cleared."""

from __future__ import annotations

import sqlite3
from typing import Any

import sqlite_utils

from queue_server.domain.alerts import WATCHED_DEVICES
from queue_server.storage.sql import Row, marks, one

_VIEW = """SELECT a.*, h.code AS hall, u.display_name AS acknowledged_by_name
           FROM alerts a JOIN halls h ON h.id = a.hall_id LEFT JOIN users u ON u.id = a.acknowledged_by"""


def waiting_by_queue(db: sqlite_utils.Database) -> list[Row]:
    """Per hall and queue with anyone waiting: how many, and the oldest's issue time
    (index `tickets_line`: the waiting rows only)."""
    return list(
        db.query(
            """SELECT hall_id, queue, count(*) AS waiting, min(issued_at) AS oldest
               FROM tickets WHERE hall_id IN (SELECT id FROM halls) AND status = 'waiting'
               GROUP BY hall_id, queue"""
        )
    )


def paused_windows(db: sqlite_utils.Database) -> list[Row]:
    """Every paused window, with when it paused (a paused window is saved by nothing else)."""
    return list(db.query("SELECT hall_id, number, name, updated_at FROM windows WHERE status = 'paused'"))


def seen_devices(db: sqlite_utils.Database) -> list[Row]:
    """Every device in service that has been connected at least once, with when it was
    last seen (stored when its link ended)."""
    return list(
        db.query(
            f"""SELECT id, hall_id, kind, name, last_seen_at FROM devices
                WHERE revoked_at IS NULL AND last_seen_at IS NOT NULL AND kind IN ({marks(WATCHED_DEVICES)})""",
            list(WATCHED_DEVICES),
        )
    )


def open_alerts(db: sqlite_utils.Database, hall_id: int | None = None) -> list[Row]:
    """The open alerts (index `alerts_one_open`), of one hall or of all."""
    if hall_id is None:
        return list(db.query("SELECT * FROM alerts WHERE cleared_at IS NULL"))
    return list(db.query("SELECT * FROM alerts WHERE cleared_at IS NULL AND hall_id = ?", [hall_id]))


def raise_alert(db: sqlite_utils.Database, values: dict[str, Any]) -> int | None:
    """A new open alert; None when one of its (hall, kind, subject) is open already."""
    columns = ", ".join(values)
    try:
        row = db.execute(
            f"INSERT INTO alerts ({columns}) VALUES ({marks(list(values))}) RETURNING id", list(values.values())
        ).fetchone()
    except sqlite3.IntegrityError:
        return None
    return int(row[0])


def clear(db: sqlite_utils.Database, alert_id: int, at: str) -> bool:
    cursor = db.execute("UPDATE alerts SET cleared_at = ? WHERE id = ? AND cleared_at IS NULL", [at, alert_id])
    return cursor.rowcount == 1


def acknowledge(db: sqlite_utils.Database, alert_id: int, user_id: int | None, at: str) -> bool:
    """Whether this was the first acknowledgement."""
    cursor = db.execute(
        "UPDATE alerts SET acknowledged_by = ?, acknowledged_at = ? WHERE id = ? AND acknowledged_at IS NULL",
        [user_id, at, alert_id],
    )
    return cursor.rowcount == 1


def view(db: sqlite_utils.Database, alert_id: int) -> Row | None:
    return one(db, _VIEW + " WHERE a.id = ?", [alert_id])


def listed(db: sqlite_utils.Database, hall_id: int, cleared_since: str | None) -> list[Row]:
    """The hall's open alerts and, with `cleared_since`, those cleared since then; newest first."""
    if cleared_since is None:
        sql = _VIEW + " WHERE a.hall_id = ? AND a.cleared_at IS NULL ORDER BY a.raised_at DESC, a.id DESC"
        return list(db.query(sql, [hall_id]))
    sql = (
        _VIEW + " WHERE a.hall_id = ? AND (a.cleared_at IS NULL OR a.cleared_at >= ?)"
        " ORDER BY a.raised_at DESC, a.id DESC"
    )
    return list(db.query(sql, [hall_id, cleared_since]))
