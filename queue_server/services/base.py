"""What every use case shares: events, the hall as the services see it, and the
helpers that write the log and shape what goes out."""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlite_utils

from queue_server import storage
from queue_server.domain import clock, estimate
from queue_server.domain.access import Principal
from queue_server.domain.errors import NotFound
from queue_server.domain.hall import HallSpec, QueueSpec, WindowSpec, parse_hall
from queue_server.domain.tickets import TicketStatus

log = logging.getLogger(__name__)


class EventType:
    """Server-to-client event names: snake_case, past tense. docs/socket-events.md lists them."""

    TICKET_ISSUED = "ticket_issued"
    TICKET_CALLED = "ticket_called"
    TICKET_RECALLED = "ticket_recalled"
    TICKET_NO_SHOW = "ticket_no_show"
    SERVICE_STARTED = "service_started"
    SERVICE_FINISHED = "service_finished"
    TICKET_TRANSFERRED = "ticket_transferred"
    TICKET_SUSPENDED = "ticket_suspended"
    TICKET_RESUMED = "ticket_resumed"
    TICKET_CANCELLED = "ticket_cancelled"
    TICKET_EXPIRED = "ticket_expired"
    WINDOW_OPENED = "window_opened"
    WINDOW_PAUSED = "window_paused"
    WINDOW_RESUMED = "window_resumed"
    WINDOW_CLOSED = "window_closed"
    HALL_UPDATED = "hall_updated"
    NOTICE_CHANGED = "notice_changed"

    @classmethod
    def all(cls) -> list[str]:
        return [v for k, v in vars(cls).items() if k.isupper()]


@dataclass(frozen=True)
class Event:
    """One committed entry of a hall's log, as it goes out to clients."""

    hall: str
    seq: int
    type: str
    at: str
    data: dict[str, Any]

    def payload(self) -> dict[str, Any]:
        return {"hall": self.hall, "seq": self.seq, "type": self.type, "at": self.at, **self.data}


@dataclass
class Hall:
    """A hall as the services see it: its stored id and its parsed configuration."""

    id: int
    revision: int
    spec: HallSpec
    windows: dict[int, WindowSpec] = field(init=False)
    zone_codes: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.windows = {w.number: w for w in self.spec.windows}
        self.zone_codes = tuple(z.code for z in self.spec.zones)

    def notice(self, stored: str | None) -> str:
        """The notice in force: the manager's (stored on the hall row), else the hall file's."""
        return stored if stored is not None else self.spec.notice

    def queue(self, code: str) -> QueueSpec:
        try:
            return self.spec.queue(code)
        except KeyError:
            raise NotFound(f"大厅中没有队列 {code!r}", field="queue") from None

    def window(self, number: int) -> WindowSpec:
        if number not in self.windows:
            raise NotFound(f"大厅中没有 {number} 号窗口", field="window")
        return self.windows[number]

    def windows_serving(self, queue: str) -> list[int]:
        return [w.number for w in self.spec.windows if any(s.queue == queue for s in w.serves)]


class ServicesBase:
    """The store, the hall cache, and the helpers every use case shares."""

    def __init__(self, store: storage.Storage, id_secret: bytes) -> None:
        self.store = store
        self._id_secret = id_secret
        self._halls: dict[str, Hall] = {}

    def _hall(self, db: sqlite_utils.Database, code: str) -> Hall:
        row = storage.hall_by_code(db, code)
        if row is None:
            raise NotFound(f"没有编码为 {code!r} 的大厅", field="hall")
        cached = self._halls.get(code)
        if cached is None or cached.revision != row["revision"]:
            cached = Hall(id=row["id"], revision=row["revision"], spec=parse_hall(tomllib.loads(row["config_toml"])))
            self._halls[code] = cached
        return cached

    def cached_hall(self, code: str) -> Hall | None:
        """The hall as last read, without touching the store (for routing emits)."""
        return self._halls.get(code)

    def hall(self, code: str) -> Hall:
        with self.store.read() as db:
            return self._hall(db, code)

    def _ticket_event(
        self,
        db: sqlite_utils.Database,
        hall: Hall,
        now: datetime,
        type: str,
        ticket_id: int,
        who: Principal | None,
        *,
        window: int | None = None,
        reason: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> Event:
        row = storage.ticket(db, ticket_id)
        assert row is not None
        data: dict[str, Any] = {"ticket": self._ticket_brief(hall, row)}
        if window is not None:
            spec = hall.window(window)
            data["window"] = {"number": window, "name": spec.name, "zone": spec.zone}
        if reason is not None:
            data["reason"] = reason
        data.update(extra or {})
        # every ticket event carries its queue's waiting count, so screens never re-read
        data.setdefault("waiting", {row["queue"]: self._waiting(db, hall, row["service_day"], row["queue"])})
        return self._event(
            db,
            hall.spec.code,
            hall.id,
            now,
            type,
            data,
            ticket_id=ticket_id,
            window=window,
            clerk_id=who.user_id if who else None,
            reason=reason,
        )

    def _window_event(
        self,
        db: sqlite_utils.Database,
        hall: Hall,
        now: datetime,
        type: str,
        number: int,
        who: Principal | None,
        reason: str | None = None,
    ) -> Event:
        return self._event(
            db,
            hall.spec.code,
            hall.id,
            now,
            type,
            {"window": self._window_view(db, hall, number), "reason": reason},
            window=number,
            clerk_id=who.user_id if who else None,
            reason=reason,
        )

    @staticmethod
    def _event(
        db: sqlite_utils.Database,
        hall_code: str,
        hall_id: int,
        now: datetime,
        type: str,
        data: dict[str, Any],
        **columns: Any,
    ) -> Event:
        at = clock.iso(now)
        seq = storage.append_event(db, hall_id, at=at, type=type, data=data, **columns)
        return Event(hall_code, seq, type, at, data)

    def _window_view(self, db: sqlite_utils.Database, hall: Hall, number: int) -> dict[str, Any]:
        row = storage.window_with_ticket(db, hall.id, number)
        assert row is not None
        return {
            "number": number,
            "name": row["name"],
            "zone": row["zone"],
            "status": row["status"],
            "clerk": row["clerk_name"] if row["status"] != "closed" else None,
            "ticket": row["ticket_number"],
            "ticket_id": row["ticket_id"],
            "ticket_status": row["ticket_status"],
        }

    @staticmethod
    def _ticket_brief(hall: Hall, row: dict[str, Any]) -> dict[str, Any]:
        """What a screen may show of a ticket: never the ID digest or the appointment."""
        queue = hall.queue(row["queue"])
        return {
            "id": row["id"],
            "number": row["number"],
            "queue": queue.code,
            "queue_name": queue.name,
            "status": row["status"],
            "priority": row["priority"] is not None,
        }

    def _ticket_row(self, db: sqlite_utils.Database, hall: Hall, ticket_id: int) -> dict[str, Any]:
        row = storage.ticket(db, ticket_id)
        if row is None or row["hall_id"] != hall.id:
            raise NotFound(f"没有编号为 {ticket_id} 的票", field="ticket_id")
        return row

    def _ticket_view(self, db: sqlite_utils.Database, hall: Hall, row: dict[str, Any], now: datetime) -> dict[str, Any]:
        queue = hall.queue(row["queue"])
        view: dict[str, Any] = {
            "id": row["id"],
            "number": row["number"],
            "service_day": row["service_day"],
            "queue": queue.code,
            "queue_name": queue.name,
            "item": row["item"],
            "bundle": row["bundle"],
            "priority": row["priority"],
            "status": row["status"],
            "window": row["window"],
            "issued_at": row["issued_at"],
            "called_at": row["called_at"],
            "started_at": row["started_at"],
            "finished_at": row["finished_at"],
            "outcome": row["outcome"],
            "hall": {"code": hall.spec.code, "name": hall.spec.name},
        }
        if row["status"] == TicketStatus.WAITING.value:
            ahead = storage.people_ahead(db, hall.id, row["service_day"], queue.code, row["place"], row["id"])
            stats = storage.queue_day(db, hall.id, queue.code, row["service_day"])
            avg = estimate.average_handling_minutes(
                stats["served"], stats["handling_seconds"], queue.avg_service_minutes
            )
            serving = hall.windows_serving(queue.code)
            open_count = storage.open_windows_among(db, hall.id, serving)
            view["people_ahead"] = ahead
            view["estimated_wait_minutes"] = estimate.estimate_wait_minutes(ahead, avg, open_count, len(serving))
        return view

    def _waiting(self, db: sqlite_utils.Database, hall: Hall, day: str, queue: str) -> int:
        return storage.waiting_count(db, hall.id, day, queue)
