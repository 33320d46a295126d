"""Wrong passwords in a loop against calls and screens: the worker's hub stays free
because password hashes run in OS threads, and a throttled attempt costs nothing.

Before issue 7, each password check (werkzeug scrypt, ~130 ms of CPU) ran on the
eventlet hub: four clients looping wrong passwords pushed `/health` p50 from 3.5 ms to
471 ms and could outlast the screens' ping timeout. For each `--modes` entry (default
`tpool,hub`: `tpool` is the server as it ships; `hub` starts it with
PASSWORD_HASHING_ON_HUB=true, the old way, for contrast) a fresh live server (one
eventlet worker, synchronous=FULL, default sign-in throttling) over the bench hall, and
all the while:

- a clerk (clerk1 at window 1, one keep-alive connection) calling next, starting and
  finishing in a loop, `--pause` after each answer;
- a hall screen (python-socketio, a child process) noting when each call arrives;
- a child process polling `GET /api/v1/health` (no session, no database) 3 ms after
  each answer.

This process goes through the phases, `--seconds` each (default 15): quiet; then
`--clients` (default 8) threads of a child process, each on its own connection, sending
`POST /api/v1/session` with a wrong password as fast as the server answers, never
waiting for Retry-After:

1. distinct user names from one address (127.0.0.2): the first attempts are hashed,
   then the address is throttled;
2. one user name (`manager`, a real account) from one address (127.0.0.3): five
   hashed, then waits, then the name is locked: 429 from then on;
3. distinct user names from many addresses (127.0.1.1 – 127.0.4.254, a new connection
   and address per attempt, like a botnet): no counter reaches its limit, so every
   attempt is hashed. What a throttle cannot stop: only keeping the hash off the hub helps.

Each figure is given beside the quiet phase's: `/health` p50 and p99, and call-next sent
→ `ticket_called` at the screen p99. Target: within 2× of quiet. The sign-in answers are
counted by status with their p50.

    python -m bench.login_stall [--modes tpool,hub] [--seconds 8] [--clients 8]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

from bench import probes
from bench.call_latency import ScreenProcesses, open_windows
from bench.cli_write import _issue_call, _load, _signed_in
from bench.common import BenchServer, cpu_seconds, ms, percentile, run_from_command_line, table
from bench.issue_rate import run_phase
from bench.probes import Child, Clerks, Request, run_queue_seconds
from tests.support.live import HALL

MODES = {
    "tpool": ("password hashes in OS threads (as shipped)", {}),
    "hub": ("password hashes on the hub (old way)", {"QUEUE_PASSWORD_HASHING_ON_HUB": "true"}),
}
HEALTH_PAUSE = 0.003
WARM_UP = 1.0
GAP = 0.5  # seconds between phases: the last attempts drain


@dataclass(frozen=True)
class Attack:
    label: str
    names: str  # "distinct" or "same"
    addresses: str  # "one:127.0.0.x" or "many"


ATTACKS = (
    Attack("distinct user names, one address", "distinct", "one:127.0.0.2"),
    Attack("one user name, one address", "same", "one:127.0.0.3"),
    Attack("distinct user names, many addresses", "distinct", "many"),
)


def _many_addresses() -> list[str]:
    return [f"127.0.{a}.{b}" for a in range(1, 5) for b in range(1, 255)]


def hammer(port: int, attack: Attack, clients: int, seconds: float, conn: Connection) -> None:
    """Entry point of the child process: `clients` threads post wrong passwords for
    `seconds`; sends ("started", t) and then ("done", {status: [answer seconds]}, errors)."""
    answers: dict[int, list[float]] = {}
    errors: Counter[str] = Counter()
    lock = threading.Lock()
    many = _many_addresses()
    ready = threading.Barrier(clients + 1)
    deadline = [0.0]

    def attacker(index: int) -> None:
        mine: dict[int, list[float]] = {}
        failed: Counter[str] = Counter()
        one = attack.addresses.split(":", 1)[1] if attack.addresses.startswith("one:") else None
        connection: http.client.HTTPConnection | None = None
        ready.wait()
        n = 0
        while time.monotonic() < deadline[0]:
            n += 1
            name = "manager" if attack.names == "same" else f"intruder-{index}-{n}"
            address = one or many[(index * 7919 + n) % len(many)]
            if connection is None or one is None:  # a new address needs a new connection
                if connection is not None:
                    connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(address, 0))
            body = json.dumps({"username": name, "password": f"wrong-password-{n}"}).encode()
            sent = time.monotonic()
            try:
                connection.request("POST", "/api/v1/session", body=body, headers={"Content-Type": "application/json"})
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as error:
                failed[type(error).__name__] += 1
                connection.close()
                connection = None
                continue
            mine.setdefault(response.status, []).append(time.monotonic() - sent)
        if connection is not None:
            connection.close()
        with lock:
            for status, seconds_taken in mine.items():
                answers.setdefault(status, []).extend(seconds_taken)
            errors.update(failed)

    threads = [threading.Thread(target=attacker, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    deadline[0] = time.monotonic() + seconds
    started = time.monotonic()
    ready.wait()
    conn.send(("started", started))
    for thread in threads:
        thread.join(seconds + 60)
    conn.send(("done", answers, dict(errors)))


@dataclass
class PhaseResult:
    label: str
    start: float
    end: float
    answers: dict[int, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    runnable: float = 0.0  # seconds the worker waited for a CPU during the phase
    worker_cpu: float = 0.0


@dataclass
class Run:
    mode: str
    phases: list[PhaseResult]
    requests: list[Request]
    health: list[tuple[float, float, float]]
    arrivals: dict[str, list[float]]
    failures: Counter[str]
    log_problems: list[str]
    load: tuple[float, float]


def run_mode(mode: str, args: argparse.Namespace) -> Run:
    environment = MODES[mode][1]
    bench = BenchServer.start(synchronous="FULL", windows=1, keep=args.keep, parent=args.dir, environment=environment)
    screens: ScreenProcesses | None = None
    children: list[Child] = []
    clerks: Clerks | None = None
    health: list[tuple[float, float, float]] = []
    health_errors: dict[str, int] = {}
    phases: list[PhaseResult] = []
    try:
        live, worker = bench.server, bench.worker_pid()
        with live.session("guide") as guide:
            issued = run_phase("issue", live.port, _issue_call(guide), args.tickets, 4, 120, worker)
        if issued.failures or issued.timed_out:
            raise RuntimeError(f"issuing the tickets failed: {dict(issued.failures)}")
        sessions = open_windows(bench, 1)
        headers = [_signed_in(s) for s in sessions]
        for session in sessions:
            session.close()
        time_limit = 600.0
        screens = ScreenProcesses(live.url, live.tokens["hall_screen"], 1, 1, time_limit)
        screens.wait_ready(60)
        poller = Child(probes.poll_health, live.port, worker, HEALTH_PAUSE, time_limit)
        children.append(poller)
        poller.receive(30)
        clerks = Clerks(live.port, worker, HALL, headers, args.pause)
        load_before = _load()
        time.sleep(WARM_UP)

        began, queued, cpu = time.monotonic(), run_queue_seconds(worker), cpu_seconds(worker)
        time.sleep(args.seconds)
        quiet = PhaseResult("quiet", began, time.monotonic())
        quiet.runnable, quiet.worker_cpu = run_queue_seconds(worker) - queued, cpu_seconds(worker) - cpu
        phases.append(quiet)
        for attack in ATTACKS:
            time.sleep(GAP)
            context = multiprocessing.get_context("spawn")
            pipe, child_end = context.Pipe()
            process = context.Process(
                target=hammer, args=(live.port, attack, args.clients, args.seconds, child_end), daemon=True
            )
            process.start()
            try:
                if not pipe.poll(60):
                    raise RuntimeError("the attacking process did not start")
                _, started = pipe.recv()
                queued, cpu = run_queue_seconds(worker), cpu_seconds(worker)
                if not pipe.poll(args.seconds + 90):
                    raise RuntimeError("the attacking process did not report back")
                _, answers, errors = pipe.recv()
                result = PhaseResult(f"{args.clients} clients: {attack.label}", started, time.monotonic())
                result.answers, result.errors = answers, errors
                result.runnable, result.worker_cpu = run_queue_seconds(worker) - queued, cpu_seconds(worker) - cpu
                phases.append(result)
            finally:
                process.join(10)
                if process.is_alive():
                    process.terminate()
        time.sleep(GAP)
        load = (load_before, _load())
        clerks.stop()
        poller.pipe.send(("stop",))
        _, health, health_errors = poller.receive(30)
        calls = [r.ticket for r in clerks.requests if r.ticket is not None]
        arrivals, _ = screens.collect(calls, 10)
    finally:
        if clerks is not None:
            clerks.stop()
        for child in children:
            child.close()
        if screens is not None:
            screens.close()
        problems = bench.stop()
    failures = Counter(clerks.failures) + Counter({f"/health {k}": v for k, v in health_errors.items()})
    for phase in phases:
        failures.update({f"{phase.label}: {k}": v for k, v in phase.errors.items()})
        failures.update({f"{phase.label}: HTTP {s}": len(t) for s, t in phase.answers.items() if s not in (401, 429)})
    return Run(mode, phases, clerks.requests, health, arrivals, failures, problems, load)


# ---- figures -------------------------------------------------------------------------


def _during(began: float, ended: float, start: float, end: float) -> bool:
    return began < end and ended > start


def figures(run: Run) -> tuple[list[list[object]], list[list[object]], dict[str, dict[str, float]]]:
    """The hub table (health, screen, ratios), the sign-in table, headline figures."""
    hub_rows: list[list[object]] = []
    login_rows: list[list[object]] = []
    headline: dict[str, dict[str, float]] = {}
    baseline: tuple[float, float, float, float] | None = None
    for phase in run.phases:
        samples = [(s, waited) for sent, s, waited in run.health if _during(sent, sent + s, phase.start, phase.end)]
        health = [s for s, _ in samples]
        less_wait = [s - waited for s, waited in samples]  # less the worker's wait for a CPU meanwhile
        screen = [
            min(run.arrivals[r.ticket]) - r.sent
            for r in run.requests
            if r.ticket and run.arrivals.get(r.ticket) and _during(r.sent, r.answered, phase.start, phase.end)
        ]
        p50, p99, screen_p99 = percentile(health, 50), percentile(health, 99), percentile(screen, 99)
        own_p99 = percentile(less_wait, 99)
        baseline = baseline or (p50, p99, screen_p99, own_p99)
        span = phase.end - phase.start
        hub_rows.append(
            [
                phase.label,
                len(health),
                ms(p50),
                ms(p99),
                ms(max(health, default=float("nan"))),
                f"{p50 / baseline[0]:.1f}x",
                f"{p99 / baseline[1]:.1f}x",
                f"{ms(percentile(less_wait, 50))} / {ms(own_p99)}",
                f"{own_p99 / baseline[3]:.1f}x",
                len(screen),
                ms(percentile(screen, 50)),
                ms(screen_p99),
                f"{screen_p99 / baseline[2]:.1f}x",
                f"{100 * phase.worker_cpu / span:.0f}%",
                f"{100 * phase.runnable / span:.0f}%",
            ]
        )
        headline[phase.label] = {
            "health_p50": p50,
            "health_p99": p99,
            "screen_p99": screen_p99,
            "health_p50_ratio": p50 / baseline[0],
            "health_p99_ratio": p99 / baseline[1],
            "screen_p99_ratio": screen_p99 / baseline[2],
            "health_p99_less_wait_ratio": own_p99 / baseline[3],
        }
        if phase.answers or phase.label != "quiet":
            wrong, throttled = phase.answers.get(401, []), phase.answers.get(429, [])
            total = sum(len(t) for t in phase.answers.values())
            login_rows.append(
                [
                    phase.label,
                    total,
                    f"{total / span:.0f}",
                    len(wrong),
                    ms(percentile(wrong, 50)),
                    len(throttled),
                    ms(percentile(throttled, 50)),
                ]
            )
    return hub_rows, login_rows, headline


HUB_HEADERS = [
    "phase",
    "/health n",
    "p50 ms",
    "p99 ms",
    "max ms",
    "p50/quiet",
    "p99/quiet",
    "less CPU wait p50 / p99",
    "p99/quiet",
    "calls",
    "screen p50",
    "screen p99",
    "screen p99/quiet",
    "worker CPU",
    "worker runnable",
]
LOGIN_HEADERS = ["phase", "sign-ins", "per s", "401 (hashed)", "401 p50 ms", "429 (not hashed)", "429 p50 ms"]


def report(runs: list[Run], args: argparse.Namespace) -> tuple[str, list[dict[str, dict[str, float]]]]:
    out = [
        f"login_stall: one gunicorn eventlet worker (synchronous=FULL, default sign-in throttling); 1 clerk calling"
        f" ({args.pause * 1000:g} ms between requests), 1 hall screen, /health polled {HEALTH_PAUSE * 1000:g} ms"
        f" after each answer; each phase {args.seconds:g} s; attackers never wait for Retry-After",
        f"{os.cpu_count()} CPUs; screen: call-next sent -> ticket_called at the screen",
    ]
    headlines = []
    for run in runs:
        hub_rows, login_rows, headline = figures(run)
        headlines.append(headline)
        out += [
            "",
            f"== {MODES[run.mode][0]}  (--modes {run.mode}; load average {run.load[0]:.1f} -> {run.load[1]:.1f})",
            table(HUB_HEADERS, hub_rows),
            "",
            table(LOGIN_HEADERS, login_rows),
        ]
        if run.failures:
            out.append(f"failures: {dict(run.failures)}")
        if run.log_problems:
            out.append(f"server log: {len(run.log_problems)} error lines, first: {run.log_problems[:3]}")
    out += [
        "",
        "p50/quiet, p99/quiet: against the quiet phase of the same server (target: within 2x). worker runnable:",
        "the share of the phase the worker was ready to run but waited for a CPU other processes held. less CPU",
        "wait: each /health time less what the worker waited for a CPU during it (/proc/<pid>/schedstat): what is",
        "left is the hub itself being busy or blocked, not the machine being short of cores.",
    ]
    return "\n".join(out), headlines


def run(args: argparse.Namespace) -> tuple[str, bool, list[list[object]]]:
    runs = [run_mode(mode, args) for mode in args.modes]
    text, headlines = report(runs, args)
    summary: list[list[object]] = []
    for run_, headline in zip(runs, headlines, strict=True):
        for label, figure in headline.items():
            if label == "quiet":
                continue
            summary.append(
                [
                    f"{run_.mode}, {label}",
                    "",
                    f"/health p50 {figure['health_p50_ratio']:.1f}x, p99 {figure['health_p99_ratio']:.1f}x"
                    f" ({figure['health_p99_less_wait_ratio']:.1f}x less CPU wait);"
                    f" screen p99 {figure['screen_p99_ratio']:.1f}x quiet",
                ]
            )
    ok = not any(r.failures or r.log_problems for r in runs)
    return text, ok, summary


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.login_stall", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--modes",
        default="tpool,hub",
        help="comma-separated: tpool (as shipped) and/or hub (PASSWORD_HASHING_ON_HUB, the old way)",
    )
    parser.add_argument("--seconds", type=float, default=15, help="seconds of each phase (default 15)")
    parser.add_argument("--clients", type=int, default=8, help="attacking threads (default 8)")
    parser.add_argument("--pause", type=float, default=0.02, help="seconds the clerk waits after an answer")
    parser.add_argument("--tickets", type=int, default=1500, help="tickets issued before calling (default 1500)")
    parser.add_argument("--dir", default=None, help="parent folder of the throw-away instance (default: system temp)")
    parser.add_argument("--keep", action="store_true", help="keep the instance folder and its server.log")
    args = parser.parse_args(argv)
    args.modes = [m.strip().lower() for m in args.modes.split(",") if m.strip()]
    if not args.modes or any(m not in MODES for m in args.modes):
        parser.error("--modes takes tpool and/or hub, comma-separated")
    if not 2 <= args.seconds <= 60 or not 1 <= args.clients <= 32 or not 0 <= args.pause <= 1:
        parser.error("--seconds 2..60, --clients 1..32, --pause 0..1")
    if not 100 <= args.tickets <= 15_000:
        parser.error("--tickets must be between 100 and 15000")
    return args


def main(argv: list[str] | None = None) -> int:
    return run_from_command_line(parse_args(argv), run)


if __name__ == "__main__":
    sys.exit(main())
