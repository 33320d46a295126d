"""The application factory."""

from __future__ import annotations

import atexit
import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask
from flask_socketio import SocketIO
from werkzeug.middleware.proxy_fix import ProxyFix

import counter_client.pad
import counter_client.pages
import manage_client.pages
import signage
import ticket_printer.pages
from queue_server import config, pages, storage
from queue_server.accounts import Accounts
from queue_server.api import Identifier, create_blueprint, register_error_handlers
from queue_server.domain import clock
from queue_server.jobs import Jobs
from queue_server.offload import offloader
from queue_server.passwords import Passwords
from queue_server.phone import Phone, public_base_url
from queue_server.realtime import Realtime, wire
from queue_server.realtime.presence import Presence, PresenceStore
from queue_server.review_feed import FeedSender
from queue_server.security import SecurityHeaders
from queue_server.services import Services
from queue_server.speech import SpeechRenderer
from ticket_printer import phone as phone_page

log = logging.getLogger(__name__)


def create_app(test_config: dict[str, Any] | None = None, instance_path: str | None = None) -> Flask:
    """Build the app: settings, store (migrated), services, HTTP API and Socket.IO.

    The instance folder (secret key, config.toml, the SQLite file) is `instance_path`,
    else `$QUEUE_INSTANCE_PATH`, else `./instance`.
    """
    # no static folder of its own: the screens' files are their blueprint's (signage)
    app = Flask(
        __name__,
        instance_path=str(resolve_instance_path(instance_path)),
        instance_relative_config=True,
        static_folder=None,
    )
    config.load(app, test_config)
    store = storage.Storage(
        app.config["DATABASE"],
        synchronous=app.config["DB_SYNCHRONOUS"],
        busy_timeout=app.config["BUSY_TIMEOUT"],
        sqlite_busy_handler=app.config["SQLITE_BUSY_HANDLER"],
        offload=offloader(app.config["ASYNC_MODE"]),  # each group COMMIT's fsync: off the hub
    )
    if app.config["PUBLISHES"]:  # a server process; the command line works alongside any
        # the group commit's figures, for the bench and the operator (storage/store.py)
        atexit.register(lambda: log.info("group commit at exit: %s", store.commit_figures_text()))
        try:
            store.claim_server(shared=app.config["MESSAGE_QUEUE"] is not None, wait=app.config["SERVER_LOCK_WAIT"])
        except storage.DatabaseInUse as error:
            raise config.ConfigError(str(error)) from None
    store.migrate()
    services = Services(
        store,
        config.id_secret(app.config),
        publishes=app.config["PUBLISHES"],
        idempotency_days=app.config["IDEMPOTENCY_DAYS"],
        feed_keep_days=app.config["FEED_KEEP_DAYS"],
        print_job_max_age=app.config["PRINT_JOB_MAX_AGE"],
        public_base_url=lambda: public_base_url(app.config),
        feed_codes=config.feed_codes(app.config),
        offload=offloader(app.config["ASYNC_MODE"]),
        issue_figure_max_age=app.config["ISSUE_FIGURE_MAX_AGE"],
    )
    passwords = Passwords(
        app.config["ASYNC_MODE"],
        threads=app.config["PASSWORD_HASH_THREADS"],
        on_hub=app.config["PASSWORD_HASHING_ON_HUB"],
    )
    by_username, by_address = config.login_policies(app.config)
    accounts = Accounts(
        store,
        passwords,
        by_username=by_username,
        by_address=by_address,
        sessions=config.session_policy(app.config),
        refusal_delay=app.config["LOGIN_REFUSAL_DELAY"],
    )
    socketio = SocketIO(
        app,
        async_mode=app.config["ASYNC_MODE"],
        message_queue=app.config["MESSAGE_QUEUE"],
        ping_interval=app.config["PING_INTERVAL"],
        ping_timeout=app.config["PING_TIMEOUT"],
        max_http_buffer_size=app.config["MAX_CONTENT_LENGTH"],
        json=wire,
    )
    now = app.config.get("CLOCK") or clock.utc_now  # tests may pass a callable
    misses, lookups = config.phone_policies(app.config)
    phone = Phone(services, keep_days=app.config["PHONE_TICKET_DAYS"], misses=misses, lookups=lookups)

    speech = SpeechRenderer(
        Path(app.config["SPEECH_CACHE"] or Path(app.instance_path) / "speech-cache"), app.config["ESPEAK_NG"]
    )
    realtime = Realtime(
        socketio,
        store,
        services,
        accounts,
        app.config["CATCH_UP_LIMIT"],
        now,
        speech.available,
        recheck_seconds=app.config["CREDENTIAL_RECHECK_SECONDS"],
        memory_trim_after=app.config["MEMORY_TRIM_AFTER"],
        presence_store=presence_store(app.config),
        phone=phone,
        wait_push_delay=app.config["WAIT_PUSH_DELAY"],
        # a ticket issued between plays takes its figure from the last one while that is at
        # most ISSUE_FIGURE_MAX_AGE old: half of it for the pause, the rest for the next play
        wait_push_max_pause=app.config["ISSUE_FIGURE_MAX_AGE"] / 2,
        stub_delay=app.config["STUB_DELAY"],
    )
    if realtime.presence.beat_seconds is not None:  # shared presence: leave it at once on the way out
        atexit.register(realtime.close)
    jobs = Jobs(socketio, services, accounts, realtime, now, app.config["JOB_INTERVAL"])
    if app.config["BACKGROUND_JOBS"]:
        jobs.start()
    # the 好差评 feed's sender (queue_server/review_feed.py): a server's own loop, like the
    # timer; the command line only reads the outbox
    feed = FeedSender.from_config(store, app.config, now, socketio.sleep)
    if app.config["BACKGROUND_JOBS"] and app.config["PUBLISHES"]:
        if feed.configured:
            socketio.start_background_task(feed.run)
        else:
            log.info("REVIEW_FEED_URL is not set: ratings wait in the outbox (GET /api/v1/feed)")
    app.extensions["hall_queue"] = {
        "store": store,
        "services": services,
        "accounts": accounts,
        "realtime": realtime,
        "jobs": jobs,
        "feed": feed,
        "speech": speech,
        "phone": phone,
        "now": now,
    }
    if app.config["PROXY_HOPS"]:
        # the client's address (for throttling sign-ins) and scheme, as the proxies in front saw them
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    register_routes(app)
    register_error_handlers(app)
    # outermost, around Socket.IO's middleware too: every answer gets the security headers
    app.wsgi_app = SecurityHeaders(app.wsgi_app)  # type: ignore[method-assign]
    log.info("hall-queue ready: database %s, async mode %s", app.config["DATABASE"], app.config["ASYNC_MODE"])
    return app


def close_app(app: Flask) -> None:
    """This app stops serving its database: its pending wait push is dropped (a round under
    way is waited for), then the store closes. Without the first, a push marked just before
    would read a closed or removed database from its background task."""
    ext = app.extensions["hall_queue"]
    ext["realtime"].wait_pushes.close()
    ext["store"].close()


def register_routes(app: Flask) -> None:
    """Every HTTP route: the API under /api/v1, the screens' pages under /screens, the
    landing and sign-in pages, the desk and the kiosk, the citizen's phone page under /t,
    the clerk's console and the review pad (apart from the app, so that the role matrix
    test can list them as it collects)."""
    app.url_map.converters["uint"] = Identifier
    app.register_blueprint(create_blueprint(), url_prefix="/api/v1")
    app.register_blueprint(signage.create_blueprint(), url_prefix="/screens")
    app.register_blueprint(pages.create_blueprint())  # / and /login, shared by every staff page
    app.register_blueprint(ticket_printer.pages.create_blueprint())  # /desk and /kiosk
    app.register_blueprint(phone_page.create_blueprint(), url_prefix="/t")
    app.register_blueprint(counter_client.pages.create_blueprint())  # /counter: the clerk's console
    app.register_blueprint(counter_client.pad.create_blueprint())  # /pad: the review pad (评价器)
    app.register_blueprint(manage_client.pages.create_blueprint())  # /manage: the manager's pages


def presence_store(settings: Any) -> PresenceStore:
    """Where presence and the announcers live, from the setting, never by probing: the
    Redis of MESSAGE_QUEUE for a server process among several, else this process."""
    if settings["MESSAGE_QUEUE"] is None or not settings["PUBLISHES"]:
        return Presence()
    from queue_server.realtime.redis_presence import RedisPresence, RedisUnreachable

    try:
        return RedisPresence(settings["MESSAGE_QUEUE"], ttl=settings["PRESENCE_TTL"])
    except RedisUnreachable as error:
        raise config.ConfigError(f"MESSAGE_QUEUE: {error}; start Redis first, or unset MESSAGE_QUEUE") from None


def resolve_instance_path(explicit: str | None = None) -> Path:
    return Path(explicit or os.environ.get("QUEUE_INSTANCE_PATH") or "instance").resolve()
