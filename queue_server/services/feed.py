"""The 好差评 feed's side of the use cases: a rating's record into the outbox, in the
rating's own transaction; and, for managers (their hall) and administrators, what the
outbox holds, its dead letters, and sending one again (recorded in the audit log).

The sending itself is `queue_server.review_feed`, a background loop of the server."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlite_utils

from queue_server import storage
from queue_server.domain import audit, clock, review_feed
from queue_server.domain.access import Permission, Principal, require
from queue_server.domain.audit import AuditAction
from queue_server.domain.errors import Conflict, NotFound
from queue_server.services.base import ServicesBase


class NotADeadLetter(Conflict):
    code = "not_a_dead_letter"
    title = "Not a dead letter"


class FeedUseCases(ServicesBase):
    def _feed_rating(self, db: sqlite_utils.Database, record: Mapping[str, Any], at: str) -> int:
        """Queue a rating record (the shared shape) for the platform, inside the caller's
        write transaction: the body is built now, with today's code tables, and never
        changes. Idempotent on the record's key. Returns the outbox row's id."""
        body = review_feed.payload(record, self.feed_codes)
        return storage.outbox.enqueue(db, record["key"], record["hall"], review_feed.KIND_RATING, body, at)

    def _feed_scope(self, db: sqlite_utils.Database, principal: Principal | None, hall: str | None) -> str | None:
        """The hall whose rows the caller reads (None: every hall), who asks checked first:
        a manager or an administrator of one hall reads that hall's only."""
        if hall is not None:
            row = storage.halls.by_code(db, hall)
            require(principal, Permission.VIEW_FEED, row["id"] if row else None)
            if row is None:
                raise NotFound(f"没有编码为 {hall!r} 的大厅", field="hall")
            return hall
        who = require(principal, Permission.VIEW_FEED, principal.hall_id if principal else None)
        if who.hall_id is None:
            return None
        own = storage.halls.by_id(db, who.hall_id)
        return own["code"] if own else ""

    def feed_status(self, principal: Principal | None, now: datetime, hall: str | None = None) -> dict[str, Any]:
        """Counts by state, the oldest record still pending (and how long it has waited),
        the last delivery and the last failed attempt."""
        with self.store.read() as db:
            scope = self._feed_scope(db, principal, hall)
            counts = storage.outbox.counts(db, scope)
            oldest = storage.outbox.oldest_pending(db, scope)
            delivered = storage.outbox.last_delivered(db, scope)
            failure = storage.outbox.last_failure(db, scope)
        if oldest is not None:
            waited = (now - clock.parse_iso(oldest["created_at"])).total_seconds()
            oldest = {**oldest, "waiting_seconds": max(0, round(waited))}
        return {
            "hall": scope,
            "counts": counts,
            "oldest_pending": oldest,
            "last_success": delivered,
            "last_error": failure,
        }

    def feed_dead_letters(
        self, principal: Principal | None, *, hall: str | None = None, before: int | None = None, limit: int = 100
    ) -> tuple[list[dict[str, Any]], int | None]:
        """Dead letters, newest first, each with the platform's last answer and the body
        it refused; and the `before` for the next page (None: no more)."""
        with self.store.read() as db:
            scope = self._feed_scope(db, principal, hall)
            rows = storage.outbox.dead_letters(db, scope, before=before, limit=limit + 1)
        page = [_letter(row) for row in rows[:limit]]
        return page, page[-1]["id"] if len(rows) > limit else None

    def retry_dead_letter(self, principal: Principal | None, letter_id: int, now: datetime) -> dict[str, Any]:
        """Put a dead letter back in the line, due now. Who asks comes first; another
        hall's letter answers as one that does not exist."""
        who = require(principal, Permission.RETRY_FEED, principal.hall_id if principal else None)
        with self.store.write() as db:
            row = storage.outbox.by_id(db, letter_id)
            own = storage.halls.by_id(db, who.hall_id) if who.hall_id is not None else None
            if row is None or (who.hall_id is not None and (own is None or own["code"] != row["hall"])):
                raise NotFound(f"没有编号为 {letter_id} 的待推送记录", field="letter_id")
            if row["state"] != review_feed.OutboxState.DEAD:
                raise NotADeadLetter(
                    f"记录 {letter_id} 不在死信中（当前状态：{row['state']}），无需重发", state=row["state"]
                )
            storage.outbox.retry_dead(db, letter_id, clock.iso(now))
            storage.audit.record(
                db,
                audit.entry(
                    who,
                    now,
                    AuditAction.FEED_RETRIED,
                    hall=row["hall"],
                    target=row["key"],
                    detail={
                        "letter": letter_id,
                        "kind": row["kind"],
                        "last_status": row["last_status"],
                        "attempts": row["attempts"],
                    },
                ),
            )
            after = storage.outbox.by_id(db, letter_id)
        assert after is not None
        return _letter(after)


def _letter(row: dict[str, Any]) -> dict[str, Any]:
    shaped = {name: value for name, value in row.items() if name not in ("payload", "claimed_until")}
    shaped["body"] = json.loads(row["payload"])
    return shaped
