"""Call latency while a manager loops monthly reports over a month of 100,000 tickets.

A fresh live server (one eventlet worker, synchronous=FULL) over the bench hall. Before
the phases, last calendar month is seeded into its database in one write transaction,
straight into the same tables the server writes (`--tickets`, default 100,000, spread
over the month's days, queues, `--windows` windows and their clerks): tickets with their
times and outcomes, their stays at windows (visits), their issue, call, finish and
transfer events, ratings for half of the served with their 差评 cases, each clerk's
sign-ins per day and two pauses a day with reasons. Then W clerks (one thread per window)
call-next, start and finish on an open schedule of `--rate` calls a second
(bench.call_latency's clerks); the figure is each call-next's HTTP response time. Beside
it a child process polls `/health` every 10 ms (the hub probe of `bench.probes`), and the
worker's hub thread's wait for a CPU is read from /proc, to tell the server from the
machine.

Three phases of `--calls` calls each:
1. quiet: no reports;
2. reporting: a manager's client loops the six monthly reports of the seeded month
   (queues, items, windows, clerks, attendance, clerk-review) back to back as JSON, and
   one CSV each round, for as long as the clerks call;
3. quiet again, so the phases around show how much the machine itself moves.

Target: call-next p99 while reporting within 10 % of quiet (the mean of the two).

    python -m bench.reports_load [--tickets 100000] [--calls 300] [--rate 6] [--windows 4]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import requests

from bench import probes
from bench.call_latency import issue_tickets, open_windows, run_clerks
from bench.common import (
    QUEUES,
    BenchServer,
    clerk_names,
    cpu_seconds,
    ms,
    percentile,
    rss_mib,
    run_from_command_line,
    table,
)
from tests.support.live import HALL

HEALTH_PAUSE = 0.01  # the hub probe: GET /health, then this long, from a process of its own
KINDS = ("queues", "items", "windows", "clerks", "attendance", "clerk-review")
LEVELS = ("very_satisfied", "satisfied", "basic", "dissatisfied", "very_dissatisfied")
LEVEL_WEIGHTS = (60, 30, 6, 3, 1)
PAUSE_REASONS = ("午休", "取材料", "系统故障", "临时会议")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def last_month(today: date) -> tuple[date, date]:
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def seed_month(database: Path, tickets: int, windows: int, today: date, seed: int = 7) -> dict[str, Any]:
    """Last month's tickets, visits, events, ratings, cases, sign-ins and pauses, written
    in one transaction with plain SQL (the server's tables and columns). Returns what was
    written and how long it took."""
    rng = random.Random(seed)
    first, last = last_month(today)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    started = time.monotonic()
    db = sqlite3.connect(database, timeout=60)
    try:
        db.execute("BEGIN IMMEDIATE")
        hall_id = db.execute("SELECT id FROM halls WHERE code = ?", [HALL]).fetchone()[0]
        clerks = [
            db.execute("SELECT id FROM users WHERE username = ?", [name]).fetchone()[0] for name in clerk_names(windows)
        ]
        seq = db.execute("SELECT last_seq FROM halls WHERE id = ?", [hall_id]).fetchone()[0]
        next_id = (db.execute("SELECT max(id) FROM tickets").fetchone()[0] or 0) + 1
        rating_id = (db.execute("SELECT max(id) FROM ratings").fetchone()[0] or 0) + 1
        ticket_rows, visit_rows, event_rows, rating_rows, case_rows, attendance_rows = [], [], [], [], [], []
        per_day = [tickets // len(days) + (1 if n < tickets % len(days) else 0) for n in range(len(days))]
        for day, count in zip(days, per_day, strict=True):
            opens = datetime.combine(day, datetime.min.time(), SHANGHAI).replace(hour=8, minute=30)
            for n, clerk in enumerate(clerks):  # each clerk signs in at their window, pauses twice
                window = n + 1
                signed_in = opens + timedelta(minutes=rng.uniform(-10, 10))
                signed_out = opens + timedelta(hours=9, minutes=rng.uniform(-5, 30))
                attendance_rows.append((hall_id, window, clerk, _iso(signed_in), _iso(signed_out)))
                for hour in (3.5, 6.5):
                    paused = opens + timedelta(hours=hour, minutes=rng.uniform(0, 30))
                    seq += 1
                    reason = rng.choice(PAUSE_REASONS)
                    event_rows.append((hall_id, seq, _iso(paused), "window_paused", None, window, clerk, reason, "{}"))
                    seq += 1
                    resumed = paused + timedelta(minutes=rng.uniform(3, 40))
                    event_rows.append((hall_id, seq, _iso(resumed), "window_resumed", None, window, clerk, None, "{}"))
            numbers: dict[str, int] = {}
            for index in range(count):
                ticket_id = next_id
                next_id += 1
                queue = QUEUES[index % len(QUEUES)]
                numbers[queue] = numbers.get(queue, 0) + 1
                number = f"{chr(ord('A') + QUEUES.index(queue))}{numbers[queue]:04d}"
                issued = opens + timedelta(seconds=index * (8 * 3600 / count))
                window = rng.randrange(windows) + 1
                clerk = clerks[window - 1]
                wait = rng.expovariate(1 / 900)
                called = issued + timedelta(seconds=wait)
                handling = rng.expovariate(1 / 420)
                roll = rng.random()
                status = "done" if roll < 0.9 else "no_show" if roll < 0.95 else "cancelled"
                transferred = status == "done" and rng.random() < 0.03
                final_queue = QUEUES[(QUEUES.index(queue) + 1) % len(QUEUES)] if transferred else queue
                finished = called + timedelta(seconds=handling)
                ticket_rows.append(
                    (
                        ticket_id,
                        hall_id,
                        day.isoformat(),
                        number,
                        final_queue,
                        queue,
                        "[]",
                        "desk",
                        status,
                        f"{index:016d}{ticket_id:012d}",
                        window if status != "cancelled" else None,
                        clerk if status != "cancelled" else None,
                        _iso(issued),
                        _iso(called) if status != "cancelled" else None,
                        _iso(called) if status != "cancelled" else None,
                        _iso(finished) if status == "done" else None,
                        handling if status == "done" else 0.0,
                        1 if status != "cancelled" else 0,
                        1 if status == "no_show" else 0,
                        "accepted" if status == "done" else None,
                        f"bench{ticket_id:012d}ref",
                    )
                )
                seq += 1
                event_rows.append((hall_id, seq, _iso(issued), "ticket_issued", ticket_id, None, None, None, "{}"))
                if status == "cancelled":
                    continue
                seq += 1
                event_rows.append((hall_id, seq, _iso(called), "ticket_called", ticket_id, window, clerk, None, "{}"))
                ending = {"done": "transferred" if transferred else "finished", "no_show": "no_show"}[status]
                visit_rows.append(
                    (
                        ticket_id,
                        hall_id,
                        window,
                        clerk,
                        _iso(called),
                        seq,
                        _iso(called),
                        _iso(finished),
                        ending,
                        handling if status == "done" else 0.0,
                    )
                )
                if status != "done":
                    continue
                seq += 1
                kind = "ticket_transferred" if transferred else "service_finished"
                data = json.dumps({"from_queue": queue, "to_queue": final_queue}) if transferred else "{}"
                event_rows.append((hall_id, seq, _iso(finished), kind, ticket_id, window, clerk, None, data))
                if rng.random() < 0.5:
                    level = rng.choices(LEVELS, LEVEL_WEIGHTS)[0]
                    rating_rows.append(
                        (
                            rating_id,
                            hall_id,
                            ticket_id,
                            day.isoformat(),
                            final_queue,
                            window,
                            clerk,
                            f"CLERK{window}",
                            "phone",
                            level,
                            _iso(issued),
                            _iso(called),
                            _iso(called),
                            _iso(finished),
                            _iso(finished + timedelta(minutes=1)),
                            int(wait),
                            int(handling),
                        )
                    )
                    if level in ("dissatisfied", "very_dissatisfied"):
                        case_rows.append(
                            (
                                hall_id,
                                rating_id,
                                _iso(finished),
                                _iso(finished + timedelta(days=1)),
                                _iso(finished + timedelta(days=5)),
                                "open",
                            )
                        )
                    rating_id += 1
        db.executemany(
            """INSERT INTO tickets (id, hall_id, service_day, number, queue, origin_queue, items, channel, status,
                   place, window, clerk_id, issued_at, first_called_at, called_at, finished_at, handling_seconds,
                   calls, no_shows, outcome, ref)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            ticket_rows,
        )
        db.executemany(
            """INSERT INTO visits (ticket_id, hall_id, window, clerk_id, called_at, call_seq, started_at, ended_at,
                   ending, handling_seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            visit_rows,
        )
        db.executemany(
            "INSERT INTO events (hall_id, seq, at, type, ticket_id, window, clerk_id, reason, data) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            event_rows,
        )
        db.executemany(
            """INSERT INTO ratings (id, hall_id, ticket_id, service_day, queue, window, clerk_id, clerk_number,
                   channel, level, issued_at, called_at, started_at, finished_at, rated_at, wait_seconds,
                   handling_seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            rating_rows,
        )
        db.executemany(
            "INSERT INTO review_cases (hall_id, rating_id, opened_at, contact_due, fix_due, state) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            case_rows,
        )
        db.executemany(
            "INSERT INTO attendance (hall_id, window, user_id, opened_at, closed_at) VALUES (?, ?, ?, ?, ?)",
            attendance_rows,
        )
        db.execute("UPDATE halls SET last_seq = ? WHERE id = ?", [seq, hall_id])
        db.execute("COMMIT")
    finally:
        db.close()
    return {
        "month": first.strftime("%Y-%m"),
        "tickets": len(ticket_rows),
        "visits": len(visit_rows),
        "events": len(event_rows),
        "ratings": len(rating_rows),
        "cases": len(case_rows),
        "sign_ins": len(attendance_rows),
        "seconds": time.monotonic() - started,
    }


class ReportLoop:
    """A manager's client looping the month's reports in a thread until stopped."""

    def __init__(self, session: requests.Session, base: str, month: str) -> None:
        self.session, self.base, self.month = session, base, month
        self.times: dict[str, list[float]] = {}
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def one(self, kind: str, as_csv: bool = False) -> float:
        sent = time.monotonic()
        suffix = "&format=csv" if as_csv else ""
        response = self.session.get(f"{self.base}/{kind}?month={self.month}{suffix}", timeout=120)
        took = time.monotonic() - sent
        if response.status_code != 200:
            self.failures.append(f"{kind}: HTTP {response.status_code} {response.text[:200]}")
        self.times.setdefault(kind + (" (CSV)" if as_csv else ""), []).append(took)
        return took

    def _run(self) -> None:
        while not self._stop.is_set():
            for kind in KINDS:
                if self._stop.is_set():
                    return
                self.one(kind)
            self.one("queues", as_csv=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(180)


def run(args: argparse.Namespace) -> tuple[str, bool, list[list[object]]]:
    bench = BenchServer.start(synchronous=args.synchronous, windows=args.windows, keep=args.keep, parent=args.dir)
    problems: list[str] = []
    try:
        return _run(args, bench, problems)
    finally:
        problems += bench.stop()


def _run(args: argparse.Namespace, bench: BenchServer, problems: list[str]) -> tuple[str, bool, list[list[object]]]:
    database = bench.instance / "hall-queue.sqlite3"
    worker = bench.worker_pid()
    seeded = seed_month(database, args.tickets, args.windows, datetime.now(SHANGHAI).date())
    issue_tickets(bench, 3 * args.calls)
    sessions = open_windows(bench, args.windows)
    manager = bench.server.session("manager")
    loop = ReportLoop(manager, bench.server.api(f"/halls/{HALL}/reports"), seeded["month"])
    alone = {kind: loop.one(kind) for kind in KINDS}  # each report once, nothing else running
    loop.times.clear()
    phases: list[dict[str, Any]] = []
    failures = 0

    def phase(name: str, reporting: bool) -> None:
        nonlocal failures
        poller = probes.Child(probes.poll_health, bench.server.port, worker, HEALTH_PAUSE, args.time_limit + 60)
        poller.receive(30)  # ready
        before_cpu, before_wait = cpu_seconds(worker), probes.run_queue_seconds(worker)
        if reporting:
            loop.start()
        clerks = run_clerks([bench], sessions, args.calls, args.rate, args.time_limit)
        if reporting:
            loop.stop()
        waited = probes.run_queue_seconds(worker) - before_wait
        poller.pipe.send(("stop",))
        _, samples, health_errors = poller.receive(60)
        poller.close()
        failures += sum(health_errors.values())
        health = [seconds for _, seconds, _ in samples]
        answers = [call.answered - call.sent for call in clerks.calls]
        failures += sum(clerks.failures.values()) + (1 if clerks.timed_out else 0)
        phases.append(
            {
                "name": name,
                "n": len(answers),
                "p50": percentile(answers, 50),
                "p99": percentile(answers, 99),
                "max": max(answers) if answers else float("nan"),
                "cpu": (cpu_seconds(worker) - before_cpu) / clerks.wall if clerks.wall else 0.0,
                "reports": sum(len(v) for v in loop.times.values()) if reporting else 0,
                "health_p99": percentile(health, 99),
                "health_max": max(health) if health else float("nan"),
                "hub_waited": waited / clerks.wall if clerks.wall else 0.0,
                "failures": dict(clerks.failures),
            }
        )

    phase("quiet (no reports)", False)
    phase("monthly reports looping", True)
    phase("quiet again", False)
    failures += len(loop.failures)

    quiet = [p["p99"] for p in phases if p["name"].startswith("quiet")]
    baseline = sum(quiet) / len(quiet)
    loaded = phases[1]["p99"]
    ratio = loaded / baseline if baseline else float("nan")
    rows = [
        [
            p["name"],
            p["n"],
            ms(p["p50"]),
            ms(p["p99"]),
            ms(p["max"]),
            f"{p['p99'] / baseline:.2f}x",
            ms(p["health_p99"]),
            ms(p["health_max"]),
            f"{p['hub_waited']:.0%}",
            f"{p['cpu']:.0%}",
            p["reports"],
        ]
        for p in phases
    ]
    report_rows = [
        [kind, ms(alone[kind]), len(loop.times.get(kind, [])), ms(percentile(loop.times.get(kind, []), 50))]
        for kind in KINDS
    ] + [
        [
            "queues (CSV)",
            "-",
            len(loop.times.get("queues (CSV)", [])),
            ms(percentile(loop.times.get("queues (CSV)", []), 50)),
        ]
    ]
    ok = failures == 0 and not problems
    header = (
        f"reports_load: one gunicorn eventlet worker (synchronous={args.synchronous}); {args.windows} clerks calling "
        f"at {args.rate:g}/s (call-next, then start and finish); {os.cpu_count()} CPUs; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    seeded_line = (
        f"seeded {seeded['month']}: {seeded['tickets']} tickets, {seeded['visits']} visits, {seeded['events']} events, "
        f"{seeded['ratings']} ratings, {seeded['cases']} cases, {seeded['sign_ins']} sign-ins "
        f"in {seeded['seconds']:.1f} s (one transaction)"
    )
    text = "\n".join(
        [
            header,
            seeded_line,
            "",
            table(
                [
                    "phase",
                    "calls",
                    "call-next p50 ms",
                    "p99 ms",
                    "max ms",
                    "p99 / quiet",
                    "/health p99 ms",
                    "/health max ms",
                    "hub waiting for a CPU",
                    "worker CPU",
                    "reports",
                ],
                rows,
            ),
            "",
            table(["report (month)", "alone ms", "while calling: runs", "p50 ms"], report_rows),
            "",
            f"call-next p99: quiet {ms(baseline)} ms (mean of both), with reports {ms(loaded)} ms, ratio {ratio:.2f} "
            f"(target at most 1.10)",
            "/health: a child process asks GET /api/v1/health (no session, no database) every 10 ms: slow answers "
            "mean the worker's hub was not running. hub waiting for a CPU: the share of the phase the worker's main "
            "(hub) thread was ready to run but had no core (/proc schedstat): the machine, not the server.",
            f"worker RSS after: {rss_mib(worker):.1f} MiB; failed requests {failures}; server log error lines "
            f"{len(problems)}",
            *loop.failures[:5],
        ]
    )
    summary: list[list[object]] = [
        ["call-next, quiet", "-", f"p99 {ms(baseline)} ms"],
        [
            "call-next, monthly reports looping",
            f"{phases[1]['reports']} reports",
            f"p99 {ms(loaded)} ms ({ratio:.2f}x)",
        ],
    ]
    return text, ok, summary


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.reports_load", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000, help="tickets seeded over last month (default 100000)")
    parser.add_argument("--calls", type=int, default=300, help="calls per phase (default 300)")
    parser.add_argument("--windows", type=int, default=4, help="windows calling at once, one clerk each (default 4)")
    parser.add_argument("--rate", type=float, default=6, help="calls per second across the hall (default 6)")
    parser.add_argument("--synchronous", default="FULL", choices=("FULL", "NORMAL", "EXTRA"))
    parser.add_argument("--time-limit", type=float, default=120, help="seconds at most for a phase's calls")
    parser.add_argument("--dir", default=None, help="parent folder of the throw-away instance (default: system temp)")
    parser.add_argument("--keep", action="store_true", help="keep the instance folder and its server.log")
    args = parser.parse_args(argv)
    if not 1_000 <= args.tickets <= 500_000 or not 1 <= args.windows <= 20 or not 10 <= args.calls <= 5_000:
        parser.error("--tickets 1000..500000, --windows 1..20, --calls 10..5000")
    if not 0 < args.rate <= 100 or args.calls / args.rate > args.time_limit:
        parser.error("--rate 0..100, and --calls / --rate within --time-limit")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.dir is None:
        args.dir = tempfile.gettempdir()
    return run_from_command_line(args, run)


if __name__ == "__main__":
    sys.exit(main())
