"""A new hall file against the hall as it stands: what it would break.

A hall file may be replaced mid-day only if nothing live depends on what it removes or
changes: no open ticket left in a queue that disappears, no window removed while a clerk
is signed in at it, a ticket is in its hands or waits for it, no window that stops
serving the queue of the ticket it holds, no device bound to a removed window, no screen
set to a removed zone, no queue removed that appointments are booked for, and no move of
today's service day (a new time zone or rollover).
Numbers cannot be reused by a rename: the store counts them per prefix and day.

Conflicts that the day's close clears (tickets, clerks) allow the file to take effect at
the next service day instead; `lasting` ones (devices, screens, appointments of later
days) must be fixed first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from queue_server.domain import clock
from queue_server.domain.appointments import Appointment
from queue_server.domain.hall import HallSpec
from queue_server.domain.lifecycle import Ticket, Window, WindowStatus

_LISTED = 5  # ticket numbers named per conflict before "…"


@dataclass(frozen=True)
class Device:
    id: int
    kind: str
    name: str
    window: int | None
    zone: str | None  # a hall screen's zone setting


@dataclass(frozen=True)
class LiveHall:
    open_day: date
    open_tickets: Sequence[Ticket]
    windows: Sequence[Window]
    devices: Sequence[Device]
    booked: Sequence[Appointment] = ()  # appointments booked for today or later


@dataclass(frozen=True)
class ChangeConflict:
    code: str
    detail: str
    lasting: bool = False  # still a conflict after the day closes

    def to_dict(self) -> dict[str, object]:
        return {"code": self.code, "detail": self.detail, "lasting": self.lasting}


def conflicts(old: HallSpec, new: HallSpec, live: LiveHall, now: datetime) -> list[ChangeConflict]:
    """Every way `new` contradicts the live hall, each in a sentence a manager can act on."""
    found: list[ChangeConflict] = []
    found += _removed_queues(new, live)
    found += _windows(new, live)
    found += _devices(new, live)
    found += _booked_queues(new, live)
    if clock.service_day(now, new) != live.open_day:
        found.append(
            ChangeConflict(
                "service_day_moves",
                f"新的时区或换日时间会把今天的服务日从 {live.open_day} 改为 {clock.service_day(now, new)}："
                "请选择次日生效",
            )
        )
    return found


def _numbers(tickets: Sequence[Ticket]) -> str:
    numbers = [t.number for t in tickets]
    return "、".join(numbers[:_LISTED]) + ("…" if len(numbers) > _LISTED else "")


def _removed_queues(new: HallSpec, live: LiveHall) -> list[ChangeConflict]:
    found = []
    by_queue: dict[str, list[Ticket]] = {}
    for ticket in live.open_tickets:
        by_queue.setdefault(ticket.queue, []).append(ticket)
    for queue, tickets in sorted(by_queue.items()):
        if not new.has_queue(queue):
            found.append(
                ChangeConflict(
                    "queue_has_open_tickets",
                    f"队列 {queue!r} 还有 {len(tickets)} 张未结束的号（{_numbers(tickets)}），新配置中没有这个队列："
                    "请先办结或取消，或选择次日生效",
                )
            )
    return found


def _windows(new: HallSpec, live: LiveHall) -> list[ChangeConflict]:
    found = []
    tickets = {t.id: t for t in live.open_tickets}
    for window in live.windows:
        held = tickets.get(window.ticket_id) if window.ticket_id is not None else None
        sent = [t for t in live.open_tickets if t.target_window == window.number and t.status.value == "waiting"]
        if not new.has_window(window.number):
            if window.status is not WindowStatus.CLOSED:
                found.append(
                    ChangeConflict(
                        "window_in_use",
                        f"{window.number} 号窗口有工作人员登录（{'正在处理 ' + held.number if held else '空闲'}），"
                        "新配置中没有这个窗口：请先关闭或释放该窗口",
                    )
                )
            if sent:
                found.append(
                    ChangeConflict(
                        "window_has_sent_tickets",
                        f"{_numbers(sent)} 正等候转给 {window.number} 号窗口，新配置中没有这个窗口",
                    )
                )
            continue
        spec = new.window(window.number)
        if held is not None and not spec.serves_queue(held.queue) and held.target_window is None:
            found.append(
                ChangeConflict(
                    "window_stops_serving",
                    f"{window.number} 号窗口正在处理 {held.number}（队列 {held.queue!r}），新配置中它不再办理该队列",
                )
            )
        stranded = [t for t in sent if not spec.serves_queue(t.queue)]
        if stranded:
            found.append(
                ChangeConflict(
                    "window_stops_serving",
                    f"{_numbers(stranded)} 正等候转给 {window.number} 号窗口，新配置中它不再办理这些号的队列",
                )
            )
    return found


def _devices(new: HallSpec, live: LiveHall) -> list[ChangeConflict]:
    found = []
    zones = {z.code for z in new.zones}
    for device in live.devices:
        if device.window is not None and not new.has_window(device.window):
            found.append(
                ChangeConflict(
                    "device_bound_to_window",
                    f"设备“{device.name}”（{device.kind}）绑定 {device.window} 号窗口，新配置中没有这个窗口："
                    "请先吊销该设备或保留该窗口",
                    lasting=True,
                )
            )
        if device.zone is not None and device.zone not in zones:
            found.append(
                ChangeConflict(
                    "screen_shows_zone",
                    f"屏幕“{device.name}”设置为显示区域 {device.zone!r}，新配置中没有这个区域：请先修改该屏幕的区域",
                    lasting=True,
                )
            )
    return found


def _booked_queues(new: HallSpec, live: LiveHall) -> list[ChangeConflict]:
    """A queue that appointments are booked for stays until they are cancelled: their
    check-in would have nowhere to issue. Today's close voids only today's, so this lasts
    unless none is booked after today."""
    by_queue: dict[str, list[Appointment]] = {}
    for appointment in live.booked:
        by_queue.setdefault(appointment.queue, []).append(appointment)
    found = []
    for queue, booked in sorted(by_queue.items()):
        if new.has_queue(queue):
            continue
        references = [a.reference for a in booked]
        listed = "、".join(references[:_LISTED]) + ("…" if len(references) > _LISTED else "")
        found.append(
            ChangeConflict(
                "queue_has_appointments",
                f"队列 {queue!r} 还有 {len(booked)} 个预约（{listed}），新配置中没有这个队列："
                "请先取消这些预约，或保留该队列",
                lasting=any(a.service_day > live.open_day.isoformat() for a in booked),
            )
        )
    return found
