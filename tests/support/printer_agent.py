"""The real printer agent for end-to-end tests and benchmarks: the `ticket-printer`
command in a process of its own, with the printer's device token in its environment
(as a desk PC would have it), printing to a network printer, usually the fake one of
tests/support/fake_printer.py.

    with AgentProcess(server.url, server.tokens["printer"], printer.port, log) as agent:
        agent.start()
        ...
        agent.stop()      # SIGTERM, as systemd would; returns its exit status
        agent.start()     # the same agent again: a new run, remembering nothing
    # leaving the block kills it if it still runs
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from types import TracebackType

STOP_TIMEOUT = 30  # seconds for the agent to leave after SIGTERM


# The agent with SIGTERM blocked on its main thread (and so on every thread it starts
# later), open only on one idle thread started first: the kernel must hand the signal to
# that thread, as it may any of the agent's threads, and the main thread has to notice.
SIGNAL_ELSEWHERE = """
import signal, sys, threading
threading.Thread(target=threading.Event().wait, daemon=True).start()
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
from ticket_printer.cli import main
sys.argv[0] = "ticket-printer"
main()
"""


def command(*, signal_elsewhere: bool = False) -> list[str]:
    """The installed console script if there is one, else the same entry point by module."""
    if signal_elsewhere:
        return [sys.executable, "-c", SIGNAL_ELSEWHERE]
    script = Path(sys.executable).with_name("ticket-printer")
    return [str(script)] if script.exists() else [sys.executable, "-m", "ticket_printer.cli"]


class AgentProcess:
    def __init__(
        self,
        server: str,
        token: str,
        printer_port: int,
        log_path: Path,
        *,
        paper: str = "80",
        signal_elsewhere: bool = False,
    ) -> None:
        self.command = command(signal_elsewhere=signal_elsewhere)
        self.arguments = ["--server", server, "--tcp", f"127.0.0.1:{printer_port}", "--paper", paper]
        self.environment = {**os.environ, "TICKET_PRINTER_TOKEN": token, "PYTHONUNBUFFERED": "1"}
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> AgentProcess:
        assert self.process is None or self.process.poll() is not None, "the agent is running already"
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [*self.command, *self.arguments],
                env=self.environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C in the test's terminal is not the agent's
            )
        return self

    def stop(self) -> int:
        """SIGTERM, and wait for it to leave; its exit status."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STOP_TIMEOUT)
                raise AssertionError(f"the agent did not stop on SIGTERM:\n{self.log()}") from None
        return self.process.returncode

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def __enter__(self) -> AgentProcess:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(STOP_TIMEOUT)
