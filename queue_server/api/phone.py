"""The API's route for citizens' phones: a ticket's progress by its public reference.

Anonymous on purpose: the reference in the address is the credential (docs/phone.md), and
whoever else the caller may be (a signed-in browser, a device) changes nothing in the
answer. The throttle and the look-up are `queue_server.phone`'s.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from queue_server import inputs
from queue_server.api import _ext, _json, _now


def add_routes(bp: Blueprint) -> None:
    @bp.get("/t/<ref>")
    def ticket_progress(ref: str) -> Response:
        """Where the ticket stands: its number, queue, status, window when called, people
        ahead and estimated wait while it waits. 404 for a reference that names no ticket
        (or is none), 429 when this address or this ticket asks too often."""
        inputs.only(dict(request.args), set())
        return _json(_ext()["phone"].progress(ref, request.remote_addr, _now()))
