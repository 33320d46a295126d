"""The one place that speaks SQL. `Storage` owns the file, its connections and
transactions (`store.py`); the schema is `schema.py`; each record kind has a module of
plain functions over a connection: `halls` (halls, the event log, idempotency keys),
`tickets` (tickets, numbers, the line, visits), `windows` (windows, attendance),
`people` (users and devices), `sessions` (sign-ins: sessions, failed attempts, the
credential-change counter), `audit` (the append-only log of administrators' and
managers' actions), `appointments` (预约 pushed by the booking platform), `print_jobs`
(print jobs, the printers serving stations), `ratings` (好差评 ratings and the review
pads' invitations), `review_cases` (差评整改), `reports` (the reports' reads), `dashboard`
(the managers' live figures), `outbox` (records waiting for the 好差评 platform), `alerts`
(the managers' alerts) and `search_keys` (the catalogue's pinyin keys). `lock.py` keeps a second server
process off the file unless the servers share a message queue."""

from __future__ import annotations

from queue_server.storage import (
    alerts,
    appointments,
    audit,
    dashboard,
    halls,
    outbox,
    people,
    print_jobs,
    ratings,
    reports,
    review_cases,
    search_keys,
    sessions,
    tickets,
    windows,
)
from queue_server.storage.lock import DatabaseInUse
from queue_server.storage.sql import Row
from queue_server.storage.store import Storage

__all__ = [
    "DatabaseInUse",
    "Row",
    "Storage",
    "alerts",
    "appointments",
    "audit",
    "dashboard",
    "halls",
    "outbox",
    "people",
    "print_jobs",
    "ratings",
    "reports",
    "review_cases",
    "search_keys",
    "sessions",
    "tickets",
    "windows",
]
