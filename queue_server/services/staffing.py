"""Staffing advice for managers: how many windows each queue needs now and for each of
the hall's next hours, and which windows could move where (docs/staffing.md).

For each queue of the hall: arrivals per hour forecast from today so far and the same
weekday's history (`domain.staffing_plan.forecast`), the average handling time of recent
finished visits (the queue's configured average until three have finished, as the
citizens' estimates do: `domain.estimate`), the open windows counted for it, and the
windows Erlang C (`domain.staffing`) says it needs for the target. Read only; the weeks of
history are read off the hub (`offload.py`).
"""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlite_utils

from queue_server import storage
from queue_server.domain import clock, estimate, staffing, staffing_plan
from queue_server.domain.access import Permission, Principal
from queue_server.domain.hall import HallSpec, QueueSpec, TimeRange
from queue_server.services.base import ServicesBase

MIN_HANDLING_MINUTES = 1 / 60  # visits finished in no time at all still take a second
RECENT_DAYS = 7  # handling time: the visits finished on the last seven service days, today included
MIN_FINISHED = 3  # fewer finished: the configured average (the rule of domain.estimate)
ALWAYS_OPEN_HOURS = 8  # an always-open hall never closes: the hour in progress and the seven after it


def _hour_of(minute: str, zone: zoneinfo.ZoneInfo) -> int:
    """The local hour of a UTC minute as stored (`2026-11-27T01:23`)."""
    return datetime.fromisoformat(minute + ":00+00:00").astimezone(zone).hour


def _arrivals(
    db: sqlite_utils.Database, hall_id: int, today: str, past: list[str], zone: zoneinfo.ZoneInfo
) -> tuple[dict[str, int], dict[str, dict[int, int]], int]:
    """Today's tickets per queue; the past days' tickets per queue and local hour, summed
    over the past days on which the hall issued any ticket; how many such days."""
    issued: dict[str, int] = {}
    history: dict[str, dict[int, int]] = {}
    days: set[str] = set()
    hours: dict[str, int] = {}
    for row in storage.tickets.arrivals_by_minute(db, hall_id, [today, *past]):
        queue = row["origin_queue"]
        if row["service_day"] == today:
            issued[queue] = issued.get(queue, 0) + row["issued"]
            continue
        days.add(row["service_day"])
        hour = hours.get(row["minute"])
        if hour is None:
            hour = hours[row["minute"]] = _hour_of(row["minute"], zone)
        by_hour = history.setdefault(queue, {})
        by_hour[hour] = by_hour.get(hour, 0) + row["issued"]
    return issued, history, len(days)


def _issuing_today(queue: QueueSpec, spec: HallSpec, moment: datetime) -> tuple[dict[int, float], dict[int, float]]:
    """Per local hour of `moment`'s day: the hours the queue issues in it, and of those
    the hours already past (an always-open hall issues every hour)."""
    if spec.always_open:
        ranges: tuple[TimeRange, ...] = (TimeRange(time(0), time(0)),)
    else:
        ranges = clock.issuing_hours(queue, spec, moment.date())
    issuing = {hour: staffing_plan.overlap_hours(ranges, hour) for hour in staffing_plan.HOURS}
    elapsed = {
        hour: issuing[hour] if hour < moment.hour else staffing_plan.overlap_hours(ranges, hour, moment.time())
        for hour in staffing_plan.HOURS
        if hour <= moment.hour
    }
    return issuing, elapsed


def _hours_ahead(spec: HallSpec, moment: datetime) -> list[int]:
    """The local hours from the one in progress to the hall's closing today (for an
    always-open hall, ALWAYS_OPEN_HOURS of them, to midnight at the latest)."""
    if spec.always_open:
        return list(range(moment.hour, min(24, moment.hour + ALWAYS_OPEN_HOURS)))
    opening = clock.opening_hours(spec, moment.date())
    return [hour for hour in range(moment.hour, 24) if staffing_plan.overlap_hours(opening, hour) > 0]


class StaffingUseCases(ServicesBase):
    def staffing_advice(
        self,
        principal: Principal | None,
        hall_code: str,
        now: datetime,
        target_minutes: float | None = None,
        service_level: float | None = None,
    ) -> dict[str, Any]:
        """Per queue: the forecast arrivals and recent handling, the windows open for it,
        the windows needed now and in each of the hall's next hours to get `service_level`
        of citizens called within `target_minutes` (the hall file's target when left out),
        and the windows that could move from a queue with some to spare to one short."""
        with self.store.read() as db:
            hall = self._hall_for(db, hall_code, principal, Permission.VIEW_RATINGS)
            row = storage.halls.by_id(db, hall.id)
            assert row is not None
            spec = hall.spec
            settings = spec.staffing
            day_text = row["service_day"] or clock.service_day(now, spec).isoformat()
            day = date.fromisoformat(day_text)
            past = [(day - timedelta(weeks=weeks)).isoformat() for weeks in range(1, settings.history_weeks + 1)]
            zone = zoneinfo.ZoneInfo(spec.timezone)
            # weeks of a big hall's tickets: off the hub (offload.py)
            issued, history, history_days = self.offload(_arrivals, db, hall.id, day_text, past, zone)
            recent = storage.tickets.handling_between(
                db, hall.id, (day - timedelta(days=RECENT_DAYS - 1)).isoformat(), day_text
            )
            figures = storage.tickets.queue_days(db, hall.id, day_text)
            views = {w["number"]: w for w in storage.windows.views(db, hall.id)}
        target = settings.target_minutes if target_minutes is None else target_minutes
        level = settings.service_level if service_level is None else service_level
        cap = settings.max_occupancy
        moment = clock.local(now, spec)
        ahead = _hours_ahead(spec, moment)
        open_numbers = {number for number, view in views.items() if view["status"] == "open"}
        counted = staffing_plan.assigned(spec.windows, open_numbers)
        queues = []
        needed_now: dict[str, int] = {}
        for queue in spec.queues:
            today = figures.get(queue.code, {"served": 0, "handling_seconds": 0.0})
            pooled = recent.get(queue.code, {"served": 0, "handling_seconds": 0.0})
            handling = estimate.average_handling_minutes(
                pooled["served"], pooled["handling_seconds"], queue.avg_service_minutes
            )
            handling = max(handling, MIN_HANDLING_MINUTES)
            issuing, elapsed = _issuing_today(queue, spec, moment)
            hours = sum(elapsed.values())
            count = issued.get(queue.code, 0)
            plan = staffing_plan.forecast(history.get(queue.code, {}), history_days, issuing, elapsed, count)
            expected = plan.rates[moment.hour]
            serving = [number for number in hall.windows_serving(queue.code) if number in open_numbers]
            mine = counted.get(queue.code, [])
            advice = staffing.advise(staffing.Demand(expected, handling), len(mine), target, level, cap)
            needed_now[queue.code] = advice.needed
            queues.append(
                {
                    "code": queue.code,
                    "name": queue.name,
                    "issued": count,
                    "issuing_hours": round(hours, 4),
                    "arrivals_per_hour": round(count / hours if hours > 0 else 0.0, 4),
                    "expected_arrivals_per_hour": round(expected, 4),
                    "forecast": {
                        "history_days": plan.history_days,
                        "from_history": plan.from_history,
                        "history_day_total": round(plan.history_today, 4),
                        "history_so_far": round(plan.history_so_far, 4),
                        "today_weight": round(plan.weight, 4),
                        "today_pace": _rounded(plan.pace),
                    },
                    "finished": today["served"],
                    "recent_finished": pooled["served"],
                    "average_handling_minutes": round(handling, 4),
                    "handling_from_recent": pooled["served"] >= MIN_FINISHED,
                    "load": round(expected * handling / 60, 4),
                    "windows_open": serving,
                    "windows_assigned": mine,
                    "windows_needed": advice.needed,
                    "difference": advice.difference,
                    "service_level": _rounded(advice.service_level),
                    "average_wait_minutes": _rounded(advice.average_wait_minutes),
                    "occupancy": _rounded(advice.occupancy),
                    "hours": [
                        {
                            "hour": f"{hour:02d}:00",
                            "arrivals_per_hour": round(plan.rates[hour], 4),
                            "windows_needed": staffing.windows_needed(
                                staffing.Demand(plan.rates[hour], handling), target, level, cap
                            ),
                        }
                        for hour in ahead
                    ],
                }
            )
        names = {queue.code: queue.name for queue in spec.queues}
        proposed = staffing_plan.moves(spec.windows, open_numbers, needed_now, [q.code for q in spec.queues])
        return {
            "hall": spec.code,
            "service_day": day_text,
            "now": clock.iso(now),
            "timezone": spec.timezone,
            "target_minutes": target,
            "service_level": level,
            "hall_target": {"target_minutes": settings.target_minutes, "service_level": settings.service_level},
            "max_occupancy": cap,
            "history_weeks": settings.history_weeks,
            "hours": [f"{hour:02d}:00" for hour in ahead],
            "queues": queues,
            "moves": [_move(move, views[move.window], names) for move in proposed],
        }


def _move(move: staffing_plan.Move, view: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    clerk = view["clerk_name"]
    who = f"（{clerk}）" if clerk else ""
    return {
        "window": move.window,
        "window_name": view["name"],
        "clerk": clerk,
        "from_queue": move.from_queue,
        "from_name": names[move.from_queue],
        "to_queue": move.to_queue,
        "to_name": names[move.to_queue],
        "text": f"把 {move.window} 号窗口{who}从 {names[move.from_queue]} 调到 {names[move.to_queue]}",
    }


def _rounded(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None
