"""Handing memory back to the system after a wave of disconnects.

When screens leave, Python frees their objects, but glibc's malloc keeps the freed
pages of its heaps for the process: a worker that held 5,000 screens stayed at that size
after they left (`python -m bench.broadcast`, docs/operations.md). glibc's
`malloc_trim(0)` gives the free pages back. It walks every heap and holds the hub while
it does (milliseconds, once), so it runs once per wave, not per disconnect: when at
least `threshold` links have closed since the last trim, `delay` seconds after the last
of them closed. Elsewhere than glibc (musl, macOS) there is no such call and this does
nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


def _glibc_malloc_trim() -> Callable[[int], int] | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


MALLOC_TRIM = _glibc_malloc_trim()  # None where the C library has none


class MemoryTrim:
    """Count disconnects; after a wave of them, trim once."""

    def __init__(
        self,
        start_background_task: Callable[..., Any],
        sleep: Callable[[float], Any],
        *,
        threshold: int = 100,
        delay: float = 5.0,
        trim: Callable[[int], int] | None = None,
    ) -> None:
        self._spawn, self._sleep = start_background_task, sleep
        self.threshold, self.delay = threshold, delay
        self._trim = trim or MALLOC_TRIM
        self._closed_since = 0  # links closed since the last trim
        self._last_close = 0.0
        self._waiting = False
        self.trims = 0  # how often it trimmed (for tests and logs)

    def link_closed(self) -> None:
        if self._trim is None or self.threshold <= 0:
            return
        self._closed_since += 1
        self._last_close = time.monotonic()
        if self._closed_since >= self.threshold and not self._waiting:
            self._waiting = True
            self._spawn(self._after_the_wave)

    def _after_the_wave(self) -> None:
        try:
            while (quiet := time.monotonic() - self._last_close) < self.delay:
                self._sleep(self.delay - quiet)  # more links are still closing: wait for the last
            began = time.monotonic()
            assert self._trim is not None
            self._trim(0)
            self.trims += 1
            log.info(
                "gave freed memory back after %d links closed (malloc_trim, %.1f ms)",
                self._closed_since,
                (time.monotonic() - began) * 1000,
            )
            self._closed_since = 0
        finally:
            self._waiting = False
