"""A large hall's day, replayed compressed in time through a live server.

One gunicorn eventlet worker (synchronous=FULL) over the hall of `bench.hall_day_plan`:
64 windows in three zones (three comprehensive queues, result windows, the "办不成事"
window, five specialised areas), about 6,200 tickets from 08:30 to 17:00 with the morning
and afternoon peaks of `bench.eta`'s arrival model, the whole day played in `--minutes`
(default 6) of wall time. Its clients, each kind in child processes of its own
(`bench.hall_day_clients`):

- 100 screens: one window screen per window and the rest hall screens, a share per zone
  (python-socketio AsyncClients with device tokens, subscribed to their zone or window);
- 64 clerks, signed in, each on a Socket.IO connection subscribed to the hall as the
  counter page is, running their window with the counter's commands (each with an
  idempotency key): open, call next when their counter shows someone waiting, recall
  and no-show (5 % of calls), start, finish, transfer (to the result windows, another
  area, the reflection window), suspend and resume (挂起), pause, close for a staggered
  lunch, and serve on after 17:00 until every line is empty; handling times lognormal
  around each queue's mean;
- 4 guidance desks (the guide's sessions) and 6 kiosks (device tokens) issuing over HTTP
  on schedule, 6 % priority, and the desks cancelling 1 % a while later.

It reports throughput, call -> screen latency over every (call, screen of its zone or
window) pair, the commands' answers, every refused command and failed request by
problem code, the worker's RSS at the start, mid-day and the end, the worker's CPU
beside each client process's; and checks that every call reached every screen of its
zone and its window's screen, that every ticket ended in a final state (done, no-show,
cancelled) with the hall's rules intact (`domain/invariants.py`), and that the server
log has no error. Exit status 1 when a check fails.

    python -m bench.hall_day [--minutes 6] [--seed 1] [--scale 1.0]
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import hall_day_clients as clients
from bench import hall_day_plan as plan
from bench.common import BenchServer, cpu_seconds, ms, percentile, rss_mib, run_from_command_line, table
from bench.memory_sites import probe_environment, probe_parts
from bench.probes import run_queue_seconds
from queue_server import auth
from queue_server.app import create_app
from queue_server.domain import clock, invariants
from queue_server.domain.access import DeviceKind
from tests.support.live import HALL

FINAL = ("done", "no_show", "cancelled")  # the day's end states a ticket may be left in
# refusals the hall's own races explain: two windows called for the last one waiting, a
# citizen left after being called (the desk's cancel came too late)
EXPECTED = {"call_next: nothing_waiting", "cancel: invalid_transition"}


class Child:
    """One client process and its pipe."""

    def __init__(self, name: str, target: Any, *args: Any) -> None:
        context = multiprocessing.get_context("spawn")
        self.name = name
        self.pipe, child_end = context.Pipe()
        self.process = context.Process(target=target, args=(*args[:-1], child_end, args[-1]), daemon=True)
        self.process.start()

    def receive(self, timeout: float) -> Any:
        if not self.pipe.poll(timeout):
            raise RuntimeError(f"the {self.name} process did not answer within {timeout:.0f} s")
        try:
            message = self.pipe.recv()
        except EOFError:
            raise RuntimeError(f"the {self.name} process ended without a word") from None
        if message[0] == "error":
            raise RuntimeError(f"the {self.name} process failed:\n{message[1]}")
        return message

    def cpu(self) -> float:
        try:
            return cpu_seconds(self.process.pid) if self.process.pid else 0.0
        except OSError:
            return 0.0

    def close(self) -> None:
        self.process.join(10)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(10)


def screen_specs(windows: list[plan.WindowPlan], count: int) -> list[tuple[str, dict[str, Any]]]:
    """(label, scope): a window screen per window, the other screens shared over the zones."""
    specs: list[tuple[str, dict[str, Any]]] = [(f"window-{w.number}", {"window": w.number}) for w in windows]
    zones = [code for code, _ in plan.ZONES]
    for index in range(count - len(windows)):
        zone = zones[index % len(zones)]
        specs.append((f"hall-{zone}-{index // len(zones) + 1}", {"zone": zone}))
    return specs


def run(args: argparse.Namespace) -> tuple[str, bool, list[list[object]]]:
    windows = plan.windows()
    day = plan.arrivals(random.Random(args.seed), args.scale)
    tokens: dict[str, str] = {}
    specs = screen_specs(windows, args.screens)

    def devices(ext: dict[str, Any]) -> None:
        for label, scope in specs:
            kind = DeviceKind.WINDOW_SCREEN if "window" in scope else DeviceKind.HALL_SCREEN
            _, tokens[label] = auth.create_device(
                ext["store"], hall_code=HALL, kind=kind, name=label, window=scope.get("window"), now=clock.utc_now()
            )
        for n in range(1, args.kiosks + 1):  # each kiosk with its printer (no agent: the jobs wait)
            auth.create_device(
                ext["store"],
                hall_code=HALL,
                kind=DeviceKind.PRINTER,
                name=f"kiosk-{n}-printer",
                window=None,
                now=clock.utc_now(),
                station=f"self-service-{n}",
            )
            _, tokens[f"kiosk-{n}"] = auth.create_device(
                ext["store"],
                hall_code=HALL,
                kind=DeviceKind.KIOSK,
                name=f"kiosk-{n}",
                window=None,
                now=clock.utc_now(),
                station=f"self-service-{n}",
            )

    began = time.monotonic()
    scratch = tempfile.TemporaryDirectory(prefix="hall-queue-probe-")
    probe_prefix = Path(scratch.name) / "parts"
    bench = BenchServer.start(
        synchronous=args.synchronous,
        windows=len(windows),
        keep=args.keep,
        parent=args.dir,
        hall_toml=plan.hall_toml(),
        prepare=devices,
        environment=probe_environment(probe_prefix) if args.memory_probe else None,
    )
    readings: list[tuple[str, dict[str, float]]] = []  # --memory-probe: (moment, reading)

    def probe(moment: str) -> None:
        if args.memory_probe:
            try:
                readings.append((moment, probe_parts(worker, probe_prefix, len(readings) + 1)))
            except (OSError, TimeoutError) as failed:  # the worker gone: the checks say so
                readings.append((moment, {"error": str(failed)}))  # type: ignore[dict-item]

    url = bench.server.url
    children: list[Child] = []
    samples: list[tuple[float, float]] = []  # (day hour, worker RSS MiB)
    stop_sampling = threading.Event()
    restarts: list[float] = []  # when the worker was found gone
    try:
        worker = bench.worker_pid()
        limit = args.time_limit
        parts = [specs[i :: args.screen_processes] for i in range(args.screen_processes)]
        screens = [
            Child(
                f"screens {n + 1}",
                clients.run_screens,
                url,
                [(label, tokens[label], scope) for label, scope in part],
                limit * 2,
            )
            for n, part in enumerate(parts)
        ]
        clerks = Child("clerks", clients.run_clerks, url, windows, args.seed, limit)
        kiosk_tokens = [tokens[f"kiosk-{n}"] for n in range(1, args.kiosks + 1)]
        issuers = Child("desks and kiosks", clients.run_issuers, url, args.desks, kiosk_tokens, day, limit)
        children = [*screens, clerks, issuers]
        readies = {child.name: child.receive(120)[1] for child in children}
        connect_errors = [e for r in readies.values() for e in r["errors"]]
        probe("start")
        rss_start = rss_mib(worker)
        cpu_before = {child.name: child.cpu() for child in children}
        worker_before = cpu_seconds(worker)
        waited_before = run_queue_seconds(worker)

        wall_per_hour = args.minutes * 60 / (plan.ISSUING_ENDS - plan.DAY_START)
        t0 = time.monotonic() + 0.5
        for child in (clerks, issuers):
            child.pipe.send(("go", t0, wall_per_hour))

        def sample() -> None:
            while not stop_sampling.wait(1.0):
                try:
                    samples.append((8.5 + (time.monotonic() - t0) / wall_per_hour, rss_mib(worker)))
                except OSError:  # gunicorn replaced the worker (see the log): the check fails
                    restarts.append(time.monotonic() - t0)
                    return

        threading.Thread(target=sample, daemon=True).start()
        _, issued = issuers.receive(limit + 60)
        issuing_wall = time.monotonic() - t0
        clerks.pipe.send(("issuing_done",))
        _, served = clerks.receive(limit + 60)
        day_wall = time.monotonic() - t0
        worker_cpu = _gone_as_nan(cpu_seconds, worker) - worker_before
        worker_waited = _gone_as_nan(run_queue_seconds, worker) - waited_before
        clients_cpu = {child.name: child.cpu() - cpu_before[child.name] for child in children}
        stop_sampling.set()
        rss_end = _gone_as_nan(rss_mib, worker)
        probe("end of the day")

        calls: list[clients.Call] = served["calls"]
        zone_of = {w.number: w.zone for w in windows}
        screens_of: dict[str, list[str]] = {}  # zone or window -> screen labels
        for label, scope in specs:
            screens_of.setdefault(str(scope.get("zone") or f"window-{scope.get('window')}"), []).append(label)
        expected: dict[str, list[str]] = {label: [] for label, _ in specs}
        keyed = [c for c in calls if c.call_count]
        for call in keyed:
            for label in (*screens_of.get(zone_of[call.window], []), *screens_of.get(f"window-{call.window}", [])):
                expected[label].append(f"{call.number}/{call.call_count}")
        arrivals: dict[str, dict[str, float]] = {}
        screen_stats: Counter[str] = Counter()
        disconnects: Counter[str] = Counter()
        for child, part in zip(screens, parts, strict=True):
            child.pipe.send(("collect", {label: expected[label] for label, _ in part}, args.drain))
        for child in screens:
            _, got, stats = child.receive(args.drain + 60)
            arrivals.update(got)
            screen_stats.update(stats["other_events"])
            disconnects.update(stats["disconnects"])
        rss_idle_after = _gone_as_nan(rss_mib, worker)
        probe("clients gone")
        replaced = bool(restarts) or _current_worker(bench) != worker
        final, invariant_errors, stored = _final_states(bench)
    finally:
        stop_sampling.set()
        for child in children:
            child.close()
        problems = bench.stop()
        scratch.cleanup()

    # ---- figures ------------------------------------------------------------------------
    latencies: list[float] = []
    last_per_call: list[float] = []
    missed = 0  # (call, screen) pairs that never arrived
    calls_incomplete = 0
    for call in keyed:
        key = f"{call.number}/{call.call_count}"
        labels = (*screens_of.get(zone_of[call.window], []), *screens_of.get(f"window-{call.window}", []))
        times = [arrivals[label][key] - call.sent for label in labels if key in arrivals.get(label, {})]
        latencies += times
        missed += len(labels) - len(times)
        calls_incomplete += len(times) < len(labels)
        if times:
            last_per_call.append(max(times))
    own_console = [c.seen - c.sent for c in keyed]
    issued_count = len(issued["issued"])
    mid = min(samples, key=lambda s: abs(s[0] - 12.75), default=(0.0, float("nan")))
    peak_rss = max((r for _, r in samples), default=float("nan"))

    refusals = Counter(issued["refusals"]) + Counter(served["refusals"])
    unexpected = {k: v for k, v in refusals.items() if k not in EXPECTED}
    failures = Counter(issued["failures"]) + Counter(served["failures"])
    not_final = {status: n for status, n in final.items() if status not in FINAL}
    checks = [
        ("every client connected", not connect_errors, f"{len(connect_errors)} failed {connect_errors[:2]}"),
        (
            "every call reached every screen of its zone and its window's screen",
            missed == 0 and len(keyed) == len(calls),
            f"{calls_incomplete} of {len(keyed)} calls missed {missed} screen(s);"
            f" {len(calls) - len(keyed)} calls not keyed",
        ),
        ("every ticket ended in a final state", not not_final and sum(final.values()) > 0, f"left: {not_final}"),
        (
            "every acknowledged ticket is stored",
            stored >= issued_count,
            f"{stored} stored, {issued_count} acknowledged",
        ),
        ("the hall's rules hold (domain/invariants.py)", not invariant_errors, f"{invariant_errors[:3]}"),
        (
            "no request failed, no command refused but the races",
            not failures and not unexpected,
            f"failures {dict(failures)}, refusals {unexpected}",
        ),
        ("no screen lost its connection", not disconnects, f"{dict(disconnects)}"),
        ("the clerks finished the day within the time limit", not served["timed_out"], f"{served['timed_out']} not"),
        (
            "the worker served the whole day (gunicorn never replaced it)",
            not replaced,
            "the worker was killed and replaced (gunicorn's WORKER TIMEOUT: its heartbeat waited over 30 s)",
        ),
        ("the server log has no error", not problems, f"{problems[:3]}"),
    ]
    ok = all(passed for _, passed, _ in checks)

    def figures(name: str, values: list[float]) -> list[object]:
        top = max(values, default=float("nan"))
        return [name, len(values), ms(percentile(values, 50)), ms(percentile(values, 99)), ms(top)]

    def pct(seconds: float) -> str:
        return f"{100 * seconds / day_wall:.0f}%"

    hall_screens = args.screens - len(windows)
    requests = len(issued["answers"]) + sum(len(v) for v in served["acks"].values())
    out = [
        f"hall_day: one gunicorn eventlet worker (synchronous={args.synchronous}); {len(windows)} windows in"
        f" {len(plan.ZONES)} zones, {len(plan.QUEUES)} queues; a day 08:30-17:00 in {args.minutes:g} min"
        f" (1 day minute = {wall_per_hour / 60:.2f} s), then served to the end; seed {args.seed}",
        f"clients: {args.screens} screens ({len(windows)} window screens, {hall_screens} hall screens over the zones)"
        f" in {args.screen_processes} process(es), {len(windows)} clerks in 1, {args.desks} desks and"
        f" {args.kiosks} kiosks in 1 (python-socketio AsyncClients, aiohttp)",
        f"{issued_count} tickets issued in {issuing_wall:.0f} s; the last window closed {day_wall:.0f} s after"
        f" 08:30 (day hour {8.5 + day_wall / wall_per_hour:.2f}); {len(calls)} calls",
        "",
        table(
            ["throughput", "count", "per s", "peak per s (10 s)"],
            [
                [
                    "tickets issued",
                    issued_count,
                    f"{issued_count / issuing_wall:.1f}",
                    _peak([m - t0 for m in issued["moments"]]),
                ],
                ["calls (call_next)", len(calls), f"{len(calls) / day_wall:.1f}", _peak([c.sent - t0 for c in calls])],
                [
                    "window commands",
                    sum(served["actions"].values()),
                    f"{sum(served['actions'].values()) / day_wall:.1f}",
                    "-",
                ],
            ],
        ),
        "",
        table(
            ["latency", "samples", "p50 ms", "p99 ms", "max ms"],
            [
                figures("call -> each screen of its zone and window", latencies),
                figures("call -> the last of them, per call", last_per_call),
                figures("call -> the clerk's own console", own_console),
                *(figures(f"{name} ack", values) for name, values in sorted(served["acks"].items())),
                figures("issue (HTTP), desks and kiosks", issued["answers"]),
                figures("issue sent behind its schedule", issued["lags"]),
            ],
        ),
        "",
        table(
            ["process", "CPU over the day (100% = one core)", "RSS MiB"],
            [
                [
                    "gunicorn worker",
                    pct(worker_cpu),
                    f"start {rss_start:.1f}, mid-day {mid[1]:.1f}, end {rss_end:.1f},"
                    f" peak {peak_rss:.1f}, clients gone {rss_idle_after:.1f}",
                ],
                *([name, pct(cpu), "-"] for name, cpu in clients_cpu.items()),
            ],
        ),
        *_parts_table(readings),
        f"the worker waited for a CPU {pct(worker_waited)} of the day (ready to run, /proc/<pid>/schedstat):"
        " what the machine's other processes took from it",
        f"the worker's CPU per request (issues, cancels, window commands): {1000 * worker_cpu / requests:.1f} ms"
        if requests
        else "no request answered",
        "",
        "tickets at the end: " + ", ".join(f"{status} {n}" for status, n in sorted(final.items())),
        "window commands: " + ", ".join(f"{name} {n}" for name, n in sorted(served["actions"].items())),
        "refused (expected races, not errors): "
        + (", ".join(f"{k} {v}" for k, v in sorted(refusals.items()) if k in EXPECTED) or "none"),
        "events per screen (besides ticket_called): "
        + ", ".join(f"{k} {v / max(args.screens, 1):.0f}" for k, v in sorted(screen_stats.items())),
        f"whole run {time.monotonic() - began:.0f} s; server.log socket shutdown noise lines:"
        f" {bench.socket_shutdown_errors()}",
        "",
        table(
            ["check", "result"], [[name, "ok" if passed else f"FAILED: {why[:300]}"] for name, passed, why in checks]
        ),
    ]
    summary: list[list[object]] = [
        [
            f"{issued_count} tickets, {len(calls)} calls in {day_wall:.0f} s",
            f"{issued_count / issuing_wall:.1f} tickets/s",
            "",
        ],
        [
            "call -> screens of its zone",
            "",
            f"p50 {ms(percentile(latencies, 50))} ms, p99 {ms(percentile(latencies, 99))} ms",
        ],
        ["worker RSS start / mid / end", "", f"{rss_start:.0f} / {mid[1]:.0f} / {rss_end:.0f} MiB"],
    ]
    return "\n".join(out), ok, summary


def _current_worker(bench: BenchServer) -> int | None:
    try:
        return bench.worker_pid()
    except RuntimeError:  # between a worker's death and its successor
        return None


def _gone_as_nan(read: Callable[[int], float], pid: int) -> float:
    try:
        return read(pid)
    except OSError:  # the worker is gone
        return math.nan


def _peak(moments: list[float]) -> str:
    if not moments:
        return "-"
    buckets = Counter(int(m // 10) for m in moments)
    return f"{max(buckets.values()) / 10:.1f}"


def _final_states(bench: BenchServer) -> tuple[dict[str, int], list[str], int]:
    """Each ticket status and its count, the hall's rule violations, tickets stored."""
    app = create_app(
        {"ASYNC_MODE": "threading", "PUBLISHES": False, "BACKGROUND_JOBS": False}, instance_path=str(bench.instance)
    )
    ext = app.extensions["hall_queue"]
    try:
        with ext["store"].read() as db:
            rows = db.execute("SELECT status, count(*) FROM tickets GROUP BY status").fetchall()
        broken = [str(v) for v in invariants.violations(ext["services"].hall_state(HALL))]
    finally:
        ext["store"].close()
    final = {status: count for status, count in rows}
    return final, broken, sum(final.values())


def _parts_table(readings: list[tuple[str, dict[str, float]]]) -> list[str]:
    """`--memory-probe`'s readings, each taken after the RSS figure of its moment above."""
    if not readings:
        return []
    rows = [
        [moment, "-", "-", "-", "-", "-", reading["error"]]
        if "error" in reading
        else [
            moment,
            f"{reading['rss_mib']:.1f}",
            f"{reading['sqlite_mib']:.1f}",
            f"{reading['sqlite_peak_mib']:.1f}",
            f"{reading['rss_mib'] - reading['sqlite_mib']:.1f}",
            f"{reading['objects']:,}",
            f"{reading['garbage']:,}",
        ]
        for moment, reading in readings
    ]
    headers = ["worker memory", "VmRSS MiB", "SQLite's MiB", "SQLite's peak", "VmRSS - SQLite's"]
    return [table([*headers, "Python objects", "of them garbage in cycles"], rows), ""]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.hall_day", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=6, help="wall minutes for 08:30-17:00 (default 6)")
    parser.add_argument("--seed", type=int, default=1, help="the day's random seed (default 1)")
    parser.add_argument("--scale", type=float, default=1.0, help="share of the day's tickets, 0.05..1 (default 1)")
    parser.add_argument(
        "--screens", type=int, default=100, help="screens: one per window, the rest per zone (default 100)"
    )
    parser.add_argument(
        "--screen-processes", type=int, default=2, help="processes the screens are split over (default 2)"
    )
    parser.add_argument("--desks", type=int, default=4, help="guidance desks issuing (default 4)")
    parser.add_argument("--kiosks", type=int, default=6, help="kiosks issuing (default 6)")
    parser.add_argument("--synchronous", default="FULL", choices=("FULL", "NORMAL", "EXTRA"))
    parser.add_argument("--drain", type=float, default=15, help="seconds the screens may take after the day")
    parser.add_argument(
        "--time-limit", type=float, default=None, help="seconds for the day (default 3 x --minutes + 2 min)"
    )
    parser.add_argument("--dir", default=None, help="parent folder of the throw-away instance (default: system temp)")
    parser.add_argument(
        "--memory-probe",
        action="store_true",
        help="read the worker's memory parts (SQLite's, Python's objects, garbage in cycles) at the start, the"
        " end and once the clients left (bench/tracemem/sitecustomize.py)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the instance folder and its server.log")
    args = parser.parse_args(argv)
    windows = len(plan.windows())
    if not 0.5 <= args.minutes <= 120 or not 0.05 <= args.scale <= 1:
        parser.error("--minutes 0.5..120, --scale 0.05..1")
    if not windows <= args.screens <= 1000:
        parser.error(f"--screens must be between {windows} (one per window) and 1000")
    if not 1 <= args.screen_processes <= 8 or not 1 <= args.desks <= 20 or not 1 <= args.kiosks <= 20:
        parser.error("--screen-processes 1..8, --desks 1..20, --kiosks 1..20")
    if args.time_limit is None:
        args.time_limit = args.minutes * 60 * 3 + 120
    return args


def main(argv: list[str] | None = None) -> int:
    return run_from_command_line(parse_args(argv), run)


if __name__ == "__main__":
    sys.exit(main())
