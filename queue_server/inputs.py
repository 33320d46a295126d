"""Reading fields from a request body or a socket payload, with errors that name the field.

Text is refused when it carries control characters (a NUL byte stored in a notice would
reach every screen), and a payload when it carries half of a UTF-16 pair (JSON may spell
`"\\ud800"`, which no UTF-8 database or answer can hold); whole numbers written as text
must be ASCII digits (a full-width ３ is not read as 3); a field the command does not take
is refused by name.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Any, TypeVar

from queue_server.domain.errors import InvalidInput, MalformedRequest

E = TypeVar("E", bound=StrEnum)

_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")
_TICKET_NUMBER = re.compile(r"[A-Za-z][0-9]{3}")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CLOCK = re.compile(r"([0-9]{2}):([0-9]{2})")


def mapping(value: Any) -> dict[str, Any]:
    """A JSON object. Absent (no body, no payload) reads as {}; anything else, `null`
    included, must be an object, and all its text valid Unicode."""
    if not isinstance(value, dict):
        raise InvalidInput('请求内容须是 JSON 对象，如 {"window": 3}')
    if _has_unpaired_surrogate(value):
        raise MalformedRequest("请求内容含有无效的 Unicode 字符（不成对的代理项，如 \\ud800）：请检查文本的编码")
    return value


def _has_unpaired_surrogate(value: Any) -> bool:
    """Whether any text in a decoded JSON value, keys included, holds a lone surrogate.
    Walked without recursion: a body may be nested as deep as the JSON parser allows."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            pending += item.keys()
            pending += item.values()
        elif isinstance(item, list):
            pending += item
    return False


def only(args: dict[str, Any], allowed: Collection[str]) -> None:
    """Refuse any field that is not in `allowed`, naming it (and the nearest allowed one)."""
    for key in args:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), sorted(allowed), n=1, cutoff=0.6)
            hint = f"（是否想写 {close[0]}？）" if close else ""
            listed = "、".join(sorted(allowed)) or "无"
            raise InvalidInput(f"未知字段 {key!r}{hint}：可用的字段有 {listed}", field=str(key))


def integer(args: dict[str, Any], key: str, low: int, high: int, *, required: bool = True) -> int | None:
    value = args.get(key)
    if value is None:
        if required:
            raise InvalidInput(f"缺少字段 {key}", field=key)
        return None
    if isinstance(value, str) and _ASCII_DIGITS.fullmatch(value):
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidInput(f"字段 {key} 须是 {low} 到 {high} 之间的整数", field=key)
    return value


def text(args: dict[str, Any], key: str, *, max_length: int = 200, required: bool = False) -> str | None:
    value = args.get(key)
    if value is None or (isinstance(value, str) and not value.strip() and not required):
        if required:
            raise InvalidInput(f"缺少字段 {key}", field=key)
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"字段 {key} 须是非空文本", field=key)
    if len(value) > max_length:
        raise InvalidInput(f"字段 {key} 最长 {max_length} 个字符", field=key)
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise InvalidInput(f"字段 {key} 含有不可见的控制字符", field=key)
    return value.strip()


def text_list(args: dict[str, Any], key: str, *, max_items: int, max_length: int) -> list[str] | None:
    value = args.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > max_items:
        raise InvalidInput(f"字段 {key} 须是最多 {max_items} 项的文本列表", field=key)
    return [text({key: v}, key, max_length=max_length, required=True) for v in value]  # type: ignore[misc]


def ticket_number(args: dict[str, Any], key: str) -> str:
    """A ticket number as printed: a letter and three digits (`A001`, `a001`)."""
    value = text(args, key, max_length=8, required=True)
    if value is None or not _TICKET_NUMBER.fullmatch(value):
        raise InvalidInput(f"字段 {key} 须是票号，如 A001", field=key)
    return value.upper()


def choice(args: dict[str, Any], key: str, options: type[E], *, required: bool = False) -> E | None:
    value = text(args, key, required=required)
    if value is None:
        return None
    try:
        return options(value)
    except ValueError:
        allowed = ", ".join(o.value for o in options)
        raise InvalidInput(f"字段 {key} 只能是：{allowed}", field=key) from None


def boolean(args: dict[str, Any], key: str) -> bool:
    value = args.get(key, False)
    if not isinstance(value, bool):
        raise InvalidInput(f"字段 {key} 须是 true 或 false", field=key)
    return value


def day(args: dict[str, Any], key: str, *, required: bool = False) -> date | None:
    """A calendar day written `2026-11-23`."""
    value = text(args, key, max_length=10, required=required)
    if value is None:
        return None
    if not _DAY.fullmatch(value):
        raise InvalidInput(f"字段 {key} 须是日期，如 2026-11-23", field=key)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"字段 {key} 的日期 {value} 不存在", field=key) from None


def clock_time(args: dict[str, Any], key: str, *, required: bool = False) -> time | None:
    """A local clock time written `09:30` (24-hour)."""
    value = text(args, key, max_length=5, required=required)
    if value is None:
        return None
    match = _CLOCK.fullmatch(value)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise InvalidInput(f"字段 {key} 须是时刻，如 09:30", field=key)
    return time(int(match[1]), int(match[2]))


def texts(args: dict[str, Any], key: str, *, max_items: int = 20, max_length: int = 40) -> list[str]:
    """One text or a list of them (a filter that takes several values); absent: none."""
    value = args.get(key)
    if value is None:
        return []
    return (
        text_list({key: value if isinstance(value, list) else [value]}, key, max_items=max_items, max_length=max_length)
        or []
    )


def instant(args: dict[str, Any], key: str) -> datetime | None:
    """A moment with its offset, ISO 8601 (`2026-11-23T08:00:00+08:00`, `…T00:00:00Z`):
    without one it would mean a different moment to every reader."""
    value = text(args, key, max_length=40)
    if value is None:
        return None
    example = f"字段 {key} 须是带时区的时间，如 2026-11-23T08:00:00+08:00"
    try:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise InvalidInput(example, field=key)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise InvalidInput(example, field=key) from None
