"""After a wave of links opening or closing: the cycle collector, then glibc's trim (or
jemalloc's), once (`realtime/memory.py`)."""

from __future__ import annotations

import ctypes.util
import gc
import os
import weakref
from collections.abc import Callable
from typing import Any

import pytest

from queue_server.cli import allocator_environment
from queue_server.realtime.memory import MALLOC_TRIM, MemoryTrim
from tests.support.fresh_python import run_script


class Link:
    """Stands for a closed link's records: they refer to each other, as a WSGI environ,
    its Flask request and Engine.IO's socket do."""

    def __init__(self) -> None:
        self.me = self


def run_now(task: Callable[..., Any], *args: Any) -> None:
    task(*args)


def test_a_wave_collects_the_links_in_cycles_then_trims_once() -> None:
    steps: list[str] = []

    def collect() -> int:
        steps.append("collect")
        return gc.collect()

    def trim(pad: int) -> int:
        steps.append(f"trim({pad})")
        return 1

    memory = MemoryTrim(run_now, lambda seconds: None, threshold=3, delay=0.0, trim=trim, collect=collect)
    was_enabled = gc.isenabled()
    gc.disable()  # as after a wave: nothing allocates enough to start a collection
    try:
        links = [Link() for _ in range(3)]
        alive = [weakref.ref(link) for link in links]
        del links
        assert all(ref() is not None for ref in alive)  # unreachable, but held by their cycles
        memory.link_opened()
        memory.link_closed()
        assert steps == [] and memory.trims == 0  # one opened, one closed: not yet a wave
        memory.link_closed()
        assert steps == ["collect", "trim(0)"]
        assert memory.trims == 1
        assert all(ref() is None for ref in alive)
    finally:
        if was_enabled:
            gc.enable()
    memory.link_closed()
    assert steps == ["collect", "trim(0)"]  # a new wave starts counting from nothing


def test_without_a_trim_the_collection_still_runs_and_a_zero_threshold_turns_both_off() -> None:
    collected: list[str] = []

    def collector(name: str) -> Callable[[], int]:
        def collect() -> int:
            collected.append(name)
            return 0

        return collect

    memory = MemoryTrim(run_now, lambda seconds: None, threshold=1, delay=0.0, collect=collector("on"))
    memory._trim = None  # as on musl or macOS, where there is no malloc_trim
    memory.link_closed()
    assert collected == ["on"] and memory.trims == 1
    off = MemoryTrim(run_now, lambda seconds: None, threshold=0, collect=collector("off"))
    off.link_closed()
    assert collected == ["on"]


def test_glibc_has_the_trim() -> None:
    # the CI machines and the production image are Debian: glibc
    assert MALLOC_TRIM is not None
    assert "jemalloc" not in MALLOC_TRIM.__name__


# In a process run as `serve --allocator jemalloc` runs the worker: 200 MB in blocks the
# size of a link's, freed, then the trim. Sizes in MiB, from the process's own RSS.
FREED_THEN_TRIMMED = """
import json, os
from queue_server.realtime import memory

def rss():
    return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

idle = rss()
blocks = [bytearray(4000) for _ in range(50_000)]
held = rss()
del blocks
gave = memory.MALLOC_TRIM(0)
print(json.dumps({"trim": memory.MALLOC_TRIM.__qualname__, "gave": gave, "idle": idle, "held": held, "after": rss()}))
"""


def test_under_jemalloc_the_trim_is_jemallocs_and_hands_the_freed_pages_back() -> None:
    """glibc's malloc_trim has nothing to trim under jemalloc, and jemalloc left to itself
    returns freed pages only as the process goes on allocating: the trim flushes the
    thread's cache and purges every arena, so the worker is back near its size before."""
    if ctypes.util.find_library("jemalloc") is None:
        pytest.skip("libjemalloc2 is not installed (apt-get install libjemalloc2)")
    environment = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "PYTHONMALLOC", "MALLOC_CONF")}
    found = run_script(FREED_THEN_TRIMMED, env={**environment, **allocator_environment("jemalloc")})
    assert found["trim"] == "_jemalloc_purge.<locals>.trim"
    assert found["gave"] == 1
    assert found["held"] - found["idle"] > 150  # the blocks were there
    assert found["after"] - found["idle"] < 0.2 * (found["held"] - found["idle"])
