"""Windows: a clerk's day at the window, from opening to closing, every call in between,
and a manager's release of a window its clerk left."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlite_utils

from queue_server import storage
from queue_server.domain import announcements, counter, lifecycle, routing
from queue_server.domain.access import Permission, Principal, Role, require
from queue_server.domain.audit import AuditAction
from queue_server.domain.errors import DomainError, IdempotencyMismatch, InvalidInput, NotFound, NothingWaiting
from queue_server.domain.hall import WindowSpec
from queue_server.domain.lifecycle import Step, Ticket, Window
from queue_server.domain.ratings import InvitationClosing
from queue_server.domain.tickets import Action, Outcome
from queue_server.services.base import Event, Hall, ServicesBase, Tx

log = logging.getLogger(__name__)

# act(tx, the window's spec, the window as stored, who) -> nothing: it records on tx
Act = Callable[[Tx, WindowSpec, Window, Principal], None]
Result = tuple[dict[str, Any], list[Event]]


@dataclass(frozen=True)
class CommandKey:
    """A window command's Idempotency-Key and what it was sent with (`fingerprint`)."""

    key: str
    fingerprint: str
    command: str


class _AlreadyApplied(Exception):
    """The command with this key committed before: answer, do not run it again."""


# The key of the window command running in this thread or green thread (`run_once`):
# `_at_window` claims it inside the command's own transaction, so the command and its
# key commit together or not at all.
_COMMAND_KEY: ContextVar[CommandKey | None] = ContextVar("command_key", default=None)


class WindowUseCases(ServicesBase):
    def run_once(
        self,
        key: CommandKey | None,
        principal: Principal | None,
        hall_code: str,
        number: int,
        run: Callable[[], Result],
    ) -> Result:
        """Run a window command at most once per Idempotency-Key: a repeat of a committed
        command (a retry after a lost answer) gets the window as it is now, marked
        `replayed`, and nothing happens; the same key with another command or body is
        refused (409). A refused command keeps no key: its retry is refused alike."""
        if key is None:
            return run()
        token = _COMMAND_KEY.set(key)
        try:
            return run()
        except _AlreadyApplied:
            with self.store.read() as db:
                hall = self._hall_for(db, hall_code, principal, Permission.OPERATE_WINDOW, Permission.SUPERVISE_WINDOW)
                return {**self._window_view(db, hall, number), "replayed": True}, []
        finally:
            _COMMAND_KEY.reset(token)

    def open_window(
        self, principal: Principal | None, hall_code: str, number: int, now: datetime
    ) -> tuple[dict[str, Any], list[Event]]:
        """A clerk signs in at a window; the day's attendance starts."""

        def act(tx: Tx, spec: WindowSpec, window: Window, who: Principal) -> None:
            elsewhere = storage.windows.of_clerk(tx.db, who.user_id)  # type: ignore[arg-type]
            clerk_at = elsewhere.number if elsewhere is not None and elsewhere.number != number else None
            standing = counter.standing(tx.hall.spec, number, who.username) if not who.operator else None
            step = lifecycle.open_window(window, clerk_id=who.user_id, clerk_at=clerk_at)  # type: ignore[arg-type]
            if step is None:
                return
            storage.windows.open_attendance(tx.db, tx.hall.id, number, who.user_id, tx.at)  # type: ignore[arg-type]
            covering = {"own": list(standing.own)} if standing is not None and standing.covering else None
            self._apply(tx, step, window_view=True, extra={"reason": None, "covering": covering})
            if covering is not None:  # 顶岗: kept in the hall's log (above) and the audit log
                log.info("%s covers window %s (own: %s)", who.username, number, covering["own"])
                self._audit(tx, AuditAction.WINDOW_COVERED, target=number, detail=covering)

        return self._at_window(principal, hall_code, number, now, act, clerk_here=False)

    def close_window(
        self, principal: Principal | None, hall_code: str, number: int, now: datetime
    ) -> tuple[dict[str, Any], list[Event]]:
        """The clerk signs out of the window (or a manager closes an idle one)."""

        def act(tx: Tx, spec: WindowSpec, window: Window, who: Principal) -> None:
            supervisor = who.actor is Role.MANAGER
            step = lifecycle.close_window(window, self._number_held(tx, window), supervisor=supervisor)
            if step is None:
                return
            storage.windows.close_attendance(tx.db, tx.hall.id, number, tx.at)
            self._window_step(tx, step)
            self._return_sent(tx, number)

        return self._at_window(principal, hall_code, number, now, act, supervisor_may=True)

    def sign_out(self, principal: Principal, now: datetime) -> list[Event]:
        """A clerk signs out: the window they are signed in at closes with them when
        nothing is in its hands; else it stays, for them to come back to or for a manager
        to release."""
        if principal.actor is not Role.CLERK or principal.user_id is None:
            return []
        with self.store.read() as db:
            window = storage.windows.of_clerk(db, principal.user_id)
            hall = storage.halls.by_id(db, window.hall_id) if window is not None else None
        if window is None or hall is None or window.ticket_id is not None:
            return []
        try:
            return self.close_window(principal, hall["code"], window.number, now)[1]
        except DomainError as refused:  # the window changed meanwhile: signing out still succeeds
            log.info("window %s left open at sign-out: %s", window.number, refused.detail)
            return []

    def pause_window(
        self, principal: Principal | None, hall_code: str, number: int, reason: str | None, now: datetime
    ) -> tuple[dict[str, Any], list[Event]]:
        def act(tx: Tx, spec: WindowSpec, window: Window, who: Principal) -> None:
            self._window_step(tx, lifecycle.pause_window(window, self._number_held(tx, window)), reason=reason)

        return self._at_window(principal, hall_code, number, now, act, supervisor_may=True)

    def resume_window(
        self, principal: Principal | None, hall_code: str, number: int, now: datetime
    ) -> tuple[dict[str, Any], list[Event]]:
        def act(tx: Tx, spec: WindowSpec, window: Window, who: Principal) -> None:
            self._window_step(tx, lifecycle.resume_window(window))

        return self._at_window(principal, hall_code, number, now, act, supervisor_may=True)

    def release_window(
        self, principal: Principal | None, hall_code: str, number: int, reason: str, now: datetime
    ) -> tuple[dict[str, Any], list[Event]]:
        """A manager frees a window its clerk left (signed out, gone home, the console
        crashed): the ticket in its hands goes back in line at its own place, tickets sent
        to it go back to their queues, the window closes and attendance ends. The reason
        is recorded with the manager's name in the hall's log."""

        def act(tx: Tx, spec: WindowSpec, window: Window, who: Principal) -> None:
            step = lifecycle.release_window(window, self._ticket_held(tx, window), now=tx.now)
            storage.windows.close_attendance(tx.db, tx.hall.id, number, tx.at)
            extra = {} if step.ticket is not None else {"ticket": None}
            self._apply(tx, step, window=number, reason=reason, window_view=True, extra=extra)
            self._return_sent(tx, number)
            held = step.ticket.number if step.ticket is not None else None
            self._audit(tx, AuditAction.WINDOW_RELEASED, target=number, detail={"reason": reason, "ticket": held})

        return self._at_window(principal, hall_code, number, now, act, clerk_here=False, supervisor_only=True)

    def call_next(
        self, principal: Principal | None, hall_code: str, number: int, now: datetime
    ) -> tuple[dict[str, Any], list[Event]]:
        """Call the next ticket for this window (see `domain.routing`). Atomic: the write
        lock is held from reading the line to marking the ticket called."""

        def act(tx: Tx, spec: WindowSpec, window: Window, who: Principal) -> None:
            lifecycle.require_open(window)
            lifecycle.require_idle(window, self._number_held(tx, window))
            db, hall = tx.db, tx.hall
            chosen, streaks, caps = self._next_choice(db, hall, tx.day, spec)
            if chosen is None:
                raise NothingWaiting(f"{number} 号窗口办理的队列中暂无等候的号", window=number)
            if not chosen.targeted:
                streak = routing.next_streak(chosen, streaks.get(chosen.queue, 0), caps)
                storage.tickets.set_priority_streak(db, hall.id, chosen.queue, tx.day, streak)
            ticket = self._load_ticket(db, hall, chosen.ticket_id)
            step = lifecycle.call(ticket, window, spec, hall.queue(ticket.queue), now=tx.now, clerk_id=who.user_id)
            self._close_pad_invitation(tx, number, InvitationClosing.NEXT_CALL)
            self._announce(tx, step, recall=False)

        return self._at_window(principal, hall_code, number, now, act)

    def call_number(
        self,
        principal: Principal | None,
        hall_code: str,
        number: int,
        ticket_number: str,
        now: datetime,
        reason: str | None = None,
    ) -> tuple[dict[str, Any], list[Event]]:
        """Call one ticket by its number: a no-show of a 'recallable' queue who came back,
        or a waiting ticket the clerk picks on purpose. One that `call_next` would not call
        now needs a `reason` (`domain.counter.require_order_reason`); the call is logged
        as such, with the reason, in the hall's log and the audit log."""

        def act(tx: Tx, spec: WindowSpec, window: Window, who: Principal) -> None:
            lifecycle.require_open(window)
            lifecycle.require_idle(window, self._number_held(tx, window))
            ticket = self._by_number(tx, ticket_number)
            queue = tx.hall.queue(ticket.queue)
            other = (
                storage.tickets.open_for_id(tx.db, tx.hall.id, queue.code, ticket.id_digest)
                if ticket.id_digest
                else None
            )
            step = lifecycle.call(
                ticket, window, spec, queue, now=tx.now, clerk_id=who.user_id, by_number=True, other=other
            )
            chosen = self._next_choice(tx.db, tx.hall, tx.day, spec)[0]
            in_order = chosen is not None and chosen.ticket_id == ticket.id
            counter.require_order_reason(ticket.number, ticket.status, ticket.no_shows, in_order, reason)
            out_of_order = counter.out_of_order(ticket.status, ticket.no_shows, in_order)
            given = reason.strip() if reason and reason.strip() else None
            self._close_pad_invitation(tx, number, InvitationClosing.NEXT_CALL)
            self._announce(tx, step, recall=False, reason=given or "by_number", extra={"out_of_order": out_of_order})
            self._audit(
                tx,
                AuditAction.CALLED_BY_NUMBER,
                target=ticket.number,
                detail={
                    "window": number,
                    "queue": queue.code,
                    "was": ticket.status.value,
                    "out_of_order": out_of_order,
                    "reason": given,
                },
            )

        return self._at_window(principal, hall_code, number, now, act)

    def recall(
        self, principal: Principal | None, hall_code: str, number: int, now: datetime
    ) -> tuple[dict[str, Any], list[Event]]:
        def act(tx: Tx, spec: WindowSpec, window: Window, who: Principal) -> None:
            self._announce(tx, lifecycle.recall(self._held_for(tx, window, Action.RECALL), window), recall=True)

        return self._at_window(principal, hall_code, number, now, act)

    def mark_no_show(
        self, principal: Principal | None, hall_code: str, number: int, now: datetime
    ) -> tuple[dict[str, Any], list[Event]]:
        """The called citizen did not come: void, requeue after N places, or keep recallable."""

        def act(tx: Tx, spec: WindowSpec, window: Window, who: Principal) -> None:
            ticket = self._held_for(tx, window, Action.NO_SHOW)
            queue = tx.hall.queue(ticket.queue)
            line = storage.tickets.line_places(tx.db, tx.hall.id, queue.code, queue.requeue_after)
            step = lifecycle.no_show(
                ticket, window, queue, line, lambda place: storage.tickets.next_place(tx.db, tx.hall.id, tx.day, place)
            )
            self._apply(tx, step, window=number, reason=step.policy)

        return self._at_window(principal, hall_code, number, now, act)

    def start_service(
        self, principal: Principal | None, hall_code: str, number: int, now: datetime
    ) -> tuple[dict[str, Any], list[Event]]:
        def act(tx: Tx, spec: WindowSpec, window: Window, who: Principal) -> None:
            self._apply(tx, lifecycle.start(self._held_for(tx, window, Action.START), window, now=tx.now))

        return self._at_window(principal, hall_code, number, now, act)

    def finish_service(
        self,
        principal: Principal | None,
        hall_code: str,
        number: int,
        outcome: Outcome,
        now: datetime,
        items: Sequence[str] | None = None,
    ) -> tuple[dict[str, Any], list[Event]]:
        """Service done, with its outcome and (for a ticket issued by queue) the item
        codes served. The queue's day figures get the ticket's handling time summed over
        every window it passed."""

        def act(tx: Tx, spec: WindowSpec, window: Window, who: Principal) -> None:
            ticket = self._held_for(tx, window, Action.FINISH)
            known = {item.code for item in tx.hall.spec.items}
            for code in items or ():
                if code not in known:
                    raise InvalidInput(f"大厅中没有编码为 {code!r} 的事项", field="items")
            step = lifecycle.finish(ticket, window, now=tx.now, outcome=outcome, items=items)
            assert step.ticket is not None
            storage.tickets.add_served(tx.db, tx.hall.id, ticket.queue, tx.day, step.ticket.handling_seconds)
            self._apply(
                tx,
                step,
                reason=outcome.value,
                extra={"outcome": outcome.value, "handling_seconds": round(step.ticket.handling_seconds, 1)},
            )
            # 好差评: the rating of exactly this ticket opens on this window's review pad
            self._invite_rating(tx, step.ticket, number)

        return self._at_window(principal, hall_code, number, now, act)

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

        def act(tx: Tx, spec: WindowSpec, window: Window, who: Principal) -> None:
            ticket = self._held_for(tx, window, Action.TRANSFER)
            if to_queue is None and to_window is None:
                raise InvalidInput("请指定转往的队列（to_queue）或窗口（to_window）", field="to_queue")
            queue = tx.hall.queue(to_queue if to_queue is not None else ticket.queue)
            target = None
            if to_window is not None:
                target_spec = tx.hall.window(to_window)
                target_state = storage.windows.load(tx.db, tx.hall.id, to_window)
                assert target_state is not None
                target = (target_spec, target_state)
            other = (
                storage.tickets.open_for_id(tx.db, tx.hall.id, queue.code, ticket.id_digest)
                if ticket.id_digest
                else None
            )
            step = lifecycle.transfer(ticket, window, now=tx.now, to_queue=queue, to_window=target, other=other)
            self._apply(
                tx,
                step,
                window=number,
                reason=reason,
                extra={"from_queue": ticket.queue, "to_queue": queue.code, "to_window": to_window},
                also_counts=(ticket.queue,),
            )

        return self._at_window(principal, hall_code, number, now, act)

    def suspend(
        self, principal: Principal | None, hall_code: str, number: int, reason: str | None, now: datetime
    ) -> tuple[dict[str, Any], list[Event]]:
        """The citizen leaves to fetch papers; the window is free for the next one."""

        def act(tx: Tx, spec: WindowSpec, window: Window, who: Principal) -> None:
            step = lifecycle.suspend(self._held_for(tx, window, Action.SUSPEND), window, now=tx.now)
            self._apply(tx, step, reason=reason)

        return self._at_window(principal, hall_code, number, now, act)

    def resume(
        self, principal: Principal | None, hall_code: str, number: int, ticket_number: str, now: datetime
    ) -> tuple[dict[str, Any], list[Event]]:
        """A suspended citizen is back: serve them again here; the time away is not the clerk's."""

        def act(tx: Tx, spec: WindowSpec, window: Window, who: Principal) -> None:
            lifecycle.require_idle(window, self._number_held(tx, window))
            ticket = self._by_number(tx, ticket_number)
            step = lifecycle.resume(ticket, window, spec, now=tx.now, clerk_id=who.user_id)
            self._close_pad_invitation(tx, number, InvitationClosing.NEXT_CALL)
            self._apply(tx, step)

        return self._at_window(principal, hall_code, number, now, act)

    # ---- helpers --------------------------------------------------------------------

    def _at_window(
        self,
        principal: Principal | None,
        hall_code: str,
        number: int,
        now: datetime,
        act: Act,
        *,
        clerk_here: bool = True,
        supervisor_may: bool = False,
        supervisor_only: bool = False,
    ) -> tuple[dict[str, Any], list[Event]]:
        """Run a window operation in one transaction after checking who may run it: the
        clerk signed in at the window; for pause, resume and close also a manager; for a
        release only a manager."""
        # who may act at windows at all comes before which windows exist
        coarse: tuple[Permission, ...] = (
            (Permission.SUPERVISE_WINDOW,) if supervisor_only else (Permission.OPERATE_WINDOW,)
        )
        if supervisor_may:
            coarse = (Permission.OPERATE_WINDOW, Permission.SUPERVISE_WINDOW)
        with self._writing(hall_code, now, principal, *coarse) as tx:
            who, supervising = self._operator(tx, principal, supervisor_may, supervisor_only)
            self._claim_key(tx, number)
            spec = tx.hall.window(number)
            window = storage.windows.load(tx.db, tx.hall.id, number)
            if window is None:
                raise NotFound(f"大厅中没有 {number} 号窗口", field="window")
            if clerk_here and not supervising:
                holder = storage.people.user_by_id(tx.db, window.clerk_id) if window.clerk_id is not None else None
                lifecycle.require_clerk_here(window, who.user_id, holder["display_name"] if holder else None)
            act(tx, spec, window, who)
            return self._window_view(tx.db, tx.hall, number), tx.events

    def _operator(
        self, tx: Tx, principal: Principal | None, supervisor_may: bool, supervisor_only: bool
    ) -> tuple[Principal, bool]:
        """Who acts, and whether as the hall's supervisor (a manager, or the operator)
        rather than as the clerk at the window."""
        if supervisor_only or (principal is not None and principal.operator):
            return require(principal, Permission.SUPERVISE_WINDOW, tx.hall.id), True
        if supervisor_may and principal is not None and principal.actor is Role.MANAGER:
            return require(principal, Permission.SUPERVISE_WINDOW, tx.hall.id), True
        return require(principal, Permission.OPERATE_WINDOW, tx.hall.id), False

    @staticmethod
    def _claim_key(tx: Tx, number: int) -> None:
        """Keep the running command's Idempotency-Key in its transaction, or stop here if
        a command with that key committed already."""
        key = _COMMAND_KEY.get()
        if key is None:
            return
        seen = storage.halls.command_key(tx.db, tx.hall.id, key.key)
        if seen is not None:
            if seen["fingerprint"] != key.fingerprint:
                raise IdempotencyMismatch(
                    f"同一个 Idempotency-Key 已用于另一个操作（{seen['command']}）：请为新操作生成新的键"
                )
            raise _AlreadyApplied
        storage.halls.remember_command(tx.db, tx.hall.id, key.key, key.fingerprint, key.command, number, tx.at)

    def _next_choice(
        self, db: sqlite_utils.Database, hall: Hall, day: str, spec: WindowSpec
    ) -> tuple[routing.Candidate | None, dict[str, int], dict[str, int]]:
        """What `call_next` would call at this window now (nothing written), with the
        queues' priority streaks and caps it chose by."""
        ranks = {s.queue: s.rank for s in spec.serves}
        heads = storage.tickets.line_heads(db, hall.id, list(ranks), spec.number)
        days = storage.tickets.queue_days(db, hall.id, day)
        streaks = {q: days[q]["priority_streak"] if q in days else 0 for q in ranks}
        caps = {q.code: q.priority_max_in_row for q in hall.spec.queues}
        candidates = [
            routing.Candidate(
                ticket_id=h["id"],
                queue=h["queue"],
                priority=h["priority"] is not None,
                place=h["place"],
                targeted=h["target_window"] == spec.number,
            )
            for h in heads
        ]
        return routing.choose_next(candidates, ranks, streaks, caps), streaks, caps

    def _ticket_held(self, tx: Tx, window: Window) -> Ticket | None:
        return storage.tickets.load(tx.db, window.ticket_id) if window.ticket_id is not None else None

    def _number_held(self, tx: Tx, window: Window) -> str | None:
        held = self._ticket_held(tx, window)
        return held.number if held else None

    def _held_for(self, tx: Tx, window: Window, action: Action) -> Ticket:
        return lifecycle.current_ticket(window, self._ticket_held(tx, window), action)

    def _by_number(self, tx: Tx, ticket_number: str) -> Ticket:
        number = ticket_number.strip().upper()
        ticket = storage.tickets.by_number(tx.db, tx.hall.id, tx.day, number)
        if ticket is None:
            raise NotFound(f"今天没有 {number} 号", field="ticket_number")
        return ticket

    def _window_step(self, tx: Tx, step: Step, *, reason: str | None = None) -> Event:
        """Record a window's own transition (open, pause, resume, close)."""
        return self._apply(tx, step, reason=reason, window_view=True, extra={"reason": reason})

    def _return_sent(self, tx: Tx, number: int) -> None:
        """Tickets sent to a window that stopped working go back to their queues' lines."""
        for ticket in storage.tickets.sent_to(tx.db, tx.hall.id, number):
            self._apply(tx, lifecycle.return_to_line(ticket), reason="window_closed")

    def _announce(
        self, tx: Tx, step: Step, *, recall: bool, reason: str | None = None, extra: dict[str, Any] | None = None
    ) -> None:
        """Record a call or recall with what the screens show and the voice says."""
        ticket, window = step.ticket, step.window
        assert ticket is not None and window is not None
        texts = announcements.call_texts(ticket.number, window.number, recall=recall)
        self._apply(
            tx,
            step,
            reason=reason,
            extra={
                "text": texts["zh-CN"],
                "texts": texts,
                "speech": announcements.call_speech(ticket.number, window.number, recall=recall),
                "recall": recall,
                "call_count": ticket.calls,
                **(extra or {}),
            },
        )
