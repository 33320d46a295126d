"""The names of the hall's events: what the log records and what clients receive.

Server-to-client event names are snake_case and past tense. docs/socket-events.md lists
each with its payload, and a test keeps that page and this list in step.
"""

from __future__ import annotations

from enum import StrEnum


class EventType(StrEnum):
    TICKET_ISSUED = "ticket_issued"
    TICKET_CALLED = "ticket_called"
    TICKET_RECALLED = "ticket_recalled"
    TICKET_NO_SHOW = "ticket_no_show"
    SERVICE_STARTED = "service_started"
    SERVICE_FINISHED = "service_finished"
    TICKET_TRANSFERRED = "ticket_transferred"
    TICKET_RETURNED = "ticket_returned"  # sent to a window that closed: back in its queue's line
    TICKET_SUSPENDED = "ticket_suspended"
    TICKET_RESUMED = "ticket_resumed"
    TICKET_CANCELLED = "ticket_cancelled"
    TICKET_EXPIRED = "ticket_expired"
    WINDOW_OPENED = "window_opened"
    WINDOW_PAUSED = "window_paused"
    WINDOW_RESUMED = "window_resumed"
    WINDOW_CLOSED = "window_closed"
    WINDOW_RELEASED = "window_released"  # a manager freed a stuck window
    HALL_UPDATED = "hall_updated"
    HALL_CHANGE_SCHEDULED = "hall_change_scheduled"  # a hall file that takes effect next service day
    NOTICE_CHANGED = "notice_changed"
    DAY_STARTED = "day_started"
    RATING_RECORDED = "rating_recorded"  # a 好差评 rating was given (staff only: domain.privacy)
    REVIEW_CASE_OPENED = "review_case_opened"  # a 差评 opened a 差评整改 case (staff only)
    REVIEW_CASE_UPDATED = "review_case_updated"  # a manager recorded a step of one (staff only)
    ALERT_RAISED = "alert_raised"  # a threshold of [hall.alerts] was passed (staff only)
    ALERT_CLEARED = "alert_cleared"  # its condition ended (staff only)
    ALERT_ACKNOWLEDGED = "alert_acknowledged"  # a manager acknowledged it (staff only)

    @classmethod
    def all(cls) -> list[str]:
        return [member.value for member in cls]


# Sent to the scope rooms that did not get hall event `seq` (it concerned another zone
# or window), so that every subscriber sees an unbroken sequence and can tell a gap from
# an event that was not its business. Not logged: it is derived from the log.
SEQUENCE_ADVANCED = "sequence_advanced"
