"""Appointments (预约): booked on the city's platform, checked in at the desk or kiosk.

An appointment is for one queue (and perhaps one item or bundle of it) in one slot of one
service day. Check-in is on time from `checkin_before` minutes before the slot start to
`checkin_after` minutes after it (the hall file's `[hall.appointments]`):

- before that it is refused, saying when it opens (`AppointmentTooEarly`);
- on time, it issues a ticket placed in line by the hall's rule (`place_in_line`): at
  its slot start, at the front of the walk-ins, or at check-in like a walk-in;
- after that it is late: an ordinary ticket placed at check-in, or refused and void from
  then on (`LatePolicy`).

One never checked in is void from the end of its check-in time when late ones are
refused, else from its service day's close. An appointment's ticket is issued by the
same rules as any other (hours, daily cap, one open ticket per ID per queue); this module
only decides whether, and where in line.

Nothing here reads or writes storage: the services load, apply, store.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from queue_server.domain import clock, places
from queue_server.domain.errors import Conflict, InvalidInput
from queue_server.domain.hall import AppointmentPlace, HallSpec, LatePolicy, QueueSpec
from queue_server.domain.identity import normalise_id_number

# What the platform names a booking by, and what its QR code carries: safe in an address.
REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
REFERENCE_PATTERN = REFERENCE.pattern
MAX_CITIZEN_REF = 64
# Below every place key `places` makes (they are digits and never just "0"): the floor
# from which the first appointment at the front of a line gets its key.
_FLOOR = "0"


class AppointmentStatus(StrEnum):
    BOOKED = "booked"
    CHECKED_IN = "checked_in"
    VOID = "void"  # not checked in within its time
    CANCELLED = "cancelled"


_STATUS_ZH = {
    AppointmentStatus.BOOKED: "已预约",
    AppointmentStatus.CHECKED_IN: "已签到",
    AppointmentStatus.VOID: "已作废",
    AppointmentStatus.CANCELLED: "已取消",
}


class VoidReason(StrEnum):
    LATE = "late"  # its check-in time ended and the hall refuses late ones
    END_OF_DAY = "end_of_day"  # its service day closed


class AppointmentTooEarly(Conflict):
    code = "appointment_too_early"
    title = "Check-in has not opened yet"


class AppointmentLate(Conflict):
    code = "appointment_late"
    title = "Check-in time has passed"


class AppointmentClosed(Conflict):
    """Cancelled or void: nothing can be done with it any more."""

    code = "appointment_closed"
    title = "Appointment is cancelled or void"


class AppointmentCheckedIn(Conflict):
    code = "appointment_checked_in"
    title = "Appointment is already checked in"


class AppointmentExists(Conflict):
    """The booking reference is taken by an appointment with other details."""

    code = "appointment_exists"
    title = "Booking reference already used for another appointment"


@dataclass(frozen=True)
class Booking:
    """What the booking platform sends, each field read and checked by the caller."""

    reference: str
    service_day: date
    slot_start: time
    slot_end: time
    queue: str | None
    item: str | None
    bundle: str | None
    citizen_ref: str | None
    id_digest: str | None  # the ID number as its keyed hash, never the number


@dataclass(frozen=True)
class Appointment:
    id: int
    hall_id: int
    reference: str
    service_day: str
    slot_start: time  # local clock time on the service day
    slot_end: time
    slot_start_at: datetime  # the slot start as an instant, fixed when it was booked
    queue: str
    item: str | None
    bundle: str | None
    citizen_ref: str | None  # the platform's own name-free reference, if it sends one
    id_digest: str | None
    status: AppointmentStatus
    booked_at: datetime
    ticket_id: int | None = None
    late: bool = False  # checked in after its check-in time, as an ordinary ticket
    checked_in_at: datetime | None = None
    closed_at: datetime | None = None  # cancelled or void
    reason: str | None = None  # why it was cancelled, or a `VoidReason`

    @property
    def slot(self) -> str:
        return f"{self.slot_start:%H:%M}–{self.slot_end:%H:%M}"


@dataclass(frozen=True)
class CheckIn:
    """What a check-in may do: issue a ticket placed by `place`; `late` when it came
    after its check-in time (and the hall takes late ones as ordinary tickets)."""

    place: AppointmentPlace
    late: bool


# ---- reading what the platform sends -----------------------------------------------------


def check_reference(text: str) -> str:
    if not REFERENCE.match(text):
        raise InvalidInput(
            "预约编号只能由字母、数字、- 和 _ 组成（以字母或数字开头，最长 64 个字符）", field="reference"
        )
    return text


def check_citizen_ref(text: str) -> str:
    """A name-free reference: it must not be a resident ID number, which is only ever
    given as `id_number` and kept as a keyed hash."""
    if len(text) > MAX_CITIZEN_REF:
        raise InvalidInput(f"citizen_ref 最长 {MAX_CITIZEN_REF} 个字符", field="citizen_ref")
    try:
        normalised = normalise_id_number(text)
    except InvalidInput:
        return text
    if len(normalised) == 18 and normalised[:17].isdigit():
        raise InvalidInput(
            "citizen_ref 不能是身份证号码：证件号码请放在 id_number 中（只保存其加密摘要）", field="citizen_ref"
        )
    return text


def slot_instant(day: date, at: time, hall: HallSpec) -> datetime:
    """The instant of local clock time `at` on service day `day`: on that date, or on the
    next one for a time before the rollover (a 24-hour hall's 01:00 belongs to the evening
    before)."""
    on = day if at >= hall.rollover else day + timedelta(days=1)
    return datetime.combine(on, at, tzinfo=zoneinfo.ZoneInfo(hall.timezone)).astimezone(UTC)


def book(booking: Booking, hall: HallSpec, *, hall_id: int, open_day: date, now: datetime) -> Appointment:
    """A new booked appointment (id 0 until stored), or `InvalidInput` naming the field."""
    queue = _queue_of(booking, hall)
    if booking.service_day < open_day:
        raise InvalidInput(
            f"预约日期 {booking.service_day} 已过（今天是 {open_day}）：只能预约今天或以后", field="service_day"
        )
    if booking.slot_end <= booking.slot_start:
        raise InvalidInput(
            f"预约时段的结束时间 {booking.slot_end:%H:%M} 须晚于开始时间 {booking.slot_start:%H:%M}",
            field="slot_end",
        )
    starts = slot_instant(booking.service_day, booking.slot_start, hall)
    if not hall.always_open:
        moment = clock.local(starts, hall)
        hours = clock.issuing_hours(queue, hall, moment.date())
        if not any(r.contains(moment.time()) for r in hours):
            said = "、".join(str(r) for r in hours) or "当天不办理"
            raise InvalidInput(
                f"{moment.date()} {booking.slot_start:%H:%M} 不在“{queue.name}”的取号时间内（{said}）",
                field="slot_start",
            )
    return Appointment(
        id=0,
        hall_id=hall_id,
        reference=booking.reference,
        service_day=booking.service_day.isoformat(),
        slot_start=booking.slot_start,
        slot_end=booking.slot_end,
        slot_start_at=starts,
        queue=queue.code,
        item=booking.item,
        bundle=booking.bundle,
        citizen_ref=booking.citizen_ref,
        id_digest=booking.id_digest,
        status=AppointmentStatus.BOOKED,
        booked_at=now,
    )


def _queue_of(booking: Booking, hall: HallSpec) -> QueueSpec:
    """The queue a booking is for: named, or that of its item or bundle (which must agree
    with a queue also named)."""
    if booking.item and booking.bundle:
        raise InvalidInput("请只指定事项（item）或“一件事”（bundle）之一", field="bundle")
    derived: str | None = None
    if booking.item:
        item = next((i for i in hall.items if i.code == booking.item), None)
        if item is None:
            raise InvalidInput(f"大厅中没有编码为 {booking.item!r} 的事项", field="item")
        derived = item.queue
    if booking.bundle:
        bundle = next((b for b in hall.bundles if b.code == booking.bundle), None)
        if bundle is None:
            known = "、".join(b.code for b in hall.bundles) or "无"
            raise InvalidInput(f"大厅中没有编码为 {booking.bundle!r} 的“一件事”：可用的有 {known}", field="bundle")
        derived = bundle.queue
    code = booking.queue or derived
    if code is None:
        raise InvalidInput("请指定队列（queue），或事项（item）、“一件事”（bundle）", field="queue")
    if not hall.has_queue(code):
        known = "、".join(q.code for q in hall.queues)
        raise InvalidInput(f"大厅中没有队列 {code!r}：可用的有 {known}", field="queue")
    if derived is not None and derived != code:
        raise InvalidInput(
            f"队列 {code!r} 与事项或“一件事”所属的队列 {derived!r} 不一致：请只写其一，或改为一致", field="queue"
        )
    return hall.queue(code)


def differences(stored: Appointment, booking: Booking) -> list[str]:
    """The fields in which a booking pushed again differs from the appointment stored
    under its reference (empty: the same booking, answered as it stands). A queue left
    out is the item's or bundle's, which are compared themselves."""
    pushed = {
        "service_day": booking.service_day.isoformat(),
        "slot_start": booking.slot_start,
        "slot_end": booking.slot_end,
        "queue": booking.queue or stored.queue,
        "item": booking.item,
        "bundle": booking.bundle,
        "citizen_ref": booking.citizen_ref,
    }
    found = [name for name, value in pushed.items() if getattr(stored, name) != value]
    if stored.id_digest != booking.id_digest:
        found.append("id_number")
    return found


def refuse_changed(stored: Appointment, changed: Sequence[str]) -> AppointmentExists:
    return AppointmentExists(
        f"预约编号 {stored.reference} 已用于另一个预约（{'、'.join(changed)} 不同）："
        "改约请先取消原预约，再以新的预约编号推送",
        reference=stored.reference,
        differs=list(changed),
    )


# ---- check-in ----------------------------------------------------------------------------


def check_in_from(appointment: Appointment, hall: HallSpec) -> datetime:
    return appointment.slot_start_at - timedelta(minutes=hall.appointments.checkin_before)


def late_after(appointment: Appointment, hall: HallSpec) -> datetime:
    """After this instant a check-in is late."""
    return appointment.slot_start_at + timedelta(minutes=hall.appointments.checkin_after)


def check_in(appointment: Appointment, now: datetime, hall: HallSpec) -> CheckIn:
    """Whether `appointment` may check in at `now`, and how its ticket is placed. Raises
    `AppointmentTooEarly`, `AppointmentLate` (the hall refuses late ones; it is void from
    `late_after` on, see `void_cutoff`), `AppointmentClosed` or `AppointmentCheckedIn`."""
    require_open(appointment)
    opens = check_in_from(appointment, hall)
    if now < opens:
        when = clock.local(opens, hall)
        today = clock.local(now, hall).date()
        said = f"{when:%H:%M}" if when.date() == today else f"{when:%Y-%m-%d %H:%M}"
        raise AppointmentTooEarly(
            f"预约时段为 {appointment.service_day} {appointment.slot}，{said} 起可签到：请稍后再来",
            reference=appointment.reference,
            check_in_from=clock.iso(opens),
        )
    closes = late_after(appointment, hall)
    if now <= closes:
        return CheckIn(place=hall.appointments.place, late=False)
    if hall.appointments.late is LatePolicy.REFUSE:
        raise AppointmentLate(
            f"预约时段 {appointment.slot} 的签到时间已于 {clock.local(closes, hall):%H:%M} 结束，预约已作废："
            "请重新预约，或到导办台现场取号",
            reference=appointment.reference,
            late_after=clock.iso(closes),
        )
    return CheckIn(place=AppointmentPlace.ISSUE, late=True)


def require_open(appointment: Appointment, *, ticket_number: str | None = None) -> None:
    """Only a booked appointment may be checked in or cancelled."""
    if appointment.status is AppointmentStatus.CHECKED_IN:
        number = f"，票号 {ticket_number}" if ticket_number else ""
        raise AppointmentCheckedIn(
            f"预约 {appointment.reference} 已签到{number}：如不再办理，请取消该票",
            reference=appointment.reference,
            number=ticket_number,
        )
    if appointment.status is AppointmentStatus.CANCELLED:
        raise AppointmentClosed(
            f"预约 {appointment.reference} 已取消：请重新预约，或到导办台现场取号", reference=appointment.reference
        )
    if appointment.status is AppointmentStatus.VOID:
        raise AppointmentClosed(
            f"预约 {appointment.reference} 未在签到时间内签到，已作废：请重新预约，或到导办台现场取号",
            reference=appointment.reference,
        )


def checked_in(appointment: Appointment, ticket_id: int, *, late: bool, now: datetime) -> Appointment:
    return replace(appointment, status=AppointmentStatus.CHECKED_IN, ticket_id=ticket_id, late=late, checked_in_at=now)


def place_in_line(
    rule: AppointmentPlace, *, slot_start_at: datetime, now: datetime, seq: int, line: Sequence[tuple[str, bool]]
) -> str:
    """The place key of an appointment's ticket whose issue event is number `seq`.

    `line`: the places of the tickets now waiting in its queue's line, in order, each
    with whether it came from an appointment (only the head of the line matters here).

    - `slot`: at its slot start, so ahead of everyone who came after the slot started and
      behind everyone who came before (checked in early, it waits for that moment's place);
    - `front`: behind the appointments at the head of the line, ahead of every walk-in;
    - `issue`: at its check-in, as a walk-in.
    """
    if rule is AppointmentPlace.SLOT:
        return places.issued_place(slot_start_at, seq)
    if rule is AppointmentPlace.ISSUE or not line:
        return places.issued_place(now, seq)
    last_appointment = _FLOOR
    for place, from_appointment in line:
        if not from_appointment:
            return places.between(last_appointment, place)
        last_appointment = place
    return places.between(last_appointment, None)


# ---- cancelling and voiding --------------------------------------------------------------


def cancel(
    appointment: Appointment, *, now: datetime, reason: str | None, ticket_number: str | None = None
) -> Appointment | None:
    """Cancelled (by the citizen on the platform, or by the hall). None: it already was.
    One checked in is refused: its ticket is what to cancel."""
    if appointment.status is AppointmentStatus.CANCELLED:
        return None
    require_open(appointment, ticket_number=ticket_number)
    return replace(appointment, status=AppointmentStatus.CANCELLED, closed_at=now, reason=reason)


def void(appointment: Appointment, *, now: datetime, reason: VoidReason) -> Appointment:
    if appointment.status is not AppointmentStatus.BOOKED:
        raise Conflict(f"预约 {appointment.reference} 当前为“{status_text(appointment.status)}”，不能作废")
    return replace(appointment, status=AppointmentStatus.VOID, closed_at=now, reason=reason.value)


def void_cutoff(now: datetime, hall: HallSpec) -> datetime | None:
    """Booked appointments whose slot started before this instant are void now (their
    check-in time has ended and the hall refuses late ones); None: the hall takes late
    ones, so only the day's close voids them."""
    if hall.appointments.late is not LatePolicy.REFUSE:
        return None
    return now - timedelta(minutes=hall.appointments.checkin_after)


def status_text(status: AppointmentStatus) -> str:
    return _STATUS_ZH[status]
