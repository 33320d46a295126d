"""Tickets: issuing (numbers, caps, hours, one per ID, idempotency), reading, cancelling."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from queue_server import storage
from queue_server.domain import clock
from queue_server.domain.access import Permission, Principal, Role, require
from queue_server.domain.errors import (
    DuplicateWaiting,
    IdempotencyMismatch,
    InvalidInput,
    NotFound,
    QueueClosed,
    QueueFull,
)
from queue_server.domain.hall import QueueSpec
from queue_server.domain.identity import id_digest
from queue_server.domain.tickets import Action, PriorityClass, TicketStatus, check_transition, format_number
from queue_server.services.base import Event, EventType, Hall, ServicesBase

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IssueRequest:
    item: str | None = None
    bundle: str | None = None
    queue: str | None = None
    priority: PriorityClass | None = None
    id_number: str | None = None
    appointment: str | None = None
    channel: str = "desk"

    def fingerprint(self) -> str:
        """What makes two requests 'the same' for an Idempotency-Key (the ID only hashed)."""
        parts = [self.item, self.bundle, self.queue, self.priority, self.appointment, self.channel]
        parts.append(hashlib.sha256(self.id_number.encode()).hexdigest() if self.id_number else None)
        return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


class TicketUseCases(ServicesBase):
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
        with self.store.write() as db:
            hall = self._hall(db, hall_code)
            require(principal, Permission.ISSUE_TICKET, hall.id)
            if idempotency_key is not None:
                previous = storage.idempotent_ticket(db, hall.id, idempotency_key)
                if previous is not None:
                    if previous["fingerprint"] != request.fingerprint():
                        raise IdempotencyMismatch("同一个 Idempotency-Key 已用于另一张取号请求：请为新请求生成新的键")
                    row = storage.ticket(db, previous["ticket_id"])
                    return {**self._ticket_view(db, hall, row, now), "replayed": True}, []  # type: ignore[arg-type]
            queue = self._target_queue(hall, request)
            spec = hall.spec
            if not clock.is_issuing(queue, spec, now):
                local_day = clock.local(now, spec).date()
                hours = "、".join(str(r) for r in clock.issuing_hours(queue, spec, local_day)) or "今日不办理"
                raise QueueClosed(f"{queue.name}当前不在取号时间（取号时间：{hours}）", queue=queue.code)
            day = clock.service_day(now, spec).isoformat()
            if digest is not None:
                holder = storage.waiting_ticket_for_id(db, hall.id, queue.code, digest)
                if holder is not None:
                    raise DuplicateWaiting(
                        f"该证件在“{queue.name}”已有等候中的号码 {holder['number']}，无需重复取号",
                        number=holder["number"],
                    )
            sequence = storage.bump_issued(db, hall.id, queue.code, day)
            if sequence > queue.daily_cap:
                raise QueueFull(f"今日号源已发完：{queue.name}每日 {queue.daily_cap} 个号", queue=queue.code)
            number = format_number(queue.prefix, sequence)
            ticket_id = storage.insert_ticket(
                db,
                {
                    "hall_id": hall.id,
                    "service_day": day,
                    "origin_queue": queue.code,
                    "sequence": sequence,
                    "number": number,
                    "queue": queue.code,
                    "item": request.item,
                    "bundle": request.bundle,
                    "priority": request.priority.value if request.priority else None,
                    "id_digest": digest,
                    "appointment": request.appointment,
                    "channel": request.channel,
                    "status": TicketStatus.WAITING.value,
                    "place": now.timestamp(),
                    "issued_at": clock.iso(now),
                },
            )
            row = storage.ticket(db, ticket_id)
            assert row is not None
            view = self._ticket_view(db, hall, row, now)
            event = self._event(
                db,
                hall_code,
                hall.id,
                now,
                EventType.TICKET_ISSUED,
                {
                    "ticket": self._ticket_brief(hall, row),
                    "waiting": {queue.code: self._waiting(db, hall, day, queue.code)},
                },
                ticket_id=ticket_id,
                clerk_id=principal.user_id if principal else None,
                reason=request.channel,
            )
            if idempotency_key is not None:
                storage.remember_idempotency(
                    db, hall.id, idempotency_key, request.fingerprint(), ticket_id, clock.iso(now)
                )
        return view, [event]

    def ticket(self, principal: Principal | None, hall_code: str, ticket_id: int, now: datetime) -> dict[str, Any]:
        with self.store.read() as db:
            hall = self._hall(db, hall_code)
            require(principal, Permission.READ_TICKET, hall.id)
            row = self._ticket_row(db, hall, ticket_id)
            view = self._ticket_view(db, hall, row, now)
            if principal is not None and principal.actor in (Role.MANAGER, Role.ADMIN):
                view["log"] = storage.ticket_events(db, ticket_id)
            return view

    def cancel_ticket(
        self, principal: Principal | None, hall_code: str, ticket_id: int, reason: str | None, now: datetime
    ) -> tuple[dict[str, Any], list[Event]]:
        with self.store.write() as db:
            hall = self._hall(db, hall_code)
            require(principal, Permission.CANCEL_TICKET, hall.id)
            row = self._ticket_row(db, hall, ticket_id)
            check_transition(Action.CANCEL, TicketStatus(row["status"]), row["number"])
            storage.update_ticket(db, ticket_id, status=TicketStatus.CANCELLED.value, finished_at=clock.iso(now))
            event = self._ticket_event(db, hall, now, EventType.TICKET_CANCELLED, ticket_id, principal, reason=reason)
            return self._ticket_view(db, hall, storage.ticket(db, ticket_id), now), [event]  # type: ignore[arg-type]

    def _target_queue(self, hall: Hall, request: IssueRequest) -> QueueSpec:
        chosen = [x for x in (request.item, request.bundle, request.queue) if x]
        if len(chosen) != 1:
            raise InvalidInput("请只指定一个：事项（item）、“一件事”（bundle）或队列（queue）")
        if request.item:
            item = next((i for i in hall.spec.items if i.code == request.item), None)
            if item is None:
                raise NotFound(f"没有编码为 {request.item!r} 的事项", field="item")
            return hall.queue(item.queue)
        if request.bundle:
            bundle = next((b for b in hall.spec.bundles if b.code == request.bundle), None)
            if bundle is None:
                raise NotFound(f"没有编码为 {request.bundle!r} 的“一件事”", field="bundle")
            return hall.queue(bundle.queue)
        return hall.queue(request.queue)  # type: ignore[arg-type]
