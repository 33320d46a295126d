"""What `bench.cli_write` runs beside the server: the clerks, threads of the bench
process, and two child processes, each on its own so that it shares neither a GIL nor a
SQLite connection with the server or the clerks. The children are started with
multiprocessing's spawn and talk to the parent over a pipe. All times are
`time.monotonic()`, one clock for every process on Linux.

`Clerks`: one thread per window, on keep-alive connections, calling next, starting and
finishing in a loop and timing each request.

`hold_lock` is the controlled long write: it opens the server's database file with the
standard `sqlite3` module, as any other program would, and on each ("hold", seconds)
takes the write lock with `BEGIN IMMEDIATE` (what `queue-server`'s writes do), writes
one row, keeps the lock for that long and commits (with the fsync of synchronous=FULL).

`poll_health` asks `GET /api/v1/health` (no session, no database) on one keep-alive
connection, pausing a few milliseconds after each answer: a request that takes long
means the worker's hub was not running.

The clerks, the poller and the holder note how long the worker has waited for a CPU so
far (`run_queue_seconds`) as each answer comes or each hold ends: on a busy machine, the
difference is the part of a delay that the machine, not the server, caused.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import sqlite3
import threading
import time
from collections import Counter
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

ACTIONS = ("call-next", "start-service", "finish-service")
HOLD_TABLE = "bench_lock_hold"  # the holder's own table; nothing in the server reads it


def run_queue_seconds(pid: int) -> float:
    """Seconds `pid` has spent ready to run but waiting for a CPU (/proc/<pid>/schedstat)."""
    with open(f"/proc/{pid}/schedstat") as f:
        return int(f.read().split()[1]) / 1e9


@dataclass
class Request:
    action: str
    sent: float
    answered: float
    queued: float  # the worker's `run_queue_seconds` when the answer came
    ticket: str | None = None  # call-next's ticket number

    @property
    def seconds(self) -> float:
        return self.answered - self.sent


class Clerks:
    """One thread per window, each on its own keep-alive connection: call-next,
    start-service, finish-service, `pause` seconds after each answer, until stopped."""

    def __init__(self, port: int, worker: int, hall: str, headers: list[dict[str, str]], pause: float) -> None:
        self.requests: list[Request] = []
        self.failures: Counter[str] = Counter()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        prefix = f"/api/v1/halls/{hall}/windows"
        self._threads = [
            threading.Thread(target=self._clerk, args=(port, worker, f"{prefix}/{number}", h, pause), daemon=True)
            for number, h in enumerate(headers, start=1)
        ]
        for thread in self._threads:
            thread.start()

    def _clerk(self, port: int, worker: int, base: str, headers: dict[str, str], pause: float) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[Request] = []
        failures: Counter[str] = Counter()
        while not self._stop.is_set() and sum(failures.values()) < 20:
            for action in ACTIONS:
                sent = time.monotonic()
                try:
                    connection.request("POST", f"{base}/{action}", body=b"{}", headers=headers)
                    response = connection.getresponse()
                    body = response.read()
                except (OSError, http.client.HTTPException) as error:
                    failures[f"{action} {type(error).__name__}"] += 1
                    connection.close()
                    break
                answered, queued = time.monotonic(), run_queue_seconds(worker)
                if response.status != 200:
                    failures[f"{action} HTTP {response.status} {_problem_code(body)}"] += 1
                    break  # the cycle starts over at call-next
                ticket = str(json.loads(body)["ticket"]) if action == "call-next" else None
                mine.append(Request(action, sent, answered, queued, ticket))
                time.sleep(pause)
            else:
                continue
            time.sleep(pause)  # after a failure, too
        connection.close()
        with self._lock:
            self.requests += mine
            self.failures.update(failures)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(60)


class Child:
    """A spawned child process (`hold_lock`, `poll_health`) and our end of its pipe."""

    def __init__(self, target: Any, *args: Any) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipe, child_end = context.Pipe()
        self.process = context.Process(target=target, args=(*args, child_end), daemon=True)
        self.process.start()

    def receive(self, timeout: float) -> Any:
        if not self.pipe.poll(timeout):
            raise RuntimeError(f"{self.process.name} did not answer within {timeout:.0f} s")
        return self.pipe.recv()

    def close(self) -> None:
        self.process.join(5)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(5)


def _problem_code(body: bytes) -> str:
    try:
        return str(json.loads(body).get("code", ""))
    except (ValueError, AttributeError):
        return ""


def hold_lock(database: str, worker: int, conn: Connection) -> None:
    """Entry point: ("hold", seconds) -> ("held", acquired, released, the worker's
    `run_queue_seconds` at both); ("stop",) ends."""
    db = sqlite3.connect(database, isolation_level=None, timeout=30)
    try:
        db.execute("PRAGMA synchronous=FULL")
        # a schema change: made once, before the clerks start
        db.execute(f"CREATE TABLE IF NOT EXISTS {HOLD_TABLE} (id INTEGER PRIMARY KEY, held_ms REAL NOT NULL)")
        conn.send(("ready",))
        while True:
            message = conn.recv()
            if message[0] != "hold":
                break
            seconds = float(message[1])
            # waits, inside SQLite, for the server's own short writes: this process has
            # nothing else to do meanwhile
            db.execute("BEGIN IMMEDIATE")
            acquired, queued_acquired = time.monotonic(), run_queue_seconds(worker)
            db.execute(f"INSERT INTO {HOLD_TABLE} (held_ms) VALUES (?)", [seconds * 1000])
            time.sleep(max(0.0, acquired + seconds - time.monotonic()))
            db.execute("COMMIT")
            released = time.monotonic()
            conn.send(("held", acquired, released, queued_acquired, run_queue_seconds(worker)))
    finally:
        db.close()


def poll_health(port: int, worker: int, pause: float, time_limit: float, conn: Connection) -> None:
    """Entry point: polls until the parent sends anything (or `time_limit` seconds pass),
    then sends ("samples", [(sent, seconds, worker's CPU wait), ...], {error: count})."""
    samples: list[tuple[float, float, float]] = []
    errors: Counter[str] = Counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    deadline = time.monotonic() + time_limit
    conn.send(("ready",))
    while not conn.poll() and time.monotonic() < deadline:
        sent, queued = time.monotonic(), run_queue_seconds(worker)
        try:
            connection.request("GET", "/api/v1/health")
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException) as error:
            errors[type(error).__name__] += 1
            connection.close()  # the next request opens a new connection
        else:
            if response.status == 200:
                samples.append((sent, time.monotonic() - sent, run_queue_seconds(worker) - queued))
            else:
                errors[f"HTTP {response.status}"] += 1
        time.sleep(pause)
    connection.close()
    conn.send(("samples", samples, dict(errors)))
