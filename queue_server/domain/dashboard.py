"""The definitions of the managers' live dashboard (docs/dashboard.md): what a window's
state is, which events change it, how a wait and an hour are counted. The server's
snapshot (`services.dashboard`) and the page's reducer
(`manage_client/static/dashboard-figures.js`) count by these same rules, and a test holds
the two together.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from queue_server.domain import clock
from queue_server.domain.events import EventType
from queue_server.domain.hall import HallSpec
from queue_server.domain.lifecycle import WindowStatus

HOURS = 24


class WindowState(StrEnum):
    SERVING = "serving"  # open, with a ticket called or in service
    IDLE = "idle"  # open, nobody at it
    PAUSED = "paused"
    CLOSED = "closed"


# The events after which a window is in a new state, or holds another ticket: its
# `since` is the time of the latest of these (a recall or the start of service does not
# restart it: the citizen called is the same).
WINDOW_CHANGES = frozenset(
    {
        EventType.WINDOW_OPENED,
        EventType.WINDOW_PAUSED,
        EventType.WINDOW_RESUMED,
        EventType.WINDOW_CLOSED,
        EventType.WINDOW_RELEASED,
        EventType.TICKET_CALLED,
        EventType.TICKET_NO_SHOW,
        EventType.SERVICE_FINISHED,
        EventType.TICKET_TRANSFERRED,
        EventType.TICKET_SUSPENDED,
        EventType.TICKET_RESUMED,
    }
)


def window_state(status: str, ticket: str | None) -> WindowState:
    if status == WindowStatus.CLOSED:
        return WindowState.CLOSED
    if status == WindowStatus.PAUSED:
        return WindowState.PAUSED
    return WindowState.SERVING if ticket else WindowState.IDLE


def millis(text: str) -> int:
    """An instant as whole milliseconds since the epoch (sums of waits stay exact)."""
    return round(clock.parse_iso(text).timestamp() * 1000)


def local_hour(text: str, spec: HallSpec) -> int:
    return clock.local(clock.parse_iso(text), spec).hour


@dataclass
class QueueDay:
    """One queue's figures of the service day."""

    issued_by_hour: list[int] = field(default_factory=lambda: [0] * HOURS)
    served_by_hour: list[int] = field(default_factory=lambda: [0] * HOURS)
    waits: int = 0  # tickets first called today
    wait_total_ms: int = 0
    longest_wait_ms: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "issued_by_hour": self.issued_by_hour,
            "served_by_hour": self.served_by_hour,
            "issued": sum(self.issued_by_hour),
            "served": sum(self.served_by_hour),
            "waits": self.waits,
            "wait_total_ms": self.wait_total_ms,
            "average_wait_ms": round(self.wait_total_ms / self.waits) if self.waits else None,
            "longest_wait_ms": self.longest_wait_ms if self.waits else None,
        }


def count_day(tickets: Iterable[dict[str, Any]], queues: Iterable[str], spec: HallSpec) -> dict[str, QueueDay]:
    """Per queue: tickets issued per local hour (to the queue they were issued to), served
    per hour (finished, in the queue they finished in), and the waits, each from issue to
    the ticket's first call."""
    days = {code: QueueDay() for code in queues}
    for ticket in tickets:
        origin = days.get(ticket["origin_queue"])
        if origin is not None:
            origin.issued_by_hour[local_hour(ticket["issued_at"], spec)] += 1
            if ticket["first_called_at"]:
                wait = millis(ticket["first_called_at"]) - millis(ticket["issued_at"])
                origin.waits += 1
                origin.wait_total_ms += wait
                origin.longest_wait_ms = max(origin.longest_wait_ms, wait)
        finished = days.get(ticket["queue"])
        if finished is not None and ticket["status"] == "done" and ticket["finished_at"]:
            finished.served_by_hour[local_hour(ticket["finished_at"], spec)] += 1
    return days


def wait_threshold_minutes(spec: HallSpec, queue_code: str) -> int | None:
    """The age past which a queue's oldest waiting ticket is shown as too long: the hall
    file's long-wait alert threshold for the queue (`[hall.alerts]`), so the card turns red
    when the alert fires; None where that alert is off."""
    return spec.alerts.for_queue(queue_code).long_wait_minutes or None
