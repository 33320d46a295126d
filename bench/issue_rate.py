"""Ticket issue rate on one eventlet worker, beside the framework's ceiling.

For each SQLite `synchronous` mode asked for (FULL, the production default, makes every
commit durable with an fsync; NORMAL is there for comparison) and each client count
asked for (default 8 and 64), a fresh live server is started over the bench hall, and C
client threads, each holding one keep-alive HTTP connection, run three phases against it:

1. `GET /api/v1/health` without a session: gunicorn + eventlet + Flask and nothing
   else, the ceiling of this machine.
2. `GET /api/v1/health` signed in as the guide: the same, plus what every API request
   of a signed-in user pays (session cookie check, user look-up).
3. `POST /api/v1/halls/demo/tickets` signed in as the guide: one write transaction
   and one `ticket_issued` emit per request, round-robin over the bench hall's 26 queues.

Then the same clients run `GET /health` on the bare Flask-SocketIO server
(`bench.bare_server`: the same gunicorn command, worker class and allocator, an app
with nothing else) right after ours has stopped: the framework's own ceiling, printed
beside ours, to show how much of each request is the framework's.

Each phase is bounded by a request count and a time limit. Issue 11's targets: issuing
under FULL at >= 300 tickets/s and >= 0.5 of the same server's anonymous `/health` rate,
with 8 and with 64 clients; the summary prints that ratio beside the group commit's
writes per COMMIT (from the server's log when it stops: storage/store.py), which count
every write of the server's run, the warm-up and the sign-in included. The clients use
`http.client` rather than `requests`: on two cores a `requests` client spends about a
millisecond of CPU per request and becomes the bottleneck itself.

With `--profile DIR` py-spy samples the worker while it issues, and the report adds
where its busy time went (bench/flame.py; the collapsed stacks stay in DIR for a flame
graph). py-spy takes CPU of its own, so the rates of such a run are 5-15 % lower.

    python -m bench.issue_rate [--clients 8,64] [--issues 2000] [--health 2000] [--synchronous FULL,NORMAL]
                               [--profile DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import itertools
import json
import os
import re
import secrets
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench import flame
from bench.bare_server import BareServer
from bench.common import (
    QUEUES,
    BenchServer,
    add_allocator_argument,
    add_worker_argument,
    allocator_environment,
    commit_ms,
    cpu_seconds,
    filesystem_of,
    ms,
    percentile,
    rss_mib,
    run_from_command_line,
    table,
)
from tests.support.live import HALL, gunicorn_worker

GROUP_COMMIT = re.compile(
    r"group commit at exit: (\d+) commits, (\d+) writes \(([\d.]+) per commit\), largest batch (\d+),"
    r" ([\d.]+) ms per commit"
)
ISSUE_TARGET = 300.0  # tickets/s under FULL (issue 11)
RATIO_TARGET = 0.5  # of the anonymous /health rate, same server, same run
WARM_UP_HEALTH = 200
WARM_UP_ISSUES_PER_CLIENT = 2
HEADERS = [
    "mode / phase",
    "ok",
    "failed",
    "wall s",
    "req/s",
    "p50 ms",
    "p99 ms",
    "max ms",
    "worker CPU",
    "worker ms/req",
    "client CPU",
]


@dataclass(frozen=True)
class Call:
    """One kind of request: method, path, body maker, the status that counts as success."""

    method: str
    path: str
    status: int
    headers: dict[str, str]
    body: list[bytes] | None = None  # cycled through, request i sends body[i % len]

    def send(self, connection: http.client.HTTPConnection, index: int) -> tuple[int, bytes]:
        body = self.body[index % len(self.body)] if self.body else None
        connection.request(self.method, self.path, body=body, headers=self.headers)
        response = connection.getresponse()
        return response.status, response.read()


@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)
    wall: float = 0.0
    worker_cpu: float = 0.0
    client_cpu: float = 0.0
    timed_out: bool = False

    def row(self, mode: str) -> list[object]:
        count = len(self.latencies)
        return [
            f"{mode:<6} {self.name}",
            count,
            sum(self.failures.values()),
            f"{self.wall:.2f}",
            f"{count / self.wall:.0f}" if self.wall else "-",
            ms(percentile(self.latencies, 50)),
            ms(percentile(self.latencies, 99)),
            ms(max(self.latencies, default=float("nan"))),
            f"{100 * self.worker_cpu / self.wall:.0f}%" if self.wall else "-",
            f"{1000 * self.worker_cpu / count:.2f}" if count else "-",
            f"{100 * self.client_cpu / self.wall:.0f}%" if self.wall else "-",
        ]


def run_phase(name: str, port: int, call: Call, total: int, clients: int, time_limit: float, worker: int) -> Phase:
    """`total` requests shared by `clients` threads, one keep-alive connection each,
    started together; a thread stops early once `time_limit` seconds have passed."""
    phase = Phase(name)
    counter = itertools.count()
    lock = threading.Lock()
    ready = threading.Barrier(clients + 1)
    deadline = time.perf_counter() + time_limit + 10  # set again when the phase starts

    def client() -> None:
        mine: list[float] = []
        failures: Counter[str] = Counter()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        ready.wait()
        while True:
            with lock:
                index = next(counter)
            if index >= total:
                break
            if time.perf_counter() > deadline:
                phase.timed_out = True
                break
            began = time.perf_counter()
            try:
                status, body = call.send(connection, index)
            except (OSError, http.client.HTTPException) as error:
                failures[type(error).__name__] += 1
                connection.close()  # the next request opens a new connection
                continue
            elapsed = time.perf_counter() - began
            if status == call.status:
                mine.append(elapsed)
            else:
                failures[f"HTTP {status} {_problem_code(body)}".strip()] += 1
        connection.close()
        with lock:
            phase.latencies.extend(mine)
            phase.failures.update(failures)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    worker_before, client_before = cpu_seconds(worker), _own_cpu()
    deadline = time.perf_counter() + time_limit
    began = time.perf_counter()
    ready.wait()
    for thread in threads:
        thread.join(time_limit + 30)  # each request has a 10 s timeout; this is a backstop
    phase.wall = time.perf_counter() - began
    phase.worker_cpu = cpu_seconds(worker) - worker_before
    phase.client_cpu = _own_cpu() - client_before
    return phase


def _own_cpu() -> float:
    times = os.times()
    return times.user + times.system


def _problem_code(body: bytes) -> str:
    try:
        return str(json.loads(body).get("code", ""))
    except (ValueError, AttributeError):
        return ""


@dataclass
class ModeResult:
    synchronous: str
    clients: int
    phases: list[Phase]
    rss_idle: float
    rss_after: float
    log_problems: list[str]
    instance: str
    commits: tuple[int, int, float, int, float] | None  # COMMITs, writes, per COMMIT, largest batch, ms each
    profile: Path | None = None  # the worker's collapsed stacks over the ticket phase (--profile)

    @property
    def label(self) -> str:
        return f"{self.synchronous} x{self.clients}"

    def rate(self, name: str) -> float:
        phase = next(p for p in self.phases if p.name == name)
        return len(phase.latencies) / phase.wall if phase.wall else 0.0


HEALTH, ISSUE, BARE = "GET /health, anonymous", "POST /tickets", "GET /health, bare server"


def run_mode(synchronous: str, clients: int, args: argparse.Namespace) -> ModeResult:
    # INFO: the server logs the group commit's figures when it stops
    bench = BenchServer.start(
        synchronous=synchronous,
        windows=1,
        keep=args.keep,
        parent=args.dir,
        environment={"QUEUE_LOG_LEVEL": "INFO", **allocator_environment(args.allocator)},
    )
    try:
        server = bench.server
        worker = bench.worker_pid()
        rss_idle = rss_mib(worker)
        guide = server.session("guide")
        signed_in = {
            "Cookie": "; ".join(f"{k}={v}" for k, v in guide.cookies.items()),
            "X-CSRF-Token": str(guide.headers["X-CSRF-Token"]),
        }
        guide.close()
        anonymous_health = Call("GET", "/api/v1/health", 200, {})
        signed_in_health = Call("GET", "/api/v1/health", 200, signed_in)
        issue = Call(
            "POST",
            f"/api/v1/halls/{HALL}/tickets",
            201,
            {**signed_in, "Content-Type": "application/json"},
            [json.dumps({"queue": queue}).encode() for queue in QUEUES],
        )

        def phase(name: str, call: Call, total: int) -> Phase:
            return run_phase(name, server.port, call, total, clients, args.time_limit, worker)

        # warm-up: code paths, caches and the connection pool hot (not counted)
        phase("warm-up", signed_in_health, WARM_UP_HEALTH)
        phase("warm-up", issue, WARM_UP_ISSUES_PER_CLIENT * clients)
        phases = [
            phase(HEALTH, anonymous_health, args.health),
            phase("GET /health, signed in", signed_in_health, args.health),
        ]
        profile = Path(args.profile) / f"issue-{synchronous}-x{clients}.txt" if args.profile else None
        with flame.record(worker, profile) if profile else contextlib.nullcontext():
            phases.append(phase(ISSUE, issue, args.issues))
        rss_after = rss_mib(worker)
    finally:
        problems = bench.stop()
    phases.append(bare_health(clients, args))
    found = GROUP_COMMIT.search(bench.log_text())
    commits = (int(found[1]), int(found[2]), float(found[3]), int(found[4]), float(found[5])) if found else None
    return ModeResult(
        synchronous, clients, phases, rss_idle, rss_after, problems, str(bench.instance), commits, profile
    )


def bare_health(clients: int, args: argparse.Namespace) -> Phase:
    """The anonymous `/health` phase on the bare Flask-SocketIO server (module docstring)."""
    folder = Path(tempfile.mkdtemp(prefix="hall-queue-bench-bare-", dir=args.dir))
    bare = BareServer(secrets.token_urlsafe(16), folder, environment=allocator_environment(args.allocator))
    try:
        bare.start()
        worker = gunicorn_worker(bare.process.pid)  # type: ignore[union-attr]
        health = Call("GET", "/health", 200, {})
        run_phase("warm-up", bare.port, health, WARM_UP_HEALTH, clients, args.time_limit, worker)
        return run_phase(BARE, bare.port, health, args.health, clients, args.time_limit, worker)
    finally:
        bare.stop()
        shutil.rmtree(folder, ignore_errors=True)


def report(results: list[ModeResult], args: argparse.Namespace, commits: dict[str, tuple[float, float]]) -> str:
    probe = ", ".join(f"{mode} p50 {p50:.2f} / p99 {p99:.2f} ms" for mode, (p50, p99) in commits.items())
    out = [
        f"issue_rate: one gunicorn {getattr(args, 'worker', 'eventlet')} worker"
        f" allocating with {getattr(args, 'allocator', 'pymalloc')};"
        f" {'/'.join(map(str, args.client_counts))} client threads,"
        " one keep-alive connection each, a fresh server for each count;"
        f" {os.cpu_count()} CPUs",
        f"database on {filesystem_of(args.dir)}; a bare SQLite WAL commit there: {probe}",
        "",
        table(HEADERS, [phase.row(r.label) for r in results for phase in r.phases]),
        "",
        table(
            [
                "mode x clients",
                "/health anon req/s",
                "tickets/s",
                "ratio",
                "target",
                "bare /health req/s",
                "ours / bare",
                "tickets / bare",
                "commits",
                "writes",
                "writes/commit",
                "largest batch",
                "ms/commit",
            ],
            [_target_row(r) for r in results],
        ),
        "",
        table(
            ["mode x clients", "worker RSS idle MiB", "RSS after MiB", "server log errors"],
            [[r.label, f"{r.rss_idle:.1f}", f"{r.rss_after:.1f}", len(r.log_problems)] for r in results],
        ),
    ]
    for result in results:
        for phase in result.phases:
            if phase.failures:
                out.append(f"{result.label} {phase.name} failures: {dict(phase.failures)}")
            if phase.timed_out:
                out.append(f"{result.label} {phase.name}: stopped by the {args.time_limit:.0f} s limit")
        if result.commits is None:
            out.append(f"{result.label}: the server log has no group commit figures (did it stop cleanly?)")
        if result.log_problems:
            out.append(
                f"{result.label}: {result.instance} server log has {len(result.log_problems)} error lines, first:"
            )
            out += [f"    {line}" for line in result.log_problems[:5]]
    out += [
        "",
        "worker CPU: the worker's CPU time over the wall time (100% = one core); worker ms/req: its CPU per request;",
        "client CPU: this process likewise. While SQLite commits, the worker waits on the disk without using CPU.",
        f"target (issue 11, FULL only): >= {ISSUE_TARGET:.0f} tickets/s and >= {RATIO_TARGET} of the anonymous"
        " /health rate; commits, writes: the group commit over the server's whole run (warm-up, sign-in included);",
        "ms/commit: a COMMIT as the hub waits for it, the fsync and the hand-over to and from the pool thread.",
        "bare: GET /health on the bare Flask-SocketIO server (bench.bare_server), same worker class, allocator"
        " and clients, right after ours stopped; ours / bare, tickets / bare: our rates as shares of it.",
        "Figures from a shared machine move with the neighbours: compare the ratios within one run.",
    ]
    for result in results:
        if result.profile is not None:
            out += ["", f"{result.label}, the worker while it issued (py-spy, busy samples only):"]
            out.append(flame.summary(result.profile))
    return "\n".join(out)


def _target_row(result: ModeResult) -> list[object]:
    health, issued = result.rate(HEALTH), result.rate(ISSUE)
    ratio = issued / health if health else 0.0
    met = issued >= ISSUE_TARGET and ratio >= RATIO_TARGET
    target = ("met" if met else "not met") if result.synchronous == "FULL" else "-"
    commits = result.commits
    figures: list[object] = (
        [commits[0], commits[1], f"{commits[2]:.2f}", commits[3], f"{commits[4]:.1f}"]
        if commits is not None
        else ["?"] * 5
    )
    bare = result.rate(BARE)
    against_bare = [f"{bare:.0f}", _share(health, bare), _share(issued, bare)]
    return [result.label, f"{health:.0f}", f"{issued:.0f}", f"{ratio:.2f}", target, *against_bare, *figures]


def _share(rate: float, of: float) -> str:
    return f"{rate / of:.2f}" if of else "-"


def summary(results: list[ModeResult]) -> list[list[object]]:
    """The headline figures, for `python -m bench`."""
    rows: list[list[object]] = []
    for result in results:
        for phase in result.phases:
            count = len(phase.latencies)
            rate = f"{count / phase.wall:.0f}/s" if phase.wall else "-"
            p50, p99 = ms(percentile(phase.latencies, 50)), ms(percentile(phase.latencies, 99))
            rows.append([f"{result.label} {phase.name}", rate, f"p50 {p50} ms, p99 {p99} ms"])
        health, issued = result.rate(HEALTH), result.rate(ISSUE)
        per_commit = f"{result.commits[2]:.2f} writes/commit" if result.commits else "writes/commit ?"
        rows.append(
            [f"{result.label} issuing / anonymous health", f"{issued / health:.2f}" if health else "-", per_commit]
        )
        rows.append([f"{result.label} our /health / the bare server's", _share(health, result.rate(BARE)), "same run"])
        rows.append([f"{result.label} worker RSS", f"{result.rss_after:.0f} MiB", f"idle {result.rss_idle:.0f} MiB"])
    return rows


def run(args: argparse.Namespace) -> tuple[str, bool, list[list[object]]]:
    """Every mode asked for: the report, whether all went well, the summary rows."""
    results = [run_mode(mode, clients, args) for mode in args.modes for clients in args.client_counts]
    commits = {mode: commit_ms(args.dir, mode) for mode in args.modes}
    failed = any(p.failures or p.timed_out for r in results for p in r.phases) or any(
        r.log_problems or r.commits is None for r in results
    )
    return report(results, args, commits), not failed, summary(results)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.issue_rate", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--clients", default="8,64", help="comma-separated counts of concurrent client threads, a fresh server each"
    )
    parser.add_argument("--issues", type=int, default=2000, help="tickets to issue per mode (default 2000)")
    parser.add_argument("--health", type=int, default=2000, help="GET /health requests per phase (default 2000)")
    parser.add_argument(
        "--synchronous",
        default="FULL,NORMAL",
        help="comma-separated SQLite synchronous modes, a fresh server each (default FULL,NORMAL)",
    )
    parser.add_argument("--time-limit", type=float, default=30, help="seconds at most per phase (default 30)")
    parser.add_argument("--dir", default=None, help="parent folder of the throw-away instance (default: system temp)")
    parser.add_argument("--keep", action="store_true", help="keep the instance folder and its server.log")
    parser.add_argument(
        "--profile",
        metavar="DIR",
        default=None,
        help="sample the worker with py-spy while it issues: DIR/issue-<mode>-x<clients>.txt (collapsed stacks)"
        " and a summary in the report; sampling slows the worker, so take the rates from a run without it",
    )
    add_worker_argument(parser)
    add_allocator_argument(parser)
    args = parser.parse_args(argv)
    args.modes = [m.strip().upper() for m in args.synchronous.split(",") if m.strip()]
    if not args.modes or any(m not in ("FULL", "NORMAL", "EXTRA") for m in args.modes):
        parser.error("--synchronous takes FULL, NORMAL or EXTRA, comma-separated")
    try:
        args.client_counts = [int(c) for c in args.clients.split(",") if c.strip()]
    except ValueError:
        parser.error("--clients takes whole numbers, comma-separated (e.g. 8,64)")
    if not args.client_counts or any(not 1 <= c <= 64 for c in args.client_counts):
        parser.error("--clients must be between 1 and 64, comma-separated")
    capacity = len(QUEUES) * 999 - WARM_UP_ISSUES_PER_CLIENT * max(args.client_counts)
    if not 1 <= args.issues <= capacity:
        parser.error(f"--issues must be between 1 and {capacity} (26 queues of 999 tickets a day)")
    if not 1 <= args.health <= 100_000 or not 1 <= args.time_limit <= 600:
        parser.error("--health must be 1..100000 and --time-limit 1..600")
    if args.profile:
        try:
            flame.py_spy()
        except flame.ProfilerMissing as missing:
            parser.error(str(missing))
    return args


def main(argv: list[str] | None = None) -> int:
    return run_from_command_line(parse_args(argv), run)


if __name__ == "__main__":
    sys.exit(main())
