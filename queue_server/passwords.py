"""Password hashes, made and checked off the server's event loop.

A werkzeug scrypt hash costs about 130 ms of CPU. Under eventlet (or gevent) every
request and every websocket of the worker runs on one hub thread, so a hash computed
there stops all of them: a few clients sending wrong passwords in a loop used to push
`/health` from 3.5 ms to 471 ms and could outlast the screens' ping timeout. Here the
hash runs in a real OS thread (`eventlet.tpool`, gevent's thread pool); scrypt releases
the GIL, so the hub goes on meanwhile (`offload.py`, at a lower CPU priority than the
hub). At most `threads` hashes run at once (default: the machine's CPUs less one, for
the hub), the rest wait their turn without using a CPU, which also bounds scrypt's
memory (32 MiB a hash).

The async mode is the server's ASYNC_MODE setting, passed in: never detected. Under
`threading` (the command line, in-process tests) a hash is a plain call.
`on_hub=True` (PASSWORD_HASHING_ON_HUB, for `bench/login_stall.py` only) brings the old
way back for contrast.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from werkzeug.security import check_password_hash, generate_password_hash

from queue_server.domain.errors import InvalidInput
from queue_server.offload import offloader

MIN_PASSWORD_LENGTH = 8
T = TypeVar("T")


def default_threads() -> int:
    return max(1, (os.cpu_count() or 2) - 1)


class Passwords:
    def __init__(self, async_mode: str = "threading", *, threads: int | None = None, on_hub: bool = False) -> None:
        self.async_mode = async_mode
        self.on_hub = on_hub
        self.threads = threads or default_threads()
        self._dummy_hash: str | None = None
        self._turns: Any
        self._offload = offloader(async_mode)
        if async_mode == "eventlet":
            from eventlet import semaphore

            self._turns = semaphore.Semaphore(self.threads)
        elif async_mode == "gevent":
            import gevent.lock

            self._turns = gevent.lock.Semaphore(self.threads)
        else:
            self._turns = threading.BoundedSemaphore(self.threads)

    def hash(self, password: str) -> str:
        """A new hash of `password`, which must be long enough."""
        if len(password) < MIN_PASSWORD_LENGTH:
            raise InvalidInput(f"密码至少 {MIN_PASSWORD_LENGTH} 位", field="password")
        return self._run(generate_password_hash, password)

    def check(self, stored_hash: str | None, password: str) -> bool:
        """Whether `password` matches `stored_hash`. With None (no such user, or an account
        that may not sign in) it checks against a hash of the same cost and says False,
        so that a wrong user name takes as long as a wrong password."""
        if stored_hash is None:
            self._run(check_password_hash, self._dummy(), password)
            return False
        return bool(self._run(check_password_hash, stored_hash, password))

    def _dummy(self) -> str:
        if self._dummy_hash is None:  # made once, on first need, off the hub like any other
            self._dummy_hash = self._run(generate_password_hash, "not-a-real-password")
        return self._dummy_hash

    def _run(self, function: Callable[..., T], *args: Any) -> T:
        if self.on_hub:
            return function(*args)
        with self._turns:
            return self._offload(function, *args)  # type: ignore[no-any-return]
