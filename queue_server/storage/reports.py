"""The reports' reads (docs/reports.md): counts, averages and 90th percentiles per queue,
item, window or clerk over service days `day_from` to `day_to`, all counted by SQLite
(window functions for the percentiles) so that a month of a big hall runs in the C of a
pool thread, never as a Python loop (`queue_server/offload.py`); the clerks' sign-ins
and the windows' own steps for the attendance.

Every function returns rows keyed by `key`: the group (queue code, item code, window
number, clerk id). Tickets belong to the service day they were issued on.
"""

from __future__ import annotations

from typing import Any

import sqlite_utils

from queue_server.storage.sql import Row

# what a ticket is grouped by, for the issue-side counts and the wait: the queue it was
# first issued to; for its outcome and handling: the queue it ended in
_TICKET_GROUPS = {
    "queue": ("t.origin_queue", "t.queue", ""),
    "item": ("j.value", "j.value", "LEFT JOIN json_each(t.items) j"),
}
_VISIT_GROUPS = {"window": "v.window", "clerk": "v.clerk_id"}
_SECONDS = "(julianday({end}) - julianday({start})) * 86400.0"
_WAIT = _SECONDS.format(end="t.first_called_at", start="t.issued_at")


def _spread(db: sqlite_utils.Database, values_sql: str, params: list[Any]) -> dict[Any, Row]:
    """Per key of `values_sql` (rows of `key`, `value`): how many, their average and
    their 90th percentile (nearest rank: the value at rank ⌈0.9·n⌉)."""
    rows = db.query(
        f"""WITH v AS ({values_sql}),
                r AS (SELECT key, value, row_number() OVER (PARTITION BY key ORDER BY value) AS rank,
                             count(*) OVER (PARTITION BY key) AS n FROM v)
            SELECT key, max(n) AS n, avg(value) AS average,
                   max(CASE WHEN rank = (9 * n + 9) / 10 THEN value END) AS p90
            FROM r GROUP BY key""",
        params,
    )
    return {row["key"]: row for row in rows}


def ticket_figures(
    db: sqlite_utils.Database, hall_id: int, day_from: str, day_to: str, by: str, start: str, end: str
) -> dict[str, dict[Any, Row]]:
    """Per queue or item (`by`): `counts` (issued, served, no_shows: times called and not
    come, cancelled), `waits`
    (issue to first call, of every ticket called), `handling` (summed over its windows,
    of every ticket served) and `transferred` (transfers of the group's tickets logged in
    [`start`, `end`))."""
    issued_key, outcome_key, join = _TICKET_GROUPS[by]
    period = "t.hall_id = ? AND t.service_day >= ? AND t.service_day <= ?"
    params: list[Any] = [hall_id, day_from, day_to]
    issued = db.query(
        f"SELECT {issued_key} AS key, count(*) AS issued FROM tickets t {join} WHERE {period} GROUP BY key", params
    )
    outcomes = db.query(
        f"""SELECT {outcome_key} AS key,
                   coalesce(sum(t.status = 'done'), 0) AS served,
                   coalesce(sum(t.no_shows), 0) AS no_shows,
                   coalesce(sum(t.status = 'cancelled'), 0) AS cancelled
            FROM tickets t {join} WHERE {period} GROUP BY key""",
        params,
    )
    counts: dict[Any, Row] = {}
    for row in issued:
        counts.setdefault(row["key"], {"issued": 0, "served": 0, "no_shows": 0, "cancelled": 0})["issued"] = row[
            "issued"
        ]
    for row in outcomes:
        counts.setdefault(row["key"], {"issued": 0, "served": 0, "no_shows": 0, "cancelled": 0}).update(
            served=row["served"], no_shows=row["no_shows"], cancelled=row["cancelled"]
        )
    waits = _spread(
        db,
        f"SELECT {issued_key} AS key, {_WAIT} AS value FROM tickets t {join} "
        f"WHERE {period} AND t.first_called_at IS NOT NULL",
        params,
    )
    handling = _spread(
        db,
        f"SELECT {outcome_key} AS key, t.handling_seconds AS value FROM tickets t {join} "
        f"WHERE {period} AND t.status = 'done'",
        params,
    )
    transfer_key = "json_extract(e.data, '$.from_queue')" if by == "queue" else "j.value"
    transferred = db.query(
        f"""SELECT {transfer_key} AS key, count(*) AS transferred
            FROM events e JOIN tickets t ON t.id = e.ticket_id {join}
            WHERE e.hall_id = ? AND e.type = 'ticket_transferred' AND e.at >= ? AND e.at < ?
              AND t.service_day >= ? AND t.service_day <= ?
            GROUP BY key""",
        [hall_id, start, end, day_from, day_to],
    )
    return {
        "counts": counts,
        "waits": waits,
        "handling": handling,
        "transferred": {row["key"]: row for row in transferred},
    }


def visit_figures(db: sqlite_utils.Database, hall_id: int, day_from: str, day_to: str, by: str) -> dict[str, Any]:
    """Per window or clerk (`by`), from the tickets' stays at windows: `counts` (called,
    served, no_shows, transferred: how the stays ended), `waits` (issue to first call, of
    the tickets first called there) and `handling` (of each stay that finished a service)."""
    key = _VISIT_GROUPS[by]
    period = "t.hall_id = ? AND t.service_day >= ? AND t.service_day <= ?"
    params: list[Any] = [hall_id, day_from, day_to]
    counts = db.query(
        f"""SELECT {key} AS key,
                   coalesce(sum(v.called_at IS NOT NULL), 0) AS called,
                   coalesce(sum(v.ending = 'finished'), 0) AS served,
                   coalesce(sum(v.ending = 'no_show'), 0) AS no_shows,
                   coalesce(sum(v.ending = 'transferred'), 0) AS transferred
            FROM tickets t JOIN visits v ON v.ticket_id = t.id
            WHERE {period} GROUP BY key""",
        params,
    )
    waits = _spread(
        db,
        f"SELECT {key} AS key, {_WAIT} AS value FROM tickets t JOIN visits v ON v.ticket_id = t.id "
        f"WHERE {period} AND v.called_at IS NOT NULL AND v.called_at = t.first_called_at",
        params,
    )
    handling = _spread(
        db,
        f"SELECT {key} AS key, v.handling_seconds AS value FROM tickets t JOIN visits v ON v.ticket_id = t.id "
        f"WHERE {period} AND v.ending = 'finished'",
        params,
    )
    return {"counts": {row["key"]: row for row in counts}, "waits": waits, "handling": handling}


_RATING_GROUPS = {"queue": "t.queue", "window": "t.window", "clerk": "t.clerk_id", "item": "j.value"}


def level_counts(db: sqlite_utils.Database, hall_id: int, day_from: str, day_to: str, by: str) -> list[Row]:
    """How many ratings of each level, per group, over the same tickets as the 好差评
    figures (`storage.review_cases.figure_counts`: finished at a window in the period)."""
    join = "LEFT JOIN json_each(t.items) j" if by == "item" else ""
    return list(
        db.query(
            f"""SELECT {_RATING_GROUPS[by]} AS key, r.level, count(*) AS n
                FROM tickets t JOIN ratings r ON r.ticket_id = t.id {join}
                WHERE t.hall_id = ? AND t.status = 'done' AND t.window IS NOT NULL
                  AND t.service_day >= ? AND t.service_day <= ?
                GROUP BY key, r.level""",
            [hall_id, day_from, day_to],
        )
    )


def sign_ins(db: sqlite_utils.Database, hall_id: int, start: str, end: str) -> list[Row]:
    """The clerks' stays at the hall's windows begun in [`start`, `end`), with who they are."""
    return list(
        db.query(
            """SELECT a.user_id, a.window, a.opened_at, a.closed_at, u.display_name, u.staff_number
               FROM attendance a JOIN users u ON u.id = a.user_id
               WHERE a.hall_id = ? AND a.opened_at >= ? AND a.opened_at < ?
               ORDER BY a.opened_at, a.id""",
            [hall_id, start, end],
        )
    )


def window_steps(db: sqlite_utils.Database, hall_id: int, start: str, end: str | None) -> list[Row]:
    """The windows' own steps (opened, paused with the reason, resumed, closed, released)
    logged from `start` to `end` (None: to now)."""
    return list(
        db.query(
            """SELECT window, at, type, reason FROM events
               WHERE hall_id = ? AND at >= ? AND at < ?
                 AND type IN ('window_opened', 'window_paused', 'window_resumed', 'window_closed',
                              'window_released')
               ORDER BY seq""",
            [hall_id, start, end or "9999"],
        )
    )


def people(db: sqlite_utils.Database, ids: list[int]) -> dict[int, Row]:
    if not ids:
        return {}
    rows = db.query(f"SELECT id, display_name, staff_number FROM users WHERE id IN ({','.join('?' * len(ids))})", ids)
    return {row["id"]: row for row in rows}
