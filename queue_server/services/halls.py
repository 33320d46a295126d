"""Halls: their files checked against live state, snapshots, catch-up, relayed events,
and the whole stored state of a hall for the invariant checks."""

from __future__ import annotations

import json
import logging
from datetime import date, datetime, timedelta
from typing import Any, Literal

from queue_server import storage
from queue_server.domain import announcements, clock, hall_changes, invariants, privacy
from queue_server.domain.access import Forbidden, Permission, Principal, bound_window, require
from queue_server.domain.audit import AuditAction
from queue_server.domain.errors import HallChangeRefused, InvalidInput
from queue_server.domain.events import EventType
from queue_server.domain.hall import read_hall_file
from queue_server.domain.privacy import audience_of
from queue_server.domain.search_keys import names_of, search_keys
from queue_server.services.base import Event, Tx
from queue_server.services.days import DayUseCases

log = logging.getLogger(__name__)

Effective = Literal["now", "next-day"]


class HallUseCases(DayUseCases):
    def list_halls(self, principal: Principal | None) -> list[dict[str, Any]]:
        with self.store.read() as db:
            rows = storage.halls.listed(db)
        if principal is None:
            return []
        return [
            {"code": r["code"], "name": r["name"]}
            for r in rows
            if principal.hall_id is None or principal.hall_id == r["id"]
        ]

    def import_hall(
        self,
        principal: Principal | None,
        raw: bytes | str,
        now: datetime,
        *,
        expected_code: str | None = None,
        effective: Effective = "now",
    ) -> tuple[dict[str, Any], list[Event]]:
        """Create or replace a hall from its file (admin, or the operator). A replacement
        is checked against the hall's live state: a conflict refuses it, listing each one,
        unless it is to take effect at the next service day and only the day's close
        would clear what stands in its way."""
        if expected_code is not None:  # who is asking comes before what the file says
            with self.store.read() as db:
                named = storage.halls.by_code(db, expected_code)
            require(principal, Permission.CONFIGURE_HALL, named["id"] if named else None)
        config_toml, spec = read_hall_file(raw.encode() if isinstance(raw, str) else raw)
        if expected_code is not None and spec.code != expected_code:
            raise InvalidInput(
                f"地址中的大厅 {expected_code!r} 与配置中的 hall.code {spec.code!r} 不一致", field="hall.code"
            )
        keys = {name: search_keys(name) for name in names_of(spec)}  # before the write: pypinyin reads
        with self.store.write() as db:
            existing = storage.halls.by_code(db, spec.code)
            # a new hall belongs to no one's hall yet: only those who see every hall make one
            require(principal, Permission.CONFIGURE_HALL, existing["id"] if existing else None)
            storage.search_keys.keep(db, keys)  # the catalogue's, so a server never loads pypinyin
            if existing is None:
                hall_id = storage.halls.save(db, spec.code, spec.name, config_toml, clock.iso(now))
                storage.windows.sync(db, hall_id, [(w.number, w.name, w.zone) for w in spec.windows])
                today = clock.service_day(now, spec).isoformat()
                storage.halls.set_service_day(db, hall_id, today)
                row = storage.halls.by_id(db, hall_id)
                assert row is not None
                tx = Tx(db=db, hall=self._hall_of_row(row), now=now, who=principal, day=today)
                self._record(tx, EventType.HALL_UPDATED, {"name": spec.name, "revision": tx.hall.revision})
                return self._imported(tx, None, created=True), tx.events
            tx = Tx(db=db, hall=self._hall_of_row(existing), now=now, who=principal, day="")
            self._ensure_day(tx, existing)
            found = hall_changes.conflicts(tx.hall.spec, spec, self._live_hall(tx), now)
            if effective == "now":
                if found:
                    raise _refused(found, "新的大厅配置与大厅当前状态冲突，未生效")
                self._store_hall_file(tx, spec, config_toml)
                return self._imported(tx, None, created=False), tx.events
            lasting = [c for c in found if c.lasting]
            if lasting:
                raise _refused(lasting, "新的大厅配置与大厅的设备设置冲突，次日也无法生效")
            from_day = (date.fromisoformat(tx.day) + timedelta(days=1)).isoformat()
            storage.halls.set_pending(db, tx.hall.id, config_toml, from_day)
            self._record(tx, EventType.HALL_CHANGE_SCHEDULED, {"effective_from": from_day})
            return self._imported(tx, from_day, created=False), tx.events

    def _imported(self, tx: Tx, effective_from: str | None, *, created: bool) -> dict[str, Any]:
        """What an import answers, kept in the audit log as it commits."""
        spec = tx.hall.spec
        result = {
            "code": spec.code,
            "name": spec.name,
            "id": tx.hall.id,
            "revision": tx.hall.revision,
            "service_day": tx.day,
            "effective_from": effective_from or tx.day,
        }
        detail = {"created": created, "revision": tx.hall.revision, "effective_from": result["effective_from"]}
        self._audit(tx, AuditAction.HALL_IMPORTED, target=spec.code, detail=detail)
        return result

    def snapshot(self, principal: Principal | None, hall_code: str, now: datetime) -> dict[str, Any]:
        """Everything a screen or console needs to draw the hall from scratch, as
        `principal` may see it (`domain.privacy`): the public part for a device, and only
        its own window for a window screen or review pad."""
        with self.store.read() as db:
            hall = self._hall_for(db, hall_code, principal, Permission.VIEW_HALL)
            hall_row = storage.halls.by_id(db, hall.id)
            assert hall_row is not None
            waiting = storage.tickets.waiting_counts(db, hall.id)
            window_rows = storage.windows.views(db, hall.id)
            calls = storage.tickets.current_calls(db, hall.id)
        spec = hall.spec
        whole = {
            "hall": {"code": spec.code, "name": spec.name, "timezone": spec.timezone, "notice": spec.notice},
            "notice": hall.notice(hall_row["notice"]),
            "service_day": hall_row["service_day"] or clock.service_day(now, spec).isoformat(),
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
                    "clerk_number": w["clerk_staff_number"] if w["status"] != "closed" else None,
                    "ticket": w["ticket_number"],
                    "ticket_status": w["ticket_status"],
                    "queues": [s.queue for s in hall.windows[w["number"]].serves]
                    if w["number"] in hall.windows
                    else [],
                }
                for w in window_rows
            ],
            # the call of each window that still has its ticket in hand, newest first
            "recent_calls": [
                {
                    "number": c["number"],
                    "window": c["window"],
                    "called_at": c["called_at"],
                    "seq": c["seq"],
                    "recall": c["calls"] > 1,
                    "texts": announcements.call_texts(c["number"], c["window"], recall=c["calls"] > 1),
                }
                for c in calls
            ],
        }
        return privacy.snapshot_for(
            whole, audience_of(principal), show_clerk_names=spec.show_clerk_names, window=bound_window(principal)
        )

    def catch_up(
        self,
        principal: Principal | None,
        hall_code: str,
        since: int,
        limit: int,
        *,
        zone: str | None = None,
        window: int | None = None,
    ) -> tuple[list[dict[str, Any]], int, bool]:
        """The hall's events after `since` as `principal` may see them: of its scope (the
        whole hall, a zone or a window; a window-bound device's own window whatever it
        asks), each shaped for its audience. Returns them, the sequence number of the
        last event looked at (`since` if none), and whether they are complete
        (`events_since`)."""
        bound = bound_window(principal)
        if bound is not None:
            if zone is not None or window not in (None, bound):
                raise Forbidden(f"此设备只绑定 {bound} 号窗口")
            window = bound
        events, complete = self.events_since(principal, hall_code, since, limit)
        hall = self.cached_hall(hall_code)
        show_clerk_names = hall.spec.show_clerk_names if hall else False
        audience = audience_of(principal)
        shaped = (
            privacy.event_for(payload, audience, show_clerk_names=show_clerk_names)
            for payload in (event.payload() for event in events)
            if privacy.concerns(payload, zone=zone, window=window)
        )
        payloads = [payload for payload in shaped if payload is not None]  # staff-only events: nothing
        return payloads, events[-1].seq if events else since, complete

    def events_since(
        self, principal: Principal | None, hall_code: str, since: int, limit: int = 500
    ) -> tuple[list[Event], bool]:
        """The hall's events after `since`, and whether they are complete.

        Incomplete (too many missed, or a sequence from before a reset) tells the client
        to redraw from a snapshot instead.
        """
        with self.store.read() as db:
            hall = self._hall_for(db, hall_code, principal, Permission.VIEW_HALL)
            last_seq = storage.halls.by_id(db, hall.id)["last_seq"]  # type: ignore[index]
            if since > last_seq or since < 0:
                return [], False
            rows = storage.halls.events_since(db, hall.id, since, limit + 1)
        events = [Event(hall_code, r["seq"], r["type"], r["at"], json.loads(r["data"])) for r in rows[:limit]]
        return events, len(rows) <= limit

    def take_relayed_events(self) -> list[Event]:
        """Events another process (the command line) wrote, claimed for this server to send."""
        with self.store.read() as db:
            if not storage.halls.has_events_to_relay(db):
                return []
        with self.store.write() as db:
            rows = storage.halls.take_events_to_relay(db)
        return [Event(r["hall"], r["seq"], r["type"], r["at"], json.loads(r["data"])) for r in rows]

    def hall_state(self, hall_code: str) -> invariants.HallState:
        """Everything stored for one hall, for `invariants.violations`."""
        with self.store.read() as db:
            hall = self._hall(db, hall_code)
            row = storage.halls.by_id(db, hall.id)
            assert row is not None
            tickets = [
                storage.tickets.from_row(r) for r in db.query("SELECT * FROM tickets WHERE hall_id = ?", [hall.id])
            ]
            visits = [
                invariants.Visit(
                    ticket_id=v["ticket_id"],
                    window=v["window"],
                    open=v["ended_at"] is None,
                    handling_seconds=v["handling_seconds"],
                )
                for v in storage.tickets.visits_of_hall(db, hall.id)
            ]
            return invariants.HallState(
                hall_id=hall.id,
                open_day=row["service_day"] or "",
                spec=hall.spec,
                tickets=tickets,
                windows=storage.windows.all_of(db, hall.id),
                visits=visits,
                appointments=storage.appointments.of_hall(db, hall.id),
                ratings=[
                    invariants.Rating(id=r["id"], hall_id=r["hall_id"], ticket_id=r["ticket_id"])
                    for r in storage.ratings.of_hall_or_tickets(db, hall.id)
                ],
                invitations=storage.ratings.invitations_of_hall(db, hall.id),
                citizen_bad_ratings=storage.review_cases.citizen_bad_ratings(db, hall.id),
                review_cases=[
                    invariants.ReviewCaseRef(r["id"], r["hall_id"], r["rating_id"], r["rating_hall_id"])
                    for r in storage.review_cases.of_hall_or_ratings(db, hall.id)
                ],
            )


def _refused(found: list[hall_changes.ChangeConflict], headline: str) -> HallChangeRefused:
    details = "；".join(c.detail for c in found)
    return HallChangeRefused(f"{headline}：{details}", conflicts=[c.to_dict() for c in found])
