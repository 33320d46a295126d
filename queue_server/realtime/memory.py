"""Handing memory back to the system after a wave of links opening or closing.

A closed link's objects do not all go when it closes: most of a link's records (its
WSGI environ, Flask's request for each of its events, Engine.IO's socket, its green
threads' events and queues) sit in reference cycles, which only the cycle collector
frees, and after a wave of disconnects nothing allocates enough to start a full
collection: 30 s after 1,000 screens left, 30.7 MiB of their Python objects were still
there, every one of them garbage (`python -m bench.memory_sites`). And what Python does
free, glibc's malloc keeps for the process as free heap pages. So after a wave, once:
`gc.collect()`, then glibc's `malloc_trim(0)`, which gives the free pages back.

A wave of links opening leaves the same behind: every screen reconnecting at once after
a restart builds its subscription's snapshot, a request per event, their cycles, and
the heap stays at the storm's height once they are answered. So a wave is links opened
or closed, counted together.

Both calls hold the hub while they run (milliseconds to tens of them, logged), so this
runs once per wave, not per link: when at least `threshold` links have opened or closed
since the last time, `delay` seconds after the last of them. Elsewhere than glibc (musl,
macOS) there is no trim, and the collection alone runs.

Under jemalloc (`serve --allocator jemalloc`) glibc's trim has nothing to do: the trim is
jemalloc's own, the hub thread's cache of freed blocks flushed, then every arena's unused
pages purged. Left to itself jemalloc returns them over its decay time, but only as the
process goes on allocating: a worker gone quiet after a wave kept them. Six waves of
5,000 screens in a row left it at 103–104 MiB (1.2x idle) after three and 181–260 MiB
after the other three, 30 s after each; with the purge, at 99–102 MiB after every one.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
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


# MALLCTL_ARENAS_ALL in jemalloc's header: "arena.<i>.purge" for every arena at once
_ALL_ARENAS = 4096


def _jemalloc_purge() -> Callable[[int], int] | None:
    """jemalloc's trim, where jemalloc is the process's malloc (preloaded): None elsewhere."""
    try:
        mallctl = ctypes.CDLL(None).mallctl  # a symbol of the process: jemalloc's, if loaded
    except (OSError, AttributeError):
        return None
    mallctl.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]
    mallctl.restype = ctypes.c_int
    purge = f"arena.{_ALL_ARENAS}.purge".encode()

    def trim(pad: int) -> int:
        """As `malloc_trim`: 1 when pages went back (here: when both calls succeeded)."""
        flushed = mallctl(b"thread.tcache.flush", None, None, None, 0)  # 0 on success
        purged = mallctl(purge, None, None, None, 0)
        return int(flushed == 0 and purged == 0)

    return trim


# None where the C library has no trim and jemalloc is not loaded
MALLOC_TRIM = _jemalloc_purge() or _glibc_malloc_trim()


class MemoryTrim:
    """Count links opening and closing; after a wave of them, collect and trim once."""

    def __init__(
        self,
        start_background_task: Callable[..., Any],
        sleep: Callable[[float], Any],
        *,
        threshold: int = 100,
        delay: float = 5.0,
        trim: Callable[[int], int] | None = None,
        collect: Callable[[], int] = gc.collect,
    ) -> None:
        self._spawn, self._sleep = start_background_task, sleep
        self.threshold, self.delay = threshold, delay
        self._trim = trim or MALLOC_TRIM
        self._collect = collect
        self._changes = 0  # links opened or closed since the last trim
        self._last_change = 0.0
        self._waiting = False
        self.trims = 0  # how many waves it collected and trimmed after (for tests and logs)

    def link_opened(self) -> None:
        self._changed()

    def link_closed(self) -> None:
        self._changed()

    def _changed(self) -> None:
        if self.threshold <= 0:
            return
        self._changes += 1
        self._last_change = time.monotonic()
        if self._changes >= self.threshold and not self._waiting:
            self._waiting = True
            self._spawn(self._after_the_wave)

    def _after_the_wave(self) -> None:
        try:
            while (quiet := time.monotonic() - self._last_change) < self.delay:
                self._sleep(self.delay - quiet)  # links are still coming or going: wait for the last
            began = time.monotonic()
            freed = self._collect()
            collected = time.monotonic()
            if self._trim is not None:
                self._trim(0)
            self.trims += 1
            log.info(
                "gave freed memory back after %d links opened or closed: %d objects in cycles collected (%.1f ms),"
                " trimmed (%.1f ms)",
                self._changes,
                freed,
                (collected - began) * 1000,
                (time.monotonic() - collected) * 1000,
            )
            self._changes = 0
        finally:
            self._waiting = False
