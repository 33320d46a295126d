"""The citizen's phone (扫码查看排队进度): the rules of its token, its address and its throttle.

A printed ticket's QR code (and the kiosk's screen) opens `/t/{ref}`, `ref` being the
ticket's random public reference (128 bits, `services.tickets.new_ticket_ref`). The
reference is the only credential the page has: it reads that one ticket's progress and
follows its hall's citizen stream, nothing else (docs/phone.md).

- `is_ticket_ref` checks a reference's form before anything touches the store;
- `phone_url` is the one place the page's address is built (printed QR codes, the kiosk);
- `RatePolicy` and `Bucket` are the token-bucket arithmetic of the throttle that keeps
  anyone from walking references (`queue_server.phone`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlsplit

from queue_server.domain.errors import DomainError
from ticket_printer.ticket import MAX_URL_LENGTH

PHONE_PATH = "/t/"  # the page: PHONE_PATH + ref
# What the setting may take of a printed QR code's address (ticket_printer.ticket's
# limit); the page's path and the reference take the rest.
MAX_BASE_URL_LENGTH = MAX_URL_LENGTH - 100
# New references: 16 random bytes as 22 URL-safe base64 characters. Tickets issued before
# references existed got 32 lower-case hex digits (migration 5).
REF_FORM = re.compile(r"[A-Za-z0-9_-]{22}|[0-9a-f]{32}")


def is_ticket_ref(text: object) -> bool:
    """Whether `text` has the form of a ticket's public reference (not whether one exists)."""
    return isinstance(text, str) and REF_FORM.fullmatch(text) is not None


class BadBaseUrl(ValueError):
    """A public base URL the page's address cannot be built on."""


def check_base_url(base_url: object) -> str:
    """`base_url` as the phone's address starts: `http(s)://host[:port][/path]` in plain
    ASCII, without a trailing slash, a user, a query or a fragment, and short enough that
    the page's address stays a readable QR code on the ticket; `BadBaseUrl` says what is
    wrong. The one check of the `PUBLIC_BASE_URL` setting and of a request's own address."""
    if not isinstance(base_url, str):
        raise BadBaseUrl(f"must be an http:// or https:// address, not {base_url!r}")
    text = base_url.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise BadBaseUrl(f"must be an http:// or https:// address naming a host, not {base_url!r}")
    if not re.fullmatch(r"[!-~]+", text):
        raise BadBaseUrl(f"must be in plain ASCII (a domain in its xn-- form), not {base_url!r}")
    if any(mark in text for mark in "?#@"):
        raise BadBaseUrl(f"must be a plain address without a user, ? or #, not {base_url!r}")
    if len(text) > MAX_BASE_URL_LENGTH:
        raise BadBaseUrl(
            f"is longer than {MAX_BASE_URL_LENGTH} characters: the QR code on the ticket must stay readable"
        )
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def phone_url(base_url: str, ref: str) -> str:
    """The citizen's page for the ticket `ref`, on the server as phones reach it:
    `phone_url("https://hall.example.cn/queue", ref)` → `https://hall.example.cn/queue/t/{ref}`."""
    if not is_ticket_ref(ref):
        raise ValueError("not a ticket reference")
    return check_base_url(base_url) + PHONE_PATH + ref


def days_between(earlier: str, later: str) -> int:
    """Whole days from service day `earlier` to `later` (ISO dates)."""
    return (date.fromisoformat(later) - date.fromisoformat(earlier)).days


# ---- the throttle's arithmetic ----------------------------------------------------------


@dataclass(frozen=True)
class RatePolicy:
    """A token bucket: holds at most `burst` tokens, refilled at `per_minute`."""

    per_minute: float
    burst: int


@dataclass(frozen=True)
class Bucket:
    tokens: float
    at: datetime  # when `tokens` was counted


def refilled(policy: RatePolicy, bucket: Bucket | None, now: datetime) -> Bucket:
    """The bucket at `now`: full when never used; never more than `burst`. A clock set
    back refills nothing."""
    if bucket is None:
        return Bucket(float(policy.burst), now)
    elapsed = max(0.0, (now - bucket.at).total_seconds())
    return Bucket(min(float(policy.burst), bucket.tokens + elapsed * policy.per_minute / 60), max(now, bucket.at))


def wait_seconds(policy: RatePolicy, bucket: Bucket | None, now: datetime) -> float:
    """How long from `now` until the bucket holds a whole token; 0: it holds one now."""
    current = refilled(policy, bucket, now)
    if current.tokens >= 1:
        return 0.0
    return (1 - current.tokens) * 60 / policy.per_minute


def taken(policy: RatePolicy, bucket: Bucket | None, now: datetime) -> Bucket:
    """One token taken at `now`. Look-ups that passed the check at once may take the
    bucket below zero (each waits its turn in the debt), but never below -burst."""
    current = refilled(policy, bucket, now)
    return Bucket(max(current.tokens - 1, -float(policy.burst)), current.at)


def is_full(policy: RatePolicy, bucket: Bucket, now: datetime) -> bool:
    """Nothing to remember: the bucket is as a fresh one would be."""
    return refilled(policy, bucket, now).tokens >= policy.burst


class TicketNotFound(DomainError):
    """No ticket has this reference, or it is not a reference at all: the same answer, so
    that nobody learns anything by guessing."""

    status = 404
    code = "ticket_not_found"
    title = "No such ticket"


class TicketExpired(TicketNotFound):
    """The ticket is older than the page shows tickets for."""

    code = "ticket_expired"
    title = "Ticket too old to show"


class LookupsThrottled(DomainError):
    """Too many look-ups of tickets that do not exist from this address, or of one ticket:
    `retry_after` seconds, also the Retry-After header."""

    status = 429
    code = "lookups_throttled"
    title = "Too many ticket look-ups"


NOT_FOUND_DETAIL = "找不到这张票：请核对二维码，或到导办台询问"
