"""Settings: defaults, then `instance/config.toml`, then `QUEUE_*` environment
variables, then the test's own mapping. Checked at start-up: a bad setting stops the
server with a sentence saying which and why."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import tomllib
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Config, Flask

from queue_server.domain import logins, phone, printing, review_feed

ASYNC_MODES = ("eventlet", "threading", "gevent")

DEFAULTS: dict[str, Any] = {
    # eventlet in production (gunicorn's eventlet worker), threading for in-process tests,
    # gevent as the supported alternative. Always passed to Flask-SocketIO explicitly.
    "ASYNC_MODE": "threading",
    "DATABASE": None,  # default: <instance>/hall-queue.sqlite3
    "DB_SYNCHRONOUS": "FULL",  # FULL: an acknowledged ticket survives power loss too
    # redis://127.0.0.1:6379/0 for several server processes on one database: Redis carries
    # their events, and holds which screens are online and which one speaks per zone
    "MESSAGE_QUEUE": None,
    "PRESENCE_TTL": 4.0,  # with MESSAGE_QUEUE: seconds a server process counts as alive after its last heartbeat
    "SERVER_LOCK_WAIT": 10.0,  # seconds a starting server waits for another to leave the database, then refuses
    "MAX_CONTENT_LENGTH": 256 * 1024,  # hall files are the largest bodies we take
    "CATCH_UP_LIMIT": 500,  # a client further behind than this redraws from a snapshot
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    # browsers send the session cookie over HTTPS only; a plain-HTTP intranet sets false
    # (QUEUE_SESSION_COOKIE_SECURE=false). `queue-server demo` and the tests set it off.
    "SESSION_COOKIE_SECURE": True,
    "SESSION_IDLE_MINUTES": 480,  # a staff session unused this long ends
    "SESSION_MAX_HOURS": 12,  # and none lasts longer than this from sign-in
    "SESSION_TOUCH_SECONDS": 60,  # a session's last use is written at most this often
    # failed sign-ins (queue_server/accounts.py): per user name ...
    "LOGIN_FREE_ATTEMPTS": 5,  # failures before the next attempt must wait
    "LOGIN_FIRST_DELAY": 1,  # seconds of the first wait; each further failure doubles it ...
    "LOGIN_MAX_DELAY": 60,  # ... up to this
    "LOGIN_LOCK_AFTER": 10,  # failures that lock the user name (0: never)
    "LOGIN_LOCK_MINUTES": 15,  # until an administrator unlocks it, or this passes
    "LOGIN_FORGET_MINUTES": 15,  # failures older than this no longer count
    # ... and per client address, more lenient: a hall's counters may share one address
    "LOGIN_ADDRESS_FREE_ATTEMPTS": 20,
    "LOGIN_REFUSAL_DELAY": 1,  # seconds a refused (429) attempt is held before the answer; 0: none
    "PROXY_HOPS": 0,  # reverse proxies in front whose X-Forwarded-For / -Proto are trusted
    "PASSWORD_HASH_THREADS": None,  # hashes at once, each in an OS thread; default: CPUs less one
    # bench only (bench/login_stall.py): hash on the event loop, the old way, for contrast
    "PASSWORD_HASHING_ON_HUB": False,
    "PING_INTERVAL": 10,  # seconds: how soon a dead screen link is noticed
    "PING_TIMEOUT": 10,
    # after this many links opened or closed (a wave of screens arriving or leaving), freed
    # memory is handed back to the system (gc, then glibc's malloc_trim or jemalloc's purge:
    # realtime/memory.py); 0: never
    "MEMORY_TRIM_AFTER": 100,
    "CREDENTIAL_RECHECK_SECONDS": 30,  # a revoked token's open link closes within this
    "BUSY_TIMEOUT": 10.0,  # seconds a write waits for another process's write lock (yielding meanwhile)
    # bench only (bench/cli_write.py): wait for the lock in SQLite's busy handler instead,
    # which sleeps inside C and freezes the eventlet hub; the old way, kept for contrast
    "SQLITE_BUSY_HANDLER": False,
    "PUBLISHES": True,  # this process sends its events to screens; the command line leaves them to the server
    "BACKGROUND_JOBS": True,  # the timer: close service days at rollover, relay the command line's events
    "JOB_INTERVAL": 0.5,  # seconds between rounds of the timer
    "WAIT_PUSH_DELAY": 0.3,  # seconds: after a write, each hall's wait figures are played at most this often
    # seconds a room's `sequence_advanced` stubs wait to go out as one (realtime/stubs.py); 0: each at once
    "STUB_DELAY": 0.1,
    # seconds: a ticket issued at most this long after the hall's last play takes its figure
    # from that play (docs/estimates.md); 0: every issue plays the hall for its own figure
    "ISSUE_FIGURE_MAX_AGE": 1.0,
    "IDEMPOTENCY_DAYS": 2,  # Idempotency-Key records are kept this many days
    "FEED_KEEP_DAYS": 90,  # days a 好差评 record the platform took stays in the outbox (docs/review-feed.md)
    # the citizen's phone (docs/phone.md): where phones reach the server, for the QR codes;
    # None: the address each request came to
    "PUBLIC_BASE_URL": None,
    "PHONE_TICKET_DAYS": 7,  # service days a ticket's page stays readable after its day
    "PHONE_MISSES_PER_MINUTE": 10,  # look-ups finding no ticket, per client address
    "PHONE_LOOKUPS_PER_MINUTE": 60,  # look-ups of one ticket, refilled at this rate ...
    "PHONE_LOOKUP_BURST": 30,  # ... up to this many at once
    "ESPEAK_NG": "espeak-ng",  # the offline speech engine for screens without a Chinese voice
    "SPEECH_CACHE": None,  # default: <instance>/speech-cache
    # printing (docs/printing.md): a job not sent to its printer's agent within this many
    # seconds of issuing is not printed (the citizen already has the number on screen)
    "PRINT_JOB_MAX_AGE": printing.DEFAULT_MAX_AGE,
    # the 好差评 feed (docs/review-feed.md): where ratings are posted; None: they wait in
    # the outbox, and `GET /api/v1/feed` says the feed is not configured
    "REVIEW_FEED_URL": None,
    "REVIEW_FEED_SECRET": None,  # the HMAC-SHA256 key shared with the platform; required with the URL
    "REVIEW_FEED_LEVEL_CODES": review_feed.DEFAULT_LEVELS,  # "provincial", "gbt39046", or a table
    "REVIEW_FEED_CHANNEL_CODES": None,  # a table over the defaults (pad 1, phone 2, system_default 9)
    "REVIEW_FEED_TIMEZONE": review_feed.DEFAULT_TIMEZONE,  # the offset the platform's times are written in
    "REVIEW_FEED_TIMEOUT": 10.0,  # seconds to connect, and between bytes of the answer
    "REVIEW_FEED_BACKOFF_FIRST": 2.0,  # seconds after the first failure; doubling ...
    "REVIEW_FEED_BACKOFF_CAP": 600.0,  # ... up to this (a Retry-After may ask for longer)
    "REVIEW_FEED_BATCH": 20,  # rows claimed per transaction
    "REVIEW_FEED_POLL": 1.0,  # seconds between looks at the outbox when nothing is due
}


class ConfigError(RuntimeError):
    """A setting the server cannot start with."""


def load(app: Flask, test_config: dict[str, Any] | None) -> None:
    app.config.from_mapping(DEFAULTS)
    config_file = Path(app.instance_path) / "config.toml"
    if config_file.exists():
        app.config.from_file(str(config_file), load=tomllib.load, text=False)
    app.config.from_prefixed_env("QUEUE")
    if test_config:
        app.config.from_mapping(test_config)
    if app.config["DATABASE"] is None:
        app.config["DATABASE"] = str(Path(app.instance_path) / "hall-queue.sqlite3")
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = read_secret(Path(app.instance_path))
    _check(app.config)
    # the cookie's signature lapses with the longest a session may last; the session
    # record on the server decides before that (accounts.py)
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=app.config["SESSION_MAX_HOURS"])


def file_settings(instance: Path) -> Config:
    """The settings of an instance as `load` reads them (defaults, config.toml, QUEUE_*
    variables), without opening the database or requiring the secret key: for
    `queue-server backup` and `restore`, which must find the file before anything opens it."""
    settings = Config(str(instance), DEFAULTS)
    config_file = instance / "config.toml"
    if config_file.exists():
        settings.from_file(str(config_file), load=tomllib.load, text=False)
    settings.from_prefixed_env("QUEUE")
    if settings["DATABASE"] is None:
        settings["DATABASE"] = str(instance / "hall-queue.sqlite3")
    return settings


def read_secret(instance: Path) -> str:
    path = instance / "secret_key"
    if not path.exists():
        raise ConfigError(f"no secret key at {path}: run `queue-server init` first (or set QUEUE_SECRET_KEY)")
    return path.read_text().strip()


def ensure_secret(instance: Path) -> Path:
    """Create the instance folder and its secret key once; never overwrite it."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path


def id_secret(config: Any) -> bytes:
    """The key for hashing ID numbers: derived from SECRET_KEY, separate in purpose."""
    return hmac.new(str(config["SECRET_KEY"]).encode(), b"id-number-digest", hashlib.sha256).digest()


def _check(config: Any) -> None:
    if config["ASYNC_MODE"] not in ASYNC_MODES:
        raise ConfigError(f"ASYNC_MODE must be one of {', '.join(ASYNC_MODES)}, not {config['ASYNC_MODE']!r}")
    if config["DB_SYNCHRONOUS"] not in ("FULL", "NORMAL", "EXTRA"):
        raise ConfigError(f"DB_SYNCHRONOUS must be FULL, NORMAL or EXTRA, not {config['DB_SYNCHRONOUS']!r}")
    if len(str(config["SECRET_KEY"])) < 16:
        raise ConfigError("SECRET_KEY is shorter than 16 characters: use `queue-server init` to make one")
    for key in (
        "MAX_CONTENT_LENGTH",
        "CATCH_UP_LIMIT",
        "PING_INTERVAL",
        "PING_TIMEOUT",
        "IDEMPOTENCY_DAYS",
        "FEED_KEEP_DAYS",
    ):
        if not isinstance(config[key], int) or isinstance(config[key], bool) or config[key] <= 0:
            raise ConfigError(f"{key} must be a positive whole number, not {config[key]!r}")
    trim = config["MEMORY_TRIM_AFTER"]
    if not isinstance(trim, int) or isinstance(trim, bool) or trim < 0:
        raise ConfigError(f"MEMORY_TRIM_AFTER must be a whole number of links, 0 (never) or more, not {trim!r}")
    queue = config["MESSAGE_QUEUE"]
    if queue is not None and (not isinstance(queue, str) or not queue.startswith(("redis://", "rediss://"))):
        raise ConfigError(
            f"MESSAGE_QUEUE must be a redis:// or rediss:// URL (Redis carries the events and the screens'"
            f" presence between server processes), or unset for one server process, not {queue!r}"
        )
    for key in ("BUSY_TIMEOUT", "JOB_INTERVAL", "PRESENCE_TTL", "PRINT_JOB_MAX_AGE"):
        if not isinstance(config[key], (int, float)) or isinstance(config[key], bool) or config[key] <= 0:
            raise ConfigError(f"{key} must be a positive number of seconds, not {config[key]!r}")
    delay = config["WAIT_PUSH_DELAY"]
    if not isinstance(delay, (int, float)) or isinstance(delay, bool) or not 0 <= delay <= 60:
        raise ConfigError(f"WAIT_PUSH_DELAY must be between 0 and 60 seconds, not {delay!r}")
    stub_delay = config["STUB_DELAY"]
    if not isinstance(stub_delay, (int, float)) or isinstance(stub_delay, bool) or not 0 <= stub_delay <= 5:
        raise ConfigError(f"STUB_DELAY must be between 0 and 5 seconds, not {stub_delay!r}")
    age = config["ISSUE_FIGURE_MAX_AGE"]
    if not isinstance(age, (int, float)) or isinstance(age, bool) or not 0 <= age <= 60:
        raise ConfigError(f"ISSUE_FIGURE_MAX_AGE must be between 0 and 60 seconds, not {age!r}")
    wait = config["SERVER_LOCK_WAIT"]
    if not isinstance(wait, (int, float)) or isinstance(wait, bool) or wait < 0:
        raise ConfigError(f"SERVER_LOCK_WAIT must be a number of seconds, 0 or more, not {wait!r}")
    for key in ("LOGIN_FREE_ATTEMPTS", "LOGIN_ADDRESS_FREE_ATTEMPTS", "LOGIN_LOCK_AFTER", "PROXY_HOPS"):
        if not isinstance(config[key], int) or isinstance(config[key], bool) or config[key] < 0:
            raise ConfigError(f"{key} must be a whole number, 0 or more, not {config[key]!r}")
    delay = config["LOGIN_REFUSAL_DELAY"]
    if not isinstance(delay, (int, float)) or isinstance(delay, bool) or not 0 <= delay <= 10:
        raise ConfigError(f"LOGIN_REFUSAL_DELAY must be between 0 and 10 seconds, not {delay!r}")
    for key in (
        "SESSION_IDLE_MINUTES",
        "SESSION_MAX_HOURS",
        "SESSION_TOUCH_SECONDS",
        "LOGIN_FIRST_DELAY",
        "LOGIN_MAX_DELAY",
        "LOGIN_LOCK_MINUTES",
        "LOGIN_FORGET_MINUTES",
    ):
        if not isinstance(config[key], (int, float)) or isinstance(config[key], bool) or config[key] <= 0:
            raise ConfigError(f"{key} must be a positive number, not {config[key]!r}")
    if config["LOGIN_MAX_DELAY"] < config["LOGIN_FIRST_DELAY"]:
        raise ConfigError("LOGIN_MAX_DELAY must be at least LOGIN_FIRST_DELAY")
    if config["LOGIN_FORGET_MINUTES"] * 60 < config["LOGIN_MAX_DELAY"]:
        raise ConfigError("LOGIN_FORGET_MINUTES must be longer than LOGIN_MAX_DELAY, or failures are forgotten")
    if config["SESSION_TOUCH_SECONDS"] >= config["SESSION_IDLE_MINUTES"] * 60:
        raise ConfigError("SESSION_TOUCH_SECONDS must be shorter than SESSION_IDLE_MINUTES")
    threads = config["PASSWORD_HASH_THREADS"]
    if threads is not None and (not isinstance(threads, int) or isinstance(threads, bool) or threads <= 0):
        raise ConfigError(f"PASSWORD_HASH_THREADS must be a positive whole number, not {threads!r}")
    if config["PUBLIC_BASE_URL"] is not None:
        try:
            config["PUBLIC_BASE_URL"] = phone.check_base_url(config["PUBLIC_BASE_URL"])
        except phone.BadBaseUrl as error:
            raise ConfigError(
                f"PUBLIC_BASE_URL (where citizens' phones reach the server) {error}, e.g. https://hall.example.cn"
            ) from None
    days = config["PHONE_TICKET_DAYS"]
    if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= 366:
        raise ConfigError(f"PHONE_TICKET_DAYS must be a whole number of days from 0 to 366, not {days!r}")
    for key in ("PHONE_MISSES_PER_MINUTE", "PHONE_LOOKUPS_PER_MINUTE", "PHONE_LOOKUP_BURST"):
        if not isinstance(config[key], int) or isinstance(config[key], bool) or config[key] <= 0:
            raise ConfigError(f"{key} must be a positive whole number, not {config[key]!r}")
    _check_review_feed(config)
    flags = ("PUBLISHES", "BACKGROUND_JOBS", "SQLITE_BUSY_HANDLER", "SESSION_COOKIE_SECURE", "PASSWORD_HASHING_ON_HUB")
    for key in flags:
        if not isinstance(config[key], bool):
            raise ConfigError(f"{key} must be true or false, not {config[key]!r}")


def _check_review_feed(config: Any) -> None:
    url = config["REVIEW_FEED_URL"]
    if url is not None:
        if not isinstance(url, str) or not url.startswith(("http://", "https://")) or len(url) > 2000:
            raise ConfigError(
                f"REVIEW_FEED_URL must be the platform's http:// or https:// address, or unset, not {url!r}"
            )
        secret = config["REVIEW_FEED_SECRET"]
        if not isinstance(secret, str) or len(secret) < 16:
            raise ConfigError(
                "REVIEW_FEED_SECRET must be the key agreed with the platform, at least 16 characters,"
                " when REVIEW_FEED_URL is set (it signs every record)"
            )
    for key, read in (
        ("REVIEW_FEED_LEVEL_CODES", review_feed.level_codes),
        ("REVIEW_FEED_CHANNEL_CODES", review_feed.channel_codes),
        ("REVIEW_FEED_TIMEZONE", review_feed.check_timezone),
    ):
        try:
            read(config[key])
        except review_feed.BadCodeTable as error:
            raise ConfigError(f"{key} {error}") from None
    for key in ("REVIEW_FEED_TIMEOUT", "REVIEW_FEED_BACKOFF_FIRST", "REVIEW_FEED_BACKOFF_CAP", "REVIEW_FEED_POLL"):
        if not isinstance(config[key], (int, float)) or isinstance(config[key], bool) or config[key] <= 0:
            raise ConfigError(f"{key} must be a positive number of seconds, not {config[key]!r}")
    if config["REVIEW_FEED_BACKOFF_CAP"] < config["REVIEW_FEED_BACKOFF_FIRST"]:
        raise ConfigError("REVIEW_FEED_BACKOFF_CAP must be at least REVIEW_FEED_BACKOFF_FIRST")
    batch = config["REVIEW_FEED_BATCH"]
    if not isinstance(batch, int) or isinstance(batch, bool) or not 1 <= batch <= 1000:
        raise ConfigError(f"REVIEW_FEED_BATCH must be a whole number from 1 to 1000, not {batch!r}")


def feed_codes(config: Any) -> review_feed.FeedCodes:
    """The code tables and time zone the platform's bodies are built with (checked at start)."""
    return review_feed.FeedCodes(
        levels=review_feed.level_codes(config["REVIEW_FEED_LEVEL_CODES"]),
        channels=review_feed.channel_codes(config["REVIEW_FEED_CHANNEL_CODES"]),
        timezone=config["REVIEW_FEED_TIMEZONE"],
    )


def login_policies(config: Any) -> tuple[logins.ThrottlePolicy, logins.ThrottlePolicy]:
    """How failed sign-ins are throttled: per user name, and per client address (which
    waits the same but later, and is never locked: many counters may share an address)."""
    by_username = logins.ThrottlePolicy(
        free_attempts=config["LOGIN_FREE_ATTEMPTS"],
        first_delay=config["LOGIN_FIRST_DELAY"],
        max_delay=config["LOGIN_MAX_DELAY"],
        lock_after=config["LOGIN_LOCK_AFTER"],
        lock_seconds=config["LOGIN_LOCK_MINUTES"] * 60,
        forget_seconds=config["LOGIN_FORGET_MINUTES"] * 60,
    )
    by_address = replace(by_username, free_attempts=config["LOGIN_ADDRESS_FREE_ATTEMPTS"], lock_after=0)
    return by_username, by_address


def phone_policies(config: Any) -> tuple[phone.RatePolicy, phone.RatePolicy]:
    """How citizens' phones are throttled: look-ups that find nothing, per client address;
    look-ups of one ticket, per ticket (queue_server/phone.py)."""
    misses = config["PHONE_MISSES_PER_MINUTE"]
    lookups = phone.RatePolicy(per_minute=config["PHONE_LOOKUPS_PER_MINUTE"], burst=config["PHONE_LOOKUP_BURST"])
    return phone.RatePolicy(per_minute=misses, burst=misses), lookups


def session_policy(config: Any) -> logins.SessionPolicy:
    return logins.SessionPolicy(
        idle_seconds=config["SESSION_IDLE_MINUTES"] * 60,
        max_seconds=config["SESSION_MAX_HOURS"] * 3600,
        touch_seconds=config["SESSION_TOUCH_SECONDS"],
    )
