"""The SQLite file: connections, transactions, and waiting for the write lock.

Writes go through `Storage.write()`, inside a `BEGIN IMMEDIATE` transaction on the
writer connection (group commit, below): SQLite's write lock is taken at the start, and
one write body runs at a time, so two windows calling at the same instant serialise
here and never read the same waiting ticket. Transactions are short
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

Group commit. Under FULL each COMMIT waits for an fsync; one fsync per write capped a
worker at the disk's fsync rate, and run on the eventlet hub it froze every screen
meanwhile. So writes that arrive together share one transaction and one COMMIT:

- every write runs on one dedicated writer connection, its body inside a SAVEPOINT of
  the open transaction (the first write of a batch opens it with `BEGIN IMMEDIATE`,
  retried as above). A body that raises is rolled back to its savepoint: its own changes
  go, the batch's other writes stay. One body at a time has the connection, so later
  bodies of a batch see the earlier ones' changes, as they would have one after another;
- once its body is done, a caller waits for the COMMIT that holds it. The last body of
  a batch, the one with no writer queued behind it, leads: it keeps the writer
  connection (so nothing writes into a committing transaction), detaches the batch, and
  runs COMMIT (and with it SQLite's auto-checkpoint) off the hub through the server's
  offload (`queue_server/offload.py`: a pool thread under eventlet and gevent, in place
  under threading). Screens and requests go on meanwhile; writes that arrive during a
  COMMIT queue for the connection and form the next batch. The others of the batch
  are woken when it is done. (Two plain locks, a write lock and a commit lock whose
  first taker leads, split batches: the writer that had just let the write lock go
  could take it straight back as leader before the queued writers woke.) A batch holds
  at most `MAX_BATCH` writes, so a steady stream of writers still commits;
- `with store.write()` therefore returns only after its change is durable, so callers
  emit their events and answer after the block exactly as before. If the COMMIT fails,
  every write of the batch gets the error. A refused write (its body raised) also waits
  for the batch's COMMIT before its error goes out, because the refusal may rest on
  earlier writes of the batch (the queue they filled): if that COMMIT fails, the
  refused caller gets the COMMIT's error instead of an answer from state that never was.

An acknowledgement (an answer, an event) thus still means "on disk"; what changed is
that up to a batch of writes are answered by one fsync, and that the writers of a batch
resume (and emit) in no set order, each after other green threads may already have read
the committed state: screens order events by sequence number and drop the ones a
snapshot already held (docs/operations.md). `write()` inside `write()` in the
same thread of control would wait for itself: it raises `NestedWrite` at once.
Counters (commits, writes committed, the largest batch) are in `commit_figures()`,
logged when a batch larger than any before commits and when the server stops.

The lock and its conditions are `threading`'s: green under eventlet and gevent, whose
workers monkey-patch `threading` (checked: `threading.Lock()` is `eventlet.lock.Lock`
there and `threading.get_ident()` names the green thread); real under threading (the
command line, in-process tests). Reads keep their pooled connections and see committed
state only, never a batch in progress.
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
from queue_server.offload import Offload, call
from queue_server.storage.lock import ServerLock
from queue_server.storage.schema import MIGRATIONS, REBUILDS

log = logging.getLogger(__name__)

_FIRST_WAIT = 0.0005  # seconds: the first retry comes quickly, most locks are sub-millisecond
_LONGEST_WAIT = 0.005  # a waiting call is at most this late after the lock frees
MAX_BATCH = 512  # writes in one COMMIT at most, so a steady stream of writers still commits
_SAVEPOINT = "one_write"  # each write's savepoint in the batch's transaction


class NestedWrite(RuntimeError):
    """`Storage.write()` inside `Storage.write()`: the inner one would wait for the outer
    one's commit, which waits for the inner one. A programming error, raised at once."""


class _Batch:
    """The writes sharing one transaction; `done` once its COMMIT ran (or failed)."""

    __slots__ = ("done", "error", "writes")

    def __init__(self) -> None:
        self.writes = 0  # bodies that ended well, committed with it
        self.done = False
        self.error: BaseException | None = None  # the COMMIT's failure, or what broke the transaction


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
        offload: Offload = call,
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
        # group commit (module docstring): the writer connection, its open batch, the locks
        self._offload = offload
        self._writer: sqlite_utils.Database | None = None
        self._batch: _Batch | None = None
        guard = threading.Lock()  # guards the batch and the three below
        self._turn = threading.Condition(guard)  # writers wait here for the writer connection
        self._done = threading.Condition(guard)  # a batch's writers wait here for its COMMIT
        self._busy = False  # a body or a COMMIT has the writer connection
        self._queued = 0  # writers waiting for it: they join the open batch
        self._writing: int | None = None  # the thread (green or real) inside a body
        self.commits = 0
        self.writes_committed = 0
        self.largest_batch = 0
        self.commit_seconds = 0.0  # waited for COMMITs, the offload's hand-over included

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
        """One write, in its own savepoint of the batch's transaction (module docstring).
        Returns once the COMMIT holding it is on disk; raises the body's error (after
        that COMMIT), or the COMMIT's error."""
        me = threading.get_ident()
        if self._writing == me:
            raise NestedWrite("store.write() inside store.write() would wait for itself")
        batch, db = self._enter()
        refusal: BaseException | None = None
        self._writing = me
        try:
            db.conn.execute(f"SAVEPOINT {_SAVEPOINT}")
            try:
                yield db
            except BaseException as error:
                refusal = error
                self._undo(db, batch, error)
            else:
                self._keep(db, batch)
        finally:
            self._writing = None
            self._leave(batch)
        if refusal is not None:
            raise refusal

    def _enter(self) -> tuple[_Batch, sqlite_utils.Database]:
        """Wait for the writer connection to be free (no body, no COMMIT running), take
        it, and join the open batch or begin one (`BEGIN IMMEDIATE`, retried)."""
        with self._turn:
            self._queued += 1
            try:
                while self._busy:
                    self._turn.wait()
            except BaseException:  # gone without its turn (a killed green thread)
                self._queued -= 1
                if not self._busy:
                    self._turn.notify()  # the wake-up it may have used goes to the next
                    self._done.notify_all()  # and if nobody is queued now, a member leads
                raise
            self._queued -= 1
            self._busy = True
        try:
            if self._writer is None:
                self._writer = self._connect()
            if self._batch is None:
                writer = self._writer
                self._retry(lambda: writer.conn.execute("BEGIN IMMEDIATE"))
                self._batch = _Batch()
            return self._batch, self._writer
        except BaseException:
            with self._turn:
                self._busy = False
                self._turn.notify()
                self._done.notify_all()  # the open batch, if any, needs a leader still
            raise

    def _leave(self, batch: _Batch) -> None:
        """The body is done: let the next writer in, and wait for the COMMIT holding the
        batch. The last body of a batch (nobody queued behind it) leads that COMMIT."""
        with self._turn:
            lead = self._lead_now(batch, holding=True)
            if not lead:
                self._busy = False
                self._turn.notify()
                while not batch.done:
                    self._done.wait()
                    lead = self._lead_now(batch, holding=False)
                    if lead:
                        self._busy = True
                        break
        if lead:
            try:
                self._commit(batch)  # the fsync, off the hub; nobody writes meanwhile
            finally:
                with self._turn:
                    batch.done = True
                    self._busy = False
                    self._done.notify_all()
                    self._turn.notify()
        if batch.error is not None:
            raise _copy(batch.error) from batch.error

    def _lead_now(self, batch: _Batch, *, holding: bool) -> bool:
        """Whether this writer commits `batch` now (under the guard): it is still open,
        the writer connection is this one's (`holding`, its body just ended) or free, and
        no writer is queued to join the batch (or it is as large as a batch gets)."""
        if batch.done or self._batch is not batch or (self._busy and not holding):
            return False
        if self._queued and batch.writes < MAX_BATCH:
            return False
        self._batch = None
        return True

    def _keep(self, db: sqlite_utils.Database, batch: _Batch) -> None:
        if not db.conn.in_transaction:
            # something in the body ended the whole transaction: the batch is lost
            self._break(batch, RuntimeError("a write ended the batch's transaction"))
            return
        try:
            db.conn.execute(f"RELEASE {_SAVEPOINT}")
        except sqlite3.Error as error:
            self._break(batch, error)
            return
        batch.writes += 1

    def _undo(self, db: sqlite_utils.Database, batch: _Batch, cause: BaseException) -> None:
        """Roll the body back to its savepoint; the batch's other writes stay."""
        if not db.conn.in_transaction:  # SQLite rolled the whole transaction back (e.g. disk full)
            self._break(batch, cause)
            return
        try:
            db.conn.execute(f"ROLLBACK TO {_SAVEPOINT}")
            db.conn.execute(f"RELEASE {_SAVEPOINT}")
        except sqlite3.Error as error:
            self._break(batch, error)

    def _break(self, batch: _Batch, error: BaseException) -> None:
        """The batch's transaction is gone or unusable: its writes all fail; the next
        write begins a new batch. Called by the body holding the writer."""
        log.error("a write batch of %d was rolled back: %r", batch.writes, error)
        if self._writer is not None and self._writer.conn.in_transaction:
            self._writer.conn.rollback()
        with self._turn:
            batch.error = error
            batch.done = True
            self._batch = None
            self._done.notify_all()

    def _commit(self, batch: _Batch) -> None:
        writer = self._writer
        assert writer is not None
        try:
            began = time.perf_counter()
            self._offload(writer.conn.execute, "COMMIT")
            self.commit_seconds += time.perf_counter() - began
        except BaseException as error:
            log.error("a COMMIT of %d writes failed: %r", batch.writes, error)
            batch.error = error
            if writer.conn.in_transaction:
                writer.conn.rollback()
        else:
            self.commits += 1
            self.writes_committed += batch.writes
            if batch.writes > self.largest_batch:
                self.largest_batch = batch.writes
                if batch.writes > 1:
                    log.info("group commit: a batch of %d writes; %s", batch.writes, self.commit_figures_text())

    @property
    def queued_writes(self) -> int:
        """Writers waiting for the writer connection now (they will share a batch)."""
        return self._queued

    def commit_figures(self) -> dict[str, int]:
        """Since this Storage opened: COMMITs run, writes they held, the largest batch."""
        return {"commits": self.commits, "writes": self.writes_committed, "largest_batch": self.largest_batch}

    def commit_figures_text(self) -> str:
        figures = self.commit_figures()
        per_commit = figures["writes"] / figures["commits"] if figures["commits"] else 0.0
        return (
            f"{figures['commits']} commits, {figures['writes']} writes ({per_commit:.2f} per commit),"
            f" largest batch {figures['largest_batch']}, {1000 * self.commit_seconds / max(self.commits, 1):.1f} ms"
            " per commit (the offload's round trip included)"
        )

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
        with self._turn:
            if self._writer is not None:
                self._writer.close()  # an open batch has no waiter left: it rolls back
                self._writer = None
                self._batch = None
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


def _copy(error: BaseException) -> BaseException:
    """The same error for one more caller of a batch (each raises its own instance, so
    their tracebacks do not pile up on one shared object)."""
    try:
        return type(error)(*error.args)
    except Exception:  # an exception class with another signature: a plain one, same words
        return RuntimeError(str(error))


def _is_busy(error: sqlite3.OperationalError) -> bool:
    text = str(error)
    return "locked" in text or "busy" in text
