"""The 好差评 feed's rules: what the external platform receives for a rating, and what
its answers mean.

The rating record (the shared shape in `services`) names its level and channel; each
province's platform wants codes, and they differ: the common provincial interfaces send
5 = 非常满意 … 1 = 非常不满意, GB/T 39046 the other way round, and channel codes are a
table of their own. So the names are stored and mapped here, at the boundary, through
tables from the instance configuration (`FeedCodes`). Times go out as ISO 8601 with the
platform's offset; wait and handling seconds go too (the platforms ignore what they do
not know; our managers relate waits to ratings).

The body is built once, when the record is written to the outbox, and sent as written:
a later change of a code table never alters a record already queued.

An answer is one of three things (`verdict`): delivered (2xx), refused for good (4xx
but 408 and 429: the record goes to the dead letters with the answer, for a person to
look at), or try again later (5xx, 408, 429, no answer in time, connection refused or
reset, anything else), after an exponential backoff with jitter, capped, or after the
platform's own Retry-After when it says one.
"""

from __future__ import annotations

import hashlib
import hmac
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any

# the five levels, best first, as the rating record names them
LEVELS = ("very_satisfied", "satisfied", "basic", "dissatisfied", "very_dissatisfied")
LEVEL_NAMES = {
    "very_satisfied": "非常满意",
    "satisfied": "满意",
    "basic": "基本满意",
    "dissatisfied": "不满意",
    "very_dissatisfied": "非常不满意",
}
CHANNELS = ("pad", "phone", "system_default")

Code = int | str

LEVEL_PRESETS: dict[str, dict[str, Code]] = {
    # the common provincial interfaces: 5 = 非常满意 … 1 = 非常不满意
    "provincial": {level: 5 - index for index, level in enumerate(LEVELS)},
    # GB/T 39046: 1 = 非常满意 … 5 = 非常不满意
    "gbt39046": {level: index + 1 for index, level in enumerate(LEVELS)},
}
DEFAULT_LEVELS = "provincial"
# Placeholders until the province's own table is set (docs/review-feed.md): the window's
# review pad, the ticket's QR code on the citizen's phone, the system's default rating.
DEFAULT_CHANNELS: dict[str, Code] = {"pad": 1, "phone": 2, "system_default": 9}
DEFAULT_TIMEZONE = "Asia/Shanghai"
KIND_RATING = "rating"

SIGNATURE_HEADER = "X-HallQueue-Signature"
TIMESTAMP_HEADER = "X-HallQueue-Timestamp"
ANSWER_KEPT = 2000  # characters of the platform's answer kept with the row


class OutboxState(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


class BadCodeTable(ValueError):
    """A code table the feed cannot use; the message says what is wrong."""


@dataclass(frozen=True)
class FeedCodes:
    """How names become the platform's codes, and the zone its times are written in."""

    levels: Mapping[str, Code] = field(default_factory=lambda: dict(LEVEL_PRESETS[DEFAULT_LEVELS]))
    channels: Mapping[str, Code] = field(default_factory=lambda: dict(DEFAULT_CHANNELS))
    timezone: str = DEFAULT_TIMEZONE


def level_codes(setting: object) -> dict[str, Code]:
    """The level table from its setting: a preset's name ("provincial", "gbt39046") or a
    table naming a distinct code for each of the five levels."""
    if isinstance(setting, str):
        if setting not in LEVEL_PRESETS:
            raise BadCodeTable(f"is {setting!r}: use {' or '.join(LEVEL_PRESETS)}, or a table of the five levels")
        return dict(LEVEL_PRESETS[setting])
    if not isinstance(setting, Mapping):
        raise BadCodeTable(f"must be a preset's name or a table of the five levels, not {setting!r}")
    table = _codes(setting, LEVELS)
    missing = [level for level in LEVELS if level not in table]
    if missing:
        raise BadCodeTable(f"has no code for {', '.join(missing)}: a table must name all five levels")
    return table


def channel_codes(setting: object) -> dict[str, Code]:
    """The channel table: the defaults with the setting's codes over them."""
    if setting is None:
        return dict(DEFAULT_CHANNELS)
    if not isinstance(setting, Mapping):
        raise BadCodeTable(f"must be a table of channel codes ({', '.join(CHANNELS)}), not {setting!r}")
    table = {**DEFAULT_CHANNELS, **_codes(setting, CHANNELS)}
    codes = list(table.values())
    if len(set(codes)) != len(codes):
        raise BadCodeTable(f"with the defaults gives two names one code ({table}): each needs its own")
    return table


def _codes(setting: Mapping[Any, Any], names: tuple[str, ...]) -> dict[str, Code]:
    table: dict[str, Code] = {}
    for name, code in setting.items():
        if name not in names:
            raise BadCodeTable(f"names {name!r}, which is none of {', '.join(names)}")
        valid_int = isinstance(code, int) and not isinstance(code, bool)
        if not valid_int and not (isinstance(code, str) and code.strip() and len(code) <= 32):
            raise BadCodeTable(f"gives {name} the code {code!r}: a code is a whole number or a short text")
        table[name] = code
    codes = list(table.values())
    if len(set(codes)) != len(codes):
        raise BadCodeTable(f"gives two names one code ({table}): each needs its own")
    return table


def check_timezone(name: object) -> str:
    if not isinstance(name, str):
        raise BadCodeTable(f"must be a time zone's name such as {DEFAULT_TIMEZONE}, not {name!r}")
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise BadCodeTable(f"{name!r} is no time zone known here: e.g. {DEFAULT_TIMEZONE}") from None
    return name


# ---- the body -------------------------------------------------------------------------


class UnknownName(ValueError):
    """A record names a level or channel the tables do not know (a bug in the caller)."""


def platform_time(value: str | None, timezone: str) -> str | None:
    """An ISO 8601 instant with its offset, as the platform's zone writes it, to the second."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"a time without its offset: {value!r}")
    return moment.astimezone(zoneinfo.ZoneInfo(timezone)).isoformat(timespec="seconds")


def payload(record: Mapping[str, Any], codes: FeedCodes) -> dict[str, Any]:
    """The platform's body for one rating record (the shared shape). Names become codes;
    the record's names go along for the reader of a dead letter."""
    level, channel = record["level"], record["channel"]
    if level not in codes.levels:
        raise UnknownName(f"no code for the level {level!r}")
    if channel not in codes.channels:
        raise UnknownName(f"no code for the channel {channel!r}")

    def when(name: str) -> str | None:
        return platform_time(record.get(name), codes.timezone)

    return {
        "id": record["key"],
        "hall": record["hall"],
        "ticket_ref": record["ticket_ref"],
        "ticket_number": record["ticket_number"],
        "service_day": record["service_day"],
        "queue": record["queue"],
        "items": list(record["items"]),
        "window": record["window"],
        "clerk_number": record["clerk_number"],
        "channel": codes.channels[channel],
        "channel_name": channel,
        "level": codes.levels[level],
        "level_name": level,
        "level_label": LEVEL_NAMES[level],
        "reasons": list(record["reasons"]),
        "text": record["text"],
        "system_default": bool(record["system_default"]),
        "issued_at": when("issued_at"),
        "called_at": when("called_at"),
        "started_at": when("started_at"),
        "finished_at": when("finished_at"),
        "rated_at": when("rated_at"),
        "wait_seconds": int(record["wait_seconds"]),
        "handling_seconds": int(record["handling_seconds"]),
    }


def signature(secret: str, body: bytes) -> str:
    """The signature header's value: HMAC-SHA256 of the raw body under the shared secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_matches(secret: str, body: bytes, header: str | None) -> bool:
    """What the platform checks (and the tests' receiver): in constant time."""
    return header is not None and hmac.compare_digest(signature(secret, body), header)


# ---- answers and retries --------------------------------------------------------------


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff: `first` seconds after the first failure, doubling, at most
    `cap`; each delay is drawn between half and all of that (jitter), so that rows that
    failed together do not all come back in the same second."""

    first: float = 2.0
    cap: float = 600.0

    def delay(self, failures: int, draw: float) -> float:
        """The wait after the `failures`-th failure in a row; `draw` in [0, 1)."""
        if failures < 1:
            raise ValueError("a delay follows at least one failure")
        ceiling = min(self.cap, self.first * 2.0 ** min(failures - 1, 62))
        return ceiling * (0.5 + 0.5 * draw)


class Verdict(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    DEAD = "dead"


def verdict(status: int | None) -> Verdict:
    """What an answer means. `status` None: no answer (timeout, refused, reset)."""
    if status is None:
        return Verdict.RETRY
    if 200 <= status < 300:
        return Verdict.DELIVERED
    if 400 <= status < 500 and status not in (408, 429):
        return Verdict.DEAD
    return Verdict.RETRY  # 5xx, 408, 429; and 1xx/3xx, which a platform should not send


RETRY_AFTER_MAX = 24 * 3600.0  # a Retry-After further out than a day is taken as a day


def retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date); None if absent
    or unreadable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return min(float(text), RETRY_AFTER_MAX)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        return None
    return min(max(0.0, (moment - now).total_seconds()), RETRY_AFTER_MAX)


def next_attempt(
    now: datetime, failures: int, backoff: Backoff, draw: float, platform_says: float | None = None
) -> datetime:
    """When a row that failed `failures` times in a row is due again: the platform's
    Retry-After where it gave one (at least as long as the backoff would), else the backoff."""
    wait = backoff.delay(failures, draw)
    if platform_says is not None:
        wait = max(wait, platform_says)
    return now + timedelta(seconds=wait)


def truncated(answer: str) -> str:
    return answer if len(answer) <= ANSWER_KEPT else answer[:ANSWER_KEPT] + "…"
