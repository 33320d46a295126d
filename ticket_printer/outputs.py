"""Where a ticket's bytes go: a network printer (raw TCP, port 9100), a USB printer, or
a file (a device file such as /dev/usb/lp0, or a plain file for tests and halls
without a printer).

Every output has `send(data) -> PrinterStatus | None`. Before sending, the TCP and
USB outputs ask the printer for its real-time status (`DLE EOT 1` to `4`) and wait a
moment for the answer:

- paper out raises `PaperOut` and nothing is printed;
- cover open, or the printer offline, or no printer there at all, raises
  `PrinterOffline`;
- a cutter or unrecoverable error raises `PrinterError`, the base of the two above;
- a printer that does not answer the status query is sent the ticket all the same,
  and `send` returns None: sent, state unknown. So does a file.

A printer that answered returns its `PrinterStatus`, whose `paper_near_end` is worth
telling the desk about before the paper runs out.
"""

from __future__ import annotations

import logging
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

logger = logging.getLogger(__name__)

# DLE EOT n: transmit real-time status. n = 1 printer, 2 offline cause, 3 error cause,
# 4 roll paper sensor; one byte comes back for each, even while the printer is offline.
STATUS_QUERY = b"\x10\x04\x01\x10\x04\x02\x10\x04\x03\x10\x04\x04"
STATUS_BYTES = 4
# Each status byte has bits 1 and 4 set and bits 0 and 7 clear: 0xx1xx10.
STATUS_FIXED_MASK, STATUS_FIXED_BITS = 0x93, 0x12


FailureState = Literal["paper_out", "offline", "failed"]


class PrinterError(Exception):
    """The ticket was not printed. `state` is what the agent reports to the server."""

    state: FailureState = "failed"


class PrinterOffline(PrinterError):
    """No printer there, or it is offline (cover open, switched off, unplugged)."""

    state: FailureState = "offline"


class PaperOut(PrinterError):
    """The printer says it has no paper."""

    state: FailureState = "paper_out"


@dataclass(frozen=True)
class PrinterStatus:
    """What a printer reported in answer to `STATUS_QUERY`."""

    offline: bool
    cover_open: bool
    paper_out: bool
    paper_near_end: bool
    error: bool  # a cutter jam, an unrecoverable error or one that recovers by itself

    @classmethod
    def from_answer(cls, answer: bytes) -> PrinterStatus | None:
        """Read the four status bytes; None when they are not a status answer."""
        if len(answer) != STATUS_BYTES or any(byte & STATUS_FIXED_MASK != STATUS_FIXED_BITS for byte in answer):
            return None
        printer, offline_cause, error_cause, paper = answer
        return cls(
            offline=bool(printer & 0x08),
            cover_open=bool(offline_cause & 0x04),
            paper_out=bool(paper & 0x60) or bool(offline_cause & 0x20),
            paper_near_end=bool(paper & 0x0C),
            error=bool(offline_cause & 0x40) or bool(error_cause & 0x68),
        )

    def raise_for_status(self, printer: str) -> None:
        """Raise the error that keeps a ticket from printing, if there is one."""
        if self.paper_out:
            raise PaperOut(f"{printer} is out of paper")
        if self.cover_open:
            raise PrinterOffline(f"{printer} has its cover open")
        if self.error:
            raise PrinterError(
                f"{printer} reports an error (cutter jammed or a fault): check it and switch it off and on"
            )
        if self.offline:
            raise PrinterOffline(f"{printer} is offline")


class Output(Protocol):
    """Somewhere a ticket's bytes can be sent."""

    @property
    def description(self) -> str: ...

    def send(self, data: bytes) -> PrinterStatus | None: ...


@dataclass(frozen=True)
class TcpOutput:
    """A network printer's raw port (JetDirect, 9100): one connection a ticket."""

    host: str
    port: int = 9100
    timeout: float = 5.0  # connecting and sending, seconds
    status_timeout: float = 0.5  # how long to wait for the status answer

    @property
    def description(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"the printer at {host}:{self.port}"

    def send(self, data: bytes) -> PrinterStatus | None:
        try:
            connection = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except OSError as error:  # refused, timed out, unreachable, unknown host
            raise PrinterOffline(f"cannot reach {self.description}: {error}") from error
        with connection:
            try:
                status = self._status(connection)
                if status is not None:
                    status.raise_for_status(self.description)
                connection.settimeout(self.timeout)
                connection.sendall(data)
                connection.shutdown(socket.SHUT_WR)
                self._drain(connection)
            except PrinterError:
                raise
            except OSError as error:
                raise PrinterOffline(f"lost {self.description} while sending: {error}") from error
        return status

    def _status(self, connection: socket.socket) -> PrinterStatus | None:
        connection.settimeout(self.timeout)
        connection.sendall(STATUS_QUERY)
        answer = b""
        deadline = time.monotonic() + self.status_timeout
        while len(answer) < STATUS_BYTES:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            connection.settimeout(remaining)
            try:
                chunk = connection.recv(STATUS_BYTES - len(answer))
            except TimeoutError:
                break
            if not chunk:
                raise PrinterOffline(f"{self.description} closed the connection")
            answer += chunk
        status = PrinterStatus.from_answer(answer)
        if status is None:
            logger.info("%s gave no status (%r): sending without it", self.description, answer)
        return status

    def _drain(self, connection: socket.socket) -> None:
        """Read until the printer closes its side, or a moment has passed. Closing with
        unread bytes (a status answer that came late) would reset the connection, and a
        reset can throw away the end of the ticket before the printer has read it."""
        deadline = time.monotonic() + self.status_timeout
        while (remaining := deadline - time.monotonic()) > 0:
            connection.settimeout(remaining)
            try:
                if not connection.recv(1024):
                    return
            except TimeoutError:
                return


@dataclass(frozen=True)
class UsbOutput:
    """A USB printer through python-escpos and pyusb (libusb), found by vendor and
    product ID. Imported only when used: a desk with a network printer needs no libusb."""

    vendor_id: int
    product_id: int
    timeout_ms: int = 5000
    status_timeout_ms: int = 500
    in_endpoint: int = 0x82
    out_endpoint: int = 0x01

    @property
    def description(self) -> str:
        return f"the USB printer {self.vendor_id:04x}:{self.product_id:04x}"

    def send(self, data: bytes) -> PrinterStatus | None:
        try:
            import usb.core
        except ImportError as error:
            raise PrinterError("USB printing needs pyusb: pip install pyusb") from error
        from ticket_printer._escpos import exceptions, printer

        device = printer.Usb(
            self.vendor_id, self.product_id, timeout=self.timeout_ms, in_ep=self.in_endpoint, out_ep=self.out_endpoint
        )
        try:
            device.open()
        except exceptions.DeviceNotFoundError as error:
            raise PrinterOffline(f"{self.description} is not connected: {error}") from error
        except usb.core.NoBackendError as error:
            raise PrinterError("USB printing needs libusb: apt-get install libusb-1.0-0") from error
        try:
            status = self._status(device, usb.core)
            if status is not None:
                status.raise_for_status(self.description)
            device._raw(data)
        except usb.core.USBError as error:
            raise PrinterOffline(f"lost {self.description} while sending: {error}") from error
        finally:
            device.close()
        return status

    def _status(self, device: Any, usb_core: Any) -> PrinterStatus | None:
        """Ask for the status on the OUT endpoint and read the answer from the IN one.
        `device` is python-escpos's Usb, `usb_core` pyusb's `usb.core` (both untyped)."""
        answer = b""
        try:
            device._raw(STATUS_QUERY)
            while len(answer) < STATUS_BYTES:
                chunk = device.device.read(self.in_endpoint, 16, self.status_timeout_ms)
                if not chunk:
                    break
                answer += bytes(chunk)
        except usb_core.USBTimeoutError:
            pass
        except usb_core.USBError as error:  # a printer without an IN endpoint cannot answer
            logger.info("%s cannot report status: %s", self.description, error)
        return PrinterStatus.from_answer(answer[:STATUS_BYTES])


@dataclass(frozen=True)
class FileOutput:
    """Appends each ticket to a file: a printer's device file (/dev/usb/lp0 where the
    kernel's usblp driver has the printer), or a plain file to look at later."""

    path: Path

    @property
    def description(self) -> str:
        return f"the file {self.path}"

    def send(self, data: bytes) -> PrinterStatus | None:
        try:
            with self.path.open("ab") as file:
                file.write(data)
        except FileNotFoundError as error:
            raise PrinterOffline(f"{self.description} does not exist: {error}") from error
        except OSError as error:
            raise PrinterError(f"cannot write {self.description}: {error}") from error
        return None
