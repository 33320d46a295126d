"""The citizen's phone: a ticket read by its public reference, and the principal that
reference makes for the phone's socket (docs/phone.md).

The reference is the credential. Its form is checked before the store is touched; a
reference that names no ticket and one that is not a reference at all get the same answer
(`TicketNotFound`). A ticket older than `keep_days` service days is no longer shown
(`TicketExpired`). What the phone reads is listed in `domain.privacy.PROGRESS_VIEW`:
the ticket's public part, worded for a citizen. The throttle in front of these use cases
is the door's (`queue_server.phone`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlite_utils

from queue_server import storage
from queue_server.domain import clock, privacy
from queue_server.domain.access import Citizen, Permission, Principal
from queue_server.domain.estimate import HallPredictions
from queue_server.domain.lifecycle import Ticket, VisitEnd
from queue_server.domain.phone import NOT_FOUND_DETAIL, TicketExpired, TicketNotFound, days_between, is_ticket_ref
from queue_server.domain.ratings import RatingLevel
from queue_server.domain.tickets import HELD_STATUSES, TicketStatus
from queue_server.services.base import Hall, ServicesBase
from queue_server.services.estimates import hall_predictions

CITIZEN_NAME = "市民"


class PhoneUseCases(ServicesBase):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # per hall: the last predictions a phone's read played, and what they were played for
        self._phone_predictions: dict[int, tuple[tuple[Any, ...], HallPredictions]] = {}

    def citizen_principal(self, ref: str, now: datetime, keep_days: int) -> Principal | None:
        """Who a phone holding `ref` is: a citizen of the ticket's hall, following that
        ticket; None when `ref` names no ticket still shown."""
        try:
            with self.store.read() as db:
                hall, ticket, _ = self._followed(db, ref, now, keep_days)
        except TicketNotFound:
            return None
        return Principal(actor=Citizen.TICKET, name=CITIZEN_NAME, hall_id=hall.id, ticket_ref=ticket.ref)

    def ticket_progress(self, ref: str, now: datetime, keep_days: int) -> dict[str, Any]:
        """Where the ticket `ref` stands, as its citizen's phone shows it, with `seq`: the
        hall's last event number at the moment it was read (read together, in one
        transaction), so the phone knows which live events it already reflects."""
        with self.store.read() as db:
            hall, ticket, hall_row = self._followed(db, ref, now, keep_days)
            return self._progress(db, hall, hall_row, ticket, now)

    def followed_hall(self, principal: Principal | None, hall_code: str) -> Hall:
        """The hall whose citizen stream `principal` may follow: its ticket's own, checked
        before whether `hall_code` names any hall."""
        with self.store.read() as db:
            return self._hall_for(db, hall_code, principal, Permission.FOLLOW_TICKET)

    # ---- inside ----------------------------------------------------------------------

    def _followed(
        self, db: sqlite_utils.Database, ref: str, now: datetime, keep_days: int
    ) -> tuple[Hall, Ticket, dict[str, Any]]:
        if not is_ticket_ref(ref):
            raise TicketNotFound(NOT_FOUND_DETAIL)
        ticket = storage.tickets.by_ref(db, ref)
        if ticket is None:
            raise TicketNotFound(NOT_FOUND_DETAIL)
        hall_row = storage.halls.by_id(db, ticket.hall_id)
        assert hall_row is not None  # a ticket's hall stays (foreign key)
        hall = self._hall_of_row(hall_row)
        if days_between(ticket.service_day, self._today(hall, hall_row, now)) > keep_days:
            raise TicketExpired(
                f"这张票是 {ticket.service_day} 的，已超过 {keep_days} 天，不再显示：如需办理，请到导办台重新取号"
            )
        return hall, ticket, hall_row

    @staticmethod
    def _today(hall: Hall, hall_row: dict[str, Any], now: datetime) -> str:
        """The hall's service day: the one it has open, or a later one its clock has reached
        before the server closed the old one."""
        by_clock = clock.service_day(now, hall.spec).isoformat()
        return max(hall_row["service_day"] or by_clock, by_clock)

    def _progress(
        self, db: sqlite_utils.Database, hall: Hall, hall_row: dict[str, Any], ticket: Ticket, now: datetime
    ) -> dict[str, Any]:
        predictions = (
            self._shared_predictions(db, hall, hall_row, ticket, now) if ticket.status is TicketStatus.WAITING else None
        )
        public = privacy.public_ticket_view(self._ticket_view(db, hall, ticket, now, predictions))
        past_day = ticket.service_day < self._today(hall, hall_row, now)
        status = ticket.status
        visits = storage.tickets.visits_of(db, ticket.id)
        last = visits[-1] if visits else None
        ending = last["ending"] if last else None
        waiting = status is TicketStatus.WAITING
        view: dict[str, Any] = {
            "hall": public["hall"],
            "number": public["number"],
            "service_day": public["service_day"],
            "past_day": past_day,
            "queue": public["queue"],
            "queue_name": public["queue_name"],
            "item": _named(hall.spec.items, ticket.item),
            "bundle": _named(hall.spec.bundles, ticket.bundle),
            "status": status.value,
            # where it is called, served or suspended, or was (done, no-show)
            "window": None if waiting else self._window_named(db, hall, ticket.window),
            "clerk": self._clerk(db, hall, ticket),
            "target_window": self._window_named(db, hall, ticket.target_window) if waiting else None,
            "recalled": status is TicketStatus.CALLED and last is not None and last["calls"] > 1,
            "transferred": waiting and ending == VisitEnd.TRANSFERRED.value,
            "requeued": waiting and ending == VisitEnd.NO_SHOW.value,
            "issued_at": public["issued_at"],
            "called_at": public["called_at"],
            "finished_at": public["finished_at"],
            "rating": _rating_of(db, hall, ticket),
            "seq": hall_row["last_seq"],
        }
        if "people_ahead" in public and not past_day:
            view["people_ahead"] = public["people_ahead"]
            view["estimated_wait_minutes"] = public["estimated_wait_minutes"]
        return privacy.progress_view(view)

    def _shared_predictions(
        self, db: sqlite_utils.Database, hall: Hall, hall_row: dict[str, Any], ticket: Ticket, now: datetime
    ) -> HallPredictions:
        """The hall's predictions as of its last event, shared by the phones that read
        within the same half minute: an event makes every phone of its line read at once,
        and one play serves them all. Read-only transactions only (committed state: the
        hall's `last_seq` names it)."""
        key = (hall.id, hall.revision, hall_row["last_seq"], ticket.service_day, int(now.timestamp() // 30))
        cached = self._phone_predictions.get(hall.id)
        if cached is not None and cached[0] == key:
            return cached[1]
        predictions = hall_predictions(db, hall, ticket.service_day, now)
        self._phone_predictions[hall.id] = (key, predictions)
        return predictions

    def _window_named(self, db: sqlite_utils.Database, hall: Hall, number: int | None) -> dict[str, Any] | None:
        if number is None:
            return None
        brief = self._window_brief(db, hall, number)
        return {"number": brief["number"], "name": brief["name"]}

    @staticmethod
    def _clerk(db: sqlite_utils.Database, hall: Hall, ticket: Ticket) -> str | None:
        """The clerk at the window holding the ticket, where the hall file shows names."""
        if not hall.spec.show_clerk_names or ticket.status not in HELD_STATUSES or ticket.window is None:
            return None
        row = storage.windows.view(db, hall.id, ticket.window)
        if row is None or row["ticket_id"] != ticket.id:
            return None
        name: str | None = row["clerk_name"]
        return name


def _rating_of(db: sqlite_utils.Database, hall: Hall, ticket: Ticket) -> dict[str, Any] | None:
    """The 好差评 part of a finished ticket's progress (None before its service finished):
    the rating it has, whoever gave it (level and channel only: neither the clerk's nor
    anybody's words), else the levels and reasons the phone may offer."""
    if ticket.status is not TicketStatus.DONE:
        return None
    row = storage.ratings.of_ticket(db, ticket.id)
    if row is None:
        return {"given": None, "levels": hall.spec.ratings.levels()}
    level = RatingLevel(row["level"])
    given = {"level": level.value, "label": level.label, "channel": row["channel"], "rated_at": row["rated_at"]}
    return {"given": given, "levels": []}


def _named(specs: Any, code: str | None) -> dict[str, str] | None:
    """An item or bundle as `{code, name}`; one no longer in the hall file by its code."""
    if code is None:
        return None
    found = next((spec for spec in specs if spec.code == code), None)
    return {"code": code, "name": found.name if found is not None else code}
