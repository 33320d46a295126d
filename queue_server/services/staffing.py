"""Staffing advice for managers: how many windows each queue needs now (docs/staffing.md).

For each queue of the hall, from today so far: arrivals per hour (the tickets first issued
to the queue today over the hours it has been issuing today), the average handling time
(today's finished visits; the queue's configured average until three have finished:
`domain.estimate.average_handling_minutes`), the windows serving it that are open now,
and the windows Erlang C (`domain.staffing`) says it needs for the target. Read only.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from queue_server import storage
from queue_server.domain import clock, estimate, staffing
from queue_server.domain.access import Permission, Principal
from queue_server.domain.hall import HallSpec, QueueSpec
from queue_server.services.base import ServicesBase

DEFAULT_TARGET_MINUTES, DEFAULT_SERVICE_LEVEL = 15.0, 0.8
MIN_HANDLING_MINUTES = 1 / 60  # visits finished in no time at all still take a second


def issuing_hours_so_far(queue: QueueSpec, spec: HallSpec, now: datetime) -> float:
    """Hours the queue has been issuing tickets today up to `now` (local day): for an
    always-open hall, the hours since local midnight."""
    moment = clock.local(now, spec)
    midnight = datetime.combine(moment.date(), datetime.min.time(), tzinfo=zoneinfo.ZoneInfo(spec.timezone))
    if spec.always_open:
        return (moment - midnight).total_seconds() / 3600
    seconds = 0.0
    for hours in clock.issuing_hours(queue, spec, moment.date()):
        start = midnight.replace(hour=hours.start.hour, minute=hours.start.minute, second=hours.start.second)
        end = midnight.replace(hour=hours.end.hour, minute=hours.end.minute, second=hours.end.second)
        if hours.end <= hours.start:  # runs to the end of the day
            end = midnight + timedelta(days=1)
        seconds += max(0.0, (min(end, moment) - start).total_seconds())
    return seconds / 3600


def _issued_today(db: sqlite_utils.Database, hall_id: int, day: str) -> dict[str, int]:
    rows = db.query(
        "SELECT origin_queue, count(*) AS issued FROM tickets WHERE hall_id = ? AND service_day = ? "
        "GROUP BY origin_queue",
        [hall_id, day],
    )
    return {row["origin_queue"]: row["issued"] for row in rows}


class StaffingUseCases(ServicesBase):
    def staffing_advice(
        self,
        principal: Principal | None,
        hall_code: str,
        now: datetime,
        target_minutes: float = DEFAULT_TARGET_MINUTES,
        service_level: float = DEFAULT_SERVICE_LEVEL,
    ) -> dict[str, Any]:
        """Per queue: today's arrivals and handling, the windows open for it, the windows
        needed to get `service_level` of citizens called within `target_minutes`."""
        with self.store.read() as db:
            hall = self._hall_for(db, hall_code, principal, Permission.VIEW_RATINGS)
            row = storage.halls.by_id(db, hall.id)
            assert row is not None
            spec = hall.spec
            day = row["service_day"] or clock.service_day(now, spec).isoformat()
            issued = self.offload(_issued_today, db, hall.id, day)  # a day's tickets: off the hub
            figures = storage.tickets.queue_days(db, hall.id, day)
            open_windows = {w["number"] for w in storage.windows.views(db, hall.id) if w["status"] == "open"}
        queues = []
        for queue in spec.queues:
            day_figures = figures.get(queue.code, {"served": 0, "handling_seconds": 0.0})
            handling = estimate.average_handling_minutes(
                day_figures["served"], day_figures["handling_seconds"], queue.avg_service_minutes
            )
            hours = issuing_hours_so_far(queue, spec, now)
            count = issued.get(queue.code, 0)
            arrivals = count / hours if hours > 0 else 0.0
            serving = [number for number in hall.windows_serving(queue.code) if number in open_windows]
            advice = staffing.advise(
                staffing.Demand(arrivals, max(handling, MIN_HANDLING_MINUTES)),
                len(serving),
                target_minutes,
                service_level,
            )
            queues.append(
                {
                    "code": queue.code,
                    "name": queue.name,
                    "issued": count,
                    "issuing_hours": round(hours, 4),
                    "arrivals_per_hour": round(arrivals, 4),
                    "finished": day_figures["served"],
                    "average_handling_minutes": round(handling, 4),
                    "handling_from_today": day_figures["served"] >= 3,
                    "load": round(arrivals * handling / 60, 4),
                    "windows_open": serving,
                    "windows_needed": advice.needed,
                    "difference": advice.difference,
                    "service_level": _rounded(advice.service_level),
                    "average_wait_minutes": _rounded(advice.average_wait_minutes),
                    "occupancy": _rounded(advice.occupancy),
                }
            )
        return {
            "hall": spec.code,
            "service_day": day,
            "now": clock.iso(now),
            "target_minutes": target_minutes,
            "service_level": service_level,
            "queues": queues,
        }


def _rounded(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None
