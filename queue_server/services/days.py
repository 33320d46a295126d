"""Service days: the close of a day, the manual sweep, and the rollover timer's work.

A hall's row names its open service day. When the clock passes the hall's rollover time
(03:00 local by default) the day is closed: every ticket still open expires, every
window is freed and closed (attendance ends), every appointment of the day not checked
in is void, a hall file waiting for the next day takes effect, old idempotency keys are
purged, and `day_started` opens the new day. This runs at the start of every write
transaction of the hall (`_ensure_day`), so no write ever acts on yesterday's line, and
from the server's timer (`roll_days`), so that screens learn of the new day even when
nobody writes. No cron is needed; `queue-server sweep`
stays for closing by hand.
"""

from __future__ import annotations

import json
import logging
import tomllib
from datetime import datetime, timedelta
from typing import Any

from queue_server import storage
from queue_server.domain import appointments, clock, hall_changes, lifecycle
from queue_server.domain.access import OPERATOR, Permission, Principal
from queue_server.domain.audit import AuditAction
from queue_server.domain.events import EventType
from queue_server.domain.hall import HallSpec, parse_hall
from queue_server.domain.lifecycle import WindowStatus
from queue_server.services.base import Event, ServicesBase, Tx

log = logging.getLogger(__name__)


class DayUseCases(ServicesBase):
    def _ensure_day(self, tx: Tx, row: dict[str, Any]) -> None:
        """Close the hall's open service day if it has ended; leaves `tx.day` on the day
        now open. A clock set back never reopens a closed day. `row`: the hall's row, read
        in this transaction."""
        today = clock.service_day(tx.now, tx.hall.spec).isoformat()
        open_day: str | None = row["service_day"]
        if open_day is not None and open_day >= today:
            tx.day = open_day
            return
        if open_day is None:
            # a hall from before service days were kept: close only what earlier days left
            tx.day = today
            expired = self._expire_open(tx, before_day=today)
            self._void_unchecked_appointments(tx, before_day=today)
            storage.halls.set_service_day(tx.db, tx.hall.id, today)
            if expired:
                log.info("hall %s: expired %d tickets of earlier days", tx.hall.spec.code, expired)
            return
        tx.day = open_day
        expired, closed = self._close_everything(tx, reason="end_of_day")
        self._void_unchecked_appointments(tx, before_day=today)
        storage.halls.purge_idempotency(tx.db, tx.hall.id, clock.iso(tx.now - timedelta(days=self.idempotency_days)))
        purged = storage.outbox.purge_delivered(
            tx.db, tx.hall.spec.code, clock.iso(tx.now - timedelta(days=self.feed_keep_days))
        )
        if purged:
            log.info(
                "hall %s: %d 好差评 records delivered over %d days ago purged",
                tx.hall.spec.code,
                purged,
                self.feed_keep_days,
            )
        if row["pending_config_toml"] and row["pending_from"] <= today:
            self._apply_pending(tx, row["pending_config_toml"])
        storage.halls.set_service_day(tx.db, tx.hall.id, today)
        tx.day = today
        self._record(
            tx,
            EventType.DAY_STARTED,
            {"previous_day": open_day, "expired_tickets": expired, "closed_windows": closed},
            reason="rollover",
        )
        log.info("hall %s: service day %s closed, %s opened", tx.hall.spec.code, open_day, today)

    def _close_everything(self, tx: Tx, *, reason: str) -> tuple[int, int]:
        """Expire every open ticket and close every window (ending attendance). Returns
        how many of each."""
        expired = self._expire_open(tx, before_day=None, reason=reason)
        closed = 0
        for window in storage.windows.all_of(tx.db, tx.hall.id):
            if window.status is WindowStatus.CLOSED:
                continue
            step = lifecycle.close_window(window, None)
            assert step is not None  # every ticket expired: the window is idle
            storage.windows.close_attendance(tx.db, tx.hall.id, window.number, tx.at)
            self._apply(tx, step, reason=reason, window_view=True, extra={"reason": reason})
            closed += 1
        return expired, closed

    def _expire_open(self, tx: Tx, *, before_day: str | None, reason: str = "end_of_day") -> int:
        """Expire open tickets (those of days before `before_day` only, if given)."""
        windows = {w.number: w for w in storage.windows.all_of(tx.db, tx.hall.id)}
        count = 0
        for ticket in storage.tickets.open_tickets(tx.db, tx.hall.id):
            if before_day is not None and ticket.service_day >= before_day:
                continue
            holder = windows.get(ticket.window) if ticket.window is not None else None
            step = lifecycle.expire(ticket, holder, now=tx.now)
            self._apply(tx, step, window=step.window.number if step.window else None, reason=reason)
            if step.window is not None:
                windows[step.window.number] = step.window
            count += 1
        return count

    def _void_unchecked_appointments(self, tx: Tx, *, before_day: str) -> int:
        """Every appointment of a closed day that was never checked in is void."""
        stale = storage.appointments.booked_of_days_before(tx.db, tx.hall.id, before_day)
        for appointment in stale:
            void = appointments.void(appointment, now=tx.now, reason=appointments.VoidReason.END_OF_DAY)
            storage.appointments.save(tx.db, void)
        if stale:
            log.info("hall %s: %d appointments void at the day's close", tx.hall.spec.code, len(stale))
        return len(stale)

    def _apply_pending(self, tx: Tx, config_toml: str) -> None:
        """A hall file scheduled for this day: everything live is closed, so only lasting
        conflicts (devices, screens) can stand in its way."""
        spec = parse_hall(tomllib.loads(config_toml))
        live = self._live_hall(tx)
        lasting = [c for c in hall_changes.conflicts(tx.hall.spec, spec, live, tx.now) if c.lasting]
        if lasting:
            log.warning(
                "hall %s: scheduled hall file not applied: %s", tx.hall.spec.code, "; ".join(c.detail for c in lasting)
            )
            return
        self._store_hall_file(tx, spec, config_toml)

    def _store_hall_file(self, tx: Tx, spec: HallSpec, config_toml: str) -> None:
        hall_id = storage.halls.save(tx.db, spec.code, spec.name, config_toml, tx.at)
        storage.windows.sync(tx.db, hall_id, [(w.number, w.name, w.zone) for w in spec.windows])
        row = storage.halls.by_id(tx.db, hall_id)
        assert row is not None
        tx.hall = self._hall_of_row(row)
        self._record(tx, EventType.HALL_UPDATED, {"name": spec.name, "revision": tx.hall.revision})

    def _live_hall(self, tx: Tx) -> hall_changes.LiveHall:
        devices = []
        for row in storage.people.devices_of_hall(tx.db, tx.hall.id):
            settings = json.loads(row["settings"] or "{}")
            devices.append(
                hall_changes.Device(
                    id=row["id"], kind=row["kind"], name=row["name"], window=row["window"], zone=settings.get("zone")
                )
            )
        return hall_changes.LiveHall(
            open_day=datetime.fromisoformat(tx.day).date(),
            open_tickets=storage.tickets.open_tickets(tx.db, tx.hall.id),
            windows=storage.windows.all_of(tx.db, tx.hall.id),
            devices=devices,
            booked=storage.appointments.booked_from(tx.db, tx.hall.id, tx.day),
        )

    def sweep(
        self, principal: Principal | None, hall_code: str, now: datetime, *, include_today: bool = False
    ) -> tuple[dict[str, Any], list[Event]]:
        """Close by hand: whatever earlier days left (the timer does that by itself), and
        with `include_today` also today's open tickets and every open window, after hours.
        The day stays open: numbering goes on."""
        with self._writing(hall_code, now, principal, Permission.SWEEP_DAY) as tx:
            rolled = sum(1 for e in tx.events if e.type == EventType.TICKET_EXPIRED)
            closed_before = sum(1 for e in tx.events if e.type == EventType.WINDOW_CLOSED)
            expired, closed = self._close_everything(tx, reason="end_of_day") if include_today else (0, 0)
            result = {
                "expired_tickets": rolled + expired,
                "closed_windows": closed_before + closed,
                "service_day": tx.day,
            }
            self._audit(tx, AuditAction.DAY_SWEPT, detail={"include_today": include_today, **result})
            return result, tx.events

    def roll_days(self, now: datetime) -> list[Event]:
        """The timer's work: close the service day of every hall whose day has ended."""
        with self.store.read() as db:
            due = [
                row["code"]
                for row in storage.halls.all_rows(db)
                if row["service_day"] is None
                or row["service_day"] < clock.service_day(now, self._hall_of_row(row).spec).isoformat()
            ]
        events: list[Event] = []
        for code in due:
            with self._writing(code, now, OPERATOR) as tx:
                events += tx.events
        return events
