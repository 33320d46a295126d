"""Ratings (好差评): the review pad's invitation opened when a window finishes a ticket,
one rating per ticket from the pad or the citizen's phone (never from staff), the
system's 基本满意 for tickets nobody rated in time, and the managers' list.

The rules are `domain.ratings`'. What goes to the pads (`rating_requested`,
`rating_closed`) is a `PadNotice`: not a hall event, never logged or replayed, sent to
the window's pad room only; a pad that (re)subscribes reads the open invitation afresh
(`pad_invitation`). A rating is logged as the hall event `rating_recorded`, for staff
only (`domain.privacy`).

`rating_record(db, rating_id)` is the record of the shared shape
(/work/notes/record-shape.md) that the 好差评 feed sends.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlite_utils

from queue_server import storage
from queue_server.domain import clock, ratings
from queue_server.domain.access import OPERATOR, Citizen, DeviceKind, Forbidden, Permission, Principal, require_any
from queue_server.domain.errors import InvalidInput, NotFound
from queue_server.domain.events import EventType
from queue_server.domain.lifecycle import Ticket
from queue_server.domain.ratings import Invitation, InvitationClosing, RatingChannel, RatingInput, RatingLevel
from queue_server.services.base import Event, Hall, ServicesBase, Tx

log = logging.getLogger(__name__)

RATING_REQUESTED = "rating_requested"
RATING_CLOSED = "rating_closed"
PAD_EVENTS = (RATING_REQUESTED, RATING_CLOSED)
DEFAULT_PAGE, MAX_PAGE = 50, 200


@dataclass(frozen=True)
class PadNotice(Event):
    """A message to one window's review pad(s), sent after the commit. Not a hall event:
    `seq` is 0 and it is neither logged nor replayed."""

    window: int = 0


@dataclass(frozen=True)
class RatingQuery:
    """A manager's filters on the hall's ratings; every one given must hold."""

    day_from: str | None = None
    day_to: str | None = None
    queues: tuple[str, ...] = ()
    window: int | None = None
    clerk: str | None = None  # the clerk's staff number (工号)
    levels: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    limit: int = DEFAULT_PAGE
    before: int | None = None  # from the cursor: ratings older than this one


def encode_cursor(rating_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps(["rating", rating_id]).encode()).decode().rstrip("=")


def decode_cursor(text: str) -> int:
    try:
        kind, rating_id = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, RecursionError):
        kind, rating_id = None, None
    if kind != "rating" or not isinstance(rating_id, int) or isinstance(rating_id, bool) or not 0 < rating_id < 2**63:
        raise InvalidInput("cursor 无效：请使用上一页答复中的 next_cursor，或去掉 cursor 从第一页开始", field="cursor")
    return rating_id


def rating_record(db: sqlite_utils.Database, rating_id: int) -> dict[str, Any]:
    """The rating `rating_id` in the shared record shape; `NotFound` if there is none."""
    row = storage.ratings.record(db, rating_id)
    if row is None:
        raise NotFound(f"没有编号为 {rating_id} 的评价", field="rating_id")
    return _record_of_row(row)


def _record_of_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "key": f"{row['hall']}-rating-{row['id']}",
        "hall": row["hall"],
        "ticket_ref": row["ticket_ref"],
        "ticket_number": row["ticket_number"],
        "service_day": row["service_day"],
        "queue": row["queue"],
        "items": json.loads(row["items"]),
        "window": row["window"],
        "clerk_number": row["clerk_number"],
        "channel": row["channel"],
        "level": row["level"],
        "reasons": json.loads(row["reasons"]),
        "text": row["text"],
        "system_default": bool(row["system_default"]),
        "issued_at": row["issued_at"],
        "called_at": row["called_at"],
        "started_at": row["started_at"],
        "finished_at": row["finished_at"],
        "rated_at": row["rated_at"],
        "wait_seconds": row["wait_seconds"],
        "handling_seconds": row["handling_seconds"],
    }


class RatingUseCases(ServicesBase):
    # ---- the pad's invitation, opened and closed by the window's own steps ----------

    def _invite_rating(self, tx: Tx, ticket: Ticket, window: int) -> None:
        """`finish_service` at `window`: open the rating of exactly this ticket on the
        window's review pad (closing whatever the pad still showed)."""
        self._close_pad_invitation(tx, window, InvitationClosing.NEXT_CALL)
        settings = tx.hall.spec.ratings
        invitation = storage.ratings.invite(
            tx.db, tx.hall.id, ticket.id, window, tx.now, ratings.closes_at(tx.now, settings)
        )
        data = self._invitation_view(tx.db, tx.hall, ticket, invitation)
        tx.events.append(PadNotice(tx.hall.spec.code, 0, RATING_REQUESTED, tx.at, data, window=window))

    def _close_pad_invitation(self, tx: Tx, window: int, reason: InvitationClosing) -> None:
        """The window took its next ticket (or a rating came): its pad's invitation, if
        one is open, closes."""
        invitation = storage.ratings.open_invitation(tx.db, tx.hall.id, window)
        if invitation is None or not storage.ratings.close_invitation(tx.db, invitation.id, tx.now, reason):
            return
        ticket = storage.tickets.load(tx.db, invitation.ticket_id)
        assert ticket is not None
        tx.events.append(self._closed_notice(tx.hall, ticket, window, reason, tx.at))

    def _closed_notice(self, hall: Hall, ticket: Ticket, window: int, reason: InvitationClosing, at: str) -> PadNotice:
        brief = {"ref": ticket.ref, "number": ticket.number}
        data = {"window": self._pad_window(hall, window), "ticket": brief, "reason": reason.value}
        return PadNotice(hall.spec.code, 0, RATING_CLOSED, at, data, window=window)

    def _invitation_view(
        self, db: sqlite_utils.Database, hall: Hall, ticket: Ticket, invitation: Invitation
    ) -> dict[str, Any]:
        """What `rating_requested` tells the pad: the ticket (never its ID data), the
        window, the clerk who finished it, the time it has, the levels and their reasons."""
        clerk = storage.people.user_by_id(db, ticket.clerk_id) if ticket.clerk_id is not None else None
        settings = hall.spec.ratings
        return {
            "window": self._pad_window(hall, invitation.window),
            "ticket": {
                "ref": ticket.ref,
                "number": ticket.number,
                "queue": ticket.queue,
                "queue_name": hall.queue_name(ticket.queue),
            },
            "clerk": {"name": clerk["display_name"], "staff_number": clerk["staff_number"]} if clerk else None,
            "opened_at": clock.iso(invitation.opened_at),
            "closes_at": clock.iso(invitation.closes_at),
            "timeout_seconds": settings.pad_timeout_seconds,
            "levels": settings.levels(),
        }

    @staticmethod
    def _pad_window(hall: Hall, number: int) -> dict[str, Any]:
        spec = hall.windows.get(number)
        return {"number": number, "name": spec.name if spec is not None else f"{number}号窗口"}

    def pad_invitation(self, principal: Principal, hall_code: str, now: datetime) -> dict[str, Any] | None:
        """The rating a review pad's window has open now (for its subscribe answer), as
        `rating_requested` carried it; None when there is none (or its time ran out)."""
        if principal.actor is not DeviceKind.REVIEW_PAD or principal.window is None:
            return None
        with self.store.read() as db:
            hall = self._hall_for(db, hall_code, principal, Permission.VIEW_HALL)
            invitation = storage.ratings.open_invitation(db, hall.id, principal.window)
            if invitation is None or now >= invitation.closes_at:
                return None
            ticket = storage.tickets.load(db, invitation.ticket_id)
            assert ticket is not None
            view = self._invitation_view(db, hall, ticket, invitation)
        return {"hall": hall.spec.code, "type": RATING_REQUESTED, "at": clock.iso(invitation.opened_at), **view}

    def close_timed_out_invitations(self, now: datetime) -> list[Event]:
        """The timer's work: every pad invitation whose time ran out closes (the ticket
        stays rateable from the phone). Each is closed by one process only."""
        with self.store.read() as db:
            due = storage.ratings.timed_out(db, now)
        notices: list[Event] = []
        for invitation, hall_code in due:
            with self.store.write() as db:
                if not storage.ratings.close_invitation(
                    db, invitation.id, invitation.closes_at, InvitationClosing.TIMEOUT
                ):
                    continue
                ticket = storage.tickets.load(db, invitation.ticket_id)
                hall = self._hall(db, hall_code)
            assert ticket is not None
            at = clock.iso(invitation.closes_at)
            notices.append(self._closed_notice(hall, ticket, invitation.window, InvitationClosing.TIMEOUT, at))
        return notices

    # ---- rating ----------------------------------------------------------------------

    def submit_rating(
        self,
        principal: Principal | None,
        hall_code: str,
        ticket_ref: str | None,
        level: RatingLevel,
        reasons: list[str],
        text: str | None,
        now: datetime,
    ) -> tuple[dict[str, Any], list[Event]]:
        """A citizen's rating, from the window's review pad (of the ticket its window has
        open for rating) or the ticket's own phone (once its service finished). Staff are
        refused whatever they send: they may invite a rating, never give one."""
        if principal is not None and (principal.is_staff or principal.operator):
            raise ratings.refuse_staff()
        with self._writing(hall_code, now, principal, Permission.RATE_SERVICE) as tx:
            who = require_any(principal, (Permission.RATE_SERVICE,), tx.hall.id)
            if who.actor is Citizen.TICKET:
                if ticket_ref is not None and ticket_ref != who.ticket_ref:
                    raise Forbidden("扫码页面只能评价本张票", field="ticket_ref")
                ticket_ref = who.ticket_ref
            if ticket_ref is None:
                raise InvalidInput(
                    "缺少字段 ticket_ref：要评价的票（rating_requested 中的 ticket.ref）", field="ticket_ref"
                )
            ticket = storage.tickets.by_ref(tx.db, ticket_ref)
            if ticket is None or ticket.hall_id != tx.hall.id:
                raise NotFound("大厅中没有这张票", field="ticket_ref")
            ratings.require_unrated(storage.ratings.of_ticket(tx.db, ticket.id) is not None, ticket.number)
            ratings.require_finished(ticket.status.value, ticket.number)
            if who.actor is DeviceKind.REVIEW_PAD:
                assert who.window is not None  # a review pad is registered with its window
                ratings.pad_may_rate(
                    storage.ratings.invitation_of_ticket(tx.db, ticket.id),
                    pad_window=who.window,
                    ticket_window=ticket.window,
                    number=ticket.number,
                    now=tx.now,
                )
                channel = RatingChannel.PAD
            else:
                channel = RatingChannel.PHONE
            choice = ratings.check_rating(level, reasons, text, tx.hall.spec.ratings)
            record = self._store_rating(tx, ticket, choice, channel)
            return _given(record), tx.events

    def give_default_ratings(self, now: datetime) -> list[Event]:
        """The timer's work: every ticket finished at a window `default_after_days` natural
        days ago and still unrated gets the system's 基本满意, flagged as such."""
        with self.store.read() as db:
            halls = [self._hall_of_row(row) for row in storage.halls.all_rows(db)]
            due = {
                hall.spec.code: storage.ratings.unrated_before(
                    db, hall.id, ratings.default_cutoff(now, hall.spec.ratings)
                )
                for hall in halls
            }
        events: list[Event] = []
        for hall_code, ticket_ids in due.items():
            if not ticket_ids:
                continue
            with self._writing(hall_code, now, OPERATOR) as tx:
                for ticket_id in ticket_ids:
                    if storage.ratings.of_ticket(tx.db, ticket_id) is not None:
                        continue  # rated meanwhile, by another process's round or a phone
                    ticket = storage.tickets.load(tx.db, ticket_id)
                    assert ticket is not None and ticket.finished_at is not None
                    if not ratings.default_due(ticket.finished_at, now, tx.hall.spec.ratings):
                        continue
                    choice = RatingInput(level=ratings.DEFAULT_LEVEL)
                    self._store_rating(tx, ticket, choice, RatingChannel.SYSTEM_DEFAULT)
                events += tx.events
        if events:
            log.info("system default ratings given: %d", sum(e.type == EventType.RATING_RECORDED for e in events))
        return events

    def _store_rating(self, tx: Tx, ticket: Ticket, choice: RatingInput, channel: RatingChannel) -> dict[str, Any]:
        """Keep the rating with the ticket's record as it stands, settle its invitation
        (closing it on the pad if still open), and log `rating_recorded`."""
        db = tx.db
        assert ticket.finished_at is not None and ticket.window is not None
        clerk = storage.people.user_by_id(db, ticket.clerk_id) if ticket.clerk_id is not None else None
        first_called = ticket.first_called_at
        wait = int((first_called - ticket.issued_at).total_seconds()) if first_called is not None else 0
        items = list(ticket.items) or ([ticket.item] if ticket.item else [])
        rating_id = storage.ratings.insert_rating(
            db,
            {
                "hall_id": tx.hall.id,
                "ticket_id": ticket.id,
                "service_day": ticket.service_day,
                "queue": ticket.queue,
                "items": items,
                "window": ticket.window,
                "clerk_id": ticket.clerk_id,
                "clerk_number": clerk["staff_number"] if clerk else None,
                "channel": channel.value,
                "level": choice.level.value,
                "reasons": list(choice.reasons),
                "text": choice.text,
                "system_default": channel is RatingChannel.SYSTEM_DEFAULT,
                "device_id": tx.who.device_id if tx.who is not None else None,
                "issued_at": clock.iso(ticket.issued_at),
                "called_at": clock.iso(first_called) if first_called is not None else None,
                "started_at": storage.ratings.first_started_at(db, ticket.id),
                "finished_at": clock.iso(ticket.finished_at),
                "rated_at": tx.at,
                "wait_seconds": max(0, wait),
                "handling_seconds": max(0, round(ticket.handling_seconds)),
            },
        )
        storage.ratings.settle_invitation(db, ticket.id, rating_id)
        invitation = storage.ratings.invitation_of_ticket(db, ticket.id)
        if invitation is not None and invitation.open:
            self._close_pad_invitation(tx, invitation.window, InvitationClosing.RATED)
        record = rating_record(db, rating_id)
        self._record(
            tx,
            EventType.RATING_RECORDED,
            {"rating": record, "window": self._window_brief(db, tx.hall, ticket.window)},
            ticket_id=ticket.id,
            window=ticket.window,
        )
        return record

    # ---- reading ---------------------------------------------------------------------

    def ratings(self, principal: Principal | None, hall_code: str, query: RatingQuery) -> dict[str, Any]:
        """One page of the hall's ratings, newest first, in the shared record shape."""
        with self.store.read() as db:
            hall = self._hall_for(db, hall_code, principal, Permission.VIEW_RATINGS)
            for code in query.queues:
                if not hall.spec.has_queue(code):
                    known = "、".join(q.code for q in hall.spec.queues)
                    raise InvalidInput(f"大厅中没有队列 {code!r}：可用的有 {known}", field="queue")
            if query.window is not None and not hall.spec.has_window(query.window):
                raise InvalidInput(f"大厅中没有 {query.window} 号窗口", field="window")
            rows = storage.ratings.listed(
                db,
                hall.id,
                day_from=query.day_from,
                day_to=query.day_to,
                queues=query.queues,
                window=query.window,
                clerk_number=query.clerk,
                levels=query.levels,
                channels=query.channels,
                before=query.before,
                limit=query.limit + 1,
            )
        page = rows[: query.limit]
        more = len(rows) > query.limit
        return {
            "ratings": [_record_of_row(row) for row in page],
            "next_cursor": encode_cursor(page[-1]["id"]) if more else None,
        }

    def rating_of(self, rating_id: int) -> dict[str, Any]:
        """The record of one rating (the feed's, and the tests')."""
        with self.store.read() as db:
            return rating_record(db, rating_id)


def _given(record: dict[str, Any]) -> dict[str, Any]:
    """What the rater is told: the rating as they gave it (no clerk, times or keys)."""
    level = RatingLevel(record["level"])
    return {
        "ticket_number": record["ticket_number"],
        "level": level.value,
        "label": level.label,
        "reasons": record["reasons"],
        "text": record["text"],
        "channel": record["channel"],
        "rated_at": record["rated_at"],
    }
