"""Ticket states, the moves between them, and how a number is written."""

from __future__ import annotations

from enum import StrEnum

from queue_server.domain.errors import InvalidInput, InvalidTransition


class TicketStatus(StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    SUSPENDED = "suspended"  # the citizen went to fetch papers; the clock stops for the clerk
    DONE = "done"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # closed by the end-of-day sweep


ACTIVE_STATUSES = frozenset({TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.SERVING, TicketStatus.SUSPENDED})


class Outcome(StrEnum):
    ACCEPTED = "accepted"  # 受理
    CONSULTED = "consulted"  # 咨询
    COLLECTED = "collected"  # 领证
    OTHER = "other"  # 其他


class PriorityClass(StrEnum):
    SENIOR = "senior"
    DISABILITY = "disability"
    PREGNANCY = "pregnancy"
    SERVICE_MEMBER = "service_member"  # 军人依法优先


class Action(StrEnum):
    CALL = "call"
    RECALL = "recall"
    NO_SHOW = "no_show"
    START = "start"
    FINISH = "finish"
    TRANSFER = "transfer"
    SUSPEND = "suspend"
    RESUME = "resume"
    CANCEL = "cancel"
    EXPIRE = "expire"


# Which states each action starts from. Calling a no-show is allowed so that a
# "recallable" queue can bring a late citizen back; the service checks the policy.
_ALLOWED_FROM: dict[Action, frozenset[TicketStatus]] = {
    Action.CALL: frozenset({TicketStatus.WAITING, TicketStatus.NO_SHOW}),
    Action.RECALL: frozenset({TicketStatus.CALLED}),
    Action.NO_SHOW: frozenset({TicketStatus.CALLED}),
    Action.START: frozenset({TicketStatus.CALLED}),
    Action.FINISH: frozenset({TicketStatus.SERVING}),
    Action.TRANSFER: frozenset({TicketStatus.CALLED, TicketStatus.SERVING}),
    Action.SUSPEND: frozenset({TicketStatus.SERVING}),
    Action.RESUME: frozenset({TicketStatus.SUSPENDED}),
    Action.CANCEL: frozenset({TicketStatus.WAITING, TicketStatus.NO_SHOW, TicketStatus.SUSPENDED}),
    Action.EXPIRE: ACTIVE_STATUSES,
}

_STATUS_ZH = {
    TicketStatus.WAITING: "等候中",
    TicketStatus.CALLED: "已叫号",
    TicketStatus.SERVING: "办理中",
    TicketStatus.SUSPENDED: "已挂起",
    TicketStatus.DONE: "已办结",
    TicketStatus.NO_SHOW: "已过号",
    TicketStatus.CANCELLED: "已取消",
    TicketStatus.EXPIRED: "已作废（日终清理）",
}


def check_transition(action: Action, status: TicketStatus, number: str) -> None:
    """Raise `InvalidTransition` unless `action` may start from `status`."""
    if status not in _ALLOWED_FROM[action]:
        raise InvalidTransition(
            f"{number} 号当前状态为“{_STATUS_ZH[status]}”，不能执行此操作",
            ticket_status=status.value,
            action=action.value,
        )


def format_number(prefix: str, sequence: int) -> str:
    """`A001`: the queue's letter and the day's sequence in three digits."""
    if not 1 <= sequence <= 999:
        raise InvalidInput(f"号码序号 {sequence} 超出 1–999")
    return f"{prefix}{sequence:03d}"
