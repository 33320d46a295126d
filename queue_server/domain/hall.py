"""The hall's configuration: what a hall file may say, and the checks it must pass.

`parse_hall(data)` takes the dict that `tomllib` read and returns a frozen `HallSpec`, or
raises `HallConfigError` naming the offending key (`queues[9].kind`, counted from 0 for
programs) and, for people, where it is in the file (第 10 个 [[queues]]（code = "x"）)
and what to do about it. A key the product does not know is refused, with the nearest
known one suggested: a typo must never silently fall back to a default. Reading the file
is the caller's business; this module does no I/O.
"""

from __future__ import annotations

import codecs
import difflib
import itertools
import re
import tomllib
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, time
from enum import StrEnum
from typing import Any

from queue_server.domain import alerts as alert_rules
from queue_server.domain.alerts import AlertSettings, QueueThresholds
from queue_server.domain.errors import HallConfigError
from queue_server.domain.ratings import (
    MAX_AFTER_DAYS,
    MAX_PAD_TIMEOUT_SECONDS,
    MAX_REASON_LENGTH,
    MAX_REASONS,
    RatingLevel,
    RatingSettings,
)
from queue_server.domain.review_cases import DEADLINES, MAX_DAYS, DayKind, Period, ReviewCaseSettings
from queue_server.domain.staffing import (
    MAX_HISTORY_WEEKS,
    MAX_LEVEL,
    MAX_TARGET_MINUTES,
    MIN_LEVEL,
    MIN_OCCUPANCY,
    StaffingSettings,
)
from ticket_printer.ticket import MAX_TEXT_LENGTH, MAX_TIPS

MAX_SPECIALISED_AREAS = 6  # Zhengzhou 2024 plan: at most six specialised service areas
MAX_DAILY_CAP = 999  # numbers are a letter and three digits
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_ROLLOVER = time(3, 0)  # the service day changes at 03:00 local time
MAX_WINDOW_CLERKS = 200  # user names in a window's `clerks` or `cover`
MAX_TIP_LENGTH = MAX_TEXT_LENGTH  # a printed ticket's tips: at most MAX_TIPS lines of this many characters
_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_RANGE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
_CLOCK = re.compile(r"^(\d{2}):(\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

_KEYS: dict[str, frozenset[str]] = {
    "": frozenset({"hall", "zones", "queues", "items", "bundles", "windows"}),
    "hall": frozenset(
        {
            "code",
            "name",
            "timezone",
            "notice",
            "always_open",
            "show_clerk_names",
            "rollover",
            "hours",
            "calendar",
            "appointments",
            "tips",
            "ratings",
            "review_cases",
            "alerts",
            "staffing",
        }
    ),
    "hall.hours": frozenset(WEEKDAYS),
    "hall.calendar": frozenset({"closed", "workdays", "workday_hours"}),
    "hall.appointments": frozenset({"checkin_before", "checkin_after", "place", "late"}),
    "hall.ratings": frozenset({"pad_timeout_seconds", "default_after_days", "reasons"}),
    "hall.ratings.reasons": frozenset(level.value for level in RatingLevel),
    "hall.review_cases": frozenset(DEADLINES),
    "hall.review_cases.period": frozenset({"days", "kind"}),
    "hall.alerts": frozenset(
        {"long_wait_minutes", "many_waiting", "window_paused_minutes", "device_offline_seconds", "queues"}
    ),
    "hall.alerts.queue": frozenset({"long_wait_minutes", "many_waiting"}),
    "hall.staffing": frozenset({"target_minutes", "service_level", "max_occupancy", "history_weeks"}),
    "zones": frozenset({"code", "name"}),
    "queues": frozenset(
        {"code", "prefix", "name", "kind", "daily_cap", "issuing_hours", "avg_service_minutes", "no_show", "priority"}
    ),
    "queues.no_show": frozenset({"policy", "requeue_after"}),
    "queues.priority": frozenset({"max_in_row"}),
    "items": frozenset({"code", "name", "department", "queue"}),
    "bundles": frozenset({"code", "name", "queue", "items"}),
    "windows": frozenset({"number", "name", "zone", "serves", "clerks", "cover"}),
    "windows.serves": frozenset({"queue", "rank"}),
}


class QueueKind(StrEnum):
    COMPREHENSIVE = "comprehensive"  # 综合受理
    SPECIALISED = "specialised"  # 专业受理
    PICKUP = "pickup"  # 出件 / 发证
    REFLECTION = "reflection"  # 办不成事


class NoShowPolicy(StrEnum):
    VOID = "void"  # the ticket is over
    REQUEUE = "requeue"  # back in line after N places
    RECALLABLE = "recallable"  # out of line, but a window may call it again today


class AppointmentPlace(StrEnum):
    """Where a checked-in appointment's ticket goes in its queue's line."""

    SLOT = "slot"  # at its slot start: ahead of everyone who came after it, behind those who came before
    FRONT = "front"  # ahead of every walk-in waiting, behind appointments checked in before it
    ISSUE = "issue"  # at its check-in, like any walk-in


class LatePolicy(StrEnum):
    """What an appointment checked in after its check-in time becomes."""

    ORDINARY = "ordinary"  # an ordinary ticket, placed at its check-in
    REFUSE = "refuse"  # refused: it is void from the end of its check-in time


MAX_CHECKIN_MINUTES = 240


@dataclass(frozen=True)
class AppointmentSettings:
    """`[hall.appointments]`: when an appointment (预约) may check in, and where its ticket
    goes. Check-in opens `checkin_before` minutes before the slot start and is on time
    until `checkin_after` minutes after it."""

    checkin_before: int = 30
    checkin_after: int = 15
    place: AppointmentPlace = AppointmentPlace.SLOT
    late: LatePolicy = LatePolicy.ORDINARY


@dataclass(frozen=True)
class TimeRange:
    start: time
    end: time

    def contains(self, moment: time) -> bool:
        return self.start <= moment < self.end

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class QueueSpec:
    code: str
    prefix: str
    name: str
    kind: QueueKind
    daily_cap: int
    avg_service_minutes: float
    no_show_policy: NoShowPolicy
    requeue_after: int
    priority_max_in_row: int  # 0 turns priority off for this queue
    issuing_hours: tuple[TimeRange, ...] | None  # None: the hall's opening hours


@dataclass(frozen=True)
class ItemSpec:
    code: str
    name: str
    department: str
    queue: str


@dataclass(frozen=True)
class BundleSpec:
    code: str
    name: str
    queue: str
    items: tuple[str, ...]


@dataclass(frozen=True)
class WindowQueue:
    queue: str
    rank: int  # 1 is served first


@dataclass(frozen=True)
class WindowSpec:
    number: int
    name: str
    zone: str
    serves: tuple[WindowQueue, ...]
    # The clerks (user names) whose own window this is; empty: any clerk of the hall may
    # open it. `cover`: other clerks who may open it to stand in (顶岗) for its own.
    clerks: tuple[str, ...] = ()
    cover: tuple[str, ...] = ()

    def serves_queue(self, queue: str) -> bool:
        return any(s.queue == queue for s in self.serves)


@dataclass(frozen=True)
class ZoneSpec:
    code: str
    name: str


@dataclass(frozen=True)
class Calendar:
    """Days that differ from the weekly hours: public holidays the hall closes, and
    make-up working days (调休上班) it opens with the hours of `workday_hours`."""

    closed: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    workday_hours: str = "mon"


@dataclass(frozen=True)
class HallSpec:
    code: str
    name: str
    timezone: str
    notice: str
    always_open: bool  # a 24-hour self-service hall, or a demo: issue at any hour
    hours: Mapping[str, tuple[TimeRange, ...]]
    zones: tuple[ZoneSpec, ...]
    queues: tuple[QueueSpec, ...]
    items: tuple[ItemSpec, ...]
    bundles: tuple[BundleSpec, ...]
    windows: tuple[WindowSpec, ...]
    rollover: time = DEFAULT_ROLLOVER
    calendar: Calendar = Calendar()
    appointments: AppointmentSettings = AppointmentSettings()
    # Window screens show the signed-in clerk's name only where the hall decides so; no
    # public device receives it otherwise (domain.privacy).
    show_clerk_names: bool = False
    tips: tuple[str, ...] = ()  # lines of advice printed at the foot of every ticket
    ratings: RatingSettings = field(default_factory=RatingSettings)  # [hall.ratings]: the review pad and 好差评
    review_cases: ReviewCaseSettings = field(default_factory=ReviewCaseSettings)  # [hall.review_cases]: 差评整改
    alerts: AlertSettings = field(default_factory=AlertSettings)  # [hall.alerts]: the managers' alert thresholds
    staffing: StaffingSettings = field(
        default_factory=StaffingSettings
    )  # [hall.staffing]: the staffing advice's target
    _queue_by_code: dict[str, QueueSpec] = field(default_factory=dict, compare=False, repr=False)
    _window_by_number: dict[int, WindowSpec] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._queue_by_code.update({queue.code: queue for queue in self.queues})
        self._window_by_number.update({window.number: window for window in self.windows})

    def queue(self, code: str) -> QueueSpec:
        return self._queue_by_code[code]

    def has_queue(self, code: str) -> bool:
        return code in self._queue_by_code

    def window(self, number: int) -> WindowSpec:
        return self._window_by_number[number]

    def has_window(self, number: int) -> bool:
        return number in self._window_by_number


@dataclass(frozen=True)
class _At:
    """Where a value sits: `key` for programs (0-based), `label` for the person fixing it:
    `hall.hours.mon`, or `第 10 个 [[queues]]（code = "x"）的 no_show.policy`."""

    key: str
    entry: str = ""  # the array entry the value is in, as a person counts it
    path: str = ""  # the dotted path from there

    @property
    def label(self) -> str:
        if self.entry and self.path:
            return f"{self.entry}的 {self.path}"
        return self.entry or self.path

    def field(self, name: str) -> _At:
        key = f"{self.key}.{name}" if self.key else name
        return _At(key, self.entry, f"{self.path}.{name}" if self.path else name)

    def entry_at(self, index: int, ident: str | None = None) -> _At:
        named = f"（{ident}）" if ident else ""
        where = f"{self.label} 中第 {index + 1} 项" if self.entry else f"第 {index + 1} 个 [[{self.path}]]{named}"
        return _At(f"{self.key}[{index}]", where, "")

    def error(self, detail: str) -> HallConfigError:
        return HallConfigError(self.key, detail, label=self.label)


_ROOT = _At("")


def _section(name: str) -> _At:
    """A top-level table (`hall`) or array of tables (`queues`)."""
    return _At(name, "", name)


def parse_hall(data: Mapping[str, Any]) -> HallSpec:
    """Validate a hall file's contents and return the hall it describes."""
    _known_keys(data, "", _ROOT)
    at_hall = _section("hall")
    hall = _table(data, at_hall)
    _known_keys(hall, "hall", at_hall)
    code = _code(hall, at_hall.field("code"))
    timezone = _str(hall, at_hall.field("timezone"), default="Asia/Shanghai")
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise at_hall.field("timezone").error(f"未知时区 {timezone!r}，请填写如 Asia/Shanghai 的 IANA 时区名") from None
    at_hours = at_hall.field("hours")
    hours_table = _table(hall, at_hours)
    _known_keys(hours_table, "hall.hours", at_hours, what="星期")
    hours = {day: _ranges(hours_table.get(day, []), at_hours.field(day)) for day in WEEKDAYS}
    if not any(hours.values()):
        raise at_hours.error("大厅每周至少要有一个办公时段")
    rollover = _clock(hall.get("rollover", "03:00"), at_hall.field("rollover"))
    calendar = _calendar(hall, at_hall.field("calendar"))
    appointments = _appointments(hall, at_hall.field("appointments"))
    tips = _tips(hall.get("tips", []), at_hall.field("tips"))
    ratings = _ratings(hall, at_hall.field("ratings"))
    review_cases = _review_cases(hall, at_hall.field("review_cases"))
    staffing = _staffing(hall, at_hall.field("staffing"))

    at_zones = _section("zones")
    zones = []
    for i, z in enumerate(_list(data, at_zones)):
        at = at_zones.entry_at(i, _ident(z, "code"))
        _known_keys(z, "zones", at)
        zones.append(ZoneSpec(code=_code(z, at.field("code")), name=_str(z, at.field("name"))))
    _unique([z.code for z in zones], at_zones, "code")
    zone_codes = {z.code for z in zones}

    at_queues = _section("queues")
    queues = tuple(_queue(q, at_queues.entry_at(i, _ident(q, "code"))) for i, q in enumerate(_list(data, at_queues)))
    if not queues:
        raise at_queues.error("至少要配置一个队列")
    _unique([q.code for q in queues], at_queues, "code")
    _unique([q.prefix for q in queues], at_queues, "prefix")
    specialised = [q for q in queues if q.kind is QueueKind.SPECIALISED]
    if len(specialised) > MAX_SPECIALISED_AREAS:
        seventh = queues.index(specialised[MAX_SPECIALISED_AREAS])
        raise (
            at_queues.entry_at(seventh, _ident({"code": specialised[MAX_SPECIALISED_AREAS].code}, "code"))
            .field("kind")
            .error(
                f"专业受理服务区最多 {MAX_SPECIALISED_AREAS} 个（已配置 {len(specialised)} 个）："
                "请把多出的事项并入综合受理队列"
            )
        )
    queue_codes = {q.code for q in queues}
    alerts = _alerts(hall, at_hall.field("alerts"), queue_codes)

    at_items = _section("items")
    items = tuple(
        _item(it, at_items.entry_at(i, _ident(it, "code")), queue_codes)
        for i, it in enumerate(_list(data, at_items, required=False))
    )
    _unique([it.code for it in items], at_items, "code")
    item_codes = {it.code for it in items}

    at_bundles = _section("bundles")
    bundles = tuple(
        _bundle(b, at_bundles.entry_at(i, _ident(b, "code")), queues, item_codes)
        for i, b in enumerate(_list(data, at_bundles, required=False))
    )
    _unique([b.code for b in bundles], at_bundles, "code")

    at_windows = _section("windows")
    windows = tuple(
        _window(w, at_windows.entry_at(i, _ident(w, "number")), queue_codes, zone_codes)
        for i, w in enumerate(_list(data, at_windows))
    )
    if not windows:
        raise at_windows.error("至少要配置一个窗口")
    _unique([w.number for w in windows], at_windows, "number")
    served = {wq.queue for w in windows for wq in w.serves}
    for i, q in enumerate(queues):
        if q.code not in served:
            where = at_queues.entry_at(i, _ident({"code": q.code}, "code"))
            raise where.error(f"队列 {q.code!r} 没有任何窗口办理：请在某个窗口的 serves 中加上它")

    return HallSpec(
        code=code,
        name=_str(hall, at_hall.field("name")),
        timezone=timezone,
        notice=_str(hall, at_hall.field("notice"), default=""),
        always_open=_bool(hall, at_hall.field("always_open")),
        show_clerk_names=_bool(hall, at_hall.field("show_clerk_names")),
        hours=hours,
        zones=tuple(zones),
        queues=queues,
        items=items,
        bundles=bundles,
        windows=windows,
        rollover=rollover,
        calendar=calendar,
        appointments=appointments,
        tips=tips,
        ratings=ratings,
        review_cases=review_cases,
        alerts=alerts,
        staffing=staffing,
    )


def _tips(value: Any, at: _At) -> tuple[str, ...]:
    """The lines printed at the foot of a ticket: as many and as long as a ticket takes
    (`ticket_printer.ticket`), one line of text each."""
    if not isinstance(value, list) or not all(isinstance(tip, str) for tip in value):
        raise at.error('请写成文本列表，如 ["请在休息区等候，留意大屏和语音叫号"]')
    if len(value) > MAX_TIPS:
        raise at.error(f"最多 {MAX_TIPS} 条（已写 {len(value)} 条）")
    for index, tip in enumerate(value):
        if not tip.strip():
            raise at.error(f"第 {index + 1} 条是空的")
        if len(tip) > MAX_TIP_LENGTH:
            raise at.error(f"第 {index + 1} 条超过 {MAX_TIP_LENGTH} 个字符")
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in tip):
            raise at.error(f"第 {index + 1} 条含有换行或不可见的控制字符：每条提示写成一行")
    return tuple(tip.strip() for tip in value)


def _queue(q: Mapping[str, Any], at: _At) -> QueueSpec:
    _known_keys(q, "queues", at)
    prefix = _str(q, at.field("prefix"))
    if not re.fullmatch(r"[A-Z]", prefix):
        raise at.field("prefix").error("前缀必须是一个大写字母，如 A")
    kind_text = _str(q, at.field("kind"))
    try:
        kind = QueueKind(kind_text)
    except ValueError:
        raise at.field("kind").error(f"队列类型只能是 {', '.join(k.value for k in QueueKind)}") from None
    cap = _int(q, at.field("daily_cap"), default=MAX_DAILY_CAP)
    if not 1 <= cap <= MAX_DAILY_CAP:
        raise at.field("daily_cap").error(f"每日号源上限须在 1 到 {MAX_DAILY_CAP} 之间")
    avg = q.get("avg_service_minutes", 10)
    if not isinstance(avg, (int, float)) or isinstance(avg, bool) or not 0 < avg <= 240:
        raise at.field("avg_service_minutes").error("平均办理分钟数须是 0 到 240 之间的数字")
    at_no_show = at.field("no_show")
    no_show = _table(q, at_no_show, required=False)
    _known_keys(no_show, "queues.no_show", at_no_show)
    policy_text = _str(no_show, at_no_show.field("policy"), default=NoShowPolicy.REQUEUE.value)
    try:
        policy = NoShowPolicy(policy_text)
    except ValueError:
        raise at_no_show.field("policy").error(f"过号规则只能是 {', '.join(p.value for p in NoShowPolicy)}") from None
    requeue_after = _int(no_show, at_no_show.field("requeue_after"), default=3)
    if not 0 <= requeue_after <= 100:
        raise at_no_show.field("requeue_after").error("过号后顺延的位数须在 0 到 100 之间")
    at_priority = at.field("priority")
    priority = _table(q, at_priority, required=False)
    _known_keys(priority, "queues.priority", at_priority)
    max_in_row = _int(priority, at_priority.field("max_in_row"), default=2)
    if not 0 <= max_in_row <= 10:
        raise at_priority.field("max_in_row").error("优先号连续呼叫上限须在 0（关闭优先）到 10 之间")
    issuing = q.get("issuing_hours")
    return QueueSpec(
        code=_code(q, at.field("code")),
        prefix=prefix,
        name=_str(q, at.field("name")),
        kind=kind,
        daily_cap=cap,
        avg_service_minutes=float(avg),
        no_show_policy=policy,
        requeue_after=requeue_after,
        priority_max_in_row=max_in_row,
        issuing_hours=None if issuing is None else _ranges(issuing, at.field("issuing_hours")),
    )


def _item(it: Mapping[str, Any], at: _At, queue_codes: set[str]) -> ItemSpec:
    _known_keys(it, "items", at)
    queue = _str(it, at.field("queue"))
    if queue not in queue_codes:
        raise at.field("queue").error(f"未知队列 {queue!r}：请先在 [[queues]] 中定义它")
    return ItemSpec(
        code=_code(it, at.field("code")),
        name=_str(it, at.field("name")),
        department=_str(it, at.field("department")),
        queue=queue,
    )


def _bundle(b: Mapping[str, Any], at: _At, queues: Sequence[QueueSpec], item_codes: set[str]) -> BundleSpec:
    _known_keys(b, "bundles", at)
    queue = _str(b, at.field("queue"))
    kinds = {q.code: q.kind for q in queues}
    if queue not in kinds:
        raise at.field("queue").error(f"未知队列 {queue!r}：请先在 [[queues]] 中定义它")
    if kinds[queue] is not QueueKind.COMPREHENSIVE:
        raise at.field("queue").error('“一件事”须由综合受理队列办理：请改为 kind = "comprehensive" 的队列')
    items = b.get("items")
    if not isinstance(items, list) or len(items) < 2 or not all(isinstance(x, str) for x in items):
        raise at.field("items").error("“一件事”至少包含两个事项编码")
    for code in items:
        if code not in item_codes:
            raise at.field("items").error(f"未知事项 {code!r}：请先在 [[items]] 中定义它")
    return BundleSpec(code=_code(b, at.field("code")), name=_str(b, at.field("name")), queue=queue, items=tuple(items))


def _window(w: Mapping[str, Any], at: _At, queue_codes: set[str], zone_codes: set[str]) -> WindowSpec:
    _known_keys(w, "windows", at)
    number = _int(w, at.field("number"))
    if not 1 <= number <= 999:
        raise at.field("number").error("窗口号须在 1 到 999 之间")
    zone = _str(w, at.field("zone"))
    if zone not in zone_codes:
        raise at.field("zone").error(f"未知区域 {zone!r}：请先在 [[zones]] 中定义它")
    at_serves = at.field("serves")
    serves_raw = w.get("serves")
    if not isinstance(serves_raw, list) or not serves_raw:
        raise at_serves.error('窗口至少要办理一个队列：请写 serves = [{queue = "...", rank = 1}]')
    serves = []
    for j, s in enumerate(serves_raw):
        at_serve = at_serves.entry_at(j)
        if not isinstance(s, dict):
            raise at_serve.error('请写成 {queue = "队列编码", rank = 1}')
        _known_keys(s, "windows.serves", at_serve)
        queue = _str(s, at_serve.field("queue"))
        if queue not in queue_codes:
            raise at_serve.field("queue").error(f"未知队列 {queue!r}：请先在 [[queues]] 中定义它")
        rank = _int(s, at_serve.field("rank"), default=1)
        if not 1 <= rank <= 9:
            raise at_serve.field("rank").error("优先级 rank 须在 1（最先）到 9 之间")
        serves.append(WindowQueue(queue=queue, rank=rank))
    _unique([s.queue for s in serves], at_serves, "queue")
    clerks = _user_names(w.get("clerks", []), at.field("clerks"))
    cover = _user_names(w.get("cover", []), at.field("cover"))
    if cover and not clerks:
        raise at.field("cover").error("窗口未写 clerks 时任何窗口人员都可开窗：cover 只在写了 clerks 时使用")
    both = sorted(set(clerks) & set(cover))
    if both:
        raise at.field("cover").error(f"{'、'.join(both)} 已写在 clerks 中：同一人只写一处")
    return WindowSpec(
        number=number, name=_str(w, at.field("name")), zone=zone, serves=tuple(serves), clerks=clerks, cover=cover
    )


def _user_names(value: Any, at: _At) -> tuple[str, ...]:
    """A window's clerks (or those who may cover it): user names as `queue-server user
    create --username` gave them, each once."""
    if not isinstance(value, list) or not all(isinstance(name, str) and name.strip() for name in value):
        raise at.error('请写成用户名列表，如 ["wang", "li"]')
    if len(value) > MAX_WINDOW_CLERKS:
        raise at.error(f"最多 {MAX_WINDOW_CLERKS} 人（已写 {len(value)} 人）")
    names = [name.strip() for name in value]
    for name in names:
        if len(name) > 64:
            raise at.error(f"用户名 {name[:20]!r}… 超过 64 个字符")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise at.error(f"用户名 {'、'.join(repeated)} 重复：每人写一次")
    return tuple(names)


def _calendar(hall: Mapping[str, Any], at: _At) -> Calendar:
    table = _table(hall, at, required=False)
    _known_keys(table, "hall.calendar", at)
    closed = _dates(table.get("closed", []), at.field("closed"))
    workdays = _dates(table.get("workdays", []), at.field("workdays"))
    both = closed & workdays
    if both:
        raise at.field("workdays").error(f"{min(both)} 不能既休息又上班")
    workday_hours = _str(table, at.field("workday_hours"), default="mon")
    if workday_hours not in WEEKDAYS:
        raise at.field("workday_hours").error(f"调休上班日按哪天的时段办公：只能写 {', '.join(WEEKDAYS)}")
    return Calendar(closed=closed, workdays=workdays, workday_hours=workday_hours)


def _appointments(hall: Mapping[str, Any], at: _At) -> AppointmentSettings:
    table = _table(hall, at, required=False)
    _known_keys(table, "hall.appointments", at)
    default = AppointmentSettings()
    minutes = {}
    for name in ("checkin_before", "checkin_after"):
        value = _int(table, at.field(name), default=getattr(default, name))
        if not 0 <= value <= MAX_CHECKIN_MINUTES:
            raise at.field(name).error(f"分钟数须在 0 到 {MAX_CHECKIN_MINUTES} 之间")
        minutes[name] = value
    place = _str(table, at.field("place"), default=default.place.value)
    if place not in {p.value for p in AppointmentPlace}:
        raise at.field("place").error(
            "预约号的排队位置只能是 slot（按预约时段开始排）、front（排在现场取号之前）或 issue（按签到时间排）"
        )
    late = _str(table, at.field("late"), default=default.late.value)
    if late not in {p.value for p in LatePolicy}:
        raise at.field("late").error("迟到的预约只能是 ordinary（按普通号签到）或 refuse（不予签到）")
    return AppointmentSettings(
        checkin_before=minutes["checkin_before"],
        checkin_after=minutes["checkin_after"],
        place=AppointmentPlace(place),
        late=LatePolicy(late),
    )


def _ratings(hall: Mapping[str, Any], at: _At) -> RatingSettings:
    """`[hall.ratings]`, and its `[hall.ratings.reasons]`: a list of reasons per level
    named; a level not named keeps its default reasons, an empty list offers none."""
    table = _table(hall, at, required=False)
    _known_keys(table, "hall.ratings", at)
    default = RatingSettings()
    timeout = _int(table, at.field("pad_timeout_seconds"), default=default.pad_timeout_seconds)
    if not 10 <= timeout <= MAX_PAD_TIMEOUT_SECONDS:
        raise at.field("pad_timeout_seconds").error(f"评价器等待评价的秒数须在 10 到 {MAX_PAD_TIMEOUT_SECONDS} 之间")
    days = _int(table, at.field("default_after_days"), default=default.default_after_days)
    if not 1 <= days <= MAX_AFTER_DAYS:
        raise at.field("default_after_days").error(f"未评价转为默认“基本满意”的天数须在 1 到 {MAX_AFTER_DAYS} 之间")
    at_reasons = at.field("reasons")
    given = _table(table, at_reasons, required=False)
    _known_keys(given, "hall.ratings.reasons", at_reasons, what="评价等级")
    reasons = dict(default.reasons)
    for level in RatingLevel:
        if level.value in given:
            reasons[level] = _reason_list(given[level.value], at_reasons.field(level.value))
    return RatingSettings(pad_timeout_seconds=timeout, default_after_days=days, reasons=reasons)


def _review_cases(hall: Mapping[str, Any], at: _At) -> ReviewCaseSettings:
    """`[hall.review_cases]`: each deadline an inline table `{ days = 1, kind = "working" }`
    (`kind` "working" or "natural", "working" when left out); a deadline not named keeps
    its default."""
    table = _table(hall, at, required=False)
    _known_keys(table, "hall.review_cases", at, what="整改时限")
    default = ReviewCaseSettings()
    periods = {
        name: _period(table[name], at.field(name)) if name in table else getattr(default, name) for name in DEADLINES
    }
    return ReviewCaseSettings(**periods)


def _alerts(hall: Mapping[str, Any], at: _At, queue_codes: set[str]) -> AlertSettings:
    """`[hall.alerts]`: the hall-wide thresholds, each 0 to turn it off, and under
    `[hall.alerts.queues.<code>]` a queue's own long-wait and waiting-count thresholds."""
    table = _table(hall, at, required=False)
    _known_keys(table, "hall.alerts", at)
    default = AlertSettings()

    def limit(data: Mapping[str, Any], where: _At, fallback: int, high: int, what: str, low: int = 1) -> int:
        value = _int(data, where, default=fallback)
        if value != 0 and not low <= value <= high:
            raise where.error(f"{what}须在 {low} 到 {high} 之间（0 为不预警）")
        return value

    minutes, waiting = "分钟数", "人数"
    long_wait = limit(table, at.field("long_wait_minutes"), default.long_wait_minutes, alert_rules.MAX_MINUTES, minutes)
    many = limit(table, at.field("many_waiting"), default.many_waiting, alert_rules.MAX_WAITING, waiting)
    paused = limit(
        table, at.field("window_paused_minutes"), default.window_paused_minutes, alert_rules.MAX_MINUTES, minutes
    )
    offline = limit(
        table,
        at.field("device_offline_seconds"),
        default.device_offline_seconds,
        alert_rules.MAX_OFFLINE_SECONDS,
        "秒数",
        alert_rules.MIN_OFFLINE_SECONDS,
    )
    at_queues = at.field("queues")
    given = _table(table, at_queues, required=False)
    queues: dict[str, QueueThresholds] = {}
    for code, entry in given.items():
        where = at_queues.field(str(code))
        if code not in queue_codes:
            raise where.error(f"大厅中没有队列 {code!r}：可用的有 {', '.join(sorted(queue_codes))}")
        if not isinstance(entry, dict):
            raise where.error("请写成表，如 { long_wait_minutes = 20, many_waiting = 40 }")
        _known_keys(entry, "hall.alerts.queue", where)
        queues[code] = QueueThresholds(
            long_wait_minutes=limit(
                entry, where.field("long_wait_minutes"), long_wait, alert_rules.MAX_MINUTES, minutes
            ),
            many_waiting=limit(entry, where.field("many_waiting"), many, alert_rules.MAX_WAITING, waiting),
        )
    return AlertSettings(
        long_wait_minutes=long_wait,
        many_waiting=many,
        window_paused_minutes=paused,
        device_offline_seconds=offline,
        queues=queues,
    )


def _staffing(hall: Mapping[str, Any], at: _At) -> StaffingSettings:
    """`[hall.staffing]`: the staffing advice's target (docs/staffing.md); a key left out
    keeps its default."""
    table = _table(hall, at, required=False)
    _known_keys(table, "hall.staffing", at)
    default = StaffingSettings()
    ranges = {
        "target_minutes": (0.0, MAX_TARGET_MINUTES, "目标等候分钟数"),
        "service_level": (MIN_LEVEL, MAX_LEVEL, "达标比例（如 0.8 即 80 %）"),
        "max_occupancy": (MIN_OCCUPANCY, 1.0, "窗口最高繁忙度"),
    }
    numbers: dict[str, float] = {}
    for name, (low, high, what) in ranges.items():
        value = table.get(name, getattr(default, name))
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not low <= value <= high:
            raise at.field(name).error(f"{what}须是 {low:g} 到 {high:g} 之间的数")
        numbers[name] = float(value)
    weeks = _int(table, at.field("history_weeks"), default=default.history_weeks)
    if not 1 <= weeks <= MAX_HISTORY_WEEKS:
        raise at.field("history_weeks").error(f"参考往周同日的周数须在 1 到 {MAX_HISTORY_WEEKS} 之间")
    return StaffingSettings(history_weeks=weeks, **numbers)


def _period(value: Any, at: _At) -> Period:
    example = '请写成 { days = 1, kind = "working" }（kind 为 working 工作日或 natural 自然日）'
    if not isinstance(value, dict):
        raise at.error(example)
    _known_keys(value, "hall.review_cases.period", at)
    kind_text = _str(value, at.field("kind"), default=DayKind.WORKING.value)
    if kind_text not in {k.value for k in DayKind}:
        raise at.field("kind").error("只能是 working（工作日）或 natural（自然日）")
    kind = DayKind(kind_text)
    days = _int(value, at.field("days"))
    if not 1 <= days <= MAX_DAYS[kind]:
        raise at.field("days").error(
            f"{'工作日' if kind is DayKind.WORKING else '自然日'}天数须在 1 到 {MAX_DAYS[kind]} 之间"
        )
    return Period(days=days, kind=kind)


def _reason_list(value: Any, at: _At) -> tuple[str, ...]:
    if not isinstance(value, list) or len(value) > MAX_REASONS:
        raise at.error(f'须是最多 {MAX_REASONS} 项的文本列表，如 ["服务态度", "办事效率"]')
    found: list[str] = []
    for i, reason in enumerate(value):
        where = _At(f"{at.key}[{i}]", at.entry, f"{at.path}[{i}]")
        if not isinstance(reason, str) or not reason.strip():
            raise where.error("须是非空文本")
        if len(reason) > MAX_REASON_LENGTH or any(ord(ch) < 32 or ord(ch) == 127 for ch in reason):
            raise where.error(f"最长 {MAX_REASON_LENGTH} 个字，且不能含控制字符")
        if reason in found:
            raise where.error(f"原因 {reason!r} 重复了")
        found.append(reason)
    return tuple(found)


def _known_keys(data: Mapping[str, Any], schema: str, at: _At, *, what: str = "配置项") -> None:
    allowed = _KEYS[schema]
    for key in data:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), sorted(allowed), n=1, cutoff=0.6)
            hint = f"（是否想写 {close[0]}？）" if close else ""
            where = at.field(str(key))
            raise where.error(f"未知的{what} {key!r}{hint}：可用的有 {', '.join(sorted(allowed))}")


def _ident(entry: Any, key: str) -> str | None:
    """What names an array entry in messages (`code = "x"`), if it can be read at all."""
    if isinstance(entry, dict):
        value = entry.get(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            return f'{key} = "{value}"' if isinstance(value, str) else f"{key} = {value}"
    return None


def _table(data: Mapping[str, Any], at: _At, *, required: bool = True) -> Mapping[str, Any]:
    value = data.get(at.key.rsplit(".", 1)[-1])
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise at.error(f"缺少表 [{at.key}]" if value is None else f"[{at.key}] 必须是一个表")
    return value


def _list(data: Mapping[str, Any], at: _At, *, required: bool = True) -> list[Mapping[str, Any]]:
    value = data.get(at.key)
    if value is None and not required:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise at.error(f"请用 [[{at.key}]] 写成表的数组")
    return value


def _name(at: _At) -> str:
    return at.key.rsplit(".", 1)[-1]


def _str(data: Mapping[str, Any], at: _At, *, default: str | None = None) -> str:
    value = data.get(_name(at), default)
    if value is None:
        raise at.error("缺少此项，请填写")
    if not isinstance(value, str) or (default is None and not value.strip()):
        raise at.error("须是非空文本")
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in value):
        raise at.error("含有不可见的控制字符，请删除后重试")
    return value


def _int(data: Mapping[str, Any], at: _At, *, default: int | None = None) -> int:
    value = data.get(_name(at), default)
    if value is None:
        raise at.error("缺少此项，请填写整数")
    if not isinstance(value, int) or isinstance(value, bool):
        raise at.error("须是整数")
    return value


def _bool(data: Mapping[str, Any], at: _At) -> bool:
    value = data.get(_name(at), False)
    if not isinstance(value, bool):
        raise at.error("须是 true 或 false")
    return value


def _code(data: Mapping[str, Any], at: _At) -> str:
    value = _str(data, at)
    if not _CODE.match(value):
        raise at.error(f"编码 {value!r} 只能用小写字母、数字、- 和 _（最长 40 个字符）")
    return value


def _clock(value: Any, at: _At) -> time:
    match = _CLOCK.match(value) if isinstance(value, str) else None
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise at.error(f'时间 {value!r} 格式不对，应为 "03:00"')
    return time(int(match[1]), int(match[2]))


def _dates(value: Any, at: _At) -> frozenset[date]:
    if not isinstance(value, list):
        raise at.error("请写成日期列表，如 [2026-10-01, 2026-10-02]")
    days = set()
    for item in value:
        if isinstance(item, date) and not hasattr(item, "hour"):
            days.add(item)
        elif isinstance(item, str) and _DATE.match(item):
            try:
                days.add(date.fromisoformat(item))
            except ValueError:
                raise at.error(f"日期 {item!r} 不存在") from None
        else:
            raise at.error(f"日期 {item!r} 格式不对，应为 2026-10-01")
    return frozenset(days)


def _ranges(value: Any, at: _At) -> tuple[TimeRange, ...]:
    if not isinstance(value, list):
        raise at.error('请写成时段列表，如 ["09:00-12:00", "13:00-17:00"]')
    ranges = []
    for text in value:
        match = _RANGE.match(text) if isinstance(text, str) else None
        if not match:
            raise at.error(f'时段 {text!r} 格式不对，应为 "09:00-12:00"')
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
            raise at.error(f"时段 {text!r} 的时间不存在")
        start, end = time(h1, m1), time(23, 59, 59, 999999) if h2 == 24 else time(h2, m2)
        if start >= end:
            raise at.error(f"时段 {text!r} 的结束时间须晚于开始时间")
        ranges.append(TimeRange(start, end))
    ranges.sort(key=lambda r: r.start)
    for earlier, later in itertools.pairwise(ranges):
        if later.start < earlier.end:
            raise at.error(f"时段 {earlier} 与 {later} 重叠")
    return tuple(ranges)


def _unique(values: Sequence[Any], at: _At, name: str) -> None:
    seen: set[Any] = set()
    for i, value in enumerate(values):
        if value in seen:
            where = at.entry_at(i).field(name)
            raise where.error(f"{name} {value!r} 重复：每个须唯一")
        seen.add(value)


def read_hall_file(raw: bytes) -> tuple[str, HallSpec]:
    """A hall file's bytes → its text and the hall it describes. UTF-8 only, with or
    without the byte-order mark Windows Notepad writes; another encoding (GBK, say) is
    refused with what to do, never read as garbled names."""
    text = decode_hall_file(raw)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise HallConfigError("", f"不是合法的 TOML：{error}", label="大厅配置") from None
    except RecursionError:  # tomllib reads nested arrays and tables recursively
        raise HallConfigError("", "数组或内联表嵌套过深，不是大厅配置文件", label="大厅配置") from None
    return text, parse_hall(data)


def decode_hall_file(raw: bytes) -> str:
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise HallConfigError(
            "",
            f"文件不是 UTF-8 编码（第 {line} 行起无法读取，可能是 GBK）：请在编辑器中“另存为”并选择 UTF-8 编码后重试",
            label="大厅配置",
        ) from None
    if "\x00" in text:
        raise HallConfigError("", "文件含有空字符（NUL），不是文本文件", label="大厅配置")
    return text
