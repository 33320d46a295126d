"""Reports (docs/reports.md): which reports there are, the period one covers, the columns
each has with their Chinese headers, and the clerks' attendance worked out from their
sign-ins and the windows' pauses. Pure: the store counts, this names and shapes.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from queue_server.domain.errors import InvalidInput


class ReportKind(StrEnum):
    QUEUES = "queues"  # per queue
    ITEMS = "items"  # per item (事项)
    WINDOWS = "windows"  # per window
    CLERKS = "clerks"  # per clerk
    ATTENDANCE = "attendance"  # 日考勤: per clerk and day
    CLERK_REVIEW = "clerk-review"  # 月讲评: per clerk over the period


KIND_TITLES = {
    ReportKind.QUEUES: "队列统计",
    ReportKind.ITEMS: "事项统计",
    ReportKind.WINDOWS: "窗口统计",
    ReportKind.CLERKS: "人员统计",
    ReportKind.ATTENDANCE: "日考勤",
    ReportKind.CLERK_REVIEW: "月讲评",
}

LEVELS = ("very_satisfied", "satisfied", "basic", "dissatisfied", "very_dissatisfied")

_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MONTH = re.compile(r"[0-9]{4}-[0-9]{2}")


@dataclass(frozen=True)
class Period:
    """Service days `first` to `last`, inclusive: one day, or one calendar month."""

    unit: str  # "day" or "month"
    first: date
    last: date

    @property
    def label(self) -> str:
        return self.first.isoformat() if self.unit == "day" else self.first.strftime("%Y-%m")

    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def period(day: str | None, month: str | None) -> Period:
    """The period a report's query names: `day=YYYY-MM-DD` or `month=YYYY-MM`, exactly one."""
    if (day is None) == (month is None):
        raise InvalidInput(
            "请给出 day（YYYY-MM-DD）或 month（YYYY-MM）之一", field="day" if day is not None else "month"
        )
    if day is not None:
        try:
            if not _DAY.fullmatch(day):
                raise ValueError
            one = date.fromisoformat(day)
        except ValueError:
            raise InvalidInput(f"day 须是 YYYY-MM-DD 格式的日期，收到 {day[:20]!r}", field="day") from None
        return Period("day", one, one)
    assert month is not None
    try:
        if not _MONTH.fullmatch(month):
            raise ValueError
        first = date(int(month[:4]), int(month[5:]), 1)
    except ValueError:
        raise InvalidInput(f"month 须是 YYYY-MM 格式的月份，收到 {month[:20]!r}", field="month") from None
    return Period("month", first, first.replace(day=calendar.monthrange(first.year, first.month)[1]))


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # the Chinese header (CSV, and the page's zh-CN)


def _columns(*pairs: tuple[str, str]) -> tuple[Column, ...]:
    return tuple(Column(key, label) for key, label in pairs)


_TICKETS = (
    ("issued", "取号数"),
    ("served", "办结数"),
    ("no_shows", "过号数"),
    ("cancelled", "取消数"),
    ("transferred", "转办数"),
)
_VISITS = (
    ("called", "叫号数"),
    ("served", "办结数"),
    ("no_shows", "过号数"),
    ("transferred", "转出数"),
)
_TIMES = (
    ("wait_avg_minutes", "平均等候（分钟）"),
    ("wait_p90_minutes", "90%等候（分钟）"),
    ("handling_avg_minutes", "平均办理（分钟）"),
    ("handling_p90_minutes", "90%办理（分钟）"),
)
_RATINGS = (
    ("very_satisfied", "非常满意"),
    ("satisfied", "满意"),
    ("basic", "基本满意"),
    ("dissatisfied", "不满意"),
    ("very_dissatisfied", "非常不满意"),
    ("rated", "评价数（好差评率分母）"),
    ("good", "好评数"),
    ("good_rate", "好评率"),
    ("bad", "差评数"),
    ("bad_rate", "差评率"),
)
_PAUSES = (
    ("pauses", "暂停次数"),
    ("pause_minutes", "暂停时长（分钟）"),
    ("pause_reasons", "暂停原因"),
)

COLUMNS: dict[ReportKind, tuple[Column, ...]] = {
    ReportKind.QUEUES: _columns(("key", "队列编码"), ("name", "队列"), *_TICKETS, *_TIMES, *_RATINGS),
    ReportKind.ITEMS: _columns(("key", "事项编码"), ("name", "事项"), *_TICKETS, *_TIMES, *_RATINGS),
    ReportKind.WINDOWS: _columns(("key", "窗口号"), ("name", "窗口"), *_VISITS, *_TIMES, *_RATINGS),
    ReportKind.CLERKS: _columns(("key", "工号"), ("name", "姓名"), *_VISITS, *_TIMES, *_RATINGS),
    ReportKind.ATTENDANCE: _columns(
        ("day", "日期"),
        ("key", "工号"),
        ("name", "姓名"),
        ("windows", "窗口"),
        ("first_sign_in", "首次签到"),
        ("last_sign_out", "最后签退"),
        ("on_window_minutes", "在岗时长（分钟）"),
        *_PAUSES,
        ("working_minutes", "有效在岗（分钟）"),
    ),
    ReportKind.CLERK_REVIEW: _columns(
        ("key", "工号"),
        ("name", "姓名"),
        ("days_on_duty", "出勤天数"),
        ("on_window_minutes", "在岗时长（分钟）"),
        ("served", "办结数"),
        ("handling_avg_minutes", "平均办理（分钟）"),
        *_RATINGS,
        ("cases", "差评工单"),
        ("replied", "已回复"),
        ("fixed", "已整改"),
        ("fixes_satisfied", "整改满意"),
        *_PAUSES,
    ),
}


# ---- attendance (日考勤) ---------------------------------------------------------------


@dataclass(frozen=True)
class SignIn:
    """One stay of a clerk at a window: signed in at `opened`, out at `closed` (None:
    still signed in)."""

    clerk_id: int
    window: int
    opened: datetime
    closed: datetime | None


@dataclass(frozen=True)
class WindowStep:
    """A window's own step from the hall's log: opened, paused (with its reason), resumed,
    closed, released."""

    window: int
    at: datetime
    type: str
    reason: str | None


@dataclass
class ClerkDay:
    """One clerk's attendance on one local day."""

    clerk_id: int
    day: date
    windows: set[int] = field(default_factory=set)
    first_sign_in: datetime | None = None
    last_sign_out: datetime | None = None
    signed_in_now: bool = False
    on_window_seconds: float = 0.0
    pauses: int = 0
    pause_seconds: float = 0.0
    pause_reasons: dict[str, list[float]] = field(default_factory=dict)  # reason -> each pause's seconds


NO_REASON = "（未填原因）"
_PAUSE_ENDS = frozenset({"window_resumed", "window_closed", "window_released", "window_opened"})


def attendance(
    sign_ins: Iterable[SignIn], steps: Sequence[WindowStep], now: datetime, local_day: Callable[[datetime], date]
) -> dict[tuple[int, date], ClerkDay]:
    """Each clerk's days: every stay at a window counts toward the local day it began on
    (`local_day`), up to its sign-out (or `now`, still signed in); a pause is a
    `window_paused` step inside a stay, up to the window's next resume, close or release
    (or the stay's end), with its reason."""
    by_window: dict[int, list[WindowStep]] = {}
    for step in sorted(steps, key=lambda s: s.at):
        by_window.setdefault(step.window, []).append(step)
    days: dict[tuple[int, date], ClerkDay] = {}
    for stay in sorted(sign_ins, key=lambda s: s.opened):
        key = (stay.clerk_id, local_day(stay.opened))
        record = days.setdefault(key, ClerkDay(stay.clerk_id, key[1]))
        end = stay.closed if stay.closed is not None else now
        record.windows.add(stay.window)
        record.on_window_seconds += max((end - stay.opened).total_seconds(), 0.0)
        if record.first_sign_in is None or stay.opened < record.first_sign_in:
            record.first_sign_in = stay.opened
        if stay.closed is None:
            record.signed_in_now = True
        elif record.last_sign_out is None or stay.closed > record.last_sign_out:
            record.last_sign_out = stay.closed
        paused_at: datetime | None = None
        reason = NO_REASON
        for step in by_window.get(stay.window, ()):
            if step.at < stay.opened or step.at > end:
                continue
            if step.type == "window_paused" and paused_at is None:
                paused_at, reason = step.at, (step.reason or "").strip() or NO_REASON
            elif step.type in _PAUSE_ENDS and paused_at is not None:
                _add_pause(record, reason, (step.at - paused_at).total_seconds())
                paused_at = None
        if paused_at is not None:
            _add_pause(record, reason, (end - paused_at).total_seconds())
    return days


def _add_pause(record: ClerkDay, reason: str, seconds: float) -> None:
    seconds = max(seconds, 0.0)
    record.pauses += 1
    record.pause_seconds += seconds
    record.pause_reasons.setdefault(reason, []).append(seconds)


def reasons_text(reasons: dict[str, list[float]]) -> str:
    """`午休 1次 45.0分钟；取材料 2次 6.5分钟`: each reason, how often, how long in all."""
    return "；".join(
        f"{reason} {len(times)}次 {minutes(sum(times))}分钟"
        for reason, times in sorted(reasons.items(), key=lambda item: (-sum(item[1]), item[0]))
    )


def minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)
