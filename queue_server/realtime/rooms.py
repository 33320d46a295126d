"""Room names, in one place. A subscriber joins exactly one scope room of a hall:

- `hall:{hall}`                    every event of the hall (managers, whole-hall screens)
- `hall:{hall}:zone:{zone}`        events of that zone's windows and hall-wide events
- `hall:{hall}:window:{number}`    events of that window and hall-wide events
plus `hall:{hall}:role:{actor}`, for messages meant for one kind of user or device, and
`device:{device_id}` for each connection of a screen, joined at connect and kept across
re-subscribes: control messages to that screen, on whichever server process it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Scope:
    hall: str
    zone: str | None = None
    window: int | None = None

    @property
    def room(self) -> str:
        if self.window is not None:
            return window_room(self.hall, self.window)
        if self.zone is not None:
            return zone_room(self.hall, self.zone)
        return hall_room(self.hall)

    def sees(self, payload: dict[str, Any]) -> bool:
        """Whether an event belongs to this scope (used to filter catch-up)."""
        window = payload.get("window")
        if not isinstance(window, dict) or (self.zone is None and self.window is None):
            return True
        if self.window is not None:
            return bool(window.get("number") == self.window)
        return bool(window.get("zone") == self.zone)


def hall_room(hall: str) -> str:
    return f"hall:{hall}"


def zone_room(hall: str, zone: str) -> str:
    return f"hall:{hall}:zone:{zone}"


def window_room(hall: str, number: int) -> str:
    return f"hall:{hall}:window:{number}"


def role_room(hall: str, actor: str) -> str:
    return f"hall:{hall}:role:{actor}"


def device_room(device_id: int) -> str:
    return f"device:{device_id}"


def is_device_room(room: str) -> bool:
    return room.startswith("device:")


def not_for_event(payload: dict[str, Any], zones: Iterable[str], windows: Iterable[int]) -> list[str]:
    """The scope rooms of the hall that `for_event` leaves out: an event at one window
    does not concern other zones and other windows. They get `sequence_advanced`."""
    hall = payload["hall"]
    window = payload.get("window")
    if not isinstance(window, dict):
        return []
    return [zone_room(hall, z) for z in zones if z != window.get("zone")] + [
        window_room(hall, n) for n in windows if n != window.get("number")
    ]


def for_event(payload: dict[str, Any], zones: Iterable[str], windows: Iterable[int]) -> list[str]:
    """Every room an event goes to. python-socketio sends it once per client however
    many of these rooms the client is in."""
    hall = payload["hall"]
    window = payload.get("window")
    if isinstance(window, dict):
        return [hall_room(hall), zone_room(hall, window["zone"]), window_room(hall, window["number"])]
    return [hall_room(hall), *(zone_room(hall, z) for z in zones), *(window_room(hall, n) for n in windows)]
