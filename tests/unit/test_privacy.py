"""What a public device may see of an event, a window and a snapshot (domain.privacy)."""

from __future__ import annotations

from typing import Any

import pytest

from queue_server.domain.access import OPERATOR, DeviceKind, Principal, Role
from queue_server.domain.privacy import (
    Audience,
    audience_of,
    citizen_event,
    concerns,
    event_for,
    public_event,
    snapshot_for,
)

TICKET = {
    "id": 7,
    "ref": "r" * 22,
    "number": "A001",
    "queue": "q",
    "queue_name": "Q",
    "status": "suspended",
    "priority": True,
}
WINDOW = {
    "number": 3,
    "name": "3号窗口",
    "zone": "1f",
    "status": "open",
    "clerk": "王芳",
    "ticket": "A001",
    "ticket_id": 7,
    "ticket_ref": "r" * 22,
    "ticket_status": "called",
}
COMMON = {
    "hall": "demo",
    "seq": 9,
    "type": "ticket_suspended",
    "at": "2026-11-23T02:00:00.000Z",
    "service_day": "2026-11-23",
}


@pytest.mark.parametrize(
    ("principal", "audience"),
    [
        *((Principal(kind, "d", 1, device_id=1), Audience.PUBLIC) for kind in DeviceKind),
        *((Principal(role, "p", 1, user_id=1), Audience.STAFF) for role in Role),
        (OPERATOR, Audience.STAFF),
        (None, Audience.PUBLIC),
    ],
    ids=lambda v: getattr(getattr(v, "actor", None), "value", None) if isinstance(v, Principal) else None,
)
def test_every_device_is_public_and_every_person_is_staff(principal: Principal | None, audience: Audience) -> None:
    assert audience_of(principal) is audience


def test_a_public_event_keeps_what_screens_draw_and_drops_the_rest() -> None:
    staff = {**COMMON, "ticket": TICKET, "window": WINDOW, "reason": "去复印户口本", "waiting": {"q": 2}, "new": 1}
    shown = public_event(staff, show_clerk_names=False)
    assert shown == {
        **COMMON,
        "ticket": {k: v for k, v in TICKET.items() if k != "id"},
        "window": {**{k: v for k, v in WINDOW.items() if k != "ticket_id"}, "clerk": None},
        "reason": None,
        "waiting": {"q": 2},
    }
    assert public_event(staff, show_clerk_names=True)["window"]["clerk"] == "王芳"
    assert event_for(staff, Audience.STAFF, show_clerk_names=False) is staff


@pytest.mark.parametrize("reason", ["end_of_day", "window_closed"])
def test_the_reasons_the_server_gives_itself_are_public(reason: str) -> None:
    assert (
        public_event({**COMMON, "type": "ticket_expired", "reason": reason}, show_clerk_names=False)["reason"] == reason
    )


def test_a_finished_service_goes_out_without_its_outcome_and_handling_time() -> None:
    finished = {**COMMON, "type": "service_finished", "ticket": TICKET, "outcome": "accepted", "handling_seconds": 300}
    assert "outcome" not in public_event(finished, show_clerk_names=True)
    assert "handling_seconds" not in public_event(finished, show_clerk_names=True)


def test_a_window_devices_snapshot_holds_its_window_only() -> None:
    snapshot: dict[str, Any] = {
        "windows": [{**WINDOW, "number": n, "queues": ["q"]} for n in (1, 3)],
        "recent_calls": [{"number": "A001", "window": 3}, {"number": "A002", "window": 1}],
    }
    shown = snapshot_for(snapshot, Audience.PUBLIC, show_clerk_names=False, window=3)
    assert [w["number"] for w in shown["windows"]] == [3] and shown["windows"][0]["clerk"] is None
    assert shown["recent_calls"] == [{"number": "A001", "window": 3}]
    assert snapshot_for(snapshot, Audience.STAFF, show_clerk_names=False) == snapshot


def test_a_field_added_to_a_snapshot_stays_with_the_staff_until_it_is_listed() -> None:
    snapshot: dict[str, Any] = {
        "seq": 4,
        "windows": [{**WINDOW, "queues": ["q"], "clerk_phone": "138…"}],
        "recent_calls": [{"number": "A001", "window": 3, "ticket_id": 7}],
        "staff_notes": "…",
    }
    shown = snapshot_for(snapshot, Audience.PUBLIC, show_clerk_names=True)
    assert set(shown) == {"seq", "windows", "recent_calls"}
    assert "clerk_phone" not in shown["windows"][0] and shown["recent_calls"] == [{"number": "A001", "window": 3}]


def test_an_event_at_a_window_concerns_its_zone_and_itself_and_others_everyone() -> None:
    at_window = {**COMMON, "window": WINDOW}
    assert concerns(at_window) and concerns(at_window, zone="1f") and concerns(at_window, window=3)
    assert not concerns(at_window, zone="2f") and not concerns(at_window, window=4)
    assert concerns({**COMMON, "type": "ticket_issued"}, window=4)


def test_a_rating_is_the_staffs_alone() -> None:
    """`rating_recorded` goes whole to staff, and nothing of it to devices or phones."""
    payload = {"hall": "demo", "seq": 9, "type": "rating_recorded", "at": "…", "rating": {"level": "dissatisfied"}}
    assert event_for(payload, Audience.STAFF, show_clerk_names=True) == payload
    assert event_for(payload, Audience.PUBLIC, show_clerk_names=True) is None
    assert citizen_event(payload) is None
