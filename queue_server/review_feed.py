"""The sender of the 好差评 feed: a background loop of each server process that posts the
outbox's records to the platform (rules in `domain.review_feed`, rows in
`storage.outbox`, the whole story in docs/review-feed.md).

Each round it looks (a read) whether a record is due; if so it claims up to
REVIEW_FEED_BATCH of them in one short write transaction under this process's name and
a lease, then posts them one by one with no transaction open, and records each answer
in a short transaction of its own, which also renews the lease on the rows still to
send. When a post fails in a way that says the platform is unwell (no answer, 5xx, 408,
429), the rest of the claim goes back untried and the sender pauses, each pause in a row
longer: while the platform is down one record at a time finds out when it is back.

A record stays pending until the platform answers 2xx; after that nothing sends it
again. A process killed between the platform's 2xx and that commit leaves the row
pending: it is sent again (by whichever process claims it after the lease) with the same
`Idempotency-Key`, which is how the platform knows it already has it.

Network I/O and the eventlet hub: the production worker (gunicorn's eventlet worker)
monkey-patches the standard library before the app is imported, so `http.client` here
uses green sockets: connecting and waiting for the answer yield to the hub, and calls
and screens go on meanwhile (bench/review_feed.py measures it). Not `eventlet.tpool`:
a function run in a pool thread must not touch green sockets, and the patched
`http.client` would. Under `threading` (the command line, in-process tests) the loop is
a thread of its own and the sockets are plain ones.
"""

from __future__ import annotations

import http.client
import logging
import os
import random
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from queue_server import storage
from queue_server.domain import clock, review_feed
from queue_server.domain.review_feed import Backoff, Verdict

log = logging.getLogger(__name__)

ANSWER_READ = 64 * 1024  # bytes of an answer read at most; a longer one closes the connection
LEASE_MARGIN = 5.0  # seconds a claim outlasts the longest a request may take
USER_AGENT = "hall-queue-review-feed/1"


@dataclass(frozen=True)
class Attempt:
    """One post and what came of it: the answer's status (None: no answer) and text, or
    the reason there was none; the platform's Retry-After if it sent one."""

    status: int | None
    answer: str | None
    error: str | None
    retry_after: str | None = None


class FeedSender:
    def __init__(
        self,
        store: storage.Storage,
        *,
        url: str | None,
        secret: str | None,
        timeout: float = 10.0,
        backoff: Backoff | None = None,
        batch: int = 20,
        poll: float = 1.0,
        now: Callable[[], datetime] = clock.utc_now,
        sleep: Callable[[float], Any] | None = None,
        draw: Callable[[], float] = random.random,
    ) -> None:
        self.store = store
        self.url = url
        self.secret = secret or ""
        self.timeout = timeout
        self.backoff = backoff or Backoff()
        self.batch = batch
        self.poll = poll
        self.now = now
        self.sleep: Callable[[float], Any] = sleep or time.sleep
        self.draw = draw
        self.name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._connection: http.client.HTTPConnection | None = None
        self._stopping = False
        self._running = False
        self._failing = False  # the last attempt failed: say so once when it recovers
        self._failures_in_row = 0  # retries in a row, across records: how long the pause
        self._paused_until: datetime | None = None  # after a retry: no post before this
        if url is not None:
            parts = urlsplit(url)
            self._scheme, self._host, self._port = parts.scheme, parts.hostname or "", parts.port
            self._target = urlunsplit(("", "", parts.path or "/", parts.query, ""))

    @classmethod
    def from_config(
        cls, store: storage.Storage, settings: Any, now: Callable[[], datetime], sleep: Callable[[float], Any] | None
    ) -> FeedSender:
        return cls(
            store,
            url=settings["REVIEW_FEED_URL"],
            secret=settings["REVIEW_FEED_SECRET"],
            timeout=float(settings["REVIEW_FEED_TIMEOUT"]),
            backoff=Backoff(first=settings["REVIEW_FEED_BACKOFF_FIRST"], cap=settings["REVIEW_FEED_BACKOFF_CAP"]),
            batch=settings["REVIEW_FEED_BATCH"],
            poll=float(settings["REVIEW_FEED_POLL"]),
            now=now,
            sleep=sleep,
        )

    @property
    def configured(self) -> bool:
        return self.url is not None

    def describe(self) -> dict[str, Any]:
        """Whether records are being sent, and where (the address without anything secret in it)."""
        if self.url is None:
            return {"configured": False, "url": None, "running": False, "paused_until": None}
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        return {
            "configured": True,
            "url": urlunsplit((parts.scheme, netloc, parts.path, "", "")),
            "running": self._running,
            "paused_until": clock.iso(self._paused_until) if self._paused_until else None,
        }

    # ---- the loop ----------------------------------------------------------------------

    def run(self) -> None:
        """Rounds until stopped: at once after a round that sent something, else after
        REVIEW_FEED_POLL seconds."""
        if not self.configured:
            return
        self._running = True
        try:
            while not self._stopping:
                try:
                    sent = self.round()
                except Exception:  # the loop must outlive one bad round; the next one retries
                    log.exception("the review feed's round failed")
                    sent = 0
                if not sent and not self._stopping:
                    self.sleep(self.poll)
        finally:
            self._running = False
            self._close()

    def stop(self) -> None:
        self._stopping = True

    def round(self) -> int:
        """Claim the due records and post each once; returns how many were posted. After
        a failure that says the platform is unwell (no answer, 5xx, 408, 429) the rest of
        the claim goes back untried and the sender pauses (`pause`)."""
        if not self.configured:
            return 0
        now = self.now()
        if self._paused_until is not None and now < self._paused_until:
            return 0
        at = clock.iso(now)
        with self.store.read() as db:
            if not storage.outbox.any_due(db, at):
                return 0
        with self.store.write() as db:
            rows = storage.outbox.claim(db, self.name, at, self._lease_end(now), self.batch)
        for index, row in enumerate(rows):
            rest = [r["id"] for r in rows[index + 1 :]]
            if self._stopping:
                with self.store.write() as db:
                    storage.outbox.release(db, self.name, [row["id"], *rest])
                return index
            attempt = self.post(row["key"], row["payload"].encode())
            if self._record(row, attempt, rest) is Verdict.RETRY:
                return index + 1
        return len(rows)

    @property
    def paused_until(self) -> datetime | None:
        return self._paused_until

    def _lease_end(self, now: datetime) -> str:
        # connecting, sending and reading may each take up to the timeout
        return clock.iso(now + timedelta(seconds=3 * self.timeout + LEASE_MARGIN))

    def _record(self, row: dict[str, Any], attempt: Attempt, still_held: list[int]) -> Verdict:
        """Write what came of one post, renew the lease on the rows still held, or after
        a retry give them back and pause: while the platform is down one record at a
        time finds out when it is back (each pause longer, as a row's backoff is), not
        every record of the outbox each on its own schedule."""
        now = self.now()
        at = clock.iso(now)
        outcome = review_feed.verdict(attempt.status)
        answer = review_feed.truncated(attempt.answer) if attempt.answer is not None else None
        with self.store.write() as db:
            if outcome is Verdict.DELIVERED:
                assert attempt.status is not None
                storage.outbox.mark_delivered(db, row["id"], attempt.status, answer or "", at)
            else:
                failures = row["attempts"] + 1
                wait = review_feed.retry_after(attempt.retry_after, now)
                due = review_feed.next_attempt(now, failures, self.backoff, self.draw(), wait)
                storage.outbox.mark_failed(
                    db,
                    row["id"],
                    self.name,
                    dead=outcome is Verdict.DEAD,
                    status=attempt.status,
                    error=attempt.error or f"HTTP {attempt.status}",
                    answer=answer,
                    at=at,
                    next_attempt_at=clock.iso(due),
                )
            if outcome is Verdict.RETRY:
                storage.outbox.release(db, self.name, still_held)
            else:
                storage.outbox.renew(db, self.name, still_held, self._lease_end(now))
        if outcome is Verdict.RETRY:
            self._failures_in_row += 1
            wait = review_feed.retry_after(attempt.retry_after, now)
            self._paused_until = review_feed.next_attempt(now, self._failures_in_row, self.backoff, self.draw(), wait)
        else:
            self._failures_in_row = 0
            self._paused_until = None
        self._log(row, attempt, outcome)
        return outcome

    def _log(self, row: dict[str, Any], attempt: Attempt, outcome: Verdict) -> None:
        if outcome is Verdict.DEAD:
            log.warning("the 好差评 platform refused %s for good (%s): it is a dead letter", row["key"], attempt.error)
        if outcome is Verdict.RETRY and self._failures_in_row == 1:
            log.warning(
                "the 好差评 platform did not take %s (%s): pausing, then retrying with backoff",
                row["key"],
                attempt.error,
            )
        elif outcome is Verdict.DELIVERED and self._failing:
            log.info("the 好差评 platform takes records again")
        self._failing = outcome is Verdict.RETRY

    # ---- HTTP ----------------------------------------------------------------------------

    def headers(self, key: str, body: bytes) -> dict[str, str]:
        return {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "Idempotency-Key": key,
            review_feed.SIGNATURE_HEADER: review_feed.signature(self.secret, body),
            review_feed.TIMESTAMP_HEADER: str(int(self.now().timestamp())),
        }

    def post(self, key: str, body: bytes) -> Attempt:
        """Post one record; never raises for what the network or the platform does."""
        reused = self._connection is not None
        attempt = self._post_once(key, body)
        if reused and attempt.error in ("connection closed", "connection reset"):
            # a kept-alive connection the platform had closed meanwhile: once more, afresh
            attempt = self._post_once(key, body)
        return attempt

    def _post_once(self, key: str, body: bytes) -> Attempt:
        try:
            connection = self._connect()
            connection.request("POST", self._target, body=body, headers=self.headers(key, body))
            response = connection.getresponse()
            raw = response.read(ANSWER_READ)
            if not response.isclosed() or response.will_close:  # more than we keep, or the platform closes
                self._close()
            return Attempt(
                status=response.status,
                answer=raw.decode("utf-8", errors="replace"),
                error=None if 200 <= response.status < 300 else f"HTTP {response.status}",
                retry_after=response.getheader("Retry-After"),
            )
        except TimeoutError:
            error = f"no answer within {self.timeout:g} s"
        except ConnectionRefusedError:
            error = "connection refused"
        except http.client.RemoteDisconnected:  # a ConnectionResetError: named first
            error = "connection closed"
        except (ConnectionResetError, BrokenPipeError):
            error = "connection reset"
        except http.client.HTTPException as problem:
            error = f"unreadable answer: {type(problem).__name__}"
        except OSError as problem:
            error = f"network error: {problem.strerror or problem}"
        self._close()
        return Attempt(status=None, answer=None, error=error)

    def _connect(self) -> http.client.HTTPConnection:
        if self._connection is None:
            kind = http.client.HTTPSConnection if self._scheme == "https" else http.client.HTTPConnection
            self._connection = kind(self._host, self._port, timeout=self.timeout)
        return self._connection

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
