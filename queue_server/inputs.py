"""Reading fields from a request body or a socket payload, with errors that name the field."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeVar

from queue_server.domain.errors import InvalidInput

E = TypeVar("E", bound=StrEnum)


def mapping(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput('请求内容须是 JSON 对象，如 {"window": 3}')
    return value


def integer(args: dict[str, Any], key: str, low: int, high: int, *, required: bool = True) -> int | None:
    value = args.get(key)
    if value is None:
        if required:
            raise InvalidInput(f"缺少字段 {key}", field=key)
        return None
    if isinstance(value, str) and value.isdigit():
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
    return value.strip()


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
