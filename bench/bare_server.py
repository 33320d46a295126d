"""The bare baseline: a Flask-SocketIO app that does nothing but what a broadcast needs,
run by the same gunicorn command with the same eventlet worker as the server
(`queue_server.cli.gunicorn_command`), so that a benchmark can print our figures beside
the framework's own in one run.

Screens connect to it exactly as to ours (`bench.lean_client`): a device token as the
Socket.IO auth (compared with `BARE_TOKEN`), then `subscribe` with `{"hall": …}`, which
joins one room and is acknowledged `{"ok": true, "data": {…}}`. The bench triggers each
broadcast with

    POST /emit {"event": "ticket_called", "number": "A001", "size": 900}

which emits `event` to the hall's room with the payload `{"hall", "ticket": {"number"},
"pad"}` padded so that the frame on the wire (`42["ticket_called",{…}]`) is `size`
bytes: the size measured on our server's frames for the same event. Same ping interval
and timeout as ours (PING_INTERVAL, PING_TIMEOUT: 10 s).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, jsonify, request
from flask_socketio import ConnectionRefusedError, SocketIO, join_room

# Nothing of queue_server or tests here at module level: the worker imports this module,
# and the baseline's memory must be the framework's alone. The launcher below imports lazily.
REPOSITORY = Path(__file__).resolve().parent.parent


def frame(event: str, payload: dict[str, Any]) -> str:
    """The text frame python-socketio sends for an emit on the default namespace."""
    return "42" + json.dumps([event, payload], separators=(",", ":"))


def padded(event: str, hall: str, number: str, size: int) -> dict[str, Any]:
    payload: dict[str, Any] = {"hall": hall, "ticket": {"number": number}, "pad": ""}
    payload["pad"] = "x" * max(size - len(frame(event, payload).encode()), 0)
    return payload


def create_app(token: str, ping_interval: float = 10, ping_timeout: float = 10, async_mode: str = "eventlet") -> Flask:
    app = Flask(__name__)
    socketio = SocketIO(app, async_mode=async_mode, ping_interval=ping_interval, ping_timeout=ping_timeout)

    @socketio.on("connect")
    def connect(auth: Any = None) -> None:
        if not isinstance(auth, dict) or auth.get("token") != token:
            raise ConnectionRefusedError("unknown token")

    @socketio.on("subscribe")
    def subscribe(data: Any = None) -> dict[str, Any]:
        hall = data.get("hall") if isinstance(data, dict) else None
        if not isinstance(hall, str):
            return {"ok": False, "problem": {"detail": "hall missing"}}
        join_room(f"hall:{hall}")
        return {"ok": True, "data": {"scope": {"hall": hall, "zone": None, "window": None}}}

    @app.get("/health")
    def health() -> Any:
        return jsonify(status="ok")

    @app.post("/emit")
    def emit() -> Any:
        body = request.get_json()
        hall = body.get("hall", "demo")
        payload = padded(body["event"], hall, body["number"], int(body.get("size", 0)))
        socketio.emit(body["event"], payload, to=f"hall:{hall}")
        return jsonify(ok=True)

    return app


@dataclass
class BareServer:
    """gunicorn with one worker of the server's own class (LIVE_WORKER, eventlet by
    default, as our live server's), serving this app."""

    token: str
    instance: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    environment: dict[str, str] = field(default_factory=dict)  # beside BARE_*, e.g. PYTHONMALLOC

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.instance / f"bare-{self.port}.log"

    def start(self, timeout: float = 60) -> None:
        from queue_server.cli import gunicorn_command
        from queue_server.config import DEFAULTS
        from tests.support.live import default_worker, free_port, wait_until_answering

        worker = default_worker()

        self.port = self.port or free_port()
        settings = {
            "BARE_TOKEN": self.token,
            "BARE_PING_INTERVAL": str(DEFAULTS["PING_INTERVAL"]),  # the server's own defaults
            "BARE_PING_TIMEOUT": str(DEFAULTS["PING_TIMEOUT"]),
            "BARE_ASYNC_MODE": worker,
            **self.environment,
        }
        command = gunicorn_command(
            f"127.0.0.1:{self.port}", async_mode=worker, extra=("--log-level", "warning", "--chdir", str(REPOSITORY))
        )
        command[-1] = "bench.bare_server:app"
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            command, env={**os.environ, **settings}, stdout=log, stderr=log, start_new_session=True
        )
        wait_until_answering(self.process, f"{self.url}/health", self.log_path, timeout)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)


# gunicorn imports `bench.bare_server:app`; the bench sets the token in its environment
app = (
    create_app(
        os.environ["BARE_TOKEN"],
        float(os.environ.get("BARE_PING_INTERVAL", 10)),
        float(os.environ.get("BARE_PING_TIMEOUT", 10)),
        os.environ.get("BARE_ASYNC_MODE", "eventlet"),
    )
    if "BARE_TOKEN" in os.environ
    else None
)
