"""The live server runs the worker class it is asked for (tests/e2e/conftest.py), so that a
test marked `both_workers` really is run on gevent as well as on eventlet."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.support.live import LiveServer, gunicorn_worker

pytestmark = [
    pytest.mark.both_workers,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the worker's /proc/PID/maps"),
]


def worker_pid(server: LiveServer) -> int:
    """The gunicorn worker: the only child of the master process."""
    assert server.process is not None
    return gunicorn_worker(server.process.pid)


def test_the_worker_runs_on_the_event_library_it_was_asked_for(server: LiveServer, live_worker: str) -> None:
    """gevent's compiled modules are loaded in a gevent worker and not in an eventlet one
    (the worker classes import only their own library: queue_server/workers.py)."""
    maps = Path(f"/proc/{worker_pid(server)}/maps").read_text()
    assert server.worker == live_worker
    assert ("/gevent/" in maps) is (live_worker == "gevent")
