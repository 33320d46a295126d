"""The printer agent's work for one print job: `Agent(output, paper).print_job(payload)`.

The agent runs on the desk or kiosk PC next to the printer. The connection to the
server (Socket.IO with the printer's device token, catching up on jobs sent while
it was away) calls `print_job` for each job and sends its result back as the
acknowledgement; that connection lives outside this module, in `run`.

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
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

from ticket_printer.escpos_render import render_escpos
from ticket_printer.layout import Paper
from ticket_printer.outputs import Output, PrinterError
from ticket_printer.ticket import PrintedTicket, TicketPayloadError

logger = logging.getLogger(__name__)

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


def run(server: str, token: str, agent: Agent) -> None:
    """Connect to `server` with the printer's device `token` and print its jobs until
    stopped. The Socket.IO side is built with the server's print-job protocol."""
    raise NotImplementedError(
        "connecting to the server is not built yet; use --test-page to check the printer meanwhile"
    )
