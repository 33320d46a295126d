"""The SQLite file: connections, transactions, and waiting for the write lock.

Writes go through `Storage.write()`, a `BEGIN IMMEDIATE` transaction on a pooled
connection: the write lock is taken at the start, so two windows calling at the same
instant serialise here and never read the same waiting ticket. Transactions are short
and never wait on the network (under eventlet a sqlite call blocks the hub; a network
write would yield mid-transaction).

Waiting for the lock happens in Python, not in SQLite: connections have no busy timeout
(SQLite's busy handler sleeps inside C, which would freeze the eventlet hub and every
screen with it while a command-line write or a second process holds the lock). Instead
`BEGIN` is retried with `time.sleep`, which under eventlet yields to the other green
threads, until `busy_timeout` seconds have passed; then the caller gets `StoreBusy`.
`sqlite_busy_handler=True` (setting SQLITE_BUSY_HANDLER, for `bench/cli_write.py` only)
brings the old way back, SQLite waiting inside C, to show the difference.

Durability: WAL with `synchronous=FULL` by default, so an acknowledged ticket survives a
crash of the process and of the machine. `NORMAL` survives a process crash only.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from queue_server.domain.errors import StoreBusy
from queue_server.storage.lock import ServerLock
from queue_server.storage.schema import MIGRATIONS, REBUILDS

log = logging.getLogger(__name__)

_FIRST_WAIT = 0.0005  # seconds: the first retry comes quickly, most locks are sub-millisecond
_LONGEST_WAIT = 0.005  # a waiting call is at most this late after the lock frees


class Storage:
    """A SQLite file and a small pool of connections to it."""

    def __init__(
        self,
        path: str | Path,
        *,
        synchronous: str = "FULL",
        pool_size: int = 8,
        busy_timeout: float = 10.0,
        sqlite_busy_handler: bool = False,
    ) -> None:
        if synchronous not in ("FULL", "NORMAL", "EXTRA"):
            raise ValueError(f"DB_SYNCHRONOUS must be FULL, NORMAL or EXTRA, not {synchronous!r}")
        self.path = Path(path)
        self.synchronous = synchronous
        self.busy_timeout = busy_timeout
        self.sqlite_busy_handler = sqlite_busy_handler
        self._pool: list[sqlite_utils.Database] = []
        self._pool_size = pool_size
        self._lock = threading.Lock()
        self._server_lock = ServerLock(self.path)

    def claim_server(self, *, shared: bool, wait: float) -> None:
        """This process serves the file: alone (`shared=False`, no message queue) or
        beside other servers that share a message queue; `DatabaseInUse` if another
        server process serves it the other way (storage/lock.py). Held until `close()`."""
        self._server_lock.acquire(shared=shared, wait=wait)

    def _connect(self) -> sqlite_utils.Database:
        # lock waits happen in `_retry`, where they can yield; unless the old way is asked for
        in_sqlite = self.busy_timeout if self.sqlite_busy_handler else 0
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=in_sqlite)
        conn.execute(f"PRAGMA busy_timeout={int(in_sqlite * 1000)}")
        self._retry(lambda: conn.execute("PRAGMA journal_mode=WAL"))
        conn.execute(f"PRAGMA synchronous={self.synchronous}")
        conn.execute("PRAGMA foreign_keys=ON")
        return sqlite_utils.Database(conn)

    @contextmanager
    def _connection(self) -> Iterator[sqlite_utils.Database]:
        with self._lock:
            db = self._pool.pop() if self._pool else None
        if db is None:
            db = self._connect()
        try:
            yield db
        finally:
            if db.conn.in_transaction:  # never hand a half-open transaction to the next caller
                db.conn.rollback()
            with self._lock:
                if len(self._pool) < self._pool_size:
                    self._pool.append(db)
                    db = None
            if db is not None:
                db.close()

    @contextmanager
    def read(self) -> Iterator[sqlite_utils.Database]:
        """A read transaction: every statement inside sees the same committed state, so a
        snapshot's sequence number matches its counts."""
        with self._connection() as db:
            # the first read fixes the snapshot; in WAL it waits only on a rare checkpoint
            self._retry(lambda: (db.conn.execute("BEGIN"), db.conn.execute("SELECT 1 FROM sqlite_master LIMIT 1")))
            try:
                yield db
            finally:
                db.conn.rollback()

    @contextmanager
    def write(self) -> Iterator[sqlite_utils.Database]:
        """One `BEGIN IMMEDIATE` transaction: committed on success, rolled back on error."""
        with self._connection() as db:
            self._retry(lambda: db.conn.execute("BEGIN IMMEDIATE"))
            try:
                yield db
            except BaseException:
                db.conn.rollback()
                raise
            db.conn.execute("COMMIT")

    def _retry(self, attempt: object) -> None:
        """Run `attempt` until SQLite stops answering "locked", sleeping in between (a
        green sleep under eventlet); `StoreBusy` after `busy_timeout` seconds."""
        deadline = time.monotonic() + self.busy_timeout
        wait = _FIRST_WAIT
        while True:
            try:
                attempt()  # type: ignore[operator]
                return
            except sqlite3.OperationalError as error:
                if not _is_busy(error):
                    raise
                if time.monotonic() >= deadline:
                    log.warning("database %s stayed locked for %.1f s", self.path, self.busy_timeout)
                    raise StoreBusy("数据库正忙（另一程序正在写入）：请稍后重试") from None
            time.sleep(wait)
            wait = min(wait * 2, _LONGEST_WAIT)

    def migrate(self) -> int:
        """Bring the schema up to date; returns the version now in force."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connection() as db:
            version = db.conn.execute("PRAGMA user_version").fetchone()[0]
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                log.info("applying migration %d", number)
                rebuild = number in REBUILDS  # a table is rebuilt: references stay as written
                if rebuild:
                    db.conn.execute("PRAGMA foreign_keys=OFF")
                try:
                    self._retry(lambda: db.conn.execute("BEGIN IMMEDIATE"))
                    try:
                        for statement in _statements(f"{script}\nPRAGMA user_version={number};"):
                            db.conn.execute(statement)
                        broken = db.conn.execute("PRAGMA foreign_key_check").fetchall()
                        if broken:
                            raise RuntimeError(f"migration {number} left broken references: {broken[:5]}")
                        db.conn.execute("COMMIT")
                    except BaseException:
                        if db.conn.in_transaction:
                            db.conn.rollback()
                        raise
                finally:
                    if rebuild:
                        db.conn.execute("PRAGMA foreign_keys=ON")
            return len(MIGRATIONS)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, []
        for db in pool:
            db.close()
        self._server_lock.release()


def _statements(script: str) -> Iterator[str]:
    """The statements of a migration script, one by one (`executescript` would commit the
    transaction the migration runs in)."""
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n\t;"):
                yield pending
            pending = ""
    if pending.strip(" \n\t;"):
        raise ValueError(f"incomplete statement at the end of a migration: {pending[:80]!r}")


def _is_busy(error: sqlite3.OperationalError) -> bool:
    text = str(error)
    return "locked" in text or "busy" in text
