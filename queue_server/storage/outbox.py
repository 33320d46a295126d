"""The outbox to the 好差评 platform (migration 11; rules in `domain.review_feed`).

`enqueue` runs inside the caller's write transaction, so a rating and the row that
reports it commit together or not at all; it is idempotent on the record's key. The
sender (`queue_server.review_feed`) then works in short transactions of its own: it
claims due rows for a lease under its own name (`claim`), sends them with no
transaction open, and records each answer (`mark_*`). Each mark renews the lease of the
rows it still holds, so a lease only has to outlast one request, and rows held by a
process that died are due again soon after.

Who may write what: a 2xx always wins (`mark_delivered` whoever holds the row, and
nothing moves a delivered row again); a retry or a dead letter is written only by the
row's holder, so a sender whose lease ran out cannot undo a newer sender's result.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import sqlite_utils

from queue_server.storage.sql import Row, marks, one

_COLUMNS = """id, key, hall, kind, state, attempts, next_attempt_at, claimed_until, last_attempt_at, last_status,
              last_error, last_answer, failed_at, created_at, delivered_at"""


def body(payload: Mapping[str, Any]) -> str:
    """The JSON text sent, exactly: compact, UTF-8 characters as they are."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def enqueue(db: sqlite_utils.Database, key: str, hall: str, kind: str, payload: Mapping[str, Any], at: str) -> int:
    """Queue one record for the platform, in the caller's write transaction; returns the
    row's id. A key already queued keeps its first row and body: the same id comes back."""
    if not db.conn.in_transaction:
        raise RuntimeError("outbox.enqueue belongs inside the write transaction of what it reports")
    if not key or not hall or not kind:
        raise ValueError("an outbox row needs a key, a hall and a kind")
    row = db.execute(
        """INSERT INTO outbox (key, hall, kind, payload, state, attempts, next_attempt_at, created_at)
           VALUES (?, ?, ?, ?, 'pending', 0, ?, ?) ON CONFLICT(key) DO NOTHING RETURNING id""",
        [key, hall, kind, body(payload), at, at],
    ).fetchone()
    if row is not None:
        return int(row[0])
    existing = one(db, "SELECT id FROM outbox WHERE key = ?", [key])
    assert existing is not None
    return int(existing["id"])


def any_due(db: sqlite_utils.Database, at: str) -> bool:
    """Whether some pending row is due and free: read first, so an idle sender never takes
    the write lock."""
    return (
        one(
            db,
            """SELECT 1 FROM outbox WHERE state = 'pending' AND next_attempt_at <= ?
               AND (claimed_until IS NULL OR claimed_until <= ?) LIMIT 1""",
            [at, at],
        )
        is not None
    )


def claim(db: sqlite_utils.Database, sender: str, at: str, until: str, limit: int) -> list[Row]:
    """Take up to `limit` due rows, oldest due first, for `sender` until `until`."""
    rows = db.execute(
        """UPDATE outbox SET claimed_by = ?, claimed_until = ?
           WHERE id IN (SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_at <= ?
                        AND (claimed_until IS NULL OR claimed_until <= ?)
                        ORDER BY next_attempt_at, id LIMIT ?)
           RETURNING id, key, hall, kind, payload, attempts, next_attempt_at""",
        [sender, until, at, at, limit],
    ).fetchall()
    columns = ("id", "key", "hall", "kind", "payload", "attempts", "next_attempt_at")
    claimed = (dict(zip(columns, r, strict=True)) for r in rows)
    return sorted(claimed, key=lambda r: (r["next_attempt_at"], r["id"]))  # RETURNING keeps no order


def renew(db: sqlite_utils.Database, sender: str, row_ids: Sequence[int], until: str) -> None:
    """Hold the rows `sender` still has to send a while longer."""
    if row_ids:
        db.execute(
            f"""UPDATE outbox SET claimed_until = ?
                WHERE id IN ({marks(row_ids)}) AND claimed_by = ? AND state = 'pending'""",
            [until, *row_ids, sender],
        )


def mark_delivered(db: sqlite_utils.Database, row_id: int, status: int, answer: str, at: str) -> bool:
    """The platform answered 2xx: delivered, for good. False if it already was."""
    cursor = db.execute(
        """UPDATE outbox SET state = 'delivered', delivered_at = ?, attempts = attempts + 1, last_attempt_at = ?,
                  last_status = ?, last_answer = ?, claimed_by = NULL, claimed_until = NULL
           WHERE id = ? AND state = 'pending'""",
        [at, at, status, answer, row_id],
    )
    return cursor.rowcount == 1


def mark_failed(
    db: sqlite_utils.Database,
    row_id: int,
    sender: str,
    *,
    dead: bool,
    status: int | None,
    error: str,
    answer: str | None,
    at: str,
    next_attempt_at: str,
) -> bool:
    """An attempt that did not deliver: due again at `next_attempt_at`, or a dead letter.
    Only the row's holder writes it; False if it no longer held a pending row."""
    cursor = db.execute(
        """UPDATE outbox SET state = ?, attempts = attempts + 1, last_attempt_at = ?, last_status = ?,
                  last_error = ?, last_answer = ?, failed_at = ?, next_attempt_at = ?,
                  claimed_by = NULL, claimed_until = NULL
           WHERE id = ? AND state = 'pending' AND claimed_by = ?""",
        ["dead" if dead else "pending", at, status, error, answer, at, next_attempt_at, row_id, sender],
    )
    return cursor.rowcount == 1


def release(db: sqlite_utils.Database, sender: str, row_ids: Sequence[int]) -> None:
    """Give back rows claimed but not sent (the sender is stopping)."""
    if row_ids:
        db.execute(
            f"""UPDATE outbox SET claimed_by = NULL, claimed_until = NULL
                WHERE id IN ({marks(row_ids)}) AND claimed_by = ?""",
            [*row_ids, sender],
        )


def retry_dead(db: sqlite_utils.Database, row_id: int, at: str) -> bool:
    """A dead letter goes back to the line, due now, its backoff started afresh."""
    cursor = db.execute(
        """UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?, claimed_by = NULL,
                  claimed_until = NULL
           WHERE id = ? AND state = 'dead'""",
        [at, row_id],
    )
    return cursor.rowcount == 1


# ---- reading ---------------------------------------------------------------------------


def purge_delivered(db: sqlite_utils.Database, hall: str, before: str) -> int:
    """Forget the records of `hall` the platform took before `before` (the ratings they
    came from stay); pending and dead ones stay until sent or retried."""
    cursor = db.execute(
        "DELETE FROM outbox WHERE hall = ? AND state = 'delivered' AND delivered_at < ?", [hall, before]
    )
    return int(cursor.rowcount)


def by_id(db: sqlite_utils.Database, row_id: int) -> Row | None:
    return one(db, f"SELECT {_COLUMNS}, payload FROM outbox WHERE id = ?", [row_id])


def by_key(db: sqlite_utils.Database, key: str) -> Row | None:
    return one(db, f"SELECT {_COLUMNS}, payload FROM outbox WHERE key = ?", [key])


def _hall_filter(hall: str | None) -> tuple[str, list[Any]]:
    return ("hall = ?", [hall]) if hall is not None else ("1", [])


def counts(db: sqlite_utils.Database, hall: str | None) -> dict[str, int]:
    where, params = _hall_filter(hall)
    found = {
        r["state"]: r["n"]
        for r in db.query(f"SELECT state, count(*) AS n FROM outbox WHERE {where} GROUP BY state", params)
    }
    return {state: int(found.get(state, 0)) for state in ("pending", "delivered", "dead")}


def oldest_pending(db: sqlite_utils.Database, hall: str | None) -> Row | None:
    where, params = _hall_filter(hall)
    return one(
        db,
        f"""SELECT id, key, created_at, attempts, next_attempt_at, last_error FROM outbox
            WHERE state = 'pending' AND {where} ORDER BY id LIMIT 1""",
        params,
    )


def last_delivered(db: sqlite_utils.Database, hall: str | None) -> Row | None:
    where, params = _hall_filter(hall)
    return one(
        db,
        f"""SELECT id, key, delivered_at, last_status FROM outbox
            WHERE delivered_at IS NOT NULL AND {where} ORDER BY delivered_at DESC LIMIT 1""",
        params,
    )


def last_failure(db: sqlite_utils.Database, hall: str | None) -> Row | None:
    where, params = _hall_filter(hall)
    return one(
        db,
        f"""SELECT id, key, state, failed_at, last_status, last_error, last_answer FROM outbox
            WHERE failed_at IS NOT NULL AND {where} ORDER BY failed_at DESC LIMIT 1""",
        params,
    )


def dead_letters(db: sqlite_utils.Database, hall: str | None, *, before: int | None, limit: int) -> list[Row]:
    """Dead letters, newest first; `before` (an id) pages on."""
    where, params = _hall_filter(hall)
    if before is not None:
        where += " AND id < ?"
        params.append(before)
    return list(
        db.query(
            f"SELECT {_COLUMNS}, payload FROM outbox WHERE state = 'dead' AND {where} ORDER BY id DESC LIMIT ?",
            [*params, limit],
        )
    )
