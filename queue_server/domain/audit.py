"""The audit log: which actions are kept, and how an entry says who did what, where.

Kept are the actions of administrators and managers, and of the operator's command line
that does their work: changes to accounts and device tokens, hall files, window releases,
calls out of turn, screen settings and the notice, sweeps by hand, and dead letters of
the 好差评 feed sent again. A clerk's call of a chosen number is kept too, whoever makes
it: it passes over citizens who came first; so is a clerk covering a window not their
own (顶岗).

An entry is written in the same transaction as its action (by the use cases, `accounts`
and `auth`, so that the API, the socket and the command line all record alike): the log
holds what was done, and a refused or failed action leaves nothing. The table refuses
every UPDATE and DELETE (migration 6). Readable by administrators only: `GET
/api/v1/audit`, `queue-server audit`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from queue_server.domain import clock
from queue_server.domain.access import Principal


class AuditAction(StrEnum):
    USER_CREATED = "user_created"
    USER_DISABLED = "user_disabled"
    USER_ENABLED = "user_enabled"
    USER_PASSWORD_SET = "user_password_set"  # never the password itself
    USER_ROLE_SET = "user_role_set"
    USER_UNLOCKED = "user_unlocked"
    USER_STAFF_NUMBER_SET = "user_staff_number_set"  # 工号, carried into review records
    DEVICE_REGISTERED = "device_registered"
    DEVICE_REVOKED = "device_revoked"
    HALL_IMPORTED = "hall_imported"  # a hall file, in force now or from a later day
    WINDOW_RELEASED = "window_released"
    CALLED_BY_NUMBER = "called_by_number"  # a chosen ticket called, out of the line's order
    WINDOW_COVERED = "window_covered"  # a clerk opened a window not their own (顶岗)
    SCREEN_CONFIGURED = "screen_configured"
    NOTICE_SET = "notice_set"
    REVIEW_CASE_CONTACTED = "review_case_contacted"  # 差评整改: the citizen was contacted
    REVIEW_CASE_REPLIED = "review_case_replied"  # the fix (if any) and the reply
    REVIEW_CASE_CONFIRMED = "review_case_confirmed"  # the callback: the citizen's satisfaction with the fix
    REVIEW_CASE_APPEALED = "review_case_appealed"  # 申诉 filed
    REVIEW_CASE_APPEAL_DECIDED = "review_case_appeal_decided"
    REVIEW_CASE_CLOSED = "review_case_closed"
    ALERT_ACKNOWLEDGED = "alert_acknowledged"  # a manager acknowledged an alert (target: its id)
    DAY_SWEPT = "day_swept"  # a sweep by hand (the timer's own rollover is not an action of anyone's)
    FEED_RETRIED = "feed_retried"  # a dead letter of the 好差评 feed sent again


# Who the operator's command line is in the log: whoever holds the instance folder.
OPERATOR_ACTOR = "operator"


@dataclass(frozen=True)
class AuditEntry:
    at: str
    actor: str  # the user name, or `operator`
    actor_name: str  # the name shown for it at the time
    actor_role: str | None  # None for the operator
    action: AuditAction
    hall: str | None  # the hall acted on (for a user or a device: the one it belongs to)
    target: str | None  # the user name, device id, window number, ticket number … acted on
    detail: dict[str, Any] = field(default_factory=dict)


def entry(
    who: Principal,
    now: datetime,
    action: AuditAction,
    *,
    hall: str | None,
    target: str | int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """The entry for `who` doing `action` now."""
    if who.operator:
        actor, role = OPERATOR_ACTOR, None
    elif who.username is not None:
        actor, role = who.username, who.actor.value
    else:  # no other actor may do any of these; named all the same, should one ever
        actor, role = f"{who.actor.value}:{who.device_id or who.user_id}", who.actor.value
    return AuditEntry(
        at=clock.iso(now),
        actor=actor,
        actor_name=who.name,
        actor_role=role,
        action=action,
        hall=hall,
        target=None if target is None else str(target),
        detail=detail or {},
    )
