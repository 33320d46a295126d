"""The socket side of printing: a printer's agent connects with its device token, joins
its device's room and counts as online; it fetches its due jobs, gets each new one live
as `print_job`, and answers each with `print_result`. Every change of a job goes to the
hall's staff (guides, managers, administrators subscribed to the hall, through their
role rooms) and to the kiosk that issued the ticket, as `print_job_updated`.

A new job goes to its printer's room only when the printer is online (on any server
process: the presence store knows), and is marked `sent` then; otherwise it stays
`queued` until the agent connects and fetches it. An agent joins its room and the
presence at connect, before it can fetch, so a job committed at any moment reaches it
one way or the other, at worst both (it drops a job id it already has).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import request
from flask_socketio import SocketIO

from queue_server import inputs
from queue_server.domain import clock
from queue_server.domain.access import Principal, Role
from queue_server.domain.errors import InvalidInput
from queue_server.domain.printing import MAX_MESSAGE, PRINT_JOB, PRINT_JOB_UPDATED, JobState
from queue_server.realtime import rooms
from queue_server.realtime.presence import PresenceStore
from queue_server.services import Event, PrintJobNotice, Services

log = logging.getLogger(__name__)

# client to server (imperative): the agent's two messages
FETCH_PRINT_JOBS = "fetch_print_jobs"
PRINT_RESULT = "print_result"
PRINTING_EVENTS = (FETCH_PRINT_JOBS, PRINT_RESULT)
STAFF = (Role.GUIDE, Role.MANAGER, Role.ADMIN)  # who hears of every job of their hall
MAX_JOB_ID = 2**62
_ABSENT: Any = object()  # a message without a payload (not the same as `null`)


def _payload(data: Any) -> dict[str, Any]:
    return {} if data is _ABSENT else inputs.mapping(data)


class PrinterLinks:
    """Mixed into `Realtime`: the printer agent's handlers, and sending jobs out."""

    socketio: SocketIO
    services: Services
    presence: PresenceStore
    now: Callable[[], datetime]

    # Realtime's own: who sent this message (checked afresh), the acknowledgement, the emit
    _principal: Callable[[], Principal | None]
    _answer: Callable[[Callable[[], Any]], tuple[dict[str, Any], list[Event]]]
    publish: Callable[[list[Event]], None]

    def _register_printing(self) -> None:
        self.socketio.on_event(FETCH_PRINT_JOBS, self._on_fetch_print_jobs)
        self.socketio.on_event(PRINT_RESULT, self._on_print_result)

    def _printer_connected(self, principal: Principal) -> None:
        """A printer's agent is here (in its device's room already): online, seen now."""
        assert principal.device_id is not None and principal.hall_id is not None
        sid = request.sid  # type: ignore[attr-defined]
        hall = self.services.hall_code(principal.hall_id)
        self.presence.join(sid, principal.device_id, hall, None, self.now())
        self.services.record_seen(principal.device_id, self.now(), None)
        log.info("printer %s (device %s) connected", principal.name, principal.device_id)

    def _on_fetch_print_jobs(self, data: Any = _ABSENT) -> dict[str, Any]:
        def run() -> tuple[dict[str, Any], list[Event]]:
            principal = self.services.printer_principal(self._principal())
            args = _payload(data)
            inputs.only(args, {"hall"})
            return self.services.fetch_print_jobs(principal, self.now(), hall=inputs.text(args, "hall", max_length=40))

        answer, events = self._answer(run)
        self.publish(events)
        return answer

    def _on_print_result(self, data: Any = _ABSENT) -> dict[str, Any]:
        def run() -> tuple[dict[str, Any], list[Event]]:
            principal = self.services.printer_principal(self._principal())
            args = _payload(data)
            inputs.only(args, {"hall", "job", "ok", "state", "message"})
            job = inputs.integer(args, "job", 1, MAX_JOB_ID)
            if not isinstance(args.get("ok"), bool):
                raise InvalidInput("缺少字段 ok，或不是 true / false", field="ok")
            state = inputs.choice(args, "state", JobState, required=True)
            message = inputs.text(args, "message", max_length=MAX_MESSAGE)
            return self.services.record_print_result(
                principal,
                job,  # type: ignore[arg-type]
                args["ok"],
                state,  # type: ignore[arg-type]
                message,
                self.now(),
                hall=inputs.text(args, "hall", max_length=40),
            )

        answer, events = self._answer(run)
        self.publish(events)
        return answer

    def _publish_print_job(self, notice: PrintJobNotice) -> None:
        """A job changed (or is new): tell staff and the kiosk; a new one also goes to its
        printer's agent, if online, and is marked sent.

        This runs after the ticket was committed, before its answer: nothing here may turn
        an issued ticket into an error. A job that could not be handed over stays queued,
        and its agent fetches it when it (re)connects."""
        self._tell_staff(notice)
        if not notice.deliver:
            return
        try:
            if not self.presence.links_of([notice.printer_id]).get(notice.printer_id):
                return  # it stays queued: the agent fetches it when it connects
            self.socketio.emit(
                PRINT_JOB, {"hall": notice.hall, "job": notice.data["job"]}, to=rooms.device_room(notice.printer_id)
            )
            # after the emit, not before: the agent's answer does not wait for this write,
            # and a quick answer is never overwritten by it (storage.print_jobs.mark_sent)
            sent = self.services.mark_print_jobs_sent([notice.data["job"]["id"]], self.now())
        except Exception:  # the store busy, the message queue away: the agent will fetch it
            log.exception("print job %s not handed to its printer now", notice.data["job"]["id"])
            return
        for update in sent:
            assert isinstance(update, PrintJobNotice)
            self._tell_staff(update)

    def _tell_staff(self, notice: PrintJobNotice) -> None:
        payload = {"hall": notice.hall, "job": notice.data["job"]}
        to = [rooms.role_room(notice.hall, role.value) for role in STAFF]
        if notice.kiosk_id is not None:
            to.append(rooms.device_room(notice.kiosk_id))
        self.socketio.emit(PRINT_JOB_UPDATED, payload, to=to)

    def printers(self, listed: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Stored printer records with whether each agent is connected now (to any server process)."""
        online = self.presence.links_of([printer["device_id"] for printer in listed])
        now = clock.iso(self.now())
        merged = []
        for printer in listed:
            links = online.get(printer["device_id"], [])
            merged.append({**printer, "online": bool(links), "last_seen": now if links else printer["last_seen"]})
        return merged
