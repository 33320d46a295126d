"""A stand-in for the external 好差评 platform: a threaded HTTP server on a loopback port
that checks each post's signature and keeps it, and that can be told to misbehave.

Modes (`receiver.mode = ...`, or `set_mode`):
- `accept`: 201 with a small JSON answer (after `delay` seconds, for a slow platform);
  a key it already took is answered 200 `{"duplicate": true}` and counted, as a real
  platform that honours Idempotency-Key would;
- `refuse`: not listening at all (connection refused), open connections cut;
- `timeout`: takes the request, then holds it `hold` seconds and closes without an answer;
- `error`: 500 (with `retry_after` as Retry-After, when set);
- and, in any mode that answers, `reject[key] = (status, body)` refuses that key so.

`deliveries` lists every post that reached it; `accepted` the keys it took (first time),
in order. `python -m tests.support.feed_receiver --port P --secret S --delay 0.05` runs
one alone (the bench's), answering `GET /stats` with its counts.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from queue_server.domain import review_feed

MODES = ("accept", "refuse", "timeout", "error")


@dataclass
class Delivery:
    key: str | None
    body: bytes
    signature_ok: bool
    timestamp: str | None
    answered: int | None  # the status it answered, None: none (timeout)
    at: float = field(default_factory=time.monotonic)

    def json(self) -> Any:
        return json.loads(self.body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    receiver: FeedReceiver


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a platform behind nginx would
    # the head and the body leave in two writes: without this, Nagle holds the body back
    # until the sender's delayed ACK of the head, 40 ms later
    disable_nagle_algorithm = True
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.receiver._opened(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.receiver._closed(self.connection)

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the tests read `deliveries`
        pass

    def do_GET(self) -> None:
        stats = self.server.receiver.stats()
        self._answer(200, json.dumps(stats).encode())

    def do_POST(self) -> None:
        receiver = self.server.receiver
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        key = self.headers.get("Idempotency-Key")
        signature_ok = review_feed.signature_matches(
            receiver.secret, body, self.headers.get(review_feed.SIGNATURE_HEADER)
        )
        timestamp = self.headers.get(review_feed.TIMESTAMP_HEADER)
        status, answer, headers = receiver._decide(key, signature_ok)
        if status is None:  # timeout: hold, then hang up without a word
            receiver._note(Delivery(key, body, signature_ok, timestamp, None))
            time.sleep(receiver.hold)
            self.close_connection = True
            return
        if receiver.delay:
            time.sleep(receiver.delay)
        receiver._note(Delivery(key, body, signature_ok, timestamp, status))
        self._answer(status, answer, headers)

    def _answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


class FeedReceiver:
    def __init__(self, secret: str, port: int = 0, *, delay: float = 0.0, hold: float = 5.0) -> None:
        self.secret = secret
        self.delay = delay
        self.hold = hold
        self.retry_after: str | None = None
        self.reject: dict[str, tuple[int, str]] = {}
        self.deliveries: list[Delivery] = []
        self.accepted: list[str] = []
        self.duplicates: list[str] = []
        self.bad_signatures = 0
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._mode = "accept"
        self.port = port
        self._listen()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/ratings"

    @property
    def mode(self) -> str:
        return self._mode

    @mode.setter
    def mode(self, mode: str) -> None:
        self.set_mode(mode)

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        if mode == "refuse" and self._server is not None:
            self._stop_listening()
        elif mode != "refuse" and self._server is None:
            self._listen()
        self._mode = mode

    def close(self) -> None:
        self._stop_listening()

    def __enter__(self) -> FeedReceiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- what it saw ---------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "deliveries": len(self.deliveries),
                "accepted": len(self.accepted),
                "duplicates": len(self.duplicates),
                "bad_signatures": self.bad_signatures,
            }

    def wait_for(self, count: int, timeout: float) -> bool:
        """Wait until `count` distinct keys were taken."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.accepted) >= count:
                    return True
            time.sleep(0.02)
        return False

    def statuses(self) -> list[int | None]:
        with self._lock:
            return [d.answered for d in self.deliveries]

    # ---- inside --------------------------------------------------------------------

    def _decide(self, key: str | None, signature_ok: bool) -> tuple[int | None, bytes, dict[str, str]]:
        if not signature_ok:
            with self._lock:
                self.bad_signatures += 1
            return 401, b'{"error":"bad signature"}', {}
        if self._mode == "timeout":
            return None, b"", {}
        if self._mode == "error":
            headers = {"Retry-After": self.retry_after} if self.retry_after else {}
            return 500, b'{"error":"platform down"}', headers
        if key is not None and key in self.reject:
            status, text = self.reject[key]
            return status, text.encode(), {}
        if key is None:
            return 400, b'{"error":"no Idempotency-Key"}', {}
        with self._lock:
            if key in self.accepted:
                self.duplicates.append(key)
                return 200, b'{"duplicate":true}', {}
            self.accepted.append(key)
        return 201, json.dumps({"received": key}).encode(), {}

    def _note(self, delivery: Delivery) -> None:
        with self._lock:
            self.deliveries.append(delivery)

    def _opened(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.add(connection)

    def _closed(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.discard(connection)

    def _listen(self) -> None:
        server = _Server(("127.0.0.1", self.port), _Handler)
        server.receiver = self
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def _stop_listening(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        with self._lock:
            open_ones = list(self._connections)
        for connection in open_ones:  # kept-alive connections too: nothing gets through
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(5)


def main() -> None:
    parser = argparse.ArgumentParser(description="a stand-in 好差评 platform on a loopback port")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each answer")
    args = parser.parse_args()
    receiver = FeedReceiver(args.secret, args.port, delay=args.delay)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        receiver.close()


if __name__ == "__main__":
    main()
