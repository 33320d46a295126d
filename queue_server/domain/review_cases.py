"""差评整改: the follow-up case every 差评 opens, its three deadlines, the order the
managers' records come in, and the day arithmetic behind the deadlines.

- Every 不满意 / 非常不满意 a citizen gives (on the window's pad or on the phone; the
  system's default is 基本满意 and never one) opens one case, in the rating's transaction.
- Three deadlines (`[hall.review_cases]`), each a number of working or natural days:
  contact the citizen (default 1 working day) and fix and reply (default 5 working days)
  counted from the case's opening; confirm with the citizen by a callback (default 3
  working days) counted from the reply.
- Counting days follows the rule of Chinese law for periods (民法典 第二百零一条: the day a
  period starts on is not counted): N days after a moment end at the end (local midnight)
  of the N-th day after that moment's local date. Working days skip Saturdays and Sundays
  and the hall's closed dates, and count its make-up working days (调休上班); natural
  days count every date.
- The managers' records come in order: contact → reply (with the fix, if one was made)
  → the citizen's satisfaction → close. An appeal (申诉) may be filed once, at any point
  before closing, and is decided upheld or rejected; a case closes once the citizen's
  satisfaction is recorded, or once its appeal was upheld. Anything else is refused
  (`CaseOutOfOrder`, `CaseClosed`), naming what comes next.
- A deadline is overdue while its step is not done and its moment has passed; nothing of
  a closed case, or of one whose appeal was upheld, is overdue.

No I/O here: services load, apply, store and emit.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from queue_server.domain.errors import Conflict, InvalidInput

if TYPE_CHECKING:  # hall.py imports this module's settings
    from queue_server.domain.hall import Calendar

MAX_NOTE = 1000  # a manager's note, reply or fix, in characters
SATURDAY = 5


class DayKind(StrEnum):
    WORKING = "working"  # 工作日: the hall's calendar
    NATURAL = "natural"  # 自然日: every date


MAX_DAYS: dict[DayKind, int] = {DayKind.WORKING: 60, DayKind.NATURAL: 90}
DAY_LABELS: dict[DayKind, str] = {DayKind.WORKING: "个工作日", DayKind.NATURAL: "个自然日"}


@dataclass(frozen=True)
class Period:
    """A deadline's length: `days` working or natural days."""

    days: int
    kind: DayKind = DayKind.WORKING

    def __str__(self) -> str:
        return f"{self.days} {DAY_LABELS[self.kind]}"

    def as_dict(self) -> dict[str, Any]:
        return {"days": self.days, "kind": self.kind.value}


@dataclass(frozen=True)
class ReviewCaseSettings:
    """`[hall.review_cases]`: the three deadlines."""

    contact: Period = Period(1)  # contact the citizen, from the opening
    fix: Period = Period(5)  # fix and reply, from the opening (15 in some jurisdictions)
    confirm: Period = Period(3)  # the callback, from the reply


DEADLINES = ("contact", "fix", "confirm")


# ---- day arithmetic --------------------------------------------------------------------


def is_working_day(day: date, calendar: Calendar) -> bool:
    """A make-up working day works; a closed date does not; else Monday to Friday."""
    if day in calendar.workdays:
        return True
    if day in calendar.closed:
        return False
    return day.weekday() < SATURDAY


def add_working_days(start: date, days: int, calendar: Calendar) -> date:
    """The `days`-th working day after `start` (`start` itself never counts); `start` for 0."""
    if days < 0:
        raise ValueError("days must not be negative")
    day, counted = start, 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day, calendar):
            counted += 1
    return day


def last_day(start: date, period: Period, calendar: Calendar) -> date:
    """The last day of `period` counted from the day after `start`."""
    if period.kind is DayKind.NATURAL:
        return start + timedelta(days=period.days)
    return add_working_days(start, period.days, calendar)


def deadline(moment: datetime, period: Period, calendar: Calendar, timezone: str) -> datetime:
    """When `period` from `moment` ends, in UTC: local midnight at the end of its last day."""
    zone = zoneinfo.ZoneInfo(timezone)
    start = moment.astimezone(zone).date()
    end = last_day(start, period, calendar) + timedelta(days=1)
    return datetime.combine(end, time(0), tzinfo=zone).astimezone(UTC)


# ---- the case --------------------------------------------------------------------------


class CaseState(StrEnum):
    OPEN = "open"  # waiting for the contact
    CONTACTED = "contacted"  # waiting for the fix and reply
    REPLIED = "replied"  # waiting for the citizen's satisfaction (the callback)
    CONFIRMED = "confirmed"  # the citizen said whether the fix satisfied them: may close
    CLOSED = "closed"


class AppealState(StrEnum):
    PENDING = "pending"  # filed, not decided
    UPHELD = "upheld"  # 申诉成立: the 差评 was not the hall's to answer; the case may close
    REJECTED = "rejected"  # 申诉不成立: the follow-up goes on, deadlines as they were


class CaseAction(StrEnum):
    """What managers record; each is a use case, audited, and a `review_case_updated` event."""

    CONTACT = "contact"
    REPLY = "reply"
    CONFIRM = "confirm"
    APPEAL = "appeal"
    DECIDE_APPEAL = "decide_appeal"
    CLOSE = "close"


class CaseOutOfOrder(Conflict):
    code = "review_case_out_of_order"
    title = "Not the next step of this review case"


class CaseClosed(Conflict):
    code = "review_case_closed"
    title = "This review case is closed"


@dataclass(frozen=True)
class ReviewCase:
    """One 差评's follow-up: the deadlines fixed when each clock started, and what the
    managers recorded."""

    id: int
    hall_id: int
    rating_id: int
    opened_at: datetime
    contact_due: datetime
    fix_due: datetime
    state: CaseState = CaseState.OPEN
    confirm_due: datetime | None = None  # from the reply
    contacted_at: datetime | None = None
    contact_note: str | None = None
    replied_at: datetime | None = None
    reply: str | None = None
    fix: str | None = None  # what was rectified; None: the reply explained, nothing was fixed
    confirmed_at: datetime | None = None
    satisfied: bool | None = None  # the citizen's satisfaction with the fix (or the reply)
    appeal_state: AppealState | None = None
    appealed_at: datetime | None = None
    appeal_reason: str | None = None
    appeal_decided_at: datetime | None = None
    appeal_note: str | None = None
    closed_at: datetime | None = None
    close_note: str | None = None


def open_case(
    rating_id: int, hall_id: int, now: datetime, settings: ReviewCaseSettings, calendar: Calendar, timezone: str
) -> ReviewCase:
    """The case a 差评 opens at `now` (not stored yet: `id` 0)."""
    return ReviewCase(
        id=0,
        hall_id=hall_id,
        rating_id=rating_id,
        opened_at=now,
        contact_due=deadline(now, settings.contact, calendar, timezone),
        fix_due=deadline(now, settings.fix, calendar, timezone),
    )


def _open(case: ReviewCase) -> None:
    if case.state is CaseState.CLOSED:
        raise CaseClosed(f"整改工单 {case.id} 已办结，不能再记录", state=case.state.value)


def _when(case: ReviewCase, at: datetime, now: datetime, after: datetime, what: str) -> datetime:
    """`at` (when the manager says it happened) may not be later than now, nor before `after`."""
    if at > now:
        raise InvalidInput(f"{what}的时间不能晚于现在", field="at")
    if at < after:
        raise InvalidInput(f"{what}的时间不能早于上一步（{after.isoformat()}）", field="at")
    return at


def _next_step(case: ReviewCase) -> str:
    return {
        CaseState.OPEN: "下一步是联系群众（contact）",
        CaseState.CONTACTED: "下一步是整改并答复（reply）",
        CaseState.REPLIED: "下一步是回访，记录群众对整改是否满意（confirm）",
        CaseState.CONFIRMED: "下一步是办结（close）",
        CaseState.CLOSED: "已办结",
    }[case.state]


def _in_state(case: ReviewCase, state: CaseState, what: str) -> None:
    _open(case)
    if case.state is not state:
        raise CaseOutOfOrder(f"不能{what}：{_next_step(case)}", state=case.state.value)


def record_contact(case: ReviewCase, at: datetime, note: str, now: datetime) -> ReviewCase:
    _in_state(case, CaseState.OPEN, "记录联系")
    at = _when(case, at, now, case.opened_at, "联系")
    return replace(case, state=CaseState.CONTACTED, contacted_at=at, contact_note=note)


def record_reply(
    case: ReviewCase,
    at: datetime,
    reply: str,
    fix: str | None,
    now: datetime,
    settings: ReviewCaseSettings,
    calendar: Calendar,
    timezone: str,
) -> ReviewCase:
    """The fix (None when there was nothing to fix) and the reply to the citizen; the
    callback's clock starts at the reply."""
    _in_state(case, CaseState.CONTACTED, "记录整改答复")
    assert case.contacted_at is not None
    at = _when(case, at, now, case.contacted_at, "答复")
    return replace(
        case,
        state=CaseState.REPLIED,
        replied_at=at,
        reply=reply,
        fix=fix,
        confirm_due=deadline(at, settings.confirm, calendar, timezone),
    )


def record_satisfaction(case: ReviewCase, at: datetime, satisfied: bool, now: datetime) -> ReviewCase:
    _in_state(case, CaseState.REPLIED, "记录回访结果")
    assert case.replied_at is not None
    at = _when(case, at, now, case.replied_at, "回访")
    return replace(case, state=CaseState.CONFIRMED, confirmed_at=at, satisfied=satisfied)


def file_appeal(case: ReviewCase, reason: str, now: datetime) -> ReviewCase:
    _open(case)
    if case.appeal_state is not None:
        raise CaseOutOfOrder(
            f"整改工单 {case.id} 已经申诉过（{case.appeal_state.value}）：每个工单只能申诉一次",
            appeal=case.appeal_state.value,
        )
    return replace(case, appeal_state=AppealState.PENDING, appealed_at=now, appeal_reason=reason)


def decide_appeal(case: ReviewCase, upheld: bool, note: str | None, now: datetime) -> ReviewCase:
    _open(case)
    if case.appeal_state is not AppealState.PENDING:
        raise CaseOutOfOrder(f"整改工单 {case.id} 没有待决定的申诉", appeal=case.appeal_state)
    state = AppealState.UPHELD if upheld else AppealState.REJECTED
    return replace(case, appeal_state=state, appeal_decided_at=now, appeal_note=note)


def close_case(case: ReviewCase, note: str | None, now: datetime) -> ReviewCase:
    _open(case)
    if case.appeal_state is AppealState.PENDING:
        raise CaseOutOfOrder(f"整改工单 {case.id} 的申诉尚未决定：请先决定申诉（decide_appeal）", appeal="pending")
    if case.state is not CaseState.CONFIRMED and case.appeal_state is not AppealState.UPHELD:
        raise CaseOutOfOrder(f"不能办结：{_next_step(case)}（或申诉成立后办结）", state=case.state.value)
    return replace(case, state=CaseState.CLOSED, closed_at=now, close_note=note)


# ---- deadlines as of now -----------------------------------------------------------------


@dataclass(frozen=True)
class DeadlineStatus:
    due: datetime | None  # None: its clock has not started (the callback before a reply)
    done_at: datetime | None
    overdue: bool  # not done, and its moment has passed
    late: bool  # done after its moment


def deadline_statuses(case: ReviewCase, now: datetime) -> dict[str, DeadlineStatus]:
    """Each deadline of the case as it stands at `now`."""
    settled = case.state is CaseState.CLOSED or case.appeal_state is AppealState.UPHELD
    found = {}
    for name, due, done in (
        ("contact", case.contact_due, case.contacted_at),
        ("fix", case.fix_due, case.replied_at),
        ("confirm", case.confirm_due, case.confirmed_at),
    ):
        overdue = due is not None and done is None and not settled and now >= due
        late = due is not None and done is not None and done >= due
        found[name] = DeadlineStatus(due=due, done_at=done, overdue=overdue, late=late)
    return found


def is_overdue(case: ReviewCase, now: datetime) -> bool:
    return any(status.overdue for status in deadline_statuses(case, now).values())


# ---- figures ------------------------------------------------------------------------------

GOOD_LEVELS = frozenset({"very_satisfied", "satisfied"})
BAD_LEVELS = frozenset({"dissatisfied", "very_dissatisfied"})
CITIZEN_CHANNELS = frozenset({"pad", "phone"})
FIGURES = (
    "good_rate",  # 好评率
    "bad_rate",  # 差评率
    "unrated_rate",  # 未评率
    "active_rate",  # 主动评价率
    "reply_rate",  # 回复率
    "fix_rate",  # 整改率
    "fix_satisfaction_rate",  # 整改满意率
)


@dataclass
class Counts:
    """What the figures are made of, counted over a set of finished tickets."""

    finished: int = 0  # tickets whose service finished at a window
    rated: int = 0  # with a rating of any channel, the system's default included
    citizen_rated: int = 0  # rated by the citizen (pad or phone)
    good: int = 0  # 非常满意 + 满意
    bad: int = 0  # 不满意 + 非常不满意
    cases: int = 0  # 差评 cases, less those whose appeal was upheld
    replied: int = 0
    fixed: int = 0
    fixes_confirmed: int = 0  # fixed, and the citizen said whether it satisfied them
    fixes_satisfied: int = 0
    appeals_upheld: int = 0

    def add(self, row: dict[str, Any]) -> None:
        """The definition, one finished ticket at a time: its rating's `level` and `channel`
        (None: unrated), its case's `case_id`, `replied_at`, `fix`, `confirmed_at`,
        `satisfied`, `appeal_state`. The store counts the same in SQL
        (`storage.review_cases.figure_counts`); a test holds the two together."""
        self.finished += 1
        level, channel = row.get("level"), row.get("channel")
        if level is not None:
            self.rated += 1
            self.citizen_rated += channel in CITIZEN_CHANNELS
            self.good += level in GOOD_LEVELS
            self.bad += level in BAD_LEVELS
        if row.get("case_id") is None:
            return
        if row.get("appeal_state") == AppealState.UPHELD:
            self.appeals_upheld += 1
            return
        self.cases += 1
        self.replied += row.get("replied_at") is not None
        fixed = row.get("replied_at") is not None and row.get("fix") is not None
        self.fixed += fixed
        if fixed and row.get("confirmed_at") is not None:
            self.fixes_confirmed += 1
            self.fixes_satisfied += bool(row.get("satisfied"))

    @classmethod
    def of_row(cls, row: dict[str, Any]) -> Counts:
        """Counts already counted (by the store), one per field."""
        return cls(**{name: int(row[name]) for name in cls.__dataclass_fields__})

    def __iadd__(self, other: Counts) -> Counts:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self

    def figures(self) -> dict[str, dict[str, Any]]:
        """Each figure as its numerator, denominator and rate (None over nothing)."""
        pairs = {
            "good_rate": (self.good, self.rated),
            "bad_rate": (self.bad, self.rated),
            "unrated_rate": (self.finished - self.citizen_rated, self.finished),
            "active_rate": (self.citizen_rated, self.finished),
            "reply_rate": (self.replied, self.cases),
            "fix_rate": (self.fixed, self.cases),
            "fix_satisfaction_rate": (self.fixes_satisfied, self.fixes_confirmed),
        }
        return {
            name: {"numerator": top, "denominator": bottom, "rate": round(top / bottom, 4) if bottom else None}
            for name, (top, bottom) in pairs.items()
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "counts": {
                "finished": self.finished,
                "rated": self.rated,
                "citizen_rated": self.citizen_rated,
                "good": self.good,
                "bad": self.bad,
                "cases": self.cases,
                "appeals_upheld": self.appeals_upheld,
            },
            "figures": self.figures(),
        }


class Breakdown(StrEnum):
    QUEUE = "queue"
    WINDOW = "window"
    CLERK = "clerk"
    DAY = "day"
