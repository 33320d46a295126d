"""Call latency while the 好差评 feed drains a backlog: does the outbox delay a call?

A fresh live server (one eventlet worker, synchronous=FULL) over the bench hall, its feed
pointed at a slow stand-in platform in a process of its own on a loopback port
(`tests/support/feed_receiver.py`, answering each record after `--delay` seconds,
default 50 ms). W clerks (one thread per window) call-next, start and finish on an open
schedule of `--rate` calls a second (bench.call_latency's clerks); the figure is each
call-next's HTTP response time, from just before it was sent to its answer.

Three phases of `--calls` calls each:
1. quiet: the outbox empty;
2. draining: `--backlog` records (default 10,000) were queued in one write transaction
   just before (as ratings are, through `storage.outbox.enqueue`), and the server's
   sender posts them one after another to the slow platform while the clerks call;
3. quiet again: what is left of the backlog parked (due in a year), so the phases
   around the drain show how much the machine itself moves between phases.

Target: p99 while draining within 10 % of quiet. At the end no record may have reached
the platform twice, and every one it took must have had a valid signature.

    python -m bench.review_feed [--calls 300] [--rate 6] [--windows 4] [--backlog 10000] [--delay 0.05]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import requests

from bench.call_latency import issue_tickets, open_windows, run_clerks
from bench.common import BenchServer, cpu_seconds, ms, percentile, rss_mib, run_from_command_line, table
from queue_server import storage
from queue_server.domain import clock
from tests.support.live import free_port
from tests.support.rating_records import enqueue_records

SECRET = "bench-feed-secret-0123456789"


class Platform:
    """The stand-in platform in a process of its own (its threads never take this one's GIL)."""

    def __init__(self, delay: float) -> None:
        self.port = free_port()
        command = [sys.executable, "-m", "tests.support.feed_receiver", "--port", str(self.port)]
        self.process = subprocess.Popen(
            [*command, "--secret", SECRET, "--delay", str(delay)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                self.stats()
                return
            except requests.RequestException:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("the stand-in platform did not start") from None
                time.sleep(0.05)  # not listening yet

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/ratings"

    def stats(self) -> dict[str, int]:
        return requests.get(f"http://127.0.0.1:{self.port}/stats", timeout=5).json()  # type: ignore[no-any-return]

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=300, help="calls per phase")
    parser.add_argument("--rate", type=float, default=6.0, help="calls per second, all windows together")
    parser.add_argument("--windows", type=int, default=4)
    parser.add_argument("--backlog", type=int, default=10_000, help="records queued before the draining phase")
    parser.add_argument("--delay", type=float, default=0.05, help="seconds the platform takes to answer each")
    parser.add_argument("--synchronous", default="FULL", choices=("FULL", "NORMAL"))
    parser.add_argument("--time-limit", type=float, default=300.0, help="seconds per phase at most")
    parser.add_argument("--dir", default=None, help="where the instance folder goes (default: the temp folder)")
    parser.add_argument("--keep", action="store_true", help="keep the instance folder")
    return parser.parse_args(argv)


def outbox_counts(database: Path) -> dict[str, int]:
    store = storage.Storage(database)
    try:
        with store.read() as db:
            return storage.outbox.counts(db, None)
    finally:
        store.close()


def queue_backlog(database: Path, count: int) -> float:
    """`count` records in one write transaction, as ratings are queued; returns the seconds it took."""
    store = storage.Storage(database)
    began = time.monotonic()
    try:
        enqueue_records(store, range(1, count + 1))
    finally:
        store.close()
    return time.monotonic() - began


def park_backlog(database: Path) -> int:
    """What is left of the backlog waits a year: the last phase is quiet again."""
    store = storage.Storage(database)
    try:
        with store.write() as db:
            far = clock.iso(clock.utc_now().replace(year=clock.utc_now().year + 1))
            return db.execute("UPDATE outbox SET next_attempt_at = ? WHERE state = 'pending'", [far]).rowcount
    finally:
        store.close()


def run(args: argparse.Namespace) -> tuple[str, bool, list[list[object]]]:
    with ExitStack() as stack:
        platform = Platform(args.delay)
        stack.callback(platform.close)
        environment = {
            "QUEUE_REVIEW_FEED_URL": platform.url,
            "QUEUE_REVIEW_FEED_SECRET": SECRET,
            "QUEUE_REVIEW_FEED_POLL": "0.5",
        }
        bench = BenchServer.start(
            synchronous=args.synchronous, windows=args.windows, keep=args.keep, parent=args.dir, environment=environment
        )
        problems: list[str] = []
        try:
            return _run(args, bench, platform, problems)
        finally:
            problems += bench.stop()


def _run(
    args: argparse.Namespace, bench: BenchServer, platform: Platform, problems: list[str]
) -> tuple[str, bool, list[list[object]]]:
    database = bench.instance / "hall-queue.sqlite3"
    worker = bench.worker_pid()
    issue_tickets(bench, 3 * args.calls)
    sessions = open_windows(bench, args.windows)
    phases: list[dict[str, Any]] = []
    notes: list[str] = []
    failures = 0

    def phase(name: str) -> None:
        nonlocal failures
        before_cpu, before_sent, before_counts = (
            cpu_seconds(worker),
            platform.stats()["accepted"],
            outbox_counts(database),
        )
        clerks = run_clerks([bench], sessions, args.calls, args.rate, args.time_limit)
        after_counts = outbox_counts(database)
        answers = [call.answered - call.sent for call in clerks.calls]
        failures += sum(clerks.failures.values()) + (1 if clerks.timed_out else 0)
        phases.append(
            {
                "name": name,
                "n": len(answers),
                "p50": percentile(answers, 50),
                "p99": percentile(answers, 99),
                "max": max(answers) if answers else float("nan"),
                "wall": clerks.wall,
                "cpu": (cpu_seconds(worker) - before_cpu) / clerks.wall if clerks.wall else 0.0,
                "delivered": after_counts["delivered"] - before_counts["delivered"],
                "received": platform.stats()["accepted"] - before_sent,
                "pending": after_counts["pending"],
                "failures": dict(clerks.failures),
            }
        )

    phase("quiet (outbox empty)")
    queued_s = queue_backlog(database, args.backlog)
    notes.append(f"{args.backlog} records queued in one write transaction in {queued_s:.2f} s, before the phase")
    phase(f"draining a backlog of {args.backlog}")
    parked = park_backlog(database)
    notes.append(f"{parked} records left of the backlog, parked for the last phase")
    phase("quiet again (backlog parked)")

    rss = rss_mib(worker)
    stats = platform.stats()
    quiet_p99 = [p["p99"] for p in phases if p["name"].startswith("quiet")]
    baseline = sum(quiet_p99) / len(quiet_p99)
    rows = [
        [
            p["name"],
            p["n"],
            ms(p["p50"]),
            ms(p["p99"]),
            ms(p["max"]),
            f"{p['p99'] / baseline:.2f}x",
            f"{p['cpu']:.0%}",
            p["delivered"],
            f"{p['delivered'] / p['wall']:.1f}" if p["wall"] else "-",
        ]
        for p in phases
    ]
    ok = failures == 0 and stats["duplicates"] == 0 and stats["bad_signatures"] == 0 and not problems
    header = (
        f"review_feed: one gunicorn eventlet worker (synchronous={args.synchronous}); {args.windows} clerks calling at "
        f"{args.rate:g}/s (call-next, then start and finish); the platform answers each record after "
        f"{args.delay * 1000:.0f} ms; {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}"
    )
    text = "\n".join(
        [
            header,
            *notes,
            "",
            table(
                [
                    "phase",
                    "calls",
                    "call-next p50 ms",
                    "p99 ms",
                    "max ms",
                    "p99 / quiet",
                    "worker CPU",
                    "records delivered",
                    "per s",
                ],
                rows,
            ),
            "",
            table(
                ["check", "value"],
                [
                    ["records the platform took", stats["accepted"]],
                    ["records it got twice (a resend after a 2xx)", stats["duplicates"]],
                    ["records with a bad signature", stats["bad_signatures"]],
                    ["worker RSS after MiB", f"{rss:.1f}"],
                    ["failed calls", failures],
                    ["server log error lines", len(problems)],
                ],
            ),
            "p99 / quiet: against the mean p99 of the two quiet phases.",
        ]
    )
    summary: list[list[object]] = [
        [p["name"], f"{p['delivered'] / p['wall']:.1f} records/s", f"call-next p99 {ms(p['p99'])} ms"] for p in phases
    ]
    return text, ok, summary


def main() -> int:
    args = parse_args()
    if args.dir is None:
        args.dir = tempfile.gettempdir()
    return run_from_command_line(args, run)


if __name__ == "__main__":
    sys.exit(main())
