"""The server's own timer: closing service days at their rollover, voiding appointments
whose check-in time ended where late ones are refused, sending on the events that
another process (the command line) wrote to the log, giving up print jobs that no
printer's agent took in time, closing review pads' invitations whose time ran out,
giving the system's 基本满意 to tickets nobody rated within the hall's days (an index
of the unrated finished tickets makes that look cheap every round), raising and clearing the
managers' alerts (`services.alerts`: one open alert per hall, kind and subject, held by the
database), pushing the wait figures that time passing changed (once a minute:
`Realtime.refresh_waits`), and closing the open links whose session or device token another
process ended.

Every server process runs it. All but the last are safe to run in several processes
at once: a day is closed inside a write transaction that first looks whether it still
needs closing, an appointment is voided inside one that reads it booked, relayed events
are claimed inside one, so each goes out exactly once (to every worker's clients,
through the message queue when one is configured), a print job is given up and a pad's
invitation closed by an update that only one still open matches, and a default rating
is given inside a transaction that first looks whether the ticket is still unrated. The
last is every process's own: each round reads the credential-change counter (one row) and, when it moved since the last
round, re-checks the credential of each link this process holds
(`Realtime.close_revoked_links`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from flask_socketio import SocketIO

from queue_server.accounts import Accounts
from queue_server.realtime import Realtime
from queue_server.services import Event, Services

log = logging.getLogger(__name__)


class Jobs:
    def __init__(
        self,
        socketio: SocketIO,
        services: Services,
        accounts: Accounts,
        realtime: Realtime,
        now: Callable[[], datetime],
        interval: float,
    ) -> None:
        self.socketio = socketio
        self.services = services
        self.accounts = accounts
        self._credential_serial: int | None = None  # as last seen; None: not read yet
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
        """One round: close ended service days, void appointments past their check-in time
        (where the hall refuses late ones), relay other processes' events, give up print
        jobs no agent took in time, raise and clear the managers' alerts, publish; close the
        links whose credential was ended since the last round."""
        events = self.services.roll_days(self.now())
        events += self.services.void_late_appointments(self.now())
        events += self.services.take_relayed_events()
        events += self.services.expire_print_jobs(self.now())
        events += self.services.close_timed_out_invitations(self.now())
        events += self.services.give_default_ratings(self.now())
        events += self.services.evaluate_alerts(self.now(), self.realtime.online_devices)
        if events:
            self.realtime.publish(events)
        self.realtime.refresh_waits()
        self.close_revoked_links()
        return events

    def close_revoked_links(self) -> int:
        """When the credential-change counter moved (or on the first round), re-check
        every open link; returns how many were closed."""
        serial = self.accounts.credential_serial()
        if serial == self._credential_serial:
            return 0
        self._credential_serial = serial
        return self.realtime.close_revoked_links()
