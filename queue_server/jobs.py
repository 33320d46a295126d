"""The server's own timer: closing service days at their rollover, and sending on the
events that another process (the command line) wrote to the log.

Every server process runs it. Both jobs are safe to run in several processes at once:
a day is closed inside a write transaction that first looks whether it still needs
closing, and relayed events are claimed inside one, so each goes out exactly once (to
every worker's clients, through the message queue when one is configured).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from flask_socketio import SocketIO

from queue_server.realtime import Realtime
from queue_server.services import Event, Services

log = logging.getLogger(__name__)


class Jobs:
    def __init__(
        self,
        socketio: SocketIO,
        services: Services,
        realtime: Realtime,
        now: Callable[[], datetime],
        interval: float,
    ) -> None:
        self.socketio = socketio
        self.services = services
        self.realtime = realtime
        self.now = now
        self.interval = interval
        self._started = False

    def start(self) -> None:
        if not self._started:
            self._started = True
            self.socketio.start_background_task(self._run)

    def _run(self) -> None:
        while True:  # a first round at once: what was written while no server ran goes out now
            try:
                self.tick()
            except Exception:  # the timer must outlive one bad round; the next one retries
                log.exception("background jobs failed")
            self.socketio.sleep(self.interval)

    def tick(self) -> list[Event]:
        """One round: close ended service days, relay other processes' events, publish."""
        events = self.services.roll_days(self.now())
        events += self.services.take_relayed_events()
        if events:
            self.realtime.publish(events)
        return events
