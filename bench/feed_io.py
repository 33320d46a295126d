"""How the 好差评 sender's network I/O treats the eventlet hub: which way of posting is
right under the production worker.

This process monkey-patches the standard library first, as gunicorn's eventlet worker
does before it imports the application, then posts records to a stand-in platform that
answers after `--delay` seconds (tests/support/feed_receiver.py, a process of its own),
each way in turn, while a green thread on the hub wakes every 5 ms and notes how late
it is. A hub free to serve requests wakes about every 5 ms throughout; a blocked one
does not wake at all while a post waits.

The ways:
- green `http.client` (the monkey-patched module: what `queue_server/review_feed.py` uses);
- a plain socket on the hub (`eventlet.patcher.original("socket")`): what a library
  that escapes the patching would do;
- `eventlet.tpool` with the patched `http.client`: green sockets driven from an OS
  thread, which eventlet warns against;
- `eventlet.tpool` with a plain socket: correct, at the cost of a thread hop per post.

    python -m bench.feed_io [--posts 20] [--delay 0.05]
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()  # first, as gunicorn's eventlet worker does

import argparse  # noqa: E402
import http.client  # noqa: E402
import itertools  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

from eventlet import patcher, tpool  # noqa: E402

from bench.common import table  # noqa: E402

TICK = 0.005
_plain_socket: Any = patcher.original("socket")


class PlainConnection(http.client.HTTPConnection):
    """http.client over a socket eventlet did not patch: every wait blocks the thread."""

    def connect(self) -> None:
        self.sock = _plain_socket.create_connection((self.host, self.port), self.timeout)


def post(connection_class: type[http.client.HTTPConnection], port: int) -> int:
    connection = connection_class("127.0.0.1", port, timeout=10)
    try:
        connection.request("POST", "/api/ratings", body=b"{}", headers={"Idempotency-Key": "probe"})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def measure(posts: int, one: Callable[[], int]) -> tuple[float, int, float, str]:
    """Wall seconds for `posts` posts, the hub's wake-ups meanwhile, its longest gap."""
    wakes: list[float] = []
    running = [True]

    def ticker() -> None:
        while running[0]:
            wakes.append(time.monotonic())
            eventlet.sleep(TICK)

    thread = eventlet.spawn(ticker)
    eventlet.sleep(TICK * 2)
    began = time.monotonic()
    outcome = "ok"
    try:
        for _ in range(posts):
            one()
    except Exception as error:  # the point is to see what a wrong way does
        outcome = f"{type(error).__name__}: {error}"[:60]
    ended = time.monotonic()
    eventlet.sleep(TICK * 2)
    running[0] = False
    thread.wait()
    inside = [w for w in wakes if began <= w <= ended]
    marks = [began, *inside, ended]
    longest = max(b - a for a, b in itertools.pairwise(marks))
    return ended - began, len(inside), longest, outcome


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=20)
    parser.add_argument("--delay", type=float, default=0.05)
    args = parser.parse_args()
    from bench.review_feed import Platform

    platform = Platform(args.delay)
    try:
        ways: list[tuple[str, Callable[[], int]]] = [
            ("green http.client (as shipped)", lambda: post(http.client.HTTPConnection, platform.port)),
            ("plain socket on the hub", lambda: post(PlainConnection, platform.port)),
            ("tpool + green http.client", lambda: tpool.execute(post, http.client.HTTPConnection, platform.port)),
            ("tpool + plain socket", lambda: tpool.execute(post, PlainConnection, platform.port)),
        ]
        rows = []
        for name, way in ways:
            wall, wakes, longest, outcome = measure(args.posts, way)
            expected = wall / TICK
            rows.append(
                [name, f"{wall * 1000:.0f}", wakes, f"{wakes / expected:.0%}", f"{longest * 1000:.1f}", outcome]
            )
    finally:
        platform.close()
    print(
        f"feed_io: {args.posts} posts each way to a platform answering after {args.delay * 1000:.0f} ms; a green "
        f"thread on the hub asks to wake every {TICK * 1000:.0f} ms"
    )
    print(table(["way", "wall ms", "hub wake-ups", "of those asked", "longest hub gap ms", "posts"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
