"""Use cases: each joins the rules and the store in one transaction.

Every function takes the caller (`Principal`) and `now`, checks who is asking, does
its work inside one `Storage.write()` transaction, appends its transitions to the
hall's event log, and returns `(result, events)`. The caller emits the events only
after this returned, that is after the commit.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

import sqlite_utils

from queue_server import storage
from queue_server.domain import announcements, clock, estimate, routing, screens
from queue_server.domain.access import DeviceKind, Permission, Principal, Role, require
from queue_server.domain.errors import (
    Conflict,
    DuplicateWaiting,
    IdempotencyMismatch,
    InvalidInput,
    NotFound,
    NothingWaiting,
    QueueClosed,
    QueueFull,
    WindowBusy,
    WindowNotOpen,
)
from queue_server.domain.hall import HallSpec, NoShowPolicy, QueueSpec, WindowSpec, parse_hall
from queue_server.domain.identity import id_digest
from queue_server.domain.tickets import Action, Outcome, PriorityClass, TicketStatus, check_transition, format_number

log = logging.getLogger(__name__)
T = TypeVar("T")


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
    windows: dict[int, WindowSpec] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.windows = {w.number: w for w in self.spec.windows}

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


@dataclass(frozen=True)
class IssueRequest:
    item: str | None = None
    bundle: str | None = None
    queue: str | None = None
    priority: PriorityClass | None = None
    id_number: str | None = None
    appointment: str | None = None
    channel: str = "desk"

    def fingerprint(self) -> str:
        """What makes two requests 'the same' for an Idempotency-Key (the ID only hashed)."""
        parts = [self.item, self.bundle, self.queue, self.priority, self.appointment, self.channel]
        parts.append(hashlib.sha256(self.id_number.encode()).hexdigest() if self.id_number else None)
        return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


class Services:
    """The use cases over one store. Holds only caches that the store can rebuild."""

    def __init__(self, store: storage.Storage, id_secret: bytes) -> None:
        self.store = store
        self._id_secret = id_secret
        self._halls: dict[str, Hall] = {}

    # ---- halls ----------------------------------------------------------------------

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
            "notice": hall_row["notice"] if hall_row["notice"] is not None else spec.notice,
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
                {"number": c["number"], "window": c["window"], "called_at": c["called_at"]} for c in calls
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

    # ---- tickets --------------------------------------------------------------------

    def issue_ticket(
        self,
        principal: Principal | None,
        hall_code: str,
        request: IssueRequest,
        now: datetime,
        idempotency_key: str | None = None,
    ) -> tuple[dict[str, Any], list[Event]]:
        """Issue a numbered ticket. Replays the first answer for a repeated Idempotency-Key."""
        digest = id_digest(request.id_number, self._id_secret) if request.id_number else None
        with self.store.write() as db:
            hall = self._hall(db, hall_code)
            require(principal, Permission.ISSUE_TICKET, hall.id)
            if idempotency_key is not None:
                previous = storage.idempotent_ticket(db, hall.id, idempotency_key)
                if previous is not None:
                    if previous["fingerprint"] != request.fingerprint():
                        raise IdempotencyMismatch("同一个 Idempotency-Key 已用于另一张取号请求：请为新请求生成新的键")
                    row = storage.ticket(db, previous["ticket_id"])
                    return {**self._ticket_view(db, hall, row, now), "replayed": True}, []  # type: ignore[arg-type]
            queue = self._target_queue(hall, request)
            spec = hall.spec
            if not clock.is_issuing(queue, spec, now):
                local_day = clock.local(now, spec).date()
                hours = "、".join(str(r) for r in clock.issuing_hours(queue, spec, local_day)) or "今日不办理"
                raise QueueClosed(f"{queue.name}当前不在取号时间（取号时间：{hours}）", queue=queue.code)
            day = clock.service_day(now, spec).isoformat()
            if digest is not None:
                holder = storage.waiting_ticket_for_id(db, hall.id, queue.code, digest)
                if holder is not None:
                    raise DuplicateWaiting(
                        f"该证件在“{queue.name}”已有等候中的号码 {holder['number']}，无需重复取号",
                        number=holder["number"],
                    )
            sequence = storage.bump_issued(db, hall.id, queue.code, day)
            if sequence > queue.daily_cap:
                raise QueueFull(f"今日号源已发完：{queue.name}每日 {queue.daily_cap} 个号", queue=queue.code)
            number = format_number(queue.prefix, sequence)
            ticket_id = storage.insert_ticket(
                db,
                {
                    "hall_id": hall.id,
                    "service_day": day,
                    "origin_queue": queue.code,
                    "sequence": sequence,
                    "number": number,
                    "queue": queue.code,
                    "item": request.item,
                    "bundle": request.bundle,
                    "priority": request.priority.value if request.priority else None,
                    "id_digest": digest,
                    "appointment": request.appointment,
                    "channel": request.channel,
                    "status": TicketStatus.WAITING.value,
                    "place": now.timestamp(),
                    "issued_at": clock.iso(now),
                },
            )
            row = storage.ticket(db, ticket_id)
            assert row is not None
            view = self._ticket_view(db, hall, row, now)
            event = self._event(
                db,
                hall_code,
                hall.id,
                now,
                EventType.TICKET_ISSUED,
                {
                    "ticket": self._ticket_brief(hall, row),
                    "waiting": {queue.code: self._waiting(db, hall, day, queue.code)},
                },
                ticket_id=ticket_id,
                clerk_id=principal.user_id if principal else None,
                reason=request.channel,
            )
            if idempotency_key is not None:
                storage.remember_idempotency(
                    db, hall.id, idempotency_key, request.fingerprint(), ticket_id, clock.iso(now)
                )
        return view, [event]

    def ticket(self, principal: Principal | None, hall_code: str, ticket_id: int, now: datetime) -> dict[str, Any]:
        with self.store.read() as db:
            hall = self._hall(db, hall_code)
            require(principal, Permission.READ_TICKET, hall.id)
            row = self._ticket_row(db, hall, ticket_id)
            view = self._ticket_view(db, hall, row, now)
            if principal is not None and principal.actor in (Role.MANAGER, Role.ADMIN):
                view["log"] = storage.ticket_events(db, ticket_id)
            return view

    def cancel_ticket(
        self, principal: Principal | None, hall_code: str, ticket_id: int, reason: str | None, now: datetime
    ) -> tuple[dict[str, Any], list[Event]]:
        with self.store.write() as db:
            hall = self._hall(db, hall_code)
            require(principal, Permission.CANCEL_TICKET, hall.id)
            row = self._ticket_row(db, hall, ticket_id)
            check_transition(Action.CANCEL, TicketStatus(row["status"]), row["number"])
            storage.update_ticket(db, ticket_id, status=TicketStatus.CANCELLED.value, finished_at=clock.iso(now))
            event = self._ticket_event(db, hall, now, EventType.TICKET_CANCELLED, ticket_id, principal, reason=reason)
            return self._ticket_view(db, hall, storage.ticket(db, ticket_id), now), [event]  # type: ignore[arg-type]

    # ---- windows --------------------------------------------------------------------

    def open_window(
        self, principal: Principal | None, hall_code: str, number: int, now: datetime
    ) -> tuple[dict[str, Any], list[Event]]:
        """A clerk logs in at a window; the day's attendance starts."""

        def act(db: sqlite_utils.Database, hall: Hall, window: dict[str, Any], who: Principal) -> list[Event]:
            if window["status"] != "closed":
                if window["clerk_id"] == who.user_id:
                    return []
                raise Conflict(f"{number} 号窗口已有工作人员登录：请先由其关闭窗口", window=number)
            elsewhere = storage.window_of_clerk(db, who.user_id)  # type: ignore[arg-type]
            if elsewhere is not None:
                raise Conflict(f"您已在 {elsewhere['number']} 号窗口登录：请先关闭那个窗口", window=elsewhere["number"])
            storage.update_window(db, hall.id, number, status="open", clerk_id=who.user_id, updated_at=clock.iso(now))
            storage.open_attendance(db, hall.id, number, who.user_id, clock.iso(now))  # type: ignore[arg-type]
            return [self._window_event(db, hall, now, EventType.WINDOW_OPENED, number, who)]

        return self._window_use_case(principal, hall_code, number, now, act, must_be_clerk_here=False)

    def close_window(
        self, principal: Principal | None, hall_code: str, number: int, now: datetime
    ) -> tuple[dict[str, Any], list[Event]]:
        def act(db: sqlite_utils.Database, hall: Hall, window: dict[str, Any], who: Principal) -> list[Event]:
            self._require_idle(db, window)
            if window["status"] == "closed":
                return []
            storage.update_window(db, hall.id, number, status="closed", clerk_id=None, updated_at=clock.iso(now))
            storage.close_attendance(db, hall.id, number, clock.iso(now))
            return [self._window_event(db, hall, now, EventType.WINDOW_CLOSED, number, who)]

        return self._window_use_case(principal, hall_code, number, now, act, supervisor_may=True)

    def pause_window(
        self, principal: Principal | None, hall_code: str, number: int, reason: str | None, now: datetime
    ) -> tuple[dict[str, Any], list[Event]]:
        def act(db: sqlite_utils.Database, hall: Hall, window: dict[str, Any], who: Principal) -> list[Event]:
            self._require_open(window)
            self._require_idle(db, window)
            storage.update_window(db, hall.id, number, status="paused", updated_at=clock.iso(now))
            return [self._window_event(db, hall, now, EventType.WINDOW_PAUSED, number, who, reason=reason)]

        return self._window_use_case(principal, hall_code, number, now, act, supervisor_may=True)

    def resume_window(
        self, principal: Principal | None, hall_code: str, number: int, now: datetime
    ) -> tuple[dict[str, Any], list[Event]]:
        def act(db: sqlite_utils.Database, hall: Hall, window: dict[str, Any], who: Principal) -> list[Event]:
            if window["status"] != "paused":
                raise Conflict(f"{number} 号窗口没有暂停，无需恢复", window=number)
            storage.update_window(db, hall.id, number, status="open", updated_at=clock.iso(now))
            return [self._window_event(db, hall, now, EventType.WINDOW_RESUMED, number, who)]

        return self._window_use_case(principal, hall_code, number, now, act, supervisor_may=True)

    def call_next(
        self, principal: Principal | None, hall_code: str, number: int, now: datetime
    ) -> tuple[dict[str, Any], list[Event]]:
        """Call the next ticket for this window (see `domain.routing`). Atomic: the write
        lock is held from reading the line to marking the ticket called."""

        def act(db: sqlite_utils.Database, hall: Hall, window: dict[str, Any], who: Principal) -> list[Event]:
            self._require_open(window)
            self._require_idle(db, window)
            spec = hall.window(number)
            day = clock.service_day(now, hall.spec).isoformat()
            ranks = {s.queue: s.rank for s in spec.serves}
            heads = storage.line_heads(db, hall.id, day, list(ranks), number)
            days = storage.queue_days(db, hall.id, day)
            streaks = {q: days[q]["priority_streak"] if q in days else 0 for q in ranks}
            caps = {q.code: q.priority_max_in_row for q in hall.spec.queues}
            chosen = routing.choose_next(
                [
                    routing.Candidate(
                        ticket_id=h["id"],
                        queue=h["queue"],
                        priority=h["priority"] is not None,
                        place=h["place"],
                        targeted=h["target_window"] == number,
                    )
                    for h in heads
                ],
                ranks,
                streaks,
                caps,
            )
            if chosen is None:
                raise NothingWaiting(f"{number} 号窗口办理的队列中暂无等候的号", window=number)
            if not chosen.targeted:
                streak = routing.next_streak(chosen, streaks.get(chosen.queue, 0), caps)
                storage.set_priority_streak(db, hall.id, chosen.queue, day, streak)
            return [self._call(db, hall, window, who, chosen.ticket_id, now, recall=False)]

        return self._window_use_case(principal, hall_code, number, now, act)

    def call_number(
        self, principal: Principal | None, hall_code: str, number: int, ticket_number: str, now: datetime
    ) -> tuple[dict[str, Any], list[Event]]:
        """Call one ticket by its number: a no-show of a 'recallable' queue who came back,
        or a waiting ticket the clerk picks on purpose (logged as such)."""

        def act(db: sqlite_utils.Database, hall: Hall, window: dict[str, Any], who: Principal) -> list[Event]:
            self._require_open(window)
            self._require_idle(db, window)
            day = clock.service_day(now, hall.spec).isoformat()
            row = storage.ticket_by_number(db, hall.id, day, ticket_number.strip().upper())
            if row is None:
                raise NotFound(f"今天没有 {ticket_number} 号", field="ticket_number")
            if number not in hall.windows_serving(row["queue"]) and row["target_window"] != number:
                raise Conflict(f"{number} 号窗口不办理 {row['number']} 所在的队列", window=number)
            status = TicketStatus(row["status"])
            check_transition(Action.CALL, status, row["number"])
            if (
                status is TicketStatus.NO_SHOW
                and hall.queue(row["queue"]).no_show_policy is not NoShowPolicy.RECALLABLE
            ):
                raise Conflict(f"{row['number']} 已过号作废：请到导办台重新取号", number=row["number"])
            return [self._call(db, hall, window, who, row["id"], now, recall=False, reason="by_number")]

        return self._window_use_case(principal, hall_code, number, now, act)

    def recall(
        self, principal: Principal | None, hall_code: str, number: int, now: datetime
    ) -> tuple[dict[str, Any], list[Event]]:
        def act(db: sqlite_utils.Database, hall: Hall, window: dict[str, Any], who: Principal) -> list[Event]:
            row = self._current(db, window, number)
            check_transition(Action.RECALL, TicketStatus(row["status"]), row["number"])
            return [self._call(db, hall, window, who, row["id"], now, recall=True)]

        return self._window_use_case(principal, hall_code, number, now, act)

    def mark_no_show(
        self, principal: Principal | None, hall_code: str, number: int, now: datetime
    ) -> tuple[dict[str, Any], list[Event]]:
        """The called citizen did not come: void, requeue after N places, or keep recallable."""

        def act(db: sqlite_utils.Database, hall: Hall, window: dict[str, Any], who: Principal) -> list[Event]:
            row = self._current(db, window, number)
            check_transition(Action.NO_SHOW, TicketStatus(row["status"]), row["number"])
            queue = hall.queue(row["queue"])
            day = row["service_day"]
            requeue = queue.no_show_policy is NoShowPolicy.REQUEUE and row["no_shows"] == 0
            if requeue:
                # back in line behind the first N people now waiting, or at the end
                if queue.requeue_after == 0:
                    place = row["place"]
                else:
                    nth = storage.nth_waiting_place(db, hall.id, day, queue.code, queue.requeue_after)
                    place = now.timestamp() if nth is None else nth + 1e-6
                storage.update_ticket(
                    db,
                    row["id"],
                    status=TicketStatus.WAITING.value,
                    place=place,
                    window=None,
                    no_shows=row["no_shows"] + 1,
                )
                outcome = "requeued"
            else:
                storage.update_ticket(
                    db, row["id"], status=TicketStatus.NO_SHOW.value, window=None, no_shows=row["no_shows"] + 1
                )
                outcome = "recallable" if queue.no_show_policy is NoShowPolicy.RECALLABLE else "void"
            storage.update_window(db, hall.id, number, ticket_id=None, updated_at=clock.iso(now))
            return [
                self._ticket_event(
                    db,
                    hall,
                    now,
                    EventType.TICKET_NO_SHOW,
                    row["id"],
                    who,
                    window=number,
                    reason=outcome,
                    extra={"policy": outcome},
                )
            ]

        return self._window_use_case(principal, hall_code, number, now, act)

    def start_service(
        self, principal: Principal | None, hall_code: str, number: int, now: datetime
    ) -> tuple[dict[str, Any], list[Event]]:
        def act(db: sqlite_utils.Database, hall: Hall, window: dict[str, Any], who: Principal) -> list[Event]:
            row = self._current(db, window, number)
            check_transition(Action.START, TicketStatus(row["status"]), row["number"])
            storage.update_ticket(db, row["id"], status=TicketStatus.SERVING.value, started_at=clock.iso(now))
            return [self._ticket_event(db, hall, now, EventType.SERVICE_STARTED, row["id"], who, window=number)]

        return self._window_use_case(principal, hall_code, number, now, act)

    def finish_service(
        self, principal: Principal | None, hall_code: str, number: int, outcome: Outcome, now: datetime
    ) -> tuple[dict[str, Any], list[Event]]:
        def act(db: sqlite_utils.Database, hall: Hall, window: dict[str, Any], who: Principal) -> list[Event]:
            row = self._current(db, window, number)
            check_transition(Action.FINISH, TicketStatus(row["status"]), row["number"])
            handling = (now - clock.parse_iso(row["started_at"])).total_seconds() - row["suspended_seconds"]
            storage.update_ticket(
                db, row["id"], status=TicketStatus.DONE.value, finished_at=clock.iso(now), outcome=outcome.value
            )
            storage.add_served(db, hall.id, row["queue"], row["service_day"], max(handling, 0.0))
            storage.update_window(db, hall.id, number, ticket_id=None, updated_at=clock.iso(now))
            return [
                self._ticket_event(
                    db,
                    hall,
                    now,
                    EventType.SERVICE_FINISHED,
                    row["id"],
                    who,
                    window=number,
                    reason=outcome.value,
                    extra={"outcome": outcome.value, "handling_seconds": round(max(handling, 0.0), 1)},
                )
            ]

        return self._window_use_case(principal, hall_code, number, now, act)

    def transfer(
        self,
        principal: Principal | None,
        hall_code: str,
        number: int,
        to_queue: str | None,
        to_window: int | None,
        reason: str | None,
        now: datetime,
    ) -> tuple[dict[str, Any], list[Event]]:
        """Send the current ticket to another queue or window. It keeps its place in line
        (its original issue time), so the citizen does not start over."""

        def act(db: sqlite_utils.Database, hall: Hall, window: dict[str, Any], who: Principal) -> list[Event]:
            row = self._current(db, window, number)
            check_transition(Action.TRANSFER, TicketStatus(row["status"]), row["number"])
            if to_queue is None and to_window is None:
                raise InvalidInput("请指定转往的队列（to_queue）或窗口（to_window）")
            queue = hall.queue(to_queue) if to_queue is not None else hall.queue(row["queue"])
            if to_window is not None:
                if to_window == number:
                    raise InvalidInput("不能转给本窗口", field="to_window")
                hall.window(to_window)
            storage.update_ticket(
                db,
                row["id"],
                status=TicketStatus.WAITING.value,
                queue=queue.code,
                target_window=to_window,
                window=None,
                started_at=None,
            )
            storage.update_window(db, hall.id, number, ticket_id=None, updated_at=clock.iso(now))
            day = row["service_day"]
            return [
                self._ticket_event(
                    db,
                    hall,
                    now,
                    EventType.TICKET_TRANSFERRED,
                    row["id"],
                    who,
                    window=number,
                    reason=reason,
                    extra={
                        "from_queue": row["queue"],
                        "to_queue": queue.code,
                        "to_window": to_window,
                        "waiting": {q: self._waiting(db, hall, day, q) for q in {row["queue"], queue.code}},
                    },
                )
            ]

        return self._window_use_case(principal, hall_code, number, now, act)

    def suspend(
        self, principal: Principal | None, hall_code: str, number: int, reason: str | None, now: datetime
    ) -> tuple[dict[str, Any], list[Event]]:
        """The citizen leaves to fetch papers; the window is free for the next one."""

        def act(db: sqlite_utils.Database, hall: Hall, window: dict[str, Any], who: Principal) -> list[Event]:
            row = self._current(db, window, number)
            check_transition(Action.SUSPEND, TicketStatus(row["status"]), row["number"])
            storage.update_ticket(db, row["id"], status=TicketStatus.SUSPENDED.value, suspended_at=clock.iso(now))
            storage.update_window(db, hall.id, number, ticket_id=None, updated_at=clock.iso(now))
            return [
                self._ticket_event(
                    db, hall, now, EventType.TICKET_SUSPENDED, row["id"], who, window=number, reason=reason
                )
            ]

        return self._window_use_case(principal, hall_code, number, now, act)

    def resume(
        self, principal: Principal | None, hall_code: str, number: int, ticket_number: str, now: datetime
    ) -> tuple[dict[str, Any], list[Event]]:
        """A suspended citizen is back: serve them again here; the time away is not the clerk's."""

        def act(db: sqlite_utils.Database, hall: Hall, window: dict[str, Any], who: Principal) -> list[Event]:
            self._require_open(window)
            self._require_idle(db, window)
            day = clock.service_day(now, hall.spec).isoformat()
            row = storage.ticket_by_number(db, hall.id, day, ticket_number.strip().upper())
            if row is None:
                raise NotFound(f"今天没有 {ticket_number} 号", field="ticket_number")
            check_transition(Action.RESUME, TicketStatus(row["status"]), row["number"])
            away = (now - clock.parse_iso(row["suspended_at"])).total_seconds()
            storage.update_ticket(
                db,
                row["id"],
                status=TicketStatus.SERVING.value,
                window=number,
                clerk_id=who.user_id,
                suspended_at=None,
                suspended_seconds=row["suspended_seconds"] + max(away, 0.0),
            )
            storage.update_window(db, hall.id, number, ticket_id=row["id"], updated_at=clock.iso(now))
            return [self._ticket_event(db, hall, now, EventType.TICKET_RESUMED, row["id"], who, window=number)]

        return self._window_use_case(principal, hall_code, number, now, act)

    # ---- screens --------------------------------------------------------------------

    def hall_code(self, hall_id: int) -> str:
        with self.store.read() as db:
            row = storage.hall_by_id(db, hall_id)
        if row is None:
            raise NotFound(f"没有编号为 {hall_id} 的大厅", field="hall")
        return str(row["code"])

    def notice(self, hall_code: str) -> str:
        with self.store.read() as db:
            hall = self._hall(db, hall_code)
            row = storage.hall_by_id(db, hall.id)
        assert row is not None
        return str(row["notice"]) if row["notice"] is not None else hall.spec.notice

    def set_notice(
        self, principal: Principal | None, hall_code: str, notice: str | None, now: datetime
    ) -> tuple[dict[str, Any], list[Event]]:
        """The manager's scrolling notice for every screen without one of its own; `None`
        goes back to the hall file's notice."""
        if notice is not None and len(notice) > screens.MAX_NOTICE:
            raise InvalidInput(f"公告最长 {screens.MAX_NOTICE} 字", field="notice")
        with self.store.write() as db:
            hall = self._hall(db, hall_code)
            require(principal, Permission.CONFIGURE_SCREENS, hall.id)
            storage.set_hall_notice(db, hall.id, notice)
            shown = notice if notice is not None else hall.spec.notice
            event = self._event(db, hall_code, hall.id, now, EventType.NOTICE_CHANGED, {"notice": shown})
        return {"notice": shown}, [event]

    def screen(self, device_id: int) -> dict[str, Any]:
        """A screen device's own record with its settings (defaults filled in)."""
        with self.store.read() as db:
            row = storage.device_by_id(db, device_id)
        if row is None or DeviceKind(row["kind"]) not in screens.SCREEN_KINDS:
            raise NotFound(f"没有编号为 {device_id} 的屏幕设备", field="device_id")
        return self._screen_view(row)

    def list_screens(self, principal: Principal | None, hall_code: str) -> list[dict[str, Any]]:
        with self.store.read() as db:
            hall = self._hall(db, hall_code)
            require(principal, Permission.VIEW_SCREENS, hall.id)
            return [self._screen_view(row) for row in storage.screen_devices(db, hall.id)]

    def configure_screen(
        self, principal: Principal | None, hall_code: str, device_id: int, changes: dict[str, Any]
    ) -> dict[str, Any]:
        with self.store.write() as db:
            hall = self._hall(db, hall_code)
            require(principal, Permission.CONFIGURE_SCREENS, hall.id)
            row = storage.device_by_id(db, device_id)
            if row is None or row["hall_id"] != hall.id or DeviceKind(row["kind"]) not in screens.SCREEN_KINDS:
                raise NotFound(f"大厅中没有编号为 {device_id} 的屏幕设备", field="device_id")
            current = screens.load_settings(DeviceKind(row["kind"]), json.loads(row["settings"]))
            zones = {z.code for z in hall.spec.zones}
            updated = screens.apply_changes(current, changes, zones)
            if updated.zone is not None and row["kind"] == DeviceKind.WINDOW_SCREEN.value:
                raise InvalidInput("窗口屏只显示它绑定的窗口，不能设置区域", field="zone")
            storage.set_device_settings(db, device_id, updated.to_dict())
            row = {**row, "settings": json.dumps(updated.to_dict())}
        return self._screen_view(row)

    def record_seen(self, device_id: int, seen_at: datetime, shown_seq: int | None) -> None:
        with self.store.write() as db:
            storage.set_device_seen(db, device_id, clock.iso(seen_at), shown_seq)

    def announcement(self, principal: Principal | None, hall_code: str, seq: int, language: str) -> str:
        """What a voice says for the call logged as `seq`: only calls are ever spoken."""
        if language not in announcements.LANGUAGES:
            raise InvalidInput(f"language 只能是 {', '.join(announcements.LANGUAGES)}", field="language")
        with self.store.read() as db:
            hall = self._hall(db, hall_code)
            require(principal, Permission.VIEW_HALL, hall.id)
            row = storage.event(db, hall.id, seq)
        if row is None or row["type"] not in (EventType.TICKET_CALLED, EventType.TICKET_RECALLED):
            raise NotFound(f"第 {seq} 条事件不是叫号", field="seq")
        return str(json.loads(row["data"])["speech"][language])

    @staticmethod
    def _screen_view(row: dict[str, Any]) -> dict[str, Any]:
        kind = DeviceKind(row["kind"])
        return {
            "device_id": row["id"],
            "kind": kind.value,
            "name": row["name"],
            "window": row["window"],
            "settings": screens.load_settings(kind, json.loads(row["settings"])).to_dict(),
            "last_seen": row["last_seen_at"],
            "last_shown_seq": row["last_shown_seq"],
        }

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

    # ---- helpers --------------------------------------------------------------------

    def _window_use_case(
        self,
        principal: Principal | None,
        hall_code: str,
        number: int,
        now: datetime,
        act: Callable[[sqlite_utils.Database, Hall, dict[str, Any], Principal], list[Event]],
        *,
        must_be_clerk_here: bool = True,
        supervisor_may: bool = False,
    ) -> tuple[dict[str, Any], list[Event]]:
        """Run a window operation in one transaction after checking who may run it:
        the clerk logged in at the window, or (for pause, resume, close) a manager."""
        with self.store.write() as db:
            hall = self._hall(db, hall_code)
            hall.window(number)
            window = storage.window(db, hall.id, number)
            if window is None:
                raise NotFound(f"大厅中没有 {number} 号窗口", field="window")
            who = self._window_operator(principal, hall, window, must_be_clerk_here, supervisor_may)
            events = act(db, hall, window, who)
            return self._window_view(db, hall, number), events

    def _window_operator(
        self,
        principal: Principal | None,
        hall: Hall,
        window: dict[str, Any],
        must_be_clerk_here: bool,
        supervisor_may: bool,
    ) -> Principal:
        if supervisor_may and principal is not None and principal.actor is Role.MANAGER:
            return require(principal, Permission.SUPERVISE_WINDOW, hall.id)
        who = require(principal, Permission.OPERATE_WINDOW, hall.id)
        if must_be_clerk_here and window["clerk_id"] != who.user_id:
            raise WindowNotOpen(f"您没有在 {window['number']} 号窗口登录：请先开窗", window=window["number"])
        return who

    @staticmethod
    def _require_open(window: dict[str, Any]) -> None:
        if window["status"] == "paused":
            raise WindowNotOpen(f"{window['number']} 号窗口已暂停服务：请先恢复", window=window["number"])
        if window["status"] != "open":
            raise WindowNotOpen(f"{window['number']} 号窗口未开放", window=window["number"])

    @staticmethod
    def _require_idle(db: sqlite_utils.Database, window: dict[str, Any]) -> None:
        if window["ticket_id"] is not None:
            current = storage.ticket(db, window["ticket_id"])
            number = current["number"] if current else "?"
            raise WindowBusy(f"{window['number']} 号窗口正在处理 {number}：请先办结、过号、转办或挂起", ticket=number)

    @staticmethod
    def _current(db: sqlite_utils.Database, window: dict[str, Any], number: int) -> dict[str, Any]:
        if window["ticket_id"] is None:
            raise NothingWaiting(f"{number} 号窗口当前没有正在处理的号", window=number)
        row = storage.ticket(db, window["ticket_id"])
        assert row is not None
        return row

    def _call(
        self,
        db: sqlite_utils.Database,
        hall: Hall,
        window: dict[str, Any],
        who: Principal,
        ticket_id: int,
        now: datetime,
        *,
        recall: bool,
        reason: str | None = None,
    ) -> Event:
        row = storage.ticket(db, ticket_id)
        assert row is not None
        number = window["number"]
        storage.update_ticket(
            db,
            ticket_id,
            status=TicketStatus.CALLED.value,
            window=number,
            clerk_id=who.user_id,
            called_at=row["called_at"] if recall else clock.iso(now),
            target_window=None,
            calls=row["calls"] + 1,
        )
        if not recall:
            storage.update_window(db, hall.id, number, ticket_id=ticket_id, updated_at=clock.iso(now))
        texts = announcements.call_texts(row["number"], number, recall=recall)
        return self._ticket_event(
            db,
            hall,
            now,
            EventType.TICKET_RECALLED if recall else EventType.TICKET_CALLED,
            ticket_id,
            who,
            window=number,
            reason=reason,
            extra={
                "text": texts["zh-CN"],
                "texts": texts,
                "speech": announcements.call_speech(row["number"], number, recall=recall),
                "recall": recall,
                "call_count": row["calls"] + 1,
                "waiting": {row["queue"]: self._waiting(db, hall, row["service_day"], row["queue"])},
            },
        )

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
        row = next(w for w in storage.windows(db, hall.id) if w["number"] == number)
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
            open_count = sum(
                1 for w in storage.windows(db, hall.id) if w["number"] in serving and w["status"] == "open"
            )
            view["people_ahead"] = ahead
            view["estimated_wait_minutes"] = estimate.estimate_wait_minutes(ahead, avg, open_count, len(serving))
        return view

    def _waiting(self, db: sqlite_utils.Database, hall: Hall, day: str, queue: str) -> int:
        return storage.waiting_counts(db, hall.id, day).get(queue, 0)

    def _target_queue(self, hall: Hall, request: IssueRequest) -> QueueSpec:
        chosen = [x for x in (request.item, request.bundle, request.queue) if x]
        if len(chosen) != 1:
            raise InvalidInput("请只指定一个：事项（item）、“一件事”（bundle）或队列（queue）")
        if request.item:
            item = next((i for i in hall.spec.items if i.code == request.item), None)
            if item is None:
                raise NotFound(f"没有编码为 {request.item!r} 的事项", field="item")
            return hall.queue(item.queue)
        if request.bundle:
            bundle = next((b for b in hall.spec.bundles if b.code == request.bundle), None)
            if bundle is None:
                raise NotFound(f"没有编码为 {request.bundle!r} 的“一件事”", field="bundle")
            return hall.queue(bundle.queue)
        return hall.queue(request.queue)  # type: ignore[arg-type]


def sweep_all(services: Services, halls: Sequence[str], now: datetime) -> list[Event]:
    """The scheduled end-of-day job: every hall, earlier days only."""
    events: list[Event] = []
    for code in halls:
        events.extend(services.sweep(None, code, now)[1])
    return events
