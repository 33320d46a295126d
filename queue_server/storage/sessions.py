"""Sign-ins: sessions, failed sign-ins per user name and client address, and the counter
of credential changes that servers watch to close links at once."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlite_utils

from queue_server.storage.sql import Row, insert, marks, one

# ---- sessions ----------------------------------------------------------------------


def insert_session(db: sqlite_utils.Database, values: dict[str, Any]) -> int:
    return insert(db, "sessions", values)


def session_with_user(db: sqlite_utils.Database, token_digest: str) -> Row | None:
    """The session and its user's record, in one read."""
    return one(
        db,
        """SELECT s.id AS session_id, s.created_at, s.last_seen_at, s.revoked_at, u.*
           FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_digest = ?""",
        [token_digest],
    )


def touch(db: sqlite_utils.Database, session_id: int, now: str) -> None:
    db.execute("UPDATE sessions SET last_seen_at = ? WHERE id = ? AND revoked_at IS NULL", [now, session_id])


def revoke(db: sqlite_utils.Database, token_digest: str, now: str, reason: str) -> bool:
    cursor = db.execute(
        "UPDATE sessions SET revoked_at = ?, revoked_reason = ? WHERE token_digest = ? AND revoked_at IS NULL",
        [now, reason, token_digest],
    )
    return cursor.rowcount == 1


def revoke_of_user(db: sqlite_utils.Database, user_id: int, now: str, reason: str) -> list[str]:
    """End every open session of a user; returns their token digests."""
    rows = db.execute(
        """UPDATE sessions SET revoked_at = ?, revoked_reason = ? WHERE user_id = ? AND revoked_at IS NULL
           RETURNING token_digest""",
        [now, reason, user_id],
    ).fetchall()
    return [str(r[0]) for r in rows]


def purge_sessions(db: sqlite_utils.Database, created_before: str) -> int:
    """Forget sessions begun before `created_before` (long ended by then)."""
    return int(db.execute("DELETE FROM sessions WHERE created_at < ?", [created_before]).rowcount)


# ---- failed sign-ins ---------------------------------------------------------------


def failures(db: sqlite_utils.Database, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Row]:
    """The counted failures of each (scope, key) that has any."""
    found: dict[tuple[str, str], Row] = {}
    for scope, key in keys:
        row = one(db, "SELECT * FROM login_failures WHERE scope = ? AND key = ?", [scope, key])
        if row is not None:
            found[(scope, key)] = row
    return found


def save_failures(
    db: sqlite_utils.Database, scope: str, key: str, count: int, last_failure_at: str | None, locked_until: str | None
) -> None:
    """Store a key's count; a count of 0 forgets the key."""
    if count <= 0 or last_failure_at is None:
        db.execute("DELETE FROM login_failures WHERE scope = ? AND key = ?", [scope, key])
        return
    db.execute(
        """INSERT INTO login_failures (scope, key, failures, last_failure_at, locked_until) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT(scope, key) DO UPDATE SET failures = excluded.failures,
               last_failure_at = excluded.last_failure_at, locked_until = excluded.locked_until""",
        [scope, key, count, last_failure_at, locked_until],
    )


def clear_failures(db: sqlite_utils.Database, scope: str, key: str) -> bool:
    cursor = db.execute("DELETE FROM login_failures WHERE scope = ? AND key = ?", [scope, key])
    return cursor.rowcount > 0


def purge_failures(db: sqlite_utils.Database, failed_before: str, now: str) -> int:
    """Forget counts whose last failure is older than `failed_before` and that hold no lock."""
    cursor = db.execute(
        "DELETE FROM login_failures WHERE last_failure_at < ? AND (locked_until IS NULL OR locked_until <= ?)",
        [failed_before, now],
    )
    return int(cursor.rowcount)


def locks(db: sqlite_utils.Database, scope: str, keys: Iterable[str], now: str) -> dict[str, str]:
    """key -> locked_until, for the keys locked at `now`."""
    keys = list(keys)
    if not keys:
        return {}
    rows = db.execute(
        f"""SELECT key, locked_until FROM login_failures
            WHERE scope = ? AND key IN ({marks(keys)}) AND locked_until > ?""",
        [scope, *keys, now],
    ).fetchall()
    return {str(key): str(until) for key, until in rows}


# ---- credential changes ------------------------------------------------------------


def credential_serial(db: sqlite_utils.Database) -> int:
    return int(db.execute("SELECT serial FROM credential_changes WHERE id = 1").fetchone()[0])


def credentials_changed(db: sqlite_utils.Database) -> int:
    """Move the counter on, inside the transaction that ended sessions or revoked a token."""
    row = db.execute("UPDATE credential_changes SET serial = serial + 1 WHERE id = 1 RETURNING serial").fetchone()
    return int(row[0])


def last_seen_of_users(db: sqlite_utils.Database, user_ids: Iterable[int]) -> dict[int, str]:
    """user id -> when any of its sessions was last used (sessions are kept for
    `SESSION_PURGE_DAYS` after they began: older use is forgotten)."""
    ids = list(user_ids)
    if not ids:
        return {}
    rows = db.execute(
        f"SELECT user_id, max(last_seen_at) FROM sessions WHERE user_id IN ({marks(ids)}) GROUP BY user_id", ids
    ).fetchall()
    return {int(user_id): str(seen) for user_id, seen in rows}
