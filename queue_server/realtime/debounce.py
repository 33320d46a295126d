"""The wait figures' push, coalesced: at most one prediction per hall per interval.

Playing a hall forward (`services.estimates.hall_predictions`) costs milliseconds for a
few hundred waiting tickets and grows with the line, and a burst of issues at the desks
changes the figures many times a second. So `publish` does not play the hall itself: it
marks the hall due, and one background task plays every due hall `WAIT_PUSH_DELAY`
seconds later, once, however many writes came meanwhile (docs/estimates.md). The
request that wrote never pays for it; the figures reach the phones and kiosks at most
that much later.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

log = logging.getLogger(__name__)


class Debounced:
    """Calls `push(halls)` with the halls marked due, from a background task started by
    `start_task` and sleeping with `sleep`, `delay` seconds after the first mark and again
    while more come. `delay` 0: at once, in the caller (on its own time)."""

    def __init__(
        self,
        push: Callable[[set[str]], None],
        delay: float,
        start_task: Callable[[Callable[[], None]], object],
        sleep: Callable[[float], None],
    ) -> None:
        self._push = push
        self.delay = delay
        self._start_task = start_task
        self._sleep = sleep
        self._lock = threading.Lock()  # monkey-patched under eventlet and gevent: a green lock there
        self._due: set[str] = set()
        self._running = False
        self._closed = False  # `close()`d: marks are dropped, the task ends without a round
        self._settled = threading.Condition(self._lock)

    def mark(self, halls: Iterable[str]) -> None:
        """These halls changed: their figures go out within `delay` seconds."""
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
        try:
            while True:
                self._sleep(self.delay)
                with self._lock:
                    halls, self._due = self._due, set()
                    if not halls or self._closed:
                        self._running = False
                        self._settled.notify_all()
                        return
                try:
                    self._push(halls)
                except Exception:  # a failed round must not stop the next ones
                    log.exception("wait figures of halls %s not pushed", sorted(halls))
        except BaseException:
            with self._lock:
                self._running = False
                self._settled.notify_all()
            raise

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
