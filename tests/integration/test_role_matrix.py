"""Every route, every kind of caller: who gets in and who gets a 401 or 403.

The expected table is written out here by hand, apart from the code's own matrix, so
that a change to either shows up as a failure."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from queue_server.cli import demo_hall_toml
from tests.conftest import PASSWORD

USERS = ("guide", "clerk1", "manager", "admin", "other_manager")
DEVICES = ("hall_screen", "window_screen", "kiosk", "printer", "review_pad", "booking_platform")
# every role and every device of the hall, but the booking platform: it is the city's
# machine and sees the hall's bookings only
EVERYONE = frozenset({"guide", "clerk1", "manager", "admin", *DEVICES}) - {"booking_platform"}
STAFF = frozenset({"guide", "clerk1", "manager", "admin"})
BOOKING = {"reference": "YY-ROLES", "service_day": "2026-11-23", "slot_start": "10:00", "slot_end": "10:30"}

# (route id, method, path, body, who may)
ROUTES: list[tuple[str, str, str, Any, frozenset[str]]] = [
    ("list-halls", "GET", "/halls", None, EVERYONE | {"other_manager", "booking_platform"}),
    ("snapshot", "GET", "/halls/demo", None, EVERYONE),
    ("events", "GET", "/halls/demo/events?since=0", None, EVERYONE),
    ("issue", "POST", "/halls/demo/tickets", {"queue": "household"}, frozenset({"guide", "manager", "kiosk"})),
    (
        "read-ticket",
        "GET",
        "/halls/demo/tickets/{ticket}",
        None,
        frozenset({"guide", "clerk1", "manager", "admin", "kiosk"}),
    ),
    ("cancel", "POST", "/halls/demo/tickets/{ticket}/cancel", {}, frozenset({"guide", "manager"})),
    ("find-tickets", "GET", "/halls/demo/tickets?status=waiting", None, STAFF),
    ("search-tickets", "POST", "/halls/demo/tickets/search", {"queue": "household"}, STAFF),
    ("search-by-id", "POST", "/halls/demo/tickets/search", {"id_number": "11010519491231002X"}, STAFF - {"clerk1"}),
    (
        "book-appointment",
        "POST",
        "/halls/demo/appointments",
        {**BOOKING, "queue": "household"},
        frozenset({"manager", "admin", "booking_platform"}),
    ),
    (
        "list-appointments",
        "GET",
        "/halls/demo/appointments",
        None,
        frozenset({"guide", "manager", "admin", "booking_platform"}),
    ),
    (
        "read-appointment",
        "GET",
        "/halls/demo/appointments/YY-ROLES",
        None,
        frozenset({"guide", "manager", "admin", "booking_platform"}),
    ),
    ("check-in", "POST", "/halls/demo/appointments/YY-ROLES/check-in", {}, frozenset({"guide", "manager", "kiosk"})),
    (
        "cancel-appointment",
        "POST",
        "/halls/demo/appointments/YY-ROLES/cancel",
        {},
        frozenset({"manager", "admin", "booking_platform"}),
    ),
    ("open-window", "POST", "/halls/demo/windows/9/open-window", None, frozenset({"clerk1"})),
    ("call-next", "POST", "/halls/demo/windows/14/call-next", None, frozenset({"clerk1"})),
    ("recall", "POST", "/halls/demo/windows/14/recall", None, frozenset({"clerk1"})),
    ("pause-window", "POST", "/halls/demo/windows/14/pause-window", None, frozenset({"clerk1", "manager"})),
    ("resume-window", "POST", "/halls/demo/windows/14/resume-window", None, frozenset({"clerk1", "manager"})),
    ("transfer", "POST", "/halls/demo/windows/14/transfer", {"to_window": 15}, frozenset({"clerk1"})),
    ("sweep", "POST", "/halls/demo/sweep", {}, frozenset({"manager", "admin"})),
    ("put-config", "PUT", "/halls/demo/config", "TOML", frozenset({"admin"})),
    ("put-notice", "PUT", "/halls/demo/notice", {"notice": "通知"}, frozenset({"manager"})),
    ("list-screens", "GET", "/halls/demo/screens", None, frozenset({"manager", "admin"})),
    ("put-screen", "PUT", "/halls/demo/screens/{screen}", {"rows": 5}, frozenset({"manager"})),
    ("announcement", "GET", "/halls/demo/announcements/{call}.wav", None, EVERYONE),
    ("list-users", "GET", "/users", None, frozenset({"admin"})),
    ("disable-user", "POST", "/users/{user}/disable", None, frozenset({"admin"})),
    ("enable-user", "POST", "/users/{user}/enable", None, frozenset({"admin"})),
    ("unlock-user", "POST", "/users/{user}/unlock", None, frozenset({"admin"})),
    ("set-role", "PUT", "/users/{user}/role", {"role": "manager"}, frozenset({"admin"})),
    ("set-password", "PUT", "/users/{user}/password", {"password": "another-pass-2026"}, frozenset({"admin"})),
]


def _caller(app: Flask, who: str) -> tuple[Any, dict[str, str]]:
    client = app.test_client()
    if who == "anonymous":
        return client, {}
    if who in DEVICES:
        return client, {"Authorization": f"Bearer {app.config['TEST_TOKENS'][who]}"}
    response = client.post("/api/v1/session", json={"username": who, "password": PASSWORD})
    return client, {"X-CSRF-Token": response.get_json()["csrf_token"]}


@pytest.mark.parametrize(("route", "method", "path", "body", "allowed"), ROUTES, ids=[r[0] for r in ROUTES])
def test_each_route_lets_in_exactly_its_callers(
    app: Flask, route: str, method: str, path: str, body: Any, allowed: frozenset[str]
) -> None:
    setup, headers = _caller(app, "guide")
    ticket = setup.post("/api/v1/halls/demo/tickets", json={"queue": "household"}, headers=headers).get_json()["id"]
    clerk, clerk_headers = _caller(app, "clerk1")
    clerk.post("/api/v1/halls/demo/windows/14/open-window", headers=clerk_headers)
    clerk.post("/api/v1/halls/demo/windows/14/call-next", headers=clerk_headers)
    manager, manager_headers = _caller(app, "manager")
    booked = manager.post(
        "/api/v1/halls/demo/appointments", json={**BOOKING, "queue": "household"}, headers=manager_headers
    )
    assert booked.status_code == 201, booked.get_data(as_text=True)
    with app.extensions["hall_queue"]["store"].read() as db:
        call = next(db.query("SELECT seq FROM events WHERE type = 'ticket_called'"))["seq"]
        screen = next(db.query("SELECT id FROM devices WHERE kind = 'hall_screen'"))["id"]
        user = next(db.query("SELECT id FROM users WHERE username = 'other_guide'"))["id"]  # nobody below
    url = "/api/v1" + path.format(ticket=ticket, call=call, screen=screen, user=user)
    seen = {}
    for who in ("anonymous", *USERS, *DEVICES):
        client, headers = _caller(app, who)
        if body == "TOML":
            response = client.open(
                url,
                method=method,
                data=demo_hall_toml(always_open=False),
                headers=headers,
                content_type="application/toml",
            )
        else:
            response = client.open(url, method=method, json=body, headers=headers)
        seen[who] = response.status_code
        if who in allowed:
            assert response.status_code not in (401, 403), f"{who} was refused {route}: {response.get_json()}"
        else:
            expected = 401 if who == "anonymous" else 403
            assert response.status_code == expected, (
                f"{who} on {route}: {response.status_code} {response.get_data(as_text=True)}"
            )
            assert response.mimetype == "application/problem+json"
    assert len(seen) == 1 + len(USERS) + len(DEVICES)


def test_the_other_hall_lists_only_its_own_hall(app: Flask) -> None:
    client, headers = _caller(app, "other_manager")
    assert client.get("/api/v1/halls", headers=headers).get_json() == {
        "halls": [{"code": "town", "name": "某镇便民服务中心"}]
    }
    client, headers = _caller(app, "admin")
    assert {h["code"] for h in client.get("/api/v1/halls", headers=headers).get_json()["halls"]} == {"demo", "town"}


def test_a_revoked_device_is_refused_at_once(app: Flask, store) -> None:  # type: ignore[no-untyped-def]
    from queue_server import auth
    from tests.conftest import MONDAY_10AM_SHANGHAI

    client, headers = _caller(app, "kiosk")
    assert client.get("/api/v1/halls/demo", headers=headers).status_code == 200
    with store.read() as db:
        device_id = next(db.query("SELECT id FROM devices WHERE kind = 'kiosk'"))["id"]
    auth.revoke_device(store, device_id, MONDAY_10AM_SHANGHAI)
    response = client.get("/api/v1/halls/demo", headers=headers)
    assert response.status_code == 401 and "吊销" in response.get_json()["detail"]


def test_signed_in_writes_need_the_csrf_token(app: Flask) -> None:
    client, headers = _caller(app, "guide")
    assert client.post("/api/v1/halls/demo/tickets", json={"queue": "household"}).status_code == 403
    assert (
        client.post(
            "/api/v1/halls/demo/tickets", json={"queue": "household"}, headers={"X-CSRF-Token": "forged"}
        ).status_code
        == 403
    )
    assert client.post("/api/v1/halls/demo/tickets", json={"queue": "household"}, headers=headers).status_code == 201


def test_wrong_password_and_sign_out(app: Flask) -> None:
    client = app.test_client()
    response = client.post("/api/v1/session", json={"username": "guide", "password": "wrong-password"})
    assert response.status_code == 401 and response.get_json()["detail"] == "用户名或密码不正确"
    response = client.post("/api/v1/session", json={"username": "nobody", "password": "wrong-password"})
    assert response.status_code == 401 and response.get_json()["detail"] == "用户名或密码不正确"
    client, headers = _caller(app, "guide")
    assert client.get("/api/v1/session").get_json()["user"]["role"] == "guide"
    assert client.delete("/api/v1/session", headers=headers).status_code == 204
    assert client.get("/api/v1/session").status_code == 401
