"""Room names, in one place. Every scope room exists once per audience (`domain.privacy`):
`staff` rooms get each hall event whole, `public` rooms (every device) get its public
part. A subscriber joins exactly one scope room of a hall, of its own audience:

- `hall:{hall}:{audience}`                    every event of the hall (managers, whole-hall screens)
- `hall:{hall}:{audience}:zone:{zone}`        events of that zone's windows and hall-wide events
- `hall:{hall}:{audience}:window:{number}`    events of that window and hall-wide events

plus `hall:{hall}:role:{actor}`, for messages meant for one kind of user or device, and
`device:{device_id}` for each connection of a screen, joined at connect and kept across
re-subscribes: control messages to that screen, on whichever server process it is.

A review pad also joins `hall:{hall}:pad:{window}`, its window's pad room: the rating its
window invites (`rating_requested`, `rating_closed`) goes there and nowhere else.

Citizens' phones join `hall:{hall}:citizen` only: every event of the hall, shaped for them
(`privacy.citizen_event`: no ticket's reference), so a phone can tell when something
touched its line and ask for its ticket's progress; and `hall:{hall}:ticket:{ref}`, its own
ticket's room, where its new wait figures come (`wait_estimated`, docs/estimates.md).

So an event is encoded once per audience, never once per client: `publish` emits the
staff payload to the staff rooms it concerns and the public payload to the public ones,
each in one call (python-socketio encodes a packet once per call and sends it once per
client, however many of the rooms the client is in).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from queue_server.domain.privacy import Audience, concerns

AUDIENCES = tuple(Audience)


@dataclass(frozen=True)
class Scope:
    hall: str
    zone: str | None = None
    window: int | None = None
    audience: Audience = Audience.PUBLIC

    @property
    def room(self) -> str:
        if self.window is not None:
            return window_room(self.hall, self.window, self.audience)
        if self.zone is not None:
            return zone_room(self.hall, self.zone, self.audience)
        return hall_room(self.hall, self.audience)

    def sees(self, payload: dict[str, Any]) -> bool:
        """Whether an event belongs to this scope (used to filter catch-up)."""
        return concerns(payload, zone=self.zone, window=self.window)


def hall_room(hall: str, audience: Audience) -> str:
    return f"hall:{hall}:{audience.value}"


def zone_room(hall: str, zone: str, audience: Audience) -> str:
    return f"hall:{hall}:{audience.value}:zone:{zone}"


def window_room(hall: str, number: int, audience: Audience) -> str:
    return f"hall:{hall}:{audience.value}:window:{number}"


def citizen_room(hall: str) -> str:
    return f"hall:{hall}:citizen"


def ticket_room(hall: str, ref: str) -> str:
    """One ticket's phones: its own wait figures (`wait_estimated`) go there and nowhere
    else. Room names stay on the server (and its message queue); no client sees them."""
    return f"hall:{hall}:ticket:{ref}"


def pad_room(hall: str, window: int) -> str:
    return f"hall:{hall}:pad:{window}"


def role_room(hall: str, actor: str) -> str:
    return f"hall:{hall}:role:{actor}"


def device_room(device_id: int) -> str:
    return f"device:{device_id}"


def is_device_room(room: str) -> bool:
    return room.startswith("device:")


def not_for_event(payload: dict[str, Any], zones: Iterable[str], windows: Iterable[int]) -> list[str]:
    """The scope rooms of the hall, of both audiences, that `for_event` leaves out: an
    event at one window does not concern other zones and other windows. They get
    `sequence_advanced`, the same for everyone."""
    hall = payload["hall"]
    window = payload.get("window")
    if not isinstance(window, dict):
        return []
    zones, windows = list(zones), list(windows)
    return [
        room
        for audience in AUDIENCES
        for room in [zone_room(hall, z, audience) for z in zones if z != window.get("zone")]
        + [window_room(hall, n, audience) for n in windows if n != window.get("number")]
    ]


def for_event(payload: dict[str, Any], zones: Iterable[str], windows: Iterable[int], audience: Audience) -> list[str]:
    """Every room of `audience` an event goes to."""
    hall = payload["hall"]
    window = payload.get("window")
    if isinstance(window, dict):
        return [
            hall_room(hall, audience),
            zone_room(hall, window["zone"], audience),
            window_room(hall, window["number"], audience),
        ]
    return [
        hall_room(hall, audience),
        *(zone_room(hall, z, audience) for z in zones),
        *(window_room(hall, n, audience) for n in windows),
    ]
