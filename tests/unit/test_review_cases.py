"""差评整改: the deadlines' day arithmetic (working days on the hall's calendar, natural
days), the hall file's `[hall.review_cases]`, the order of the managers' records, and the
figures counted from rows."""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from queue_server.cli import demo_hall_toml
from queue_server.domain import invariants
from queue_server.domain import review_cases as rc
from queue_server.domain.errors import HallConfigError, InvalidInput
from queue_server.domain.hall import Calendar, parse_hall
from queue_server.domain.review_cases import (
    AppealState,
    CaseClosed,
    CaseOutOfOrder,
    CaseState,
    Counts,
    DayKind,
    Period,
    ReviewCaseSettings,
)

SHANGHAI = "Asia/Shanghai"
PLAIN = Calendar()
# 2026-11-27 is a Friday, 11-28/29 the weekend, 11-30 a Monday
FRIDAY = date(2026, 11, 27)


def at_shanghai(day: date, hour: int, minute: int = 0) -> datetime:
    """`hour` o'clock in Shanghai on `day`, as a UTC instant."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


def midnight_after(day: date) -> datetime:
    """The end of `day` in Shanghai (its local midnight), in UTC."""
    return at_shanghai(day + timedelta(days=1), 0)


# ---- examples -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "calendar", "expected"),
    [
        (FRIDAY, 1, PLAIN, date(2026, 11, 30)),
        (FRIDAY, 5, PLAIN, date(2026, 12, 4)),
        (date(2026, 11, 28), 1, PLAIN, date(2026, 11, 30)),
        (date(2026, 11, 23), 1, PLAIN, date(2026, 11, 24)),
        (FRIDAY, 1, Calendar(closed=frozenset({date(2026, 11, 30)})), date(2026, 12, 1)),
        (FRIDAY, 1, Calendar(workdays=frozenset({date(2026, 11, 29)})), date(2026, 11, 29)),
        # 国庆: closed 10-01 to 10-08 (a Thursday to the next Thursday), 09-27 and 10-10 made up
        (
            date(2026, 9, 30),
            3,
            Calendar(
                closed=frozenset(date(2026, 10, d) for d in range(1, 9)),
                workdays=frozenset({date(2026, 9, 27), date(2026, 10, 10)}),
            ),
            date(2026, 10, 12),
        ),
        (FRIDAY, 0, PLAIN, FRIDAY),
    ],
    ids=[
        "friday+1 is monday",
        "friday+5 is next friday",
        "from a saturday",
        "monday+1",
        "a closed monday",
        "a make-up sunday",
        "national day week",
        "zero days",
    ],
)
def test_working_days_skip_weekends_and_closed_dates_and_count_make_up_days(
    start: date, days: int, calendar: Calendar, expected: date
) -> None:
    assert rc.add_working_days(start, days, calendar) == expected


def test_a_deadline_ends_at_local_midnight_of_its_last_day() -> None:
    opened = at_shanghai(FRIDAY, 16, 50)
    assert rc.deadline(opened, Period(1), PLAIN, SHANGHAI) == midnight_after(date(2026, 11, 30))
    assert rc.deadline(opened, Period(5), PLAIN, SHANGHAI) == midnight_after(date(2026, 12, 4))
    assert rc.deadline(opened, Period(15), PLAIN, SHANGHAI) == midnight_after(date(2026, 12, 18))
    assert rc.deadline(opened, Period(1, DayKind.NATURAL), PLAIN, SHANGHAI) == midnight_after(date(2026, 11, 28))
    # 00:30 on Saturday in Shanghai is still Friday in UTC: the hall's own date counts
    late = at_shanghai(date(2026, 11, 28), 0, 30)
    assert late.date() == FRIDAY
    assert rc.deadline(late, Period(1), PLAIN, SHANGHAI) == midnight_after(date(2026, 11, 30))


# ---- properties -----------------------------------------------------------------------------

DAYS = st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31))


@st.composite
def calendars(draw: st.DrawFn) -> Calendar:
    closed = draw(st.frozensets(DAYS, max_size=30))
    workdays = draw(st.frozensets(DAYS, max_size=10)) - closed
    return Calendar(closed=closed, workdays=workdays)


def working_days_between(start: date, end: date, calendar: Calendar) -> int:
    """How many working days in (start, end]."""
    return sum(rc.is_working_day(start + timedelta(days=i), calendar) for i in range(1, (end - start).days + 1))


@given(DAYS, st.integers(1, 40), calendars())
def test_the_nth_working_day_is_a_working_day_with_exactly_n_in_between(
    start: date, days: int, calendar: Calendar
) -> None:
    end = rc.add_working_days(start, days, calendar)
    assert end > start
    assert rc.is_working_day(end, calendar)
    assert working_days_between(start, end, calendar) == days
    assert end not in calendar.closed
    if end.weekday() >= 5:
        assert end in calendar.workdays, "a weekend day counts only when made up"


@given(DAYS, st.integers(0, 20), st.integers(0, 20), calendars())
def test_working_days_add_up(start: date, first: int, then: int, calendar: Calendar) -> None:
    middle = rc.add_working_days(start, first, calendar)
    assert rc.add_working_days(middle, then, calendar) == rc.add_working_days(start, first + then, calendar)


@given(DAYS, DAYS, st.integers(1, 20), calendars())
def test_a_later_start_never_ends_earlier(one: date, other: date, days: int, calendar: Calendar) -> None:
    early, late = sorted((one, other))
    assert rc.add_working_days(early, days, calendar) <= rc.add_working_days(late, days, calendar)


@given(DAYS, st.integers(1, 20), calendars(), st.data())
def test_closing_a_working_day_in_the_period_moves_the_end_later(
    start: date, days: int, calendar: Calendar, data: st.DataObject
) -> None:
    end = rc.add_working_days(start, days, calendar)
    working = [start + timedelta(days=i) for i in range(1, (end - start).days + 1)]
    closing = data.draw(st.sampled_from([d for d in working if rc.is_working_day(d, calendar)]))
    closed = Calendar(closed=calendar.closed | {closing}, workdays=calendar.workdays - {closing})
    assert rc.add_working_days(start, days, closed) > end


@given(DAYS, st.integers(1, 20), calendars())
def test_a_make_up_day_never_moves_the_end_later(start: date, days: int, calendar: Calendar) -> None:
    end = rc.add_working_days(start, days, calendar)
    weekend = [start + timedelta(days=i) for i in range(1, 15) if (start + timedelta(days=i)).weekday() >= 5]
    made_up = Calendar(closed=calendar.closed - set(weekend), workdays=calendar.workdays | set(weekend))
    assert rc.add_working_days(start, days, made_up) <= end


@given(DAYS, st.integers(1, 90), calendars())
def test_natural_days_ignore_the_calendar(start: date, days: int, calendar: Calendar) -> None:
    assert rc.last_day(start, Period(days, DayKind.NATURAL), calendar) == start + timedelta(days=days)


@given(
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 6, 30), timezones=st.just(UTC)),
    st.integers(1, 30),
    st.sampled_from(list(DayKind)),
    calendars(),
)
def test_a_deadline_is_a_local_midnight_after_the_opening(
    opened: datetime, days: int, kind: DayKind, calendar: Calendar
) -> None:
    due = rc.deadline(opened, Period(days, kind), calendar, SHANGHAI)
    local = due + timedelta(hours=8)
    assert (local.hour, local.minute, local.second) == (0, 0, 0)
    assert due - opened > timedelta(days=days)  # the opening day never counts
    last = (local - timedelta(days=1)).date()
    if kind is DayKind.WORKING:
        assert rc.is_working_day(last, calendar)


# ---- the hall file --------------------------------------------------------------------------


def _hall(review_cases: Any) -> dict[str, Any]:
    data = tomllib.loads(demo_hall_toml(always_open=False))
    data["hall"]["review_cases"] = review_cases
    return data


def test_the_hall_file_sets_each_deadline_and_keeps_the_defaults_of_the_others() -> None:
    assert parse_hall(tomllib.loads(demo_hall_toml(always_open=False))).review_cases == ReviewCaseSettings()
    spec = parse_hall(_hall({"fix": {"days": 15}, "confirm": {"days": 7, "kind": "natural"}}))
    assert spec.review_cases == ReviewCaseSettings(
        contact=Period(1), fix=Period(15), confirm=Period(7, DayKind.NATURAL)
    )


@pytest.mark.parametrize(
    ("value", "key", "words"),
    [
        ({"contacts": {"days": 1}}, "hall.review_cases.contacts", "contact"),
        ({"contact": "1 working day"}, "hall.review_cases.contact", "days = 1"),
        ({"contact": {"days": 0}}, "hall.review_cases.contact.days", "1 到 60"),
        ({"fix": {"days": 61}}, "hall.review_cases.fix.days", "1 到 60"),
        ({"fix": {"days": 91, "kind": "natural"}}, "hall.review_cases.fix.days", "1 到 90"),
        ({"fix": {"days": "5"}}, "hall.review_cases.fix.days", "整数"),
        ({"fix": {"kind": "working"}}, "hall.review_cases.fix.days", "缺少"),
        ({"confirm": {"days": 3, "kind": "weekday"}}, "hall.review_cases.confirm.kind", "natural"),
        ({"confirm": {"days": 3, "unit": "day"}}, "hall.review_cases.confirm.unit", "days"),
        ("quick", "hall.review_cases", "表"),
    ],
    ids=["unknown deadline", "a string", "zero", "too many working", "too many natural", "days as text",
         "no days", "unknown kind", "unknown key", "not a table"],
)  # fmt: skip
def test_a_wrong_deadline_is_refused_naming_its_key(value: Any, key: str, words: str) -> None:
    with pytest.raises(HallConfigError) as caught:
        parse_hall(_hall(value))
    assert caught.value.key == key
    assert words in caught.value.detail


# ---- the order of the records -----------------------------------------------------------------

OPENED = at_shanghai(FRIDAY, 16)
SETTINGS = ReviewCaseSettings()


def opened_case() -> rc.ReviewCase:
    return rc.open_case(7, 1, OPENED, SETTINGS, PLAIN, SHANGHAI)


def test_a_case_goes_contact_reply_confirm_close_with_the_callbacks_clock_from_the_reply() -> None:
    case = opened_case()
    assert (case.contact_due, case.fix_due) == (midnight_after(date(2026, 11, 30)), midnight_after(date(2026, 12, 4)))
    assert case.confirm_due is None
    now = OPENED + timedelta(hours=20)
    case = rc.record_contact(case, now, "电话联系，已致歉", now)
    replied_at = at_shanghai(date(2026, 12, 2), 10)
    case = rc.record_reply(case, replied_at, "已答复", "调整窗口排班", replied_at, SETTINGS, PLAIN, SHANGHAI)
    assert case.confirm_due == midnight_after(date(2026, 12, 7))  # Wed + 3 working days: Mon
    case = rc.record_satisfaction(case, replied_at, True, replied_at)
    case = rc.close_case(case, None, replied_at)
    assert case.state is CaseState.CLOSED
    assert not rc.is_overdue(case, replied_at + timedelta(days=100))
    with pytest.raises(CaseClosed):
        rc.file_appeal(case, "迟来的申诉", replied_at)


def test_steps_out_of_order_are_refused_naming_the_next_one() -> None:
    case = opened_case()
    with pytest.raises(CaseOutOfOrder, match="联系群众"):
        rc.record_reply(case, OPENED, "答复", None, OPENED, SETTINGS, PLAIN, SHANGHAI)
    with pytest.raises(CaseOutOfOrder, match="联系群众"):
        rc.close_case(case, None, OPENED)
    contacted = rc.record_contact(case, OPENED, "已联系", OPENED)
    with pytest.raises(CaseOutOfOrder, match="整改并答复"):
        rc.record_contact(contacted, OPENED, "又联系", OPENED)
    with pytest.raises(CaseOutOfOrder, match="整改并答复"):
        rc.record_satisfaction(contacted, OPENED, True, OPENED)
    with pytest.raises(InvalidInput) as future:
        rc.record_contact(case, OPENED + timedelta(minutes=1), "未来", OPENED)
    assert future.value.extra["field"] == "at"
    with pytest.raises(InvalidInput):
        rc.record_contact(case, OPENED - timedelta(minutes=1), "开单之前", OPENED)


def test_an_upheld_appeal_lets_the_case_close_and_stops_its_clocks() -> None:
    case = rc.file_appeal(opened_case(), "恶意差评", OPENED)
    with pytest.raises(CaseOutOfOrder, match="只能申诉一次"):
        rc.file_appeal(case, "再申诉", OPENED)
    with pytest.raises(CaseOutOfOrder, match="申诉尚未决定"):
        rc.close_case(case, None, OPENED)
    late = OPENED + timedelta(days=10)
    assert rc.is_overdue(case, late), "a pending appeal does not stop the clocks"
    upheld = rc.decide_appeal(case, True, "经核实", late)
    assert upheld.appeal_state is AppealState.UPHELD and not rc.is_overdue(upheld, late)
    with pytest.raises(CaseOutOfOrder, match="没有待决定的申诉"):
        rc.decide_appeal(upheld, False, None, late)
    assert rc.close_case(upheld, "申诉成立", late).state is CaseState.CLOSED
    rejected = rc.decide_appeal(case, False, None, late)
    with pytest.raises(CaseOutOfOrder):
        rc.close_case(rejected, None, late)


def test_deadlines_are_overdue_when_passed_undone_and_late_when_done_after() -> None:
    case = opened_case()
    statuses = rc.deadline_statuses(case, case.contact_due - timedelta(seconds=1))
    assert not any(s.overdue for s in statuses.values())
    statuses = rc.deadline_statuses(case, case.contact_due)
    assert statuses["contact"].overdue and not statuses["fix"].overdue and statuses["confirm"].due is None
    contacted = rc.record_contact(case, case.contact_due + timedelta(hours=1), "晚了", case.fix_due)
    statuses = rc.deadline_statuses(contacted, case.fix_due)
    assert statuses["contact"].late and not statuses["contact"].overdue
    assert statuses["fix"].overdue


# ---- figures ----------------------------------------------------------------------------------


def test_counts_follow_the_definitions() -> None:
    rows: list[dict[str, Any]] = [
        {"level": "very_satisfied", "channel": "pad"},
        {"level": "satisfied", "channel": "phone"},
        {"level": "basic", "channel": "system_default"},
        {"level": None, "channel": None},
        {"level": "dissatisfied", "channel": "pad", "case_id": 1, "replied_at": "x", "fix": "f", "confirmed_at": "y",
         "satisfied": 1},
        {"level": "very_dissatisfied", "channel": "phone", "case_id": 2, "replied_at": "x", "fix": None},
        {"level": "dissatisfied", "channel": "phone", "case_id": 3, "appeal_state": "upheld"},
    ]  # fmt: skip
    counts = Counts()
    for row in rows:
        counts.add(row)
    figures = counts.figures()
    pairs = {name: (f["numerator"], f["denominator"]) for name, f in figures.items()}
    assert pairs == {
        "good_rate": (2, 6),
        "bad_rate": (3, 6),
        "unrated_rate": (2, 7),
        "active_rate": (5, 7),
        "reply_rate": (2, 2),
        "fix_rate": (1, 2),
        "fix_satisfaction_rate": (1, 1),
    }
    assert figures["good_rate"]["rate"] == round(2 / 6, 4)
    assert Counts().figures()["good_rate"] == {"numerator": 0, "denominator": 0, "rate": None}
    assert counts.appeals_upheld == 1


# ---- the cross-record rule ----------------------------------------------------------------


def _state(bad: list[int], cases: list[invariants.ReviewCaseRef]) -> invariants.HallState:
    spec = parse_hall(tomllib.loads(demo_hall_toml(always_open=False)))
    return invariants.HallState(
        hall_id=1,
        open_day="2026-11-27",
        spec=spec,
        tickets=[],
        windows=[],
        visits=[],
        citizen_bad_ratings=bad,
        review_cases=cases,
    )


def _broken(state: invariants.HallState) -> list[str]:
    return [
        v.detail for v in invariants.violations(state) if v.rule == "a_citizens_bad_rating_has_one_case_of_its_hall"
    ]


@pytest.mark.parametrize(
    ("bad", "cases", "words"),
    [
        ([7], [], "has 0 cases"),
        ([7], [invariants.ReviewCaseRef(1, 1, 7, 1), invariants.ReviewCaseRef(2, 1, 7, 1)], "has 2 cases"),
        ([], [invariants.ReviewCaseRef(1, 1, 8, 1)], "no citizen's 差评"),
        ([7], [invariants.ReviewCaseRef(1, 2, 7, 1)], "of hall 1"),
    ],
    ids=["a 差评 without its case", "two cases", "a case of a 好评", "a case of another hall"],
)
def test_every_citizens_bad_rating_has_exactly_one_case_of_its_hall(
    bad: list[int], cases: list[invariants.ReviewCaseRef], words: str
) -> None:
    assert _broken(_state([7], [invariants.ReviewCaseRef(1, 1, 7, 1)])) == []
    broken = _broken(_state(bad, cases))
    assert broken and words in broken[0], broken
