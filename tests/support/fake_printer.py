"""A fake network receipt printer for tests: a TCP server on a free loopback port that
keeps every byte it receives and answers the real-time status query (`DLE EOT n`) as
a printer in the state the test chose would.

    with FakePrinter() as printer:                      # ready, with paper
        TcpOutput("127.0.0.1", printer.port).send(data)
        printer.wait_for_connections(1)
        assert printer.received == STATUS_QUERY + data

`state` may be changed while it runs: "ready", "paper_near_end", "paper_out",
"cover_open", or "silent" (a printer that never answers a status query).
"""

from __future__ import annotations

import re
import socket
import threading
import time
from types import TracebackType

# One status byte for each DLE EOT n (n = 1 printer, 2 offline cause, 3 error cause,
# 4 paper sensor). Bits 1 and 4 are always set (0x12).
STATUS_ANSWERS: dict[str, dict[int, int] | None] = {
    "ready": {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12},
    "paper_near_end": {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12 | 0x0C},
    "paper_out": {1: 0x12 | 0x08, 2: 0x12 | 0x20, 3: 0x12, 4: 0x12 | 0x60},
    "cover_open": {1: 0x12 | 0x08, 2: 0x12 | 0x04, 3: 0x12, 4: 0x12},
    "silent": None,
}
_STATUS_REQUEST = re.compile(rb"\x10\x04([\x01-\x04])")
TIMEOUT = 10.0  # seconds a test waits for the printer before failing


class FakePrinter:
    def __init__(self, state: str = "ready") -> None:
        if state not in STATUS_ANSWERS:
            raise ValueError(f"unknown printer state {state!r}")
        self.state = state
        self.connections: list[bytes] = []  # every byte of each finished connection, in order
        self.finished_at: list[float] = []  # time.monotonic() as each connection ended (for bench/)
        self.status_requests: list[int] = []
        self._finished = threading.Condition()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._server.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, name="fake-printer", daemon=True)

    def __enter__(self) -> FakePrinter:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        # shutdown wakes the thread blocked in accept(); close alone would not
        self._server.shutdown(socket.SHUT_RDWR)
        self._server.close()
        self._thread.join(TIMEOUT)
        if self._thread.is_alive():
            raise AssertionError("the fake printer did not stop")

    @property
    def received(self) -> bytes:
        """Every byte of every finished connection, as one stream."""
        with self._finished:
            return b"".join(self.connections)

    def wait_for_connections(self, count: int, timeout: float = TIMEOUT) -> None:
        """Wait until `count` connections have been received to their end."""
        with self._finished:
            if not self._finished.wait_for(lambda: len(self.connections) >= count, timeout):
                raise AssertionError(f"the fake printer got {len(self.connections)} connections, not {count}")

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._server.accept()
            except OSError:  # closed by __exit__
                return
            with connection:
                self._receive(connection)

    def _receive(self, connection: socket.socket) -> None:
        connection.settimeout(TIMEOUT)
        data = b""
        scanned = 0
        while True:
            try:
                chunk = connection.recv(4096)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
            # real-time commands are answered as they arrive, even in the middle of a job
            # (a request split between two chunks starts at most two bytes before the new one)
            for request in _STATUS_REQUEST.finditer(data, max(0, scanned - 2)):
                n = request.group(1)[0]
                self.status_requests.append(n)
                answers = STATUS_ANSWERS[self.state]
                if answers is not None:
                    connection.sendall(bytes([answers[n]]))
            scanned = len(data)
        with self._finished:
            self.connections.append(data)
            self.finished_at.append(time.monotonic())
            self._finished.notify_all()
