"""Group commit (storage/store.py): writes that arrive together share one transaction and
one COMMIT, each in its own savepoint, and each caller is answered only after that
COMMIT. Real threads over a real SQLite file; the first COMMIT is held back by the
offload the store is given, so that the writes arriving meanwhile form one batch."""

from __future__ import annotations

import sqlite3
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest

from queue_server.domain.access import OPERATOR
from queue_server.domain.errors import QueueFull
from queue_server.services import Services
from queue_server.services.tickets import IssueRequest
from queue_server.storage import Storage
from queue_server.storage.store import NestedWrite
from tests.conftest import Clock
from tests.support.fresh_python import run_script

TIMEOUT = 10

# In a child process (a hub should not share a process with tests that run the app under
# threading): green threads write through the worker's own offload, every seventh write
# refused, while another green thread ticks, as a screen's websocket would.
GREEN_WRITERS = textwrap.dedent(
    """
    import faulthandler, json, os, sys, tempfile
    faulthandler.dump_traceback_later(100, exit=True)  # a hang shows every thread's stack (CI saw one once)
    mode = sys.argv[1]
    if mode == "gevent":
        from gevent import monkey
        monkey.patch_all()
        import gevent
        spawn, sleep = gevent.spawn, gevent.sleep
    else:
        import eventlet
        eventlet.monkey_patch()
        spawn, sleep = eventlet.spawn, eventlet.sleep
    from queue_server.offload import offloader
    from queue_server.storage import Storage

    offload, ticks, during = offloader(mode), [0], [0]

    def watched(function, *args):  # how often the other green thread ran during a COMMIT
        before = ticks[0]
        result = offload(function, *args)
        during[0] += ticks[0] - before
        return result

    store = Storage(os.path.join(tempfile.mkdtemp(), "hall.sqlite3"), offload=watched)
    with store.write() as db:
        db.execute("CREATE TABLE marks (writer INTEGER, n INTEGER)")
    running = [True]

    def screen():  # wakes on a timer, as a websocket on its socket: a green thread spinning on
        # sleep(0) kept gevent's hub in its callbacks, and a pool thread's result was never
        # taken in (seen on a quiet machine: every run hung)
        while running[0]:
            ticks[0] += 1
            sleep(0.0005)

    def writer(who):
        refused = []
        for n in range(30):
            try:
                with store.write() as db:
                    db.execute("INSERT INTO marks VALUES (?, ?)", (who, n))
                    if n % 7 == 3:
                        raise LookupError(n)
            except LookupError:
                refused.append(n)
        return refused

    spawn(screen)
    writers = [spawn(writer, who) for who in range(50)]
    refused = [w.get() if mode == "gevent" else w.wait() for w in writers]
    running[0] = False
    with store.read() as db:
        rows = db.execute("SELECT count(*) FROM marks").fetchone()[0]
    figures = {"rows": rows, "refused": refused, "ticks": during[0], **store.commit_figures()}
    print(json.dumps(figures), flush=True)  # out before exit: a hang after it is told apart
    """
)


class HeldCommit:
    """The store's offload: runs every call in place, but the first COMMIT waits until
    `release` is set (announcing itself on `holding`), as a slow disk would."""

    def __init__(self) -> None:
        self.holding, self.release = threading.Event(), threading.Event()
        self.commits = 0

    def __call__(self, function: Callable[..., Any], *args: Any) -> Any:
        if args == ("COMMIT",):
            self.commits += 1
            if self.commits == 1:
                self.holding.set()
                assert self.release.wait(TIMEOUT)
        return function(*args)


@pytest.fixture
def held(store: Storage) -> Iterator[tuple[HeldCommit, Storage, Services]]:
    """A second Storage over the app's database, its first COMMIT held back, and the
    real use cases over it."""
    gate = HeldCommit()
    held_store = Storage(store.path, offload=gate)
    yield gate, held_store, Services(held_store, b"x" * 32)
    gate.release.set()
    held_store.close()


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def test_a_refusal_in_a_batch_leaves_the_others_committed_and_answered(  # type: ignore[no-untyped-def]
    held: tuple[HeldCommit, Storage, Services], store: Storage, clock: Clock, login
) -> None:
    """The town's queue issues 3 a day; 2 are issued, the second one's COMMIT held back.
    Meanwhile two more town tickets and two demo tickets are asked for: they form one batch,
    in which exactly one town ticket is refused (queue full: its batch-mate took the last
    number, uncommitted yet), and the other three are committed by one COMMIT and answered."""
    gate, held_store, services = held
    now: datetime = clock.now
    login("other_guide").post("/halls/town/tickets", {"queue": "general"}, status=201)  # A001

    def issue(hall: str, queue: str) -> dict[str, Any]:
        ticket, _events = services.issue_ticket(OPERATOR, hall, IssueRequest(queue=queue), now)
        return ticket

    answers: dict[str, Any] = {}

    def ask(name: str, hall: str, queue: str) -> None:
        try:
            answers[name] = issue(hall, queue)
        except Exception as error:  # the refusal, checked below
            answers[name] = error

    first = threading.Thread(target=ask, args=("first", "town", "general"))
    first.start()
    assert gate.holding.wait(TIMEOUT)  # its COMMIT is under way: the writer connection is taken
    asks = {
        "town 1": ("town", "general"),
        "town 2": ("town", "general"),
        "demo 1": ("demo", "household"),
        "demo 2": ("demo", "household"),
    }
    threads = [threading.Thread(target=ask, args=(name, *where)) for name, where in asks.items()]
    for thread in threads:
        thread.start()
    wait_until(lambda: held_store.queued_writes == len(asks))  # all four wait for the writer
    assert answers == {}, "answered before its COMMIT"
    gate.release.set()
    for thread in [first, *threads]:
        thread.join(TIMEOUT)
    assert not any(thread.is_alive() for thread in [first, *threads])

    assert answers["first"]["number"] == "A002"
    town = [answers["town 1"], answers["town 2"]]
    refused = [answer for answer in town if isinstance(answer, Exception)]
    issued = [answer for answer in town if not isinstance(answer, Exception)]
    assert len(refused) == 1 and isinstance(refused[0], QueueFull)
    assert [ticket["number"] for ticket in issued] == ["A003"]
    assert sorted(answers[name]["number"] for name in ("demo 1", "demo 2")) == ["E001", "E002"]
    # two COMMITs: the held one, and one for the whole batch of four (three kept, one undone)
    assert gate.commits == 2
    assert held_store.commit_figures() == {"commits": 2, "writes": 4, "largest_batch": 3}

    # what was answered is on disk, seen from another connection; the refused one is not
    with store.read() as db:
        rows = db.execute(
            "SELECT h.code, t.number FROM tickets t JOIN halls h ON h.id = t.hall_id ORDER BY h.code, t.number"
        ).fetchall()
    assert rows == [("demo", "E001"), ("demo", "E002"), ("town", "A001"), ("town", "A002"), ("town", "A003")]


def test_a_failed_commit_fails_every_write_of_its_batch(store: Storage) -> None:
    """A COMMIT that fails (the disk, here a constraint checked only at COMMIT) reaches
    every caller of the batch, and the next write starts afresh."""
    with store.write() as db:
        db.execute("CREATE TABLE parents (id INTEGER PRIMARY KEY)")
        db.execute(
            "CREATE TABLE children (id INTEGER PRIMARY KEY,"
            " parent INTEGER REFERENCES parents(id) DEFERRABLE INITIALLY DEFERRED)"
        )
    with pytest.raises(sqlite3.IntegrityError), store.write() as db:
        db.execute("INSERT INTO children (parent) VALUES (42)")  # broken only at COMMIT
    with store.write() as db:
        db.execute("INSERT INTO parents (id) VALUES (1)")
    with store.read() as db:
        assert db.execute("SELECT count(*) FROM children").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM parents").fetchone()[0] == 1


def test_a_write_inside_a_write_fails_at_once(store: Storage) -> None:
    """It would wait for its own COMMIT; it says so instead of hanging."""
    with store.write() as db:
        db.execute("CREATE TABLE marks (id INTEGER PRIMARY KEY)")
    with pytest.raises(NestedWrite), store.write() as db:
        db.execute("INSERT INTO marks DEFAULT VALUES")
        with store.write():
            pass
    with store.read() as db:  # the outer write was refused with it
        assert db.execute("SELECT count(*) FROM marks").fetchone()[0] == 0


def test_many_writers_each_get_their_own_answer(store: Storage) -> None:
    """16 threads write 20 times each, every fifth write refused: every thread gets back
    exactly its own outcomes, what was answered as done is on disk and nothing else is,
    and the counters say so."""
    with store.write() as db:
        db.execute("CREATE TABLE marks (writer INTEGER, n INTEGER)")
    before = store.commit_figures()
    refused: dict[int, list[int]] = {}
    failures: list[str] = []

    def writer(who: int) -> None:
        refused[who] = []
        try:
            for n in range(20):
                try:
                    with store.write() as db:
                        db.execute("INSERT INTO marks VALUES (?, ?)", (who, n))
                        if n % 5 == 4:
                            raise LookupError(n)
                except LookupError as error:
                    refused[who].append(error.args[0])
        except Exception as error:  # reported below
            failures.append(repr(error))

    threads = [threading.Thread(target=writer, args=(who,)) for who in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT * 3)
    assert not any(thread.is_alive() for thread in threads) and failures == []
    assert refused == {who: [4, 9, 14, 19] for who in range(16)}
    with store.read() as db:
        rows = set(db.execute("SELECT writer, n FROM marks").fetchall())
    assert rows == {(who, n) for who in range(16) for n in range(20) if n % 5 != 4}
    after = store.commit_figures()
    assert after["writes"] - before["writes"] == len(rows)


@pytest.mark.parametrize("mode", ["eventlet", "gevent"])
def test_green_writers_share_commits_and_the_hub_runs_while_one_commits(mode: str) -> None:
    """50 green threads write 30 times each on the worker's own offload: each gets its own
    refusals back, what was done is on disk, the writes shared COMMITs, and another
    green thread ran while COMMITs were under way (the hub did not wait on them)."""
    pytest.importorskip(mode)
    figures = run_script(GREEN_WRITERS, mode, timeout=120)
    kept = [n for n in range(30) if n % 7 != 3]
    assert figures["refused"] == [[3, 10, 17, 24]] * 50
    assert figures["rows"] == 50 * len(kept) == figures["writes"] - 1  # the CREATE TABLE was one
    assert figures["largest_batch"] > 1 and figures["commits"] < figures["writes"]
    assert figures["ticks"] > 0
