"""`queue-server` with a stopwatch on its write transactions, for `bench.cli_write`.

It runs the command line's own entry point (`queue_server.cli:main`, what the installed
`queue-server` script runs) with `Storage.write` wrapped: each write transaction notes
when it had the write lock (`BEGIN IMMEDIATE` returned) and when it let go (`COMMIT`
returned). At exit the intervals, `time.monotonic()` pairs, go as JSON to the file
named by $BENCH_LOCK_LOG.

    BENCH_LOCK_LOG=holds.json python -m bench.timed_cli --instance DIR import-hall FILE
"""

from __future__ import annotations

import atexit
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

import sqlite_utils

from queue_server import cli
from queue_server.storage.store import Storage

holds: list[tuple[float, float]] = []
_untimed_write = Storage.write


@contextmanager
def _timed_write(self: Storage) -> Iterator[sqlite_utils.Database]:
    acquired: float | None = None
    try:
        with _untimed_write(self) as db:
            acquired = time.monotonic()  # BEGIN IMMEDIATE has returned: the lock is ours
            yield db
    finally:  # the untimed write has committed (or rolled back): the lock is free again
        if acquired is not None:
            holds.append((acquired, time.monotonic()))


def _save() -> None:
    path = os.environ.get("BENCH_LOCK_LOG")
    if path:
        with open(path, "w") as f:
            json.dump(holds, f)


if __name__ == "__main__":
    Storage.write = _timed_write  # type: ignore[method-assign]
    atexit.register(_save)
    cli.main(prog_name="queue-server")
