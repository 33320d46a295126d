"""The hall's configuration: what a hall file may say, and the checks it must pass.

`parse_hall(data)` takes the dict that `tomllib` read and returns a frozen `HallSpec`, or
raises `HallConfigError` naming the offending key and what to do about it. Reading the
file is the caller's business; this module does no I/O.
"""

from __future__ import annotations

import itertools
import re
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import time
from enum import StrEnum
from typing import Any

from queue_server.domain.errors import HallConfigError

MAX_SPECIALISED_AREAS = 6  # Zhengzhou 2024 plan: at most six specialised service areas
MAX_DAILY_CAP = 999  # numbers are a letter and three digits
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_RANGE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


class QueueKind(StrEnum):
    COMPREHENSIVE = "comprehensive"  # 综合受理
    SPECIALISED = "specialised"  # 专业受理
    PICKUP = "pickup"  # 出件 / 发证
    REFLECTION = "reflection"  # 办不成事


class NoShowPolicy(StrEnum):
    VOID = "void"  # the ticket is over
    REQUEUE = "requeue"  # back in line after N places
    RECALLABLE = "recallable"  # out of line, but a window may call it again today


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


@dataclass(frozen=True)
class ZoneSpec:
    code: str
    name: str


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
    _queue_by_code: dict[str, QueueSpec] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._queue_by_code.update({queue.code: queue for queue in self.queues})

    def queue(self, code: str) -> QueueSpec:
        return self._queue_by_code[code]


def parse_hall(data: Mapping[str, Any]) -> HallSpec:
    """Validate a hall file's contents and return the hall it describes."""
    hall = _table(data, "hall")
    code = _code(hall, "hall.code")
    timezone = _str(hall, "hall.timezone", default="Asia/Shanghai")
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise HallConfigError(
            "hall.timezone", f"未知时区 {timezone!r}，请填写如 Asia/Shanghai 的 IANA 时区名"
        ) from None
    hours_table = _table(hall, "hall.hours")
    unknown_days = set(hours_table) - set(WEEKDAYS)
    if unknown_days:
        raise HallConfigError(f"hall.hours.{sorted(unknown_days)[0]}", f"星期只能写 {', '.join(WEEKDAYS)}")
    hours = {day: _ranges(hours_table.get(day, []), f"hall.hours.{day}") for day in WEEKDAYS}
    if not any(hours.values()):
        raise HallConfigError("hall.hours", "大厅每周至少要有一个办公时段")

    zones = tuple(
        ZoneSpec(code=_code(z, f"zones[{i}].code"), name=_str(z, f"zones[{i}].name"))
        for i, z in enumerate(_list(data, "zones"))
    )
    _unique([z.code for z in zones], "zones", "code")
    zone_codes = {z.code for z in zones}

    queues = tuple(_queue(q, f"queues[{i}]") for i, q in enumerate(_list(data, "queues")))
    if not queues:
        raise HallConfigError("queues", "至少要配置一个队列")
    _unique([q.code for q in queues], "queues", "code")
    _unique([q.prefix for q in queues], "queues", "prefix")
    specialised = [q for q in queues if q.kind is QueueKind.SPECIALISED]
    if len(specialised) > MAX_SPECIALISED_AREAS:
        seventh = queues.index(specialised[MAX_SPECIALISED_AREAS])
        raise HallConfigError(
            f"queues[{seventh}].kind",
            f"专业受理服务区最多 {MAX_SPECIALISED_AREAS} 个（已配置 {len(specialised)} 个）："
            "请把多出的事项并入综合受理队列",
        )
    queue_codes = {q.code for q in queues}

    items = tuple(_item(it, f"items[{i}]", queue_codes) for i, it in enumerate(_list(data, "items", required=False)))
    _unique([it.code for it in items], "items", "code")
    item_codes = {it.code for it in items}

    bundles = tuple(
        _bundle(b, f"bundles[{i}]", queues, item_codes) for i, b in enumerate(_list(data, "bundles", required=False))
    )
    _unique([b.code for b in bundles], "bundles", "code")

    windows = tuple(_window(w, f"windows[{i}]", queue_codes, zone_codes) for i, w in enumerate(_list(data, "windows")))
    if not windows:
        raise HallConfigError("windows", "至少要配置一个窗口")
    _unique([w.number for w in windows], "windows", "number")
    served = {wq.queue for w in windows for wq in w.serves}
    for i, q in enumerate(queues):
        if q.code not in served:
            raise HallConfigError(f"queues[{i}]", f"队列 {q.code!r} 没有任何窗口办理：请在某个窗口的 serves 中加上它")

    return HallSpec(
        code=code,
        name=_str(hall, "hall.name"),
        timezone=timezone,
        notice=_str(hall, "hall.notice", default=""),
        always_open=_bool(hall, "hall.always_open"),
        hours=hours,
        zones=zones,
        queues=queues,
        items=items,
        bundles=bundles,
        windows=windows,
    )


def _queue(q: Mapping[str, Any], where: str) -> QueueSpec:
    prefix = _str(q, f"{where}.prefix")
    if not re.fullmatch(r"[A-Z]", prefix):
        raise HallConfigError(f"{where}.prefix", "前缀必须是一个大写字母，如 A")
    kind_text = _str(q, f"{where}.kind")
    try:
        kind = QueueKind(kind_text)
    except ValueError:
        raise HallConfigError(f"{where}.kind", f"队列类型只能是 {', '.join(k.value for k in QueueKind)}") from None
    cap = _int(q, f"{where}.daily_cap", default=MAX_DAILY_CAP)
    if not 1 <= cap <= MAX_DAILY_CAP:
        raise HallConfigError(f"{where}.daily_cap", f"每日号源上限须在 1 到 {MAX_DAILY_CAP} 之间")
    avg = q.get("avg_service_minutes", 10)
    if not isinstance(avg, (int, float)) or isinstance(avg, bool) or not 0 < avg <= 240:
        raise HallConfigError(f"{where}.avg_service_minutes", "平均办理分钟数须是 0 到 240 之间的数字")
    no_show = _table(q, f"{where}.no_show", required=False)
    policy_text = _str(no_show, f"{where}.no_show.policy", default=NoShowPolicy.REQUEUE.value)
    try:
        policy = NoShowPolicy(policy_text)
    except ValueError:
        raise HallConfigError(
            f"{where}.no_show.policy", f"过号规则只能是 {', '.join(p.value for p in NoShowPolicy)}"
        ) from None
    requeue_after = _int(no_show, f"{where}.no_show.requeue_after", default=3)
    if not 0 <= requeue_after <= 100:
        raise HallConfigError(f"{where}.no_show.requeue_after", "过号后顺延的位数须在 0 到 100 之间")
    priority = _table(q, f"{where}.priority", required=False)
    max_in_row = _int(priority, f"{where}.priority.max_in_row", default=2)
    if not 0 <= max_in_row <= 10:
        raise HallConfigError(f"{where}.priority.max_in_row", "优先号连续呼叫上限须在 0（关闭优先）到 10 之间")
    issuing = q.get("issuing_hours")
    return QueueSpec(
        code=_code(q, f"{where}.code"),
        prefix=prefix,
        name=_str(q, f"{where}.name"),
        kind=kind,
        daily_cap=cap,
        avg_service_minutes=float(avg),
        no_show_policy=policy,
        requeue_after=requeue_after,
        priority_max_in_row=max_in_row,
        issuing_hours=None if issuing is None else _ranges(issuing, f"{where}.issuing_hours"),
    )


def _item(it: Mapping[str, Any], where: str, queue_codes: set[str]) -> ItemSpec:
    queue = _str(it, f"{where}.queue")
    if queue not in queue_codes:
        raise HallConfigError(f"{where}.queue", f"未知队列 {queue!r}：请先在 [[queues]] 中定义它")
    return ItemSpec(
        code=_code(it, f"{where}.code"),
        name=_str(it, f"{where}.name"),
        department=_str(it, f"{where}.department"),
        queue=queue,
    )


def _bundle(b: Mapping[str, Any], where: str, queues: Sequence[QueueSpec], item_codes: set[str]) -> BundleSpec:
    queue = _str(b, f"{where}.queue")
    kinds = {q.code: q.kind for q in queues}
    if queue not in kinds:
        raise HallConfigError(f"{where}.queue", f"未知队列 {queue!r}：请先在 [[queues]] 中定义它")
    if kinds[queue] is not QueueKind.COMPREHENSIVE:
        raise HallConfigError(f"{where}.queue", '“一件事”须由综合受理队列办理：请改为 kind = "comprehensive" 的队列')
    items = b.get("items")
    if not isinstance(items, list) or len(items) < 2 or not all(isinstance(x, str) for x in items):
        raise HallConfigError(f"{where}.items", "“一件事”至少包含两个事项编码")
    for code in items:
        if code not in item_codes:
            raise HallConfigError(f"{where}.items", f"未知事项 {code!r}：请先在 [[items]] 中定义它")
    return BundleSpec(code=_code(b, f"{where}.code"), name=_str(b, f"{where}.name"), queue=queue, items=tuple(items))


def _window(w: Mapping[str, Any], where: str, queue_codes: set[str], zone_codes: set[str]) -> WindowSpec:
    number = _int(w, f"{where}.number")
    if not 1 <= number <= 999:
        raise HallConfigError(f"{where}.number", "窗口号须在 1 到 999 之间")
    zone = _str(w, f"{where}.zone")
    if zone not in zone_codes:
        raise HallConfigError(f"{where}.zone", f"未知区域 {zone!r}：请先在 [[zones]] 中定义它")
    serves_raw = w.get("serves")
    if not isinstance(serves_raw, list) or not serves_raw:
        raise HallConfigError(f"{where}.serves", '窗口至少要办理一个队列：请写 serves = [{queue = "...", rank = 1}]')
    serves = []
    for j, s in enumerate(serves_raw):
        key = f"{where}.serves[{j}]"
        if not isinstance(s, dict):
            raise HallConfigError(key, '请写成 {queue = "队列编码", rank = 1}')
        queue = _str(s, f"{key}.queue")
        if queue not in queue_codes:
            raise HallConfigError(f"{key}.queue", f"未知队列 {queue!r}：请先在 [[queues]] 中定义它")
        rank = _int(s, f"{key}.rank", default=1)
        if not 1 <= rank <= 9:
            raise HallConfigError(f"{key}.rank", "优先级 rank 须在 1（最先）到 9 之间")
        serves.append(WindowQueue(queue=queue, rank=rank))
    _unique([s.queue for s in serves], f"{where}.serves", "queue")
    return WindowSpec(number=number, name=_str(w, f"{where}.name"), zone=zone, serves=tuple(serves))


def _table(data: Mapping[str, Any], key: str, *, required: bool = True) -> Mapping[str, Any]:
    value = data.get(key.rsplit(".", 1)[-1])
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise HallConfigError(key, f"缺少表 [{key}]" if value is None else f"[{key}] 必须是一个表")
    return value


def _list(data: Mapping[str, Any], key: str, *, required: bool = True) -> list[Mapping[str, Any]]:
    value = data.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise HallConfigError(key, f"请用 [[{key}]] 写成表的数组")
    return value


def _str(data: Mapping[str, Any], key: str, *, default: str | None = None) -> str:
    value = data.get(key.rsplit(".", 1)[-1], default)
    if value is None:
        raise HallConfigError(key, "缺少此项，请填写")
    if not isinstance(value, str) or (default is None and not value.strip()):
        raise HallConfigError(key, "须是非空文本")
    return value


def _int(data: Mapping[str, Any], key: str, *, default: int | None = None) -> int:
    value = data.get(key.rsplit(".", 1)[-1], default)
    if value is None:
        raise HallConfigError(key, "缺少此项，请填写整数")
    if not isinstance(value, int) or isinstance(value, bool):
        raise HallConfigError(key, "须是整数")
    return value


def _bool(data: Mapping[str, Any], key: str) -> bool:
    value = data.get(key.rsplit(".", 1)[-1], False)
    if not isinstance(value, bool):
        raise HallConfigError(key, "须是 true 或 false")
    return value


def _code(data: Mapping[str, Any], key: str) -> str:
    value = _str(data, key)
    if not _CODE.match(value):
        raise HallConfigError(key, f"编码 {value!r} 只能用小写字母、数字、- 和 _（最长 40 个字符）")
    return value


def _ranges(value: Any, key: str) -> tuple[TimeRange, ...]:
    if not isinstance(value, list):
        raise HallConfigError(key, '请写成时段列表，如 ["09:00-12:00", "13:00-17:00"]')
    ranges = []
    for text in value:
        match = _RANGE.match(text) if isinstance(text, str) else None
        if not match:
            raise HallConfigError(key, f'时段 {text!r} 格式不对，应为 "09:00-12:00"')
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
            raise HallConfigError(key, f"时段 {text!r} 的时间不存在")
        start, end = time(h1, m1), time(23, 59, 59, 999999) if h2 == 24 else time(h2, m2)
        if start >= end:
            raise HallConfigError(key, f"时段 {text!r} 的结束时间须晚于开始时间")
        ranges.append(TimeRange(start, end))
    ranges.sort(key=lambda r: r.start)
    for earlier, later in itertools.pairwise(ranges):
        if later.start < earlier.end:
            raise HallConfigError(key, f"时段 {earlier} 与 {later} 重叠")
    return tuple(ranges)


def _unique(values: Sequence[Any], where: str, name: str) -> None:
    seen: set[Any] = set()
    for i, value in enumerate(values):
        if value in seen:
            raise HallConfigError(f"{where}[{i}].{name}", f"{name} {value!r} 重复：每个须唯一")
        seen.add(value)
