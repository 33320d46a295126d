"""Halls: configuration, snapshots, catch-up, and the end-of-day sweep."""

from __future__ import annotations

import json
import logging
import tomllib
from datetime import datetime, timedelta
from typing import Any

from queue_server import storage
from queue_server.domain import announcements, clock
from queue_server.domain.access import Permission, Principal, require
from queue_server.domain.errors import InvalidInput
from queue_server.domain.hall import parse_hall
from queue_server.domain.tickets import TicketStatus
from queue_server.services.base import Event, EventType, ServicesBase

log = logging.getLogger(__name__)


class HallUseCases(ServicesBase):
    def list_halls(self, principal: Principal | None) -> list[dict[str, Any]]:
        with self.store.read() as db:
            rows = storage.list_halls(db)
        if principal is None:
            return []
        return [
            {"code": r["code"], "name": r["name"]}
            for r in rows
            if principal.hall_id is None or principal.hall_id == r["id"]
        ]

    def import_hall(
        self, principal: Principal | None, config_toml: str, now: datetime, *, expected_code: str | None = None
    ) -> tuple[dict[str, Any], list[Event]]:
        """Create or replace a hall from its TOML text (admin only)."""
        try:
            data = tomllib.loads(config_toml)
        except tomllib.TOMLDecodeError as error:
            raise InvalidInput(f"大厅配置不是合法的 TOML：{error}") from None
        spec = parse_hall(data)
        if expected_code is not None and spec.code != expected_code:
            raise InvalidInput(
                f"地址中的大厅 {expected_code!r} 与配置中的 hall.code {spec.code!r} 不一致", field="hall.code"
            )
        with self.store.write() as db:
            if principal is not None:  # None: the operator's own command line
                existing = storage.hall_by_code(db, spec.code)
                require(principal, Permission.CONFIGURE_HALL, existing["id"] if existing else -1)
            hall_id = storage.save_hall(db, spec.code, spec.name, config_toml, clock.iso(now))
            storage.sync_windows(db, hall_id, [(w.number, w.name, w.zone) for w in spec.windows])
            event = self._event(db, spec.code, hall_id, now, EventType.HALL_UPDATED, {"name": spec.name})
        return {"code": spec.code, "name": spec.name, "id": hall_id}, [event]

    def snapshot(self, principal: Principal | None, hall_code: str, now: datetime) -> dict[str, Any]:
        """Everything a screen or console needs to draw the hall from scratch."""
        with self.store.read() as db:
            hall = self._hall(db, hall_code)
            require(principal, Permission.VIEW_HALL, hall.id)
            day = clock.service_day(now, hall.spec).isoformat()
            hall_row = storage.hall_by_id(db, hall.id)
            assert hall_row is not None
            waiting = storage.waiting_counts(db, hall.id, day)
            window_rows = storage.windows(db, hall.id)
            calls = storage.last_calls(db, hall.id, day)
        spec = hall.spec
        return {
            "hall": {"code": spec.code, "name": spec.name, "timezone": spec.timezone, "notice": spec.notice},
            "notice": hall.notice(hall_row["notice"]),
            "service_day": day,
            "seq": hall_row["last_seq"],
            "zones": [{"code": z.code, "name": z.name} for z in spec.zones],
            "queues": [
                {
                    "code": q.code,
                    "prefix": q.prefix,
                    "name": q.name,
                    "kind": q.kind.value,
                    "waiting": waiting.get(q.code, 0),
                    "issuing": clock.is_issuing(q, spec, now),
                }
                for q in spec.queues
            ],
            "items": [
                {"code": i.code, "name": i.name, "department": i.department, "queue": i.queue} for i in spec.items
            ],
            "bundles": [
                {"code": b.code, "name": b.name, "queue": b.queue, "items": list(b.items)} for b in spec.bundles
            ],
            "windows": [
                {
                    "number": w["number"],
                    "name": w["name"],
                    "zone": w["zone"],
                    "status": w["status"],
                    "clerk": w["clerk_name"] if w["status"] != "closed" else None,
                    "ticket": w["ticket_number"],
                    "ticket_status": w["ticket_status"],
                    "queues": [s.queue for s in hall.windows[w["number"]].serves]
                    if w["number"] in hall.windows
                    else [],
                }
                for w in window_rows
            ],
            "recent_calls": [
                {
                    "number": c["number"],
                    "window": c["window"],
                    "called_at": c["called_at"],
                    "texts": announcements.call_texts(c["number"], c["window"], recall=False),
                }
                for c in calls
            ],
        }

    def events_since(
        self, principal: Principal | None, hall_code: str, after_seq: int, limit: int = 500
    ) -> tuple[list[Event], bool]:
        """The hall's events after `after_seq`, and whether they are complete.

        Incomplete (too many missed, or a sequence from before a reset) tells the client
        to redraw from a snapshot instead.
        """
        with self.store.read() as db:
            hall = self._hall(db, hall_code)
            require(principal, Permission.VIEW_HALL, hall.id)
            last_seq = storage.hall_by_id(db, hall.id)["last_seq"]  # type: ignore[index]
            if after_seq > last_seq or after_seq < 0:
                return [], False
            rows = storage.events_since(db, hall.id, after_seq, limit + 1)
        events = [Event(hall_code, r["seq"], r["type"], r["at"], json.loads(r["data"])) for r in rows[:limit]]
        return events, len(rows) <= limit

    # ---- end of day -----------------------------------------------------------------

    def sweep(
        self, principal: Principal | None, hall_code: str, now: datetime, *, include_today: bool = False
    ) -> tuple[dict[str, Any], list[Event]]:
        """Close what is left: tickets of earlier days (and today's when `include_today`),
        and every window still open."""
        with self.store.write() as db:
            hall = self._hall(db, hall_code)
            if principal is not None:
                require(principal, Permission.SWEEP_DAY, hall.id)
            today = clock.service_day(now, hall.spec)
            last_day = today if include_today else today - timedelta(days=1)
            events = []
            rows = storage.active_tickets_before(db, hall.id, last_day.isoformat())
            for row in rows:
                storage.update_ticket(db, row["id"], status=TicketStatus.EXPIRED.value, finished_at=clock.iso(now))
                events.append(
                    self._ticket_event(
                        db, hall, now, EventType.TICKET_EXPIRED, row["id"], principal, reason="end_of_day"
                    )
                )
            closed = 0
            if include_today:
                for w in storage.windows(db, hall.id):
                    if w["status"] != "closed":
                        storage.update_window(db, hall.id, w["number"], status="closed", clerk_id=None, ticket_id=None)
                        storage.close_attendance(db, hall.id, w["number"], clock.iso(now))
                        events.append(
                            self._window_event(
                                db, hall, now, EventType.WINDOW_CLOSED, w["number"], principal, reason="end_of_day"
                            )
                        )
                        closed += 1
        return {"expired_tickets": len(rows), "closed_windows": closed, "through_day": last_day.isoformat()}, events
