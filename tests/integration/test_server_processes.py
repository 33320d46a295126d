"""Which server processes may serve one database: a second server without a message
queue is refused at start-up, saying who holds the database and what to do; the command
line works beside any server; servers that share Redis start side by side."""

from __future__ import annotations

import ctypes.util
import os
import resource
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

from queue_server.app import close_app, create_app
from queue_server.cli import gunicorn_command, main
from queue_server.config import ConfigError
from tests.conftest import TEST_CONFIG
from tests.support.fresh_python import run_script
from tests.support.live import free_port, gunicorn_worker, wait_until_answering

COMMAND_LINE = {**TEST_CONFIG, "PUBLISHES": False, "BACKGROUND_JOBS": False}
NO_WAIT = {**TEST_CONFIG, "SERVER_LOCK_WAIT": 0}


def instance_of(app: Flask) -> str:
    return app.instance_path


def test_a_second_server_without_a_message_queue_is_refused_and_says_why(app: Flask) -> None:
    """`app` serves its database; a second server on it stops at start-up naming the
    first one's process and the two ways out."""
    with pytest.raises(ConfigError) as refused:
        create_app(NO_WAIT, instance_path=instance_of(app))
    message = str(refused.value)
    assert f"a server process (pid {os.getpid()} on " in message
    assert "without a message queue serves" in message and "hall-queue.sqlite3" in message
    assert "Without MESSAGE_QUEUE only one server process may serve a database" in message
    assert "stop the other one, or give every server process the same MESSAGE_QUEUE=redis://" in message


def test_the_command_line_works_beside_a_running_server(app: Flask) -> None:
    beside = create_app(COMMAND_LINE, instance_path=instance_of(app))
    close_app(beside)
    environment = {"QUEUE_SECRET_KEY": TEST_CONFIG["SECRET_KEY"], "QUEUE_INSTANCE_PATH": instance_of(app)}
    result = CliRunner().invoke(main, ["--instance", instance_of(app), "sweep", "--hall", "demo"], env=environment)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("demo: ")


def test_a_server_that_stopped_leaves_the_database_to_the_next_at_once(app: Flask) -> None:
    close_app(app)  # as the process ending would, however it ends
    after = create_app(NO_WAIT, instance_path=instance_of(app))
    close_app(after)


def test_a_server_waits_for_the_one_it_replaces_to_stop(app: Flask) -> None:
    """gunicorn's reload starts the new worker before the old one has stopped: the new
    one waits for the database (here the old one stops 0.3 s later), then starts."""
    stopping = threading.Timer(0.3, app.extensions["hall_queue"]["store"].close)
    stopping.start()
    try:
        after = create_app({**TEST_CONFIG, "SERVER_LOCK_WAIT": 10}, instance_path=instance_of(app))
    finally:
        stopping.join()
    close_app(after)


def test_servers_sharing_redis_start_side_by_side_but_not_beside_one_without(app: Flask, redis_url: str) -> None:
    shared = {**NO_WAIT, "MESSAGE_QUEUE": redis_url}
    with pytest.raises(ConfigError, match="without a message queue serves"):
        create_app(shared, instance_path=instance_of(app))  # `app` has none
    close_app(app)
    first = create_app(shared, instance_path=instance_of(app))
    second = create_app(shared, instance_path=instance_of(app))
    with pytest.raises(ConfigError) as refused:
        create_app(NO_WAIT, instance_path=instance_of(app))
    assert "with a message queue serves" in str(refused.value)
    for server in (first, second):
        server.extensions["hall_queue"]["realtime"].close()
        close_app(server)


@pytest.mark.parametrize(
    "queue",
    ["amqp://guest@localhost//", "redis", "kafka://localhost:9092", 6379],
    ids=["amqp", "no-scheme", "kafka", "number"],
)
def test_a_message_queue_other_than_redis_is_refused(tmp_path: Path, queue: object) -> None:
    with pytest.raises(ConfigError, match="MESSAGE_QUEUE must be a redis:// or rediss:// URL"):
        create_app({**TEST_CONFIG, "MESSAGE_QUEUE": queue}, instance_path=str(tmp_path / "instance"))


@pytest.mark.parametrize("after", [-1, 2.5, True, "100"])
def test_a_memory_trim_setting_that_is_not_a_count_is_refused(tmp_path: Path, after: object) -> None:
    with pytest.raises(ConfigError, match="MEMORY_TRIM_AFTER must be a whole number"):
        create_app({**TEST_CONFIG, "MEMORY_TRIM_AFTER": after}, instance_path=str(tmp_path / "instance"))


def test_the_worker_raises_its_file_limit_for_its_connections() -> None:
    """Each screen's websocket holds a file descriptor: a worker started under the usual
    soft limit of 1,024 raises it towards gunicorn's --worker-connections (as far as the
    hard limit lets it), or it could never hold more than about a thousand screens."""
    script = (
        "import resource\n"
        "from queue_server.cli import WORKER_CONNECTIONS\n"
        "from queue_server.workers import raise_file_limit\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (1024, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))\n"
        "print(*raise_file_limit(WORKER_CONNECTIONS), WORKER_CONNECTIONS)\n"
        "print(resource.getrlimit(resource.RLIMIT_NOFILE)[0])\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    (soft, hard, wanted), (now,) = (map(int, line.split()) for line in done.stdout.splitlines()[-2:])
    assert soft == now
    assert soft == min(wanted + 256, hard) if hard != resource.RLIM_INFINITY else soft == wanted + 256
    assert "--worker-connections" in gunicorn_command("127.0.0.1:1")


# The worker's module, as gunicorn imports it, in a process of its own.
WORKER_MODULE = """
import gc, json, sys
import queue_server.wsgi
frozen = gc.get_freeze_count()

class Link:
    def __init__(self):
        self.me = self

Link()  # garbage in a cycle, made after the freeze
print(json.dumps({"frozen": frozen, "collected": gc.collect(), "pandas": sys.modules.get("pandas", "absent")}))
"""


def test_the_worker_module_freezes_what_it_built_and_still_collects_what_comes_after(tmp_path: Path) -> None:
    """`queue_server.wsgi` freezes the objects of its imports and app, so that the cycle
    collector's full passes (which hold the hub) walk only what came after, and marks
    pandas missing (sqlite-utils would import it: about 45 MiB)."""
    instance = tmp_path / "instance"
    runner = CliRunner()
    assert runner.invoke(main, ["init"], env={"QUEUE_INSTANCE_PATH": str(instance)}).exit_code == 0
    environment = {
        **os.environ,
        "QUEUE_INSTANCE_PATH": str(instance),
        "QUEUE_ASYNC_MODE": "threading",
        "QUEUE_BACKGROUND_JOBS": "false",
    }
    found = run_script(WORKER_MODULE, env=environment)
    assert found["frozen"] > 10_000  # the imports' and the app's objects
    assert found["collected"] >= 1  # the Link: the collector still runs
    assert found["pandas"] is None


def test_serve_runs_the_worker_on_jemalloc_when_asked(tmp_path: Path) -> None:
    """`queue-server serve --allocator jemalloc`: the worker that answers has jemalloc
    loaded and Python's objects on it (docs/operations.md, "Memory")."""
    if ctypes.util.find_library("jemalloc") is None:
        pytest.skip("libjemalloc2 is not installed (apt-get install libjemalloc2)")
    instance = tmp_path / "instance"
    assert CliRunner().invoke(main, ["--instance", str(instance), "init"]).exit_code == 0
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "PYTHONMALLOC")}
    command = [sys.executable, "-m", "queue_server.cli", "--instance", str(instance), "serve", "--port", str(port)]
    log_path = tmp_path / "server.log"
    with log_path.open("ab") as log:
        server = subprocess.Popen(
            [*command, "--allocator", "jemalloc"],
            env={**environment, "QUEUE_LOG_LEVEL": "WARNING"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_answering(server, f"http://127.0.0.1:{port}/api/v1/health", log_path, timeout=60)
        worker = gunicorn_worker(server.pid)  # serve became gunicorn's master
        maps = Path(f"/proc/{worker}/maps").read_text()
        assert "libjemalloc.so.2" in maps
        worker_environment = Path(f"/proc/{worker}/environ").read_bytes().split(b"\0")
        assert b"PYTHONMALLOC=malloc" in worker_environment
    finally:
        server.terminate()
        server.wait(30)


def test_serve_says_what_to_install_when_jemalloc_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    instance = tmp_path / "instance"
    assert CliRunner().invoke(main, ["--instance", str(instance), "init"]).exit_code == 0
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    result = CliRunner().invoke(main, ["--instance", str(instance), "serve", "--allocator", "jemalloc"])
    assert result.exit_code == 4  # RestartPreventExitStatus=4 in docs/deployment.md: no restart loop
    assert "libjemalloc.so.2 is not installed (Debian: apt-get install libjemalloc2)" in result.output
    assert os.environ.get("LD_PRELOAD") != "libjemalloc.so.2"  # refused before the environment changed
