"""Call -> screen latency: how long after a clerk presses "call next" every hall screen
has the call.

A fresh live server (one eventlet worker, synchronous=FULL) over the bench hall. First,
untimed, the guide issues one ticket per call to come. Then a child process (see
`bench.screens`) connects N Socket.IO clients with the hall-screen device token, each
subscribed to the whole hall. This process then acts as W clerks, one thread per
window: call-next, start-service, finish-service, repeated until the calls are made.

For every call, latency = the moment a screen received that ticket's `ticket_called`
event minus the moment just before the call-next request was sent (both
`time.monotonic()`, one clock for the whole machine). It prints the figures over every
client x call sample, the per-call "last of N screens" latency, the call-next HTTP
response time, and the worker's memory and CPU.

With `--servers N` (2..4), N gunicorn servers over one database with a redis-server of
the bench's own as their message queue, as docs/deployment.md sets up several server
processes: the screens are split evenly over the servers and window n's clerk calls
through server n mod N, so a call reaches most screens through Redis.

    python -m bench.call_latency [--screens 200] [--calls 300] [--windows 4] [--rate 6] [--servers 1]
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import threading
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import requests

from bench import screens
from bench.common import (
    QUEUES,
    BenchServer,
    add_worker_argument,
    clerk_names,
    cpu_seconds,
    ms,
    percentile,
    rss_mib,
    run_from_command_line,
    table,
)
from tests.support.live import HALL, running_redis


@dataclass
class Call:
    window: int
    number: str
    sent: float  # time.monotonic() just before call-next was sent
    answered: float  # when its HTTP response was read
    server: int = 0  # which of the servers it was made through


@dataclass
class Clerks:
    calls: list[Call] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)
    wall: float = 0.0
    timed_out: bool = False


def issue_tickets(server: BenchServer, count: int) -> None:
    with server.server.session("guide") as guide:
        url = server.server.api(f"/halls/{HALL}/tickets")
        for index in range(count):
            response = guide.post(url, json={"queue": QUEUES[index % len(QUEUES)]}, timeout=10)
            if response.status_code != 201:
                raise RuntimeError(f"issuing ticket {index} failed: {response.status_code} {response.text[:300]}")


def open_windows(server: BenchServer, windows: int) -> list[requests.Session]:
    """Window n opened by clerk n, signed in: one session per window."""
    live = server.server
    sessions = [live.session(name) for name in clerk_names(windows)]
    for number, session in enumerate(sessions, start=1):
        response = session.post(live.api(f"/halls/{HALL}/windows/{number}/open-window"), json={}, timeout=10)
        response.raise_for_status()
    return sessions


def run_clerks(
    servers: list[BenchServer], sessions: list[requests.Session], total: int, rate: float, time_limit: float
) -> Clerks:
    """One thread per window (sessions[n-1] is window n's clerk, calling through server
    n mod len(servers)): call-next, then start-service and finish-service, until `total`
    calls are made. With `rate` > 0, call i is due `i / rate` seconds after the start,
    windows taking turns (an open loop: a slow server does not slow the schedule down),
    and its start and finish halfway to call i+1. With 0, each window goes on as fast as
    the server answers."""
    result = Clerks()
    lock = threading.Lock()
    windows = len(sessions)
    ready = threading.Barrier(windows + 1)
    start = [0.0]

    def clerk(number: int, session: requests.Session) -> None:
        through = number % len(servers)
        base = servers[through].server.api(f"/halls/{HALL}/windows/{number}")
        mine: list[Call] = []
        failures: Counter[str] = Counter()
        ready.wait()
        for index in range(number - 1, total, windows):
            now = time.monotonic()
            if now > start[0] + time_limit:
                result.timed_out = True
                break
            if rate:
                due = start[0] + index / rate
                if due > now:
                    time.sleep(due - now)  # keeping to the schedule, not waiting on the server
            sent = time.monotonic()
            try:
                response = session.post(f"{base}/call-next", json={}, timeout=10)
                answered = time.monotonic()
                if response.status_code != 200:
                    failures[f"call-next HTTP {response.status_code}"] += 1
                    continue
                mine.append(Call(number, response.json()["ticket"], sent, answered, through))
                if rate:
                    # start and finish halfway to the next call anywhere in the hall, so
                    # that their events do not ride in the same burst as this call's
                    halfway = start[0] + (index + 0.5) / rate - time.monotonic()
                    if halfway > 0:
                        time.sleep(halfway)
                for action in ("start-service", "finish-service"):
                    step = session.post(f"{base}/{action}", json={}, timeout=10)
                    if step.status_code != 200:
                        failures[f"{action} HTTP {step.status_code}"] += 1
            except requests.RequestException as error:
                failures[type(error).__name__] += 1
        with lock:
            result.calls.extend(mine)
            result.failures.update(failures)

    threads = [threading.Thread(target=clerk, args=(n, s), daemon=True) for n, s in enumerate(sessions, start=1)]
    for thread in threads:
        thread.start()
    start[0] = time.monotonic()
    ready.wait()
    for thread in threads:
        thread.join(time_limit + 60)
    result.wall = time.monotonic() - start[0]
    return result


class ScreenProcesses:
    """The screens, split over `processes` child processes (see `bench.screens`)."""

    def __init__(self, url: str, token: str, count: int, processes: int, time_limit: float) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipes: list[Connection] = []
        self.children: list[multiprocessing.process.BaseProcess] = []
        for share in _shares(count, processes):
            parent_end, child_end = context.Pipe()
            child = context.Process(
                target=screens.run, args=(url, token, HALL, share, child_end, time_limit), daemon=True
            )
            child.start()
            self.pipes.append(parent_end)
            self.children.append(child)

    def wait_ready(self, timeout: float) -> dict[str, Any]:
        """Every child's ("ready", stats), summed up."""
        ready: dict[str, Any] = {"connected": 0, "failed": 0, "errors": [], "connect_s": 0.0}
        deadline = time.monotonic() + timeout
        for pipe in self.pipes:
            if not pipe.poll(max(deadline - time.monotonic(), 0)):
                raise RuntimeError(f"the screens did not connect within {timeout:.0f} s")
            _, stats = pipe.recv()
            ready["connected"] += stats["connected"]
            ready["failed"] += stats["failed"]
            ready["errors"] += stats["errors"]
            ready["connect_s"] = max(ready["connect_s"], stats["connect_s"])
        return ready

    def cpu_seconds(self) -> float:
        return sum(cpu_seconds(child.pid) for child in self.children if child.pid is not None)

    def collect(self, numbers: list[str], drain: float) -> tuple[dict[str, list[float]], dict[str, Any]]:
        """Arrival times of each called ticket at every screen, and the children's stats."""
        for pipe in self.pipes:
            pipe.send(("collect", numbers, drain))
        arrivals: dict[str, list[float]] = {}
        stats: dict[str, Any] = {"disconnects": Counter(), "other_events": Counter()}
        for pipe in self.pipes:
            if not pipe.poll(drain + 30):
                raise RuntimeError("a screens process did not report back")
            _, times, child_stats = pipe.recv()
            for number, moments in times.items():
                arrivals.setdefault(number, []).extend(moments)
            stats["disconnects"].update(child_stats["disconnects"])
            stats["other_events"].update(child_stats["other_events"])
        return arrivals, stats

    def close(self) -> None:
        """Once they reported back, the children close their sockets and end in a second
        or two; otherwise (an error or ^C on this side) they are ended here."""
        for child in self.children:
            child.join(10)
            if child.is_alive():
                child.terminate()
                child.join(10)


def _shares(count: int, parts: int) -> list[int]:
    return [count // parts + (1 if i < count % parts else 0) for i in range(parts)]


def run(args: argparse.Namespace) -> tuple[str, bool, list[list[object]]]:
    """The report, whether all went well, and the summary rows for `python -m bench`."""
    with ExitStack() as stack:
        environment = {"QUEUE_MESSAGE_QUEUE": stack.enter_context(running_redis())} if args.servers > 1 else {}
        return _run(args, environment)


def _run(args: argparse.Namespace, environment: dict[str, str]) -> tuple[str, bool, list[list[object]]]:
    bench = BenchServer.start(
        synchronous=args.synchronous, windows=args.windows, keep=args.keep, parent=args.dir, environment=environment
    )
    servers = [bench]
    screen_processes: list[ScreenProcesses] = []
    try:
        for _ in range(args.servers - 1):
            servers.append(BenchServer.start_beside(bench, environment, args.dir))
        workers = [server.worker_pid() for server in servers]
        issue_tickets(bench, args.calls)
        rss_idle = [rss_mib(worker) for worker in workers]

        for server, share in zip(servers, _shares(args.screens, len(servers)), strict=True):
            screen_processes.append(
                ScreenProcesses(
                    server.server.url, bench.server.tokens["hall_screen"], share, args.processes, args.time_limit * 3
                )
            )
        readies = [processes.wait_ready(args.time_limit) for processes in screen_processes]
        ready = {
            "connected": sum(r["connected"] for r in readies),
            "failed": sum(r["failed"] for r in readies),
            "errors": [e for r in readies for e in r["errors"]],
            "connect_s": max(r["connect_s"] for r in readies),
        }
        if ready["connected"] == 0:
            raise RuntimeError(f"no screen could connect: {ready['errors']}")
        rss_connected = [rss_mib(worker) for worker in workers]

        sessions = open_windows(bench, args.windows)
        workers_before = [cpu_seconds(worker) for worker in workers]
        screens_before = sum(processes.cpu_seconds() for processes in screen_processes)
        clerks = run_clerks(servers, sessions, args.calls, args.rate, args.time_limit)
        workers_cpu = [cpu_seconds(worker) - before for worker, before in zip(workers, workers_before, strict=True)]
        screens_cpu = sum(processes.cpu_seconds() for processes in screen_processes) - screens_before
        for session in sessions:
            session.close()
        rss_after = [rss_mib(worker) for worker in workers]
        collected = [processes.collect([c.number for c in clerks.calls], args.drain) for processes in screen_processes]
    finally:
        for processes in screen_processes:
            processes.close()
        problems = [problem for server in reversed(servers) for problem in server.stop()]
    shutdown_noise = sum(server.socket_shutdown_errors() for server in servers)
    arrivals_on = [arrivals for arrivals, _ in collected]  # per server: ticket number -> arrival times
    arrivals: dict[str, list[float]] = {}
    stats: dict[str, Any] = {"disconnects": Counter(), "other_events": Counter()}
    for server_arrivals, server_stats in collected:
        for number, moments in server_arrivals.items():
            arrivals.setdefault(number, []).extend(moments)
        stats["disconnects"].update(server_stats["disconnects"])
        stats["other_events"].update(server_stats["other_events"])
    same_server = [t - call.sent for call in clerks.calls for t in arrivals_on[call.server].get(call.number, [])]
    other_server = [
        t - call.sent
        for call in clerks.calls
        for index, on in enumerate(arrivals_on)
        if index != call.server
        for t in on.get(call.number, [])
    ]
    rss_idle_total, rss_connected_total, rss_after_total = sum(rss_idle), sum(rss_connected), sum(rss_after)
    worker_cpu = sum(workers_cpu)

    connected = ready["connected"]
    samples: list[float] = []
    last: list[float] = []
    first: list[float] = []
    incomplete = 0
    for call in clerks.calls:
        times = arrivals.get(call.number, [])
        samples += [t - call.sent for t in times]
        if len(times) < connected:
            incomplete += 1
        if times:
            first.append(min(times) - call.sent)
            last.append(max(times) - call.sent)
    http = [c.answered - c.sent for c in clerks.calls]
    wall = clerks.wall

    def figures(name: str, values: list[float]) -> list[object]:
        return [
            name,
            len(values),
            ms(percentile(values, 50)),
            ms(percentile(values, 99)),
            ms(max(values, default=float("nan"))),
        ]

    pace = f"calls due at {args.rate:g}/s" if args.rate else "calling as fast as the server answers"
    worker = getattr(args, "worker", "eventlet")
    setup = (
        f"one gunicorn {worker} worker (synchronous={args.synchronous})"
        if args.servers == 1
        else f"{args.servers} gunicorn servers, one {worker} worker each (synchronous={args.synchronous}), on one"
        " database with a redis-server as their message queue; screens split evenly over them, window n's clerk"
        " calling through server n mod N;"
    )
    children = args.processes * args.servers
    out = [
        f"call_latency: {setup} {connected} hall screens"
        f" (python-socketio AsyncClient over aiohttp websockets) in {children} child process(es);",
        f"{args.windows} clerks, one thread per window, {pace}; each call followed by start-service and finish-service",
        f"{len(clerks.calls)} calls in {wall:.1f} s ({len(clerks.calls) / wall:.1f} calls/s);"
        f" screens connected and subscribed in {ready['connect_s']:.1f} s",
        "",
        table(
            ["latency from sending call-next", "samples", "p50 ms", "p99 ms", "max ms"],
            [
                figures("to each screen (every screen x call)", samples),
                figures("to the first screen, per call", first),
                figures(f"to the last of {connected} screens, per call", last),
                *(
                    [
                        figures("to screens on the server it was made on", same_server),
                        figures("to screens on another server (through Redis)", other_server),
                    ]
                    if args.servers > 1
                    else []
                ),
                figures("to its own HTTP response", http),
            ],
        ),
        "",
        table(
            ["worker" if args.servers == 1 else f"the {args.servers} workers (summed)", "value"],
            [
                ["RSS idle MiB (tickets issued, no screens)", f"{rss_idle_total:.1f}"],
                [f"RSS with {connected} screens connected MiB", f"{rss_connected_total:.1f}"],
                ["RSS after the calls MiB", f"{rss_after_total:.1f}"],
                ["CPU during the calls (100% = one core)", f"{100 * worker_cpu / wall:.0f}%" if wall else "-"],
                *(
                    [["  each worker's CPU", ", ".join(f"{100 * cpu / wall:.0f}%" for cpu in workers_cpu)]]
                    if args.servers > 1 and wall
                    else []
                ),
                ["screens processes' CPU during the calls", f"{100 * screens_cpu / wall:.0f}%" if wall else "-"],
                ["server log error lines", len(problems)],
            ],
        ),
    ]
    notes = []
    if ready["failed"]:
        notes.append(f"{ready['failed']} screens failed to connect, e.g. {ready['errors'][:2]}")
    if incomplete:
        notes.append(f"{incomplete} calls did not reach every screen within {args.drain:g} s after the last call")
    if clerks.failures:
        notes.append(f"clerk request failures: {dict(clerks.failures)}")
    if clerks.timed_out:
        notes.append(f"stopped by the {args.time_limit:.0f} s limit before {args.calls} calls")
    if stats["disconnects"]:
        notes.append(f"screens lost their connection during the run (reason: count): {dict(stats['disconnects'])}")
    if wall and screens_cpu / wall > 0.8 * children:
        notes.append("the screens processes were near full cores: latencies include their own backlog")
    if problems:
        notes.append(f"the server logs have {len(problems)} error lines, first: {problems[:3]}")
    if shutdown_noise:
        notes.append(
            f"server.log: {shutdown_noise} x 'socket shutdown error: [Errno 9] Bad file descriptor'"
            " (eventlet, once per websocket closed at the end; not counted as errors)"
        )
    received = Counter(stats["other_events"])
    received["ticket_called"] = len(samples)
    notes.append(
        "events received per screen: "
        + ", ".join(f"{name} {count / max(connected, 1):.0f}" for name, count in sorted(received.items()))
    )
    out += ["", *notes]
    ok = not (ready["failed"] or incomplete or clerks.failures or clerks.timed_out or stats["disconnects"] or problems)
    headline: list[list[object]] = [
        [f"call -> each of {connected} screens", _p50_p99(samples)],
        [f"call -> last of {connected} screens", _p50_p99(last)],
        ["call-next HTTP response", _p50_p99(http)],
        [f"worker RSS, {connected} screens", f"{rss_connected_total:.0f} MiB (idle {rss_idle_total:.0f} MiB)"],
    ]
    return "\n".join(out), ok, [[name, "", value] for name, value in headline]


def _p50_p99(values: list[float]) -> str:
    p50, p99, top = percentile(values, 50), percentile(values, 99), max(values, default=float("nan"))
    return f"p50 {ms(p50)} ms, p99 {ms(p99)} ms, max {ms(top)} ms"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.call_latency", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--screens", type=int, default=200, help="connected hall screens (default 200)")
    parser.add_argument("--calls", type=int, default=300, help="calls to make (default 300)")
    parser.add_argument("--windows", type=int, default=4, help="windows calling at once, one clerk each (default 4)")
    parser.add_argument(
        "--rate",
        type=float,
        default=6,
        help="calls per second across the hall, windows taking turns; 0: as fast as possible (default 6)",
    )
    parser.add_argument(
        "--processes", type=int, default=1, help="child processes the screens are split over, per server (default 1)"
    )
    parser.add_argument(
        "--servers", type=int, default=1, help="server processes on one database, with Redis between them (default 1)"
    )
    parser.add_argument("--synchronous", default="FULL", choices=("FULL", "NORMAL", "EXTRA"))
    parser.add_argument(
        "--time-limit", type=float, default=60, help="seconds at most for connecting, and for the calls"
    )
    parser.add_argument("--drain", type=float, default=10, help="seconds the screens may take after the last call")
    parser.add_argument("--dir", default=None, help="parent folder of the throw-away instance (default: system temp)")
    parser.add_argument("--keep", action="store_true", help="keep the instance folder and its server.log")
    add_worker_argument(parser)
    args = parser.parse_args(argv)
    if not 1 <= args.screens <= 1000:
        parser.error("--screens must be between 1 and 1000")
    if not 1 <= args.processes <= 8 or args.processes > args.screens:
        parser.error("--processes must be between 1 and 8, and at most --screens")
    if not 1 <= args.servers <= 4 or args.servers > args.screens:
        parser.error("--servers must be between 1 and 4, and at most --screens")
    if not 1 <= args.windows <= 20:
        parser.error("--windows must be between 1 and 20")
    if not 1 <= args.calls <= 999 * len(QUEUES):
        parser.error(f"--calls must be between 1 and {999 * len(QUEUES)}")
    if not 0 <= args.rate <= 1000 or not 1 <= args.time_limit <= 600 or not 0 <= args.drain <= 120:
        parser.error("--rate 0..1000, --time-limit 1..600, --drain 0..120")
    if args.rate and args.calls / args.rate > args.time_limit:
        parser.error(f"{args.calls} calls at {args.rate:g}/s take longer than --time-limit {args.time_limit:g} s")
    return args


def main(argv: list[str] | None = None) -> int:
    return run_from_command_line(parse_args(argv), run)


if __name__ == "__main__":
    sys.exit(main())
