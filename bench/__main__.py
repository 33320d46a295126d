"""`python -m bench`: every benchmark with its defaults, each report as it finishes,
then a summary of the headline figures. Exits non-zero if any saw a failure."""

from __future__ import annotations

import sys
import time

from bench import (
    broadcast,
    call_latency,
    cli_write,
    hall_day,
    issue_rate,
    login_stall,
    print_jobs,
    reports_load,
    review_feed,
)
from bench.common import stop_cleanly_on_signals, table

BENCHMARKS = (
    ("issue_rate", issue_rate),
    ("call_latency", call_latency),
    ("broadcast", broadcast),
    ("cli_write", cli_write),
    ("login_stall", login_stall),
    ("print_jobs", print_jobs),
    ("review_feed", review_feed),
    ("reports_load", reports_load),
    ("hall_day", hall_day),
)


def main(argv: list[str] | None = None) -> int:
    names = argv if argv is not None else sys.argv[1:]
    unknown = set(names) - {name for name, _ in BENCHMARKS}
    if unknown:
        print(f"usage: python -m bench [{' '.join(n for n, _ in BENCHMARKS)}]  (default: all)", file=sys.stderr)
        return 2
    stop_cleanly_on_signals()
    rows: list[list[object]] = []
    all_ok = True
    for name, module in BENCHMARKS:
        if names and name not in names:
            continue
        began = time.monotonic()
        text, ok, summary = module.run(module.parse_args([]))
        print(f"==== {name} ({time.monotonic() - began:.0f} s){'' if ok else '  -- FAILURES, see the notes'}")
        print(text, end="\n\n", flush=True)
        rows += [[f"{name}: {label}", *rest] for label, *rest in summary]
        all_ok = all_ok and ok
    print("==== summary")
    print(table(["figure", "rate", "latency / size"], rows))
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
