"""Ratings (好差评) and the review pads' invitations.

A rating row keeps the whole record as it was when it was given (the ticket's times, its
window, the clerk's staff number); triggers refuse any change or removal. An invitation
row is written when a ticket finishes at a window; it is the pad's to show while
`closed_at` is NULL, and the system default's to look for while `rating_id` is NULL.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlite_utils

from queue_server.domain import clock
from queue_server.domain.ratings import Invitation, InvitationClosing
from queue_server.storage.sql import Row, insert, marks, one

_RECORD = """SELECT r.*, h.code AS hall, t.ref AS ticket_ref, t.number AS ticket_number
             FROM ratings r JOIN halls h ON h.id = r.hall_id JOIN tickets t ON t.id = r.ticket_id"""


def insert_rating(db: sqlite_utils.Database, values: dict[str, Any]) -> int:
    stored = {
        **values,
        "items": json.dumps(values["items"]),
        "reasons": json.dumps(values["reasons"], ensure_ascii=False),
    }
    stored["system_default"] = 1 if values["system_default"] else 0
    return insert(db, "ratings", stored)


def record(db: sqlite_utils.Database, rating_id: int) -> Row | None:
    """A rating with its hall's code and its ticket's reference and number."""
    return one(db, f"{_RECORD} WHERE r.id = ?", [rating_id])


def of_ticket(db: sqlite_utils.Database, ticket_id: int) -> Row | None:
    return one(db, "SELECT * FROM ratings WHERE ticket_id = ?", [ticket_id])


def of_hall_or_tickets(db: sqlite_utils.Database, hall_id: int) -> list[Row]:
    """The hall's ratings, and any rating (of whichever hall) of one of its tickets."""
    return list(
        db.query(
            """SELECT * FROM ratings WHERE hall_id = ?
               UNION SELECT * FROM ratings WHERE ticket_id IN (SELECT id FROM tickets WHERE hall_id = ?)
               ORDER BY id""",
            [hall_id, hall_id],
        )
    )


def listed(
    db: sqlite_utils.Database,
    hall_id: int,
    *,
    day_from: str | None,
    day_to: str | None,
    queues: Sequence[str],
    window: int | None,
    clerk_number: str | None,
    levels: Sequence[str],
    channels: Sequence[str],
    before: int | None,
    limit: int,
) -> list[Row]:
    """A hall's ratings matching every filter given, newest first, before rating `before`."""
    where: list[str] = ["r.hall_id = ?"]
    params: list[Any] = [hall_id]
    if day_from is not None:
        where.append("r.service_day >= ?")
        params.append(day_from)
    if day_to is not None:
        where.append("r.service_day <= ?")
        params.append(day_to)
    for column, values in (("r.queue", queues), ("r.level", levels), ("r.channel", channels)):
        if values:
            where.append(f"{column} IN ({marks(values)})")
            params += list(values)
    if window is not None:
        where.append("r.window = ?")
        params.append(window)
    if clerk_number is not None:
        where.append("r.clerk_number = ?")
        params.append(clerk_number)
    if before is not None:
        where.append("r.id < ?")
        params.append(before)
    return list(db.query(f"{_RECORD} WHERE {' AND '.join(where)} ORDER BY r.id DESC LIMIT ?", [*params, limit]))


# ---- invitations -------------------------------------------------------------------


def _invitation(row: Row) -> Invitation:
    return Invitation(
        id=row["id"],
        hall_id=row["hall_id"],
        ticket_id=row["ticket_id"],
        window=row["window"],
        opened_at=clock.parse_iso(row["opened_at"]),
        closes_at=clock.parse_iso(row["closes_at"]),
        closed_at=clock.parse_iso(row["closed_at"]) if row["closed_at"] else None,
        closed_reason=InvitationClosing(row["closed_reason"]) if row["closed_reason"] else None,
        rating_id=row["rating_id"],
    )


def invite(
    db: sqlite_utils.Database, hall_id: int, ticket_id: int, window: int, opened_at: datetime, closes_at: datetime
) -> Invitation:
    at = clock.iso(opened_at)
    invitation_id = insert(
        db,
        "rating_invitations",
        {
            "hall_id": hall_id,
            "ticket_id": ticket_id,
            "window": window,
            "opened_at": at,
            "closes_at": clock.iso(closes_at),
            "finished_at": at,
        },
    )
    return Invitation(invitation_id, hall_id, ticket_id, window, opened_at, closes_at)


def invitation_of_ticket(db: sqlite_utils.Database, ticket_id: int) -> Invitation | None:
    row = one(db, "SELECT * FROM rating_invitations WHERE ticket_id = ?", [ticket_id])
    return _invitation(row) if row else None


def open_invitation(db: sqlite_utils.Database, hall_id: int, window: int) -> Invitation | None:
    row = one(
        db, "SELECT * FROM rating_invitations WHERE hall_id = ? AND window = ? AND closed_at IS NULL", [hall_id, window]
    )
    return _invitation(row) if row else None


def open_invitations(db: sqlite_utils.Database, hall_id: int) -> list[Invitation]:
    rows = db.query("SELECT * FROM rating_invitations WHERE hall_id = ? AND closed_at IS NULL", [hall_id])
    return [_invitation(row) for row in rows]


def close_invitation(db: sqlite_utils.Database, invitation_id: int, at: datetime, reason: InvitationClosing) -> bool:
    """Close an open invitation; False when it was closed already (by another process)."""
    cursor = db.execute(
        "UPDATE rating_invitations SET closed_at = ?, closed_reason = ? WHERE id = ? AND closed_at IS NULL",
        [clock.iso(at), reason.value, invitation_id],
    )
    return cursor.rowcount == 1


def settle_invitation(db: sqlite_utils.Database, ticket_id: int, rating_id: int) -> None:
    db.execute("UPDATE rating_invitations SET rating_id = ? WHERE ticket_id = ?", [rating_id, ticket_id])


def timed_out(db: sqlite_utils.Database, now: datetime, limit: int = 500) -> list[tuple[Invitation, str]]:
    """Open invitations whose time ran out, with their hall's code."""
    rows = db.query(
        """SELECT i.*, h.code AS hall FROM rating_invitations i JOIN halls h ON h.id = i.hall_id
           WHERE i.closed_at IS NULL AND i.closes_at <= ? ORDER BY i.closes_at LIMIT ?""",
        [clock.iso(now), limit],
    )
    return [(_invitation(row), row["hall"]) for row in rows]


def unrated_before(db: sqlite_utils.Database, hall_id: int, cutoff: datetime, limit: int = 500) -> list[int]:
    """The tickets of the hall finished at a window at or before `cutoff` and not rated, oldest first."""
    rows = db.query(
        """SELECT ticket_id FROM rating_invitations
           WHERE rating_id IS NULL AND finished_at <= ? AND hall_id = ? ORDER BY finished_at LIMIT ?""",
        [clock.iso(cutoff), hall_id, limit],
    )
    return [row["ticket_id"] for row in rows]


def invitations_of_hall(db: sqlite_utils.Database, hall_id: int) -> list[Invitation]:
    return [_invitation(row) for row in db.query("SELECT * FROM rating_invitations WHERE hall_id = ?", [hall_id])]


def first_started_at(db: sqlite_utils.Database, ticket_id: int) -> str | None:
    row = one(
        db, "SELECT min(started_at) AS at FROM visits WHERE ticket_id = ? AND started_at IS NOT NULL", [ticket_id]
    )
    return row["at"] if row else None
