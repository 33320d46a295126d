"""Service days and opening hours in the hall's own time zone."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime

from queue_server.domain.hall import WEEKDAYS, HallSpec, QueueSpec, TimeRange


def local(now: datetime, hall: HallSpec) -> datetime:
    """`now` (aware, any zone) in the hall's zone."""
    return now.astimezone(zoneinfo.ZoneInfo(hall.timezone))


def service_day(now: datetime, hall: HallSpec) -> date:
    """The hall's calendar day at `now`: numbering restarts at local midnight."""
    return local(now, hall).date()


def issuing_hours(queue: QueueSpec, hall: HallSpec, day: date) -> tuple[TimeRange, ...]:
    """When `queue` issues tickets on `day`: its own hours on days the hall opens."""
    hall_hours = hall.hours[WEEKDAYS[day.weekday()]]
    if not hall_hours:
        return ()
    return queue.issuing_hours if queue.issuing_hours is not None else hall_hours


def is_issuing(queue: QueueSpec, hall: HallSpec, now: datetime) -> bool:
    if hall.always_open:
        return True
    moment = local(now, hall)
    return any(r.contains(moment.time()) for r in issuing_hours(queue, hall, moment.date()))


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """The one text form of an instant: UTC, milliseconds, `Z`."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
