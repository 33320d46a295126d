"""Hall screens beside a bare baseline: call -> screen latency with 500 and 1,000 lean
screens, and the worker's memory with 1,000 and 5,000, for our server and for a bare
Flask-SocketIO broadcast server (`bench.bare_server`) in the same run.

Both servers are gunicorn with one eventlet worker of the same class; both get the same
screens (`bench.lean_client`: aiohttp websockets speaking Engine.IO/Socket.IO, in child
processes of their own), the same counts and the same pace.

Latency, for each `--screens` count, ours then the bare one: the screens connect and
subscribe to the hall; then calls are due at `--rate` per second over `--windows`
windows (an open loop). On ours each is a clerk's call-next, then start-service and
finish-service halfway to the next call (`bench.call_latency`'s clerks); on the bare one
a `POST /emit` of `ticket_called`, then the same two follow-up events halfway, each
padded to the byte size of our frame for that event, measured by the screens in our run
just before. Latency = arrival at a screen minus the moment before the request was sent.

Memory: a fresh server of each kind; the worker's VmRSS idle, with 1,000 screens
connected, after they left, with 5,000 connected, after they left (each "after" once the
worker has gone quiet).

    python -m bench.broadcast [--screens 500,1000] [--calls 150] [--rate 6] [--memory 1000,5000]
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from bench import call_latency
from bench.bare_server import BareServer
from bench.common import (
    BenchServer,
    allocator_environment,
    cpu_seconds,
    ms,
    percentile,
    rss_mib,
    run_from_command_line,
    table,
)
from bench.lean_client import ScreenProcesses
from tests.support.live import HALL, default_worker, gunicorn_worker

FOLLOW_UPS = ("service_started", "service_finished")  # what a hall screen gets after each call
PER_PROCESS = 2500  # lean screens per child process at most


@dataclass
class Round:
    """One server, one screen count: what the calls and the screens saw."""

    server: str
    screens: int
    connected: int = 0
    connect_s: float = 0.0
    samples: list[float] = field(default_factory=list)
    last: list[float] = field(default_factory=list)  # per call: the last screen's arrival
    http: list[float] = field(default_factory=list)
    calls: int = 0
    wall: float = 0.0
    worker_cpu: float = 0.0
    clients_cpu: float = 0.0
    rss: float = 0.0
    incomplete: int = 0
    problems: list[str] = field(default_factory=list)
    sizes: dict[str, int] = field(default_factory=dict)


def worker_of(process: Any) -> int:
    """The only child of a gunicorn master."""
    return gunicorn_worker(process.pid)


def settle(pid: int, timeout: float = 60) -> float:
    """Wait until the worker has used under 2 % of a core for a second (done with the
    disconnects); returns the seconds waited."""
    began = time.monotonic()
    before = cpu_seconds(pid)
    while time.monotonic() - began < timeout:
        time.sleep(1)
        now = cpu_seconds(pid)
        if now - before < 0.02:
            break
        before = now
    return time.monotonic() - began


def bare_calls(url: str, windows: int, total: int, rate: float, sizes: dict[str, int]) -> call_latency.Clerks:
    """As `call_latency.run_clerks`, against the bare server: one thread per window,
    `ticket_called` when due, the follow-ups halfway to the next call."""
    result = call_latency.Clerks()
    lock = threading.Lock()
    ready = threading.Barrier(windows + 1)
    start = [0.0]

    def window(number: int) -> None:
        session = requests.Session()
        mine: list[call_latency.Call] = []
        failures: Counter[str] = Counter()
        ready.wait()
        for index in range(number - 1, total, windows):
            due = start[0] + index / rate
            if due > time.monotonic():
                time.sleep(due - time.monotonic())
            ticket = f"B{index:04d}"
            sent = time.monotonic()
            body = {"event": "ticket_called", "number": ticket, "size": sizes.get("ticket_called", 0)}
            response = session.post(f"{url}/emit", json=body, timeout=10)
            if response.status_code != 200:
                failures[f"emit HTTP {response.status_code}"] += 1
                continue
            mine.append(call_latency.Call(number, ticket, sent, time.monotonic()))
            halfway = start[0] + (index + 0.5) / rate - time.monotonic()
            if halfway > 0:
                time.sleep(halfway)
            for event in FOLLOW_UPS:
                body = {"event": event, "number": ticket, "size": sizes.get(event, 0)}
                if session.post(f"{url}/emit", json=body, timeout=10).status_code != 200:
                    failures[f"{event} HTTP"] += 1
        session.close()
        with lock:
            result.calls.extend(mine)
            result.failures.update(failures)

    threads = [threading.Thread(target=window, args=(n,), daemon=True) for n in range(1, windows + 1)]
    for thread in threads:
        thread.start()
    start[0] = time.monotonic()
    ready.wait()
    for thread in threads:
        thread.join(total / rate + 60)
    result.wall = time.monotonic() - start[0]
    return result


def processes_for(count: int) -> int:
    return max(1, -(-count // PER_PROCESS))


def latency_round(
    kind: str, url: str, token: str, worker: int, count: int, args: argparse.Namespace, make_calls: Any
) -> Round:
    result = Round(kind, count)
    screens = ScreenProcesses(url, token, HALL, count, processes_for(count), time_limit=600)
    try:
        ready = screens.wait_ready(120)
        result.connected, result.connect_s = ready["connected"], ready["connect_s"]
        if ready["failed"]:
            result.problems.append(f"{ready['failed']} screens failed to connect, e.g. {ready['errors'][:2]}")
        result.rss = rss_mib(worker)
        worker_before, clients_before = cpu_seconds(worker), screens.cpu_seconds()
        clerks = make_calls()
        result.worker_cpu = cpu_seconds(worker) - worker_before
        result.clients_cpu = screens.cpu_seconds() - clients_before
        arrivals, stats = screens.collect([c.number for c in clerks.calls], args.drain)
    finally:
        closing = screens.close()
    result.sizes = dict(stats["sizes"])
    result.calls, result.wall = len(clerks.calls), clerks.wall
    for call in clerks.calls:
        times = arrivals.get(call.number, [])
        result.samples += [t - call.sent for t in times]
        if times:
            result.last.append(max(times) - call.sent)
        if len(times) < result.connected:
            result.incomplete += 1
    result.http = [c.answered - c.sent for c in clerks.calls]
    if result.incomplete:
        result.problems.append(f"{result.incomplete} calls did not reach every screen within {args.drain:g} s")
    if clerks.failures:
        result.problems.append(f"request failures: {dict(clerks.failures)}")
    if stats["disconnects"] or closing["disconnects"]:
        result.problems.append(f"screens lost their link: {dict(stats['disconnects'] + closing['disconnects'])}")
    return result


def latency_phase(args: argparse.Namespace, parent: Path) -> tuple[list[Round], list[str]]:
    ours = BenchServer.start(synchronous="FULL", windows=args.windows, parent=args.dir)
    bare = BareServer(secrets.token_urlsafe(16), parent)
    rounds: list[Round] = []
    try:
        bare.start()
        call_latency.issue_tickets(ours, args.calls * len(args.counts))
        sessions = call_latency.open_windows(ours, args.windows)
        token = ours.server.tokens["hall_screen"]
        ours_worker, bare_worker = ours.worker_pid(), worker_of(bare.process)
        for count in args.counts:
            mine = latency_round(
                "ours",
                ours.server.url,
                token,
                ours_worker,
                count,
                args,
                lambda: call_latency.run_clerks([ours], sessions, args.calls, args.rate, args.calls / args.rate + 30),
            )
            rounds.append(mine)
            sizes = mine.sizes
            rounds.append(
                latency_round(
                    "bare",
                    bare.url,
                    bare.token,
                    bare_worker,
                    count,
                    args,
                    lambda sizes=sizes: bare_calls(bare.url, args.windows, args.calls, args.rate, sizes),
                )
            )
        for session in sessions:
            session.close()
    finally:
        bare.stop()
        problems = ours.stop()
    return rounds, problems


@dataclass
class Memory:
    server: str
    idle: float = 0.0
    rows: list[tuple[str, float]] = field(default_factory=list)  # (moment, MiB)
    problems: list[str] = field(default_factory=list)


def memory_of(kind: str, url: str, token: str, worker: int, counts: list[int], after: float) -> Memory:
    result = Memory(kind)
    settle(worker, 10)
    result.idle = rss_mib(worker)
    for count in counts:
        screens = ScreenProcesses(url, token, HALL, count, processes_for(count), time_limit=600)
        try:
            ready = screens.wait_ready(300)
            if ready["failed"]:
                result.problems.append(f"{kind}: {ready['failed']} of {count} failed to connect: {ready['errors'][:2]}")
            settle(worker, 30)
            # steady state, as after the wave of links closing below: a server that gives
            # the connect storm's passing allocations back has done so by then (ours: 25 s)
            time.sleep(after)
            result.rows.append((f"{ready['connected']} screens connected", rss_mib(worker)))
        finally:
            screens.close(60)
        settle(worker, 60)
        # Engine.IO forgets a closed socket within its ping interval and timeout (10 + 10 s),
        # and ours gives the memory back 5 s after that: measure once both are over
        time.sleep(after)
        result.rows.append((f"after the {count} left", rss_mib(worker)))
    return result


def memory_phase(args: argparse.Namespace, parent: Path) -> tuple[list[Memory], list[str]]:
    """Ours as shipped, ours without the trim (`--untrimmed`), ours with glibc's arenas
    capped (`--arena-max N`), then the bare one."""
    results, problems = [], []
    variants: list[tuple[str, dict[str, str]]] = [("ours", {})]
    if args.untrimmed:
        variants.append(("ours, MEMORY_TRIM_AFTER=0", {"QUEUE_MEMORY_TRIM_AFTER": "0"}))
    if args.arena_max:
        variants.append((f"ours, MALLOC_ARENA_MAX={args.arena_max}", {"MALLOC_ARENA_MAX": str(args.arena_max)}))
    if args.pymalloc_off:
        variants.append(("ours, PYTHONMALLOC=malloc", allocator_environment("malloc")))
    if args.jemalloc:
        variants.append(("ours, jemalloc", allocator_environment("jemalloc")))
    for name, environment in variants:
        ours = BenchServer.start(synchronous="FULL", windows=args.windows, parent=args.dir, environment=environment)
        try:
            token = ours.server.tokens["hall_screen"]
            results.append(memory_of(name, ours.server.url, token, ours.worker_pid(), args.memory, args.after))
        finally:
            problems += ours.stop()
    bares = [("bare", {})]
    if args.pymalloc_off:
        bares.append(("bare, PYTHONMALLOC=malloc", allocator_environment("malloc")))
    if args.jemalloc:
        bares.append(("bare, jemalloc", allocator_environment("jemalloc")))
    for name, environment in bares:
        bare = BareServer(secrets.token_urlsafe(16), parent, environment=environment)
        try:
            bare.start()
            results.append(memory_of(name, bare.url, bare.token, worker_of(bare.process), args.memory, args.after))
        finally:
            bare.stop()
    return results, problems


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b and b == b and a == a else "-"


def run(args: argparse.Namespace) -> tuple[str, bool, list[list[object]]]:
    with tempfile.TemporaryDirectory(prefix="hall-queue-bare-") as scratch:
        parent = Path(scratch)
        rounds, problems = latency_phase(args, parent) if args.counts else ([], [])
        memories, memory_problems = memory_phase(args, parent) if args.memory else ([], [])
        problems += memory_problems
    out = [
        f"broadcast: our server and a bare Flask-SocketIO broadcast server, each gunicorn with one {default_worker()}"
        " worker;"
        f" lean screens (aiohttp websockets, at most {PER_PROCESS} per child process);"
        f" {args.calls} calls per round due at {args.rate:g}/s over {args.windows} windows, each followed by"
        " service_started and service_finished halfway to the next",
        "",
    ]
    rows: list[list[object]] = []
    summary: list[list[object]] = []
    for ours, bare in zip(rounds[::2], rounds[1::2], strict=True):
        for r in (ours, bare):
            rows.append(
                [
                    f"{r.screens} screens, {r.server}",
                    r.calls,
                    len(r.samples),
                    ms(percentile(r.samples, 50)),
                    ms(percentile(r.samples, 99)),
                    ms(max(r.samples, default=float("nan"))),
                    ms(percentile(r.last, 99)),
                    ms(percentile(r.http, 50)),
                    f"{100 * r.worker_cpu / r.wall:.0f}%" if r.wall else "-",
                    f"{100 * r.clients_cpu / r.wall:.0f}%" if r.wall else "-",
                    f"{r.rss:.1f}",
                    f"{r.connect_s:.1f}",
                ]
            )
        p99 = [percentile(r.samples, 99) for r in (ours, bare)]
        rows.append(
            [
                f"{ours.screens} screens, ours / bare",
                "",
                "",
                _ratio(percentile(ours.samples, 50), percentile(bare.samples, 50)),
                _ratio(*p99),
                _ratio(max(ours.samples, default=float("nan")), max(bare.samples, default=float("nan"))),
                _ratio(percentile(ours.last, 99), percentile(bare.last, 99)),
                "",
                _ratio(ours.worker_cpu, bare.worker_cpu),
                _ratio(ours.clients_cpu, bare.clients_cpu),
                _ratio(ours.rss, bare.rss),
                "",
            ]
        )
        summary.append(
            [
                f"call -> each of {ours.screens} screens, p99",
                "",
                f"ours {ms(p99[0])} ms, bare {ms(p99[1])} ms ({_ratio(*p99)})",
            ]
        )
    if rows:
        out += [
            table(
                [
                    "call -> screen",
                    "calls",
                    "samples",
                    "p50 ms",
                    "p99 ms",
                    "max ms",
                    "last screen p99 ms",
                    "HTTP p50 ms",
                    "worker CPU",
                    "screens' CPU",
                    "RSS MiB",
                    "connect s",
                ],
                rows,
            ),
            "",
        ]
    if memories:
        bares = {m.server: m for m in memories if m.server.startswith("bare")}
        bare_memory = bares["bare"]
        ours_kinds = [m for m in memories if m.server not in bares]

        def bare_of(memory: Memory) -> Memory:
            """The bare server under the same allocator ("ours, jemalloc": "bare, jemalloc")."""
            return bares.get("bare" + memory.server.removeprefix("ours"), bare_memory)

        moments = ["idle", *(moment for moment, _ in bare_memory.rows)]

        def values(memory: Memory) -> list[float]:
            return [memory.idle, *(mib for _, mib in memory.rows)]

        headers = ["worker VmRSS MiB", *(m.server for m in memories)]
        headers += [f"{m.server} / {bare_of(m).server}" for m in ours_kinds]
        headers += [f"{m.server} / its idle" for m in memories]
        body = []
        for index, moment in enumerate(moments):
            row: list[object] = [moment, *(f"{values(m)[index]:.1f}" for m in memories)]
            row += [_ratio(values(m)[index], values(bare_of(m))[index]) for m in ours_kinds]
            row += [_ratio(values(m)[index], m.idle) for m in memories]
            body.append(row)
        growth = [
            "growth over idle, ours / bare (each under the same allocator)",
            *(
                _ratio(values(m)[index] - m.idle, values(bare_of(m))[index] - bare_of(m).idle)
                for m in ours_kinds
                for index in range(1, len(moments))
                if "connected" in moments[index]
            ),
        ]
        out += [table(headers, body), "", f"{growth[0]} with the screens connected: {', '.join(growth[1:])}", ""]
        for index, moment in enumerate(moments[1:], start=1):
            summary.append(
                [
                    f"worker RSS, {moment}",
                    "",
                    f"ours {values(ours_kinds[0])[index]:.0f} MiB, bare {values(bare_memory)[index]:.0f} MiB",
                ]
            )
        problems += [p for m in memories for p in m.problems]
    notes = [p for r in rounds for p in (f"{r.server}, {r.screens} screens: {x}" for x in r.problems)]
    notes += [p for p in problems]
    for r in rounds:
        if r.wall and r.clients_cpu / r.wall > 0.8 * processes_for(r.screens):
            notes.append(f"{r.server}, {r.screens} screens: the screens processes were near full cores")
    failed = bool(notes)
    if rounds:
        notes.append(f"frame sizes matched on the bare server (bytes): {rounds[0].sizes}")
    out += notes
    return "\n".join(out), not failed, summary


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.broadcast", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--screens", default="500,1000", help="screen counts of the latency rounds (default 500,1000)")
    parser.add_argument("--calls", type=int, default=150, help="calls per round (default 150)")
    parser.add_argument("--rate", type=float, default=6, help="calls per second (default 6)")
    parser.add_argument("--windows", type=int, default=4, help="windows calling, one thread each (default 4)")
    parser.add_argument(
        "--memory", default="1000,5000", help="screen counts of the memory phase; empty: none (default 1000,5000)"
    )
    parser.add_argument(
        "--after",
        type=float,
        default=30,
        help="seconds from the workers going quiet to the 'after' memory (default 30)",
    )
    parser.add_argument(
        "--untrimmed", action="store_true", help="memory phase also with ours' malloc_trim off (MEMORY_TRIM_AFTER=0)"
    )
    parser.add_argument(
        "--arena-max", type=int, default=0, help="memory phase also with ours under MALLOC_ARENA_MAX=N (default: not)"
    )
    parser.add_argument(
        "--pymalloc-off",
        action="store_true",
        help="memory phase also with ours and the bare one under PYTHONMALLOC=malloc (default: not)",
    )
    parser.add_argument(
        "--jemalloc",
        action="store_true",
        help="memory phase also with ours and the bare one under PYTHONMALLOC=malloc with jemalloc preloaded",
    )
    parser.add_argument("--drain", type=float, default=10, help="seconds the screens may take after the last call")
    parser.add_argument("--dir", default=None, help="parent folder of the throw-away instances (default: system temp)")
    args = parser.parse_args(argv)
    args.counts = [int(c) for c in args.screens.split(",") if c.strip()]
    args.memory = [int(c) for c in args.memory.split(",") if c.strip()]
    if any(not 1 <= c <= 8000 for c in args.counts + args.memory):
        parser.error("screen counts must be between 1 and 8000 (ulimit -n: see bench/README.md)")
    if not 1 <= args.calls <= 999 or not 0 < args.rate <= 100 or not 1 <= args.windows <= 20:
        parser.error("--calls 1..999, --rate above 0 up to 100, --windows 1..20")
    return args


def main(argv: list[str] | None = None) -> int:
    return run_from_command_line(parse_args(argv), run)


if __name__ == "__main__":
    sys.exit(main())
