"""Bench-only probes of a server's memory, answering real-time signals (gunicorn's worker
resets SIGUSR1/SIGUSR2 to its own uses, not these). Nothing in the server imports it.

Python imports a `sitecustomize` module found on its path at start-up; the benches put
this folder on PYTHONPATH of the server they start, with one of:

- BENCH_TRACEMALLOC=<file prefix> (`python -m bench.memory_sites`): every process
  started so (gunicorn's master and its worker) traces its allocations from the first
  import on. SIGRTMIN+1 writes a `tracemalloc` snapshot to `<prefix>.<pid>.<n>`;
  SIGRTMIN+2 writes to `<prefix>.<pid>.holders` what the cycle collector would free and
  what holds the WSGI environs still alive.
- BENCH_MEMORY_PROBE=<file prefix> (`python -m bench.hall_day --memory-probe`): SIGRTMIN+3
  writes the parts of the process's memory as JSON (`_parts`). No tracing, no slow-down.

Without either it does nothing.
"""

import os

if os.environ.get("BENCH_TRACEMALLOC"):
    import signal
    import tracemalloc

    tracemalloc.start(int(os.environ.get("BENCH_TRACEMALLOC_FRAMES", "10")))
    _taken = [0]

    def _dump(signum: int, frame: object) -> None:
        _taken[0] += 1
        path = f"{os.environ['BENCH_TRACEMALLOC']}.{os.getpid()}.{_taken[0]}"
        tracemalloc.take_snapshot().dump(path + ".part")
        os.replace(path + ".part", path)  # whole or absent for the reader

    signal.signal(signal.SIGRTMIN + 1, _dump)

    def _holders(signum: int, frame: object) -> None:
        """SIGRTMIN+2: how many WSGI environs, Flask requests and Engine.IO sockets are
        alive, and what holds the first few environs, four steps up."""
        import gc
        import types as t
        from collections import Counter

        gc.set_debug(gc.DEBUG_SAVEALL)  # what the collector frees, kept to be counted
        gc.collect()
        gc.set_debug(0)
        garbage = Counter(f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.garbage)
        gc.garbage.clear()
        gc.collect()
        everything = gc.get_objects()
        environs = [o for o in everything if isinstance(o, dict) and "wsgi.input" in o]
        kinds = ("Socket", "Request", "RequestContext", "GreenThread", "greenlet")
        counts = {k: sum(1 for o in everything if type(o).__name__ == k) for k in kinds}
        lines = [f"environs alive: {len(environs)}; " + ", ".join(f"{k} {n}" for k, n in counts.items())]
        lines.append(f"garbage in cycles before collecting: {sum(garbage.values())} objects")
        lines += [f"  {n:8d} {name}" for name, n in garbage.most_common(30)]
        skip = {id(everything), id(environs)}

        def describe(o: object) -> str:
            if isinstance(o, t.FrameType):
                return f"frame {o.f_code.co_filename}:{o.f_lineno} {o.f_code.co_name}"
            if isinstance(o, dict):
                return f"dict of {len(o)}: {[str(k)[:30] for k in list(o)[:6]]}"
            if isinstance(o, t.FunctionType):
                return f"function {o.__qualname__}"
            return f"{type(o).__module__}.{type(o).__qualname__}"

        def walk(o: object, depth: int, indent: str) -> None:
            if depth == 0:
                return
            for holder in gc.get_referrers(o)[:5]:
                if id(holder) in skip or (
                    isinstance(holder, t.FrameType) and holder.f_code.co_name in ("walk", "_holders")
                ):
                    continue
                lines.append(f"{indent}held by {describe(holder)}")
                walk(holder, depth - 1, indent + "  ")

        for environ in environs[:3]:
            lines.append(f"environ {environ.get('PATH_INFO')} {environ.get('QUERY_STRING', '')[:60]}")
            walk(environ, 4, "  ")
        path = f"{os.environ['BENCH_TRACEMALLOC']}.{os.getpid()}.holders"
        with open(path + ".part", "w") as out:
            out.write("\n".join(lines) + "\n")
        os.replace(path + ".part", path)

    signal.signal(signal.SIGRTMIN + 2, _holders)

if os.environ.get("BENCH_MEMORY_PROBE"):
    import ctypes
    import gc
    import json
    import signal

    def _parts(signum: int, frame: object) -> None:
        """SIGRTMIN+3: what the process's memory holds, as JSON in `<prefix>.<pid>.<n>`:
        SQLite's own allocations (its page caches above all: `sqlite3_memory_used` of
        the library Python's sqlite3 module runs on), the Python objects the collector
        tracks, and how many of them were garbage in cycles (collected here)."""
        sqlite = ctypes.CDLL("libsqlite3.so.0")
        sqlite.sqlite3_memory_used.restype = ctypes.c_int64
        sqlite.sqlite3_memory_highwater.restype = ctypes.c_int64
        sqlite.sqlite3_memory_highwater.argtypes = [ctypes.c_int]
        objects = len(gc.get_objects())
        garbage = gc.collect()
        with open("/proc/self/status") as status:
            rss = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
        _parts.taken += 1  # type: ignore[attr-defined]
        path = f"{os.environ['BENCH_MEMORY_PROBE']}.{os.getpid()}.{_parts.taken}"  # type: ignore[attr-defined]
        figures = {
            "rss_mib": rss / 1024,
            "sqlite_mib": sqlite.sqlite3_memory_used() / 1048576,
            "sqlite_peak_mib": sqlite.sqlite3_memory_highwater(0) / 1048576,
            "objects": objects,
            "garbage": garbage,
        }
        with open(path + ".part", "w") as out:
            json.dump(figures, out)
        os.replace(path + ".part", path)

    _parts.taken = 0  # type: ignore[attr-defined]
    signal.signal(signal.SIGRTMIN + 3, _parts)
