"""Which server processes may serve one database: one alone, or any number that share a
message queue.

Without a message queue a server process knows only its own screens: a second one on
the same database would send its calls to its own screens only and give each zone a
second voice. So a server process takes a lock on a file next to the database
(`<database>-server.lock`): exclusive without a message queue, shared with one. A
server without one is then refused while any other server runs, and a server with one
while a server without runs. The command line takes no lock and works alongside.

`fcntl.flock` locks belong to the open file: the kernel drops them the moment the
process ends, however it ends, so a killed server never holds up the next start.
gunicorn's reload (SIGHUP) starts the new worker before the old one has stopped, so a
start waits `wait` seconds for the lock before it refuses.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_POLL = 0.1  # seconds between attempts while waiting for another server to stop


class DatabaseInUse(RuntimeError):
    """Another server process serves the database in a way this one cannot join."""


class ServerLock:
    """The lock a server process holds on its database for as long as it runs."""

    def __init__(self, database: Path) -> None:
        self.path = database.with_name(database.name + "-server.lock")
        self._fd: int | None = None

    def acquire(self, *, shared: bool, wait: float) -> None:
        """Take the lock, shared (this server has a message queue) or exclusive; after
        `wait` seconds of another server holding it the other way, `DatabaseInUse`."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + wait
        logged = False
        try:
            while True:
                try:
                    fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise DatabaseInUse(self._refusal(shared)) from None
                    if not logged:
                        log.warning("%s; waiting up to %.0f s for it to stop", self._holder_sentence(), wait)
                        logged = True
                    time.sleep(_POLL)  # a green sleep under eventlet
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(_about_this_process(shared)).encode() + b"\n", 0)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the only descriptor drops the lock
            self._fd = None

    def holder(self) -> dict[str, Any]:
        """Who holds the lock, as its holder wrote it: pid, host, since, message_queue."""
        return self._holder()

    def _holder(self) -> dict[str, Any]:
        try:
            holder = json.loads(self.path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            return {}
        return holder if isinstance(holder, dict) else {}

    def _holder_sentence(self) -> str:
        holder = self._holder()
        who = "a server process"
        if "pid" in holder:
            who += f" (pid {holder['pid']} on {holder.get('host', '?')}, since {holder.get('since', '?')})"
        how = "with" if holder.get("message_queue") else "without"
        return f"{who} {how} a message queue serves {self.path.with_name(self.path.name.removesuffix('-server.lock'))}"

    def _refusal(self, shared: bool) -> str:
        if shared:
            return (
                f"{self._holder_sentence()}. A server without MESSAGE_QUEUE must be the only one on its database:"
                " stop it, or give it the same MESSAGE_QUEUE as this one (docs/deployment.md)."
            )
        return (
            f"{self._holder_sentence()}. Without MESSAGE_QUEUE only one server process may serve a database:"
            " stop the other one, or give every server process the same MESSAGE_QUEUE=redis://…"
            " (QUEUE_MESSAGE_QUEUE; docs/deployment.md)."
        )


def _about_this_process(shared: bool) -> dict[str, Any]:
    since = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return {"pid": os.getpid(), "host": socket.gethostname(), "since": since, "message_queue": shared}
