"""Tickets: issuing (numbers, caps, hours, one per ID, idempotency, the print job), reading,
cancelling."""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from queue_server import storage
from queue_server.domain import clock, lifecycle, places
from queue_server.domain.access import DeviceKind, Permission, Principal, Role
from queue_server.domain.errors import IdempotencyMismatch, InvalidInput, NotFound, QueueClosed
from queue_server.domain.events import EventType
from queue_server.domain.hall import QueueSpec
from queue_server.domain.identity import id_digest
from queue_server.domain.lifecycle import Channel, Ticket
from queue_server.domain.tickets import PriorityClass
from queue_server.services.base import Event, Hall, Tx
from queue_server.services.printing import PrintUseCases

log = logging.getLogger(__name__)

# An issued ticket's place from its queue and its issue event's number (appointments)
Placing = Callable[[QueueSpec, int], str]

TICKET_REF_BYTES = 16


@dataclass(frozen=True)
class IssueRequest:
    item: str | None = None
    bundle: str | None = None
    queue: str | None = None
    priority: PriorityClass | None = None
    id_number: str | None = None
    appointment: str | None = None
    station: str | None = None  # where it prints (docs/printing.md); not part of what is issued

    def fingerprint(self, digest: str | None) -> str:
        """What makes two requests 'the same' for an Idempotency-Key. The ID number enters
        only as its keyed digest: this fingerprint cannot be checked against a guessed ID
        without the server's key."""
        parts = [self.item, self.bundle, self.queue, self.priority, self.appointment, digest]
        return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def new_ticket_ref() -> str:
    """A ticket's public reference: 128 random bits, 22 URL-safe characters. Ticket ids
    count up, so anyone holding one could guess the next; a reference cannot be guessed,
    and it is all a citizen's QR code or a public device ever names a ticket by."""
    return secrets.token_urlsafe(TICKET_REF_BYTES)


def channel_of(principal: Principal | None) -> Channel:
    """How a ticket came to be, from who issued it: a kiosk device, or staff at the desk."""
    if principal is not None and principal.actor is DeviceKind.KIOSK:
        return Channel.KIOSK
    return Channel.DESK


class TicketUseCases(PrintUseCases):
    def issue_ticket(
        self,
        principal: Principal | None,
        hall_code: str,
        request: IssueRequest,
        now: datetime,
        idempotency_key: str | None = None,
    ) -> tuple[dict[str, Any], list[Event]]:
        """Issue a numbered ticket. Replays the first answer for a repeated Idempotency-Key."""
        digest = id_digest(request.id_number, self._id_secret) if request.id_number else None
        with self._writing(hall_code, now, principal, Permission.ISSUE_TICKET) as tx:
            db, hall = tx.db, tx.hall
            fingerprint = request.fingerprint(digest)
            if idempotency_key is not None:
                previous = storage.halls.idempotent_ticket(db, hall.id, idempotency_key)
                if previous is not None:
                    if previous["fingerprint"] != fingerprint:
                        raise IdempotencyMismatch("同一个 Idempotency-Key 已用于另一张取号请求：请为新请求生成新的键")
                    ticket = self._load_ticket(db, hall, previous["ticket_id"])
                    answer = self._ticket_answer(db, hall, ticket, principal, now)
                    return {**answer, "print_job": self._latest_print_job(db, ticket.id), "replayed": True}, tx.events
            ticket, waiting = self._issue(tx, request, digest)
            if idempotency_key is not None:
                storage.halls.remember_idempotency(db, hall.id, idempotency_key, fingerprint, ticket.id, tx.at)
            view = self._ticket_view(db, hall, ticket, now, self._issued_figure(hall, ticket, waiting, now))
            job = self._print_job_for_issue(tx, ticket, view, request.station)
            return {**self._shaped_for(view, principal), "print_job": job}, tx.events

    def _issue(
        self,
        tx: Tx,
        request: IssueRequest,
        digest: str | None,
        *,
        place: Placing | None = None,
        announce: dict[str, Any] | None = None,
    ) -> tuple[Ticket, int]:
        """Issue a ticket inside `tx` by the rules every ticket obeys: the queue's issuing
        hours, its daily cap, one open ticket per ID number per queue, the day's numbers.
        `place`: how an appointment's check-in places it (from its queue and its issue
        event's number); None: at its issue instant, as every walk-in. `announce`: more for
        the `ticket_issued` event. Returns the ticket and how many now wait in its queue,
        itself counted (as its event says)."""
        db, hall, now = tx.db, tx.hall, tx.now
        queue, items = self._target(hall, request)
        spec = hall.spec
        if not clock.is_issuing(queue, spec, now):
            local_day = clock.local(now, spec).date()
            hours = "、".join(str(r) for r in clock.issuing_hours(queue, spec, local_day)) or "今日不办理"
            raise QueueClosed(f"{queue.name}当前不在取号时间（取号时间：{hours}）", queue=queue.code)
        other = storage.tickets.open_for_id(db, hall.id, queue.code, digest) if digest else None
        sequence = storage.tickets.take_number(db, hall.id, tx.day, queue.prefix)
        issued_today = storage.tickets.count_issued(db, hall.id, queue.code, tx.day)
        seq = storage.halls.next_seq(db, hall.id)
        ticket = lifecycle.issue(
            hall_id=hall.id,
            service_day=tx.day,
            queue=queue,
            sequence=sequence,
            issued_today=issued_today,
            place=place(queue, seq) if place is not None else places.issued_place(now, seq),
            now=now,
            channel=channel_of(tx.who),
            item=request.item,
            bundle=request.bundle,
            items=items,
            priority=request.priority,
            id_digest=digest,
            appointment=request.appointment,
            other=other,
            ref=new_ticket_ref(),
        )
        ticket = replace(ticket, id=storage.tickets.insert_ticket(db, ticket))
        waiting = storage.tickets.waiting_count(db, hall.id, queue.code)
        self._record(
            tx,
            EventType.TICKET_ISSUED,
            {"ticket": self._ticket_brief(hall, ticket), "waiting": {queue.code: waiting}, **(announce or {})},
            ticket_id=ticket.id,
            reason=ticket.channel.value,
            seq=seq,
        )
        return ticket, waiting

    def ticket(self, principal: Principal | None, hall_code: str, ticket_id: int, now: datetime) -> dict[str, Any]:
        with self.store.read() as db:
            hall = self._hall_for(db, hall_code, principal, Permission.READ_TICKET)
            ticket = self._load_ticket(db, hall, ticket_id)
            view = self._ticket_view(db, hall, ticket, now)
            if principal is not None and principal.actor in (Role.MANAGER, Role.ADMIN):
                view["log"] = storage.halls.ticket_events(db, ticket_id)
                view["visits"] = storage.tickets.visits_of(db, ticket_id)
            return view

    def cancel_ticket(
        self, principal: Principal | None, hall_code: str, ticket_id: int, reason: str | None, now: datetime
    ) -> tuple[dict[str, Any], list[Event]]:
        with self._writing(hall_code, now, principal, Permission.CANCEL_TICKET) as tx:
            ticket = self._load_ticket(tx.db, tx.hall, ticket_id)
            step = lifecycle.cancel(ticket, now=now)
            self._apply(tx, step, reason=reason)
            assert step.ticket is not None
            return self._ticket_view(tx.db, tx.hall, step.ticket, now), tx.events

    @staticmethod
    def _target(hall: Hall, request: IssueRequest) -> tuple[QueueSpec, tuple[str, ...]]:
        """The queue a request is for, and the item codes it names."""
        chosen = [x for x in (request.item, request.bundle, request.queue) if x]
        if len(chosen) != 1:
            raise InvalidInput("请只指定一个：事项（item）、“一件事”（bundle）或队列（queue）")
        if request.item:
            item = next((i for i in hall.spec.items if i.code == request.item), None)
            if item is None:
                raise NotFound(f"没有编码为 {request.item!r} 的事项", field="item")
            return hall.queue(item.queue), (item.code,)
        if request.bundle:
            bundle = next((b for b in hall.spec.bundles if b.code == request.bundle), None)
            if bundle is None:
                raise NotFound(f"没有编码为 {request.bundle!r} 的“一件事”", field="bundle")
            return hall.queue(bundle.queue), bundle.items
        return hall.queue(request.queue), ()  # type: ignore[arg-type]
