"""A command-line write during a calling burst: a call waits for the write lock no longer
than the write holds it, and the worker's hub (every other request, every websocket)
does not wait at all.

For each way of waiting for the lock asked for (`python`, the server's way: `BEGIN` is
retried with a green `time.sleep`; `sqlite`, the old way for contrast: SQLite's busy
handler sleeps inside C, setting SQLITE_BUSY_HANDLER) a fresh live server (one eventlet
worker, synchronous=FULL) over the bench hall, a second server process on the same
database file (idle until its phase; both servers share a redis-server of the bench's
own as their message queue, as several servers on one database must), and, all at once:

- clerks (clerk1..clerk3 at windows 1..3, keep-alive connections, one thread each)
  calling next, starting and finishing in a loop, timing every request;
- a hall screen (python-socketio, a child process) noting when each call arrives;
- a child process polling `GET /api/v1/health`, which touches no database;

while this process goes through the phases: quiet; a child process holding the write
lock (`BEGIN IMMEDIATE` ... `COMMIT` on the same file) for each of `--holds`
milliseconds, `--repeat` times each; `queue-server import-hall` and `queue-server sweep`
(the real command line, with a stopwatch on its write transactions: `bench.timed_cli`),
`--repeat` times each; the second server issuing tickets as fast as it answers.

Every request in flight while a lock was held (for the commands: while one of their
write transactions was) counts for that hold. Added delay is a request's time minus the
quiet phase's median for the same action. Since a busy machine adds delays of its own,
each figure is also given less the time the worker waited for a CPU (schedstat).

    python -m bench.cli_write [--lock-waits python,sqlite] [--holds 50,200,1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bench import probes
from bench.call_latency import ScreenProcesses, open_windows
from bench.common import (
    QUEUES,
    BenchServer,
    bench_hall_toml,
    cpu_seconds,
    filesystem_of,
    ms,
    percentile,
    run_from_command_line,
    table,
)
from bench.issue_rate import Call, Phase, run_phase
from bench.probes import ACTIONS, Child, Clerks, Request, run_queue_seconds
from tests.support.live import HALL, running_redis

LOCK_WAITS = {
    "python": ("lock waits in Python (time.sleep yields)", {}),
    "sqlite": ("lock waits in SQLite's busy handler (old)", {"QUEUE_SQLITE_BUSY_HANDLER": "true"}),
}
HEALTH_PAUSE = 0.003  # seconds between one /health answer and the next request
WARM_UP = 1.0  # seconds of calling before the quiet phase counts


@dataclass
class Condition:
    """One row of the tables: intervals of time; for a lock holder, each interval is one
    write transaction, from `BEGIN IMMEDIATE` returning to `COMMIT` returning."""

    label: str
    intervals: list[tuple[float, float]] = field(default_factory=list)
    # per interval of a lock holder: the worker's `run_queue_seconds` as the lock was let go
    # (from then on, the worker waiting for a CPU delays the calls that waited for the lock)
    released_queued: list[float] = field(default_factory=list)
    runnable: float = 0.0  # seconds the worker was ready to run but waited for a CPU, over the intervals
    walls: list[float] = field(default_factory=list)  # command-line runs: each process's wall time
    transactions: list[int] = field(default_factory=list)  # command-line runs: write transactions in each

    def held(self, acquired: float, released: float, queued_acquired: float, queued_released: float) -> None:
        """One hold of the write lock, with the worker's `run_queue_seconds` at both ends."""
        self.intervals.append((acquired, released))
        self.released_queued.append(queued_released)
        self.runnable += queued_released - queued_acquired

    @property
    def holds(self) -> list[float]:
        """Seconds each hold lasted (none for a condition that is not a lock holder)."""
        return [end - start for start, end in self.intervals] if self.released_queued else []

    @property
    def span(self) -> float:
        return sum(end - start for start, end in self.intervals)


@dataclass
class Run:
    """What one server (one way of waiting) gave."""

    mode: str
    conditions: list[Condition]
    requests: list[Request]
    health: list[tuple[float, float, float]]  # sent, seconds, the worker's CPU wait meanwhile
    arrivals: dict[str, list[float]]
    failures: Counter[str]
    worker_cpu: float
    wall: float
    log_problems: list[str]
    second_issued: int
    load: tuple[float, float]  # the machine's 1-minute load average as the calling began and ended


def _signed_in(session: requests.Session) -> dict[str, str]:
    return {
        "Cookie": "; ".join(f"{k}={v}" for k, v in session.cookies.items()),
        "X-CSRF-Token": str(session.headers["X-CSRF-Token"]),
        "Content-Type": "application/json",
    }


def _issue_call(session: requests.Session) -> Call:
    body = [json.dumps({"queue": queue}).encode() for queue in QUEUES]
    return Call("POST", f"/api/v1/halls/{HALL}/tickets", 201, _signed_in(session), body)


def run_command(
    instance: Path, command: list[str], environment: dict[str, str], worker: int
) -> tuple[float, float, list[tuple[float, float, float, float]]]:
    """`queue-server --instance DIR <command>` with a stopwatch on its writes: (began,
    ended, [(acquired, released, the worker's `run_queue_seconds` at both), ...])."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as log:
        path = log.name
    try:
        env = {**os.environ, **environment, "BENCH_LOCK_LOG": path, "BENCH_WORKER_PID": str(worker)}
        argv = [sys.executable, "-m", "bench.timed_cli", "--instance", str(instance), *command]
        began = time.monotonic()
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
        ended = time.monotonic()
        if done.returncode != 0:
            raise RuntimeError(f"queue-server {' '.join(command)} failed: {done.stderr[-1000:]}")
        with open(path) as f:
            holds = [tuple(hold) for hold in json.load(f)]
    finally:
        os.unlink(path)
    return began, ended, holds


def run_mode(mode: str, args: argparse.Namespace) -> Run:
    # the two servers share a redis-server of the bench's own: a second server without
    # a message queue is refused on a database another server serves
    with running_redis() as redis_url:
        return _run_mode(mode, args, {**LOCK_WAITS[mode][1], "QUEUE_MESSAGE_QUEUE": redis_url})


def _run_mode(mode: str, args: argparse.Namespace, environment: dict[str, str]) -> Run:
    bench = BenchServer.start(
        synchronous="FULL", windows=args.clerks, keep=args.keep, parent=args.dir, environment=environment
    )
    second: BenchServer | None = None
    screens: ScreenProcesses | None = None
    children: list[Child] = []
    clerks: Clerks | None = None
    try:
        live, worker = bench.server, bench.worker_pid()
        second = BenchServer.start_beside(bench, environment, args.dir)
        with live.session("guide") as guide:
            issued = run_phase("issue", live.port, _issue_call(guide), args.tickets, 4, 120, worker)
        if issued.failures or issued.timed_out:
            raise RuntimeError(f"issuing the tickets failed: {dict(issued.failures)}")
        sessions = open_windows(bench, args.clerks)
        headers = [_signed_in(s) for s in sessions]
        for session in sessions:
            session.close()

        time_limit = 600.0
        screens = ScreenProcesses(live.url, live.tokens["hall_screen"], args.screens, 1, time_limit)
        screens.wait_ready(60)
        holder = Child(probes.hold_lock, str(bench.instance / "hall-queue.sqlite3"), worker)
        children.append(holder)
        holder.receive(30)
        poller = Child(probes.poll_health, live.port, worker, HEALTH_PAUSE, time_limit)
        children.append(poller)
        poller.receive(30)

        clerks = Clerks(live.port, worker, HALL, headers, args.pause)
        began_cpu, began, load_before = cpu_seconds(worker), time.monotonic(), _load()
        time.sleep(WARM_UP)

        conditions, writes = _phases(args, bench, second, holder, environment)
        wall, worker_cpu, load = time.monotonic() - began, cpu_seconds(worker) - began_cpu, (load_before, _load())

        clerks.stop()
        poller.pipe.send(("stop",))
        _, health, health_errors = poller.receive(30)
        holder.pipe.send(("stop",))
        calls = [r.ticket for r in clerks.requests if r.ticket is not None]
        arrivals, _ = screens.collect(calls, 10)
    finally:
        if clerks is not None:
            clerks.stop()
        for child in children:
            child.close()
        if screens is not None:
            screens.close()
        problems = second.stop() if second is not None else []
        problems += bench.stop()
    failures = clerks.failures + Counter({f"/health {k}": v for k, v in health_errors.items()})
    failures.update({f"second server {k}": v for k, v in writes.failures.items()})
    return Run(
        mode,
        conditions,
        clerks.requests,
        health,
        arrivals,
        failures,
        worker_cpu,
        wall,
        problems,
        len(writes.latencies),
        load,
    )


def _phases(
    args: argparse.Namespace, bench: BenchServer, second: BenchServer, holder: Child, environment: dict[str, str]
) -> tuple[list[Condition], Phase]:
    """Quiet; the lock held for each length; each command; the second server writing."""
    rng = random.Random(7)  # gaps vary, so that holds do not fall in step with the clerks' cycle

    def gap() -> None:
        time.sleep(rng.uniform(args.gap, 1.5 * args.gap))

    worker = bench.worker_pid()

    @contextmanager
    def watching(condition: Condition) -> Iterator[None]:
        """One interval, and how long the worker waited for a CPU in it."""
        began, queued = time.monotonic(), run_queue_seconds(worker)
        yield
        condition.intervals.append((began, time.monotonic()))
        condition.runnable += run_queue_seconds(worker) - queued

    quiet = Condition("quiet, nothing else writing")
    with watching(quiet):
        time.sleep(args.quiet)
    conditions = [quiet]
    for hold_ms in args.holds:
        held = Condition(f"lock held {hold_ms:g} ms by another process")
        for _ in range(args.repeat):
            holder.pipe.send(("hold", hold_ms / 1000))
            _, *hold = holder.receive(hold_ms / 1000 + 30)
            held.held(*hold)
            gap()
        conditions.append(held)
    hall_file = bench.instance / "bench-hall.toml"
    hall_file.write_text(bench_hall_toml(args.clerks), encoding="utf-8")
    for command in (["import-hall", str(hall_file)], ["sweep"]):
        cli = Condition(f"queue-server {command[0]}")
        for _ in range(args.repeat):
            start, end, holds = run_command(bench.instance, command, environment, worker)
            for hold in holds:
                cli.held(*hold)
            cli.walls.append(end - start)
            cli.transactions.append(len(holds))
            gap()
        conditions.append(cli)
    other = Condition("second server issuing tickets")
    with second.server.session("guide") as guide:
        port, pid = second.server.port, second.worker_pid()
        with watching(other):
            writes = run_phase("second", port, _issue_call(guide), 20_000, 1, args.second, pid)
    conditions.append(other)
    gap()
    return conditions, writes


def _load() -> float:
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


# ---- figures -------------------------------------------------------------------------


def _during(began: float, ended: float, start: float, end: float) -> bool:
    """Whether [began, ended] (a request) and [start, end] (an interval) overlap."""
    return began < end and ended > start


@dataclass
class Rows:
    calls: list[list[object]]
    hub: list[list[object]]
    figures: dict[str, dict[str, float]]  # condition label -> a few headline figures


def figures(run: Run) -> Rows:
    """The two tables' rows. A request or /health sample counts for a condition when it
    was in flight at any moment of one of its intervals; the quiet phase is the baseline."""

    def requests_during(start: float, end: float) -> list[Request]:
        return [r for r in run.requests if _during(r.sent, r.answered, start, end)]

    quiet_requests = requests_during(*run.conditions[0].intervals[0])
    typical = {a: percentile([r.seconds for r in quiet_requests if r.action == a], 50) for a in ACTIONS}
    rows = Rows([], [], {})
    baseline: tuple[float, float] | None = None  # the quiet /health p99 and max
    for condition in run.conditions:
        requests_in: dict[int, Request] = {}
        excess: list[float] = []  # per hold: the most a request was late beyond it
        excess_less: list[float] = []  # the same, less the worker's wait for a CPU
        for index, (start, end) in enumerate(condition.intervals):
            inside = requests_during(start, end)
            requests_in.update((id(r), r) for r in inside)
            if inside and condition.released_queued:
                held, queued = end - start, condition.released_queued[index]
                excess.append(max(r.seconds - typical[r.action] for r in inside) - held)
                excess_less.append(
                    max(r.seconds - max(r.queued - queued, 0.0) - typical[r.action] for r in inside) - held
                )
        requests = list(requests_in.values())
        seconds = [r.seconds for r in requests]
        added = [r.seconds - typical[r.action] for r in requests]
        holds = condition.holds
        samples = [
            (s, waited)
            for sent, s, waited in run.health
            if any(_during(sent, sent + s, a, b) for a, b in condition.intervals)
        ]
        health = [s for s, _ in samples]
        health_max = max(health, default=float("nan"))
        baseline = baseline or (percentile(health, 99), health_max)
        screen, after_answer = [], []
        for r in requests:
            if r.ticket is not None and run.arrivals.get(r.ticket):
                arrival = min(run.arrivals[r.ticket])
                screen.append(arrival - r.sent)
                after_answer.append(arrival - r.answered)
        rows.calls.append(
            [
                condition.label,
                len(holds) or "-",
                ms(max(holds)) if holds else "-",
                len(requests),
                ms(percentile(seconds, 50)),
                ms(percentile(seconds, 99)),
                ms(max(seconds, default=float("nan"))),
                ms(percentile(added, 99)),
                ms(max(added, default=float("nan"))),
                ms(max(excess)) if excess else "-",
                ms(max(excess_less)) if excess_less else "-",
            ]
        )
        rows.hub.append(
            [
                condition.label,
                len(health),
                ms(percentile(health, 50)),
                ms(percentile(health, 99)),
                ms(health_max),
                f"{percentile(health, 99) / baseline[0]:.1f}x" if health else "-",
                f"{health_max / baseline[1]:.1f}x" if health else "-",
                ms(max((s - waited for s, waited in samples), default=float("nan"))),
                len(screen),
                ms(percentile(screen, 50)),
                ms(max(screen, default=float("nan"))),
                ms(max(after_answer, default=float("nan"))),
                f"{100 * condition.runnable / condition.span:.0f}%" if condition.span else "-",
            ]
        )
        rows.figures[condition.label] = {
            "held": max(holds, default=float("nan")),
            "added_max": max(added, default=float("nan")),
            "excess": max(excess, default=float("nan")),
            "excess_less": max(excess_less, default=float("nan")),
            "health_max": health_max,
            "health_max_less": max((s - waited for s, waited in samples), default=float("nan")),
            "quiet_health_max": baseline[1],
        }
    return rows


CALL_HEADERS = [
    "condition",
    "holds",
    "held ms",
    "requests",
    "p50 ms",
    "p99 ms",
    "max ms",
    "p99 added",
    "max added",
    "added - held",
    "less CPU wait",
]
HUB_HEADERS = [
    "condition",
    "/health n",
    "p50 ms",
    "p99 ms",
    "max ms",
    "p99/quiet",
    "max/quiet",
    "max less CPU wait",
    "calls",
    "screen p50",
    "screen max",
    "after answer max",
    "worker runnable",
]


def _cpu_model() -> str:
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "?"


def report(runs: list[Run], args: argparse.Namespace) -> tuple[str, list[Rows]]:
    out = [
        f"cli_write: one gunicorn eventlet worker (synchronous=FULL); {args.clerks} clerks calling, each on one"
        f" keep-alive connection, {args.pause * 1000:g} ms between requests; {args.screens} hall screen(s);"
        f" /health polled {HEALTH_PAUSE * 1000:g} ms after each answer",
        f"{os.cpu_count()} CPUs ({_cpu_model()}); database on {filesystem_of(args.dir)}",
    ]
    all_rows = []
    for run in runs:
        rows = figures(run)
        all_rows.append(rows)
        out += [
            "",
            f"== {LOCK_WAITS[run.mode][0]}  (--lock-waits {run.mode}; worker CPU over the run"
            f" {100 * run.worker_cpu / run.wall:.0f}% of one core;"
            f" load average {run.load[0]:.1f} -> {run.load[1]:.1f})",
            "",
            "clerks' requests (call-next, start-service, finish-service) in flight while the lock was held:",
            table(CALL_HEADERS, rows.calls),
            "",
            "the hub meanwhile: GET /health (no database) and the hall screen (call-nexts in flight, as above):",
            table(HUB_HEADERS, rows.hub),
        ]
        for condition in run.conditions:
            if condition.walls:
                counts = sorted(set(condition.transactions))
                holds = condition.holds
                out.append(
                    f"{condition.label}: {len(condition.walls)} runs of {min(condition.walls):.2f}-"
                    f"{max(condition.walls):.2f} s (start-up included), {'/'.join(map(str, counts))} write"
                    f" transaction(s) each, lock held {ms(min(holds))}-{ms(max(holds))} ms"
                )
        second = run.conditions[-1]
        span = second.intervals[0][1] - second.intervals[0][0]
        out.append(f"second server: {run.second_issued} tickets issued through it in {span:.1f} s")
        if run.failures:
            out.append(f"failures: {dict(run.failures)}")
        if run.log_problems:
            out.append(f"server logs: {len(run.log_problems)} error lines, first: {run.log_problems[:3]}")
    if len(runs) > 1:
        header = ["condition"]
        for run in runs:
            header += [f"{run.mode}: /health max ms", f"{run.mode}: added - held ms"]
        body = []
        for index, condition in enumerate(runs[0].conditions):
            row: list[object] = [condition.label]
            for rows in all_rows:
                figure = list(rows.figures.values())[index]
                row += [
                    f"{ms(figure['health_max'])} ({ms(figure['health_max_less'])})",
                    f"{ms(figure['excess'])} ({ms(figure['excess_less'])})" if condition.released_queued else "-",
                ]
            body.append(row)
        out += ["", "== side by side (in brackets: less the worker's wait for a CPU)", table(header, body)]
    out += [
        "",
        "held: the longest hold of the write lock, from BEGIN IMMEDIATE returning to COMMIT returning (for the",
        "commands, their write transactions). added: a request's time minus the quiet median for its action.",
        "added - held: per hold, the most a request in flight was delayed beyond the hold itself; 'the write itself'",
        "is the whole budget, so this should stay at a few ms. screen: call-next sent -> ticket_called at the",
        "screen; after answer: the call-next's HTTP answer -> the screen. worker runnable: the share of the time",
        "the worker was ready to run but waited for a CPU that other processes had (/proc/<pid>/schedstat).",
        "less CPU wait: the same figure less what the worker waited for a CPU (a call: between the lock's release",
        "and its answer; /health: during the request): most of what a busy machine adds, not the clients' waits.",
    ]
    return "\n".join(out), all_rows


def run(args: argparse.Namespace) -> tuple[str, bool, list[list[object]]]:
    """Every way of waiting asked for: the report, whether all went well, the summary rows."""
    runs = [run_mode(mode, args) for mode in args.modes]
    text, all_rows = report(runs, args)
    summary: list[list[object]] = []
    for run_, rows in zip(runs, all_rows, strict=True):
        for label, figure in rows.figures.items():
            if label.startswith("lock held"):
                summary.append(
                    [
                        f"{run_.mode} waits, {label}",
                        "",
                        f"calls +{ms(figure['added_max'])} ms (held {ms(figure['held'])});"
                        f" /health max {ms(figure['health_max'])} ms (quiet {ms(figure['quiet_health_max'])})",
                    ]
                )
    ok = not any(r.failures or r.log_problems for r in runs)
    return text, ok, summary


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.cli_write", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--lock-waits",
        default="python,sqlite",
        help="comma-separated: python (the server's way) and/or sqlite (SQLite's busy handler, the old way,"
        " QUEUE_SQLITE_BUSY_HANDLER=true); a fresh server each (default python,sqlite)",
    )
    parser.add_argument("--holds", default="50,200,1000", help="milliseconds the lock is held (default 50,200,1000)")
    parser.add_argument("--repeat", type=int, default=3, help="holds of each length, runs of each command (default 3)")
    parser.add_argument("--clerks", type=int, default=3, help="windows calling at once, one clerk each (default 3)")
    parser.add_argument(
        "--pause", type=float, default=0.02, help="seconds a clerk waits after an answer (default 0.02)"
    )
    parser.add_argument("--tickets", type=int, default=2500, help="tickets issued before calling (default 2500)")
    parser.add_argument("--quiet", type=float, default=3, help="seconds of the quiet phase (default 3)")
    parser.add_argument(
        "--gap", type=float, default=0.4, help="seconds (to 1.5x) between holds or commands (default 0.4)"
    )
    parser.add_argument("--second", type=float, default=3, help="seconds the second server issues (default 3)")
    parser.add_argument("--screens", type=int, default=1, help="hall screens connected (default 1)")
    parser.add_argument("--dir", default=None, help="parent folder of the throw-away instance (default: system temp)")
    parser.add_argument("--keep", action="store_true", help="keep the instance folders and their server.log")
    args = parser.parse_args(argv)
    args.modes = [m.strip().lower() for m in args.lock_waits.split(",") if m.strip()]
    if not args.modes or any(m not in LOCK_WAITS for m in args.modes):
        parser.error("--lock-waits takes python and/or sqlite, comma-separated")
    try:
        args.holds = [float(h) for h in args.holds.split(",") if h.strip()]
    except ValueError:
        parser.error("--holds takes milliseconds, comma-separated")
    if not args.holds or any(not 1 <= h <= 5000 for h in args.holds):
        parser.error("--holds must be between 1 and 5000 ms")
    if not 1 <= args.repeat <= 20 or not 1 <= args.clerks <= 20 or not 1 <= args.screens <= 50:
        parser.error("--repeat 1..20, --clerks 1..20, --screens 1..50")
    if not 0 <= args.pause <= 1 or not 1 <= args.quiet <= 60 or not 0 <= args.gap <= 10 or not 1 <= args.second <= 60:
        parser.error("--pause 0..1, --quiet 1..60, --gap 0..10, --second 1..60 (seconds)")
    if not 100 <= args.tickets <= 15_000:
        parser.error("--tickets must be between 100 and 15000")
    return args


def main(argv: list[str] | None = None) -> int:
    return run_from_command_line(parse_args(argv), run)


if __name__ == "__main__":
    sys.exit(main())
