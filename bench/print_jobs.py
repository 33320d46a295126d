"""Issue -> printed: how long after a guide presses "issue" the ticket reaches the
printer, with several desks issuing at the same instant.

A fresh live server (one eventlet worker, synchronous=FULL by default) over the bench
hall, with D desks (default 10). Each desk is a guide of its own, signed in on one
keep-alive HTTP connection, and a printer of its own at station desk-NN: the real
`ticket-printer` command in a process of its own (tests/support/printer_agent.py),
printing to a fake network printer on a loopback port in this process
(tests/support/fake_printer.py). Beside each agent, a python-socketio client with the
same printer token notes when the server's `print_job` reaches the printer's room.

Then R rounds (default 50): in each, every desk issues one ticket at the same instant
(a barrier), at its station, and waits until its printer has received that ticket to
the cut, before the next round. For every ticket, from the moment just before the issue
request was sent (`time.monotonic()`, one clock for this process, where the printers
and the listeners are):

- the HTTP answer (201, with the print job written in the same transaction);
- the job at the printer's socket (`print_job`, the agent's receipt as the server sent it);
- the last byte at the printer (the agent rendered the ESC/POS bytes, asked the
  printer's status, sent the ticket and closed).

At the end each printer must have received exactly one ticket per round, and the
server must list every job as printed.

    python -m bench.print_jobs [--desks 10] [--rounds 50] [--synchronous FULL]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import socketio

from bench.common import (
    QUEUES,
    BenchServer,
    cpu_seconds,
    ms,
    percentile,
    rss_mib,
    run_from_command_line,
    table,
)
from queue_server import auth, storage
from queue_server.domain import clock
from queue_server.domain.access import DeviceKind, Role
from tests.support.fake_printer import FakePrinter
from tests.support.live import HALL, PASSWORD, LiveServer
from tests.support.printer_agent import AgentProcess

WAIT = 30.0  # seconds a desk waits for its ticket at the printer before counting it lost
START_WAIT = 60.0  # seconds for every agent to be connected


@dataclass
class Desk:
    number: int
    printer: FakePrinter
    token: str
    agent: AgentProcess
    cookie: str = ""
    csrf: str = ""

    @property
    def station(self) -> str:
        return f"desk-{self.number:02d}"

    @property
    def guide(self) -> str:
        return f"guide{self.number:02d}"


@dataclass
class Sample:
    desk: int
    job: int
    sent: float
    answered: float
    at_socket: float | None = None
    at_printer: float | None = None


@dataclass
class Results:
    samples: list[Sample] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)
    wall: float = 0.0
    worker_cpu: float = 0.0
    agents_cpu: float = 0.0
    own_cpu: float = 0.0
    rss_idle: float = 0.0
    rss_after: float = 0.0
    extra_prints: int = 0
    not_printed: list[int] = field(default_factory=list)
    log_problems: list[str] = field(default_factory=list)
    agent_problems: list[str] = field(default_factory=list)


class Listener:
    """A socket with a printer's token, beside its agent: when each `print_job` arrives."""

    def __init__(self, server: LiveServer, token: str) -> None:
        self.arrived: dict[int, float] = {}
        self._condition = threading.Condition()
        self.client = socketio.Client(reconnection=False)
        self.client.on("print_job", self._on_job)
        self.client.connect(server.url, auth={"token": token}, transports=["websocket"], wait_timeout=10)

    def _on_job(self, data: Any = None) -> None:
        now = time.monotonic()
        with self._condition:
            self.arrived.setdefault(int(data["job"]["id"]), now)
            self._condition.notify_all()

    def when(self, job: int, timeout: float) -> float | None:
        with self._condition:
            self._condition.wait_for(lambda: job in self.arrived, timeout)
            return self.arrived.get(job)


def prepare(server: LiveServer, desks: int, folder: Path, stack: ExitStack) -> list[Desk]:
    """Printers at desk-01.., a guide for each, written on the server's database (as the
    command line would, beside the running server)."""
    store = storage.Storage(server.instance / "hall-queue.sqlite3")
    made = []
    try:
        for number in range(1, desks + 1):
            printer = stack.enter_context(FakePrinter())
            _, token = auth.create_device(
                store,
                hall_code=HALL,
                kind=DeviceKind.PRINTER,
                name=f"{number}号导办台打印机",
                window=None,
                now=clock.utc_now(),
                station=f"desk-{number:02d}",
            )
            agent = AgentProcess(server.url, token, printer.port, folder / f"agent-{number:02d}.log")
            desk = Desk(number, printer, token, stack.enter_context(agent))
            auth.create_user(
                store,
                username=desk.guide,
                password=PASSWORD,
                role=Role.GUIDE,
                display_name=f"导办员{number}",
                hall_code=HALL,
                staff_number=f"G{number:03d}",
                now=clock.utc_now(),
            )
            made.append(desk)
    finally:
        store.close()
    return made


def sign_in(server: LiveServer, desk: Desk) -> None:
    session = server.session(desk.guide)
    desk.cookie = "; ".join(f"{k}={v}" for k, v in session.cookies.items())
    desk.csrf = str(session.headers["X-CSRF-Token"])
    session.close()


def wait_online(server: LiveServer, desks: list[Desk]) -> None:
    """Until every desk's agent is connected (the server lists its printer online)."""
    session = server.session("manager")
    stations = {desk.station for desk in desks}
    deadline = time.monotonic() + START_WAIT
    try:
        while True:
            printers = session.get(server.api(f"/halls/{HALL}/printers"), timeout=10).json()["printers"]
            if stations <= {p["station"] for p in printers if p["online"]}:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the agents did not all connect within {START_WAIT:.0f} s")
            time.sleep(0.1)  # looking again at the list, not timing anything
    finally:
        session.close()


def run_desk(
    server: LiveServer,
    desk: Desk,
    listener: Listener,
    rounds: int,
    barrier: threading.Barrier,
    results: Results,
    lock: threading.Lock,
) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=WAIT)
    headers = {"Cookie": desk.cookie, "X-CSRF-Token": desk.csrf, "Content-Type": "application/json"}
    for round_number in range(rounds):
        queue = QUEUES[(desk.number + round_number) % len(QUEUES)]
        body = json.dumps({"queue": queue, "station": desk.station})
        barrier.wait()
        sent = time.monotonic()
        try:
            connection.request("POST", f"/api/v1/halls/{HALL}/tickets", body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read()
        except (OSError, http.client.HTTPException) as error:
            with lock:
                results.failures[f"issue: {type(error).__name__}"] += 1
            connection.close()
            continue
        answered = time.monotonic()
        if response.status != 201:
            with lock:
                results.failures[f"issue: HTTP {response.status}"] += 1
            continue
        job = json.loads(answer)["print_job"]
        if job is None:
            with lock:
                results.failures["issue: no print job"] += 1
            continue
        sample = Sample(desk.number, int(job["id"]), sent, answered)
        printed = len([s for s in results.samples if s.desk == desk.number and s.at_printer is not None])
        try:
            desk.printer.wait_for_connections(printed + 1, WAIT)
            sample.at_printer = desk.printer.finished_at[printed]
        except AssertionError:
            with lock:
                results.failures["not at the printer in time"] += 1
        sample.at_socket = listener.when(sample.job, WAIT)
        with lock:
            results.samples.append(sample)
    connection.close()


def run(args: argparse.Namespace) -> tuple[str, bool, list[list[object]]]:
    results = Results()
    with ExitStack() as stack:
        bench = BenchServer.start(synchronous=args.synchronous, windows=1, keep=args.keep, parent=args.dir)
        folder = Path(tempfile.mkdtemp(prefix="print-jobs-agents-", dir=args.dir))
        try:
            server = bench.server
            worker = bench.worker_pid()
            desks = prepare(server, args.desks, folder, stack)
            for desk in desks:
                sign_in(server, desk)
                desk.agent.start()
            wait_online(server, desks)
            listeners = [Listener(server, desk.token) for desk in desks]
            stack.callback(lambda: [listener.client.disconnect() for listener in listeners])
            results.rss_idle = rss_mib(worker)
            barrier = threading.Barrier(len(desks))
            lock = threading.Lock()
            threads = [
                threading.Thread(
                    target=run_desk,
                    args=(server, desk, listener, args.rounds, barrier, results, lock),
                    daemon=True,
                )
                for desk, listener in zip(desks, listeners, strict=True)
            ]
            agents = [desk.agent.process.pid for desk in desks if desk.agent.process is not None]
            cpu_before, agents_before, own_before = cpu_seconds(worker), _cpu(agents), _own_cpu()
            began = time.monotonic()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(args.rounds * WAIT + 60)
            results.wall = time.monotonic() - began
            results.worker_cpu = cpu_seconds(worker) - cpu_before
            results.agents_cpu = _cpu(agents) - agents_before
            results.own_cpu = _own_cpu() - own_before
            results.rss_after = rss_mib(worker)
            check_every_job(server, desks, args.rounds, results)
            for desk in desks:
                desk.agent.stop()
                problems = [line for line in desk.agent.log().splitlines() if " ERROR " in line or "Traceback" in line]
                results.agent_problems += [f"{desk.station}: {line}" for line in problems]
        finally:
            results.log_problems = bench.stop()
    if not results.agent_problems and not args.keep:
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()
    ok = not (results.failures or results.extra_prints or results.not_printed or results.log_problems)
    ok = ok and not results.agent_problems
    return report(results, args), ok, summary(results, args)


def _cpu(pids: list[int]) -> float:
    return sum(cpu_seconds(pid) for pid in pids)


def _own_cpu() -> float:
    times = os.times()
    return times.user + times.system


def check_every_job(server: LiveServer, desks: list[Desk], rounds: int, results: Results) -> None:
    """Each printer got one ticket a round, and the server lists every job printed."""
    results.extra_prints = sum(max(0, len(desk.printer.connections) - rounds) for desk in desks)
    session = server.session("manager")
    try:
        jobs: list[dict[str, Any]] = []
        before: int | None = None
        while True:
            query = {"limit": 500, **({"before": before} if before else {})}
            page = session.get(server.api(f"/halls/{HALL}/print-jobs"), params=query, timeout=30).json()["print_jobs"]
            jobs += page
            if len(page) < 500:
                break
            before = page[-1]["id"]
    finally:
        session.close()
    issued = {sample.job for sample in results.samples}
    results.not_printed = sorted(j["id"] for j in jobs if j["id"] in issued and j["state"] != "printed")


HEADERS = ["from sending the issue request", "samples", "p50 ms", "p99 ms", "max ms"]


def report(results: Results, args: argparse.Namespace) -> str:
    def row(label: str, values: list[float]) -> list[object]:
        return [
            label,
            len(values),
            ms(percentile(values, 50)),
            ms(percentile(values, 99)),
            ms(max(values, default=float("nan"))),
        ]

    answered = [s.answered - s.sent for s in results.samples]
    at_socket = [s.at_socket - s.sent for s in results.samples if s.at_socket is not None]
    at_printer = [s.at_printer - s.sent for s in results.samples if s.at_printer is not None]
    tickets = len(results.samples)
    out = [
        f"print_jobs: one gunicorn eventlet worker (synchronous={args.synchronous}); {args.desks} desks, each a guide"
        " on one keep-alive HTTP connection and a ticket-printer agent (its own process) with a fake network printer;",
        f"{args.rounds} rounds, every desk issuing at the same instant in each; {os.cpu_count()} CPUs",
        f"{tickets} tickets in {results.wall:.1f} s ({tickets / results.wall:.0f}/s)" if results.wall else "",
        "",
        table(
            HEADERS,
            [
                row("to its HTTP answer (201, job written)", answered),
                row("to the job at the printer's socket", at_socket),
                row("to the ticket's last byte at the printer", at_printer),
            ],
        ),
        "",
        table(
            ["worker", "value"],
            [
                ["RSS with the agents connected MiB", f"{results.rss_idle:.1f}"],
                ["RSS after the rounds MiB", f"{results.rss_after:.1f}"],
                ["CPU during the rounds (100% = one core)", _share(results.worker_cpu, results.wall)],
                ["the agents' CPU, all together", _share(results.agents_cpu, results.wall)],
                ["this process's CPU (desks, printers, sockets)", _share(results.own_cpu, results.wall)],
                ["tickets printed twice", results.extra_prints],
                ["jobs not listed as printed", len(results.not_printed)],
                ["server log error lines", len(results.log_problems)],
                ["agent log error lines", len(results.agent_problems)],
            ],
        ),
    ]
    if results.failures:
        out.append(f"failures: {dict(results.failures)}")
    if results.not_printed:
        out.append(f"not printed: jobs {results.not_printed[:20]}")
    out += [f"    {line}" for line in (results.log_problems + results.agent_problems)[:10]]
    out += [
        "",
        "at the printer's socket: the server's print_job as it reached a second client with the printer's token,",
        "beside the agent; at the printer: the fake printer saw the connection close after the ticket's last byte",
        "(the agent renders the ticket, asks the printer's status, sends, and waits for the printer to close).",
        "Both are noted in this process, whose threads wait for a CPU like everything else on the machine: with",
        "more processes than cores, the socket's figure carries that wait too and comes close to the printer's.",
    ]
    return "\n".join(line for line in out)


def _share(cpu: float, wall: float) -> str:
    return f"{100 * cpu / wall:.0f}%" if wall else "-"


def summary(results: Results, args: argparse.Namespace) -> list[list[object]]:
    at_printer = [s.at_printer - s.sent for s in results.samples if s.at_printer is not None]
    at_socket = [s.at_socket - s.sent for s in results.samples if s.at_socket is not None]
    rate = f"{len(results.samples) / results.wall:.0f}/s" if results.wall else "-"
    return [
        [
            f"{args.desks} desks issuing at once: to the printer",
            rate,
            f"p50 {ms(percentile(at_printer, 50))} ms, p99 {ms(percentile(at_printer, 99))} ms",
        ],
        [
            f"{args.desks} desks issuing at once: to the agent's socket",
            "",
            f"p50 {ms(percentile(at_socket, 50))} ms, p99 {ms(percentile(at_socket, 99))} ms",
        ],
    ]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.print_jobs", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--desks", type=int, default=10, help="desks issuing at once, each with its printer (10)")
    parser.add_argument("--rounds", type=int, default=50, help="tickets each desk issues (default 50)")
    parser.add_argument("--synchronous", default="FULL", choices=["FULL", "NORMAL", "EXTRA"], help="SQLite mode")
    parser.add_argument("--dir", default=None, help="parent folder of the throw-away instance (default: system temp)")
    parser.add_argument("--keep", action="store_true", help="keep the instance folder, server.log and agent logs")
    args = parser.parse_args(argv)
    if not 1 <= args.desks <= 40:
        parser.error("--desks must be between 1 and 40")
    if not 1 <= args.rounds <= 1000 or args.rounds * args.desks > len(QUEUES) * 999:
        parser.error("--rounds must be between 1 and 1000, and rounds x desks at most 25974 (26 queues of 999)")
    return args


def main(argv: list[str] | None = None) -> int:
    return run_from_command_line(parse_args(argv), run)


if __name__ == "__main__":
    sys.exit(main())
