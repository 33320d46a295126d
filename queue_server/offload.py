"""Blocking work off the server's event loop: scrypt hashes (`passwords.py`) and the long
reads of reports (the 好差评 figures, the case list).

Under eventlet (or gevent) every request and websocket of a worker runs on one hub
thread; a call that blocks in C there (scrypt, an SQLite query scanning a month of a big
hall) stops every screen until it returns. `offloader(async_mode)` gives a function that
runs such a call in a real OS thread (`eventlet.tpool`, gevent's thread pool) while the
calling green thread waits; scrypt and SQLite release the GIL, so the hub goes on. Those
threads run at a lower CPU priority (nice +10) than the hub, for machines with no core to
spare: a report takes a little longer, calls and screens do not. Under `threading` (the
command line, in-process tests) it is a plain call.

The async mode is the server's ASYNC_MODE setting, passed in: never detected.

Under eventlet and gevent `offloader` also shortens the interpreter's switch interval
(`SWITCH_INTERVAL`, 5 ms by default): a pool thread whose call returned must take the GIL
back from a busy hub to hand its result over, and waited up to the whole interval for it,
twice per call. The group commit (`storage/store.py`) offloads every COMMIT, so that wait
was most of a commit's time under load; a shorter interval only changes how soon the GIL
changes hands, not how the CPU is shared.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
Offload = Callable[..., Any]  # offload(function, *args, **kwargs) -> function(*args, **kwargs)
THREAD_NICE = 10  # a pool thread's CPU weight is about a tenth of the hub's
SWITCH_INTERVAL = 0.001  # seconds a thread waits at most for the GIL (Python's default: 0.005)

_pool_thread = threading.local()


def offloader(async_mode: str) -> Offload:
    """How this server runs a blocking call: in a pool thread, or (threading) in place."""
    if async_mode in ("eventlet", "gevent"):
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
    if async_mode == "eventlet":
        from eventlet import tpool

        return lambda function, *args, **kwargs: tpool.execute(_yielding, function, *args, **kwargs)
    if async_mode == "gevent":
        return _gevent_offload
    if async_mode == "threading":
        return call
    raise ValueError(f"unknown async mode {async_mode!r}")


def call(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return function(*args, **kwargs)


def _yielding(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run in a pool thread at a lower CPU priority, so that where the machine has no
    core to spare the hub thread gets the CPU first."""
    if not getattr(_pool_thread, "lowered", False):
        _pool_thread.lowered = True
        if sys.platform == "linux":  # the nice value is per thread on Linux only
            with contextlib.suppress(OSError):  # not allowed here: the usual priority, then
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), THREAD_NICE)
    return function(*args, **kwargs)


def _gevent_offload(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    import gevent

    return gevent.get_hub().threadpool.apply(_yielding, (function, *args), kwargs)  # type: ignore[no-any-return]
