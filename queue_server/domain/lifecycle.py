"""The life of a ticket and of a window: typed values and pure transitions.

Each transition takes the current values, and what it must know of the hall and of
other records, checks its preconditions and returns a `Step`: the new values and the
event to record. The rules that span records are preconditions here, each named once:

- `require_same_hall`: a window only ever holds a ticket of its own hall;
- `require_serves`: a ticket is called, recalled or resumed only at a window that serves
  its queue, or at the window it was sent to;
- `require_no_other_open_ticket`: at most one open (waiting, called, serving or
  suspended) ticket per ID number per queue, whichever way a ticket enters the queue
  (issued, transferred in, a recallable no-show called back);
- `require_idle` / `require_clerk_here`: a window holds at most one ticket and is worked
  only by the clerk signed in at it;
- `require_transfer_target`: a ticket is sent only to a window that is open or paused and
  serves the queue it is sent to, so no ticket waits for a window nobody works.

Numbers unique per service day and prefix are the store's counter (see `storage`);
`invariants.py` states every rule as a check over the whole hall, for the tests.

Nothing here reads or writes storage: services load, apply, store and emit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from queue_server.domain import places
from queue_server.domain.errors import (
    Conflict,
    DuplicateTicket,
    InvalidInput,
    NoCurrentTicket,
    QueueFull,
    WindowBusy,
    WindowNotOpen,
    WindowTaken,
    WrongWindow,
)
from queue_server.domain.events import EventType
from queue_server.domain.hall import NoShowPolicy, QueueSpec, WindowSpec
from queue_server.domain.tickets import (
    ACTIVE_STATUSES,
    HELD_STATUSES,
    Action,
    Outcome,
    PriorityClass,
    TicketStatus,
    check_transition,
    format_number,
    status_text,
)


class WindowStatus(StrEnum):
    OPEN = "open"
    PAUSED = "paused"  # 暂停服务: the clerk is signed in, nobody is called
    CLOSED = "closed"


class Channel(StrEnum):
    """How the ticket was obtained: decided by who issued it, never by what a client says."""

    DESK = "desk"  # a guide or manager at the guidance desk
    KIOSK = "kiosk"  # a self-service kiosk


@dataclass(frozen=True)
class Ticket:
    id: int
    hall_id: int
    service_day: str
    number: str
    queue: str
    origin_queue: str
    status: TicketStatus
    place: str  # see `places`: exact, compared as text
    channel: Channel
    issued_at: datetime
    ref: str  # the public reference: random, what citizens and public devices see (never `id`)
    item: str | None = None
    bundle: str | None = None
    items: tuple[str, ...] = ()  # the item codes of the service (from the item or bundle, or set at finish)
    priority: PriorityClass | None = None
    id_digest: str | None = None
    appointment: str | None = None
    window: int | None = None  # the window holding it, or where it was last (no-show, suspended, done)
    target_window: int | None = None  # waiting for this window only (转窗口)
    clerk_id: int | None = None  # the clerk of its latest visit
    first_called_at: datetime | None = None  # the end of its wait in line
    called_at: datetime | None = None  # its latest call (recalls excluded)
    started_at: datetime | None = None  # service start of the current visit
    suspended_at: datetime | None = None
    finished_at: datetime | None = None
    handling_seconds: float = 0.0  # service time of every finished visit, summed across windows
    suspended_seconds: float = 0.0
    calls: int = 0
    no_shows: int = 0
    outcome: Outcome | None = None

    @property
    def open(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def held(self) -> bool:
        return self.status in HELD_STATUSES


@dataclass(frozen=True)
class Window:
    hall_id: int
    number: int
    status: WindowStatus = WindowStatus.CLOSED
    clerk_id: int | None = None
    ticket_id: int | None = None


class VisitEnd(StrEnum):
    """How a ticket's stay at one window ended."""

    FINISHED = "finished"
    NO_SHOW = "no_show"
    TRANSFERRED = "transferred"
    SUSPENDED = "suspended"
    RELEASED = "released"
    EXPIRED = "expired"


class VisitChange(StrEnum):
    OPENED = "opened"  # called (or resumed) at a window
    RECALLED = "recalled"
    STARTED = "started"
    ENDED = "ended"


@dataclass(frozen=True)
class Step:
    """What one transition did: the event to record, the values to store, and what it
    did to the ticket's current visit (its stay at one window)."""

    event: EventType
    ticket: Ticket | None = None
    window: Window | None = None
    visit: VisitChange | None = None
    visit_end: VisitEnd | None = None
    handling_seconds: float = 0.0  # service time this step closed
    policy: str | None = None  # a no-show's outcome: void, requeued, recallable


# ---- rules that span records ---------------------------------------------------------


def require_same_hall(ticket: Ticket, window: Window) -> None:
    if ticket.hall_id != window.hall_id:
        raise WrongWindow(f"{ticket.number} 不是本大厅的号", number=ticket.number)


def require_serves(ticket: Ticket, window: Window, spec: WindowSpec) -> None:
    """Called, recalled or resumed only where its queue is served, or where it was sent."""
    require_same_hall(ticket, window)
    if ticket.target_window is not None and ticket.target_window != window.number:
        raise WrongWindow(
            f"{ticket.number} 已转给 {ticket.target_window} 号窗口办理：请由该窗口叫号",
            number=ticket.number,
            target_window=ticket.target_window,
        )
    if ticket.target_window is None and not spec.serves_queue(ticket.queue):
        raise WrongWindow(
            f"{window.number} 号窗口不办理 {ticket.number} 所在的队列：请由办理该队列的窗口叫号",
            number=ticket.number,
            window=window.number,
        )


def require_no_other_open_ticket(ticket_id: int | None, queue: QueueSpec, other: Ticket | None) -> None:
    """At most one open ticket per ID number per queue. `other` is the open ticket of the
    same ID in `queue`, if any, found by the caller."""
    if other is not None and other.id != ticket_id:
        raise DuplicateTicket(
            f"该证件在“{queue.name}”已有{status_text(other.status)}的号码 {other.number}："
            f"请凭 {other.number} 办理，无需重复",
            number=other.number,
            ticket_id=other.id,
        )


def require_clerk_here(window: Window, clerk_id: int | None, clerk_name: str | None = None) -> None:
    if window.status is WindowStatus.CLOSED or window.clerk_id is None:
        raise WindowNotOpen(f"{window.number} 号窗口未开放：请先开窗", window=window.number)
    if window.clerk_id != clerk_id:
        who = f"{clerk_name} " if clerk_name else "其他工作人员"
        raise WindowTaken(f"{window.number} 号窗口由{who}登录使用中：请在您自己开启的窗口操作", window=window.number)


def require_open(window: Window) -> None:
    if window.status is WindowStatus.PAUSED:
        raise WindowNotOpen(f"{window.number} 号窗口已暂停服务：请先恢复", window=window.number)
    if window.status is not WindowStatus.OPEN:
        raise WindowNotOpen(f"{window.number} 号窗口未开放：请先开窗", window=window.number)


def require_idle(window: Window, current_number: str | None, *, supervisor: bool = False) -> None:
    if window.ticket_id is not None:
        number = current_number or "?"
        then = "请由窗口人员办结、过号、转办或挂起，或“释放窗口”" if supervisor else "请先办结、过号、转办或挂起"
        raise WindowBusy(f"{window.number} 号窗口正在处理 {number}：{then}", ticket=number, window=window.number)


def require_transfer_target(target: WindowSpec, state: Window, queue: QueueSpec, from_window: int) -> None:
    if target.number == from_window:
        raise InvalidInput("不能转给本窗口", field="to_window")
    if state.status is WindowStatus.CLOSED:
        raise WrongWindow(f"{target.number} 号窗口未开放：请转给开放中的窗口，或转入队列", window=target.number)
    if not target.serves_queue(queue.code):
        served = "、".join(s.queue for s in target.serves)
        raise WrongWindow(
            f"{target.number} 号窗口不办理“{queue.name}”（它办理 {served}）：请同时指定 to_queue",
            window=target.number,
        )


def current_ticket(window: Window, ticket: Ticket | None, action: Action) -> Ticket:
    """The ticket the window is working on, if `action` may start from its state."""
    if window.ticket_id is None or ticket is None:
        raise NoCurrentTicket(f"{window.number} 号窗口当前没有正在处理的号：请先叫号", window=window.number)
    check_transition(action, ticket.status, ticket.number)
    return ticket


# ---- tickets -------------------------------------------------------------------------


def issue(
    *,
    hall_id: int,
    service_day: str,
    queue: QueueSpec,
    sequence: int,
    issued_today: int,
    place: str,
    now: datetime,
    channel: Channel,
    item: str | None,
    bundle: str | None,
    items: Sequence[str],
    priority: PriorityClass | None,
    id_digest: str | None,
    appointment: str | None,
    other: Ticket | None,
    ref: str,
) -> Ticket:
    """A new waiting ticket (id 0 until stored). `sequence` is the prefix's next number
    today, `issued_today` the queue's count including this one, `other` the open ticket of
    the same ID in this queue, if any, `ref` its public reference (random: the caller's)."""
    require_no_other_open_ticket(None, queue, other)
    if issued_today > queue.daily_cap:
        raise QueueFull(f"今日号源已发完：{queue.name}每日 {queue.daily_cap} 个号", queue=queue.code)
    return Ticket(
        id=0,
        hall_id=hall_id,
        service_day=service_day,
        number=format_number(queue.prefix, sequence),
        queue=queue.code,
        origin_queue=queue.code,
        status=TicketStatus.WAITING,
        place=place,
        channel=channel,
        issued_at=now,
        ref=ref,
        item=item,
        bundle=bundle,
        items=tuple(items),
        priority=priority,
        id_digest=id_digest,
        appointment=appointment,
    )


def call(
    ticket: Ticket,
    window: Window,
    spec: WindowSpec,
    queue: QueueSpec,
    *,
    now: datetime,
    clerk_id: int | None,
    by_number: bool = False,
    other: Ticket | None = None,
) -> Step:
    """Call `ticket` to `window`. `by_number`: the clerk named it (call_number), which may
    also bring back a no-show of a recallable queue; `other` is the open ticket of the same
    ID in its queue, if any."""
    require_open(window)
    require_idle(window, None)
    check_transition(Action.CALL, ticket.status, ticket.number)
    if ticket.status is TicketStatus.NO_SHOW:
        if not by_number or queue.no_show_policy is not NoShowPolicy.RECALLABLE:
            raise Conflict(f"{ticket.number} 已过号作废：请到导办台重新取号", number=ticket.number)
        require_no_other_open_ticket(ticket.id, queue, other)
    require_serves(ticket, window, spec)
    called = replace(
        ticket,
        status=TicketStatus.CALLED,
        window=window.number,
        target_window=None,
        clerk_id=clerk_id,
        first_called_at=ticket.first_called_at or now,
        called_at=now,
        started_at=None,
        calls=ticket.calls + 1,
    )
    return Step(
        EventType.TICKET_CALLED,
        called,
        replace(window, ticket_id=ticket.id),
        visit=VisitChange.OPENED,
    )


def recall(ticket: Ticket, window: Window) -> Step:
    """Announce the call again (重呼): the state stays, the call count grows."""
    current = current_ticket(window, ticket, Action.RECALL)
    return Step(
        EventType.TICKET_RECALLED, replace(current, calls=current.calls + 1), window, visit=VisitChange.RECALLED
    )


def no_show(
    ticket: Ticket,
    window: Window,
    queue: QueueSpec,
    line: Sequence[str],
    next_in_use: Callable[[str], str | None],
) -> Step:
    """The called citizen did not come. Under `requeue` (once), back in line behind the
    first `requeue_after` people now waiting (`line`: their places, in order), or at the
    end when fewer wait; else out of line (void, or recallable by number today).

    The new place lies between the place it goes behind and `next_in_use` of it, the
    next place any ticket of the day holds (in any queue or state), not merely the next
    one waiting in this line: a ticket called or sent elsewhere now may come back to
    this line later, and two tickets must never share a place."""
    current = current_ticket(window, ticket, Action.NO_SHOW)
    freed = replace(window, ticket_id=None)
    if queue.no_show_policy is NoShowPolicy.REQUEUE and current.no_shows == 0:
        after = queue.requeue_after
        if after == 0 or not line:
            place = current.place
        else:
            behind = line[min(after, len(line)) - 1]
            place = places.between(behind, next_in_use(behind))
        requeued = replace(
            current, status=TicketStatus.WAITING, place=place, window=None, no_shows=current.no_shows + 1
        )
        return Step(EventType.TICKET_NO_SHOW, requeued, freed, VisitChange.ENDED, VisitEnd.NO_SHOW, policy="requeued")
    policy = "recallable" if queue.no_show_policy is NoShowPolicy.RECALLABLE else "void"
    gone = replace(current, status=TicketStatus.NO_SHOW, no_shows=current.no_shows + 1)
    return Step(EventType.TICKET_NO_SHOW, gone, freed, VisitChange.ENDED, VisitEnd.NO_SHOW, policy=policy)


def start(ticket: Ticket, window: Window, *, now: datetime) -> Step:
    current = current_ticket(window, ticket, Action.START)
    serving = replace(current, status=TicketStatus.SERVING, started_at=now)
    return Step(EventType.SERVICE_STARTED, serving, window, visit=VisitChange.STARTED)


def finish(ticket: Ticket, window: Window, *, now: datetime, outcome: Outcome, items: Sequence[str] | None) -> Step:
    """Service is done. `items`: the item codes served (checked against the hall by the
    caller); None keeps those the ticket was issued for."""
    current = current_ticket(window, ticket, Action.FINISH)
    return _leave(
        current,
        replace(window, ticket_id=None),
        now,
        EventType.SERVICE_FINISHED,
        VisitEnd.FINISHED,
        status=TicketStatus.DONE,
        finished_at=now,
        outcome=outcome,
        items=tuple(items) if items is not None else current.items,
    )


def transfer(
    ticket: Ticket,
    window: Window,
    *,
    now: datetime,
    to_queue: QueueSpec,
    to_window: tuple[WindowSpec, Window] | None,
    other: Ticket | None,
) -> Step:
    """Send the ticket to another queue or window. It keeps its place in line (its
    original issue time), and the service time so far counts toward its handling time."""
    current = current_ticket(window, ticket, Action.TRANSFER)
    if to_window is None and to_queue.code == current.queue:
        raise InvalidInput("请转入另一个队列（to_queue），或指定转往的窗口（to_window）", field="to_queue")
    if to_window is not None:
        require_transfer_target(to_window[0], to_window[1], to_queue, window.number)
    require_no_other_open_ticket(current.id, to_queue, other)
    return _leave(
        current,
        replace(window, ticket_id=None),
        now,
        EventType.TICKET_TRANSFERRED,
        VisitEnd.TRANSFERRED,
        status=TicketStatus.WAITING,
        queue=to_queue.code,
        target_window=to_window[0].number if to_window else None,
        window=None,
    )


def suspend(ticket: Ticket, window: Window, *, now: datetime) -> Step:
    """The citizen leaves to fetch papers; the window is free for the next one. The time
    away is not the clerk's: it counts neither as waiting nor as handling."""
    current = current_ticket(window, ticket, Action.SUSPEND)
    return _leave(
        current,
        replace(window, ticket_id=None),
        now,
        EventType.TICKET_SUSPENDED,
        VisitEnd.SUSPENDED,
        status=TicketStatus.SUSPENDED,
        suspended_at=now,
    )


def resume(ticket: Ticket, window: Window, spec: WindowSpec, *, now: datetime, clerk_id: int | None) -> Step:
    """A suspended citizen is back: served at the window that suspended it, or at another
    window that serves its queue."""
    require_open(window)
    require_idle(window, None)
    check_transition(Action.RESUME, ticket.status, ticket.number)
    require_same_hall(ticket, window)
    if ticket.window != window.number and not spec.serves_queue(ticket.queue):
        raise WrongWindow(
            f"{window.number} 号窗口不办理 {ticket.number} 所在的队列："
            f"请回到 {ticket.window} 号窗口，或由办理该队列的窗口恢复",
            number=ticket.number,
            window=window.number,
        )
    away = (now - ticket.suspended_at).total_seconds() if ticket.suspended_at else 0.0
    back = replace(
        ticket,
        status=TicketStatus.SERVING,
        window=window.number,
        clerk_id=clerk_id,
        started_at=now,
        suspended_at=None,
        suspended_seconds=ticket.suspended_seconds + max(away, 0.0),
    )
    return Step(EventType.TICKET_RESUMED, back, replace(window, ticket_id=ticket.id), visit=VisitChange.OPENED)


def cancel(ticket: Ticket, *, now: datetime) -> Step:
    check_transition(Action.CANCEL, ticket.status, ticket.number)
    return Step(EventType.TICKET_CANCELLED, replace(ticket, status=TicketStatus.CANCELLED, finished_at=now))


def expire(ticket: Ticket, window: Window | None, *, now: datetime) -> Step:
    """The day closed with the ticket still open. `window`: the window holding it, if any."""
    check_transition(Action.EXPIRE, ticket.status, ticket.number)
    if ticket.held and window is not None and window.ticket_id == ticket.id:
        return _leave(
            ticket,
            replace(window, ticket_id=None),
            now,
            EventType.TICKET_EXPIRED,
            VisitEnd.EXPIRED,
            status=TicketStatus.EXPIRED,
            finished_at=now,
        )
    return Step(EventType.TICKET_EXPIRED, replace(ticket, status=TicketStatus.EXPIRED, finished_at=now))


def return_to_line(ticket: Ticket) -> Step:
    """A ticket sent to a window that no longer works goes back to its queue's line, at
    its own place."""
    if ticket.status is not TicketStatus.WAITING or ticket.target_window is None:
        raise Conflict(f"{ticket.number} 没有在等候指定窗口")
    return Step(EventType.TICKET_RETURNED, replace(ticket, target_window=None))


# ---- windows -------------------------------------------------------------------------


def open_window(window: Window, *, clerk_id: int, clerk_at: int | None) -> Step | None:
    """A clerk signs in at a window; None when they already are (opening twice is no error).
    `clerk_at`: the window the clerk is already signed in at, if any."""
    if window.status is not WindowStatus.CLOSED:
        if window.clerk_id == clerk_id:
            return None
        raise WindowTaken(f"{window.number} 号窗口已有工作人员登录：请先由其关闭窗口", window=window.number)
    if clerk_at is not None:
        raise Conflict(f"您已在 {clerk_at} 号窗口登录：请先关闭那个窗口", window=clerk_at)
    return Step(EventType.WINDOW_OPENED, window=replace(window, status=WindowStatus.OPEN, clerk_id=clerk_id))


def close_window(window: Window, current_number: str | None, *, supervisor: bool = False) -> Step | None:
    require_idle(window, current_number, supervisor=supervisor)
    if window.status is WindowStatus.CLOSED:
        return None
    return Step(EventType.WINDOW_CLOSED, window=replace(window, status=WindowStatus.CLOSED, clerk_id=None))


def pause_window(window: Window, current_number: str | None) -> Step:
    require_open(window)
    require_idle(window, current_number)
    return Step(EventType.WINDOW_PAUSED, window=replace(window, status=WindowStatus.PAUSED))


def resume_window(window: Window) -> Step:
    if window.status is not WindowStatus.PAUSED:
        raise Conflict(f"{window.number} 号窗口没有暂停，无需恢复", window=window.number)
    return Step(EventType.WINDOW_RESUMED, window=replace(window, status=WindowStatus.OPEN))


def release_window(window: Window, ticket: Ticket | None, *, now: datetime) -> Step:
    """A manager frees a window whose clerk left it: the ticket it held (called or being
    served) goes back in line at its own place, and the window closes."""
    if window.status is WindowStatus.CLOSED and window.ticket_id is None:
        raise Conflict(f"{window.number} 号窗口已关闭，无需释放", window=window.number)
    closed = replace(window, status=WindowStatus.CLOSED, clerk_id=None, ticket_id=None)
    if window.ticket_id is None or ticket is None:
        return Step(EventType.WINDOW_RELEASED, window=closed)
    check_transition(Action.RELEASE, ticket.status, ticket.number)
    return _leave(
        ticket, closed, now, EventType.WINDOW_RELEASED, VisitEnd.RELEASED, status=TicketStatus.WAITING, window=None
    )


def _leave(ticket: Ticket, freed: Window, now: datetime, event: EventType, ending: VisitEnd, /, **changes: Any) -> Step:
    """The ticket leaves the window it was at (`freed`: that window after the step) with
    `changes`: its visit there ends, and the visit's service time, if service had
    started, is added to its handling time."""
    handling = _service_seconds(ticket, now)
    left = replace(ticket, started_at=None, handling_seconds=ticket.handling_seconds + handling, **changes)
    return Step(event, left, freed, VisitChange.ENDED, ending, handling_seconds=handling)


def _service_seconds(ticket: Ticket, now: datetime) -> float:
    """Service time of the current visit, if service started."""
    if ticket.status is not TicketStatus.SERVING or ticket.started_at is None:
        return 0.0
    return max((now - ticket.started_at).total_seconds(), 0.0)
