"""Which screens are connected, when each was last seen, and which one speaks per zone.

Held in the worker's memory (one worker per hall, see docs/operations.md); a screen's
last-seen time and last shown call go to the database when it disconnects.

Among the connections of one announce group (a hall and a zone, the whole hall counting
as a zone of its own, or one window) the earliest connected speaks. When it leaves, the
next earliest takes over, so however many screens hang in one zone each call is spoken
by one of them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime


@dataclass
class ScreenLink:
    sid: str
    device_id: int
    hall: str
    group: str | None  # None: this screen does not speak
    order: int
    last_seen: datetime
    last_shown_seq: int | None = None


def announce_group(hall: str, *, zone: str | None = None, window: int | None = None) -> str:
    return f"{hall}/window/{window}" if window is not None else f"{hall}/zone/{zone or '*'}"


class Presence:
    def __init__(self) -> None:
        self._links: dict[str, ScreenLink] = {}
        self._announcers: dict[str, str] = {}  # group -> sid
        self._order = itertools.count()

    def join(self, sid: str, device_id: int, hall: str, group: str | None, now: datetime) -> list[tuple[str, bool]]:
        """Register (or re-register) a connection; returns the announcer changes of
        *other* connections that follow. The joiner's own role: `is_announcer(sid)`."""
        changes: list[tuple[str, bool]] = []
        existing = self._links.get(sid)
        if existing is not None and existing.group != group:
            changes += self._leave_group(existing)
        if existing is None:
            existing = ScreenLink(sid, device_id, hall, group, next(self._order), now)
            self._links[sid] = existing
        existing.group, existing.last_seen = group, now
        if group is not None and group not in self._announcers:
            self._announcers[group] = sid
        return changes

    def leave(self, sid: str) -> tuple[ScreenLink | None, list[tuple[str, bool]]]:
        link = self._links.pop(sid, None)
        if link is None:
            return None, []
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

    def links_of(self, device_id: int) -> list[ScreenLink]:
        return [link for link in self._links.values() if link.device_id == device_id]

    def _leave_group(self, link: ScreenLink) -> list[tuple[str, bool]]:
        if link.group is None or self._announcers.get(link.group) != link.sid:
            return []
        del self._announcers[link.group]
        remaining = [other for other in self._links.values() if other.group == link.group and other.sid != link.sid]
        if not remaining:
            return []
        successor = min(remaining, key=lambda other: other.order)
        self._announcers[link.group] = successor.sid
        return [(successor.sid, True)]
