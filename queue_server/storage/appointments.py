"""Appointments: one row each, found by (hall, booking reference); and the head of a
queue's line as an appointment's check-in needs it.

An `Appointment` (domain value) is stored as one row; `load` and `save` convert. Who
booked it and who closed it (cancelled it) are kept beside it, as the user or device.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime, time
from typing import Any

import sqlite_utils

from queue_server.domain import clock
from queue_server.domain.access import Principal
from queue_server.domain.appointments import Appointment, AppointmentStatus
from queue_server.storage.sql import Row, insert, one

_INSTANTS = ("slot_start_at", "booked_at", "checked_in_at", "closed_at")
_TIMES = ("slot_start", "slot_end")
_COLUMNS = tuple(f.name for f in fields(Appointment))


def from_row(row: Row) -> Appointment:
    values: dict[str, Any] = {name: row[name] for name in _COLUMNS}
    for name in _INSTANTS:
        values[name] = clock.parse_iso(row[name]) if row[name] else None
    for name in _TIMES:
        values[name] = time.fromisoformat(row[name])
    values["status"] = AppointmentStatus(row["status"])
    values["late"] = bool(row["late"])
    return Appointment(**values)


def _values(appointment: Appointment) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(appointment, name) for name in _COLUMNS if name != "id"}
    for name in _INSTANTS:
        moment: datetime | None = values[name]
        values[name] = clock.iso(moment) if moment else None
    for name in _TIMES:
        values[name] = f"{values[name]:%H:%M}"
    values["status"] = appointment.status.value
    values["late"] = int(appointment.late)
    return values


def _who(principal: Principal | None) -> tuple[int | None, int | None]:
    return (principal.user_id, principal.device_id) if principal else (None, None)


def insert_appointment(db: sqlite_utils.Database, appointment: Appointment, by: Principal | None) -> int:
    user, device = _who(by)
    return insert(db, "appointments", {**_values(appointment), "booked_by_user": user, "booked_by_device": device})


def save(db: sqlite_utils.Database, appointment: Appointment, *, closed_by: Principal | None = None) -> None:
    values = _values(appointment)
    if closed_by is not None:
        values["closed_by_user"], values["closed_by_device"] = _who(closed_by)
    assignments = ", ".join(f"{column} = ?" for column in values)
    db.execute(f"UPDATE appointments SET {assignments} WHERE id = ?", [*values.values(), appointment.id])


def by_reference(db: sqlite_utils.Database, hall_id: int, reference: str) -> Appointment | None:
    row = one(db, "SELECT * FROM appointments WHERE hall_id = ? AND reference = ?", [hall_id, reference])
    return from_row(row) if row else None


def of_day(db: sqlite_utils.Database, hall_id: int, day: str) -> list[Appointment]:
    rows = db.query(
        "SELECT * FROM appointments WHERE hall_id = ? AND service_day = ? ORDER BY slot_start_at, reference",
        [hall_id, day],
    )
    return [from_row(r) for r in rows]


def of_hall(db: sqlite_utils.Database, hall_id: int) -> list[Appointment]:
    return [from_row(r) for r in db.query("SELECT * FROM appointments WHERE hall_id = ? ORDER BY id", [hall_id])]


def booked_before(db: sqlite_utils.Database, hall_id: int, *, slot_start_before: str) -> list[Appointment]:
    """Booked appointments whose slot started before an instant (ISO text, as stored)."""
    rows = db.query(
        "SELECT * FROM appointments WHERE hall_id = ? AND status = 'booked' AND slot_start_at < ? ORDER BY id",
        [hall_id, slot_start_before],
    )
    return [from_row(r) for r in rows]


def booked_of_days_before(db: sqlite_utils.Database, hall_id: int, day: str) -> list[Appointment]:
    """Booked appointments of service days before `day`: what a day's close voids."""
    rows = db.query(
        "SELECT * FROM appointments WHERE hall_id = ? AND status = 'booked' AND service_day < ? ORDER BY id",
        [hall_id, day],
    )
    return [from_row(r) for r in rows]


def booked_from(db: sqlite_utils.Database, hall_id: int, day: str) -> list[Appointment]:
    """Appointments still booked for service day `day` or later."""
    rows = db.query(
        "SELECT * FROM appointments WHERE hall_id = ? AND status = 'booked' AND service_day >= ? ORDER BY id",
        [hall_id, day],
    )
    return [from_row(r) for r in rows]


def ticket_numbers(db: sqlite_utils.Database, ticket_ids: list[int]) -> dict[int, Row]:
    """The number and state of each ticket an appointment became."""
    if not ticket_ids:
        return {}
    marks = ",".join("?" * len(ticket_ids))
    rows = db.query(f"SELECT id, number, status FROM tickets WHERE id IN ({marks})", ticket_ids)
    return {r["id"]: r for r in rows}


def line_head(db: sqlite_utils.Database, hall_id: int, queue: str) -> list[tuple[str, bool]]:
    """The head of `queue`'s line, in order: the tickets from appointments waiting at its
    front and the first other ticket after them, each with whether it came from an
    appointment (all that placing one at the front needs)."""
    cursor = db.execute(
        """SELECT place, appointment IS NOT NULL FROM tickets
           WHERE hall_id = ? AND status = 'waiting' AND queue = ? AND target_window IS NULL
           ORDER BY place, id""",
        [hall_id, queue],
    )
    head: list[tuple[str, bool]] = []
    try:
        for place, from_appointment in cursor:
            head.append((str(place), bool(from_appointment)))
            if not from_appointment:
                break
    finally:
        cursor.close()
    return head
