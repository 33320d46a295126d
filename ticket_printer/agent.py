"""The printer agent's work for one print job: `Agent(output, paper).print_job(payload)`.

The agent runs on the desk or kiosk PC next to the printer. `ServerLink` (and `run`,
which the `ticket-printer` command calls) is its connection to the server: Socket.IO
with the printer's device token, catching up on jobs sent while it was away, calling
`print_job` for each job and sending its result back as `print_result`.

`print_job` never raises for a job or a printer problem: the result says what
happened, in a shape the server stores as the job's state and the desk page shows:

    {"ok": True,  "state": "printed",   "message": "printed"}
    {"ok": False, "state": "paper_out", "message": "the printer at 10.0.0.9:9100 is out of paper"}
    {"ok": False, "state": "offline",   "message": "cannot reach the printer at ...: ..."}
    {"ok": False, "state": "failed",    "message": "the job's ticket is malformed: number: missing"}

`message` is English, for the log and for staff; pages pick their own words by `state`.
"""

from __future__ import annotations

import logging
import queue
import signal
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

import socketio

from ticket_printer.escpos_render import render_escpos
from ticket_printer.layout import Paper
from ticket_printer.outputs import Output, PrinterError
from ticket_printer.ticket import PrintedTicket, TicketPayloadError

logger = logging.getLogger(__name__)

STOP_POLL = 0.2  # seconds: how soon the main thread acts on SIGTERM (`ServerLink._idle`)

JobState = Literal["printed", "paper_out", "offline", "failed"]


class JobResult(TypedDict):
    ok: bool
    state: JobState
    message: str


@dataclass(frozen=True)
class Agent:
    """Prints jobs on one printer. Holds no connection between jobs, so a printer that
    was off for a while needs nothing but the next job."""

    output: Output
    paper: Paper

    def print_job(self, payload: Mapping[str, Any]) -> JobResult:
        """Render the job's ticket (`PrintedTicket.to_payload()`) and send it to the printer."""
        try:
            ticket = PrintedTicket.from_payload(payload)
        except TicketPayloadError as error:
            logger.warning("refused a print job: %s", error)
            return {"ok": False, "state": "failed", "message": f"the job's ticket is malformed: {error}"}
        try:
            status = self.output.send(render_escpos(ticket, self.paper))
        except PrinterError as error:
            logger.warning("ticket %s not printed (%s): %s", ticket.number, error.state, error)
            return {"ok": False, "state": error.state, "message": str(error)}
        if status is None:
            message = f"sent to {self.output.description}, which does not report its status"
        elif status.paper_near_end:
            message = f"printed; {self.output.description} is running out of paper"
        else:
            message = "printed"
        logger.info("ticket %s: %s", ticket.number, message)
        return {"ok": True, "state": "printed", "message": message}


class AgentStopped(Exception):
    """The server will not give this token any jobs (not a printer's token): retrying
    would not help, so the agent stops and says why."""


class ServerLink:
    """The agent's connection to the hall server (docs/printing.md, "The agent").

    It connects with the printer's device token and, on every (re)connect, first sends
    the results the server has not acknowledged yet, then fetches the jobs due for this
    printer (`fetch_print_jobs`); new jobs arrive live as `print_job`. One thread prints
    them, in job order, one at a time, and answers each with `print_result`. Within a run
    a job id is printed once: a job the server sends again (it never heard the result)
    gets its result sent again, never a second ticket. A lost connection is retried
    forever, waiting 1, 2, 4 ... up to `retry_max` seconds between attempts.
    """

    def __init__(
        self,
        server: str,
        token: str,
        agent: Agent,
        *,
        retry_first: float = 1.0,
        retry_max: float = 30.0,
        ack_timeout: float = 10.0,
    ) -> None:
        self.server = server
        self.token = token
        self.agent = agent
        self.retry_first = retry_first
        self.retry_max = retry_max
        self.ack_timeout = ack_timeout
        self.client = self._new_client()
        self.stopping = threading.Event()
        self.stop_requested = False  # set by a signal handler (`request_stop`)
        self.fatal: str | None = None
        self._jobs: queue.PriorityQueue[tuple[int, dict[str, Any]]] = queue.PriorityQueue()
        self._lock = threading.Lock()  # the job ids and results below
        self._sending = threading.Lock()  # one result on the wire at a time
        self._received: set[int] = set()  # every job id taken in this run
        self._results: dict[int, JobResult] = {}  # what each printed job came to
        self._unacknowledged: dict[int, JobResult] = {}  # results the server has not confirmed
        self._refusal: str | None = None  # why the server refused the last connection

    # ---- the connection --------------------------------------------------------------

    def run(self) -> None:
        """Connect, print, reconnect, until `stop()` (or a refusal retrying cannot mend)."""
        printer = threading.Thread(target=self._print_jobs, name="printer", daemon=True)
        printer.start()
        delay = self.retry_first
        try:
            while not self._stopped():
                began = time.monotonic()
                if self._connect():
                    # stopped by the connect's own catch-up (a refusal) before the client
                    # counted itself connected: its `stop()` could not disconnect
                    if self._stopped():
                        break
                    self._idle(None)  # until the connection ends
                    if self._stopped():
                        break
                    if time.monotonic() - began > self.retry_max:
                        delay = self.retry_first  # it had been up a good while: start the waits over
                    logger.warning("lost the server %s; reconnecting in %.0f s", self.server, delay)
                self._idle(delay)
                delay = min(delay * 2, self.retry_max)
        finally:
            self.stop()
            self._jobs.put((-1, {}))  # wakes the printing thread to end
            printer.join(timeout=self.ack_timeout + 10)
        if self.fatal is not None:
            raise AgentStopped(self.fatal)

    def request_stop(self) -> None:
        """For a signal handler: a flag, nothing more. The handler runs on the main thread
        wherever it was interrupted, perhaps inside a lock it holds; `run` does the rest."""
        self.stop_requested = True

    def stop(self) -> None:
        self.stopping.set()
        if self.client.connected:
            self.client.disconnect()

    def _stopped(self) -> bool:
        if self.stop_requested and not self.stopping.is_set():
            logger.info("stopping")
            self.stop()
        return self.stopping.is_set()

    def _idle(self, seconds: float | None) -> None:
        """Wait `seconds` (None: while connected), or until stopped, in short slices. The
        kernel may give SIGTERM to any of the agent's threads; Python runs the handler on
        the main thread when that next runs Python code, so the main thread must never
        block long in a lock (`client.wait()`, `Event.wait()`): it would never see it."""
        deadline = None if seconds is None else time.monotonic() + seconds
        while not self._stopped():
            if seconds is None and not self.client.connected:
                return
            if deadline is not None and time.monotonic() >= deadline:
                return
            time.sleep(STOP_POLL)

    def _connect(self) -> bool:
        self.client = self._new_client()
        self._refusal = None
        logger.info("connecting to %s", self.server)
        try:
            self.client.connect(self.server, auth={"token": self.token}, wait_timeout=self.ack_timeout)
        except socketio.exceptions.ConnectionError as error:
            logger.warning(
                "cannot connect to %s: %s; retrying", self.server, self._refusal or str(error) or type(error).__name__
            )
            return False
        return True

    def _new_client(self) -> socketio.Client:
        client = socketio.Client(reconnection=False)  # reconnecting is ours: forever, with our waits
        client.on("connect", self._on_connect)
        client.on("connect_error", self._on_connect_error)
        client.on("disconnect", self._on_disconnect)
        client.on("print_job", self._on_print_job)
        return client

    def _on_connect(self) -> None:
        logger.info("connected to %s", self.server)
        self.client.start_background_task(self._catch_up)

    def _on_connect_error(self, data: Any = None) -> None:
        message = data.get("message") if isinstance(data, dict) else data
        self._refusal = str(message) if message else None

    def _on_disconnect(self, reason: Any = None) -> None:
        logger.info("disconnected from %s%s", self.server, f" ({reason})" if reason else "")

    def _catch_up(self) -> None:
        """After each connect: the results the server missed, then the jobs due."""
        for job_id, result in self._pending_results():
            self._send_result(job_id, result)
        try:
            answer = self.client.call("fetch_print_jobs", {}, timeout=self.ack_timeout)
        except socketio.exceptions.SocketIOError as error:
            logger.warning("could not fetch the jobs due (%s); reconnecting", type(error).__name__)
            self.client.disconnect()
            return
        if not isinstance(answer, dict) or not answer.get("ok"):
            problem = answer.get("problem", {}) if isinstance(answer, dict) else {}
            detail = problem.get("detail") or repr(answer)
            if problem.get("status") in (401, 403):
                self.fatal = f"the server gives this token no print jobs: {detail}"
                logger.error("%s", self.fatal)
                self.stop()
            else:
                logger.warning("could not fetch the jobs due: %s; reconnecting", detail)
                self.client.disconnect()
            return
        data = answer["data"]
        printer = data.get("printer", {})
        jobs = data.get("jobs", [])
        logger.info(
            "printer %s at station %s: %d job(s) due",
            printer.get("name"),
            printer.get("station"),
            len(jobs),
        )
        for job in jobs:
            self._take(job)

    def _on_print_job(self, data: Any = None) -> None:
        job = data.get("job") if isinstance(data, dict) else None
        if isinstance(job, dict):
            self._take(job)
        else:
            logger.warning("ignored a print_job without a job: %r", data)

    # ---- jobs and results --------------------------------------------------------------

    def _take(self, job: dict[str, Any]) -> None:
        """Queue a job to print, unless this run has it already."""
        job_id = job.get("id")
        if not isinstance(job_id, int) or isinstance(job_id, bool):
            logger.warning("ignored a job without an id: %r", job)
            return
        with self._lock:
            done = self._results.get(job_id)
            if done is None and job_id in self._received:
                return  # waiting or printing now; it will be answered
            if done is None:
                self._received.add(job_id)
        if done is not None:  # printed in this run, and the server did not hear: tell it again
            logger.info("job %s came again: sending its result again, not printing it twice", job_id)
            self._send_result(job_id, done)
            return
        self._jobs.put((job_id, job))

    def _print_jobs(self) -> None:
        """The printing thread: one job at a time, lowest id first, each answered."""
        while True:
            job_id, job = self._jobs.get()
            if job_id < 0:
                return
            try:
                logger.info("job %s: ticket %s", job_id, job.get("number"))
                result = self.agent.print_job(job.get("ticket"))  # type: ignore[arg-type]
                with self._lock:
                    self._results[job_id] = result
                    self._unacknowledged[job_id] = result
                self._send_result(job_id, result)
            finally:
                self._jobs.task_done()  # `_jobs.join()` waits for every job taken to be answered

    def _pending_results(self) -> list[tuple[int, JobResult]]:
        with self._lock:
            return sorted(self._unacknowledged.items())

    def _send_result(self, job_id: int, result: JobResult) -> None:
        """`print_result`; kept to send again after a reconnect unless the server took it
        (or refused it for good: a refusal does not change by repeating it)."""
        message = "".join(ch if ch.isprintable() else " " for ch in result["message"])[:500]
        payload = {"job": job_id, "ok": result["ok"], "state": result["state"], "message": message}
        with self._sending:
            if not self.client.connected:
                return
            try:
                answer = self.client.call("print_result", payload, timeout=self.ack_timeout)
            except socketio.exceptions.SocketIOError as error:
                logger.warning(
                    "result of job %s not delivered (%s); sending it again later", job_id, type(error).__name__
                )
                return
        if isinstance(answer, dict) and answer.get("ok"):
            delivered = True
        else:
            problem = answer.get("problem", {}) if isinstance(answer, dict) else {}
            delivered = isinstance(problem.get("status"), int) and problem["status"] < 500
            logger.error("the server refused the result of job %s: %s", job_id, problem.get("detail") or answer)
        if delivered:
            with self._lock:
                self._unacknowledged.pop(job_id, None)


def run(server: str, token: str, agent: Agent) -> None:
    """Connect to `server` with the printer's device `token` and print its jobs until
    stopped (SIGTERM or Ctrl-C). Raises `AgentStopped` if the server will give this token
    no jobs; every other trouble (server down, a refused or lost connection) is retried."""
    link = ServerLink(server, token, agent)
    previous = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, lambda signum, frame: link.request_stop())
    try:
        link.run()
    except KeyboardInterrupt:
        link.stop()
    finally:
        signal.signal(signal.SIGTERM, previous)
    logger.info("stopped")
