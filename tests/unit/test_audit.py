"""How an audit entry names who did what (domain.audit)."""

from __future__ import annotations

from datetime import UTC, datetime

from queue_server.domain.access import OPERATOR, Principal, Role
from queue_server.domain.audit import OPERATOR_ACTOR, AuditAction, entry

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_a_person_is_named_by_user_name_with_the_role_and_name_they_had() -> None:
    manager = Principal(Role.MANAGER, "大厅值班主任", hall_id=1, user_id=3, username="manager")
    kept = entry(manager, NOW, AuditAction.WINDOW_RELEASED, hall="demo", target=14, detail={"reason": "离岗"})
    assert (kept.actor, kept.actor_name, kept.actor_role) == ("manager", "大厅值班主任", "manager")
    assert (kept.at, kept.hall, kept.target, kept.detail) == (
        "2026-11-23T02:00:00.000Z",
        "demo",
        "14",
        {"reason": "离岗"},
    )


def test_the_command_line_is_the_operator_with_no_role() -> None:
    kept = entry(OPERATOR, NOW, AuditAction.DEVICE_REVOKED, hall="demo", target=5)
    assert (kept.actor, kept.actor_role, kept.actor_name, kept.detail) == (OPERATOR_ACTOR, None, OPERATOR.name, {})
