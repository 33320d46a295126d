"""差评整改 cases (migration 12): one row per case, its deadlines and the managers'
records; who recorded what is the audit log's (`history`). And the rows the 好差评 figures
are counted from: one per finished ticket, with its rating and its case, if any."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlite_utils

from queue_server.domain import clock
from queue_server.domain.review_cases import AppealState, CaseState, ReviewCase
from queue_server.storage.sql import Row, insert, one

_CASE = """SELECT c.*, r.ticket_id, r.service_day, r.queue, r.window, r.clerk_id, r.clerk_number, r.level,
                  r.channel, r.reasons, r.text, r.rated_at, t.number AS ticket_number, t.ref AS ticket_ref,
                  u.display_name AS clerk_name
           FROM review_cases c JOIN ratings r ON r.id = c.rating_id JOIN tickets t ON t.id = r.ticket_id
           LEFT JOIN users u ON u.id = r.clerk_id"""
_TIMES = ("opened_at", "contact_due", "fix_due", "confirm_due", "contacted_at", "replied_at", "confirmed_at")
_TIMES_TOO = ("appealed_at", "appeal_decided_at", "closed_at")


def _instant(text: str | None) -> datetime | None:
    return clock.parse_iso(text) if text else None


def case_of_row(row: Row) -> ReviewCase:
    opened, contact_due, fix_due = (clock.parse_iso(row[key]) for key in ("opened_at", "contact_due", "fix_due"))
    return ReviewCase(
        id=row["id"],
        hall_id=row["hall_id"],
        rating_id=row["rating_id"],
        opened_at=opened,
        contact_due=contact_due,
        fix_due=fix_due,
        state=CaseState(row["state"]),
        confirm_due=_instant(row["confirm_due"]),
        contacted_at=_instant(row["contacted_at"]),
        contact_note=row["contact_note"],
        replied_at=_instant(row["replied_at"]),
        reply=row["reply"],
        fix=row["fix"],
        confirmed_at=_instant(row["confirmed_at"]),
        satisfied=None if row["satisfied"] is None else bool(row["satisfied"]),
        appeal_state=AppealState(row["appeal_state"]) if row["appeal_state"] else None,
        appealed_at=_instant(row["appealed_at"]),
        appeal_reason=row["appeal_reason"],
        appeal_decided_at=_instant(row["appeal_decided_at"]),
        appeal_note=row["appeal_note"],
        closed_at=_instant(row["closed_at"]),
        close_note=row["close_note"],
    )


def _values(case: ReviewCase) -> dict[str, Any]:
    values: dict[str, Any] = {
        "hall_id": case.hall_id,
        "rating_id": case.rating_id,
        "state": case.state.value,
        "contact_note": case.contact_note,
        "reply": case.reply,
        "fix": case.fix,
        "satisfied": None if case.satisfied is None else int(case.satisfied),
        "appeal_state": case.appeal_state.value if case.appeal_state else None,
        "appeal_reason": case.appeal_reason,
        "appeal_note": case.appeal_note,
        "close_note": case.close_note,
    }
    for key in (*_TIMES, *_TIMES_TOO):
        moment = getattr(case, key)
        values[key] = clock.iso(moment) if moment is not None else None
    return values


def insert_case(db: sqlite_utils.Database, case: ReviewCase) -> int:
    return insert(db, "review_cases", _values(case))


def save(db: sqlite_utils.Database, case: ReviewCase) -> None:
    values = _values(case)
    assignments = ", ".join(f"{column} = ?" for column in values)
    db.execute(f"UPDATE review_cases SET {assignments} WHERE id = ?", [*values.values(), case.id])


def row(db: sqlite_utils.Database, case_id: int) -> Row | None:
    """A case with its rating's and ticket's facts."""
    return one(db, f"{_CASE} WHERE c.id = ?", [case_id])


def of_rating(db: sqlite_utils.Database, rating_id: int) -> Row | None:
    return one(db, f"{_CASE} WHERE c.rating_id = ?", [rating_id])


def listed(
    db: sqlite_utils.Database,
    hall_id: int,
    *,
    states: tuple[str, ...],
    opened_from: str | None,
    opened_before: str | None,
) -> list[Row]:
    """The hall's cases in the given states (every state if none), opened in
    [`opened_from`, `opened_before`) (instants), oldest first."""
    where: list[str] = ["c.hall_id = ?"]
    params: list[Any] = [hall_id]
    if states:
        where.append(f"c.state IN ({','.join('?' * len(states))})")
        params += list(states)
    if opened_from is not None:
        where.append("c.opened_at >= ?")
        params.append(opened_from)
    if opened_before is not None:
        where.append("c.opened_at < ?")
        params.append(opened_before)
    return list(db.query(f"{_CASE} WHERE {' AND '.join(where)} ORDER BY c.opened_at, c.id", params))


def history(db: sqlite_utils.Database, hall_code: str, case_id: int) -> list[Row]:
    """The managers' records of one case, oldest first, as the audit log keeps them."""
    rows = db.query(
        """SELECT at, actor, actor_name, action, detail FROM audit_log
           WHERE hall = ? AND target = ? AND action LIKE 'review_case_%' ORDER BY id""",
        [hall_code, str(case_id)],
    )
    return list(rows)


def figure_rows(db: sqlite_utils.Database, hall_id: int, day_from: str, day_to: str) -> list[Row]:
    """One row per ticket of the hall finished at a window on a service day in [`day_from`,
    `day_to`]: where and by whom it was served, its rating's level and channel (None:
    unrated) and its case's records (None: no case)."""
    return list(
        db.query(
            """SELECT t.id AS ticket_id, t.service_day, t.queue, t.window, t.clerk_id,
                      u.staff_number, u.display_name AS clerk_name,
                      r.level, r.channel, c.id AS case_id, c.replied_at, c.fix, c.confirmed_at, c.satisfied,
                      c.appeal_state
               FROM tickets t
               LEFT JOIN ratings r ON r.ticket_id = t.id
               LEFT JOIN review_cases c ON c.rating_id = r.id
               LEFT JOIN users u ON u.id = t.clerk_id
               WHERE t.hall_id = ? AND t.status = 'done' AND t.window IS NOT NULL
                 AND t.service_day >= ? AND t.service_day <= ?
               ORDER BY t.id""",
            [hall_id, day_from, day_to],
        )
    )


def citizen_bad_ratings(db: sqlite_utils.Database, hall_id: int) -> list[int]:
    """The ids of the hall's 差评 given by citizens (the cross-record rules')."""
    rows = db.query(
        """SELECT id FROM ratings WHERE hall_id = ? AND channel IN ('pad', 'phone')
           AND level IN ('dissatisfied', 'very_dissatisfied') ORDER BY id""",
        [hall_id],
    )
    return [row["id"] for row in rows]


def of_hall_or_ratings(db: sqlite_utils.Database, hall_id: int) -> list[Row]:
    """The hall's cases, and any case (of whichever hall) of one of its ratings, with the
    rating's hall."""
    return list(
        db.query(
            """SELECT c.id, c.hall_id, c.rating_id, r.hall_id AS rating_hall_id
               FROM review_cases c JOIN ratings r ON r.id = c.rating_id
               WHERE c.hall_id = ? OR r.hall_id = ? ORDER BY c.id""",
            [hall_id, hall_id],
        )
    )


_GROUPS = {
    None: "NULL",
    "queue": "t.queue",
    "window": "t.window",
    "clerk": "t.clerk_id",
    "day": "t.service_day",
    "item": "j.value",  # a ticket of several items counts under each (reports: docs/reports.md)
}
_JOINS = {"item": "LEFT JOIN json_each(t.items) j"}
_LIVE_CASE = "c.id IS NOT NULL AND coalesce(c.appeal_state, '') != 'upheld'"
_FIXED = f"{_LIVE_CASE} AND c.replied_at IS NOT NULL AND c.fix IS NOT NULL"


def figure_counts(db: sqlite_utils.Database, hall_id: int, day_from: str, day_to: str, by: str | None) -> list[Row]:
    """What `domain.review_cases.Counts.add` counts over `figure_rows`, counted by SQLite
    (a month of a big hall is 100,000 tickets: a Python loop would hold the server's
    event loop for most of a second), one row per group of `by` (`key`; one row, key
    None, without `by`), with the clerk's staff number and name for `clerk`."""
    key = _GROUPS[by]
    return list(
        db.query(
            f"""SELECT {key} AS key, max(u.staff_number) AS staff_number, max(u.display_name) AS clerk_name,
                       count(*) AS finished,
                       count(r.id) AS rated,
                       coalesce(sum(r.channel IN ('pad', 'phone')), 0) AS citizen_rated,
                       coalesce(sum(r.level IN ('very_satisfied', 'satisfied')), 0) AS good,
                       coalesce(sum(r.level IN ('dissatisfied', 'very_dissatisfied')), 0) AS bad,
                       coalesce(sum({_LIVE_CASE}), 0) AS cases,
                       coalesce(sum(c.appeal_state = 'upheld'), 0) AS appeals_upheld,
                       coalesce(sum({_LIVE_CASE} AND c.replied_at IS NOT NULL), 0) AS replied,
                       coalesce(sum({_FIXED}), 0) AS fixed,
                       coalesce(sum({_FIXED} AND c.confirmed_at IS NOT NULL), 0) AS fixes_confirmed,
                       coalesce(sum({_FIXED} AND c.confirmed_at IS NOT NULL AND c.satisfied = 1), 0) AS fixes_satisfied
                FROM tickets t
                LEFT JOIN ratings r ON r.ticket_id = t.id
                LEFT JOIN review_cases c ON c.rating_id = r.id
                LEFT JOIN users u ON u.id = t.clerk_id
                {_JOINS.get(by or "", "")}
                WHERE t.hall_id = ? AND t.status = 'done' AND t.window IS NOT NULL
                  AND t.service_day >= ? AND t.service_day <= ?
                GROUP BY {key}""",
            [hall_id, day_from, day_to],
        )
    )
