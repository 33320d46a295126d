"""Sign-in rules: how long a user name or a client address must wait after failed
sign-ins, when a user name is locked, and when a signed-in session has lapsed.

Failures are counted per key (a user name, or a client address). The first
`free_attempts` cost nothing; after that, each further attempt must wait
`first_delay`, then twice that, and so on up to `max_delay`, counted from the last
failure. At `lock_after` failures (0: never) the key is locked for `lock_seconds`: every
attempt is refused, a right password too, until the lock ends or an administrator lifts
it. Failures older than `forget_seconds` are forgotten, and so is the count when a lock
ends. The server counts an attempt *before* it checks the password (so that attempts
sent at once cannot slip past the count together) and takes it back when the password
was right.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


@dataclass(frozen=True)
class ThrottlePolicy:
    free_attempts: int
    first_delay: float  # seconds
    max_delay: float  # seconds
    lock_after: int  # failures that lock the key; 0: never locked
    lock_seconds: float
    forget_seconds: float


@dataclass(frozen=True)
class Failures:
    """The failed sign-ins counted against one key."""

    count: int = 0
    last_at: datetime | None = None
    locked_until: datetime | None = None


NONE = Failures()


def current(policy: ThrottlePolicy, failures: Failures, now: datetime) -> Failures:
    """What still counts at `now`: a lock that ended and failures long past are dropped."""
    if failures.locked_until is not None:
        return failures if now < failures.locked_until else NONE
    if failures.last_at is None or now - failures.last_at >= timedelta(seconds=policy.forget_seconds):
        return NONE
    return failures


def delay(policy: ThrottlePolicy, count: int) -> float:
    """Seconds the next attempt waits after `count` failures (0 within the free attempts)."""
    if count < policy.free_attempts:
        return 0.0
    steps = count - policy.free_attempts
    if steps >= 64:  # 2**64 seconds is past any cap; keep the float finite
        return policy.max_delay
    return float(min(policy.first_delay * 2**steps, policy.max_delay))


def is_locked(policy: ThrottlePolicy, failures: Failures, now: datetime) -> bool:
    locked_until = current(policy, failures, now).locked_until
    return locked_until is not None and now < locked_until


def wait_seconds(policy: ThrottlePolicy, failures: Failures, now: datetime) -> float:
    """How long from `now` until the key may try again; 0: it may try now."""
    failures = current(policy, failures, now)
    if failures.locked_until is not None:
        return (failures.locked_until - now).total_seconds()
    if failures.last_at is None:
        return 0.0
    ready = failures.last_at + timedelta(seconds=delay(policy, failures.count))
    return max(0.0, (ready - now).total_seconds())


def counted(policy: ThrottlePolicy, failures: Failures, now: datetime) -> Failures:
    """One more failure at `now` (counted before the password is checked)."""
    failures = current(policy, failures, now)
    count = failures.count + 1
    locked_until = failures.locked_until
    if locked_until is None and policy.lock_after and count >= policy.lock_after:
        locked_until = now + timedelta(seconds=policy.lock_seconds)
    return Failures(count, now, locked_until)


def taken_back(policy: ThrottlePolicy, failures: Failures) -> Failures:
    """The attempt counted before the check had the right password after all: one failure
    fewer, and no lock that this attempt alone brought. The time of the last failure
    stays, which only ever makes the next wait shorter than a real failure would."""
    count = failures.count - 1
    if count <= 0:
        return NONE
    locked = policy.lock_after and count >= policy.lock_after
    return Failures(count, failures.last_at, failures.locked_until if locked else None)


class Refusal(StrEnum):
    """Why a session no longer stands."""

    REVOKED = "revoked"  # signed out, or ended by a change to the account
    DISABLED = "disabled"
    IDLE = "idle"
    EXPIRED = "expired"  # past the absolute maximum


class Revocation(StrEnum):
    """Why a session was ended on the server, as stored with it."""

    SIGNED_OUT = "signed_out"
    PASSWORD_CHANGED = "password_changed"
    ROLE_CHANGED = "role_changed"
    DISABLED = "disabled"


@dataclass(frozen=True)
class SessionPolicy:
    idle_seconds: float  # a session not used for this long lapses
    max_seconds: float  # and none lasts longer than this from sign-in
    touch_seconds: float  # the last-seen time is written at most this often per session


def lapsed(policy: SessionPolicy, created_at: datetime, last_seen_at: datetime, now: datetime) -> Refusal | None:
    """Whether a session that was not revoked still stands at `now`. The last-seen time is
    written at most every `touch_seconds`, so the idle limit holds to within that."""
    if now - created_at >= timedelta(seconds=policy.max_seconds):
        return Refusal.EXPIRED
    if now - last_seen_at >= timedelta(seconds=policy.idle_seconds):
        return Refusal.IDLE
    return None


def needs_touch(policy: SessionPolicy, last_seen_at: datetime, now: datetime) -> bool:
    return now - last_seen_at >= timedelta(seconds=policy.touch_seconds)
