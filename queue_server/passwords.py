"""Password hashes, made and checked off the server's event loop.

A werkzeug scrypt hash costs about 130 ms of CPU. Under eventlet (or gevent) every
request and every websocket of the worker runs on one hub thread, so a hash computed
there stops all of them: a few clients sending wrong passwords in a loop used to push
`/health` from 3.5 ms to 471 ms and could outlast the screens' ping timeout. Here the
hash runs in a real OS thread (`eventlet.tpool`, gevent's thread pool); scrypt releases
the GIL, so the hub goes on meanwhile. At most `threads` hashes run at once (default: the
machine's CPUs less one, for the hub), the rest wait their turn without using a CPU,
which also bounds scrypt's memory (32 MiB a hash). The hashing threads run at a lower
CPU priority (nice +10) than the hub, for machines with no core to spare.

The async mode is the server's ASYNC_MODE setting, passed in: never detected. Under
`threading` (the command line, in-process tests) a hash is a plain call.
`on_hub=True` (PASSWORD_HASHING_ON_HUB, for `bench/login_stall.py` only) brings the old
way back for contrast.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from werkzeug.security import check_password_hash, generate_password_hash

from queue_server.domain.errors import InvalidInput

MIN_PASSWORD_LENGTH = 8
HASH_THREAD_NICE = 10  # a hashing thread's CPU weight is about a tenth of the hub's
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
        self._offload: Callable[..., Any]
        if async_mode == "eventlet":
            from eventlet import semaphore, tpool

            self._turns = semaphore.Semaphore(self.threads)
            self._offload = tpool.execute
        elif async_mode == "gevent":
            import gevent.lock

            self._turns = gevent.lock.Semaphore(self.threads)
            self._offload = _gevent_offload
        elif async_mode == "threading":
            self._turns = threading.BoundedSemaphore(self.threads)
            self._offload = _call
        else:
            raise ValueError(f"unknown async mode {async_mode!r}")

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
            if self._offload is _call:
                return function(*args)
            return self._offload(_yielding, function, *args)  # type: ignore[no-any-return]


def _call(function: Callable[..., T], *args: Any) -> T:
    return function(*args)


_pool_thread = threading.local()


def _yielding(function: Callable[..., T], *args: Any) -> T:
    """Run in a pool thread at a lower CPU priority, so that where the machine has no
    core to spare the hub thread gets the CPU first and a hash waits: a sign-in takes a
    little longer, calls and screens do not."""
    if not getattr(_pool_thread, "lowered", False):
        _pool_thread.lowered = True
        if sys.platform == "linux":  # the nice value is per thread on Linux only
            with contextlib.suppress(OSError):  # not allowed here: the usual priority, then
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASH_THREAD_NICE)
    return function(*args)


def _gevent_offload(function: Callable[..., T], *args: Any) -> T:
    import gevent

    return gevent.get_hub().threadpool.apply(function, args)  # type: ignore[no-any-return]
