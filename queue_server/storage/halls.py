"""Halls, their event log, and the idempotency keys of issued tickets."""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from queue_server.storage.sql import Row, marks, one

# ---- halls -------------------------------------------------------------------------


def by_code(db: sqlite_utils.Database, code: str) -> Row | None:
    return one(db, "SELECT * FROM halls WHERE code = ?", [code])


def by_id(db: sqlite_utils.Database, hall_id: int) -> Row | None:
    return one(db, "SELECT * FROM halls WHERE id = ?", [hall_id])


def all_rows(db: sqlite_utils.Database) -> list[Row]:
    return list(db.query("SELECT * FROM halls ORDER BY code"))


def listed(db: sqlite_utils.Database) -> list[Row]:
    return list(
        db.query("SELECT id, code, name, revision, last_seq, service_day, pending_from FROM halls ORDER BY code")
    )


def save(db: sqlite_utils.Database, code: str, name: str, config_toml: str, now: str) -> int:
    """Insert or replace a hall's configuration; returns the hall id. Replacing clears a
    hall file that was waiting for the next service day."""
    row = db.execute(
        """INSERT INTO halls (code, name, config_toml, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT(code) DO UPDATE SET name = excluded.name, config_toml = excluded.config_toml,
               revision = revision + 1, updated_at = excluded.updated_at,
               pending_config_toml = NULL, pending_from = NULL
           RETURNING id""",
        [code, name, config_toml, now],
    ).fetchone()
    return int(row[0])


def set_pending(db: sqlite_utils.Database, hall_id: int, config_toml: str, from_day: str) -> None:
    db.execute(
        "UPDATE halls SET pending_config_toml = ?, pending_from = ? WHERE id = ?", [config_toml, from_day, hall_id]
    )


def set_service_day(db: sqlite_utils.Database, hall_id: int, day: str) -> None:
    db.execute("UPDATE halls SET service_day = ? WHERE id = ?", [day, hall_id])


def set_notice(db: sqlite_utils.Database, hall_id: int, notice: str | None) -> None:
    db.execute("UPDATE halls SET notice = ? WHERE id = ?", [notice, hall_id])


def next_seq(db: sqlite_utils.Database, hall_id: int) -> int:
    return int(
        db.execute("UPDATE halls SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq", [hall_id]).fetchone()[0]
    )


# ---- the event log -----------------------------------------------------------------


def append_event(
    db: sqlite_utils.Database,
    hall_id: int,
    *,
    at: str,
    type: str,
    data: dict[str, Any],
    ticket_id: int | None = None,
    window: int | None = None,
    clerk_id: int | None = None,
    device_id: int | None = None,
    reason: str | None = None,
    relay: bool = False,
    seq: int | None = None,
) -> int:
    """Append to the hall's log and return the event's sequence number (`seq`: one taken
    earlier in this transaction with `next_seq`). `relay`: written by a process that does
    not publish (the command line); a server sends it on."""
    if seq is None:
        seq = next_seq(db, hall_id)
    db.execute(
        "INSERT INTO events (hall_id, seq, at, type, ticket_id, window, clerk_id, device_id, reason, data, relay)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            hall_id,
            seq,
            at,
            type,
            ticket_id,
            window,
            clerk_id,
            device_id,
            reason,
            json.dumps(data, ensure_ascii=False),
            int(relay),
        ],
    )
    return seq


def events_since(db: sqlite_utils.Database, hall_id: int, after_seq: int, limit: int) -> list[Row]:
    return list(
        db.query(
            "SELECT seq, at, type, data FROM events WHERE hall_id = ? AND seq > ? ORDER BY seq LIMIT ?",
            [hall_id, after_seq, limit],
        )
    )


def event(db: sqlite_utils.Database, hall_id: int, seq: int) -> Row | None:
    return one(db, "SELECT seq, type, data FROM events WHERE hall_id = ? AND seq = ?", [hall_id, seq])


def ticket_events(db: sqlite_utils.Database, ticket_id: int) -> list[Row]:
    return list(
        db.query(
            "SELECT seq, at, type, window, clerk_id, device_id, reason FROM events WHERE ticket_id = ? ORDER BY seq",
            [ticket_id],
        )
    )


def has_events_to_relay(db: sqlite_utils.Database) -> bool:
    return bool(db.execute("SELECT EXISTS (SELECT 1 FROM events WHERE relay = 1)").fetchone()[0])


def take_events_to_relay(db: sqlite_utils.Database, limit: int = 1000) -> list[Row]:
    """Claim events written by another process, oldest first (inside a write
    transaction, so that of several servers exactly one sends each)."""
    rows = list(
        db.query(
            """SELECT e.hall_id, h.code AS hall, e.seq, e.at, e.type, e.data FROM events e
               JOIN halls h ON h.id = e.hall_id WHERE e.relay = 1 ORDER BY e.hall_id, e.seq LIMIT ?""",
            [limit],
        )
    )
    for hall_id in {r["hall_id"] for r in rows}:
        seqs = [r["seq"] for r in rows if r["hall_id"] == hall_id]
        db.execute(f"UPDATE events SET relay = 0 WHERE hall_id = ? AND seq IN ({marks(seqs)})", [hall_id, *seqs])
    return rows


# ---- idempotency keys --------------------------------------------------------------


def idempotent_ticket(db: sqlite_utils.Database, hall_id: int, key: str) -> Row | None:
    return one(db, "SELECT * FROM idempotency_keys WHERE hall_id = ? AND key = ?", [hall_id, key])


def remember_idempotency(
    db: sqlite_utils.Database, hall_id: int, key: str, fingerprint: str, ticket_id: int, now: str
) -> None:
    db.execute(
        "INSERT INTO idempotency_keys (hall_id, key, fingerprint, ticket_id, created_at) VALUES (?, ?, ?, ?, ?)",
        [hall_id, key, fingerprint, ticket_id, now],
    )


def purge_idempotency(db: sqlite_utils.Database, hall_id: int, before: str) -> int:
    cursor = db.execute("DELETE FROM idempotency_keys WHERE hall_id = ? AND created_at < ?", [hall_id, before])
    commands = db.execute("DELETE FROM command_keys WHERE hall_id = ? AND created_at < ?", [hall_id, before])
    return int(cursor.rowcount) + int(commands.rowcount)


def command_key(db: sqlite_utils.Database, hall_id: int, key: str) -> Row | None:
    """A window command's Idempotency-Key, if a command with it committed."""
    return one(db, "SELECT * FROM command_keys WHERE hall_id = ? AND key = ?", [hall_id, key])


def remember_command(
    db: sqlite_utils.Database, hall_id: int, key: str, fingerprint: str, command: str, window: int, now: str
) -> None:
    db.execute(
        "INSERT INTO command_keys (hall_id, key, fingerprint, command, window, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        [hall_id, key, fingerprint, command, window, now],
    )
