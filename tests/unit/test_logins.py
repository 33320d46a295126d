"""Sign-in rules: the waits after failed attempts, the lock, and when a session lapses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from queue_server.domain import logins
from queue_server.domain.logins import NONE, Failures, Refusal, SessionPolicy, ThrottlePolicy

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
POLICY = ThrottlePolicy(
    free_attempts=5, first_delay=1, max_delay=60, lock_after=10, lock_seconds=900, forget_seconds=900
)
SESSIONS = SessionPolicy(idle_seconds=8 * 3600, max_seconds=12 * 3600, touch_seconds=60)


def failed(times: int, policy: ThrottlePolicy = POLICY, at: datetime = T0) -> Failures:
    """`times` failures, each at `at` (as if none had to wait)."""
    failures = NONE
    for _ in range(times):
        failures = logins.counted(policy, failures, at)
    return failures


@pytest.mark.parametrize(
    ("count", "delay"),
    [(0, 0), (4, 0), (5, 1), (6, 2), (7, 4), (8, 8), (11, 60), (200, 60)],
    ids=["none", "last-free", "first-wait", "doubles", "again", "and-again", "capped", "far-past-the-cap"],
)
def test_the_wait_grows_after_the_free_attempts_up_to_the_cap(count: int, delay: float) -> None:
    assert logins.delay(POLICY, count) == delay


def test_the_wait_counts_from_the_last_failure() -> None:
    failures = failed(6)  # 2 s to wait
    assert logins.wait_seconds(POLICY, failures, T0) == 2
    assert logins.wait_seconds(POLICY, failures, T0 + timedelta(seconds=1.5)) == 0.5
    assert logins.wait_seconds(POLICY, failures, T0 + timedelta(seconds=2)) == 0


def test_the_lock_comes_at_the_tenth_failure_and_holds_even_after_the_wait() -> None:
    assert not logins.is_locked(POLICY, failed(9), T0)
    locked = failed(10)
    assert logins.is_locked(POLICY, locked, T0 + timedelta(minutes=14))
    assert logins.wait_seconds(POLICY, locked, T0) == 900
    assert not logins.is_locked(POLICY, locked, T0 + timedelta(minutes=15))
    # a lock that ended starts the count afresh
    assert logins.current(POLICY, locked, T0 + timedelta(minutes=15)) == NONE


def test_an_address_policy_never_locks() -> None:
    no_lock = ThrottlePolicy(20, 1, 60, lock_after=0, lock_seconds=900, forget_seconds=900)
    assert not logins.is_locked(no_lock, failed(500, no_lock), T0)


def test_old_failures_are_forgotten() -> None:
    failures = failed(7)
    assert logins.current(POLICY, failures, T0 + timedelta(minutes=14)) == failures
    assert logins.current(POLICY, failures, T0 + timedelta(minutes=15)) == NONE
    assert logins.counted(POLICY, failures, T0 + timedelta(minutes=20)).count == 1


def test_a_right_password_takes_back_the_attempt_counted_before_it() -> None:
    assert logins.taken_back(POLICY, failed(1)) == NONE
    assert logins.taken_back(POLICY, failed(7)).count == 6
    # the tenth attempt locked the name before its password was checked: a right one lifts it
    tenth = failed(10)
    assert tenth.locked_until is not None
    assert logins.taken_back(POLICY, tenth).locked_until is None


@given(st.lists(st.floats(min_value=0, max_value=120), max_size=40))
def test_a_key_that_tries_whenever_it_may_is_never_refused_and_waits_never_shrink(gaps: list[float]) -> None:
    """Whatever the pace, an attempt that waited as long as it was told may go ahead,
    and each failure asks for at least as long a wait as the one before (until the
    count is forgotten or the lock ends)."""
    failures, now, last_wait = NONE, T0, 0.0
    for gap in gaps:
        now += timedelta(seconds=gap)
        wait = logins.wait_seconds(POLICY, failures, now)
        now += timedelta(seconds=wait)
        assert logins.wait_seconds(POLICY, failures, now) == 0
        fresh = logins.current(POLICY, failures, now) == NONE
        failures = logins.counted(POLICY, failures, now)
        wait = logins.delay(POLICY, failures.count)
        assert fresh or failures.locked_until is not None or wait >= last_wait
        last_wait = wait


@pytest.mark.parametrize(
    ("signed_in_ago", "used_ago", "expected"),
    [
        (timedelta(hours=1), timedelta(minutes=1), None),
        (timedelta(hours=9), timedelta(hours=7, minutes=59), None),
        (timedelta(hours=9), timedelta(hours=8), Refusal.IDLE),
        (timedelta(hours=12), timedelta(0), Refusal.EXPIRED),
    ],
    ids=["in-use", "idle-not-yet", "idle", "past-the-maximum"],
)
def test_a_session_lapses_when_idle_or_too_old(
    signed_in_ago: timedelta, used_ago: timedelta, expected: Refusal | None
) -> None:
    assert logins.lapsed(SESSIONS, T0 - signed_in_ago, T0 - used_ago, T0) is expected


def test_the_last_use_is_written_at_most_once_a_minute() -> None:
    assert not logins.needs_touch(SESSIONS, T0, T0 + timedelta(seconds=59))
    assert logins.needs_touch(SESSIONS, T0, T0 + timedelta(seconds=60))
