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
# A window holds a ticket while it is called there or served there.
HELD_STATUSES = frozenset({TicketStatus.CALLED, TicketStatus.SERVING})


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
    RELEASE = "release"  # a manager frees the window: the ticket goes back in line


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
    Action.RELEASE: HELD_STATUSES,
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


# What to do instead, where the refused action has an obvious next step.
_NEXT_STEP: dict[tuple[Action, TicketStatus], str] = {
    (Action.FINISH, TicketStatus.CALLED): "请先“开始办理”，办理后再办结",
    (Action.SUSPEND, TicketStatus.CALLED): "请先“开始办理”；市民未到请点“过号”",
    (Action.NO_SHOW, TicketStatus.SERVING): "市民已在办理中：请办结、转办或挂起",
    (Action.RECALL, TicketStatus.SERVING): "市民已在办理中，无需重呼",
    (Action.START, TicketStatus.SERVING): "已在办理中：办理完请点“办结”",
    (Action.CANCEL, TicketStatus.CALLED): "正在窗口叫号：请由窗口过号或办理",
    (Action.CANCEL, TicketStatus.SERVING): "正在窗口办理：请由窗口办结",
    (Action.RESUME, TicketStatus.WAITING): "只有挂起的号可以恢复办理；等候中的号请叫号",
    (Action.CALL, TicketStatus.DONE): "该号已办结：如需再次办理请重新取号",
    (Action.CALL, TicketStatus.CANCELLED): "该号已取消：请到导办台重新取号",
    (Action.CALL, TicketStatus.EXPIRED): "该号已作废：请到导办台重新取号",
    (Action.CALL, TicketStatus.SUSPENDED): "该号已挂起：请用“恢复办理”",
}


def check_transition(action: Action, status: TicketStatus, number: str) -> None:
    """Raise `InvalidTransition` unless `action` may start from `status`; the message
    says what to do instead where there is a next step."""
    if status not in _ALLOWED_FROM[action]:
        next_step = _NEXT_STEP.get((action, status))
        raise InvalidTransition(
            f"{number} 号当前状态为“{_STATUS_ZH[status]}”，不能执行此操作" + (f"：{next_step}" if next_step else ""),
            ticket_status=status.value,
            action=action.value,
        )


def status_text(status: TicketStatus) -> str:
    """The status as the hall says it (等候中, 已叫号 …)."""
    return _STATUS_ZH[status]


def format_number(prefix: str, sequence: int) -> str:
    """`A001`: the queue's letter and the day's sequence in three digits."""
    if not 1 <= sequence <= 999:
        raise InvalidInput(f"号码序号 {sequence} 超出 1–999")
    return f"{prefix}{sequence:03d}"
