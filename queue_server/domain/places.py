"""A ticket's place in line, as an exact key: no float epsilons.

A place is a string of decimal digits compared as text (SQLite's BINARY collation, and
Python's `<`). A newly issued ticket's place is its issue instant in microseconds
(16 digits) followed by the hall's event sequence number (12 digits), so two tickets
issued in the same microsecond still have distinct places. A ticket that goes back in
line between two others (a no-show requeued after N places) gets a key strictly between
theirs (`between`), made by appending digits: there is always room, and the order of
every other ticket is untouched. The two must be neighbours among every place of the
day, not only among those waiting in that line, or two tickets could get one key.
Generated keys never end in "0", which keeps room on both sides of every key.
"""

from __future__ import annotations

from datetime import datetime

_WIDTH_MICROS = 16
_WIDTH_SEQ = 12


def issued_place(issued_at: datetime, seq: int) -> str:
    """The place of a ticket issued at `issued_at` whose issue event has number `seq`."""
    micros = round(issued_at.timestamp() * 1_000_000)
    if not 0 <= micros < 10**_WIDTH_MICROS or not 0 <= seq < 10**_WIDTH_SEQ:
        raise ValueError(f"cannot place a ticket issued at {issued_at} with sequence {seq}")
    return f"{micros:0{_WIDTH_MICROS}d}{seq:0{_WIDTH_SEQ}d}"


def between(before: str, after: str | None) -> str:
    """A key strictly after `before` and strictly before `after` (None: the end of the line)."""
    _check(before)
    if after is None:
        return before + "5"
    _check(after)
    if not before < after:
        raise ValueError(f"no place between {before!r} and {after!r}: they are not in order")
    common = 0
    while common < len(before) and before[common] == after[common]:
        common += 1
    if common == len(before):
        # `before` is a prefix of `after`: extend it with digits that sort below the rest
        rest = after[common:]
        if not rest.strip("0"):
            if len(rest) == 1:
                raise ValueError(f"no place between {before!r} and {after!r}")
            return before + rest[:-1]  # a shorter run of zeros sorts between the two
        first = next(i for i, digit in enumerate(rest) if digit != "0")
        digit = int(rest[first])
        tail = str(digit // 2) if digit >= 2 else "05"
        return before + rest[:first] + tail
    low, high = int(before[common]), int(after[common])
    if high - low >= 2:
        return before[:common] + str((low + high) // 2)
    # adjacent digits: keep `before`'s digit and go past the rest of `before`
    return before + "5"


def _check(key: str) -> None:
    if not key or not key.isascii() or not key.isdigit():
        raise ValueError(f"a place is a non-empty string of digits, not {key!r}")
