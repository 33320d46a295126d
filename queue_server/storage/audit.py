"""The audit log (domain.audit): appended to inside the action's own transaction, read
newest first. The table refuses UPDATE and DELETE (migration 6)."""

from __future__ import annotations

import json
from dataclasses import asdict

import sqlite_utils

from queue_server.domain.audit import AuditEntry
from queue_server.storage.sql import Row, insert


def record(db: sqlite_utils.Database, entry: AuditEntry) -> int:
    values = asdict(entry)
    values["action"] = entry.action.value
    values["detail"] = json.dumps(entry.detail, ensure_ascii=False, sort_keys=True)
    return insert(db, "audit_log", values)


def entries(
    db: sqlite_utils.Database,
    *,
    limit: int,
    before: int | None = None,
    since: str | None = None,
    hall: str | None = None,
    actor: str | None = None,
    action: str | None = None,
) -> list[Row]:
    """Up to `limit` entries, newest first: those with an id below `before` (the next
    page), at or after `since`, of `hall`, by `actor`, of `action`, as given."""
    conditions, params = [], []
    for sql, value in (
        ("id < ?", before),
        ("at >= ?", since),
        ("hall = ?", hall),
        ("actor = ?", actor),
        ("action = ?", action),
    ):
        if value is not None:
            conditions.append(sql)
            params.append(value)
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    rows = db.query(f"SELECT * FROM audit_log {where} ORDER BY id DESC LIMIT ?", [*params, limit])
    return [{**row, "detail": json.loads(row["detail"])} for row in rows]
