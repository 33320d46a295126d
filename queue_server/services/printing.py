"""Printing: the print job written with each ticket issued at a station with a printer,
reprints, the agent's side (its due jobs, its results), the timer's giving up on jobs
no agent took in time, and what staff see of jobs and printers.

A job's changes go out after the commit as `PrintJobNotice`s among the use case's
events: not hall events (no sequence number, never logged or replayed) but the job as
it now stands, which the socket door sends to staff, to the kiosk that issued the
ticket and, for a new job, to the printer's agent (docs/printing.md).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from queue_server import storage
from queue_server.domain import clock, phone, printing
from queue_server.domain.access import DeviceKind, Forbidden, Permission, Principal, require
from queue_server.domain.errors import InvalidInput, InvalidTransition, NotFound
from queue_server.domain.lifecycle import Ticket
from queue_server.domain.printing import JobState
from queue_server.domain.tickets import ACTIVE_STATUSES
from queue_server.services.base import Event, Hall, ServicesBase, Tx
from ticket_printer.ticket import PrintedTicket, TicketPayloadError

log = logging.getLogger(__name__)

OPEN_TICKET = frozenset(status.value for status in ACTIVE_STATUSES)


@dataclass(frozen=True)
class PrintJobNotice(Event):
    """A print job as it now stands, to send after the commit. Not a hall event: `seq`
    is 0 and it is neither logged nor replayed. `deliver`: a new job, for the printer's
    agent too; `kiosk_id`: the kiosk that issued the ticket, told how it printed."""

    printer_id: int = 0
    kiosk_id: int | None = None
    deliver: bool = False


class PrintUseCases(ServicesBase):
    # ---- jobs written by issuing and reprinting ------------------------------------

    def _print_job_for_issue(
        self, tx: Tx, ticket: Ticket, view: dict[str, Any], requested_station: str | None
    ) -> dict[str, Any] | None:
        """The job for a ticket just issued, in the issuing transaction, if its station
        has a printer: else None, and the ticket is issued all the same."""
        station = self._issuing_station(tx, requested_station)
        if station is None:
            return None
        printer = storage.print_jobs.printer_of_station(tx.db, tx.hall.id, station)
        if printer is None:
            log.warning(
                "hall %s: no printer serves station %s; %s not printed", tx.hall.spec.code, station, ticket.number
            )
            return None
        payload = self._payload(tx.hall, ticket, view)
        if payload is None:
            return None
        return self._new_job(tx, ticket, printer, payload, reprint_of=None)

    def _issuing_station(self, tx: Tx, requested: str | None) -> str | None:
        """A kiosk prints at the station it was registered with; staff name theirs."""
        who = tx.who
        if who is None or who.actor is not DeviceKind.KIOSK or who.device_id is None:
            return requested
        own = storage.print_jobs.station_of_device(tx.db, who.device_id)
        if requested is not None and requested != own:
            raise InvalidInput(f"此自助取号机绑定的工位是 {own or '（无）'}，不能在其他工位打印", field="station")
        return own

    def _payload(self, hall: Hall, ticket: Ticket, view: dict[str, Any]) -> dict[str, Any] | None:
        try:
            printed = printing.printed_ticket(
                hall.spec,
                ticket,
                people_ahead=view.get("people_ahead", 0),
                estimated_wait_minutes=view.get("estimated_wait_minutes"),
                phone_url=phone.phone_url(self.public_base_url(), ticket.ref),
            )
        except TicketPayloadError:  # a bug, not the citizen's problem: the ticket stands
            log.exception("hall %s: ticket %s cannot be printed", hall.spec.code, ticket.number)
            return None
        return printed.to_payload()

    def _new_job(
        self, tx: Tx, ticket: Ticket, printer: storage.Row, payload: dict[str, Any], *, reprint_of: int | None
    ) -> dict[str, Any]:
        who = tx.who
        job_id = storage.print_jobs.insert_job(
            tx.db,
            {
                "hall_id": tx.hall.id,
                "ticket_id": ticket.id,
                "printer_id": printer["id"],
                "station": printer["station"],
                "payload": json.dumps(payload, ensure_ascii=False),
                "state": JobState.QUEUED.value,
                "reprint_of": reprint_of,
                "requested_by_user": who.user_id if who else None,
                "requested_by_device": who.device_id if who else None,
                "created_at": tx.at,
                "updated_at": tx.at,
            },
        )
        row = storage.print_jobs.by_id(tx.db, job_id)
        assert row is not None
        notice = _notice(row, tx.now, deliver=True)
        tx.events.append(notice)
        return notice.data["job"]  # type: ignore[no-any-return]

    def _latest_print_job(self, db: sqlite_utils.Database, ticket_id: int) -> dict[str, Any] | None:
        row = storage.print_jobs.latest_for_ticket(db, ticket_id)
        return job_view(row) if row else None

    def reprint_ticket(
        self, principal: Principal | None, hall_code: str, ticket_id: int, station: str | None, now: datetime
    ) -> tuple[dict[str, Any], list[Event]]:
        """A new job for a ticket still open, at `station` or where it last printed. It
        prints what the first job printed (people ahead and wait as of issuing)."""
        with self._writing(hall_code, now, principal, Permission.REPRINT_TICKET) as tx:
            ticket = self._load_ticket(tx.db, tx.hall, ticket_id)
            if not ticket.open:
                raise InvalidTransition(f"票 {ticket.number} 已结束（{ticket.status.value}），无需补打")
            latest = storage.print_jobs.latest_for_ticket(tx.db, ticket.id)
            station = station or (latest["station"] if latest else None)
            if station is None:
                raise InvalidInput(f"票 {ticket.number} 还没有打印过：请指定在哪个工位补打（station）", field="station")
            printer = storage.print_jobs.printer_of_station(tx.db, tx.hall.id, station)
            if printer is None:
                raise printing.NoPrinter(f"工位 {station} 没有登记打印机", field="station")
            if latest is not None:
                payload = json.loads(latest["payload"])
            else:
                payload = self._payload(tx.hall, ticket, self._ticket_view(tx.db, tx.hall, ticket, now))
                if payload is None:
                    raise InvalidTransition(f"票 {ticket.number} 无法打印：详见服务器日志")
            view = self._new_job(tx, ticket, printer, payload, reprint_of=latest["id"] if latest else None)
            return view, tx.events

    # ---- what staff see ------------------------------------------------------------

    def printed_ticket(
        self, principal: Principal | None, hall_code: str, ticket_id: int, now: datetime
    ) -> PrintedTicket:
        """The ticket as it printed: its latest job's paper, reprints included; a ticket
        never printed, as it would print now (the same `_payload`). The desk's preview."""
        with self.store.read() as db:
            hall = self._hall_for(db, hall_code, principal, Permission.VIEW_PRINT_JOBS)
            ticket = self._load_ticket(db, hall, ticket_id)
            latest = storage.print_jobs.latest_for_ticket(db, ticket.id)
            payload = (
                json.loads(latest["payload"])
                if latest
                else self._payload(hall, ticket, self._ticket_view(db, hall, ticket, now))
            )
        if payload is None:
            raise InvalidTransition(f"票 {ticket.number} 无法打印：详见服务器日志")
        return PrintedTicket.from_payload(payload)

    def print_jobs(
        self,
        principal: Principal | None,
        hall_code: str,
        *,
        ticket_id: int | None = None,
        state: JobState | None = None,
        printer_id: int | None = None,
        before: int | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """The hall's print jobs, newest first."""
        with self.store.read() as db:
            hall_id = self._allowed_hall(db, principal, Permission.VIEW_PRINT_JOBS, hall_code)
            rows = storage.print_jobs.listed(
                db,
                hall_id,
                ticket_id=ticket_id,
                state=state.value if state else None,
                printer_id=printer_id,
                before=before,
                limit=limit,
            )
        return [job_view(row) for row in rows]

    def printers(self, principal: Principal | None, hall_code: str) -> list[dict[str, Any]]:
        """The hall's printers: station, last seen, the last state its agent reported, jobs due."""
        with self.store.read() as db:
            hall_id = self._allowed_hall(db, principal, Permission.VIEW_PRINT_JOBS, hall_code)
            rows = storage.print_jobs.printers_of_hall(db, hall_id)
        return [
            {
                "device_id": row["id"],
                "name": row["name"],
                "station": row["station"],
                "last_seen": row["last_seen_at"],
                "last_result": None
                if row["printer_state"] is None
                else {"state": row["printer_state"], "message": row["printer_message"], "at": row["printer_state_at"]},
                "due_jobs": row["due"],
            }
            for row in rows
        ]

    @staticmethod
    def _allowed_hall(db: sqlite_utils.Database, principal: Principal | None, permission: Permission, code: str) -> int:
        """The hall's id, once the caller may use `permission` there: who is asking is
        checked before saying whether the hall exists."""
        row = storage.halls.by_code(db, code)
        require(principal, permission, row["id"] if row else -1)
        if row is None:
            raise NotFound(f"没有编码为 {code!r} 的大厅", field="hall")
        return int(row["id"])

    # ---- the printer's agent -------------------------------------------------------

    def fetch_print_jobs(
        self, principal: Principal | None, now: datetime, *, hall: str | None = None
    ) -> tuple[dict[str, Any], list[Event]]:
        """Every job due for the calling printer, marked sent: what its agent prints when
        it (re)connects. A due job that is too old, or whose ticket is over, ends here
        instead (expired, cancelled) and is not sent. `hall`, if given, must be the
        printer's own."""
        printer = self.printer_principal(principal)
        with self._writing(self._hall_code_of(printer, hall), now, printer, Permission.PRINT_TICKETS) as tx:
            db = tx.db
            send, ended = [], []
            for row in storage.print_jobs.due_for_printer(db, printer.device_id):  # type: ignore[arg-type]
                ending = printing.verdict(
                    clock.parse_iso(row["created_at"]), row["ticket_status"] in OPEN_TICKET, now, self.print_job_max_age
                )
                if ending is None:
                    send.append(row["id"])
                elif storage.print_jobs.give_up(db, row["id"], ending.value, tx.at):
                    ended.append(row["id"])
            sent = storage.print_jobs.mark_sent(db, send, tx.at)
            storage.people.set_device_seen(db, printer.device_id, tx.at, None)  # type: ignore[arg-type]
            rows = storage.print_jobs.by_ids(db, sorted(sent + ended)) if sent or ended else []
            tx.events += [_notice(row, now) for row in rows]
            station = storage.print_jobs.station_of_device(db, printer.device_id)  # type: ignore[arg-type]
            jobs = [job_view(row) for row in rows if row["id"] in sent]
        if ended:
            log.info("printer %s: %d job(s) given up before sending", printer.name, len(ended))
        return {
            "printer": {"device_id": printer.device_id, "name": printer.name, "station": station},
            "jobs": jobs,
            "max_age_seconds": self.print_job_max_age,
        }, tx.events

    def record_print_result(
        self,
        principal: Principal | None,
        job_id: int,
        ok: bool,
        state: JobState,
        message: str | None,
        now: datetime,
        *,
        hall: str | None = None,
    ) -> tuple[dict[str, Any], list[Event]]:
        """The agent's answer for one of its jobs. Recorded once: a job already answered
        keeps its first answer (an agent that lost the acknowledgement sends it again),
        and the answer is also the printer's last known state."""
        printer = self.printer_principal(principal)
        printing.check_result(ok, state)
        with self._writing(self._hall_code_of(printer, hall), now, printer, Permission.PRINT_TICKETS) as tx:
            row = storage.print_jobs.by_id(tx.db, job_id) if 0 < job_id < 2**63 else None
            if row is None or row["printer_id"] != printer.device_id:
                raise NotFound(f"此打印机没有编号为 {job_id} 的打印任务", field="job")
            if JobState(row["state"]) in printing.REPORTED:
                return job_view(row), tx.events
            storage.print_jobs.record_result(tx.db, job_id, state.value, message, tx.at)
            storage.print_jobs.set_printer_state(tx.db, printer.device_id, state.value, message, tx.at)  # type: ignore[arg-type]
            row = storage.print_jobs.by_id(tx.db, job_id)
            assert row is not None
            notice = _notice(row, now)
            tx.events.append(notice)
            return notice.data["job"], tx.events

    def mark_print_jobs_sent(self, job_ids: list[int], now: datetime) -> list[Event]:
        """New jobs just sent to their printer's agent, live: `sent`, one attempt more.
        A job answered meanwhile (a quick agent) keeps its answer."""
        with self.store.write() as db:
            changed = storage.print_jobs.mark_sent(db, job_ids, clock.iso(now))
            rows = storage.print_jobs.by_ids(db, changed) if changed else []
        return [_notice(row, now) for row in rows]

    def expire_print_jobs(self, now: datetime) -> list[Event]:
        """The timer's round: queued jobs no agent took are given up once too old
        (expired) or once their ticket is over (cancelled). Jobs an agent has are judged
        when it reconnects (`fetch_print_jobs`), or answered by it."""
        cutoff = clock.iso(now - timedelta(seconds=self.print_job_max_age))
        with self.store.read() as db:
            if not storage.print_jobs.queued_to_give_up(db, cutoff):
                return []
        with self.store.write() as db:
            ended = []
            for row in storage.print_jobs.queued_to_give_up(db, cutoff):
                state = JobState.EXPIRED if row["ticket_status"] in OPEN_TICKET else JobState.CANCELLED
                if storage.print_jobs.give_up(db, row["id"], state.value, clock.iso(now)):
                    ended.append(row["id"])
            rows = storage.print_jobs.by_ids(db, ended) if ended else []
        return [_notice(row, now) for row in rows]

    @staticmethod
    def printer_principal(principal: Principal | None) -> Principal:
        """The caller, if it is a printer: anything else is refused before a job is looked at."""
        if principal is not None and principal.actor is DeviceKind.PRINTER and principal.device_id is not None:
            return principal
        require(principal, Permission.PRINT_TICKETS, -1)  # raises: 401 for nobody, 403 for the rest
        raise Forbidden("只有打印机设备领取打印任务")  # the operator: it prints nothing

    def _hall_code_of(self, printer: Principal, named: str | None) -> str:
        """The printer's own hall; a hall the agent named must be that one."""
        with self.store.read() as db:
            row = storage.halls.by_id(db, printer.hall_id) if printer.hall_id is not None else None
        if row is None:
            raise NotFound("打印机所属的大厅不存在", field="hall")
        if named is not None and named != row["code"]:
            raise Forbidden("您的账号或设备不属于这个大厅", permission=Permission.PRINT_TICKETS.value)
        return str(row["code"])


def job_view(row: storage.Row) -> dict[str, Any]:
    """A print job as staff, kiosks and agents see it; `ticket` is what the paper says."""
    return {
        "id": row["id"],
        "hall": row["hall"],
        "ticket_id": row["ticket_id"],
        "number": row["number"],
        "station": row["station"],
        "printer": {"device_id": row["printer_id"], "name": row["printer_name"]},
        "state": row["state"],
        "attempts": row["attempts"],
        "revision": row["revision"],
        "message": row["message"],
        "reprint_of": row["reprint_of"],
        "requested_by_user": row["requested_by_user"],
        "requested_by_device": row["requested_by_device"],
        "created_at": row["created_at"],
        "sent_at": row["sent_at"],
        "finished_at": row["finished_at"],
        "updated_at": row["updated_at"],
        "ticket": json.loads(row["payload"]),
    }


def _notice(row: storage.Row, now: datetime, *, deliver: bool = False) -> PrintJobNotice:
    # Only kiosks issue as devices, so a job asked for by a device was asked for by a kiosk.
    return PrintJobNotice(
        hall=row["hall"],
        seq=0,
        type=printing.PRINT_JOB_UPDATED,
        at=clock.iso(now),
        data={"job": job_view(row)},
        printer_id=row["printer_id"],
        kiosk_id=row["requested_by_device"],
        deliver=deliver,
    )
