"""Every route and every socket event, every kind of caller: who gets in and who gets a
401 or 403, and that a caller who may not see a hall cannot tell whether it exists.

The expected tables are written out here by hand, apart from the code's own matrix, so
that a change to either shows up as a failure. A test checks that they cover every route
of the app's URL map and every event the socket handles."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from queue_server.cli import demo_hall_toml
from queue_server.commands import COMMANDS
from queue_server.realtime import MARK_SHOWN, SUBSCRIBE
from tests.conftest import PASSWORD

PEOPLE = ("guide", "clerk1", "manager", "admin")
DEVICES = ("hall_screen", "window_screen", "kiosk", "printer", "review_pad")
# Someone of another hall: a manager and a screen of the town hall.
STRANGERS = ("other_manager", "town_screen")
IDENTITIES = ("anonymous", *PEOPLE, *DEVICES, *STRANGERS)
SIGNED_IN = frozenset(IDENTITIES) - {"anonymous"}
OF_THE_HALL = frozenset({*PEOPLE, *DEVICES})  # everyone who may see the demo hall (the admin sees every hall)
PUBLIC = frozenset(IDENTITIES)

CLERK = frozenset({"clerk1"})
CLERK_OR_MANAGER = frozenset({"clerk1", "manager"})
# Who may run each window command, at the window clerk1 has open.
WINDOW_COMMANDS: dict[str, frozenset[str]] = {
    "open_window": CLERK,
    "close_window": CLERK_OR_MANAGER,
    "pause_window": CLERK_OR_MANAGER,
    "resume_window": CLERK_OR_MANAGER,
    "release_window": frozenset({"manager"}),
    "call_next": CLERK,
    "call_number": CLERK,
    "recall": CLERK,
    "mark_no_show": CLERK,
    "start_service": CLERK,
    "finish_service": CLERK,
    "transfer": CLERK,
    "suspend": CLERK,
    "resume_ticket": CLERK,
}
WINDOW_BODIES: dict[str, dict[str, Any]] = {
    "call_number": {"ticket_number": "E002"},
    "resume_ticket": {"ticket_number": "E002"},
    "transfer": {"to_window": 15},
    "release_window": {"reason": "测试"},
}
TICKET_COMMANDS: dict[str, tuple[dict[str, Any], frozenset[str]]] = {
    "issue_ticket": ({"queue": "household"}, frozenset({"guide", "manager", "kiosk"})),
    "cancel_ticket": ({"ticket_id": "{ticket}"}, frozenset({"guide", "manager"})),
}

# (route id, method, path, body, who may). `{hall}` is the demo hall, or another hall
# or none at all in the existence tests; `{ticket}`, `{call}` and `{screen}` are filled in.
ROUTES: list[tuple[str, str, str, Any, frozenset[str]]] = [
    ("health", "GET", "/health", None, PUBLIC),
    ("openapi", "GET", "/openapi.json", None, PUBLIC),
    ("sign-in", "POST", "/session", {"username": "guide", "password": PASSWORD}, PUBLIC),
    ("whoami", "GET", "/session", None, SIGNED_IN),
    ("sign-out", "DELETE", "/session", None, PUBLIC),
    ("list-halls", "GET", "/halls", None, SIGNED_IN),
    ("snapshot", "GET", "/halls/{hall}", None, OF_THE_HALL),
    ("events", "GET", "/halls/{hall}/events?since=0", None, OF_THE_HALL),
    ("issue", "POST", "/halls/{hall}/tickets", {"queue": "household"}, frozenset({"guide", "manager", "kiosk"})),
    ("read-ticket", "GET", "/halls/{hall}/tickets/{ticket}", None, frozenset({"guide", "clerk1", "manager", "admin"})),
    ("cancel", "POST", "/halls/{hall}/tickets/{ticket}/cancel", {}, frozenset({"guide", "manager"})),
    ("sweep", "POST", "/halls/{hall}/sweep", {}, frozenset({"manager", "admin"})),
    ("put-config", "PUT", "/halls/{hall}/config", "TOML", frozenset({"admin"})),
    ("put-notice", "PUT", "/halls/{hall}/notice", {"notice": "通知"}, frozenset({"manager"})),
    ("list-screens", "GET", "/halls/{hall}/screens", None, frozenset({"manager", "admin"})),
    ("put-screen", "PUT", "/halls/{hall}/screens/{screen}", {"rows": 5}, frozenset({"manager"})),
    ("announcement", "GET", "/halls/{hall}/announcements/{call}.wav", None, OF_THE_HALL),
    *(
        (
            name.replace("_", "-"),
            "POST",
            f"/halls/{{hall}}/windows/14/{name.replace('_', '-')}",
            WINDOW_BODIES.get(name),
            allowed,
        )
        for name, allowed in WINDOW_COMMANDS.items()
    ),
    ("list-users", "GET", "/users", None, frozenset({"admin"})),
    ("disable-user", "POST", "/users/{user}/disable", None, frozenset({"admin"})),
    ("enable-user", "POST", "/users/{user}/enable", None, frozenset({"admin"})),
    ("unlock-user", "POST", "/users/{user}/unlock", None, frozenset({"admin"})),
    ("set-role", "PUT", "/users/{user}/role", {"role": "manager"}, frozenset({"admin"})),
    ("set-password", "PUT", "/users/{user}/password", {"password": "another-pass-2026"}, frozenset({"admin"})),
]
HALL_ROUTES = [route for route in ROUTES if "{hall}" in route[2]]


# Signing in hashes the password, slowly on purpose. Every test's app has the same secret
# key and the same users (copies of one database), so a session cookie made for one
# serves the others; it is kept here and used again while the app accepts it.
_SESSIONS: dict[str, tuple[str, str]] = {}


def _login(client: FlaskClient, username: str) -> str:
    if username in _SESSIONS:
        cookie_value, csrf = _SESSIONS[username]
        client.set_cookie("session", cookie_value)
        if client.get("/api/v1/session").status_code == 200:
            return csrf
    response = client.post("/api/v1/session", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.get_data(as_text=True)
    cookie = client.get_cookie("session")
    assert cookie is not None
    _SESSIONS[username] = (cookie.value, str(response.get_json()["csrf_token"]))
    return _SESSIONS[username][1]


def _caller(app: Flask, who: str) -> tuple[FlaskClient, dict[str, str]]:
    client = app.test_client()
    if who == "anonymous":
        return client, {}
    if who in app.config["TEST_TOKENS"]:
        return client, {"Authorization": f"Bearer {app.config['TEST_TOKENS'][who]}"}
    return client, {"X-CSRF-Token": _login(client, who)}


def _day(app: Flask) -> dict[str, int]:
    """A little of a day: E001 and E002 waiting in household, E001 called at window 14 by
    clerk1. Returns the ids the routes need."""
    setup, headers = _caller(app, "guide")
    ticket = setup.post("/api/v1/halls/demo/tickets", json={"queue": "household"}, headers=headers).get_json()["id"]
    setup.post("/api/v1/halls/demo/tickets", json={"queue": "household"}, headers=headers)
    clerk, clerk_headers = _caller(app, "clerk1")
    assert clerk.post("/api/v1/halls/demo/windows/14/open-window", headers=clerk_headers).status_code == 200
    assert clerk.post("/api/v1/halls/demo/windows/14/call-next", headers=clerk_headers).status_code == 200
    with app.extensions["hall_queue"]["store"].read() as db:
        call = next(db.query("SELECT seq FROM events WHERE type = 'ticket_called'"))["seq"]
        screen = next(db.query("SELECT id FROM devices WHERE kind = 'hall_screen'"))["id"]
        user = next(db.query("SELECT id FROM users WHERE username = 'other_guide'"))["id"]  # nobody signs in as it
    return {"ticket": ticket, "call": call, "screen": screen, "user": user}


def _request(app: Flask, who: str, method: str, path: str, body: Any, ids: dict[str, int], hall: str) -> Any:
    client, headers = _caller(app, who)
    url = "/api/v1" + path.format(hall=hall, **ids)
    if body == "TOML":
        return client.open(
            url, method=method, data=demo_hall_toml(always_open=False), headers=headers, content_type="application/toml"
        )
    return client.open(url, method=method, json=body, headers=headers)


@pytest.mark.parametrize(("route", "method", "path", "body", "allowed"), ROUTES, ids=[r[0] for r in ROUTES])
def test_each_route_lets_in_exactly_its_callers(
    app: Flask, route: str, method: str, path: str, body: Any, allowed: frozenset[str]
) -> None:
    ids = _day(app)
    for who in IDENTITIES:
        response = _request(app, who, method, path, body, ids, "demo")
        if who in allowed:
            assert response.status_code not in (401, 403), f"{who} was refused {route}: {response.get_json()}"
        else:
            expected = 401 if who == "anonymous" else 403
            assert response.status_code == expected, (
                f"{who} on {route}: {response.status_code} {response.get_data(as_text=True)}"
            )
            assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize(("route", "method", "path", "body", "allowed"), HALL_ROUTES, ids=[r[0] for r in HALL_ROUTES])
def test_a_hall_one_may_not_see_answers_the_same_whether_or_not_it_exists(
    app: Flask, route: str, method: str, path: str, body: Any, allowed: frozenset[str]
) -> None:
    """Anonymous callers get 401 and the people and devices of another hall 403, with the
    same body, for a hall that is not theirs and for a hall that does not exist; only an
    administrator (who sees every hall) is told that there is no such hall."""
    ids = _day(app)
    for who in IDENTITIES:
        other_hall = "demo" if who in STRANGERS else "town"
        other = _request(app, who, method, path, body, ids, other_hall)
        nowhere = _request(app, who, method, path, body, ids, "atlantis")
        if who == "admin":
            if who in allowed and path != "/halls/{hall}/config":  # a hall file names its own hall
                assert nowhere.status_code == 404, f"{route}: {nowhere.get_data(as_text=True)}"
            continue
        assert (other.status_code, other.get_json()) == (nowhere.status_code, nowhere.get_json()), (
            f"{who} on {route}: {other_hall} {other.status_code} {other.get_json()}, "
            f"none {nowhere.status_code} {nowhere.get_json()}"
        )
        assert other.status_code == (401 if who == "anonymous" else 403), f"{who} on {route}: {other.status_code}"


def test_the_tables_cover_every_route_of_the_app(app: Flask) -> None:
    covered = {(re.sub(r"\?.*", "", path), method) for _, method, path, _, _ in ROUTES}
    served = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        path = path.replace("{ticket_id}", "{ticket}").replace("{device_id}", "{screen}").replace("{seq}", "{call}")
        path = path.replace("{user_id}", "{user}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:  # type: ignore[operator]
            if "{action}" in path:
                served |= {
                    (path.replace("{window}", "14").replace("{action}", c.name.replace("_", "-")), method)
                    for c in COMMANDS.values()
                    if c.window_scoped
                }
            else:
                served.add((path, method))
    assert served == covered
    handled = set(app.extensions["socketio"].server.handlers["/"]) - {"connect", "disconnect", "*"}
    assert handled == set(SOCKET_EVENTS)


# ---- the socket --------------------------------------------------------------------------

# event -> (payload, who may). Window commands at window 14, where clerk1 has E001 called.
SOCKET_EVENTS: dict[str, tuple[dict[str, Any], frozenset[str]]] = {
    SUBSCRIBE: ({"hall": "{hall}"}, OF_THE_HALL),
    # no hall in the payload: a screen marks what it drew of its own hall
    MARK_SHOWN: ({"seq": 1}, frozenset({"hall_screen", "window_screen", "town_screen"})),
    **{name: ({"hall": "{hall}", **body}, allowed) for name, (body, allowed) in TICKET_COMMANDS.items()},
    **{
        name: ({"hall": "{hall}", "window": 14, **WINDOW_BODIES.get(name, {})}, allowed)
        for name, allowed in WINDOW_COMMANDS.items()
    },
}


def _socket(app: Flask, who: str) -> Any:
    socketio = app.extensions["socketio"]
    if who == "anonymous":
        return socketio.test_client(app)
    if who in app.config["TEST_TOKENS"]:
        return socketio.test_client(app, auth={"token": app.config["TEST_TOKENS"][who]})
    client = app.test_client()
    _login(client, who)
    return socketio.test_client(app, flask_test_client=client)


def _emit(app: Flask, who: str, event: str, payload: dict[str, Any], ids: dict[str, int], hall: str) -> Any:
    socket = _socket(app, who)
    if not socket.is_connected():
        return None
    filled = {k: (v.format(hall=hall, **ids) if isinstance(v, str) and "{" in v else v) for k, v in payload.items()}
    if "ticket_id" in filled:
        filled["ticket_id"] = int(filled["ticket_id"])
    answer = socket.emit(event, filled, callback=True)
    socket.disconnect()
    return answer


@pytest.mark.parametrize("event", list(SOCKET_EVENTS))
def test_each_socket_event_lets_in_exactly_its_callers(app: Flask, event: str) -> None:
    payload, allowed = SOCKET_EVENTS[event]
    ids = _day(app)
    for who in IDENTITIES:
        answer = _emit(app, who, event, payload, ids, "demo")
        if who == "anonymous":
            assert answer is None, "an anonymous socket is refused at the door"
        elif who in allowed:
            refused = not answer["ok"] and answer["problem"]["status"] in (401, 403)
            assert not refused, f"{who} was refused {event}: {answer}"
        else:
            assert answer["ok"] is False and answer["problem"]["status"] == 403, f"{who} on {event}: {answer}"


@pytest.mark.parametrize("event", [e for e, (payload, _) in SOCKET_EVENTS.items() if "hall" in payload])
def test_a_socket_event_for_a_hall_one_may_not_see_answers_the_same_whether_or_not_it_exists(
    app: Flask, event: str
) -> None:
    payload, allowed = SOCKET_EVENTS[event]
    ids = _day(app)
    for who in (*PEOPLE, *DEVICES, *STRANGERS):
        other = _emit(app, who, event, payload, ids, "demo" if who in STRANGERS else "town")
        nowhere = _emit(app, who, event, payload, ids, "atlantis")
        if who == "admin":
            if who in allowed:
                assert nowhere["problem"]["status"] == 404, f"{event}: {nowhere}"
            continue
        assert other == nowhere, f"{who} on {event}: other hall {other}, none {nowhere}"
        assert other["problem"]["status"] == 403, f"{who} on {event}: {other}"


# ---- the rest of the door ----------------------------------------------------------------


def test_the_other_hall_lists_only_its_own_hall(app: Flask) -> None:
    client, headers = _caller(app, "other_manager")
    assert client.get("/api/v1/halls", headers=headers).get_json() == {
        "halls": [{"code": "town", "name": "某镇便民服务中心"}]
    }
    client, headers = _caller(app, "admin")
    assert {h["code"] for h in client.get("/api/v1/halls", headers=headers).get_json()["halls"]} == {"demo", "town"}


def test_a_window_one_may_not_work_answers_the_same_whether_or_not_it_exists(app: Flask) -> None:
    """A device or a guide learns nothing about window numbers: 403 for window 14 and 999 alike."""
    for who in ("kiosk", "guide", "hall_screen"):
        client, headers = _caller(app, who)
        there = client.post("/api/v1/halls/demo/windows/14/call-next", headers=headers)
        nowhere = client.post("/api/v1/halls/demo/windows/999/call-next", headers=headers)
        assert there.status_code == nowhere.status_code == 403 and there.get_json() == nowhere.get_json()
    client, headers = _caller(app, "clerk1")
    assert client.post("/api/v1/halls/demo/windows/999/call-next", headers=headers).status_code == 404


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
