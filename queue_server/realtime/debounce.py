"""The wait figures' push, coalesced: at most one prediction per hall per interval.

Playing a hall forward (`services.estimates.hall_predictions`) costs milliseconds for a
few hundred waiting tickets and grows with the line, and a burst of issues at the desks
changes the figures many times a second. So `publish` does not play the hall itself: it
marks the hall due, and one background task plays every due hall `WAIT_PUSH_DELAY`
seconds later, once, however many writes came meanwhile (docs/estimates.md). The
request that wrote never pays for it; the figures reach the phones and kiosks at most
that much later.

A round's play runs on the hub and grows with the line, so the next round waits at least
`(1 - share) / share` times as long as the last one took (`MAX_SHARE`): however long the
line, the rounds take at most that share of the hub's time while writes keep coming, and
calls and screens keep the rest. A hall of a few hundred waiting tickets plays in a few
milliseconds and never reaches the bound; a line of thousands has its figures pushed
less often, but at least every `max_pause` seconds: a ticket issued takes its printed
figure from the last play only while that play is fresh (`ISSUE_FIGURE_MAX_AGE`), and
plays the hall itself, on the writer's time, once it is not (docs/estimates.md).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

log = logging.getLogger(__name__)

MAX_SHARE = 0.1  # of the hub's time, the rounds take at most this much under a steady stream of writes


class Debounced:
    """Calls `push(halls)` with the halls marked due, from a background task started by
    `start_task` and sleeping with `sleep`, `delay` seconds after the first mark and again
    while more come, or longer after a long round (`max_share`, timed with `clock`) but
    never more than `max_pause` (None: no bound). `delay` 0: at once, in the caller (on
    its own time)."""

    def __init__(
        self,
        push: Callable[[set[str]], None],
        delay: float,
        start_task: Callable[[Callable[[], None]], object],
        sleep: Callable[[float], None],
        *,
        max_share: float = MAX_SHARE,
        max_pause: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 0 < max_share <= 1:
            raise ValueError(f"max_share must be in (0, 1], not {max_share!r}")
        self._push = push
        self.delay = delay
        self._start_task = start_task
        self._sleep = sleep
        self._rest_per_second = (1 - max_share) / max_share  # seconds slept per second of a round
        self._max_pause = max_pause
        self._clock = clock
        self._lock = threading.Lock()  # monkey-patched under eventlet and gevent: a green lock there
        self._due: set[str] = set()
        self._running = False
        self._closed = False  # `close()`d: marks are dropped, the task ends without a round
        self._settled = threading.Condition(self._lock)

    def mark(self, halls: Iterable[str]) -> None:
        """These halls changed: their figures go out within `delay` seconds, or within
        the pause a long last round set (`max_share`)."""
        halls = set(halls)
        if not halls or self._closed:
            return
        if self.delay <= 0:
            self._push(halls)
            return
        with self._lock:
            self._due |= halls
            if self._running:
                return  # the running task takes them in its next round
            self._running = True
        self._start_task(self._run)

    def _run(self) -> None:
        """Sleep, push what is due, and again until a whole interval passes without a mark."""
        pause = self.delay
        try:
            while True:
                self._sleep(pause)
                with self._lock:
                    halls, self._due = self._due, set()
                    if not halls or self._closed:
                        self._running = False
                        self._settled.notify_all()
                        return
                started = self._clock()
                try:
                    self._push(halls)
                except Exception:  # a failed round must not stop the next ones
                    log.exception("wait figures of halls %s not pushed", sorted(halls))
                pause = self._pause_after(self._clock() - started)
        except BaseException:
            with self._lock:
                self._running = False
                self._settled.notify_all()
            raise

    def _pause_after(self, round_seconds: float) -> float:
        """The sleep before the next round, after one that took `round_seconds`."""
        rest = round_seconds * self._rest_per_second
        if self._max_pause is not None:
            rest = min(rest, self._max_pause)
        return max(self.delay, rest)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every hall marked so far has been pushed and the task has stopped;
        False if `timeout` passed first (tests wait on this, never sleep for the push)."""
        with self._lock:
            return self._settled.wait_for(lambda: not self._running, timeout)

    def close(self, timeout: float = 5.0) -> bool:
        """The server stops: figures marked due are dropped (the store they are read from
        closes next), and a round under way is waited for; False if it outlasted `timeout`."""
        with self._lock:
            self._closed = True
            self._due = set()
        return self.wait_idle(timeout)
