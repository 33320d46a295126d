"""The hall's wait predictions, read from the store (docs/estimates.md).

`hall_predictions` gathers what `domain.estimate.predict` plays forward — the waiting
tickets, the windows with their state, each queue's recent handling, the priority
streaks, the day's opening hours — in a few indexed queries inside the caller's
transaction, and returns every waiting ticket's figure and, per queue asked for, a
ticket taken now. The ticket views (`ServicesBase._ticket_view`), the catalogue and the
pushes to the phones (`EstimateUseCases.estimate_pushes`) all read it: one formula.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlite_utils

from queue_server import storage
from queue_server.domain import clock, estimate
from queue_server.domain.estimate import HallPredictions, WaitingTicket, WindowNow

if TYPE_CHECKING:
    from queue_server.services.base import Hall


def hall_predictions(
    db: sqlite_utils.Database,
    hall: Hall,
    day: str,
    now: datetime,
    *,
    new_ticket_queues: Iterable[str] = (),
    settings: estimate.Settings = estimate.DEFAULT_SETTINGS,
    lines: list[storage.Row] | None = None,
) -> HallPredictions:
    """Every waiting ticket's predicted wait in `hall` as of `now` (service day `day`);
    `lines`: the hall's `storage.tickets.waiting_lines` if the caller read them already
    in this transaction."""
    waiting, windows, handling, known = _inputs(db, hall, day, now, settings, lines)
    return estimate.predict(waiting, windows, handling, now, new_ticket_queues=new_ticket_queues, **known)


def ticket_prediction(
    db: sqlite_utils.Database,
    hall: Hall,
    ticket_id: int,
    day: str,
    now: datetime,
    *,
    settings: estimate.Settings = estimate.DEFAULT_SETTINGS,
) -> estimate.Prediction:
    """One waiting ticket's predicted wait, the same `hall_predictions` gives it, played
    only over the windows linked to its line and until it is called (`estimate.predict_ticket`)."""
    waiting, windows, handling, known = _inputs(db, hall, day, now, settings)
    return estimate.predict_ticket(ticket_id, waiting, windows, handling, now, **known)


def _inputs(
    db: sqlite_utils.Database,
    hall: Hall,
    day: str,
    now: datetime,
    settings: estimate.Settings,
    lines: list[storage.Row] | None = None,
) -> tuple[list[WaitingTicket], list[WindowNow], dict[str, float], dict[str, Any]]:
    """What a play reads: the waiting tickets (`lines`, or read here), the windows now,
    each queue's handling minutes, and the rest as keyword arguments of `estimate.predict`."""
    spec = hall.spec
    if lines is None:
        lines = storage.tickets.waiting_lines(db, hall.id)
    waiting = [WaitingTicket(r["id"], r["queue"], bool(r["priority"]), r["place"], r["target_window"]) for r in lines]
    recent = storage.tickets.recent_call_minutes(db, hall.id, day, settings.recent_services)
    handling = {
        q.code: estimate.handling_minutes(recent.get(q.code, []), q.avg_service_minutes, settings) for q in spec.queues
    }
    windows = [_window_now(hall, row) for row in storage.tickets.held_by_windows(db, hall.id)]
    days = storage.tickets.queue_days(db, hall.id, day)
    known: dict[str, Any] = {
        "streaks": {code: row["priority_streak"] for code, row in days.items()},
        "caps": {q.code: q.priority_max_in_row for q in spec.queues},
        "hours": opening_instants(hall, day),
        "arrivals": expected_arrivals(db, hall, day, now, settings),
        "settings": settings,
    }
    return waiting, [w for w in windows if w is not None], handling, known


def expected_arrivals(
    db: sqlite_utils.Database, hall: Hall, day: str, now: datetime, settings: estimate.Settings
) -> dict[str, estimate.Arrivals]:
    """Each queue issuing now: its tickets still to come at the rate of the last
    `arrivals_window_minutes` of its issuing hours (at least a quarter of an hour read),
    with today's share of priority tickets, until its issuing hours end."""
    spec = hall.spec
    moment = clock.local(now, spec)
    since = now - timedelta(minutes=settings.arrivals_window_minutes)
    issued = storage.tickets.issues_since(db, hall.id, day, clock.iso(since))
    found: dict[str, estimate.Arrivals] = {}
    for queue in spec.queues:
        recent, _, today, today_priority = issued.get(queue.code, (0, 0, 0, 0))
        if not recent or not clock.is_issuing(queue, spec, now):
            continue
        if spec.always_open:
            read, until = settings.arrivals_window_minutes, None
        else:
            ranges = [r for r in clock.issuing_hours(queue, spec, moment.date()) if r.contains(moment.time())]
            if not ranges:
                continue
            started = datetime.combine(moment.date(), ranges[0].start, tzinfo=moment.tzinfo)
            until = datetime.combine(moment.date(), ranges[0].end, tzinfo=moment.tzinfo)
            read = min(settings.arrivals_window_minutes, max((now - started).total_seconds() / 60, 15.0))
        found[queue.code] = estimate.Arrivals(recent / read, today_priority / today if today else 0.0, until)
    return found


def opening_instants(hall: Hall, day: str) -> list[tuple[datetime, datetime]] | None:
    """The service day's opening hours as UTC instants; None for a hall open at any hour."""
    spec = hall.spec
    if spec.always_open:
        return None
    on = date.fromisoformat(day)
    zone = zoneinfo.ZoneInfo(spec.timezone)
    return [
        (datetime.combine(on, r.start, tzinfo=zone), datetime.combine(on, r.end, tzinfo=zone))
        for r in clock.opening_hours(spec, on)
    ]


def _window_now(hall: Hall, row: dict[str, Any]) -> WindowNow | None:
    spec = hall.windows.get(row["number"])
    if spec is None:
        return None
    return WindowNow(
        number=row["number"],
        ranks={s.queue: s.rank for s in spec.serves},
        status=row["status"],
        since=clock.parse_iso(row["updated_at"]) if row["updated_at"] else None,
        busy_queue=row["busy_queue"],
        busy_since=clock.parse_iso(row["busy_since"]) if row["busy_since"] else None,
    )
