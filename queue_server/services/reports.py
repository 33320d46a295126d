"""Reports for the hall's managers (docs/reports.md): per day or month, per queue, item,
window and clerk; the clerks' attendance (日考勤) and their monthly review (月讲评).

Read only. A report's reads and shaping run off the server's event loop (`self.offload`,
a real thread under eventlet: `queue_server/offload.py`) and its SQL is counted by SQLite
(`storage.reports`), so a month of 100,000 tickets never holds up a call. Ratings are the
好差评 figures' own (`storage.review_cases.figure_counts`, `domain.review_cases.Counts`):
a report's 好评率 is the figures page's, numerator and denominator alike.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlite_utils

from queue_server import storage
from queue_server.domain import clock
from queue_server.domain import reports as rules
from queue_server.domain.access import Permission, Principal
from queue_server.domain.reports import COLUMNS, KIND_TITLES, LEVELS, Period, ReportKind, minutes
from queue_server.domain.review_cases import Counts
from queue_server.services.base import Hall, ServicesBase

NO_ITEM = "（未选事项）"
NO_CLERK = "（无办理人）"


def _instant(day: date, hall: Hall) -> str:
    """The UTC instant the hall's local `day` starts."""
    return clock.iso(datetime.combine(day, time(0), tzinfo=zoneinfo.ZoneInfo(hall.spec.timezone)).astimezone(UTC))


def _spread(row: dict[str, Any] | None, prefix: str) -> dict[str, Any]:
    if row is None:
        return {f"{prefix}_avg_minutes": None, f"{prefix}_p90_minutes": None}
    return {f"{prefix}_avg_minutes": minutes(row["average"]), f"{prefix}_p90_minutes": minutes(row["p90"])}


class _Ratings:
    """The 好差评 counts of one breakdown, by group key."""

    def __init__(self, db: sqlite_utils.Database, hall: Hall, period: Period, by: str) -> None:
        first, last = period.first.isoformat(), period.last.isoformat()
        self.counts = {
            row["key"]: Counts.of_row(row) for row in storage.review_cases.figure_counts(db, hall.id, first, last, by)
        }
        self.levels: dict[Any, dict[str, int]] = {}
        for row in storage.reports.level_counts(db, hall.id, first, last, by):
            self.levels.setdefault(row["key"], dict.fromkeys(LEVELS, 0))[row["level"]] = row["n"]

    def groups(self) -> set[Any]:
        return set(self.counts)

    def columns(self, key: Any) -> dict[str, Any]:
        counts = self.counts.get(key, Counts())
        figures = counts.figures()
        return {
            **self.levels.get(key, dict.fromkeys(LEVELS, 0)),
            "rated": counts.rated,
            "good": counts.good,
            "good_rate": figures["good_rate"]["rate"],
            "bad": counts.bad,
            "bad_rate": figures["bad_rate"]["rate"],
            "cases": counts.cases,
            "replied": counts.replied,
            "fixed": counts.fixed,
            "fixes_satisfied": counts.fixes_satisfied,
            "figures": {name: figures[name] for name in ("good_rate", "bad_rate", "reply_rate", "fix_rate")},
        }


class ReportUseCases(ServicesBase):
    def report(
        self, principal: Principal | None, hall_code: str, kind: ReportKind, period: Period, now: datetime
    ) -> dict[str, Any]:
        """One report of the hall over `period` (docs/reports.md): its columns with their
        Chinese headers, and one row per group."""
        with self.store.read() as db:
            hall = self._hall_for(db, hall_code, principal, Permission.VIEW_RATINGS)
            hall_row = storage.halls.by_id(db, hall.id)
            rows = self.offload(_build, db, hall, kind, period, now)  # a month of a big hall: off the hub
        return {
            "hall": hall.spec.code,
            "hall_name": hall_row["name"] if hall_row else hall.spec.code,
            "kind": kind.value,
            "title": KIND_TITLES[kind],
            "period": {
                "unit": period.unit,
                "label": period.label,
                "from": period.first.isoformat(),
                "to": period.last.isoformat(),
            },
            "generated_at": clock.iso(now),
            "columns": [{"key": c.key, "label": c.label} for c in COLUMNS[kind]],
            "rows": rows,
        }


def _build(
    db: sqlite_utils.Database, hall: Hall, kind: ReportKind, period: Period, now: datetime
) -> list[dict[str, Any]]:
    if kind in (ReportKind.QUEUES, ReportKind.ITEMS):
        return _ticket_rows(db, hall, kind, period)
    if kind in (ReportKind.WINDOWS, ReportKind.CLERKS):
        return _visit_rows(db, hall, kind, period)
    if kind is ReportKind.ATTENDANCE:
        return _attendance_rows(db, hall, period, now)
    return _review_rows(db, hall, period, now)


def _ticket_rows(db: sqlite_utils.Database, hall: Hall, kind: ReportKind, period: Period) -> list[dict[str, Any]]:
    by = "queue" if kind is ReportKind.QUEUES else "item"
    start, end = _instant(period.first, hall), _instant(period.last + timedelta(days=1), hall)
    found = storage.reports.ticket_figures(
        db, hall.id, period.first.isoformat(), period.last.isoformat(), by, start, end
    )
    ratings = _Ratings(db, hall, period, by)
    if by == "queue":
        names = {q.code: q.name for q in hall.spec.queues}
        keys: list[Any] = [q.code for q in hall.spec.queues]
    else:
        names = {i.code: i.name for i in hall.spec.items}
        keys = []
    seen = set(found["counts"]) | ratings.groups() | set(found["transferred"])
    keys += sorted((k for k in seen if k not in keys and k is not None), key=str)
    if None in seen:
        keys.append(None)
    rows = []
    for key in keys:
        counts = found["counts"].get(key, {"issued": 0, "served": 0, "no_shows": 0, "cancelled": 0})
        transferred = found["transferred"].get(key)
        rows.append(
            {
                "key": key,
                "name": names.get(key, key) if key is not None else NO_ITEM,
                "issued": counts["issued"],
                "served": counts["served"],
                "no_shows": counts["no_shows"],
                "cancelled": counts["cancelled"],
                "transferred": transferred["transferred"] if transferred else 0,
                **_spread(found["waits"].get(key), "wait"),
                **_spread(found["handling"].get(key), "handling"),
                **ratings.columns(key),
            }
        )
    return rows


def _visit_rows(db: sqlite_utils.Database, hall: Hall, kind: ReportKind, period: Period) -> list[dict[str, Any]]:
    by = "window" if kind is ReportKind.WINDOWS else "clerk"
    found = storage.reports.visit_figures(db, hall.id, period.first.isoformat(), period.last.isoformat(), by)
    ratings = _Ratings(db, hall, period, by)
    seen = set(found["counts"]) | ratings.groups()
    if by == "window":
        keys: list[Any] = [w.number for w in hall.spec.windows]
        keys += sorted(k for k in seen if k not in keys and k is not None)
        people: dict[int, dict[str, Any]] = {}
    else:
        people = storage.reports.people(db, sorted(k for k in seen if k is not None))
        keys = sorted(
            (k for k in seen if k is not None), key=lambda k: (people.get(k, {}).get("staff_number") or "", k)
        )
        if None in seen:
            keys.append(None)
    rows = []
    for key in keys:
        counts = found["counts"].get(key, {"called": 0, "served": 0, "no_shows": 0, "transferred": 0})
        if by == "window":
            spec = hall.windows.get(key)
            label: dict[str, Any] = {"key": key, "name": spec.name if spec is not None else f"{key}号窗口"}
        else:
            label = _clerk_label(people.get(key), key)
        rows.append(
            {
                **label,
                "called": counts["called"],
                "served": counts["served"],
                "no_shows": counts["no_shows"],
                "transferred": counts["transferred"],
                **_spread(found["waits"].get(key), "wait"),
                **_spread(found["handling"].get(key), "handling"),
                **ratings.columns(key),
            }
        )
    return rows


def _clerk_label(person: dict[str, Any] | None, clerk_id: int | None) -> dict[str, Any]:
    if person is None:
        return {"key": None, "clerk_id": clerk_id, "name": NO_CLERK}
    return {
        "key": person["staff_number"] or str(person["id"]),
        "clerk_id": person["id"],
        "name": person["display_name"],
    }


def _clerk_days(
    db: sqlite_utils.Database, hall: Hall, period: Period, now: datetime
) -> tuple[dict[tuple[int, date], rules.ClerkDay], dict[int, dict[str, Any]]]:
    start, end = _instant(period.first, hall), _instant(period.last + timedelta(days=1), hall)
    stays = storage.reports.sign_ins(db, hall.id, start, end)
    steps = storage.reports.window_steps(db, hall.id, start, None)  # a pause may outlast the period
    zone = zoneinfo.ZoneInfo(hall.spec.timezone)
    days = rules.attendance(
        [
            rules.SignIn(
                row["user_id"],
                row["window"],
                clock.parse_iso(row["opened_at"]),
                clock.parse_iso(row["closed_at"]) if row["closed_at"] else None,
            )
            for row in stays
        ],
        [rules.WindowStep(row["window"], clock.parse_iso(row["at"]), row["type"], row["reason"]) for row in steps],
        now,
        lambda moment: moment.astimezone(zone).date(),
    )
    people = {
        row["user_id"]: {"id": row["user_id"], "display_name": row["display_name"], "staff_number": row["staff_number"]}
        for row in stays
    }
    return days, people


def _local_time(moment: datetime | None, hall: Hall) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(zoneinfo.ZoneInfo(hall.spec.timezone)).strftime("%H:%M:%S")


def _attendance_rows(db: sqlite_utils.Database, hall: Hall, period: Period, now: datetime) -> list[dict[str, Any]]:
    days, people = _clerk_days(db, hall, period, now)
    rows = []
    for (clerk_id, day), record in sorted(
        days.items(), key=lambda item: (item[0][1], people[item[0][0]]["staff_number"] or "", item[0][0])
    ):
        rows.append(
            {
                "day": day.isoformat(),
                **_clerk_label(people[clerk_id], clerk_id),
                "windows": "、".join(str(n) for n in sorted(record.windows)),
                "first_sign_in": _local_time(record.first_sign_in, hall),
                "last_sign_out": None if record.signed_in_now else _local_time(record.last_sign_out, hall),
                "signed_in_now": record.signed_in_now,
                "on_window_minutes": minutes(record.on_window_seconds),
                "pauses": record.pauses,
                "pause_minutes": minutes(record.pause_seconds),
                "pause_reasons": rules.reasons_text(record.pause_reasons),
                "pause_details": [
                    {"reason": reason, "count": len(times), "minutes": minutes(sum(times))}
                    for reason, times in sorted(record.pause_reasons.items())
                ],
                "working_minutes": minutes(record.on_window_seconds - record.pause_seconds),
            }
        )
    return rows


def _review_rows(db: sqlite_utils.Database, hall: Hall, period: Period, now: datetime) -> list[dict[str, Any]]:
    """月讲评: per clerk who signed in or served in the period."""
    days, people = _clerk_days(db, hall, period, now)
    found = storage.reports.visit_figures(db, hall.id, period.first.isoformat(), period.last.isoformat(), "clerk")
    ratings = _Ratings(db, hall, period, "clerk")
    clerks = {clerk_id for clerk_id, _ in days} | {k for k in found["counts"] if k is not None}
    clerks |= {k for k in ratings.groups() if k is not None}
    people.update(storage.reports.people(db, sorted(clerks - set(people))))
    rows = []
    for clerk_id in sorted(clerks, key=lambda k: (people.get(k, {}).get("staff_number") or "", k)):
        mine = [record for (who, _), record in days.items() if who == clerk_id]
        reasons: dict[str, list[float]] = {}
        for record in mine:
            for reason, times in record.pause_reasons.items():
                reasons.setdefault(reason, []).extend(times)
        counts = found["counts"].get(clerk_id, {"served": 0})
        handling = found["handling"].get(clerk_id)
        rows.append(
            {
                **_clerk_label(people.get(clerk_id), clerk_id),
                "days_on_duty": len(mine),
                "on_window_minutes": minutes(sum(r.on_window_seconds for r in mine)),
                "served": counts["served"],
                "handling_avg_minutes": minutes(handling["average"]) if handling else None,
                **ratings.columns(clerk_id),
                "pauses": sum(r.pauses for r in mine),
                "pause_minutes": minutes(sum(r.pause_seconds for r in mine)),
                "pause_reasons": rules.reasons_text(reasons),
            }
        )
    return rows
