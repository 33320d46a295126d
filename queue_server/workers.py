"""gunicorn workers whose own error pages are problem+json.

gunicorn answers a request it cannot parse (a request line or header past its limits, a
malformed line) itself, before the application sees it, with a small HTML page. The
workers here are gunicorn's eventlet and gevent workers with that page replaced by the
one error shape the rest of the API uses (RFC 9457 problem details, a Chinese sentence),
a setting the application refuses to start with reported as one line, and, as soon as
a stop is asked for, the worker's screens taken out of the shared presence so that
their zones' voices move to another server process at once.
`queue-server serve`, the Procfile and the tests' live servers use them.

Each class is built on first use (`queue_server.workers.GeventWorker` is looked up by
gunicorn's master before it forks): importing eventlet in a gevent worker, or gevent in
an eventlet one, would leave two event libraries fighting over `threading` and the
sockets, and gevent's monkey-patching then refuses to run from the main thread. For
the same reason this module imports nothing of the application (Flask and its context
locals) before the worker has patched: those imports are inside the functions.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import logging
import resource
from collections.abc import Callable
from typing import Any

from gunicorn import util
from gunicorn.errors import AppImportError

_DETAIL = {
    400: "请求无法解析：请求行或请求头格式不正确，或地址过长",
    403: "请求被拒绝",
    417: "不支持请求中的 Expect 要求",
    431: "请求头过大",
    500: "服务器内部错误，请稍后重试；问题已记录",
    501: "不支持请求使用的传输编码",
}


def write_problem(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    """Drop-in for `gunicorn.util.write_error`: the same status, as problem+json."""
    from queue_server.problems import CONTENT_TYPE, problem
    from queue_server.security import DATA_POLICY, HEADERS

    code = reason.lower().replace(" ", "_") or "error"
    body = json.dumps(
        problem(status_int, code, reason, _DETAIL.get(status_int, "请求有误")), ensure_ascii=False
    ).encode()
    security = "".join(f"{name}: {value}\r\n" for name, value in (*HEADERS, ("Content-Security-Policy", DATA_POLICY)))
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: {CONTENT_TYPE}\r\n"
        f"{security}Content-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin1") + body)


def load_or_refuse(load: Callable[[], None]) -> None:
    """gunicorn's `load_wsgi`, with a setting the server cannot start with (a second
    server on the database, Redis not answering, …) said in one line instead of a
    traceback: gunicorn prints it and stops with "App failed to load." (exit status 4)."""
    from queue_server.config import ConfigError

    try:
        load()
    except ConfigError as error:
        raise AppImportError(f"hall-queue cannot start: {error}") from None


def raise_file_limit(wanted: int) -> tuple[int, int]:
    """Each websocket holds a file descriptor; the usual soft limit (`ulimit -n`, 1024
    under systemd) stops a worker at about a thousand screens, with `accept` failing.
    Raise the soft limit towards `wanted` plus room for the database, the logs and the
    listening socket, as far as the hard limit allows; returns (soft, hard) after."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted + 256
    if hard != resource.RLIM_INFINITY:
        target = min(target, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    if soft != resource.RLIM_INFINITY and soft < wanted:
        logging.getLogger(__name__).warning(
            "file descriptor limit %d is below --worker-connections %d: raise the hard limit"
            " (LimitNOFILE= in the systemd unit, ulimit -Hn) to hold that many screens",
            soft,
            wanted,
        )
    return soft, hard


def leave_presence(worker: Any) -> None:
    """The worker is stopping: gunicorn lets open websockets run for the graceful timeout
    and may then kill it, so its screens leave the presence now, not at exit (or, with
    Redis, when its heartbeat would have expired: PRESENCE_TTL later)."""
    extensions = getattr(getattr(worker, "wsgi", None), "extensions", {})
    realtime = extensions.get("hall_queue", {}).get("realtime")
    if realtime is None:
        return
    try:
        realtime.close()
    except Exception:  # stopping anyway; the heartbeat's expiry covers it
        logging.getLogger(__name__).exception("could not take the screens out of the presence")


def __getattr__(name: str) -> type:
    """`EventletWorker` or `GeventWorker`, importing only its own event library."""
    if name == "EventletWorker":
        return _eventlet_worker()
    if name == "GeventWorker":
        return _gevent_worker()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@functools.cache
def _eventlet_worker() -> type:
    import eventlet
    from gunicorn.workers.geventlet import EventletWorker as _EventletWorker

    class EventletWorker(_EventletWorker):  # type: ignore[misc]
        def init_process(self) -> None:
            util.write_error = write_problem  # this process serves only this application
            raise_file_limit(self.worker_connections)
            super().init_process()

        def load_wsgi(self) -> None:
            load_or_refuse(super().load_wsgi)

        def handle_exit(self, sig: int, frame: Any) -> None:  # SIGTERM: a graceful stop
            super().handle_exit(sig, frame)
            eventlet.spawn_n(leave_presence, self)  # not in the signal handler itself

    EventletWorker.__module__ = __name__
    return EventletWorker


@functools.cache
def _gevent_worker() -> type:
    """The supported alternative: needs the `gevent` extra (gunicorn raises ImportError
    or RuntimeError without it)."""
    import gevent
    from gunicorn.workers.ggevent import GeventWorker as _GeventWorker

    class GeventWorker(_GeventWorker):  # type: ignore[misc]
        def init_process(self) -> None:
            util.write_error = write_problem
            raise_file_limit(self.worker_connections)
            super().init_process()

        def load_wsgi(self) -> None:
            if importlib.util.find_spec("geventwebsocket") is not None:
                # Engine.IO then expects that package's own server (environ["wsgi.websocket"])
                # and fails every websocket on gunicorn's gevent server, where it would
                # otherwise speak through simple-websocket
                raise AppImportError(
                    "hall-queue cannot start: gevent-websocket is installed, and with it every screen's"
                    " websocket would fail on this worker: pip uninstall gevent-websocket (the `gevent`"
                    " extra does not need it)"
                )
            load_or_refuse(super().load_wsgi)

        def handle_exit(self, sig: int, frame: Any) -> None:
            super().handle_exit(sig, frame)
            gevent.spawn(leave_presence, self)

    GeventWorker.__module__ = __name__
    return GeventWorker
