"""The managers' alerts (domain.alerts): raised and cleared by the server's timer,
acknowledged by a manager, listed for the dashboard.

`evaluate_alerts(now, online)` is one round of the timer: a few indexed reads over every
hall at once (the waiting tickets per queue, the paused windows, the devices seen before,
the open alerts), and, only for a hall where an alert is to be raised or cleared, one
write transaction that reads that hall's state again and raises and clears what it calls
for then. The database holds at most one open alert per (hall, kind, subject) (migration
13), so of several server processes running the timer one raises each alert; the others
find it open. Whether a device is connected is the presence store's (one process's
memory, or Redis shared by every process: `realtime.presence`), handed in as `online`;
when its link ended is the device row's `last_seen_at`.

Each raise, clear and acknowledgement is the staff-only hall event `alert_raised`,
`alert_cleared`, `alert_acknowledged` carrying the alert's whole view, written to the
hall's log in the same transaction, so a dashboard that reconnects catches up.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import sqlite_utils

from queue_server import storage
from queue_server.domain import alerts, clock
from queue_server.domain.access import OPERATOR, Permission, Principal
from queue_server.domain.alerts import AlertKind, HallState
from queue_server.domain.audit import AuditAction
from queue_server.domain.errors import NotFound
from queue_server.domain.events import EventType
from queue_server.services.base import Event, Hall, ServicesBase, Tx

log = logging.getLogger(__name__)

# which of the given device ids are connected now (to any server process)
Online = Callable[[Iterable[int]], set[int]]


def _view(row: dict[str, Any]) -> dict[str, Any]:
    """An alert as the API lists it and every alert event carries it."""
    by = row["acknowledged_by"]
    return {
        "id": row["id"],
        "hall": row["hall"],
        "kind": row["kind"],
        "subject": row["subject"],
        "detail": row["detail"],
        "raised_at": row["raised_at"],
        "cleared_at": row["cleared_at"],
        "acknowledged_by": {"id": by, "name": row["acknowledged_by_name"]} if by is not None else None,
        "acknowledged_at": row["acknowledged_at"],
        "threshold": row["threshold"],
        "value": row["value"],
    }


def _unwatched(key: tuple[str, str], connected: set[int] | None) -> bool:
    """A device's alert in a round that does not know who is connected: left as it is."""
    return connected is None and key[0] == AlertKind.DEVICE_OFFLINE


def _parse(text: str | None) -> datetime | None:
    return clock.parse_iso(text) if text else None


class AlertUseCases(ServicesBase):
    # ---- the timer ---------------------------------------------------------------------

    def evaluate_alerts(self, now: datetime, online: Online | None = None) -> list[Event]:
        """One round: raise the alerts every hall's state calls for and clear those it no
        longer does. `online`: which devices are connected now (None: none is watched)."""
        connected = self._connected(online)  # outside any transaction: Redis may be asked
        with self.store.read() as db:
            halls = {row["id"]: self._hall_of_row(row) for row in storage.halls.all_rows(db)}
            states = self._states(db, halls, connected)
            opened: dict[int, set[tuple[str, str]]] = defaultdict(set)
            for row in storage.alerts.open_alerts(db):
                opened[row["hall_id"]].add((row["kind"], row["subject"]))
        events: list[Event] = []
        for hall_id, hall in halls.items():
            wanted = alerts.due(states[hall_id], hall.spec.alerts, now)
            if set(wanted) == {key for key in opened[hall_id] if not _unwatched(key, connected)}:
                continue
            with self._writing(hall.spec.code, now, OPERATOR) as tx:
                self._settle(tx, connected)
                events += tx.events
        return events

    def _connected(self, online: Online | None) -> set[int] | None:
        """Which of the devices seen before are connected now; None: not known this round."""
        if online is None:
            return None
        with self.store.read() as db:
            watched = [row["id"] for row in storage.alerts.seen_devices(db)]
        return set(online(watched)) if watched else set()

    def _states(
        self, db: sqlite_utils.Database, halls: dict[int, Hall], connected: set[int] | None
    ) -> dict[int, HallState]:
        queues: dict[int, list[alerts.QueueState]] = defaultdict(list)
        for row in storage.alerts.waiting_by_queue(db):
            if row["hall_id"] in halls:
                name = halls[row["hall_id"]].queue_name(row["queue"])
                state = alerts.QueueState(row["queue"], name, row["waiting"], _parse(row["oldest"]))
                queues[row["hall_id"]].append(state)
        paused: dict[int, list[alerts.PausedWindow]] = defaultdict(list)
        for row in storage.alerts.paused_windows(db):
            if row["updated_at"]:
                paused[row["hall_id"]].append(
                    alerts.PausedWindow(row["number"], row["name"], clock.parse_iso(row["updated_at"]))
                )
        offline: dict[int, list[alerts.OfflineDevice]] = defaultdict(list)
        if connected is not None:
            for row in storage.alerts.seen_devices(db):
                if row["id"] not in connected:
                    device = alerts.OfflineDevice(
                        row["id"], row["kind"], row["name"], clock.parse_iso(row["last_seen_at"])
                    )
                    offline[row["hall_id"]].append(device)
        return {
            hall_id: HallState(tuple(queues[hall_id]), tuple(paused[hall_id]), tuple(offline[hall_id]))
            for hall_id in halls
        }

    def _settle(self, tx: Tx, connected: set[int] | None) -> None:
        """Inside the hall's write: its state read again, raise and clear what it calls for."""
        state = self._states(tx.db, {tx.hall.id: tx.hall}, connected)[tx.hall.id]
        wanted = alerts.due(state, tx.hall.spec.alerts, tx.now)
        current = {(row["kind"], row["subject"]): row for row in storage.alerts.open_alerts(tx.db, tx.hall.id)}
        for key, row in current.items():
            if key not in wanted and not _unwatched(key, connected):
                storage.alerts.clear(tx.db, row["id"], tx.at)
                self._alert_event(tx, EventType.ALERT_CLEARED, row["id"])
        for key, found in wanted.items():
            if key in current:
                continue
            alert_id = storage.alerts.raise_alert(
                tx.db,
                {
                    "hall_id": tx.hall.id,
                    "kind": found.kind.value,
                    "subject": found.subject,
                    "detail": found.detail,
                    "threshold": found.threshold,
                    "value": found.value,
                    "raised_at": tx.at,
                },
            )
            if alert_id is not None:
                self._alert_event(tx, EventType.ALERT_RAISED, alert_id)

    def _alert_event(self, tx: Tx, type: EventType, alert_id: int) -> dict[str, Any]:
        row = storage.alerts.view(tx.db, alert_id)
        assert row is not None
        view = _view(row)
        self._record(tx, type, {"alert": view})
        return view

    # ---- the managers --------------------------------------------------------------------

    def acknowledge_alert(
        self, principal: Principal | None, hall_code: str, alert_id: int, now: datetime
    ) -> tuple[dict[str, Any], list[Event]]:
        """A manager saw the alert: who and when are kept (and audited). Acknowledging it
        again answers the first acknowledgement, unchanged."""
        with self._writing(hall_code, now, principal, Permission.ACKNOWLEDGE_ALERT) as tx:
            row = storage.alerts.view(tx.db, alert_id) if 0 < alert_id < 2**63 else None
            if row is None or row["hall_id"] != tx.hall.id:
                raise NotFound(f"大厅中没有编号为 {alert_id} 的预警", field="alert_id")
            user_id = principal.user_id if principal is not None else None
            if not storage.alerts.acknowledge(tx.db, alert_id, user_id, tx.at):
                return _view(row), []
            self._audit(tx, AuditAction.ALERT_ACKNOWLEDGED, target=alert_id, detail={"kind": row["kind"]})
            return self._alert_event(tx, EventType.ALERT_ACKNOWLEDGED, alert_id), tx.events

    def list_alerts(
        self, principal: Principal | None, hall_code: str, now: datetime, *, open_only: bool = False
    ) -> dict[str, Any]:
        """The hall's open alerts and, unless `open_only`, those cleared this service day;
        newest first."""
        with self.store.read() as db:
            hall = self._hall_for(db, hall_code, principal, Permission.VIEW_ALERTS)
            since = None if open_only else clock.iso(clock.day_starts(clock.service_day(now, hall.spec), hall.spec))
            rows = storage.alerts.listed(db, hall.id, since)
        views = [_view(row) for row in rows]
        return {
            "hall": hall.spec.code,
            "now": clock.iso(now),
            "open": sum(view["cleared_at"] is None for view in views),
            "alerts": views,
        }
