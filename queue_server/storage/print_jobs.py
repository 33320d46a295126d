"""Print jobs, and the printer side of devices: which printer serves a station, the
state its agent last reported.

A job row keeps the printed ticket's payload as JSON, as it was built when the ticket
was issued (a reprint copies it). Every change moves `revision` on and stamps
`updated_at`; the changes that a later one must not undo are guarded in their `WHERE`
(an agent's result is never overwritten by a late "sent").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlite_utils

from queue_server.storage.sql import Row, insert, marks, one

_DUE = "('queued', 'sent')"
_OPEN_TICKET = "('waiting', 'called', 'serving', 'suspended')"
_VIEW = """SELECT j.*, h.code AS hall, t.number, t.status AS ticket_status, d.name AS printer_name
           FROM print_jobs j JOIN halls h ON h.id = j.hall_id JOIN tickets t ON t.id = j.ticket_id
           JOIN devices d ON d.id = j.printer_id"""


def insert_job(db: sqlite_utils.Database, values: dict[str, Any]) -> int:
    return insert(db, "print_jobs", values)


def by_id(db: sqlite_utils.Database, job_id: int) -> Row | None:
    return one(db, f"{_VIEW} WHERE j.id = ?", [job_id])


def by_ids(db: sqlite_utils.Database, job_ids: Sequence[int]) -> list[Row]:
    return list(db.query(f"{_VIEW} WHERE j.id IN ({marks(job_ids)}) ORDER BY j.id", list(job_ids)))


def latest_for_ticket(db: sqlite_utils.Database, ticket_id: int) -> Row | None:
    return one(db, f"{_VIEW} WHERE j.ticket_id = ? ORDER BY j.id DESC LIMIT 1", [ticket_id])


def listed(
    db: sqlite_utils.Database,
    hall_id: int,
    *,
    ticket_id: int | None = None,
    state: str | None = None,
    printer_id: int | None = None,
    before: int | None = None,
    limit: int = 100,
) -> list[Row]:
    """A hall's jobs, newest first, filtered."""
    where: list[str] = ["j.hall_id = ?"]
    params: list[Any] = [hall_id]
    for column, value in (("j.ticket_id", ticket_id), ("j.state", state), ("j.printer_id", printer_id)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if before is not None:
        where.append("j.id < ?")
        params.append(before)
    sql = f"{_VIEW} WHERE {' AND '.join(where)} ORDER BY j.id DESC LIMIT ?"
    return list(db.query(sql, [*params, limit]))


def due_for_printer(db: sqlite_utils.Database, printer_id: int) -> list[Row]:
    """The printer's jobs not yet answered (queued, or sent to an agent that left), oldest first."""
    return list(db.query(f"{_VIEW} WHERE j.printer_id = ? AND j.state IN {_DUE} ORDER BY j.id", [printer_id]))


def queued_to_give_up(db: sqlite_utils.Database, created_before: str) -> list[Row]:
    """Queued jobs (no agent ever had them) that are too old, or whose ticket is over."""
    return list(
        db.query(
            f"""{_VIEW} WHERE j.state = 'queued'
                AND (j.created_at < ? OR t.status NOT IN {_OPEN_TICKET}) ORDER BY j.id""",
            [created_before],
        )
    )


def mark_sent(db: sqlite_utils.Database, job_ids: Sequence[int], at: str) -> list[int]:
    """Count one more hand-over to the agent of each job still due; returns those changed."""
    if not job_ids:
        return []
    rows = db.execute(
        f"""UPDATE print_jobs SET state = 'sent', attempts = attempts + 1, revision = revision + 1,
               sent_at = ?, updated_at = ?
            WHERE id IN ({marks(job_ids)}) AND state IN {_DUE} RETURNING id""",
        [at, at, *job_ids],
    ).fetchall()
    return sorted(int(r[0]) for r in rows)


def give_up(db: sqlite_utils.Database, job_id: int, state: str, at: str) -> bool:
    """A due job ends without being printed (expired, cancelled); False if it was no longer due."""
    cursor = db.execute(
        f"""UPDATE print_jobs SET state = ?, revision = revision + 1, finished_at = ?, updated_at = ?
            WHERE id = ? AND state IN {_DUE}""",
        [state, at, at, job_id],
    )
    return cursor.rowcount == 1


def record_result(db: sqlite_utils.Database, job_id: int, state: str, message: str | None, at: str) -> None:
    db.execute(
        """UPDATE print_jobs SET state = ?, message = ?, revision = revision + 1, finished_at = ?, updated_at = ?
           WHERE id = ?""",
        [state, message, at, at, job_id],
    )


# ---- printers ----------------------------------------------------------------------


def printer_of_station(db: sqlite_utils.Database, hall_id: int, station: str) -> Row | None:
    """The printer in service at `station` (there is at most one)."""
    return one(
        db,
        """SELECT id, name, station FROM devices
           WHERE hall_id = ? AND station = ? AND kind = 'printer' AND revoked_at IS NULL""",
        [hall_id, station],
    )


def station_of_device(db: sqlite_utils.Database, device_id: int) -> str | None:
    row = one(db, "SELECT station FROM devices WHERE id = ? AND revoked_at IS NULL", [device_id])
    return row["station"] if row else None


def printers_of_hall(db: sqlite_utils.Database, hall_id: int) -> list[Row]:
    """The hall's printers in service, with their last reported state and how many jobs wait for each."""
    return list(
        db.query(
            f"""SELECT d.id, d.name, d.station, d.last_seen_at, d.printer_state, d.printer_message,
                       d.printer_state_at,
                       (SELECT count(*) FROM print_jobs j WHERE j.printer_id = d.id AND j.state IN {_DUE}) AS due
                FROM devices d WHERE d.hall_id = ? AND d.kind = 'printer' AND d.revoked_at IS NULL ORDER BY d.id""",
            [hall_id],
        )
    )


def set_printer_state(db: sqlite_utils.Database, device_id: int, state: str, message: str | None, at: str) -> None:
    """What the printer's agent last reported, and that it was alive then."""
    db.execute(
        """UPDATE devices SET printer_state = ?, printer_message = ?, printer_state_at = ?, last_seen_at = ?
           WHERE id = ?""",
        [state, message, at, at, device_id],
    )
