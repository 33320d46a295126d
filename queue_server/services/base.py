"""What every use case shares: events, the hall as the services see it, the write
transaction every change runs in, and the helpers that record steps and shape what goes
out.

Every write goes through `_writing()`: one `BEGIN IMMEDIATE` transaction that loads the
hall, checks who is asking, and first closes the hall's service day if it has ended
(`DayUseCases._ensure_day`), so that no write ever acts on yesterday's line. A use case
then applies pure transitions (`domain.lifecycle`), stores their values and records their
events with `_apply` / `_record`; the caller emits the events after the commit.
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlite_utils

from queue_server import storage
from queue_server.domain import audit, clock, estimate, printing, privacy, review_feed
from queue_server.domain.access import Permission, Principal, require_any
from queue_server.domain.errors import NotFound
from queue_server.domain.estimate import HallPredictions
from queue_server.domain.events import EventType
from queue_server.domain.hall import HallSpec, QueueSpec, WindowSpec, parse_hall
from queue_server.domain.lifecycle import Step, Ticket, VisitChange
from queue_server.domain.privacy import Audience
from queue_server.domain.ratings import InvitationClosing
from queue_server.domain.tickets import TicketStatus
from queue_server.offload import Offload, call
from queue_server.services.estimates import ticket_prediction

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    """One committed entry of a hall's log, as it goes out to clients."""

    hall: str
    seq: int
    type: str
    at: str
    data: dict[str, Any]

    def payload(self) -> dict[str, Any]:
        return {"hall": self.hall, "seq": self.seq, "type": self.type, "at": self.at, **self.data}


@dataclass
class Hall:
    """A hall as the services see it: its stored id and its parsed configuration."""

    id: int
    revision: int
    spec: HallSpec
    windows: dict[int, WindowSpec] = field(init=False)
    zone_codes: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.windows = {w.number: w for w in self.spec.windows}
        self.zone_codes = tuple(z.code for z in self.spec.zones)

    def notice(self, stored: str | None) -> str:
        """The notice in force: the manager's (stored on the hall row), else the hall file's."""
        return stored if stored is not None else self.spec.notice

    def queue(self, code: str) -> QueueSpec:
        try:
            return self.spec.queue(code)
        except KeyError:
            raise NotFound(f"大厅中没有队列 {code!r}", field="queue") from None

    def queue_name(self, code: str) -> str:
        """The queue's name; a queue no longer in the hall file still reads as its code."""
        return self.spec.queue(code).name if self.spec.has_queue(code) else code

    def window(self, number: int) -> WindowSpec:
        if number not in self.windows:
            raise NotFound(f"大厅中没有 {number} 号窗口", field="window")
        return self.windows[number]

    def windows_serving(self, queue: str) -> list[int]:
        return [w.number for w in self.spec.windows if w.serves_queue(queue)]


@dataclass
class Tx:
    """One write transaction of one hall: the events it records go out after the commit."""

    db: sqlite_utils.Database
    hall: Hall
    now: datetime
    who: Principal | None
    day: str  # the hall's open service day
    events: list[Event] = field(default_factory=list)

    @property
    def at(self) -> str:
        return clock.iso(self.now)


class ServicesBase:
    """The store, the hall cache, and the helpers every use case shares.

    `publishes`: this process emits the events it records (a server). The command line
    does not: its events are marked for a server to relay (`take_relayed_events`).
    """

    def __init__(
        self,
        store: storage.Storage,
        id_secret: bytes,
        *,
        publishes: bool = True,
        idempotency_days: int = 2,
        feed_keep_days: int = 90,
        print_job_max_age: float = printing.DEFAULT_MAX_AGE,
        public_base_url: Callable[[], str] | None = None,
        feed_codes: review_feed.FeedCodes | None = None,
        offload: Offload = call,
        issue_figure_max_age: float = 1.0,
    ) -> None:
        self.store = store
        self._id_secret = id_secret
        self.publishes = publishes
        self.idempotency_days = idempotency_days
        self.feed_keep_days = feed_keep_days  # the outbox's delivered rows, purged at the day's rollover
        # printing (services/printing.py): how old a job may be and still print, and the
        # address phones reach the server at, for the QR code (the app asks the request)
        self.print_job_max_age = print_job_max_age
        self.public_base_url: Callable[[], str] = public_base_url or (lambda: "http://localhost")
        # the 好差评 feed (services/feed.py): the code tables a record's body is built with
        self.feed_codes = feed_codes or review_feed.FeedCodes()
        # a long read (a report over weeks of a hall) runs in a real thread: the hub, and
        # with it every call and screen, goes on meanwhile (offload.py)
        self.offload = offload
        self._halls: dict[str, Hall] = {}
        # each hall's last whole play (services/waits.py), and how old it may be and still
        # give a ticket just issued its figure (`_issued_figure`; 0: every issue plays)
        self._last_plays: dict[str, estimate.LastPlay] = {}
        self.issue_figure_max_age = issue_figure_max_age

    # ---- halls -------------------------------------------------------------------------

    def _hall(self, db: sqlite_utils.Database, code: str) -> Hall:
        """The hall, for the server's own use: whoever asks has been checked already."""
        row = storage.halls.by_code(db, code)
        if row is None:
            raise NotFound(f"没有编码为 {code!r} 的大厅", field="hall")
        return self._hall_of_row(row)

    def _hall_for(
        self, db: sqlite_utils.Database, code: str, principal: Principal | None, *permissions: Permission
    ) -> Hall:
        """The hall, for a caller who may use one of `permissions` in it. Who asks is
        checked before whether the hall exists (`access.require`): only those who see
        every hall learn that a code names none."""
        return self._hall_row_for(db, code, principal, *permissions)[1]

    def _hall_row_for(
        self, db: sqlite_utils.Database, code: str, principal: Principal | None, *permissions: Permission
    ) -> tuple[dict[str, Any], Hall]:
        """`_hall_for`, with the hall's row as read (its open service day, its pending file)."""
        row = storage.halls.by_code(db, code)
        require_any(principal, permissions, row["id"] if row else None)
        if row is None:
            raise NotFound(f"没有编码为 {code!r} 的大厅", field="hall")
        return row, self._hall_of_row(row)

    def visible_hall(self, principal: Principal | None, code: str, permission: Permission) -> Hall:
        with self.store.read() as db:
            return self._hall_for(db, code, principal, permission)

    def _hall_of_row(self, row: dict[str, Any]) -> Hall:
        cached = self._halls.get(row["code"])
        if cached is None or cached.revision != row["revision"] or cached.id != row["id"]:
            spec = parse_hall(tomllib.loads(row["config_toml"]))
            cached = Hall(id=row["id"], revision=row["revision"], spec=spec)
            self._halls[row["code"]] = cached
        return cached

    def cached_hall(self, code: str) -> Hall | None:
        """The hall as last read, without touching the store (for routing emits)."""
        return self._halls.get(code)

    def hall(self, code: str) -> Hall:
        with self.store.read() as db:
            return self._hall(db, code)

    # ---- the write transaction ---------------------------------------------------------

    @contextmanager
    def _writing(
        self, hall_code: str, now: datetime, principal: Principal | None, *permissions: Permission
    ) -> Iterator[Tx]:
        """A write transaction on one hall for a caller who may use one of `permissions`
        in it (the use case may check more), the service day closed first if it has ended."""
        with self.store.write() as db:
            row, hall = self._hall_row_for(db, hall_code, principal, *permissions)
            tx = Tx(db=db, hall=hall, now=now, who=principal, day="")
            self._ensure_day(tx, row)
            yield tx

    def _ensure_day(self, tx: Tx, row: dict[str, Any]) -> None:
        raise NotImplementedError  # DayUseCases

    def _invite_rating(self, tx: Tx, ticket: Ticket, window: int) -> None:
        raise NotImplementedError  # RatingUseCases

    def _close_pad_invitation(self, tx: Tx, window: int, reason: InvitationClosing) -> None:
        raise NotImplementedError  # RatingUseCases

    def _feed_rating(self, db: sqlite_utils.Database, record: Mapping[str, Any], at: str) -> int:
        raise NotImplementedError  # FeedUseCases

    def _open_review_case(self, tx: Tx, rating: dict[str, Any]) -> None:
        raise NotImplementedError  # ReviewCaseUseCases

    def _record(
        self,
        tx: Tx,
        type: str,
        data: dict[str, Any],
        *,
        ticket_id: int | None = None,
        window: int | None = None,
        reason: str | None = None,
        seq: int | None = None,
    ) -> Event:
        """Append one event to the hall's log, stamped with its service day and with who
        did it (the clerk or user, the device)."""
        data = {**data, "service_day": tx.day}
        who = tx.who
        seq = storage.halls.append_event(
            tx.db,
            tx.hall.id,
            at=tx.at,
            type=type,
            data=data,
            ticket_id=ticket_id,
            window=window,
            clerk_id=who.user_id if who else None,
            device_id=who.device_id if who else None,
            reason=reason,
            relay=not self.publishes,
            seq=seq,
        )
        event = Event(tx.hall.spec.code, seq, type, tx.at, data)
        tx.events.append(event)
        return event

    @staticmethod
    def _audit(
        tx: Tx, action: audit.AuditAction, *, target: str | int | None = None, detail: dict[str, Any] | None = None
    ) -> None:
        """Keep an administrator's or manager's action in the audit log, in its own
        transaction: it is there exactly when the action committed."""
        assert tx.who is not None  # every write checked who is asking
        storage.audit.record(
            tx.db, audit.entry(tx.who, tx.now, action, hall=tx.hall.spec.code, target=target, detail=detail)
        )

    def _apply(
        self,
        tx: Tx,
        step: Step,
        *,
        window: int | None = None,
        reason: str | None = None,
        extra: dict[str, Any] | None = None,
        window_view: bool = False,
        also_counts: tuple[str, ...] = (),
    ) -> Event:
        """Store what a transition produced, record its event, and keep the ticket's
        visits (its stays at windows) in step with it. `window_view`: the event carries
        the window's whole state after the step (status, clerk, ticket), not only its name.
        `also_counts`: other queues whose waiting counts the event carries (a transfer's
        queue of origin); every count is read after the step is stored."""
        ticket, db = step.ticket, tx.db
        if ticket is not None:
            storage.tickets.save(db, ticket)
        if step.window is not None:
            storage.windows.save(db, step.window, tx.at)
            window = step.window.number if window is None else window
        data: dict[str, Any] = {}
        if ticket is not None:
            data["ticket"] = self._ticket_brief(tx.hall, ticket)
            # every ticket event carries its queue's waiting count, so screens never re-read
            data["waiting"] = {
                queue: storage.tickets.waiting_count(db, tx.hall.id, queue) for queue in (ticket.queue, *also_counts)
            }
        if window is not None:
            data["window"] = (
                self._window_view(db, tx.hall, window) if window_view else self._window_brief(db, tx.hall, window)
            )
        if reason is not None:
            data["reason"] = reason
        if step.policy is not None:
            data["policy"] = step.policy
        data.update(extra or {})
        event = self._record(
            tx, step.event, data, ticket_id=ticket.id if ticket else None, window=window, reason=reason
        )
        if ticket is not None and step.visit is not None:
            self._visit(tx, step, ticket, event)
        return event

    def _visit(self, tx: Tx, step: Step, ticket: Ticket, event: Event) -> None:
        db, who = tx.db, tx.who
        if step.visit is VisitChange.OPENED:
            called = step.event is EventType.TICKET_CALLED
            storage.tickets.open_visit(
                db,
                ticket,
                at=tx.at,
                call_seq=event.seq if called else None,
                clerk_id=who.user_id if who else None,
                device_id=who.device_id if who else None,
                started=not called,
            )
        elif step.visit is VisitChange.RECALLED:
            storage.tickets.recall_visit(db, ticket.id, event.seq)
        elif step.visit is VisitChange.STARTED:
            storage.tickets.start_visit(db, ticket.id, tx.at)
        elif step.visit is VisitChange.ENDED and step.visit_end is not None:
            storage.tickets.end_visit(db, ticket.id, tx.at, step.visit_end, step.handling_seconds)

    # ---- views -------------------------------------------------------------------------

    def _window_brief(self, db: sqlite_utils.Database, hall: Hall, number: int) -> dict[str, Any]:
        spec = hall.windows.get(number)
        if spec is not None:
            return {"number": number, "name": spec.name, "zone": spec.zone}
        return {"number": number, "name": f"{number}号窗口", "zone": None}

    def _window_view(self, db: sqlite_utils.Database, hall: Hall, number: int) -> dict[str, Any]:
        row = storage.windows.view(db, hall.id, number)
        if row is None:
            raise NotFound(f"大厅中没有 {number} 号窗口", field="window")
        return {
            "number": number,
            "name": row["name"],
            "zone": row["zone"],
            "status": row["status"],
            "clerk": row["clerk_name"] if row["status"] != "closed" else None,
            "clerk_number": row["clerk_staff_number"] if row["status"] != "closed" else None,
            "ticket": row["ticket_number"],
            "ticket_id": row["ticket_id"],
            "ticket_ref": row["ticket_ref"],
            "ticket_status": row["ticket_status"],
        }

    @staticmethod
    def _ticket_brief(hall: Hall, ticket: Ticket) -> dict[str, Any]:
        """What a screen may show of a ticket: never the ID digest or the appointment. Public
        devices get it without `id` (`domain.privacy`)."""
        return {
            "id": ticket.id,
            "ref": ticket.ref,
            "number": ticket.number,
            "queue": ticket.queue,
            "queue_name": hall.queue_name(ticket.queue),
            "status": ticket.status.value,
            "priority": ticket.priority is not None,
            # staff only (domain.privacy): the managers' dashboard counts waits from these
            "issued_at": clock.iso(ticket.issued_at),
            "first_called_at": _iso(ticket.first_called_at),
        }

    def _load_ticket(self, db: sqlite_utils.Database, hall: Hall, ticket_id: int) -> Ticket:
        ticket = storage.tickets.load(db, ticket_id) if 0 < ticket_id < 2**63 else None
        if ticket is None or ticket.hall_id != hall.id:
            raise NotFound(f"没有编号为 {ticket_id} 的票", field="ticket_id")
        return ticket

    def _ticket_answer(
        self, db: sqlite_utils.Database, hall: Hall, ticket: Ticket, principal: Principal | None, now: datetime
    ) -> dict[str, Any]:
        """A ticket as `principal` may see it: whole for staff, its public part for a device."""
        return self._shaped_for(self._ticket_view(db, hall, ticket, now), principal)

    @staticmethod
    def _shaped_for(view: dict[str, Any], principal: Principal | None) -> dict[str, Any]:
        """A ticket's view (`_ticket_view`) as `principal` may see it."""
        return view if privacy.audience_of(principal) is Audience.STAFF else privacy.public_ticket_view(view)

    def _issued_figure(self, hall: Hall, ticket: Ticket, waiting_now: int, now: datetime) -> HallPredictions | None:
        """The figure of a ticket just issued at the end of its line, `waiting_now` waiting
        in its queue counting it, from the hall's last play if that is at most
        `issue_figure_max_age` seconds old (`estimate.between_plays`); its exact figure
        reaches its phone with the next play. None: play it now."""
        last = self._last_plays.get(hall.spec.code)
        if (
            last is None
            or ticket.status is not TicketStatus.WAITING
            or ticket.priority is not None
            or ticket.target_window is not None
            or ticket.appointment is not None
            or last.day != ticket.service_day
            # either way: a write that waited for its turn may be older than a play since
            or abs((now - last.at).total_seconds()) > self.issue_figure_max_age
            or self.issue_figure_max_age <= 0
        ):
            return None
        predicted = estimate.between_plays(last, ticket.queue, waiting_now, now)
        return None if predicted is None else HallPredictions(tickets={ticket.id: predicted}, new_ticket={})

    def _ticket_view(
        self,
        db: sqlite_utils.Database,
        hall: Hall,
        ticket: Ticket,
        now: datetime,
        predictions: HallPredictions | None = None,
    ) -> dict[str, Any]:
        """A ticket whole, as staff see it. While it waits: `people_ahead`, the tickets of
        its line expected to be called before it (priority ones included), and
        `estimated_wait_minutes`, from the hall's predictions as of `now`
        (`services.estimates`; pass `predictions` when viewing many tickets at once)."""
        view: dict[str, Any] = {
            "id": ticket.id,
            "ref": ticket.ref,
            "number": ticket.number,
            "service_day": ticket.service_day,
            "queue": ticket.queue,
            "queue_name": hall.queue_name(ticket.queue),
            "item": ticket.item,
            "bundle": ticket.bundle,
            "items": list(ticket.items),
            "appointment": ticket.appointment,
            "priority": ticket.priority.value if ticket.priority else None,
            "channel": ticket.channel.value,
            "status": ticket.status.value,
            "window": ticket.window,
            "target_window": ticket.target_window,
            "issued_at": clock.iso(ticket.issued_at),
            "first_called_at": _iso(ticket.first_called_at),
            "called_at": _iso(ticket.called_at),
            "started_at": _iso(ticket.started_at),
            "finished_at": _iso(ticket.finished_at),
            "handling_seconds": round(ticket.handling_seconds, 1),
            "outcome": ticket.outcome.value if ticket.outcome else None,
            "hall": {"code": hall.spec.code, "name": hall.spec.name},
        }
        if ticket.status is TicketStatus.WAITING and hall.spec.has_queue(ticket.queue):
            if predictions is not None and ticket.id in predictions.tickets:
                predicted = predictions.tickets[ticket.id]
            else:  # this ticket's windows only, until it is called: the same figure
                predicted = ticket_prediction(db, hall, ticket.id, ticket.service_day, now)
            view["people_ahead"] = predicted.ahead
            view["estimated_wait_minutes"] = estimate.whole_minutes(predicted)
        return view


def _iso(moment: datetime | None) -> str | None:
    return clock.iso(moment) if moment else None
