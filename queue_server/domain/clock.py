"""Service days and opening hours in the hall's own time zone.

A service day runs from the hall's rollover time (03:00 by default) to the next one, so
a 24-hour hall's 01:00 ticket still belongs to the evening before, and numbering
restarts once a day at a quiet hour. Opening hours are read on the calendar date: the
weekly hours, less the hall's closed dates, plus its make-up working days (调休上班).
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, timedelta

from queue_server.domain.hall import WEEKDAYS, HallSpec, QueueSpec, TimeRange


def local(now: datetime, hall: HallSpec) -> datetime:
    """`now` (aware, any zone) in the hall's zone."""
    return now.astimezone(zoneinfo.ZoneInfo(hall.timezone))


def service_day(now: datetime, hall: HallSpec) -> date:
    """The service day `now` belongs to: the local date, until the rollover time."""
    moment = local(now, hall)
    shifted = moment - timedelta(hours=hall.rollover.hour, minutes=hall.rollover.minute)
    return shifted.date()


def day_starts(day: date, hall: HallSpec) -> datetime:
    """The instant service day `day` begins (its rollover), in UTC."""
    zone = zoneinfo.ZoneInfo(hall.timezone)
    return datetime.combine(day, hall.rollover, tzinfo=zone).astimezone(UTC)


def next_rollover(now: datetime, hall: HallSpec) -> datetime:
    """The first instant after `now` at which a new service day begins."""
    return day_starts(service_day(now, hall) + timedelta(days=1), hall)


def opening_hours(hall: HallSpec, day: date) -> tuple[TimeRange, ...]:
    """The hall's opening hours on calendar date `day`."""
    if day in hall.calendar.closed:
        return ()
    if day in hall.calendar.workdays:
        return hall.hours[hall.calendar.workday_hours]
    return hall.hours[WEEKDAYS[day.weekday()]]


def issuing_hours(queue: QueueSpec, hall: HallSpec, day: date) -> tuple[TimeRange, ...]:
    """When `queue` issues tickets on `day`: its own hours on days the hall opens."""
    if not opening_hours(hall, day):
        return ()
    return queue.issuing_hours if queue.issuing_hours is not None else opening_hours(hall, day)


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
