"""The API's routes for ratings (好差评, docs/ratings.md).

- `POST /halls/{hall}/ratings`: the window's review pad rates the ticket its window has
  open for rating (device token);
- `POST /t/{ref}/rating`: the citizen's phone rates its own ticket, the reference in the
  address as its credential, throttled as the phone's reads are (`queue_server.phone`);
- `GET /halls/{hall}/ratings`: managers and administrators list the hall's ratings.

Staff never rate (national rule, `domain.ratings`): a signed-in member of staff is
refused on both rating routes, the phone's included, before anything is read.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request, session

from queue_server import inputs
from queue_server.api import _accounts, _body, _ext, _fields, _json, _now, _principal, _publish, _services
from queue_server.api.appointments import _query_args
from queue_server.commands import COMMANDS, MAX_WINDOW
from queue_server.domain import ratings
from queue_server.domain.errors import InvalidInput
from queue_server.domain.ratings import RatingChannel, RatingLevel
from queue_server.realtime import SESSION_TOKEN
from queue_server.services import RatingQuery
from queue_server.services.ratings import DEFAULT_PAGE, MAX_PAGE, decode_cursor

LIST_FIELDS = frozenset({"from", "to", "queue", "window", "clerk", "level", "channel", "limit", "cursor"})
MANY = frozenset({"queue", "level", "channel"})


def add_routes(bp: Blueprint) -> None:
    @bp.post("/halls/<hall>/ratings")
    def submit_rating(hall: str) -> Response:
        """The review pad of a window rates the ticket its window has open for rating."""
        command, principal = COMMANDS["submit_rating"], _principal()
        if principal is not None and (principal.is_staff or principal.operator):
            raise ratings.refuse_staff()  # whatever they sent: the national rule comes first
        result, events = command(_services(), principal, hall, _fields("submit_rating", _body()), _now())
        _publish(events)
        return _json(result, 201)

    @bp.post("/t/<ref>/rating")
    def rate_ticket(ref: str) -> Response:
        """The citizen's phone rates its own ticket once its service finished. Anonymous:
        the reference is the credential; a staff session is refused (national rule)."""
        if SESSION_TOKEN in session and _accounts().resolve(session[SESSION_TOKEN], _now()) is not None:
            raise ratings.refuse_staff()
        principal = _ext()["phone"].admit(ref, request.remote_addr, _now())  # throttled as the phone's reads
        args = _fields("submit_rating", _body(), ticket_ref=ref)
        hall = _services().hall_code(principal.hall_id)
        result, events = COMMANDS["submit_rating"](_services(), principal, hall, args, _now())
        _publish(events)
        return _json(result, 201)

    @bp.get("/halls/<hall>/ratings")
    def list_ratings(hall: str) -> Response:
        """The hall's ratings, newest first, in the shared record shape; filtered by
        service day (`from`, `to`), queue, window, clerk (staff number), level and channel;
        `cursor` (the answer's `next_cursor`) pages on."""
        args = _query_args(request.args, many=MANY)
        inputs.only(args, LIST_FIELDS)
        day_from, day_to = inputs.day(args, "from"), inputs.day(args, "to")
        if day_from is not None and day_to is not None and day_from > day_to:
            raise InvalidInput("from 不能晚于 to：请给出从哪天到哪天", field="to")
        cursor = inputs.text(args, "cursor", max_length=200)
        query = RatingQuery(
            day_from=day_from.isoformat() if day_from else None,
            day_to=day_to.isoformat() if day_to else None,
            queues=tuple(inputs.texts(args, "queue")),
            window=inputs.integer(args, "window", 1, MAX_WINDOW, required=False),
            clerk=inputs.text(args, "clerk", max_length=40),
            levels=tuple(_choices(args, "level", RatingLevel)),
            channels=tuple(_choices(args, "channel", RatingChannel)),
            limit=inputs.integer(args, "limit", 1, MAX_PAGE, required=False) or DEFAULT_PAGE,
            before=decode_cursor(cursor) if cursor else None,
        )
        return _json(_services().ratings(_principal(), hall, query))


def _choices(args: dict[str, Any], key: str, options: type[RatingLevel] | type[RatingChannel]) -> list[str]:
    chosen = []
    for value in inputs.texts(args, key):
        try:
            chosen.append(options(value).value)
        except ValueError:
            allowed = ", ".join(o.value for o in options)
            raise InvalidInput(f"字段 {key} 只能是：{allowed}", field=key) from None
    return chosen
