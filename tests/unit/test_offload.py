"""Long reads off the hub: under eventlet a slow SQLite query offloaded to a real thread
leaves the hub free for other green threads (every call and screen); run on the hub, it
stops them. (That the reports use it: tests/integration/test_review_cases.py.)"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from queue_server.offload import call, offloader

# In a child process: eventlet's hub should not share a process with the tests that run
# the app under threading.
HUB_PROBE = textwrap.dedent(
    """
    import sqlite3
    import sys
    import eventlet
    from queue_server.offload import call, offloader

    offload = offloader("eventlet") if sys.argv[1] == "off-hub" else call
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    SLOW = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000) SELECT count(*) FROM n"
    ticks = []
    running = [True]

    def other_green_thread():  # a screen's websocket, a /health request
        while running[0]:
            ticks.append(1)
            eventlet.sleep(0)

    eventlet.spawn(other_green_thread)
    eventlet.sleep(0)  # let it start
    before = len(ticks)
    assert offload(lambda: conn.execute(SLOW).fetchone()[0]) == 3000000
    during = len(ticks) - before
    running[0] = False
    print(during)
    """
)


@pytest.mark.parametrize(("mode", "hub_runs"), [("off-hub", True), ("on-hub", False)], ids=["tpool", "on-the-hub"])
def test_under_eventlet_the_hub_runs_while_a_long_read_is_offloaded(mode: str, hub_runs: bool) -> None:
    done = subprocess.run(
        [sys.executable, "-c", HUB_PROBE, mode], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert (int(done.stdout.strip()) > 0) is hub_runs


def test_the_async_mode_is_named_never_guessed() -> None:
    assert offloader("threading") is call
    with pytest.raises(ValueError, match="unknown async mode"):
        offloader("asyncio")
