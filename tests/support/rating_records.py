"""Rating records of the shared shape (/work/notes/record-shape.md, `services`), made up
for the feed's tests and bench until the ratings themselves exist, and a way to queue
them as the ratings' use case will: `enqueue` inside a write transaction."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from queue_server import storage
from queue_server.domain import clock, review_feed

LEVELS = review_feed.LEVELS


def record(number: int, *, hall: str = "demo", at: datetime | None = None, **changes: Any) -> dict[str, Any]:
    """The `number`-th made-up rating: levels and channels taken in turn."""
    finished = at or datetime.fromisoformat("2026-11-23T02:30:00+00:00")
    issued = finished - timedelta(minutes=30)
    called = issued + timedelta(minutes=12, seconds=number % 60)
    started = called + timedelta(seconds=40)
    base: dict[str, Any] = {
        "id": number,
        "key": f"{hall}-rating-{number}",
        "hall": hall,
        "ticket_ref": f"{number:032x}",
        "ticket_number": f"A{number % 1000:03d}",
        "service_day": "2026-11-23",
        "queue": "household",
        "items": ["hk-01"],
        "window": 1 + number % 5,
        "clerk_number": "C001",
        "channel": review_feed.CHANNELS[number % 3],
        "level": LEVELS[number % 5],
        "reasons": ["服务态度"] if number % 5 >= 3 else [],
        "text": f"第{number}条评价" if number % 2 else None,
        "system_default": number % 3 == 2,
        "issued_at": issued.isoformat(),
        "called_at": called.isoformat(),
        "started_at": started.isoformat(),
        "finished_at": finished.isoformat(),
        "rated_at": (finished + timedelta(minutes=1)).isoformat(),
        "wait_seconds": int((called - issued).total_seconds()),
        "handling_seconds": int((finished - started).total_seconds()),
    }
    return {**base, **changes}


def enqueue_records(
    store: storage.Storage,
    numbers: range | list[int],
    *,
    queued_at: datetime | None = None,
    codes: review_feed.FeedCodes | None = None,
    **changes: Any,
) -> dict[str, dict[str, Any]]:
    """Queue the records `numbers` in one write transaction (at `queued_at`, default now),
    as a rating's use case does with its own rows; returns key -> the body queued."""
    codes = codes or review_feed.FeedCodes()
    at = clock.iso(queued_at or clock.utc_now())
    bodies = {}
    with store.write() as db:
        for number in numbers:
            made = record(number, **changes)
            body = review_feed.payload(made, codes)
            storage.outbox.enqueue(db, made["key"], made["hall"], review_feed.KIND_RATING, body, at)
            bodies[made["key"]] = body
    return bodies
