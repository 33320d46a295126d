"""A screen's settings: what a manager may set per hall or window screen, and the checks."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from queue_server.domain.access import DeviceKind
from queue_server.domain.announcements import LANGUAGES
from queue_server.domain.errors import InvalidInput

SCREEN_KINDS = frozenset({DeviceKind.HALL_SCREEN, DeviceKind.WINDOW_SCREEN})
MAX_NOTICE = 500


@dataclass(frozen=True)
class Voice:
    enabled: bool
    repeat: int = 2
    rate: float = 1.0


@dataclass(frozen=True)
class ScreenSettings:
    zone: str | None = None  # None: the whole hall (hall screens only)
    rows: int = 8
    language: str = "zh-CN"
    notice: str | None = None  # None: the hall's notice
    voice: Voice = Voice(enabled=True)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def default_settings(kind: DeviceKind) -> ScreenSettings:
    """Hall screens speak; window screens stay quiet unless a manager turns them on."""
    return ScreenSettings(voice=Voice(enabled=kind is DeviceKind.HALL_SCREEN))


def load_settings(kind: DeviceKind, stored: Mapping[str, Any]) -> ScreenSettings:
    """Stored settings over the defaults (stored ones were validated when saved)."""
    base = default_settings(kind)
    voice = replace(base.voice, **stored.get("voice", {}))
    return replace(base, **{k: v for k, v in stored.items() if k != "voice"}, voice=voice)


def apply_changes(current: ScreenSettings, changes: Mapping[str, Any], zones: Collection[str]) -> ScreenSettings:
    """A manager's partial update, checked field by field; unknown fields are refused."""
    unknown = set(changes) - {"zone", "rows", "language", "notice", "voice"}
    if unknown:
        raise InvalidInput(f"未知的屏幕设置：{', '.join(sorted(unknown))}", field=sorted(unknown)[0])
    updated = current
    if "zone" in changes:
        zone = changes["zone"]
        if zone is not None and (not isinstance(zone, str) or zone not in zones):
            choices = ", ".join(sorted(zones))
            raise InvalidInput(f"大厅中没有区域 {zone!r}：可选 {choices}，或 null 表示全厅", field="zone")
        updated = replace(updated, zone=zone)
    if "rows" in changes:
        rows = changes["rows"]
        if not isinstance(rows, int) or isinstance(rows, bool) or not 1 <= rows <= 20:
            raise InvalidInput("显示行数 rows 须是 1 到 20 的整数", field="rows")
        updated = replace(updated, rows=rows)
    if "language" in changes:
        if changes["language"] not in LANGUAGES:
            raise InvalidInput(f"语言 language 只能是 {', '.join(LANGUAGES)}", field="language")
        updated = replace(updated, language=changes["language"])
    if "notice" in changes:
        updated = replace(updated, notice=check_notice(changes["notice"]))
    if "voice" in changes:
        updated = replace(updated, voice=_voice(current.voice, changes["voice"]))
    return updated


def check_notice(notice: Any) -> str | None:
    """A notice as a manager may set it: text of at most `MAX_NOTICE` characters without
    control characters (line breaks become spaces: it scrolls on one line), or None for
    the hall file's notice. Blank text counts as None."""
    if notice is None:
        return None
    if not isinstance(notice, str):
        raise InvalidInput("公告 notice 须是文本，或 null 表示用大厅配置中的公告", field="notice")
    text = " ".join(notice.split())
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise InvalidInput("公告中含有不可见的控制字符，请删除后重试", field="notice")
    if len(text) > MAX_NOTICE:
        raise InvalidInput(f"公告最长 {MAX_NOTICE} 字", field="notice")
    return text or None


def _voice(current: Voice, changes: Any) -> Voice:
    if not isinstance(changes, dict) or set(changes) - {"enabled", "repeat", "rate"}:
        raise InvalidInput("voice 须是 {enabled, repeat, rate} 中的若干项", field="voice")
    voice = current
    if "enabled" in changes:
        if not isinstance(changes["enabled"], bool):
            raise InvalidInput("voice.enabled 须是 true 或 false", field="voice.enabled")
        voice = replace(voice, enabled=changes["enabled"])
    if "repeat" in changes:
        repeat = changes["repeat"]
        if not isinstance(repeat, int) or isinstance(repeat, bool) or not 1 <= repeat <= 5:
            raise InvalidInput("voice.repeat 须是 1 到 5 的整数", field="voice.repeat")
        voice = replace(voice, repeat=repeat)
    if "rate" in changes:
        rate = changes["rate"]
        if not isinstance(rate, (int, float)) or isinstance(rate, bool) or not 0.5 <= rate <= 2.0:
            raise InvalidInput("voice.rate 须是 0.5 到 2.0 之间的数", field="voice.rate")
        voice = replace(voice, rate=float(rate))
    return voice
