"""Which wait figures to push, after a write or as time passes (docs/estimates.md).

`wait_pushes` plays the hall forward once (`services.estimates.hall_predictions`) and
returns the figures that changed since this process last pushed them: each waiting
ticket's own (people ahead, minutes), for that ticket's phone alone, and each queue's
figure for a ticket taken now, for the kiosks and desks. What was pushed is this
process's memory only; another process pushing the same figure again costs a message,
never a wrong one.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from queue_server import storage
from queue_server.domain import clock, estimate
from queue_server.services.base import ServicesBase
from queue_server.services.estimates import hall_predictions


@dataclass(frozen=True)
class TicketWait:
    """A waiting ticket's new figures, for its own phone (addressed by its reference,
    which never leaves the server in this message)."""

    ref: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class WaitPushes:
    hall: str
    tickets: list[TicketWait] = field(default_factory=list)
    queues: dict[str, Any] | None = None  # the hall's new-ticket figures, when they changed


class WaitUseCases(ServicesBase):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # what this process last pushed, per hall: each ticket's (ahead, minutes), each queue's minutes
        self._pushed_waits: dict[str, dict[int, tuple[int, int]]] = {}
        self._pushed_queue_waits: dict[str, dict[str, int]] = {}

    def wait_pushes(self, hall_code: str, now: datetime) -> WaitPushes:
        """The wait figures of `hall_code` that changed since this process last pushed
        them (the server's own use: nobody asks, nothing is written)."""
        with self.store.read() as db:
            hall = self._hall(db, hall_code)
            row = storage.halls.by_id(db, hall.id)
            assert row is not None
            day = row["service_day"] or clock.service_day(now, hall.spec).isoformat()
            rows = storage.tickets.waiting_lines(db, hall.id)
            codes = [q.code for q in hall.spec.queues]
            predicted = hall_predictions(db, hall, day, now, new_ticket_queues=codes, lines=rows)
        lines = {r["id"]: r for r in rows}
        before = self._pushed_waits.get(hall_code, {})
        now_figures = {
            ticket_id: (p.ahead, estimate.whole_minutes(p))
            for ticket_id, p in predicted.tickets.items()
            if ticket_id in lines
        }
        at = clock.iso(now)
        tickets = [
            TicketWait(
                ref=lines[ticket_id]["ref"],
                payload={
                    "hall": hall_code,
                    "number": lines[ticket_id]["number"],
                    "service_day": lines[ticket_id]["service_day"],
                    "people_ahead": ahead,
                    "estimated_wait_minutes": minutes,
                    "at": at,
                },
            )
            for ticket_id, (ahead, minutes) in now_figures.items()
            if before.get(ticket_id) != (ahead, minutes)
        ]
        self._pushed_waits[hall_code] = now_figures
        queue_figures = {code: estimate.whole_minutes(p) for code, p in predicted.new_ticket.items()}
        changed = queue_figures != self._pushed_queue_waits.get(hall_code)
        self._pushed_queue_waits[hall_code] = queue_figures
        in_line = Counter(str(r["queue"]) for r in lines.values())
        self._last_plays[hall_code] = estimate.LastPlay(day, now, predicted.new_ticket, predicted.pace, in_line)
        queues = {"hall": hall_code, "service_day": day, "queues": queue_figures, "at": at} if changed else None
        return WaitPushes(hall=hall_code, tickets=tickets, queues=queues)

    def hall_codes(self) -> list[str]:
        """Every hall's code (the timer's round of wait figures)."""
        with self.store.read() as db:
            return [row["code"] for row in storage.halls.all_rows(db)]
