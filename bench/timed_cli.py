"""`queue-server` with a stopwatch on its write transactions, for `bench.cli_write`.

It runs the command line's own entry point (`queue_server.cli:main`, what the installed
`queue-server` script runs) with `Storage.write` wrapped: each write transaction notes
when it had the write lock (`BEGIN IMMEDIATE` returned) and when it let go (`COMMIT`
returned), and how long the process $BENCH_WORKER_PID had waited for a CPU so far at
both moments. At exit the (acquired, released, waited, waited) tuples go as JSON to the
file named by $BENCH_LOCK_LOG.

    BENCH_LOCK_LOG=holds.json BENCH_WORKER_PID=1234 python -m bench.timed_cli --instance DIR sweep
"""

from __future__ import annotations

import atexit
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

import sqlite_utils

from bench.probes import run_queue_seconds
from queue_server import cli
from queue_server.storage.store import Storage

holds: list[tuple[float, float, float, float]] = []
_untimed_write = Storage.write


@contextmanager
def _timed_write(self: Storage) -> Iterator[sqlite_utils.Database]:
    worker = int(os.environ["BENCH_WORKER_PID"])
    acquired: tuple[float, float] | None = None
    try:
        with _untimed_write(self) as db:
            # BEGIN IMMEDIATE has returned: the lock is ours
            acquired = time.monotonic(), run_queue_seconds(worker)
            yield db
    finally:  # the untimed write has committed (or rolled back): the lock is free again
        if acquired is not None:
            holds.append((acquired[0], time.monotonic(), acquired[1], run_queue_seconds(worker)))


def _save() -> None:
    path = os.environ.get("BENCH_LOCK_LOG")
    if path:
        with open(path, "w") as f:
            json.dump(holds, f)


if __name__ == "__main__":
    Storage.write = _timed_write  # type: ignore[method-assign]
    atexit.register(_save)
    cli.main(prog_name="queue-server")
