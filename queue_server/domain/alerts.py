"""Alerts for the hall's managers (超时预警 and the rest): the thresholds of a hall file's
`[hall.alerts]`, and which alerts a hall's state calls for.

Four kinds, each about one subject (as text): a queue's oldest waiting ticket waited too
long (`long_wait`, the queue's code), a queue has too many waiting (`many_waiting`), a
window stayed paused too long (`window_paused`, its number), a device stayed offline too
long (`device_offline`, its id). `due(state, settings, now)` says which are called for;
the services raise those not open yet and clear those open but no longer called for.
Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

DEFAULT_LONG_WAIT_MINUTES = 30
DEFAULT_MANY_WAITING = 30
DEFAULT_WINDOW_PAUSED_MINUTES = 15
DEFAULT_DEVICE_OFFLINE_SECONDS = 120
MAX_MINUTES = 24 * 60
MAX_WAITING = 999  # a queue's daily cap at most
MIN_OFFLINE_SECONDS, MAX_OFFLINE_SECONDS = 10, 24 * 3600
# What counts as a device that can be offline: every kind that holds a link to the server.
WATCHED_DEVICES = ("hall_screen", "window_screen", "kiosk", "printer", "review_pad")


class AlertKind(StrEnum):
    LONG_WAIT = "long_wait"
    MANY_WAITING = "many_waiting"
    WINDOW_PAUSED = "window_paused"
    DEVICE_OFFLINE = "device_offline"


@dataclass(frozen=True)
class QueueThresholds:
    """0 turns a threshold off."""

    long_wait_minutes: int = DEFAULT_LONG_WAIT_MINUTES
    many_waiting: int = DEFAULT_MANY_WAITING


@dataclass(frozen=True)
class AlertSettings:
    """`[hall.alerts]`: the hall-wide thresholds (0 turns one off) and per-queue overrides."""

    long_wait_minutes: int = DEFAULT_LONG_WAIT_MINUTES
    many_waiting: int = DEFAULT_MANY_WAITING
    window_paused_minutes: int = DEFAULT_WINDOW_PAUSED_MINUTES
    device_offline_seconds: int = DEFAULT_DEVICE_OFFLINE_SECONDS
    queues: Mapping[str, QueueThresholds] = field(default_factory=dict)

    def for_queue(self, code: str) -> QueueThresholds:
        return self.queues.get(code) or QueueThresholds(self.long_wait_minutes, self.many_waiting)


@dataclass(frozen=True)
class QueueState:
    code: str
    name: str
    waiting: int
    oldest_issued_at: datetime | None


@dataclass(frozen=True)
class PausedWindow:
    number: int
    name: str
    paused_at: datetime


@dataclass(frozen=True)
class OfflineDevice:
    """A device not connected now, last seen at `last_seen_at`."""

    id: int
    kind: str
    name: str
    last_seen_at: datetime


@dataclass(frozen=True)
class HallState:
    queues: tuple[QueueState, ...]
    paused: tuple[PausedWindow, ...]
    offline: tuple[OfflineDevice, ...]


@dataclass(frozen=True)
class Due:
    """An alert the hall's state calls for: what it is about, in words, and the figures."""

    kind: AlertKind
    subject: str
    detail: str
    threshold: int  # minutes (long_wait, window_paused), tickets (many_waiting), seconds (device_offline)
    value: int  # in the same unit

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind.value, self.subject)


def due(state: HallState, settings: AlertSettings, now: datetime) -> dict[tuple[str, str], Due]:
    """Every alert the state calls for, by (kind, subject). A threshold is passed when the
    value is greater than it (a wait of exactly 30 minutes does not alert at 30)."""
    found: list[Due] = []
    for queue in state.queues:
        limits = settings.for_queue(queue.code)
        if limits.long_wait_minutes and queue.oldest_issued_at is not None:
            waited = int((now - queue.oldest_issued_at).total_seconds() // 60)
            if (now - queue.oldest_issued_at).total_seconds() > limits.long_wait_minutes * 60:
                detail = f"{queue.name}：最早的等候号已等 {waited} 分钟（预警 {limits.long_wait_minutes} 分钟）"
                found.append(Due(AlertKind.LONG_WAIT, queue.code, detail, limits.long_wait_minutes, waited))
        if limits.many_waiting and queue.waiting > limits.many_waiting:
            detail = f"{queue.name}：{queue.waiting} 人等候（预警 {limits.many_waiting} 人）"
            found.append(Due(AlertKind.MANY_WAITING, queue.code, detail, limits.many_waiting, queue.waiting))
    if settings.window_paused_minutes:
        for window in state.paused:
            seconds = (now - window.paused_at).total_seconds()
            if seconds > settings.window_paused_minutes * 60:
                minutes = int(seconds // 60)
                detail = f"{window.name}已暂停 {minutes} 分钟（预警 {settings.window_paused_minutes} 分钟）"
                found.append(
                    Due(AlertKind.WINDOW_PAUSED, str(window.number), detail, settings.window_paused_minutes, minutes)
                )
    if settings.device_offline_seconds:
        for device in state.offline:
            seconds = int((now - device.last_seen_at).total_seconds())
            if seconds > settings.device_offline_seconds:
                detail = f"设备“{device.name}”已离线 {seconds} 秒（预警 {settings.device_offline_seconds} 秒）"
                found.append(
                    Due(AlertKind.DEVICE_OFFLINE, str(device.id), detail, settings.device_offline_seconds, seconds)
                )
    return {d.key: d for d in found}
