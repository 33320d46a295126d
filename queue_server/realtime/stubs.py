"""`sequence_advanced` stubs, coalesced per room (docs/socket-events.md).

Every subscriber sees every number of its hall's event log: its own events, and for each
event outside its scope a stub that carries only the number, so that it can tell a gap
(hold, then catch up) from an event it was never meant to see. A screen thus got three
messages per call: the call, and stubs for the start and the finish of the service,
which it does not show. On a busy hall most of what a screen or phone receives were
stubs (bench/hall_day.py: 17,389 stubs beside 6,468 calls per screen), and each costs the
worker a send to every link in the room.

So a stub waits up to `delay` seconds in its room's pending range, which the next stub
of the room extends while the numbers follow on (`from` .. `seq`); the range goes out as
one stub `{"hall", "seq", "from"}`, when the delay ends or, first, just before anything
else is sent to that room, so that a room never receives a number after a later one from
this process. A stub of a number that does not follow the pending range's (another server
process published the one between) sends the range first. Delay 0: each stub at once, as
before, without `from`.

A stub whose number is below one already sent to its room goes at once: the room's
subscribers hold that later event until they have it (group commit may publish a batch's
events out of order). With several server processes a subscriber may hold another
process's event for up to `delay`, until this process's range before it arrives.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

Emit = Callable[[dict[str, Any], list[str]], None]  # emit(stub, rooms): once to each link in any of them


class StubRanges:
    """Pending stub ranges per room; `emit` sends one stub to a list of rooms."""

    def __init__(
        self,
        emit: Emit,
        delay: float,
        start_task: Callable[[Callable[[], None]], object],
        sleep: Callable[[float], None],
    ) -> None:
        self._emit = emit
        self.delay = delay
        self._start_task = start_task
        self._sleep = sleep
        self._lock = threading.Lock()  # a green lock under eventlet and gevent (monkey-patched)
        self._pending: dict[str, tuple[str, int, int]] = {}  # room -> (hall, from, seq)
        self._sent: dict[str, int] = {}  # room -> the highest number sent to it whole (`before`)
        self._timer = False  # a flush task is sleeping

    def add(self, hall: str, seq: int, rooms: Iterable[str]) -> None:
        """Event `seq` of `hall` is outside these rooms' scope."""
        if self.delay <= 0:
            self._emit({"hall": hall, "seq": seq}, list(rooms))
            return
        out: list[tuple[str, tuple[str, int, int]]] = []
        with self._lock:
            for room in rooms:
                if self._sent.get(room, seq) > seq:  # a later event is there: its holders wait for this
                    out.append((room, (hall, seq, seq)))
                    continue
                pending = self._pending.get(room)
                if pending is not None and pending[0] == hall and pending[2] + 1 == seq:
                    self._pending[room] = (hall, pending[1], seq)
                    continue
                if pending is not None:  # not next to it: that range goes first
                    out.append((room, pending))
                self._pending[room] = (hall, seq, seq)
            start = not self._timer and bool(self._pending)
            self._timer = self._timer or start
        self._send(out)
        if start:
            self._start_task(self._flush_later)

    def before(self, rooms: Iterable[str], seq: int) -> None:
        """Event `seq` is about to be sent whole to these rooms: their ranges go first."""
        rooms = list(rooms)
        with self._lock:
            for room in rooms:
                self._sent[room] = max(self._sent.get(room, seq), seq)
            out = [(room, self._pending.pop(room)) for room in rooms if room in self._pending]
        self._send(out)

    def flush(self) -> None:
        """Every pending range, now."""
        with self._lock:
            out, self._pending = list(self._pending.items()), {}
        self._send(out)

    def _flush_later(self) -> None:
        try:
            self._sleep(self.delay)
        finally:
            with self._lock:
                self._timer = False
            self.flush()

    def _send(self, ranges: list[tuple[str, tuple[str, int, int]]]) -> None:
        """Rooms with the same range get it in one emit: a link in several of them (a
        zone's screen, in its zone's room and the hall's) receives it once."""
        together: dict[tuple[str, int, int], list[str]] = {}
        for room, pending in ranges:
            together.setdefault(pending, []).append(room)
        for (hall, first, last), rooms in together.items():
            stub: dict[str, Any] = {"hall": hall, "seq": last}
            if first != last:
                stub["from"] = first
            self._emit(stub, rooms)
