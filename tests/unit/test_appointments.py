"""Appointments' pure rules: the check-in window, the place in line, the late policy,
booking checks, and the [hall.appointments] settings of the hall file."""

from __future__ import annotations

import copy
import tomllib
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from queue_server.cli import demo_hall_toml
from queue_server.domain import appointments, places
from queue_server.domain.appointments import (
    Appointment,
    AppointmentCheckedIn,
    AppointmentClosed,
    AppointmentLate,
    AppointmentStatus,
    AppointmentTooEarly,
    Booking,
    VoidReason,
)
from queue_server.domain.errors import HallConfigError, InvalidInput
from queue_server.domain.hall import AppointmentPlace, AppointmentSettings, HallSpec, LatePolicy, parse_hall

MONDAY = date(2026, 11, 23)
# 09:00 in Shanghai on Monday 23 November 2026
NINE = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def _data() -> dict[str, Any]:
    return tomllib.loads(demo_hall_toml(always_open=False))


@pytest.fixture(scope="module")
def demo() -> HallSpec:
    return parse_hall(_data())


def hall_with(demo: HallSpec, **settings: Any) -> HallSpec:
    return replace(demo, appointments=replace(demo.appointments, **settings))


def booking(**changes: Any) -> Booking:
    fields: dict[str, Any] = {
        "reference": "BK001",
        "service_day": MONDAY,
        "slot_start": time(9, 0),
        "slot_end": time(9, 30),
        "queue": "household",
        "item": None,
        "bundle": None,
        "citizen_ref": None,
        "id_digest": None,
    }
    return Booking(**{**fields, **changes})


def booked(demo: HallSpec, **changes: Any) -> Appointment:
    return appointments.book(booking(**changes), demo, hall_id=1, open_day=MONDAY, now=NINE - timedelta(days=2))


# ---- the hall file -----------------------------------------------------------------------


def test_the_demo_hall_says_its_appointment_rules(demo: HallSpec) -> None:
    assert demo.appointments == AppointmentSettings(
        checkin_before=30, checkin_after=15, place=AppointmentPlace.SLOT, late=LatePolicy.ORDINARY
    )


def test_a_hall_file_without_the_table_gets_the_defaults() -> None:
    data = _data()
    del data["hall"]["appointments"]
    assert parse_hall(data).appointments == AppointmentSettings()


@pytest.mark.parametrize(
    ("key", "value", "hint"),
    [
        ("checkin_before", -5, "0 到 240"),
        ("checkin_after", 241, "0 到 240"),
        ("checkin_after", "15", "整数"),
        ("place", "vip", "slot"),
        ("late", "forgive", "refuse"),
        ("checkin_afer", 15, "checkin_after"),  # a typo names the key it meant
    ],
    ids=["before-negative", "after-too-long", "after-as-text", "unknown-place", "unknown-late", "typo"],
)
def test_a_bad_appointment_setting_names_its_key(key: str, value: Any, hint: str) -> None:
    data = copy.deepcopy(_data())
    data["hall"]["appointments"][key] = value
    with pytest.raises(HallConfigError) as caught:
        parse_hall(data)
    assert caught.value.key == f"hall.appointments.{key}"
    assert hint in caught.value.detail


# ---- booking -----------------------------------------------------------------------------


def test_a_booking_takes_its_queue_from_its_item(demo: HallSpec) -> None:
    appointment = booked(demo, queue=None, item="id-card")
    assert (appointment.queue, appointment.item, appointment.status) == ("household", "id-card", "booked")
    assert appointment.slot_start_at == NINE
    assert appointment.slot == "09:00–09:30"


@pytest.mark.parametrize(
    ("changes", "field", "hint"),
    [
        ({"queue": "vip"}, "queue", "comprehensive"),  # lists the queues there are
        ({"queue": None}, "queue", "请指定队列"),
        ({"queue": "real-estate", "item": "id-card"}, "queue", "不一致"),
        ({"item": "moon-landing"}, "item", "moon-landing"),
        ({"bundle": "everything"}, "bundle", "enterprise-start"),
        ({"service_day": MONDAY - timedelta(days=1)}, "service_day", "已过"),
        ({"slot_end": time(8, 30)}, "slot_end", "晚于"),
        ({"slot_start": time(12, 0), "slot_end": time(12, 30)}, "slot_start", "13:00-17:00"),  # lunch
        ({"service_day": date(2026, 11, 29)}, "slot_start", "当天不办理"),  # a Sunday
    ],
    ids=[
        "unknown-queue",
        "no-queue",
        "queue-and-item-disagree",
        "unknown-item",
        "unknown-bundle",
        "day-gone",
        "ends-before-it-starts",
        "outside-issuing-hours",
        "hall-closed-that-day",
    ],
)
def test_a_bad_booking_names_its_field(demo: HallSpec, changes: dict[str, Any], field: str, hint: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        booked(demo, **changes)
    assert caught.value.extra["field"] == field
    assert hint in caught.value.detail


def test_a_24_hour_hall_takes_a_slot_after_midnight_on_its_service_day(demo: HallSpec) -> None:
    open_all_day = replace(demo, always_open=True)
    night = appointments.book(
        booking(slot_start=time(1, 0), slot_end=time(1, 30)), open_all_day, hall_id=1, open_day=MONDAY, now=NINE
    )
    assert night.slot_start_at == datetime(2026, 11, 23, 17, 0, tzinfo=UTC)  # Tuesday 01:00 in Shanghai


@pytest.mark.parametrize("reference", ["BK-2026_001", "a", "9" * 64])
def test_booking_references_safe_in_an_address_are_taken(reference: str) -> None:
    assert appointments.check_reference(reference) == reference


@pytest.mark.parametrize("reference", ["", "-BK", "BK 001", "BK/001", "预约1", "9" * 65])
def test_other_booking_references_are_refused(reference: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        appointments.check_reference(reference)
    assert caught.value.extra["field"] == "reference"


def test_a_citizen_reference_may_not_be_an_id_number() -> None:
    assert appointments.check_citizen_ref("citizen-8841") == "citizen-8841"
    with pytest.raises(InvalidInput, match="id_number"):
        appointments.check_citizen_ref("11010519491231002x")


def test_a_booking_pushed_again_differs_only_where_it_does(demo: HallSpec) -> None:
    first = booked(demo, queue=None, item="id-card", id_digest="d1")
    assert appointments.differences(first, booking(queue=None, item="id-card", id_digest="d1")) == []
    assert appointments.differences(first, booking(item="id-card", id_digest="d1")) == []  # its own queue named
    assert appointments.differences(first, booking(queue=None, id_digest="d2", slot_end=time(9, 45))) == [
        "slot_end",
        "item",
        "id_number",
    ]


# ---- the check-in window -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "late"),
    [(-30, False), (-1, False), (0, False), (10, False), (15, False)],
    ids=["as-it-opens", "a-minute-before", "at-the-slot", "ten-after", "last-moment"],
)
def test_on_time_from_30_before_to_15_after_the_slot_start(demo: HallSpec, minutes: int, late: bool) -> None:
    decision = appointments.check_in(booked(demo), NINE + timedelta(minutes=minutes), demo)
    assert decision == appointments.CheckIn(place=AppointmentPlace.SLOT, late=late)


def test_too_early_says_when_check_in_opens(demo: HallSpec) -> None:
    with pytest.raises(AppointmentTooEarly) as caught:
        appointments.check_in(booked(demo), NINE - timedelta(minutes=31), demo)
    assert "08:30 起可签到" in caught.value.detail and "09:00–09:30" in caught.value.detail
    assert caught.value.status == 409 and caught.value.extra["check_in_from"] == "2026-11-23T00:30:00.000Z"


def test_too_early_on_another_day_says_the_date(demo: HallSpec) -> None:
    tomorrow = booked(demo, service_day=MONDAY + timedelta(days=1))
    with pytest.raises(AppointmentTooEarly, match="2026-11-24 08:30 起可签到"):
        appointments.check_in(tomorrow, NINE, demo)


def test_late_becomes_an_ordinary_ticket_placed_at_check_in(demo: HallSpec) -> None:
    decision = appointments.check_in(booked(demo), NINE + timedelta(minutes=16), demo)
    assert decision == appointments.CheckIn(place=AppointmentPlace.ISSUE, late=True)


def test_late_is_refused_where_the_hall_says_so(demo: HallSpec) -> None:
    strict = hall_with(demo, late=LatePolicy.REFUSE)
    with pytest.raises(AppointmentLate) as caught:
        appointments.check_in(booked(strict), NINE + timedelta(minutes=16), strict)
    assert "09:15 结束" in caught.value.detail and "作废" in caught.value.detail


def test_the_window_follows_the_hall_file(demo: HallSpec) -> None:
    wide = hall_with(demo, checkin_before=60, checkin_after=0, place=AppointmentPlace.FRONT)
    assert appointments.check_in(booked(wide), NINE - timedelta(minutes=60), wide).place is AppointmentPlace.FRONT
    assert appointments.check_in(booked(wide), NINE + timedelta(seconds=1), wide).late


@pytest.mark.parametrize(
    ("status", "error", "hint"),
    [
        (AppointmentStatus.CANCELLED, AppointmentClosed, "已取消"),
        (AppointmentStatus.VOID, AppointmentClosed, "已作废"),
        (AppointmentStatus.CHECKED_IN, AppointmentCheckedIn, "已签到"),
    ],
    ids=["cancelled", "void", "checked-in"],
)
def test_only_a_booked_appointment_checks_in(demo: HallSpec, status: AppointmentStatus, error: type, hint: str) -> None:
    with pytest.raises(error, match=hint):
        appointments.check_in(replace(booked(demo), status=status), NINE, demo)


# ---- the place in line -------------------------------------------------------------------


def _place(rule: AppointmentPlace, line: list[tuple[str, bool]], seq: int = 50) -> str:
    return appointments.place_in_line(rule, slot_start_at=NINE, now=NINE + timedelta(minutes=10), seq=seq, line=line)


def walk_in(minutes: int, seq: int) -> str:
    return places.issued_place(NINE + timedelta(minutes=minutes), seq)


def test_slot_places_it_at_its_slot_start_between_who_came_before_and_after() -> None:
    line = [(walk_in(-5, 1), False), (walk_in(5, 2), False)]
    place = _place(AppointmentPlace.SLOT, line)
    assert line[0][0] < place < line[1][0]


def test_issue_places_it_at_check_in_like_a_walk_in() -> None:
    line = [(walk_in(-5, 1), False), (walk_in(5, 2), False)]
    assert _place(AppointmentPlace.ISSUE, line) > line[1][0]


def test_front_goes_ahead_of_walk_ins_and_behind_earlier_appointments() -> None:
    line = [(walk_in(-5, 1), False), (walk_in(5, 2), False)]
    first = _place(AppointmentPlace.FRONT, line, seq=60)
    assert first < line[0][0]
    second = _place(AppointmentPlace.FRONT, [(first, True), *line], seq=61)
    assert first < second < line[0][0]
    alone = _place(AppointmentPlace.FRONT, [(first, True), (second, True)], seq=62)
    assert second < alone


def test_front_in_an_empty_line_is_at_check_in() -> None:
    assert _place(AppointmentPlace.FRONT, []) == places.issued_place(NINE + timedelta(minutes=10), 50)


@given(st.lists(st.booleans(), min_size=1, max_size=30))
def test_front_keeps_appointments_in_check_in_order_ahead_of_every_walk_in(arrivals: list[bool]) -> None:
    """Walk-ins (False) and front-placed appointments (True) arrive in some order; the
    line is then every appointment in arrival order, then every walk-in in arrival order."""
    line: list[tuple[str, bool, int]] = []
    for n, is_appointment in enumerate(arrivals, start=1):
        now = NINE + timedelta(seconds=n)
        ordered = [(p, a) for p, a, _ in sorted(line)]
        if is_appointment:
            place = appointments.place_in_line(AppointmentPlace.FRONT, slot_start_at=NINE, now=now, seq=n, line=ordered)
        else:
            place = places.issued_place(now, n)
        line.append((place, is_appointment, n))
    served = [(a, n) for _, a, n in sorted(line)]
    assert served == [(True, n) for a, n in served if a] + [(False, n) for a, n in served if not a]
    assert [n for a, n in served if a] == sorted(n for a, n in served if a)
    assert [n for a, n in served if not a] == sorted(n for a, n in served if not a)


# ---- cancelling and voiding --------------------------------------------------------------


def test_cancel_once_then_nothing_more(demo: HallSpec) -> None:
    cancelled = appointments.cancel(booked(demo), now=NINE, reason="市民改期")
    assert cancelled is not None and cancelled.status is AppointmentStatus.CANCELLED
    assert appointments.cancel(cancelled, now=NINE, reason=None) is None


def test_a_checked_in_appointment_is_not_cancelled_but_its_ticket_is(demo: HallSpec) -> None:
    done = appointments.checked_in(booked(demo), 7, late=False, now=NINE)
    with pytest.raises(AppointmentCheckedIn, match="票号 E001"):
        appointments.cancel(done, now=NINE, reason=None, ticket_number="E001")


def test_void_after_the_check_in_time_only_where_late_ones_are_refused(demo: HallSpec) -> None:
    assert appointments.void_cutoff(NINE, demo) is None
    strict = hall_with(demo, late=LatePolicy.REFUSE)
    assert appointments.void_cutoff(NINE, strict) == NINE - timedelta(minutes=15)
    gone = appointments.void(booked(strict), now=NINE, reason=VoidReason.LATE)
    assert (gone.status, gone.reason) == (AppointmentStatus.VOID, "late")
