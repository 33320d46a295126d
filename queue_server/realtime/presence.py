"""Which devices are connected, when each was last seen, and which screen speaks per zone.

Screens join when they subscribe (with their announce group); kiosks, printers, review
pads and the booking platform when they connect, with no group (they never speak), so
that the managers' dashboard sees every device online on any server process.

`PresenceStore` is what the socket door needs; there are two, chosen from the
`MESSAGE_QUEUE` setting, never by probing:

- `Presence` (here): the process's own memory, for one server process per database, the
  default. A second server process is refused at start-up (`storage.lock`), so this
  memory sees every screen.
- `RedisPresence` (`redis_presence.py`): shared by every server process through the
  Redis that carries their events, when `MESSAGE_QUEUE` is a `redis://` URL.

A screen's last-seen time and last shown call go to the database when it disconnects
(or, with Redis, when the process it was on is found dead).

Among the connections of one announce group (a hall and a zone, the whole hall counting
as a zone of its own, or one window) the earliest connected speaks. When it leaves, the
next earliest takes over, so however many screens hang in one zone each call is spoken
by one of them.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

# (sid, announcer): tell connection `sid` that it now speaks (True) or no longer speaks
# (False) for its group. The connection may be on another process: the message queue
# carries an emit to a sid to wherever it is connected.
Change = tuple[str, bool]


@dataclass
class ScreenLink:
    sid: str
    device_id: int
    hall: str
    group: str | None  # None: this screen does not speak
    order: int
    last_seen: datetime
    last_shown_seq: int | None = None
    announcer: bool = False  # as of the moment `links_of` looked


def announce_group(hall: str, *, zone: str | None = None, window: int | None = None) -> str:
    return f"{hall}/window/{window}" if window is not None else f"{hall}/zone/{zone or '*'}"


class PresenceStore(Protocol):
    """Connected screens and the announcer of each group, for one process or for all."""

    # How often `beat` must run (seconds), or None when there is nothing to keep alive.
    beat_seconds: float | None

    def join(self, sid: str, device_id: int, hall: str, group: str | None, now: datetime) -> tuple[bool, list[Change]]:
        """Register (or re-register, after a re-subscribe) a connection. Returns whether
        it speaks for its group, and the announcer changes of *other* connections."""
        ...

    def leave(self, sid: str) -> tuple[ScreenLink | None, list[Change]]:
        """Forget a connection; its record (to store) and the announcer changes that follow."""
        ...

    def seen(self, sid: str, now: datetime, shown_seq: int | None = None) -> None:
        """The connection is alive; with `shown_seq`, it drew the call logged as that."""
        ...

    def links_of(self, device_ids: Iterable[int]) -> dict[int, list[ScreenLink]]:
        """The live connections of each device, with `announcer` filled in."""
        ...

    def online(self, device_ids: Iterable[int]) -> set[int]:
        """Which of these devices have at least one live connection."""
        ...

    def beat(self, now: datetime) -> tuple[list[ScreenLink], list[Change]]:
        """Keep this process's connections alive and clear those of dead processes: the
        records of links dropped (to store) and the announcer changes that follow."""
        ...

    def close(self) -> tuple[list[ScreenLink], list[Change]]:
        """This process stops: its connections are gone, for the other processes too. As
        `beat`: the records of the links dropped and the announcer changes elsewhere."""
        ...


class Presence:
    """The process's own memory: every screen is connected to this one process."""

    beat_seconds: float | None = None

    def __init__(self) -> None:
        self._links: dict[str, ScreenLink] = {}
        # device -> its links (sid -> link): a device's look-ups cost its own links, not
        # every link's (one device may hold thousands: a screen's page opened again and again)
        self._by_device: dict[int, dict[str, ScreenLink]] = {}
        self._announcers: dict[str, str] = {}  # group -> sid
        self._order = itertools.count()

    def join(self, sid: str, device_id: int, hall: str, group: str | None, now: datetime) -> tuple[bool, list[Change]]:
        changes: list[Change] = []
        existing = self._links.get(sid)
        if existing is not None and existing.group != group:
            changes += self._leave_group(existing)
        if existing is None:
            existing = ScreenLink(sid, device_id, hall, group, next(self._order), now)
            self._links[sid] = existing
            self._by_device.setdefault(device_id, {})[sid] = existing
        existing.group, existing.last_seen = group, now
        if group is not None and group not in self._announcers:
            self._announcers[group] = sid
        return self.is_announcer(sid), changes

    def leave(self, sid: str) -> tuple[ScreenLink | None, list[Change]]:
        link = self._links.pop(sid, None)
        if link is None:
            return None, []
        of_device = self._by_device.get(link.device_id, {})
        of_device.pop(sid, None)
        if not of_device:
            self._by_device.pop(link.device_id, None)  # nothing kept for a device that left
        return link, self._leave_group(link)

    def seen(self, sid: str, now: datetime, shown_seq: int | None = None) -> None:
        link = self._links.get(sid)
        if link is not None:
            link.last_seen = now
            if shown_seq is not None:
                link.last_shown_seq = max(shown_seq, link.last_shown_seq or 0)

    def is_announcer(self, sid: str) -> bool:
        link = self._links.get(sid)
        return link is not None and link.group is not None and self._announcers.get(link.group) == sid

    def links_of(self, device_ids: Iterable[int]) -> dict[int, list[ScreenLink]]:
        return {
            device_id: [
                replace(link, announcer=self.is_announcer(link.sid))
                for link in self._by_device.get(device_id, {}).values()
            ]
            for device_id in device_ids
        }

    def online(self, device_ids: Iterable[int]) -> set[int]:
        return {device_id for device_id in device_ids if self._by_device.get(device_id)}

    def beat(self, now: datetime) -> tuple[list[ScreenLink], list[Change]]:
        return [], []  # one process: a link ends with its disconnect, nothing expires

    def close(self) -> tuple[list[ScreenLink], list[Change]]:
        links = list(self._links.values())
        self._links.clear()
        self._by_device.clear()
        self._announcers.clear()
        return links, []  # nobody else is left to speak

    def _leave_group(self, link: ScreenLink) -> list[Change]:
        if link.group is None or self._announcers.get(link.group) != link.sid:
            return []
        del self._announcers[link.group]
        remaining = [other for other in self._links.values() if other.group == link.group and other.sid != link.sid]
        if not remaining:
            return []
        successor = min(remaining, key=lambda other: other.order)
        self._announcers[link.group] = successor.sid
        return [(successor.sid, True)]
