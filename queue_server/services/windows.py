"""Windows: a clerk's day at the window, from opening to closing, every call in between."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlite_utils

from queue_server import storage
from queue_server.domain import announcements, clock, routing
from queue_server.domain.access import Permission, Principal, Role, require
from queue_server.domain.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    NothingWaiting,
    WindowBusy,
    WindowNotOpen,
)
from queue_server.domain.hall import NoShowPolicy
from queue_server.domain.tickets import Action, Outcome, TicketStatus, check_transition
from queue_server.services.base import Event, EventType, Hall, ServicesBase

log = logging.getLogger(__name__)


class WindowUseCases(ServicesBase):
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
            row = self._current(db, window, Action.RECALL)
            return [self._call(db, hall, window, who, row["id"], now, recall=True)]

        return self._window_use_case(principal, hall_code, number, now, act)

    def mark_no_show(
        self, principal: Principal | None, hall_code: str, number: int, now: datetime
    ) -> tuple[dict[str, Any], list[Event]]:
        """The called citizen did not come: void, requeue after N places, or keep recallable."""

        def act(db: sqlite_utils.Database, hall: Hall, window: dict[str, Any], who: Principal) -> list[Event]:
            row = self._current(db, window, Action.NO_SHOW)
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
            row = self._current(db, window, Action.START)
            storage.update_ticket(db, row["id"], status=TicketStatus.SERVING.value, started_at=clock.iso(now))
            return [self._ticket_event(db, hall, now, EventType.SERVICE_STARTED, row["id"], who, window=number)]

        return self._window_use_case(principal, hall_code, number, now, act)

    def finish_service(
        self, principal: Principal | None, hall_code: str, number: int, outcome: Outcome, now: datetime
    ) -> tuple[dict[str, Any], list[Event]]:
        def act(db: sqlite_utils.Database, hall: Hall, window: dict[str, Any], who: Principal) -> list[Event]:
            row = self._current(db, window, Action.FINISH)
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
            row = self._current(db, window, Action.TRANSFER)
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
            row = self._current(db, window, Action.SUSPEND)
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
    def _current(db: sqlite_utils.Database, window: dict[str, Any], action: Action) -> dict[str, Any]:
        """The ticket the window is working on, if `action` may start from its state."""
        if window["ticket_id"] is None:
            raise NothingWaiting(f"{window['number']} 号窗口当前没有正在处理的号", window=window["number"])
        row = storage.ticket(db, window["ticket_id"])
        assert row is not None
        check_transition(action, TicketStatus(row["status"]), row["number"])
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
