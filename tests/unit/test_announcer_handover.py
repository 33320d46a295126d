"""Handing a zone's voice on when a whole wave of screens drops (`Realtime._tell_announcers`).

Telling a screen it now speaks is an emit to its link; where that link's pings have timed
out the emit closes it there and then, and its disconnect hands the voice on with another
emit, inside the first. bench/broadcast.py's 5,000 screens leaving at once ran that chain
into RecursionError. Here the socket layer is a stand-in that does exactly that.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from queue_server.realtime import ANNOUNCER_CHANGED, Realtime

WAVE = 5000  # screens of one announce group whose links are all dead


class DeadLinks:
    """`emit` to screen n finds its link dead: its disconnect hands the voice to n + 1 at
    once, inside the emit. Background tasks are kept and run afterwards, one at a time."""

    def __init__(self) -> None:
        self.told: list[int] = []
        self.tasks: deque[tuple[Callable[..., Any], tuple[Any, ...]]] = deque()
        self.realtime: Any = None

    def emit(self, event: str, payload: dict[str, Any], to: int) -> None:
        assert event == ANNOUNCER_CHANGED and payload == {"announcer": True}
        self.told.append(to)
        if to < WAVE:
            self.realtime._tell_announcers([(to + 1, True)])

    def start_background_task(self, function: Callable[..., Any], *args: Any) -> None:
        self.tasks.append((function, args))


def test_a_wave_of_dead_links_hands_the_voice_on_to_each_in_turn_without_recursing() -> None:
    links = DeadLinks()
    realtime = SimpleNamespace(_telling=False, socketio=links)
    realtime._tell_announcers = lambda changes: Realtime._tell_announcers(realtime, changes)  # type: ignore[arg-type]
    links.realtime = realtime
    realtime._tell_announcers([(1, True)])
    while links.tasks:  # the hub runs each in a green thread of its own, one stack deep
        function, args = links.tasks.popleft()
        function(*args)
    assert links.told == list(range(1, WAVE + 1))
    assert realtime._telling is False
