"""Appointments (预约): pushed by the booking platform, listed per day, checked in at the
desk or a kiosk (which issues the ticket through the same `_issue` as every other
ticket), cancelled, and voided when their check-in time or their day is over.

Appointments are not hall events: screens have nothing to show of a booking. Only the
check-in is, as the `ticket_issued` of its ticket, which carries `appointment` (its id
and whether it was late; never the booking reference or the citizen's reference).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from typing import Any

import sqlite_utils

from queue_server import storage
from queue_server.domain import appointments, clock
from queue_server.domain.access import OPERATOR, Permission, Principal
from queue_server.domain.appointments import Appointment, AppointmentStatus, Booking, VoidReason
from queue_server.domain.errors import Conflict, NotFound
from queue_server.domain.hall import AppointmentPlace, QueueSpec
from queue_server.domain.identity import id_digest
from queue_server.domain.tickets import ACTIVE_STATUSES, TicketStatus
from queue_server.services.base import Event, Hall
from queue_server.services.tickets import IssueRequest, TicketUseCases

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BookingRequest:
    """A booking as the platform pushes it, each field read; `id_number` in clear only
    until the service hashes it."""

    reference: str
    service_day: date
    slot_start: time
    slot_end: time
    queue: str | None = None
    item: str | None = None
    bundle: str | None = None
    citizen_ref: str | None = None
    id_number: str | None = None


class AppointmentUseCases(TicketUseCases):
    def book_appointment(
        self, principal: Principal | None, hall_code: str, request: BookingRequest, now: datetime
    ) -> tuple[dict[str, Any], list[Event]]:
        """Store a pushed booking. Pushing the same booking again answers it as it stands
        (`replayed`: the platform may retry); the same reference with other details is
        refused (`AppointmentExists`). The events are those of a day's close, if the
        write ran one."""
        reference = appointments.check_reference(request.reference)
        citizen_ref = appointments.check_citizen_ref(request.citizen_ref) if request.citizen_ref else None
        digest = id_digest(request.id_number, self._id_secret) if request.id_number else None
        with self.store.read() as db:
            self._hall_for(db, hall_code, principal, Permission.BOOK_APPOINTMENT)
        with self._writing(hall_code, now, principal, Permission.BOOK_APPOINTMENT) as tx:
            booking = Booking(
                reference=reference,
                service_day=request.service_day,
                slot_start=request.slot_start,
                slot_end=request.slot_end,
                queue=request.queue,
                item=request.item,
                bundle=request.bundle,
                citizen_ref=citizen_ref,
                id_digest=digest,
            )
            stored = storage.appointments.by_reference(tx.db, tx.hall.id, reference)
            if stored is not None:
                changed = appointments.differences(stored, booking)
                if changed:
                    raise appointments.refuse_changed(stored, changed)
                return {**self._appointment_view(tx.db, tx.hall, stored), "replayed": True}, tx.events
            new = appointments.book(
                booking, tx.hall.spec, hall_id=tx.hall.id, open_day=date.fromisoformat(tx.day), now=now
            )
            new = replace(new, id=storage.appointments.insert_appointment(tx.db, new, principal))
            log.info("hall %s: appointment %s booked for %s %s", hall_code, new.id, new.service_day, new.slot)
            return self._appointment_view(tx.db, tx.hall, new), tx.events

    def appointments(
        self, principal: Principal | None, hall_code: str, day: date | None, now: datetime
    ) -> dict[str, Any]:
        """The appointments of a service day (default: today's), by slot."""
        with self.store.read() as db:
            hall = self._hall_for(db, hall_code, principal, Permission.VIEW_APPOINTMENTS)
            service_day = (day or clock.service_day(now, hall.spec)).isoformat()
            found = storage.appointments.of_day(db, hall.id, service_day)
            tickets = storage.appointments.ticket_numbers(db, [a.ticket_id for a in found if a.ticket_id])
            return {
                "service_day": service_day,
                "appointments": [self._appointment_view(db, hall, a, tickets) for a in found],
            }

    def appointment(self, principal: Principal | None, hall_code: str, reference: str, now: datetime) -> dict[str, Any]:
        reference = appointments.check_reference(reference)
        with self.store.read() as db:
            hall = self._hall_for(db, hall_code, principal, Permission.VIEW_APPOINTMENTS)
            return self._appointment_view(db, hall, self._load_appointment(db, hall, reference))

    def check_in_appointment(
        self,
        principal: Principal | None,
        hall_code: str,
        reference: str,
        now: datetime,
        station: str | None = None,
    ) -> tuple[dict[str, Any], list[Event]]:
        """Check in: issue the appointment's ticket through `_issue`, the rules of every
        ticket (hours, daily cap, one open ticket per ID per queue) and its place by the
        hall's rule. Checking in again answers the same ticket while it is open
        (`replayed`), as a retried request should. A late one under `late = "refuse"` is
        refused and writes nothing: it is void from the end of its check-in time, which
        the server's timer stores (`void_late_appointments`). The ticket prints at
        `station` (a kiosk: its own) through the issue's print-job path, as a walk-in's;
        the answer carries `print_job` (a replay: the ticket's latest job)."""
        reference = appointments.check_reference(reference)
        with self.store.read() as db:
            self._hall_for(db, hall_code, principal, Permission.ISSUE_TICKET)
        with self._writing(hall_code, now, principal, Permission.ISSUE_TICKET) as tx:
            db, hall = tx.db, tx.hall
            appointment = self._load_appointment(db, hall, reference)
            if appointment.status is AppointmentStatus.CHECKED_IN and appointment.ticket_id is not None:
                ticket = self._load_ticket(db, hall, appointment.ticket_id)
                if ticket.status in ACTIVE_STATUSES:
                    answer = self._ticket_answer(db, hall, ticket, principal, now)
                    job = self._latest_print_job(db, ticket.id)
                    return {**answer, "print_job": job, "replayed": True}, tx.events
                appointments.require_open(appointment, ticket_number=ticket.number)
            decision = appointments.check_in(appointment, now, hall.spec)

            def place(queue: QueueSpec, seq: int) -> str:
                # only `front` looks at who waits: the head of the line, read in this transaction
                front = decision.place is AppointmentPlace.FRONT
                line = storage.appointments.line_head(db, hall.id, queue.code) if front else []
                return appointments.place_in_line(
                    decision.place, slot_start_at=appointment.slot_start_at, now=now, seq=seq, line=line
                )

            ticket, _ = self._issue(
                tx,
                self._ticket_request(hall, appointment),
                appointment.id_digest,
                place=place,
                announce={"appointment": {"id": appointment.id, "late": decision.late}},
            )
            storage.appointments.save(db, appointments.checked_in(appointment, ticket.id, late=decision.late, now=now))
            view = self._ticket_view(db, hall, ticket, now)
            job = self._print_job_for_issue(tx, ticket, view, station)
            return {**self._shaped_for(view, principal), "print_job": job}, tx.events

    def cancel_appointment(
        self, principal: Principal | None, hall_code: str, reference: str, reason: str | None, now: datetime
    ) -> tuple[dict[str, Any], list[Event]]:
        """Cancelled by the platform (the citizen cancelled online) or by a manager.
        Cancelling again changes nothing; one checked in is refused: cancel its ticket."""
        reference = appointments.check_reference(reference)
        with self.store.read() as db:
            self._hall_for(db, hall_code, principal, Permission.BOOK_APPOINTMENT)
        with self._writing(hall_code, now, principal, Permission.BOOK_APPOINTMENT) as tx:
            appointment = self._load_appointment(tx.db, tx.hall, reference)
            number = None
            if appointment.ticket_id is not None:
                number = self._load_ticket(tx.db, tx.hall, appointment.ticket_id).number
            cancelled = appointments.cancel(appointment, now=now, reason=reason, ticket_number=number)
            if cancelled is not None:
                storage.appointments.save(tx.db, cancelled, closed_by=principal)
                appointment = cancelled
            return self._appointment_view(tx.db, tx.hall, appointment), tx.events

    def void_late_appointments(self, now: datetime) -> list[Event]:
        """The timer's work: in halls that refuse late check-ins, an appointment whose
        check-in time has ended is void from then on. Returns the events of the write
        transactions (a day's close, if one was due)."""
        with self.store.read() as db:
            due = []
            for row in storage.halls.all_rows(db):
                hall = self._hall_of_row(row)
                cutoff = appointments.void_cutoff(now, hall.spec)
                if cutoff is not None and storage.appointments.booked_before(
                    db, hall.id, slot_start_before=clock.iso(cutoff)
                ):
                    due.append(row["code"])
        events: list[Event] = []
        for code in due:
            with self._writing(code, now, OPERATOR) as tx:
                cutoff = appointments.void_cutoff(now, tx.hall.spec)
                if cutoff is not None:
                    late = storage.appointments.booked_before(tx.db, tx.hall.id, slot_start_before=clock.iso(cutoff))
                    for appointment in late:
                        storage.appointments.save(
                            tx.db, appointments.void(appointment, now=now, reason=VoidReason.LATE)
                        )
                    log.info("hall %s: %d appointments void, not checked in on time", code, len(late))
            events += tx.events
        return events

    # ---- helpers -----------------------------------------------------------------------

    def _load_appointment(self, db: sqlite_utils.Database, hall: Hall, reference: str) -> Appointment:
        appointment = storage.appointments.by_reference(db, hall.id, reference)
        if appointment is None:
            raise NotFound(f"没有预约编号为 {reference} 的预约：请核对预约编号或二维码", field="reference")
        return appointment

    @staticmethod
    def _ticket_request(hall: Hall, appointment: Appointment) -> IssueRequest:
        """What the check-in issues: the appointment's bundle or item where the hall still
        has it in the same queue, else its queue."""
        if not hall.spec.has_queue(appointment.queue):
            raise Conflict(
                f"预约的队列 {appointment.queue!r} 已不在本大厅的配置中：请到导办台现场取号",
                reference=appointment.reference,
                queue=appointment.queue,
            )
        bundle = next((b for b in hall.spec.bundles if b.code == appointment.bundle), None)
        if bundle is not None and bundle.queue == appointment.queue:
            return IssueRequest(bundle=bundle.code, appointment=appointment.reference)
        item = next((i for i in hall.spec.items if i.code == appointment.item), None)
        if item is not None and item.queue == appointment.queue:
            return IssueRequest(item=item.code, appointment=appointment.reference)
        return IssueRequest(queue=appointment.queue, appointment=appointment.reference)

    def _appointment_view(
        self,
        db: sqlite_utils.Database,
        hall: Hall,
        appointment: Appointment,
        tickets: dict[int, Any] | None = None,
    ) -> dict[str, Any]:
        """An appointment as staff and the platform see it: never the ID digest, only
        whether an ID number was given."""
        if tickets is None:
            ids = [appointment.ticket_id] if appointment.ticket_id else []
            tickets = storage.appointments.ticket_numbers(db, ids)
        ticket = tickets.get(appointment.ticket_id) if appointment.ticket_id else None
        return {
            "reference": appointment.reference,
            "id": appointment.id,
            "service_day": appointment.service_day,
            "slot_start": f"{appointment.slot_start:%H:%M}",
            "slot_end": f"{appointment.slot_end:%H:%M}",
            "queue": appointment.queue,
            "queue_name": hall.queue_name(appointment.queue),
            "item": appointment.item,
            "bundle": appointment.bundle,
            "citizen_ref": appointment.citizen_ref,
            "id_given": appointment.id_digest is not None,
            "status": appointment.status.value,
            "check_in_from": clock.iso(appointments.check_in_from(appointment, hall.spec)),
            "late_after": clock.iso(appointments.late_after(appointment, hall.spec)),
            "late": appointment.late,
            "booked_at": clock.iso(appointment.booked_at),
            "checked_in_at": _iso(appointment.checked_in_at),
            "closed_at": _iso(appointment.closed_at),
            "reason": appointment.reason,
            "ticket": (
                {"id": ticket["id"], "number": ticket["number"], "status": TicketStatus(ticket["status"]).value}
                if ticket
                else None
            ),
        }


def _iso(moment: datetime | None) -> str | None:
    return clock.iso(moment) if moment else None
