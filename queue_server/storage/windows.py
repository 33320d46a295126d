"""Windows as stored (one row per window of the hall file) and clerks' attendance."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlite_utils

from queue_server.domain.lifecycle import Window, WindowStatus
from queue_server.storage.sql import Row, marks, one


def _window(row: Row) -> Window:
    return Window(
        hall_id=row["hall_id"],
        number=row["number"],
        status=WindowStatus(row["status"]),
        clerk_id=row["clerk_id"],
        ticket_id=row["ticket_id"],
    )


def load(db: sqlite_utils.Database, hall_id: int, number: int) -> Window | None:
    row = one(db, "SELECT * FROM windows WHERE hall_id = ? AND number = ?", [hall_id, number])
    return _window(row) if row else None


def all_of(db: sqlite_utils.Database, hall_id: int) -> list[Window]:
    return [_window(r) for r in db.query("SELECT * FROM windows WHERE hall_id = ? ORDER BY number", [hall_id])]


def save(db: sqlite_utils.Database, window: Window, now: str) -> None:
    db.execute(
        """UPDATE windows SET status = ?, clerk_id = ?, ticket_id = ?, updated_at = ?
           WHERE hall_id = ? AND number = ?""",
        [window.status.value, window.clerk_id, window.ticket_id, now, window.hall_id, window.number],
    )


def of_clerk(db: sqlite_utils.Database, user_id: int) -> Window | None:
    """The window a clerk is signed in at, if any."""
    row = one(db, "SELECT * FROM windows WHERE clerk_id = ? AND status != 'closed'", [user_id])
    return _window(row) if row else None


_VIEW = """SELECT w.*, t.number AS ticket_number, t.ref AS ticket_ref, t.status AS ticket_status,
                  u.display_name AS clerk_name,
                  u.staff_number AS clerk_staff_number
           FROM windows w LEFT JOIN tickets t ON t.id = w.ticket_id LEFT JOIN users u ON u.id = w.clerk_id
           WHERE w.hall_id = ?"""


def views(db: sqlite_utils.Database, hall_id: int) -> list[Row]:
    """Every window of the hall with its current ticket and clerk."""
    return list(db.query(_VIEW + " ORDER BY w.number", [hall_id]))


def view(db: sqlite_utils.Database, hall_id: int, number: int) -> Row | None:
    """One window with its current ticket and clerk."""
    return one(db, _VIEW + " AND w.number = ?", [hall_id, number])


def open_among(db: sqlite_utils.Database, hall_id: int, numbers: Sequence[int]) -> int:
    sql = f"SELECT count(*) FROM windows WHERE hall_id = ? AND status = 'open' AND number IN ({marks(numbers)})"
    return int(db.execute(sql, [hall_id, *numbers]).fetchone()[0])


def sync(db: sqlite_utils.Database, hall_id: int, windows: Iterable[tuple[int, str, str]]) -> None:
    """Make the hall's window rows match its file, keeping live state. Removing a window
    that is in use is refused before this runs (`domain.hall_changes`)."""
    wanted = list(windows)
    for number, name, zone in wanted:
        db.execute(
            """INSERT INTO windows (hall_id, number, name, zone) VALUES (?, ?, ?, ?)
               ON CONFLICT(hall_id, number) DO UPDATE SET name = excluded.name, zone = excluded.zone""",
            [hall_id, number, name, zone],
        )
    numbers = [w[0] for w in wanted]
    db.execute(f"DELETE FROM windows WHERE hall_id = ? AND number NOT IN ({marks(numbers)})", [hall_id, *numbers])


def open_attendance(db: sqlite_utils.Database, hall_id: int, number: int, user_id: int, now: str) -> None:
    db.execute(
        "INSERT INTO attendance (hall_id, window, user_id, opened_at) VALUES (?, ?, ?, ?)",
        [hall_id, number, user_id, now],
    )


def close_attendance(db: sqlite_utils.Database, hall_id: int, number: int, now: str) -> None:
    db.execute(
        "UPDATE attendance SET closed_at = ? WHERE hall_id = ? AND window = ? AND closed_at IS NULL",
        [now, hall_id, number],
    )
