"""Several processes on one hall: the command line's writes reach the screens of every
server process exactly once, with Redis as the message queue between two servers on
the same database (issue 6, "one write path")."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from queue_server.cli import demo_hall_toml
from tests.e2e.helpers import Screen, server_errors
from tests.support.live import LiveServer


def queue_server(instance: Path, *args: str) -> str:
    """`queue-server` as an operator runs it, in a process of its own."""
    done = subprocess.run(
        [sys.executable, "-m", "queue_server.cli", "--instance", str(instance), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_command_lines_writes_reach_every_server_process_once(
    tmp_path: Path, redis_url: str, connect: Callable[..., Screen]
) -> None:
    first = LiveServer(tmp_path / "instance", environment={"QUEUE_MESSAGE_QUEUE": redis_url})
    first.prepare()
    second = LiveServer(first.instance, environment=first.environment, tokens=first.tokens)
    try:
        first.start()
        second.start()
        screens = [connect(server, token=first.tokens["hall_screen"]) for server in (first, second)]
        for screen in screens:
            screen.subscribe()
        hall_file = tmp_path / "demo.toml"
        hall_file.write_text(
            demo_hall_toml(always_open=True).replace("示范区政务服务中心", "示范区政务服务中心（新）", 1)
        )
        queue_server(first.instance, "import-hall", str(hall_file))
        for screen in screens:
            assert screen.wait_for("hall_updated")["name"] == "示范区政务服务中心（新）"
        queue_server(first.instance, "sweep", "--include-today")  # a second relayed write, later
        queue_server(first.instance, "import-hall", str(hall_file))
        for screen in screens:
            screen.wait_for("hall_updated", lambda payload: payload["revision"] == 3)
            assert len(screen.received("hall_updated")) == 2  # each relayed once, by one server only
        assert server_errors(first) == [] and server_errors(second) == []
    finally:
        second.kill()
        first.kill()
