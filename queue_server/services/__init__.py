"""Use cases: each joins the rules and the store in one transaction.

Every use case takes the caller (`Principal`) and `now`, checks who is asking, does its
work inside one `Storage.write()` transaction, appends its transitions to the hall's
event log, and returns `(result, events)`. The caller emits the events only after this
returned, that is after the commit. The use cases are grouped by what they act on, one
module each; `Services` is all of them over one store.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from queue_server.services.base import Event, EventType, Hall
from queue_server.services.halls import HallUseCases
from queue_server.services.screens import ScreenUseCases
from queue_server.services.tickets import IssueRequest, TicketUseCases
from queue_server.services.windows import WindowUseCases

__all__ = ["Event", "EventType", "Hall", "IssueRequest", "Services", "sweep_all"]


class Services(HallUseCases, TicketUseCases, WindowUseCases, ScreenUseCases):
    """Every use case over one store. Holds only caches that the store can rebuild."""


def sweep_all(services: Services, halls: Sequence[str], now: datetime) -> list[Event]:
    """The scheduled end-of-day job: every hall, earlier days only."""
    events: list[Event] = []
    for code in halls:
        events.extend(services.sweep(None, code, now)[1])
    return events
