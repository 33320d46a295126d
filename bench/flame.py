"""A worker's profile while a bench phase runs: py-spy's collapsed stacks, and what they say.

`record(pid, path)` samples a live process with py-spy (`--format raw`: one line per
distinct stack, `frame;frame;...;frame count`, the input of any flame-graph tool, e.g.
`flamegraph.pl` or https://www.speedscope.app) until the block ends. Idle stacks (the
eventlet hub waiting in epoll) are left out by py-spy, and `read` leaves out the pool
threads waiting for work (`WAITING`), so the shares are of the time the worker was busy.
A pool thread blocked in C (an fsync, say) still counts as busy: py-spy sees no
difference from a thread computing in C.

`summary(path)` reads such a file back as two tables: the functions by inclusive share
(how much of the busy time was spent in them or below), and by self share (in them,
not below). Frames are `function (file)`: py-spy's `--function` groups a function's
lines together, and the line numbers are dropped here.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

FRAME_LINE = re.compile(r":\d+\)$")
PY_SPY = "py-spy"
# Threads py-spy takes for busy though they wait: eventlet's pool threads (`tpool`, where
# COMMITs and scrypt run) wait for work in `Queue.get`, on a `Condition` in Python.
WAITING = frozenset({"Condition.wait (threading.py)"})


class ProfilerMissing(RuntimeError):
    pass


def py_spy() -> str:
    """py-spy beside this Python (the virtualenv's), else on the PATH."""
    beside = Path(sys.executable).with_name(PY_SPY)
    found = str(beside) if beside.exists() else shutil.which(PY_SPY)
    if found is None:
        raise ProfilerMissing("py-spy is not installed (pip install py-spy; it comes with .[dev])")
    return found


@contextmanager
def record(pid: int, path: Path, rate: int = 1000) -> Iterator[None]:
    """Sample process `pid` into `path` while the block runs (py-spy needs ptrace: root,
    or `kernel.yama.ptrace_scope` 0)."""
    spy = py_spy()
    path.parent.mkdir(parents=True, exist_ok=True)
    # --nonblocking: pausing every thread of the worker (and its pool's) for each sample
    # took the issue rate from about 800 to 190 a second
    command = [spy, "record", "--pid", str(pid), "--format", "raw", "--function", "--nonblocking", "--rate", str(rate)]
    process = subprocess.Popen(
        [*command, "--output", str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        yield
    finally:
        process.send_signal(signal.SIGINT)  # py-spy writes its file when interrupted
        _, errors = process.communicate(timeout=60)
        if not path.exists():
            raise ProfilerMissing(f"py-spy wrote no profile ({process.returncode}): {errors.strip()[-300:]}")


def read(path: Path) -> tuple[Counter[str], Counter[str], int]:
    """Inclusive and self sample counts per frame, and the number of samples."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        frames = [FRAME_LINE.sub(")", frame) for frame in stack.split(";")]
        if frames[-1] in WAITING:
            continue
        total += samples
        for frame in set(frames):  # a recursive function counts once per stack
            inclusive[frame] += samples
        own[frames[-1]] += samples
    return inclusive, own, total


def summary(path: Path, top: int = 25, skip_above: float = 0.97) -> str:
    """The `top` frames by inclusive share (leaving out those above `skip_above` of all
    samples: the worker's outer loop, present in every stack) and by self share."""
    inclusive, own, total = read(path)
    if not total:
        return f"{path}: no busy samples"
    rows = [(frame, n) for frame, n in inclusive.most_common() if n / total <= skip_above][:top]
    lines = [f"{path.name}: {total} busy samples", "", "inclusive  frame"]
    lines += [f"{100 * n / total:8.1f}%  {frame}" for frame, n in rows]
    lines += ["", "     self  frame"]
    lines += [f"{100 * n / total:8.1f}%  {frame}" for frame, n in own.most_common(top)]
    return "\n".join(lines)
