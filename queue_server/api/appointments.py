"""The API's routes for finding tickets and for appointments (预约).

Finding tickets takes its filters from the address (`GET …/tickets`), except a citizen's
ID number: an address is written to access logs and browser histories, so the ID number
goes in the body of `POST …/tickets/search` and is hashed before it is looked up.
Appointments are pushed by the booking platform (`POST …/appointments`, idempotent by
their booking reference), listed per day, checked in (`…/check-in`, which issues the
ticket) and cancelled (`…/cancel`, as tickets are: the record stays, cancelled).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request
from werkzeug.datastructures import MultiDict

from queue_server import inputs
from queue_server.api import _body, _fields, _json, _now, _principal, _publish, _services
from queue_server.commands import COMMANDS, MAX_WINDOW
from queue_server.domain import search
from queue_server.domain.errors import InvalidInput
from queue_server.domain.search import Cursor, TicketSearch
from queue_server.services import BookingRequest

SEARCH_FIELDS = frozenset({"status", "queue", "number", "window", "day", "limit", "cursor"})
MANY = frozenset({"status", "queue"})  # filters that take several values
BOOKING_FIELDS = frozenset(
    {"reference", "service_day", "slot_start", "slot_end", "queue", "item", "bundle", "citizen_ref", "id_number"}
)
REPLAYED = {"Idempotent-Replayed": "true"}


def add_routes(bp: Blueprint) -> None:
    @bp.get("/halls/<hall>/tickets")
    def find_tickets(hall: str) -> Response:
        if "id_number" in request.args:
            raise InvalidInput(
                "证件号码不能放在地址中（地址会被记入日志）：请用 POST /api/v1/halls/{大厅}/tickets/search，"
                "把 id_number 放在请求体中",
                field="id_number",
            )
        query = _ticket_search(_query_args(request.args, many=MANY))
        return _json(_services().find_tickets(_principal(), hall, query, _now()))

    @bp.post("/halls/<hall>/tickets/search")
    def search_tickets(hall: str) -> Response:
        """The same search with the filters in the body, where the ID number may go."""
        args = _body()
        inputs.only(args, SEARCH_FIELDS | {"id_number"})
        id_number = inputs.text(args, "id_number", max_length=40)
        query = _ticket_search({k: v for k, v in args.items() if k != "id_number"})
        return _json(_services().find_tickets(_principal(), hall, query, _now(), id_number=id_number))

    @bp.post("/halls/<hall>/appointments")
    def book_appointment(hall: str) -> Response:
        args = _body()
        inputs.only(args, BOOKING_FIELDS)
        booking = BookingRequest(
            reference=inputs.text(args, "reference", max_length=64, required=True),  # type: ignore[arg-type]
            service_day=inputs.day(args, "service_day", required=True),  # type: ignore[arg-type]
            slot_start=inputs.clock_time(args, "slot_start", required=True),  # type: ignore[arg-type]
            slot_end=inputs.clock_time(args, "slot_end", required=True),  # type: ignore[arg-type]
            queue=inputs.text(args, "queue", max_length=40),
            item=inputs.text(args, "item", max_length=40),
            bundle=inputs.text(args, "bundle", max_length=40),
            citizen_ref=inputs.text(args, "citizen_ref", max_length=64),
            id_number=inputs.text(args, "id_number", max_length=40),
        )
        result, events = _services().book_appointment(_principal(), hall, booking, _now())
        _publish(events)
        replayed = result.pop("replayed", False)
        return _json(result, 200, REPLAYED) if replayed else _json(result, 201)

    @bp.get("/halls/<hall>/appointments")
    def list_appointments(hall: str) -> Response:
        args = _query_args(request.args, many=frozenset())
        inputs.only(args, {"day"})
        return _json(_services().appointments(_principal(), hall, inputs.day(args, "day"), _now()))

    @bp.get("/halls/<hall>/appointments/<reference>")
    def appointment(hall: str, reference: str) -> Response:
        return _json(_services().appointment(_principal(), hall, reference, _now()))

    @bp.post("/halls/<hall>/appointments/<reference>/check-in")
    def check_in_appointment(hall: str, reference: str) -> Response:
        args = _fields("check_in_appointment", _body(), reference=reference)
        result, events = COMMANDS["check_in_appointment"](_services(), _principal(), hall, args, _now())
        _publish(events)
        replayed = result.pop("replayed", False)
        return _json(result, 200, REPLAYED) if replayed else _json(result, 201)

    @bp.post("/halls/<hall>/appointments/<reference>/cancel")
    def cancel_appointment(hall: str, reference: str) -> Response:
        args = _body()
        inputs.only(args, {"reason"})
        reason = inputs.text(args, "reason", max_length=200)
        result, events = _services().cancel_appointment(_principal(), hall, reference, reason, _now())
        _publish(events)
        return _json(result)


def _query_args(args: MultiDict[str, str], *, many: frozenset[str]) -> dict[str, Any]:
    """An address's query as a command's fields: several values only where a filter
    takes several; a second value elsewhere is refused rather than silently dropped."""
    read: dict[str, Any] = {}
    for key in args:
        values = args.getlist(key)
        if key in many:
            read[key] = values
        elif len(values) > 1:
            raise InvalidInput(f"参数 {key} 只能给一个值", field=key)
        else:
            read[key] = values[0]
    return read


def _ticket_search(args: dict[str, Any]) -> TicketSearch:
    inputs.only(args, SEARCH_FIELDS)
    cursor = inputs.text(args, "cursor", max_length=400)
    number = inputs.ticket_number(args, "number") if args.get("number") is not None else None
    return TicketSearch(
        statuses=search.statuses(inputs.texts(args, "status")),
        queues=search.queue_codes(inputs.texts(args, "queue")),
        number=number,
        window=inputs.integer(args, "window", 1, MAX_WINDOW, required=False),
        day=inputs.day(args, "day"),
        limit=inputs.integer(args, "limit", 1, search.MAX_LIMIT, required=False) or search.DEFAULT_LIMIT,
        after=Cursor.decode(cursor) if cursor else None,
    )
