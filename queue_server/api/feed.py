"""The API's routes for the 好差评 feed: what its outbox holds, its dead letters, and
sending one again. Managers see their hall's records, administrators every hall's (or
one hall's with `?hall=`)."""

from __future__ import annotations

from flask import Blueprint, Response, request

from queue_server import inputs
from queue_server.api import _body, _caller, _ext, _json, _now, _services

DEAD_LETTER_PAGE, DEAD_LETTER_PAGE_MAX = 100, 500


def add_routes(bp: Blueprint) -> None:
    @bp.get("/feed")
    def feed_status() -> Response:
        """Whether the feed is configured, counts by state, the oldest record still
        pending, the last delivery and the last failed attempt."""
        args = dict(request.args)
        inputs.only(args, {"hall"})
        status = _services().feed_status(_caller(), _now(), hall=inputs.text(args, "hall", max_length=40))
        return _json({"sender": _ext()["feed"].describe(), **status})

    @bp.get("/feed/dead-letters")
    def feed_dead_letters() -> Response:
        """Records the platform refused for good, newest first, with its last answer;
        `before` (an id) pages on."""
        args = dict(request.args)
        inputs.only(args, {"hall", "before", "limit"})
        letters, next_before = _services().feed_dead_letters(
            _caller(),
            hall=inputs.text(args, "hall", max_length=40),
            before=inputs.integer(args, "before", 1, 2**62, required=False),
            limit=inputs.integer(args, "limit", 1, DEAD_LETTER_PAGE_MAX, required=False) or DEAD_LETTER_PAGE,
        )
        return _json({"dead_letters": letters, "next_before": next_before})

    @bp.post("/feed/dead-letters/<uint:letter_id>/retry")
    def retry_feed_dead_letter(letter_id: int) -> Response:
        """Send a dead letter again: pending, due now, its backoff started afresh."""
        inputs.only(_body(), set())
        return _json(_services().retry_dead_letter(_caller(), letter_id, _now()))
