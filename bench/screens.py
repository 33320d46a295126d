"""Many hall screens in one process: python-socketio AsyncClients (aiohttp websockets)
on one asyncio loop, each subscribed to the whole hall, noting when every
`ticket_called` event arrives. `bench.call_latency` runs `run()` in a child process
and talks to it over a pipe:

    child  -> ("ready", stats)              all clients connected and subscribed
    parent -> ("collect", numbers, wait_s)  the calls are done; these tickets were called
    child  -> ("results", times, stats)     ticket number -> arrival times, one per client

Arrival times are `time.monotonic()`, the system-wide CLOCK_MONOTONIC on Linux, so they
compare directly with the caller's send times in the other process.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter, defaultdict
from multiprocessing.connection import Connection
from typing import Any

import socketio

CONNECT_BATCH = 20  # connections opened at once: the worker takes them in turn anyway


async def _screens(url: str, token: str, hall: str, count: int, conn: Connection, time_limit: float) -> None:
    # engineio logs "packet queue is empty, aborting" for every socket that closes: its
    # writer task ending. Disconnects are counted, with their reason, below instead.
    logging.getLogger("engineio.client").setLevel(logging.CRITICAL)
    arrivals: dict[str, list[float]] = defaultdict(list)
    events: Counter[str] = Counter()
    disconnects: Counter[str] = Counter()  # reason -> count
    clients: list[socketio.AsyncClient] = []
    deadline = time.monotonic() + time_limit

    def make_client() -> socketio.AsyncClient:
        client = socketio.AsyncClient(reconnection=False)

        def called(payload: dict[str, Any]) -> None:
            arrivals[payload["ticket"]["number"]].append(time.monotonic())

        def other(event: str, payload: Any = None) -> None:
            events[event] += 1

        def disconnect(reason: Any = None) -> None:
            disconnects[str(reason)] += 1

        client.on("ticket_called", called)
        client.on("*", other)  # every event without a handler of its own
        client.on("disconnect", disconnect)
        return client

    async def connect(client: socketio.AsyncClient) -> str | None:
        try:
            await client.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=15)
            answer = await client.call("subscribe", {"hall": hall}, timeout=15)
        except Exception as error:  # reported to the parent, not raised
            return f"{type(error).__name__}: {error}"
        if not answer or not answer.get("ok"):
            return f"subscribe refused: {answer}"
        return None

    began = time.monotonic()
    errors: list[str] = []
    for start in range(0, count, CONNECT_BATCH):
        batch = [make_client() for _ in range(min(CONNECT_BATCH, count - start))]
        for client, error in zip(batch, await asyncio.gather(*(connect(c) for c in batch)), strict=True):
            if error is None:
                clients.append(client)
            else:
                errors.append(error)
        if time.monotonic() > deadline:
            break
    conn.send(
        (
            "ready",
            {
                "connected": len(clients),
                "errors": errors[:5],
                "failed": len(errors),
                "connect_s": time.monotonic() - began,
            },
        )
    )

    while not conn.poll() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)  # the loop keeps taking events meanwhile
    message = conn.recv() if conn.poll() else ("collect", [], 0.0)
    _, numbers, wait_s = message
    # the events may still be on their way: wait until every client has every call
    until = min(time.monotonic() + wait_s, deadline)
    while time.monotonic() < until and any(len(arrivals.get(n, ())) < len(clients) for n in numbers):
        await asyncio.sleep(0.02)
    stats = {
        "disconnects": dict(disconnects),  # before our own disconnect below: not asked for
        "other_events": dict(events),
        "connected": len(clients),
    }
    conn.send(("results", dict(arrivals), stats))
    await asyncio.gather(*(c.disconnect() for c in clients), return_exceptions=True)


def run(url: str, token: str, hall: str, count: int, conn: Connection, time_limit: float) -> None:
    """Entry point of the child process."""
    asyncio.run(_screens(url, token, hall, count, conn, time_limit))
