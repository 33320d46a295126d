"""What both benchmarks share: a live server over a bench hall, the worker's memory and
CPU from /proc, percentiles, and a plain-text table.

The bench hall replaces the demo hall's configuration (same code, so the accounts and
device tokens that `LiveServer.prepare()` made for "demo" keep working) with one that
has 26 comprehensive queues of 999 tickets a day each, served by every window, and
issues at any hour. Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import sqlite3
import string
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from queue_server import auth, cli
from queue_server.app import create_app
from queue_server.domain import clock
from queue_server.domain.access import OPERATOR, Role
from tests.support.live import HALL, PASSWORD, WORKERS, LiveServer, default_worker, gunicorn_worker

QUEUES = tuple(f"q{i + 1:02d}" for i in range(26))  # prefixes A..Z
START_TIMEOUT = 60  # seconds for gunicorn to answer /health
DAILY_CAP = 999  # the most a queue may issue in a day (numbers are a letter and 3 digits)


def bench_hall_toml(windows: int) -> str:
    """The bench hall: 26 queues (A..Z, 999 a day each), `windows` windows serving all."""
    lines = [
        "[hall]",
        f'code = "{HALL}"',
        'name = "压测大厅"',
        'timezone = "Asia/Shanghai"',
        "always_open = true",
        "",
        "[hall.hours]",
        *(f'{day} = ["00:00-24:00"]' for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")),
        "",
        "[[zones]]",
        'code = "1f"',
        'name = "一楼"',
    ]
    for code, prefix in zip(QUEUES, string.ascii_uppercase, strict=True):
        lines += [
            "",
            "[[queues]]",
            f'code = "{code}"',
            f'prefix = "{prefix}"',
            f'name = "综合受理{prefix}"',
            'kind = "comprehensive"',
            f"daily_cap = {DAILY_CAP}",
            "avg_service_minutes = 5",
        ]
    serves = ", ".join(f'{{ queue = "{code}", rank = 1 }}' for code in QUEUES)
    for number in range(1, windows + 1):
        lines += [
            "",
            "[[windows]]",
            f"number = {number}",
            f'name = "{number}号窗口"',
            'zone = "1f"',
            f"serves = [{serves}]",
        ]
    return "\n".join(lines) + "\n"


def clerk_names(windows: int) -> list[str]:
    return [f"clerk{n}" for n in range(1, windows + 1)]


@dataclass
class BenchServer:
    """A LiveServer over a throw-away instance folder holding the bench hall."""

    server: LiveServer
    instance: Path
    keep: bool = False
    _final_log: str | None = None

    @classmethod
    def start(
        cls,
        *,
        synchronous: str,
        windows: int,
        keep: bool = False,
        parent: str | None = None,
        environment: dict[str, str] | None = None,
        hall_toml: str | None = None,
        prepare: Callable[[dict[str, Any]], None] | None = None,
    ) -> BenchServer:
        """`hall_toml` replaces the bench hall; `prepare` gets the app's extension (its
        services and store) before the server starts, to add devices or accounts."""
        instance = Path(tempfile.mkdtemp(prefix="hall-queue-bench-", dir=parent))
        server = LiveServer(instance, synchronous=synchronous, environment=dict(environment or {}))
        server.prepare()
        # before start(), so that the server never serves the demo hall's own configuration
        app = create_app(
            {"ASYNC_MODE": "threading", "PUBLISHES": False, "BACKGROUND_JOBS": False}, instance_path=str(instance)
        )
        ext = app.extensions["hall_queue"]
        ext["services"].import_hall(OPERATOR, hall_toml or bench_hall_toml(windows), clock.utc_now())
        for username in clerk_names(windows)[3:]:  # prepare() made clerk1..clerk3
            auth.create_user(
                ext["store"],
                username=username,
                password=PASSWORD,
                role=Role.CLERK,
                display_name=f"测试{username}",
                hall_code=HALL,
                staff_number=username.upper(),
                now=clock.utc_now(),
            )
        if prepare is not None:
            prepare(ext)
        ext["store"].close()
        bench = cls(server, instance, keep)
        try:
            server.start(timeout=START_TIMEOUT)
        except BaseException:
            bench.stop()  # the server runs in a session of its own: it would outlive us
            raise
        return bench

    @classmethod
    def start_beside(cls, first: BenchServer, environment: dict[str, str], parent: str | None = None) -> BenchServer:
        """Another gunicorn on the first one's database: an instance folder of its own
        whose config.toml points `DATABASE` at the first one's file, with the first one's
        secret key (a session signed in on one server is good on the other). Beside a
        server without a message queue it is refused: give both the same one."""
        instance = Path(tempfile.mkdtemp(prefix="hall-queue-bench-beside-", dir=parent))
        shutil.copy2(first.instance / "secret_key", instance / "secret_key")
        database = first.instance / "hall-queue.sqlite3"
        (instance / "config.toml").write_text(f"DATABASE = {json.dumps(str(database))}\n")
        server = LiveServer(instance, environment=dict(environment), tokens=first.server.tokens)
        beside = cls(server, instance, first.keep)
        try:
            server.start(timeout=START_TIMEOUT)
        except BaseException:
            beside.stop()
            raise
        return beside

    def worker_pid(self) -> int:
        """The gunicorn worker: the only child of the master process."""
        assert self.server.process is not None
        return gunicorn_worker(self.server.process.pid)

    def log_problems(self) -> list[str]:
        """Lines of the server log that speak of an error (tracebacks, ERROR, CRITICAL)."""
        words = ("Traceback", "ERROR", "CRITICAL", "Exception")
        return [line for line in self._log().splitlines() if any(w in line for w in words)]

    def socket_shutdown_errors(self) -> int:
        """How often the log says "socket shutdown error: [Errno 9] Bad file descriptor":
        eventlet's wsgi server writes it (without a newline) for each websocket that
        closes. Noise rather than a fault, but counted so that the reader knows."""
        return self._log().count("socket shutdown error")

    def log_text(self) -> str:
        """The server's log so far (after `stop()`: all of it, kept when the folder goes)."""
        return self._log()

    def _log(self) -> str:
        if self._final_log is not None:
            return self._final_log
        path = self.server.log_path
        return path.read_text(errors="replace") if path is not None and path.exists() else ""

    def stop(self) -> list[str]:
        """Stop the server; return the log's error lines. The instance folder is removed
        unless asked to keep it or the log shows errors."""
        self.server.stop()
        self._final_log = self._log()  # kept for the questions asked after the folder is gone
        problems = self.log_problems()
        if not self.keep and not problems:
            shutil.rmtree(self.instance, ignore_errors=True)
        return problems


def filesystem_of(folder: str | None) -> str:
    """`ext4 / (/tmp)`: the type and mount point of the file system holding `folder`
    (default: the system temp folder). fsync costs nothing on tmpfs, so FULL against
    NORMAL only means something on a disk."""
    path = os.path.realpath(folder or tempfile.gettempdir())
    kind, mount_point = "?", ""
    with open("/proc/mounts") as f:
        for line in f:
            _, mount, fs_type, *_ = line.split()
            inside = path == mount or path.startswith(mount.rstrip("/") + "/")
            if inside and len(mount) >= len(mount_point):  # the deepest mount wins
                kind, mount_point = fs_type, mount
    return f"{kind} {mount_point or '?'} ({path})"


def commit_ms(folder: str | None, synchronous: str, rounds: int = 300) -> tuple[float, float]:
    """p50 and p99 of a one-row SQLite WAL commit in `folder` (default: the system temp
    folder) under `synchronous`: what each write transaction waits for, with the
    eventlet hub blocked, on this disk."""
    with tempfile.TemporaryDirectory(prefix="commit-probe-", dir=folder) as scratch:
        db = sqlite3.connect(os.path.join(scratch, "probe.sqlite3"), isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(f"PRAGMA synchronous={synchronous}")
            db.execute("CREATE TABLE probe (id INTEGER PRIMARY KEY, data TEXT)")
            timings = []
            for _ in range(rounds):
                db.execute("BEGIN IMMEDIATE")
                db.execute("INSERT INTO probe (data) VALUES (?)", ["x" * 300])
                began = time.perf_counter()
                db.execute("COMMIT")
                timings.append(time.perf_counter() - began)
        finally:
            db.close()
    return percentile(timings, 50) * 1000, percentile(timings, 99) * 1000


def stop_cleanly_on_signals() -> None:
    """Turn SIGTERM (and SIGINT where a background shell ignored it) into SystemExit, so
    that the `finally:` blocks stop the server: it runs in a session of its own and
    would outlive this process otherwise."""

    def leave(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, leave)
    signal.signal(signal.SIGINT, leave)


# ---- the worker process, from /proc -------------------------------------------------


def add_worker_argument(parser: Any) -> None:
    """`--worker eventlet|gevent`: the gunicorn worker class of every server the bench
    starts (tests/support/live.py reads LIVE_WORKER); default LIVE_WORKER, else eventlet."""
    parser.add_argument(
        "--worker",
        choices=WORKERS,
        default=default_worker(),
        help="gunicorn worker class of the servers, and ASYNC_MODE with it (default $LIVE_WORKER or eventlet)",
    )


def allocator_environment(allocator: str) -> dict[str, str]:
    """The environment that runs a server's Python objects on `allocator`: Python's own
    (`pymalloc`, the default), glibc's `malloc`, or jemalloc preloaded in place of glibc's
    (`jemalloc`, as `queue-server serve --allocator jemalloc` runs it: docs/operations.md)."""
    if allocator == "malloc":
        return {"PYTHONMALLOC": "malloc"}
    return cli.allocator_environment(allocator)


def add_allocator_argument(parser: Any) -> None:
    """`--allocator pymalloc|malloc|jemalloc`: what the servers allocate with."""
    parser.add_argument(
        "--allocator",
        choices=(*cli.ALLOCATORS, "malloc"),
        default="pymalloc",
        help="the servers' allocator: Python's own (default), PYTHONMALLOC=malloc, "
        f"or that with {cli.JEMALLOC} preloaded",
    )


def run_from_command_line(args: Any, run: Callable[[Any], tuple[str, bool, Any]]) -> int:
    """One benchmark as a command: stop cleanly on signals, print its report, exit 1 on failures."""
    stop_cleanly_on_signals()
    if getattr(args, "worker", None):
        os.environ["LIVE_WORKER"] = args.worker  # every LiveServer started from here on
    text, ok, _ = run(args)
    print(f"worker: {default_worker()}")
    print(text)
    return 0 if ok else 1


def rss_mib(pid: int) -> float:
    """Resident set size of `pid` in MiB (VmRSS from /proc/<pid>/status)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time `pid` has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return ticks / os.sysconf("SC_CLK_TCK")


# ---- figures -------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of `values`; NaN when there are none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def ms(seconds: float) -> str:
    return "-" if math.isnan(seconds) else f"{seconds * 1000:.1f}"


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A plain-text table, first column left-aligned, the others right-aligned."""
    body = [[str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in body)) if body else len(h) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in body)])
