"""Lean hall screens: many Socket.IO links in one asyncio process, cheap enough that the
server, not the clients, is the limit of a benchmark (500 python-socketio clients eat
about 1.4 cores; these about a tenth of that).

Each screen is one aiohttp websocket speaking Engine.IO v4 / Socket.IO v5 itself, as a
hall screen's page does through socket.io-client (`signage/static/link.js`):

    GET /socket.io/?EIO=4&transport=websocket       the websocket, no polling first
    <- 0{"sid":…,"pingInterval":…}                  Engine.IO open
    -> 40{"token":"<device token>"}                  Socket.IO connect to "/", the token as auth
    <- 40{"sid":…}   (or 44{"message":…}: refused)
    -> 420["subscribe",{"hall":"demo"}]             subscribe, acknowledgement id 0
    <- 430[{"ok":true,"data":{…}}]
    <- 2   -> 3                                      the server's ping, answered
    <- 42["ticket_called",{…}]                       events

Only the events named in `timed` are parsed (JSON, for their ticket's number); every
other event is counted by name from its first bytes. Arrival times are
`time.monotonic()`, one clock for every process on Linux.

The API, for a benchmark's own loop:

    screens = await connect_screens(url, token, 500, hall="demo")   # or zone="1f"
    ...                                            # make the calls
    screens.arrivals["A001"]                       # arrival times of A001's ticket_called
    await screens.close()

or, in a child process of its own, `ScreenProcesses(url, token, 1000, processes=2)`
(`wait_ready()`, `collect(numbers, drain)`, `close()`, `cpu_seconds()`), which
`bench.broadcast` uses.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import os
import resource
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import aiohttp

# Nothing of queue_server (or bench.common, which imports it) here: each child process
# imports this module alone and stays small (the server's modules are over 100 MiB).

CONNECT_BATCH = 50  # links opened at once: the worker takes them in turn anyway
EVENT = "42"  # Socket.IO EVENT packet on the default namespace, inside an Engine.IO MESSAGE


@dataclass
class Screens:
    """The links of one process and what they received."""

    timed: tuple[str, ...]
    arrivals: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))  # number -> times
    events: Counter[str] = field(default_factory=Counter)  # every event name received, timed or not
    sizes: dict[str, int] = field(default_factory=dict)  # event name -> its last frame's length in bytes
    disconnects: Counter[str] = field(default_factory=Counter)  # why links ended before close()
    errors: list[str] = field(default_factory=list)  # why links could not connect
    connected: int = 0
    _session: aiohttp.ClientSession | None = None
    _links: list[aiohttp.ClientWebSocketResponse] = field(default_factory=list)
    _readers: list[asyncio.Task[None]] = field(default_factory=list)
    _closing: bool = False

    async def close(self) -> None:
        """Close every link (a websocket close, as a page that goes away) and the session."""
        self._closing = True
        await asyncio.gather(*(link.close() for link in self._links), return_exceptions=True)
        for reader in self._readers:
            reader.cancel()
        await asyncio.gather(*self._readers, return_exceptions=True)
        self._links.clear()
        self._readers.clear()
        self.connected = 0
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _received(self, text: str, now: float) -> None:
        if not text.startswith(EVENT):
            return
        end = text.find('"', 4)
        name = text[4:end]  # 42["name", …
        self.events[name] += 1
        self.sizes[name] = len(text)  # bytes too: python-socketio's JSON is ASCII (ensure_ascii)
        if name in self.timed:
            payload = json.loads(text[2:])[1]
            self.arrivals[payload["ticket"]["number"]].append(now)

    async def _read(self, link: aiohttp.ClientWebSocketResponse) -> None:
        reason = "closed by the server"
        try:
            async for message in link:
                if message.type is not aiohttp.WSMsgType.TEXT:
                    break
                text = message.data
                if text == "2":  # Engine.IO ping: answer, or the server drops the link
                    await link.send_str("3")
                else:
                    self._received(text, time.monotonic())
        except Exception as error:  # counted, not raised: one bad link must not stop the rest
            reason = f"{type(error).__name__}: {error}"
        if not self._closing:
            self.disconnects[reason] += 1
            self.connected -= 1


async def _open(
    session: aiohttp.ClientSession, url: str, token: str, subscribe: dict[str, Any], timeout: float
) -> aiohttp.ClientWebSocketResponse:
    """One link, connected and subscribed; raises with the reason when it cannot be
    (or TimeoutError after `timeout` seconds: a server that never answers the upgrade)."""
    async with asyncio.timeout(timeout):
        link = await session.ws_connect(f"{url}/socket.io/?EIO=4&transport=websocket")
        try:
            opened = await link.receive_str()
            if not opened.startswith("0"):
                raise RuntimeError(f"no Engine.IO open packet: {opened[:80]!r}")
            await link.send_str("40" + json.dumps({"token": token}))
            while (answer := await link.receive_str()) == "2":
                await link.send_str("3")
            if not answer.startswith("40"):
                raise RuntimeError(f"connect refused: {answer[:200]}")
            await link.send_str("420" + json.dumps(["subscribe", subscribe]))
            while not (answer := await link.receive_str()).startswith("430"):
                if answer == "2":
                    await link.send_str("3")  # events before the ack are not timed: not subscribed yet
            acknowledgement = json.loads(answer[3:])[0]
            if not acknowledgement.get("ok"):
                raise RuntimeError(f"subscribe refused: {str(acknowledgement)[:200]}")
        except BaseException:
            await link.close()
            raise
    return link


async def connect_screens(
    url: str,
    token: str,
    count: int,
    *,
    hall: str,
    zone: str | None = None,
    timed: Iterable[str] = ("ticket_called",),
    timeout: float = 30,
    batch: int = CONNECT_BATCH,
) -> Screens:
    """`count` hall screens connected with the device `token` and subscribed to `hall`
    (or one `zone` of it), `batch` at a time. Links that fail are in `errors`, not raised."""
    screens = Screens(tuple(timed))
    # no connection limit: each websocket holds its connection for its whole life
    screens._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    subscribe: dict[str, Any] = {"hall": hall} if zone is None else {"hall": hall, "zone": zone}
    for start in range(0, count, batch):
        outcomes = await asyncio.gather(
            *(_open(screens._session, url, token, subscribe, timeout) for _ in range(min(batch, count - start))),
            return_exceptions=True,
        )
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                screens.errors.append(f"{type(outcome).__name__}: {outcome}")
            else:
                screens._links.append(outcome)
                screens._readers.append(asyncio.create_task(screens._read(outcome)))
                screens.connected += 1
    return screens


# ---- in child processes --------------------------------------------------------------
#
#   child  -> ("ready", stats)              every link connected (or failed) and subscribed
#   parent -> ("collect", numbers, wait_s)  these tickets were called: wait for them, report
#   child  -> ("results", arrivals, stats)  number -> arrival times; arrivals are then cleared
#   parent -> ("close",)                    close every link
#   child  -> ("closed", stats)             and the process ends


def _stats(screens: Screens, began: float) -> dict[str, Any]:
    return {
        "connected": screens.connected,
        "failed": len(screens.errors),
        "errors": screens.errors[:3],
        "connect_s": time.monotonic() - began,
        "disconnects": dict(screens.disconnects),
        "events": dict(screens.events),
        "sizes": dict(screens.sizes),
    }


async def _child(url: str, token: str, hall: str, count: int, conn: Connection, time_limit: float) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < count + 256 <= hard or (hard == resource.RLIM_INFINITY and soft < count + 256):
        resource.setrlimit(resource.RLIMIT_NOFILE, (count + 256, hard))  # one descriptor per link
    began = time.monotonic()
    deadline = began + time_limit
    screens = await connect_screens(url, token, count, hall=hall)
    conn.send(("ready", _stats(screens, began)))
    try:
        while time.monotonic() < deadline:
            if not conn.poll():
                await asyncio.sleep(0.05)  # the loop keeps taking events meanwhile
                continue
            message = conn.recv()
            if message[0] == "close":
                break
            _, numbers, wait_s = message
            until = min(time.monotonic() + wait_s, deadline)
            while time.monotonic() < until and any(
                len(screens.arrivals.get(n, ())) < screens.connected for n in numbers
            ):
                await asyncio.sleep(0.02)  # the last events may still be on their way
            conn.send(("results", dict(screens.arrivals), _stats(screens, began)))
            screens.arrivals.clear()
    finally:
        stats = _stats(screens, began)
        await screens.close()
        conn.send(("closed", stats))


def _run_child(url: str, token: str, hall: str, count: int, conn: Connection, time_limit: float) -> None:
    asyncio.run(_child(url, token, hall, count, conn, time_limit))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time `pid` has used so far (as `bench.common.cpu_seconds`)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def shares(count: int, parts: int) -> list[int]:
    return [count // parts + (1 if i < count % parts else 0) for i in range(parts)]


class ScreenProcesses:
    """`count` lean screens split over `processes` child processes (multiprocessing's
    spawn), each its own asyncio loop."""

    def __init__(self, url: str, token: str, hall: str, count: int, processes: int, time_limit: float) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipes: list[Connection] = []
        self.children: list[multiprocessing.process.BaseProcess] = []
        for share in shares(count, processes):
            parent_end, child_end = context.Pipe()
            child = context.Process(
                target=_run_child, args=(url, token, hall, share, child_end, time_limit), daemon=True
            )
            child.start()
            self.pipes.append(parent_end)
            self.children.append(child)

    def _receive(self, pipe: Connection, timeout: float, what: str) -> Any:
        if not pipe.poll(timeout):
            raise RuntimeError(f"a screens process did not report {what} within {timeout:.0f} s")
        return pipe.recv()

    def wait_ready(self, timeout: float) -> dict[str, Any]:
        """Every child's stats once connected, summed up."""
        deadline = time.monotonic() + timeout
        return _sum([self._receive(p, max(deadline - time.monotonic(), 0), "ready")[1] for p in self.pipes])

    def collect(self, numbers: list[str], drain: float) -> tuple[dict[str, list[float]], dict[str, Any]]:
        """Arrival times of each called ticket at every screen (then forgotten by the
        children, for the next round), and the children's stats."""
        for pipe in self.pipes:
            pipe.send(("collect", numbers, drain))
        arrivals: dict[str, list[float]] = defaultdict(list)
        stats = []
        for pipe in self.pipes:
            _, times, child_stats = self._receive(pipe, drain + 30, "its results")
            for number, moments in times.items():
                arrivals[number].extend(moments)
            stats.append(child_stats)
        return dict(arrivals), _sum(stats)

    def cpu_seconds(self) -> float:
        return sum(cpu_seconds(child.pid) for child in self.children if child.pid is not None and child.is_alive())

    def close(self, timeout: float = 30) -> dict[str, Any]:
        """Close every link; the children end. Their last stats (before closing)."""
        stats = []
        for pipe in self.pipes:
            try:
                pipe.send(("close",))
            except OSError:
                continue  # that child is gone already
        for pipe in self.pipes:
            with contextlib.suppress(RuntimeError, EOFError, OSError):  # a child already gone
                stats.append(self._receive(pipe, timeout, "closing")[1])
        for child in self.children:
            child.join(10)
            if child.is_alive():
                child.terminate()
                child.join(10)
        return _sum(stats)


def _sum(stats: list[dict[str, Any]]) -> dict[str, Any]:
    total: dict[str, Any] = {
        "connected": 0,
        "failed": 0,
        "errors": [],
        "connect_s": 0.0,
        "disconnects": Counter(),
        "events": Counter(),
        "sizes": {},
    }
    for one in stats:
        total["connected"] += one["connected"]
        total["failed"] += one["failed"]
        total["errors"] += one["errors"]
        total["connect_s"] = max(total["connect_s"], one["connect_s"])
        total["disconnects"].update(one["disconnects"])
        total["events"].update(one["events"])
        total["sizes"].update(one["sizes"])
    return total
