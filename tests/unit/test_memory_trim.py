"""After a wave of links opening or closing: the cycle collector, then glibc's trim, once
(`realtime/memory.py`)."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable
from typing import Any

from queue_server.realtime.memory import MALLOC_TRIM, MemoryTrim


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
