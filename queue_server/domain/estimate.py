"""How long a citizen should expect to wait, from figures the server keeps."""

from __future__ import annotations

import math


def average_handling_minutes(served_today: int, handling_seconds_today: float, configured_minutes: float) -> float:
    """Today's average once a few tickets are done; the hall's configured figure before."""
    if served_today < 3:
        return configured_minutes
    return handling_seconds_today / served_today / 60


def estimate_wait_minutes(people_ahead: int, avg_minutes: float, windows_open: int, windows_total: int) -> int:
    """Whole minutes until this ticket is likely called.

    Counts open windows serving the queue; before any opens, the configured ones, so an
    early-morning ticket still gets an honest figure rather than zero or infinity.
    """
    windows = windows_open if windows_open > 0 else max(windows_total, 1)
    return math.ceil(people_ahead * avg_minutes / windows)
