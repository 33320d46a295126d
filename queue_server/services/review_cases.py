"""差评整改 and the 好差评 figures (docs/review-cases.md).

A 差评 from a citizen opens its case inside the rating's own transaction
(`_open_review_case`, called by `RatingUseCases._store_rating`), with its contact and fix
deadlines counted on the hall's calendar (`domain.review_cases`). The hall's managers then
record each step, one use case each: checked (`HANDLE_REVIEW_CASES`, the case's own hall),
kept in the audit log with the step, and logged as the staff-only hall event
`review_case_updated` (`review_case_opened` for the opening), so a dashboard follows live.
The events carry the case's brief only (state, deadlines, where and whom it concerns):
the citizen's words and the managers' notes stay in the case, read by managers and
administrators (`GET …/review-cases`), not in a log every member of staff replays.

The figures are counted from the records (`storage.review_cases.figure_rows`) by
`domain.review_cases.Counts`.
"""

from __future__ import annotations

import json
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlite_utils

from queue_server import storage
from queue_server.domain import clock, review_cases
from queue_server.domain.access import Permission, Principal
from queue_server.domain.audit import AuditAction
from queue_server.domain.errors import InvalidInput, NotFound
from queue_server.domain.events import EventType
from queue_server.domain.review_cases import Breakdown, CaseAction, Counts, ReviewCase
from queue_server.services.base import Event, Hall, ServicesBase, Tx

MAX_FIGURE_DAYS = 366  # a figures' period: at most a year of service days
DEFAULT_CASES, MAX_CASES = 200, 1000  # cases listed at once: by default, at most

AUDITED: dict[CaseAction, AuditAction] = {
    CaseAction.CONTACT: AuditAction.REVIEW_CASE_CONTACTED,
    CaseAction.REPLY: AuditAction.REVIEW_CASE_REPLIED,
    CaseAction.CONFIRM: AuditAction.REVIEW_CASE_CONFIRMED,
    CaseAction.APPEAL: AuditAction.REVIEW_CASE_APPEALED,
    CaseAction.DECIDE_APPEAL: AuditAction.REVIEW_CASE_APPEAL_DECIDED,
    CaseAction.CLOSE: AuditAction.REVIEW_CASE_CLOSED,
}
HISTORY_ACTIONS = {audited.value: action.value for action, audited in AUDITED.items()}


@dataclass(frozen=True)
class CaseQuery:
    """A manager's filters on the hall's cases; every one given must hold."""

    states: tuple[str, ...] = ()
    overdue: bool | None = None
    opened_from: date | None = None  # local calendar dates in the hall's zone, inclusive
    opened_to: date | None = None
    limit: int = DEFAULT_CASES  # the first this many, in the list's order


def _iso(moment: datetime | None) -> str | None:
    return clock.iso(moment) if moment is not None else None


def _deadlines(case: ReviewCase, now: datetime) -> dict[str, Any]:
    return {
        name: {
            "due": _iso(status.due),
            "done_at": _iso(status.done_at),
            "overdue": status.overdue,
            "late": status.late,
        }
        for name, status in review_cases.deadline_statuses(case, now).items()
    }


def _brief(hall: Hall, row: dict[str, Any], case: ReviewCase, now: datetime) -> dict[str, Any]:
    """What every view of a case carries, the events' included: no one's words."""
    return {
        "id": case.id,
        "hall": hall.spec.code,
        "rating_id": case.rating_id,
        "ticket_number": row["ticket_number"],
        "service_day": row["service_day"],
        "queue": row["queue"],
        "window": row["window"],
        "clerk_number": row["clerk_number"],
        "level": row["level"],
        "channel": row["channel"],
        "state": case.state.value,
        "appeal_state": case.appeal_state.value if case.appeal_state else None,
        "opened_at": clock.iso(case.opened_at),
        "closed_at": _iso(case.closed_at),
        "overdue": review_cases.is_overdue(case, now),
        "deadlines": _deadlines(case, now),
    }


def _view(hall: Hall, row: dict[str, Any], case: ReviewCase, now: datetime) -> dict[str, Any]:
    """A case as managers read it: the brief, the rating's words, every record."""
    return {
        **_brief(hall, row, case, now),
        "ticket_ref": row["ticket_ref"],
        "clerk": {"id": row["clerk_id"], "name": row["clerk_name"], "staff_number": row["clerk_number"]}
        if row["clerk_id"] is not None
        else None,
        "reasons": json.loads(row["reasons"]),
        "text": row["text"],
        "rated_at": row["rated_at"],
        "contact": {"at": clock.iso(case.contacted_at), "note": case.contact_note} if case.contacted_at else None,
        "reply": {"at": clock.iso(case.replied_at), "reply": case.reply, "fix": case.fix} if case.replied_at else None,
        "confirmation": {"at": clock.iso(case.confirmed_at), "satisfied": case.satisfied}
        if case.confirmed_at
        else None,
        "appeal": {
            "state": case.appeal_state.value,
            "filed_at": _iso(case.appealed_at),
            "reason": case.appeal_reason,
            "decided_at": _iso(case.appeal_decided_at),
            "note": case.appeal_note,
        }
        if case.appeal_state
        else None,
        "close_note": case.close_note,
    }


def _local_day_start(day: date, hall: Hall) -> str:
    return clock.iso(datetime.combine(day, time(0), tzinfo=zoneinfo.ZoneInfo(hall.spec.timezone)).astimezone(UTC))


class ReviewCaseUseCases(ServicesBase):
    # ---- opening, in the rating's transaction ------------------------------------------

    def _open_review_case(self, tx: Tx, rating: dict[str, Any]) -> None:
        """A citizen's 差评 was just stored: open its case, deadlines on the hall's calendar."""
        spec = tx.hall.spec
        case = review_cases.open_case(rating["id"], tx.hall.id, tx.now, spec.review_cases, spec.calendar, spec.timezone)
        case_id = storage.review_cases.insert_case(tx.db, case)
        row = storage.review_cases.row(tx.db, case_id)
        assert row is not None
        stored = storage.review_cases.case_of_row(row)
        self._record(
            tx,
            EventType.REVIEW_CASE_OPENED,
            {"case": _brief(tx.hall, row, stored, tx.now)},
            ticket_id=row["ticket_id"],
            window=row["window"],
        )

    # ---- the managers' records -----------------------------------------------------------

    def _act(
        self,
        principal: Principal | None,
        hall_code: str,
        case_id: int,
        now: datetime,
        action: CaseAction,
        change: Callable[[Tx, ReviewCase], ReviewCase],
        detail: dict[str, Any],
    ) -> tuple[dict[str, Any], list[Event]]:
        with self._writing(hall_code, now, principal, Permission.HANDLE_REVIEW_CASES) as tx:
            row = storage.review_cases.row(tx.db, case_id) if 0 < case_id < 2**63 else None
            if row is None or row["hall_id"] != tx.hall.id:
                raise NotFound(f"大厅中没有编号为 {case_id} 的整改工单", field="case_id")
            case = change(tx, storage.review_cases.case_of_row(row))
            storage.review_cases.save(tx.db, case)
            self._audit(tx, AUDITED[action], target=case.id, detail=detail)
            brief = _brief(tx.hall, row, case, tx.now)
            self._record(
                tx,
                EventType.REVIEW_CASE_UPDATED,
                {"case": brief, "action": action.value},
                ticket_id=row["ticket_id"],
                window=row["window"],
            )
            view = _view(tx.hall, row, case, tx.now)
            view["history"] = self._history(tx.db, tx.hall, case)
            return view, tx.events

    def record_case_contact(
        self, principal: Principal | None, hall_code: str, case_id: int, at: datetime | None, note: str, now: datetime
    ) -> tuple[dict[str, Any], list[Event]]:
        """The citizen was contacted (at `at`, now if not given): what was said."""
        return self._act(
            principal,
            hall_code,
            case_id,
            now,
            CaseAction.CONTACT,
            lambda tx, case: review_cases.record_contact(case, at or tx.now, note, tx.now),
            {"at": clock.iso(at or now), "note": note},
        )

    def record_case_reply(
        self,
        principal: Principal | None,
        hall_code: str,
        case_id: int,
        at: datetime | None,
        reply: str,
        fix: str | None,
        now: datetime,
    ) -> tuple[dict[str, Any], list[Event]]:
        """The fix (None: nothing needed fixing, the reply explains) and the reply given."""

        def change(tx: Tx, case: ReviewCase) -> ReviewCase:
            spec = tx.hall.spec
            return review_cases.record_reply(
                case, at or tx.now, reply, fix, tx.now, spec.review_cases, spec.calendar, spec.timezone
            )

        detail = {"at": clock.iso(at or now), "reply": reply, "fix": fix}
        return self._act(principal, hall_code, case_id, now, CaseAction.REPLY, change, detail)

    def record_case_satisfaction(
        self,
        principal: Principal | None,
        hall_code: str,
        case_id: int,
        at: datetime | None,
        satisfied: bool,
        now: datetime,
    ) -> tuple[dict[str, Any], list[Event]]:
        """The callback: whether the citizen is satisfied with the fix."""
        return self._act(
            principal,
            hall_code,
            case_id,
            now,
            CaseAction.CONFIRM,
            lambda tx, case: review_cases.record_satisfaction(case, at or tx.now, satisfied, tx.now),
            {"at": clock.iso(at or now), "satisfied": satisfied},
        )

    def file_case_appeal(
        self, principal: Principal | None, hall_code: str, case_id: int, reason: str, now: datetime
    ) -> tuple[dict[str, Any], list[Event]]:
        return self._act(
            principal,
            hall_code,
            case_id,
            now,
            CaseAction.APPEAL,
            lambda tx, case: review_cases.file_appeal(case, reason, tx.now),
            {"reason": reason},
        )

    def decide_case_appeal(
        self, principal: Principal | None, hall_code: str, case_id: int, upheld: bool, note: str | None, now: datetime
    ) -> tuple[dict[str, Any], list[Event]]:
        return self._act(
            principal,
            hall_code,
            case_id,
            now,
            CaseAction.DECIDE_APPEAL,
            lambda tx, case: review_cases.decide_appeal(case, upheld, note, tx.now),
            {"upheld": upheld, "note": note},
        )

    def close_review_case(
        self, principal: Principal | None, hall_code: str, case_id: int, note: str | None, now: datetime
    ) -> tuple[dict[str, Any], list[Event]]:
        return self._act(
            principal,
            hall_code,
            case_id,
            now,
            CaseAction.CLOSE,
            lambda tx, case: review_cases.close_case(case, note, tx.now),
            {"note": note},
        )

    def _history(self, db: sqlite_utils.Database, hall: Hall, case: ReviewCase) -> list[dict[str, Any]]:
        """Who did what to the case, and when: its opening, then the audit log's entries."""
        opened: dict[str, Any] = {"at": clock.iso(case.opened_at), "action": "open", "by": None, "by_name": None}
        opened["detail"] = {}
        return [opened] + [
            {
                "at": row["at"],
                "action": HISTORY_ACTIONS.get(row["action"], row["action"]),
                "by": row["actor"],
                "by_name": row["actor_name"],
                "detail": json.loads(row["detail"]),
            }
            for row in storage.review_cases.history(db, hall.spec.code, case.id)
        ]

    # ---- reading -------------------------------------------------------------------------

    def review_cases(
        self, principal: Principal | None, hall_code: str, query: CaseQuery, now: datetime
    ) -> dict[str, Any]:
        """The hall's cases as filtered: overdue ones first, then by the next deadline due."""
        with self.store.read() as db:
            hall = self._hall_for(db, hall_code, principal, Permission.VIEW_RATINGS)
            rows = self.offload(  # a long read: off the hub
                storage.review_cases.listed,
                db,
                hall.id,
                states=query.states,
                opened_from=_local_day_start(query.opened_from, hall) if query.opened_from else None,
                opened_before=_local_day_start(query.opened_to + timedelta(days=1), hall) if query.opened_to else None,
            )
        views = []
        for row in rows:
            case = storage.review_cases.case_of_row(row)
            view = _view(hall, row, case, now)
            if query.overdue is None or view["overdue"] is query.overdue:
                views.append(view)
        views.sort(key=lambda v: (not v["overdue"], _next_due(v) or "9999", v["opened_at"], v["id"]))
        return {
            "cases": views[: query.limit],
            "total": len(views),
            "overdue": sum(v["overdue"] for v in views),
            "now": clock.iso(now),
        }

    def review_case(self, principal: Principal | None, hall_code: str, case_id: int, now: datetime) -> dict[str, Any]:
        """One case, with who recorded what and when."""
        with self.store.read() as db:
            hall = self._hall_for(db, hall_code, principal, Permission.VIEW_RATINGS)
            row = storage.review_cases.row(db, case_id) if 0 < case_id < 2**63 else None
            if row is None or row["hall_id"] != hall.id:
                raise NotFound(f"大厅中没有编号为 {case_id} 的整改工单", field="case_id")
            case = storage.review_cases.case_of_row(row)
            view = _view(hall, row, case, now)
            view["history"] = self._history(db, hall, case)
        return view

    def review_figures(
        self, principal: Principal | None, hall_code: str, day_from: date, day_to: date, by: Breakdown | None
    ) -> dict[str, Any]:
        """The 好差评 figures of the tickets finished on service days `day_from` to `day_to`,
        for the hall and per `by` (docs/review-cases.md)."""
        if day_from > day_to:
            raise InvalidInput("from 不能晚于 to", field="to")
        if (day_to - day_from).days >= MAX_FIGURE_DAYS:
            raise InvalidInput(f"统计区间最长 {MAX_FIGURE_DAYS} 天", field="to")
        with self.store.read() as db:
            hall = self._hall_for(db, hall_code, principal, Permission.VIEW_RATINGS)
            rows = self.offload(  # a month of a big hall takes 0.2 s: off the hub
                storage.review_cases.figure_counts,
                db,
                hall.id,
                day_from.isoformat(),
                day_to.isoformat(),
                by.value if by else None,
            )
        total = Counts()
        groups: dict[Any, tuple[str, Counts]] = {}
        for row in rows:
            counts = Counts.of_row(row)
            total += counts
            if by is not None:
                groups[row["key"]] = (_label(hall, by, row), counts)
        return {
            "hall": hall.spec.code,
            "from": day_from.isoformat(),
            "to": day_to.isoformat(),
            "by": by.value if by else None,
            "total": total.as_dict(),
            "groups": [
                {"key": key, "label": label, **counts.as_dict()}
                for key, (label, counts) in sorted(groups.items(), key=lambda item: _sort_key(item[0]))
            ],
        }


def _next_due(view: dict[str, Any]) -> str | None:
    pending = [d["due"] for d in view["deadlines"].values() if d["due"] is not None and d["done_at"] is None]
    return min(pending) if pending and view["state"] != "closed" else None


def _label(hall: Hall, by: Breakdown, row: dict[str, Any]) -> str:
    key = row["key"]
    if by is Breakdown.QUEUE:
        return hall.queue_name(key)
    if by is Breakdown.WINDOW:
        spec = hall.windows.get(key)
        return spec.name if spec is not None else f"{key}号窗口"
    if by is Breakdown.CLERK:
        if key is None:
            return "（无办理人）"
        number = f"（{row['staff_number']}）" if row["staff_number"] else ""
        return f"{row['clerk_name']}{number}"
    return str(key)


def _sort_key(key: Any) -> tuple[int, str]:
    return (1, "") if key is None else (0, f"{key:>12}" if isinstance(key, int) else str(key))
