"""Tickets, their numbers, the line, the per-queue day figures, and visits.

A `Ticket` (domain value) is stored as one row; `load` and `save` convert. Numbers come
from a counter per (hall, service day, prefix) taken inside the issuing transaction, and
a unique index on (hall, service day, number) backs it: whatever a hall file renames, a
number is issued once a day.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

import sqlite_utils

from queue_server.domain import clock
from queue_server.domain.lifecycle import Channel, Ticket, VisitEnd
from queue_server.domain.tickets import Outcome, PriorityClass, TicketStatus
from queue_server.storage.sql import Row, insert, marks, one

_OPEN = "('waiting', 'called', 'serving', 'suspended')"
_INSTANTS = ("issued_at", "first_called_at", "called_at", "started_at", "suspended_at", "finished_at")
_COLUMNS = tuple(f.name for f in fields(Ticket))


def from_row(row: Row) -> Ticket:
    values: dict[str, Any] = {name: row[name] for name in _COLUMNS}
    for name in _INSTANTS:
        values[name] = clock.parse_iso(row[name]) if row[name] else None
    values["status"] = TicketStatus(row["status"])
    values["channel"] = Channel(row["channel"])
    values["priority"] = PriorityClass(row["priority"]) if row["priority"] else None
    values["outcome"] = Outcome(row["outcome"]) if row["outcome"] else None
    values["items"] = tuple(json.loads(row["items"]))
    return Ticket(**values)


def _values(ticket: Ticket) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(ticket, name) for name in _COLUMNS if name != "id"}
    for name in _INSTANTS:
        moment: datetime | None = values[name]
        values[name] = clock.iso(moment) if moment else None
    values["items"] = json.dumps(list(ticket.items), ensure_ascii=False)
    for name in ("status", "channel", "priority", "outcome"):
        values[name] = values[name].value if values[name] is not None else None
    return values


def insert_ticket(db: sqlite_utils.Database, ticket: Ticket) -> int:
    return insert(db, "tickets", _values(ticket))


def save(db: sqlite_utils.Database, ticket: Ticket) -> None:
    values = _values(ticket)
    assignments = ", ".join(f"{column} = ?" for column in values)
    db.execute(f"UPDATE tickets SET {assignments} WHERE id = ?", [*values.values(), ticket.id])


def load(db: sqlite_utils.Database, ticket_id: int) -> Ticket | None:
    row = one(db, "SELECT * FROM tickets WHERE id = ?", [ticket_id])
    return from_row(row) if row else None


def by_ref(db: sqlite_utils.Database, ref: str) -> Ticket | None:
    """The ticket with this public reference (unique across halls), if any."""
    row = one(db, "SELECT * FROM tickets WHERE ref = ?", [ref])
    return from_row(row) if row else None


def by_number(db: sqlite_utils.Database, hall_id: int, day: str, number: str) -> Ticket | None:
    row = one(db, "SELECT * FROM tickets WHERE hall_id = ? AND service_day = ? AND number = ?", [hall_id, day, number])
    return from_row(row) if row else None


def open_for_id(db: sqlite_utils.Database, hall_id: int, queue: str, digest: str) -> Ticket | None:
    """The open ticket of this ID number in this queue, if any (there is at most one)."""
    row = one(
        db,
        f"SELECT * FROM tickets WHERE hall_id = ? AND queue = ? AND id_digest = ? AND status IN {_OPEN}",
        [hall_id, queue, digest],
    )
    return from_row(row) if row else None


def open_tickets(db: sqlite_utils.Database, hall_id: int) -> list[Ticket]:
    return [
        from_row(r)
        for r in db.query(f"SELECT * FROM tickets WHERE hall_id = ? AND status IN {_OPEN} ORDER BY id", [hall_id])
    ]


def of_day(db: sqlite_utils.Database, hall_id: int, day: str) -> list[Ticket]:
    return [
        from_row(r)
        for r in db.query("SELECT * FROM tickets WHERE hall_id = ? AND service_day = ? ORDER BY id", [hall_id, day])
    ]


def sent_to(db: sqlite_utils.Database, hall_id: int, window: int) -> list[Ticket]:
    """Waiting tickets sent to `window` (转窗口)."""
    return [
        from_row(r)
        for r in db.query(
            "SELECT * FROM tickets WHERE hall_id = ? AND status = 'waiting' AND target_window = ? ORDER BY place, id",
            [hall_id, window],
        )
    ]


# ---- the line ----------------------------------------------------------------------


def line_heads(db: sqlite_utils.Database, hall_id: int, queues: Sequence[str], window: int) -> list[Row]:
    """The first ordinary and the first priority ticket of each queue, plus the first of
    those sent to `window`: all that routing needs to choose from. Every waiting ticket of
    the hall counts, whatever its service day: the day's close leaves none from before."""
    return list(
        db.query(
            f"""SELECT id, queue, priority, place, target_window FROM (
                  SELECT id, queue, priority, place, target_window, row_number() OVER (
                      PARTITION BY queue, priority IS NOT NULL, target_window ORDER BY place, id) AS n
                  FROM tickets
                  WHERE hall_id = ? AND status = 'waiting'
                    AND ((queue IN ({marks(queues)}) AND target_window IS NULL) OR target_window = ?))
                WHERE n = 1""",
            [hall_id, *queues, window],
        )
    )


def line_fronts(db: sqlite_utils.Database, hall_id: int, queues: Sequence[str], window: int, count: int) -> list[Row]:
    """`line_heads`, the first `count` of each line instead of the first one: what the
    clerk's console lists as the next few (`domain.routing.upcoming`)."""
    return list(
        db.query(
            f"""SELECT id, number, queue, priority, place, target_window, issued_at, item, bundle FROM (
                  SELECT *, row_number() OVER (
                      PARTITION BY queue, priority IS NOT NULL, target_window ORDER BY place, id) AS n
                  FROM tickets
                  WHERE hall_id = ? AND status = 'waiting'
                    AND ((queue IN ({marks(queues)}) AND target_window IS NULL) OR target_window = ?))
                WHERE n <= ?""",
            [hall_id, *queues, window, count],
        )
    )


def suspended_at(db: sqlite_utils.Database, hall_id: int, window: int) -> list[Ticket]:
    """The tickets a window suspended (挂起) that are still away, oldest first."""
    rows = db.query(
        "SELECT * FROM tickets WHERE hall_id = ? AND status = 'suspended' AND window = ? ORDER BY suspended_at, id",
        [hall_id, window],
    )
    return [from_row(row) for row in rows]


def clerk_day(db: sqlite_utils.Database, hall_id: int, clerk_id: int, day: str) -> Row:
    """A clerk's stays at windows with tickets of `day`: how many ended each way, and the
    service time they held (suspended time is never in a visit's handling)."""
    return (
        one(
            db,
            """SELECT count(*) FILTER (WHERE v.ending = 'finished') AS served,
                  coalesce(sum(v.handling_seconds) FILTER (WHERE v.ending = 'finished'), 0) AS served_seconds,
                  coalesce(sum(v.handling_seconds), 0) AS handling_seconds,
                  count(*) FILTER (WHERE v.ending = 'no_show') AS no_shows,
                  count(*) FILTER (WHERE v.ending = 'transferred') AS transferred,
                  count(*) FILTER (WHERE v.ending = 'suspended') AS suspended,
                  count(*) FILTER (WHERE v.called_at IS NOT NULL) AS called
           FROM visits v JOIN tickets t ON t.id = v.ticket_id
           WHERE v.hall_id = ? AND v.clerk_id = ? AND t.service_day = ?""",
            [hall_id, clerk_id, day],
        )
        or {}
    )


def line_places(db: sqlite_utils.Database, hall_id: int, queue: str, limit: int) -> list[str]:
    """The places of the first `limit` tickets waiting in `queue`'s general line, in order."""
    rows = db.execute(
        """SELECT place FROM tickets WHERE hall_id = ? AND status = 'waiting' AND queue = ?
           AND target_window IS NULL ORDER BY place, id LIMIT ?""",
        [hall_id, queue, limit],
    ).fetchall()
    return [str(r[0]) for r in rows]


def next_place(db: sqlite_utils.Database, hall_id: int, day: str, place: str) -> str | None:
    """The first place after `place` that any ticket of the day holds, in any queue or
    state. (Tickets of earlier days never come back to a line.)"""
    row = db.execute(
        "SELECT min(place) FROM tickets WHERE hall_id = ? AND service_day = ? AND place > ?", [hall_id, day, place]
    ).fetchone()
    return str(row[0]) if row[0] is not None else None


def people_ahead(db: sqlite_utils.Database, ticket: Ticket) -> int:
    """Waiting tickets ahead of `ticket` in its line (its queue's, or its window's when sent to one)."""
    value: int | str
    if ticket.target_window is not None:
        scope, value = "target_window = ?", ticket.target_window
    else:
        scope, value = "queue = ? AND target_window IS NULL", ticket.queue
    row = db.execute(
        f"""SELECT count(*) FROM tickets WHERE hall_id = ? AND status = 'waiting' AND {scope}
            AND (place < ? OR (place = ? AND id < ?))""",
        [ticket.hall_id, value, ticket.place, ticket.place, ticket.id],
    ).fetchone()
    return int(row[0])


def waiting_count(db: sqlite_utils.Database, hall_id: int, queue: str) -> int:
    sql = "SELECT count(*) FROM tickets WHERE hall_id = ? AND status = 'waiting' AND queue = ?"
    return int(db.execute(sql, [hall_id, queue]).fetchone()[0])


def waiting_counts(db: sqlite_utils.Database, hall_id: int) -> dict[str, int]:
    rows = db.execute(
        "SELECT queue, count(*) FROM tickets WHERE hall_id = ? AND status = 'waiting' GROUP BY queue", [hall_id]
    ).fetchall()
    return {queue: count for queue, count in rows}


# ---- numbers and the per-queue day figures ------------------------------------------


def take_number(db: sqlite_utils.Database, hall_id: int, day: str, prefix: str) -> int:
    """The prefix's next sequence number for the day (inside the write transaction)."""
    row = db.execute(
        """INSERT INTO number_counters (hall_id, service_day, prefix, issued) VALUES (?, ?, ?, 1)
           ON CONFLICT(hall_id, service_day, prefix) DO UPDATE SET issued = issued + 1
           RETURNING issued""",
        [hall_id, day, prefix],
    ).fetchone()
    return int(row[0])


def count_issued(db: sqlite_utils.Database, hall_id: int, queue: str, day: str) -> int:
    """Count one more ticket issued in `queue` today (against its daily cap); returns the count."""
    row = db.execute(
        """INSERT INTO queue_days (hall_id, queue, service_day, issued) VALUES (?, ?, ?, 1)
           ON CONFLICT(hall_id, queue, service_day) DO UPDATE SET issued = issued + 1
           RETURNING issued""",
        [hall_id, queue, day],
    ).fetchone()
    return int(row[0])


def queue_day(db: sqlite_utils.Database, hall_id: int, queue: str, day: str) -> Row:
    row = one(db, "SELECT * FROM queue_days WHERE hall_id = ? AND queue = ? AND service_day = ?", [hall_id, queue, day])
    return row or {"issued": 0, "priority_streak": 0, "served": 0, "handling_seconds": 0.0}


def queue_days(db: sqlite_utils.Database, hall_id: int, day: str) -> dict[str, Row]:
    rows = db.query("SELECT * FROM queue_days WHERE hall_id = ? AND service_day = ?", [hall_id, day])
    return {r["queue"]: r for r in rows}


def set_priority_streak(db: sqlite_utils.Database, hall_id: int, queue: str, day: str, streak: int) -> None:
    db.execute(
        """INSERT INTO queue_days (hall_id, queue, service_day, priority_streak) VALUES (?, ?, ?, ?)
           ON CONFLICT(hall_id, queue, service_day) DO UPDATE SET priority_streak = excluded.priority_streak""",
        [hall_id, queue, day, streak],
    )


def add_served(db: sqlite_utils.Database, hall_id: int, queue: str, day: str, handling_seconds: float) -> None:
    db.execute(
        """INSERT INTO queue_days (hall_id, queue, service_day, served, handling_seconds) VALUES (?, ?, ?, 1, ?)
           ON CONFLICT(hall_id, queue, service_day) DO UPDATE
               SET served = served + 1, handling_seconds = handling_seconds + excluded.handling_seconds""",
        [hall_id, queue, day, handling_seconds],
    )


# ---- visits: a ticket's stays at windows -------------------------------------------


def open_visit(
    db: sqlite_utils.Database,
    ticket: Ticket,
    *,
    at: str,
    call_seq: int | None,
    clerk_id: int | None,
    device_id: int | None,
    started: bool,
) -> None:
    """A stay begins: called to the window (`started` False), or resumed there (service
    starts at once)."""
    insert(
        db,
        "visits",
        {
            "ticket_id": ticket.id,
            "hall_id": ticket.hall_id,
            "window": ticket.window,
            "clerk_id": clerk_id,
            "device_id": device_id,
            "called_at": None if started else at,
            "call_seq": call_seq,
            "calls": 0 if started else 1,
            "started_at": at if started else None,
        },
    )


def recall_visit(db: sqlite_utils.Database, ticket_id: int, call_seq: int) -> None:
    db.execute(
        "UPDATE visits SET calls = calls + 1, call_seq = ? WHERE ticket_id = ? AND ended_at IS NULL",
        [call_seq, ticket_id],
    )


def start_visit(db: sqlite_utils.Database, ticket_id: int, at: str) -> None:
    db.execute("UPDATE visits SET started_at = ? WHERE ticket_id = ? AND ended_at IS NULL", [at, ticket_id])


def end_visit(db: sqlite_utils.Database, ticket_id: int, at: str, ending: VisitEnd, handling_seconds: float) -> None:
    db.execute(
        "UPDATE visits SET ended_at = ?, ending = ?, handling_seconds = ? WHERE ticket_id = ? AND ended_at IS NULL",
        [at, ending.value, handling_seconds, ticket_id],
    )


def visits_of(db: sqlite_utils.Database, ticket_id: int) -> list[Row]:
    return list(
        db.query(
            """SELECT window, clerk_id, called_at, calls, started_at, ended_at, ending, handling_seconds
               FROM visits WHERE ticket_id = ? ORDER BY id""",
            [ticket_id],
        )
    )


def visits_of_hall(db: sqlite_utils.Database, hall_id: int) -> list[Row]:
    return list(db.query("SELECT * FROM visits WHERE hall_id = ? ORDER BY id", [hall_id]))


def current_calls(db: sqlite_utils.Database, hall_id: int) -> list[Row]:
    """Each window's ticket in hand (called or being served) with its current call: what
    a hall screen shows as current, newest call first."""
    return list(
        db.query(
            """SELECT t.number, w.number AS window, t.called_at, v.call_seq AS seq, v.calls, t.status
               FROM windows w JOIN tickets t ON t.id = w.ticket_id
               JOIN visits v ON v.ticket_id = t.id AND v.ended_at IS NULL
               WHERE w.hall_id = ? AND v.call_seq IS NOT NULL
               ORDER BY v.call_seq DESC""",
            [hall_id],
        )
    )


# ---- finding tickets ---------------------------------------------------------------


def search(
    db: sqlite_utils.Database,
    hall_id: int,
    *,
    day: str,
    statuses: Sequence[str],
    queues: Sequence[str],
    number: str | None,
    window: int | None,
    id_digest: str | None,
    after: tuple[int, str, int] | None,
    limit: int,
) -> list[tuple[Ticket, tuple[int, str, int]]]:
    """The day's tickets matching every filter given, waiting ones first by place in
    line, then the others by issue time, after the position `after` (group, key, id);
    each with its own position, for the next page's cursor."""
    conditions, params = ["hall_id = ?", "service_day = ?"], [hall_id, day]
    if statuses:
        conditions.append(f"status IN ({marks(statuses)})")
        params += statuses
    if queues:
        conditions.append(f"queue IN ({marks(queues)})")
        params += queues
    if number is not None:
        conditions.append("number = ?")
        params.append(number)
    if window is not None:
        conditions.append("(window = ? OR target_window = ?)")
        params += [window, window]
    if id_digest is not None:
        conditions.append("id_digest = ?")
        params.append(id_digest)
    position = ""
    if after is not None:
        position = "WHERE (sort_group, sort_key, id) > (?, ?, ?)"
        params += list(after)
    rows = db.query(
        f"""SELECT * FROM (
              SELECT *, CASE WHEN status = 'waiting' THEN 0 ELSE 1 END AS sort_group,
                        CASE WHEN status = 'waiting' THEN place ELSE issued_at END AS sort_key
              FROM tickets WHERE {" AND ".join(conditions)})
            {position}
            ORDER BY sort_group, sort_key, id LIMIT ?""",
        [*params, limit],
    )
    return [(from_row(r), (int(r["sort_group"]), str(r["sort_key"]), int(r["id"]))) for r in rows]


def arrivals_by_minute(db: sqlite_utils.Database, hall_id: int, days: Sequence[str]) -> list[Row]:
    """Tickets first issued per origin queue, service day and UTC minute (`issued_at`'s
    first 16 characters) on service days `days`: the staffing forecast's history
    (through the index `tickets_by_day` on hall and day; a minute suits every zone offset)."""
    if not days:
        return []
    return list(
        db.query(
            f"""SELECT origin_queue, service_day, substr(issued_at, 1, 16) AS minute, count(*) AS issued
                FROM tickets WHERE hall_id = ? AND service_day IN ({marks(days)})
                GROUP BY origin_queue, service_day, minute""",
            [hall_id, *days],
        )
    )


def handling_between(db: sqlite_utils.Database, hall_id: int, first_day: str, last_day: str) -> dict[str, Row]:
    """Per queue: visits finished and their handling seconds on service days `first_day`
    to `last_day` (the per-queue day figures: a row per queue and day)."""
    rows = db.query(
        """SELECT queue, sum(served) AS served, sum(handling_seconds) AS handling_seconds FROM queue_days
           WHERE hall_id = ? AND service_day BETWEEN ? AND ? GROUP BY queue""",
        [hall_id, first_day, last_day],
    )
    return {r["queue"]: r for r in rows}


# ---- what the wait predictor reads (services/estimates.py) --------------------------


def waiting_lines(db: sqlite_utils.Database, hall_id: int) -> list[Row]:
    """Every waiting ticket of the hall as routing sees it, in line order."""
    return list(
        db.query(
            """SELECT id, ref, number, service_day, queue, priority IS NOT NULL AS priority, place, target_window
               FROM tickets
               WHERE hall_id = ? AND status = 'waiting' ORDER BY place, id""",
            [hall_id],
        )
    )


def recent_call_minutes(db: sqlite_utils.Database, hall_id: int, day: str, per_queue: int) -> dict[str, list[float]]:
    """Per queue, the minutes windows spent on each of the day's last `per_queue` calls
    (from the call, or a resumed service's start, to the visit's end: served, no-show,
    transferred or suspended alike), newest first."""
    rows = db.execute(
        """SELECT queue, minutes FROM (
             SELECT t.queue AS queue,
                    (julianday(v.ended_at) - julianday(coalesce(v.called_at, v.started_at))) * 1440 AS minutes,
                    row_number() OVER (PARTITION BY t.queue ORDER BY v.ended_at DESC, v.id DESC) AS n
             FROM tickets t JOIN visits v ON v.ticket_id = t.id
             WHERE t.hall_id = ? AND t.service_day = ? AND v.ended_at IS NOT NULL
               AND v.ending IN ('finished', 'no_show', 'transferred', 'suspended')
               AND coalesce(v.called_at, v.started_at) IS NOT NULL)
           WHERE n <= ? ORDER BY queue, n""",
        [hall_id, day, per_queue],
    ).fetchall()
    found: dict[str, list[float]] = {}
    for queue, minutes in rows:
        found.setdefault(queue, []).append(float(minutes))
    return found


def held_by_windows(db: sqlite_utils.Database, hall_id: int) -> list[Row]:
    """Each window with its state, since when, and the ticket it holds (its queue and
    when it was called there)."""
    return list(
        db.query(
            """SELECT w.number, w.status, w.updated_at, t.queue AS busy_queue,
                      coalesce(t.called_at, t.started_at) AS busy_since
               FROM windows w LEFT JOIN tickets t ON t.id = w.ticket_id
               WHERE w.hall_id = ? ORDER BY w.number""",
            [hall_id],
        )
    )


def issues_since(db: sqlite_utils.Database, hall_id: int, day: str, since: str) -> dict[str, tuple[int, int, int, int]]:
    """Per queue, tickets issued on `day`: (since `since`, of them priority, all day,
    of them priority); by the queue they were issued to."""
    rows = db.execute(
        """SELECT origin_queue, count(*) FILTER (WHERE issued_at >= ?),
                  count(*) FILTER (WHERE issued_at >= ? AND priority IS NOT NULL),
                  count(*), count(*) FILTER (WHERE priority IS NOT NULL)
           FROM tickets WHERE hall_id = ? AND service_day = ? GROUP BY origin_queue""",
        [since, since, hall_id, day],
    ).fetchall()
    return {row[0]: (row[1], row[2], row[3], row[4]) for row in rows}
