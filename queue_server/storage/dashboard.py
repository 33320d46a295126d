"""The reads of the managers' live dashboard (`services.dashboard`): today's tickets as the
dashboard counts them, the tickets waiting now, and when each window last changed."""

from __future__ import annotations

from collections.abc import Iterable

import sqlite_utils

from queue_server.storage.sql import Row, marks


def waiting_tickets(db: sqlite_utils.Database, hall_id: int) -> list[Row]:
    """Every ticket waiting in a line now, oldest issue first."""
    return list(
        db.query(
            "SELECT id, queue, issued_at FROM tickets WHERE hall_id = ? AND status = 'waiting' ORDER BY issued_at, id",
            [hall_id],
        )
    )


def day_tickets(db: sqlite_utils.Database, hall_id: int, day: str) -> list[Row]:
    """The service day's tickets, with what the dashboard counts of each: the queue it was
    issued to and when, its first call (a wait ends there), its queue now and, done, when
    it finished."""
    return list(
        db.query(
            """SELECT id, origin_queue, queue, status, issued_at, first_called_at, finished_at FROM tickets
               WHERE hall_id = ? AND service_day = ?""",
            [hall_id, day],
        )
    )


def window_changes(db: sqlite_utils.Database, hall_id: int, types: Iterable[str]) -> dict[int, str]:
    """When each window's state or ticket last changed since the service day started: the
    time of its latest event of `types` after the hall's latest `day_started`."""
    kinds = list(types)
    started = db.execute(
        "SELECT seq FROM events WHERE hall_id = ? AND type = 'day_started' ORDER BY seq DESC LIMIT 1", [hall_id]
    ).fetchone()
    # SQLite takes a bare column (`at`) from the row that gives max(seq)
    rows = db.execute(
        f"""SELECT window, at, max(seq) FROM events WHERE hall_id = ? AND seq > ? AND window IS NOT NULL
            AND type IN ({marks(kinds)}) GROUP BY window""",
        [hall_id, started[0] if started else 0, *kinds],
    ).fetchall()
    return {window: at for window, at, _ in rows}


def devices(db: sqlite_utils.Database, hall_id: int) -> list[Row]:
    """The hall's devices in service, with when each was last seen (stored when its last
    connection ended; `realtime` knows which are connected now)."""
    return list(
        db.query(
            """SELECT id, kind, name, window, station, last_seen_at FROM devices
               WHERE hall_id = ? AND revoked_at IS NULL ORDER BY kind, window, id""",
            [hall_id],
        )
    )
