"""Where a connected screen's memory goes: our server beside the bare one, by allocation site.

Not a timing: a diagnosis for issue 11's memory target (a screen costs ours about 1.17x
what it costs the bare Flask-SocketIO server: `python -m bench.broadcast`). Each server
starts with Python's `tracemalloc` on from its first import (`bench/tracemem/sitecustomize.py`
on PYTHONPATH), which makes it several times slower: only the memory figures mean anything.
For each, the worker is snapshotted idle and with `--screens` lean screens (default 1,000)
connected and subscribed, and the table lists the allocation sites that grew most between
the two, as bytes per screen, grouped by the innermost frame of our own code or of a
library (`--group file` or `line`). The tracemalloc figure counts Python's own allocations
only; the worker's VmRSS growth is printed beside it.

    python -m bench.memory_sites [--screens 1000] [--top 25] [--group line]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import sys
import tempfile
import time
import tracemalloc
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.bare_server import BareServer
from bench.broadcast import processes_for, settle, worker_of
from bench.common import BenchServer, rss_mib, run_from_command_line, table
from bench.lean_client import ScreenProcesses
from tests.support.live import HALL

TRACER = Path(__file__).parent / "tracemem"
REPOSITORY = Path(__file__).resolve().parent.parent


def _environment(prefix: Path, probe: str = "BENCH_TRACEMALLOC") -> dict[str, str]:
    """A server's environment with `bench/tracemem/sitecustomize.py` on its path, in the mode `probe`."""
    path = os.pathsep.join([str(TRACER), str(REPOSITORY), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return {"PYTHONPATH": path, probe: str(prefix)}


def probe_environment(prefix: Path) -> dict[str, str]:
    """For `probe_parts`: no tracing, the server runs at full speed."""
    return _environment(prefix, "BENCH_MEMORY_PROBE")


def _ask(pid: int, signum: int, path: Path, timeout: float) -> Path:
    """Signal the worker's probe (bench/tracemem/sitecustomize.py) and wait for the file it writes."""
    os.kill(pid, signum)
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"no answer from worker {pid} to signal {signum} within {timeout:g} s")
        time.sleep(0.05)
    return path


def probe_parts(pid: int, prefix: Path, n: int, timeout: float = 30) -> dict[str, float]:
    """The `n`th (from 1) reading of the worker's memory parts: VmRSS, SQLite's own
    allocations now and at their peak, the Python objects the collector tracks and those
    of them that were garbage in cycles (collected by the reading)."""
    path = _ask(pid, signal.SIGRTMIN + 3, Path(f"{prefix}.{pid}.{n}"), timeout)
    reading: dict[str, float] = json.loads(path.read_text())
    return reading


def _snapshot(pid: int, prefix: Path, n: int, timeout: float = 120) -> tracemalloc.Snapshot:
    return tracemalloc.Snapshot.load(str(_ask(pid, signal.SIGRTMIN + 1, Path(f"{prefix}.{pid}.{n}"), timeout)))


def _site(frames: tracemalloc.Traceback, group: str) -> str:
    """The innermost frame outside the standard library's plumbing, as a file or a line."""
    chosen = frames[-1]
    for frame in reversed(frames):  # tracemalloc lists the outermost frame first
        if "/lib/python3" not in frame.filename or "site-packages" in frame.filename:
            chosen = frame
            break
    name = chosen.filename
    for marker in ("site-packages/", "/work/", "/lib/python3"):
        if marker in name:
            name = name.split(marker, 1)[1]
            break
    return name if group == "file" else f"{name}:{chosen.lineno}"


def growth(before: tracemalloc.Snapshot, after: tracemalloc.Snapshot, group: str) -> dict[str, tuple[int, int]]:
    """Site -> (bytes, blocks) grown from `before` to `after`."""
    sizes: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for stat in after.compare_to(before, "traceback"):
        entry = sizes[_site(stat.traceback, group)]
        entry[0] += stat.size_diff
        entry[1] += stat.count_diff
    return {site: (size, count) for site, (size, count) in sizes.items()}


def survivors(before: tracemalloc.Snapshot, after: tracemalloc.Snapshot, top: int) -> list[str]:
    """The `top` tracebacks whose blocks grew most in number from `before` to `after`:
    what a wave of screens left alive. Blocks left scattered over memory keep whole pages
    (and pymalloc's arenas) from going back to the system."""
    grown = [stat for stat in after.compare_to(before, "traceback") if stat.count_diff > 0]
    grown.sort(key=lambda stat: stat.count_diff, reverse=True)
    return [
        f"+{stat.count_diff} blocks, {stat.size_diff:+,} bytes:\n    " + "\n    ".join(stat.traceback.format())
        for stat in grown[:top]
    ]


def _descriptors(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def measure(kind: str, url: str, token: str, pid: int, prefix: Path, args: argparse.Namespace) -> dict[str, Any]:
    settle(pid, 30)
    rss, fds = [rss_mib(pid)], [_descriptors(pid)]
    idle = _snapshot(pid, prefix, 1)
    clients = ScreenProcesses(url, token, HALL, args.screens, processes_for(args.screens), time_limit=900)
    try:
        ready = clients.wait_ready(600)
        settle(pid, 60)
        rss.append(rss_mib(pid))
        fds.append(_descriptors(pid))
        connected = _snapshot(pid, prefix, 2)
    finally:
        clients.close(60)
    settle(pid, 60)
    time.sleep(args.after)  # Engine.IO forgets closed sockets within its ping interval and timeout
    rss.append(rss_mib(pid))
    fds.append(_descriptors(pid))
    left = _snapshot(pid, prefix, 3)
    holders = _holders(pid, prefix)
    return {
        "kind": kind,
        "connected": ready["connected"],
        "rss": rss,
        "fds": fds,
        "traced": [_traced(idle, connected), _traced(idle, left)],
        "sites": growth(idle, connected, args.group),
        "left": growth(idle, left, args.group),
        "survivors": survivors(idle, left, args.survivors),
        "holders": holders,
    }


def _holders(pid: int, prefix: Path, timeout: float = 120) -> str:
    try:
        return _ask(pid, signal.SIGRTMIN + 2, Path(f"{prefix}.{pid}.holders"), timeout).read_text()
    except TimeoutError:
        return "(no answer)"


def _traced(before: tracemalloc.Snapshot, after: tracemalloc.Snapshot) -> int:
    return sum(stat.size_diff for stat in after.compare_to(before, "filename"))


def run(args: argparse.Namespace) -> tuple[str, bool, list[list[object]]]:
    results: list[dict[str, Any]] = []
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="hall-queue-sites-") as scratch:
        parent = Path(scratch)
        if "ours" in args.servers:
            ours = BenchServer.start(
                synchronous="FULL", windows=4, parent=scratch, environment=_environment(parent / "ours")
            )
            try:
                token = ours.server.tokens["hall_screen"]
                pid = ours.worker_pid()
                results.append(measure("ours", ours.server.url, token, pid, parent / "ours", args))
            finally:
                problems += ours.stop()
        if "bare" in args.servers:
            bare = BareServer(secrets.token_urlsafe(16), parent, environment=_environment(parent / "bare"))
            try:
                bare.start(timeout=180)
                pid = worker_of(bare.process)
                results.append(measure("bare", bare.url, bare.token, pid, parent / "bare", args))
            finally:
                bare.stop()
    out = [
        f"memory by allocation site: {args.screens} lean screens, tracemalloc on; 'left': {args.after:g} s after"
        " they left and the worker went quiet",
        "",
        table(
            ["server", "screens", "VmRSS MiB idle / connected / left", "descriptors", "traced MiB connected / left"],
            [
                [
                    r["kind"],
                    r["connected"],
                    " / ".join(f"{v:.1f}" for v in r["rss"]),
                    " / ".join(str(v) for v in r["fds"]),
                    " / ".join(f"{v / 1048576:+.1f}" for v in r["traced"]),
                ]
                for r in results
            ],
        ),
    ]
    for key, title in (("sites", "connected"), ("left", "after they left")):
        out += ["", f"{title}: the {args.top} sites that grew most from idle, bytes (blocks) per screen", ""]
        out.append(_site_table(results, key, args.top))
    for r in results:
        out += ["", f"{r['kind']}, after they left: {r['holders']}"]
        if r["survivors"]:
            out += ["", f"{r['kind']}, after they left: the tracebacks with most blocks more than idle", ""]
            out += r["survivors"]
    ok = all(r["connected"] == args.screens for r in results) and not problems
    if problems:
        out += ["", *problems]
    return "\n".join(out), ok, []


def _site_table(results: list[dict[str, Any]], key: str, top: int) -> str:
    kinds = [r["kind"] for r in results]
    per = {r["kind"]: r[key] for r in results}
    count = {r["kind"]: max(r["connected"], 1) for r in results}

    def cell(kind: str, site: str) -> str:
        size, blocks = per[kind].get(site, (0, 0))
        return f"{size / count[kind]:,.0f} ({blocks / count[kind]:.1f})"

    sites = set().union(*per.values())
    ranked = sorted(sites, key=lambda s: -max(abs(per[k].get(s, (0, 0))[0]) for k in kinds))[:top]
    return table(["site", *kinds], [[site, *(cell(k, site) for k in kinds)] for site in ranked])


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--screens", type=int, default=1000, help="screens connected (default 1000)")
    parser.add_argument("--top", type=int, default=25, help="sites listed (default 25)")
    parser.add_argument("--after", type=float, default=30, help="seconds after the worker went quiet (default 30)")
    parser.add_argument("--servers", default="ours,bare", help="which servers, in order (default ours,bare)")
    parser.add_argument(
        "--survivors", type=int, default=0, help="also print this many whole tracebacks that grew most (default 0)"
    )
    parser.add_argument("--group", choices=("line", "file"), default="line", help="group sites by line or by file")
    args = parser.parse_args(argv)
    if not 1 <= args.screens <= 8000 or not 1 <= args.top <= 500:
        parser.error("--screens 1..8000, --top 1..500")
    return args


def main(argv: list[str] | None = None) -> int:
    return run_from_command_line(parse_args(argv), run)


if __name__ == "__main__":
    sys.exit(main())
