"""The 好差评 rules: the five levels, who may rate, what a rating may say, when the review
pad's invitation closes, and when nobody's rating becomes the system's 基本满意.

- National rule (国办发〔2019〕51号): the citizen rates, freely. Staff may invite a rating
  (finishing a service opens it on the window's review pad) but never choose, submit or
  steer it: every attempt by a person signed in as staff is refused (`StaffMayNotRate`),
  whichever route it takes.
- One rating per ticket, whoever rates first (the window's pad, the ticket's QR code on
  the citizen's phone, or the system's default): a second is `AlreadyRated`.
- The pad rates only the ticket its window has open for rating, until the invitation
  closes (rated, timed out, or the window took its next ticket); the phone rates its own
  ticket once its service has finished, until a rating exists.
- A level is stored by its name (`RatingLevel`); interfaces map it to their codes.
- Reasons are chosen among the hall file's reasons for the level chosen; free text is at
  most `MAX_TEXT` characters, with no control characters.

No I/O here: services load, apply, store and emit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from queue_server.domain.errors import Conflict, DomainError, InvalidInput

MAX_TEXT = 500
MAX_REASONS = 20  # reasons chosen at once (the hall file lists at most this many per level)
MAX_REASON_LENGTH = 20
DEFAULT_PAD_TIMEOUT_SECONDS = 60
DEFAULT_AFTER_DAYS = 7
MAX_PAD_TIMEOUT_SECONDS = 600
MAX_AFTER_DAYS = 60

NATIONAL_RULE = (
    "按照国办发〔2019〕51号的规定，评价由办事群众自主作出：工作人员可以邀请评价，"
    "但不得代为选择、提交或引导评价。请办事群众在窗口评价器或用办事票上的二维码自行评价"
)


class RatingLevel(StrEnum):
    """The five levels, best first; the last two are 差评."""

    VERY_SATISFIED = "very_satisfied"  # 非常满意
    SATISFIED = "satisfied"  # 满意
    BASIC = "basic"  # 基本满意
    DISSATISFIED = "dissatisfied"  # 不满意
    VERY_DISSATISFIED = "very_dissatisfied"  # 非常不满意

    @property
    def label(self) -> str:
        return LEVEL_LABELS[self]

    @property
    def negative(self) -> bool:
        """差评: 不满意 and 非常不满意."""
        return self in (RatingLevel.DISSATISFIED, RatingLevel.VERY_DISSATISFIED)


LEVEL_LABELS: Mapping[RatingLevel, str] = {
    RatingLevel.VERY_SATISFIED: "非常满意",
    RatingLevel.SATISFIED: "满意",
    RatingLevel.BASIC: "基本满意",
    RatingLevel.DISSATISFIED: "不满意",
    RatingLevel.VERY_DISSATISFIED: "非常不满意",
}


class RatingChannel(StrEnum):
    PAD = "pad"  # the window's review pad (评价器)
    PHONE = "phone"  # the ticket's QR code, on the citizen's phone
    SYSTEM_DEFAULT = "system_default"  # nobody rated within the configured days


class InvitationClosing(StrEnum):
    """Why a review pad's invitation closed."""

    RATED = "rated"  # a rating came (from the pad or the phone)
    TIMEOUT = "timeout"  # the pad's time ran out: the phone may still rate
    NEXT_CALL = "next_call"  # the window took its next ticket


# Reasons offered per level unless the hall file says otherwise: praise for the good
# levels, what went wrong for the others (the common provincial forms' headings).
DEFAULT_REASONS: Mapping[RatingLevel, tuple[str, ...]] = {
    RatingLevel.VERY_SATISFIED: ("服务态度好", "办事效率高", "业务熟练", "一次办成", "环境舒适"),
    RatingLevel.SATISFIED: ("服务态度好", "办事效率高", "业务熟练", "指引清楚"),
    RatingLevel.BASIC: ("等候时间较长", "办事效率一般", "指引不够清楚"),
    RatingLevel.DISSATISFIED: ("服务态度", "办事效率", "服务水平", "服务环境", "等候时间", "多次跑腿"),
    RatingLevel.VERY_DISSATISFIED: ("服务态度", "办事效率", "服务水平", "服务环境", "等候时间", "多次跑腿"),
}


@dataclass(frozen=True)
class RatingSettings:
    """`[hall.ratings]`: how long the pad shows an invitation, after how many natural days
    an unrated ticket gets the system's 基本满意, and the reasons offered per level."""

    pad_timeout_seconds: int = DEFAULT_PAD_TIMEOUT_SECONDS
    default_after_days: int = DEFAULT_AFTER_DAYS
    reasons: Mapping[RatingLevel, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_REASONS))

    def levels(self) -> list[dict[str, Any]]:
        """The five levels as a pad or a phone shows them: best first, each with its reasons."""
        return [
            {"level": level.value, "label": level.label, "reasons": list(self.reasons[level])} for level in RatingLevel
        ]


class StaffMayNotRate(DomainError):
    status = 403
    code = "staff_may_not_rate"
    title = "Staff may invite a rating, never give one"


class AlreadyRated(Conflict):
    code = "already_rated"
    title = "This ticket has been rated"


class NotRateable(Conflict):
    """The ticket cannot be rated now: its service has not finished, or (on the pad) its
    invitation closed or belongs to another window."""

    code = "not_rateable"
    title = "This ticket cannot be rated here now"


@dataclass(frozen=True)
class RatingInput:
    """What a rater chose, checked (`read_rating`)."""

    level: RatingLevel
    reasons: tuple[str, ...] = ()
    text: str | None = None


def check_rating(level: RatingLevel, reasons: Sequence[str], text: str | None, settings: RatingSettings) -> RatingInput:
    """Reasons must be among the hall file's for the level, each once; text at most
    `MAX_TEXT` characters without control characters (blank text is none)."""
    offered = settings.reasons[level]
    chosen: list[str] = []
    for reason in reasons:
        if reason not in offered:
            listed = "、".join(offered) or "（无）"
            raise InvalidInput(f"“{level.label}”可选的原因是：{listed}；没有 {reason!r}", field="reasons")
        if reason not in chosen:
            chosen.append(reason)
    if text is not None:
        if len(text) > MAX_TEXT:
            raise InvalidInput(f"评价内容最多 {MAX_TEXT} 个字（现有 {len(text)} 个）", field="text")
        if any((ord(ch) < 32 and ch not in "\n") or ord(ch) == 127 for ch in text):
            raise InvalidInput("评价内容含有不可见的控制字符，请删除后重试", field="text")
        text = text.strip() or None
    return RatingInput(level=level, reasons=tuple(chosen), text=text)


def refuse_staff() -> StaffMayNotRate:
    return StaffMayNotRate(NATIONAL_RULE)


def require_finished(status: str, number: str) -> None:
    """Only a ticket whose service finished may be rated."""
    if status != "done":
        raise NotRateable(f"{number} 号尚未办结：办结后才能评价", status=status)


def require_unrated(rated: bool, number: str) -> None:
    if rated:
        raise AlreadyRated(f"{number} 号已经评价过了：每次办事只评价一次")


@dataclass(frozen=True)
class Invitation:
    """A finished ticket's invitation to rate on its window's review pad."""

    id: int
    hall_id: int
    ticket_id: int
    window: int
    opened_at: datetime
    closes_at: datetime
    closed_at: datetime | None = None
    closed_reason: InvitationClosing | None = None
    rating_id: int | None = None

    @property
    def open(self) -> bool:
        return self.closed_at is None


def closes_at(opened_at: datetime, settings: RatingSettings) -> datetime:
    return opened_at + timedelta(seconds=settings.pad_timeout_seconds)


def pad_may_rate(
    invitation: Invitation | None, *, pad_window: int, ticket_window: int | None, number: str, now: datetime
) -> None:
    """The pad of `pad_window` may rate this ticket: its own window's open invitation,
    not yet timed out."""
    if ticket_window is not None and ticket_window != pad_window:
        raise NotRateable(
            f"此评价器属于 {pad_window} 号窗口，{number} 号在 {ticket_window} 号窗口办理：请在该窗口的评价器上评价",
            window=pad_window,
        )
    if invitation is None or invitation.window != pad_window:
        raise NotRateable(f"{pad_window} 号窗口没有邀请 {number} 号评价", window=pad_window)
    if not invitation.open or now >= invitation.closes_at:
        raise NotRateable(
            f"{number} 号在评价器上的评价已结束：仍可扫描办事票上的二维码，在手机上评价", window=pad_window
        )


def default_due(finished_at: datetime, now: datetime, settings: RatingSettings) -> bool:
    """Whether an unrated ticket finished at `finished_at` gets the system's 基本满意 now:
    `default_after_days` natural days (of 24 hours) after its service finished."""
    return now >= finished_at + timedelta(days=settings.default_after_days)


def default_cutoff(now: datetime, settings: RatingSettings) -> datetime:
    """Tickets finished at or before this instant are due for the system's default."""
    return now - timedelta(days=settings.default_after_days)


DEFAULT_LEVEL = RatingLevel.BASIC
