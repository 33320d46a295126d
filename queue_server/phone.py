"""The citizen's phone at the server's door: look-ups by public reference, throttled, and
the page's address (docs/phone.md).

A ticket's reference is 128 random bits, so guessing one is hopeless; the throttle makes
sure nobody can even try at scale, and that one page (or one leaked reference) cannot
flood the server:

- per client address, look-ups that find nothing (a malformed reference, one that names
  no ticket, one too old to show): `PHONE_MISSES_PER_MINUTE`. An address that has used
  them up is refused every look-up, good references too, before anything is read, so a
  refusal tells nothing about the reference asked for;
- per ticket, look-ups that find it (the page's first load, its socket's connect and each
  refresh): `PHONE_LOOKUP_BURST` at once, refilled at `PHONE_LOOKUPS_PER_MINUTE`. Many phones
  of a hall's Wi-Fi share one address; each has its own ticket.

Refused: 429 `lookups_throttled` with `retry_after`, and the HTTP answer's Retry-After.
The counts live in this process's memory: with several server processes each counts its
own (a limit of the proxy in front, nginx's `limit_req`, is the one to add for a shared one).

`public_base_url(settings)` is where phones reach the server: `PUBLIC_BASE_URL`, else the
address the current request came to. Printed tickets build their QR code on it
(services/printing.py), the kiosk page carries it for its on-screen QR code, and
`phone_url_for(ref)` is a ticket's page on it.
"""

from __future__ import annotations

import math
import threading
from datetime import datetime
from typing import Any

from flask import current_app, has_request_context, request

from queue_server.domain import phone
from queue_server.domain.access import Principal
from queue_server.domain.phone import NOT_FOUND_DETAIL, Bucket, LookupsThrottled, RatePolicy, TicketNotFound
from queue_server.services import Services

MAX_REMEMBERED = 50_000  # buckets kept per kind before the full ones are forgotten


class Throttle:
    """Token buckets per key, in memory; `RatePolicy` arithmetic from `domain.phone`."""

    def __init__(self, policy: RatePolicy, max_remembered: int = MAX_REMEMBERED) -> None:
        self.policy = policy
        self.max_remembered = max_remembered
        self._buckets: dict[str, Bucket] = {}
        self._lock = threading.Lock()

    def wait(self, key: str, now: datetime) -> float:
        with self._lock:
            return phone.wait_seconds(self.policy, self._buckets.get(key), now)

    def take(self, key: str, now: datetime) -> None:
        with self._lock:
            self._buckets[key] = phone.taken(self.policy, self._buckets.pop(key, None), now)
            if len(self._buckets) > self.max_remembered:
                self._forget(now)

    def _forget(self, now: datetime) -> None:
        """Drop the buckets that have refilled (nothing to remember); if that is not enough,
        the longest unused (a dict keeps the order keys were last taken in)."""
        for key in [k for k, bucket in self._buckets.items() if phone.is_full(self.policy, bucket, now)]:
            del self._buckets[key]
        while len(self._buckets) > self.max_remembered:
            del self._buckets[next(iter(self._buckets))]


class Phone:
    """Tickets looked up by reference for citizens' phones, through the throttle."""

    def __init__(self, services: Services, *, keep_days: int, misses: RatePolicy, lookups: RatePolicy) -> None:
        self.services = services
        self.keep_days = keep_days
        self.misses = Throttle(misses)  # per client address
        self.lookups = Throttle(lookups)  # per ticket reference

    def progress(self, ref: str, address: str | None, now: datetime) -> dict[str, Any]:
        """`GET /api/v1/t/{ref}`: the ticket's progress (`services.ticket_progress`)."""
        key = address or "unknown"
        self._refuse_if_waiting(self.misses, key, now)
        self._refuse_if_waiting(self.lookups, ref, now)  # an unknown reference has no bucket: waits 0
        try:
            view = self.services.ticket_progress(ref, now, self.keep_days)
        except TicketNotFound:
            self.misses.take(key, now)
            raise
        self.lookups.take(ref, now)
        return view

    def admit(self, ref: object, address: str | None, now: datetime) -> Principal:
        """A phone's socket connecting with `ref`: its principal, or `TicketNotFound` /
        `LookupsThrottled`, counted as `progress` counts."""
        key = address or "unknown"
        self._refuse_if_waiting(self.misses, key, now)
        principal = self.services.citizen_principal(ref, now, self.keep_days) if isinstance(ref, str) else None
        if principal is None or principal.ticket_ref is None:
            self.misses.take(key, now)
            raise TicketNotFound(NOT_FOUND_DETAIL)
        self._refuse_if_waiting(self.lookups, principal.ticket_ref, now)
        self.lookups.take(principal.ticket_ref, now)
        return principal

    def principal(self, ref: str, now: datetime) -> Principal | None:
        """The connected phone's principal, checked afresh on each message and by the
        periodic re-check: not throttled (the server asks, not the phone)."""
        return self.services.citizen_principal(ref, now, self.keep_days)

    def progress_of(self, principal: Principal, now: datetime) -> dict[str, Any]:
        """The progress of a connected phone's own ticket (`subscribe`, `read_progress`),
        through its ticket's bucket."""
        assert principal.ticket_ref is not None
        self._refuse_if_waiting(self.lookups, principal.ticket_ref, now)
        view = self.services.ticket_progress(principal.ticket_ref, now, self.keep_days)
        self.lookups.take(principal.ticket_ref, now)
        return view

    @staticmethod
    def _refuse_if_waiting(throttle: Throttle, key: str, now: datetime) -> None:
        wait = throttle.wait(key, now)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise LookupsThrottled(f"查询过于频繁：请 {seconds} 秒后再试", retry_after=seconds)


def public_base_url(settings: Any) -> str:
    """Where phones reach this server, for a ticket's QR code: `PUBLIC_BASE_URL` (a hall
    behind a gateway), else the address the current request (HTTP, or a socket's
    connection: the desk's or the kiosk's) came to, path prefix and all."""
    if settings["PUBLIC_BASE_URL"]:
        return str(settings["PUBLIC_BASE_URL"])
    try:
        return phone.check_base_url(request.url_root if has_request_context() else None)
    except phone.BadBaseUrl:  # no request (the timer, a test's direct call), or a Host no QR code can carry
        return "http://localhost"


def phone_url_for(ref: str) -> str:
    """The citizen's page of ticket `ref`, as its QR code holds it: `domain.phone.phone_url`
    on `public_base_url`, while answering a request."""
    return phone.phone_url(public_base_url(current_app.config), ref)
