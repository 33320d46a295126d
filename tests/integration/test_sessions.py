"""Server-side sessions: a cookie is worth what its session record says. Signing out,
disabling the account, a new password or a new role end it at once: the next request
is 401 and the session's open socket is closed, by this process at once, and after the
command line's change within the server timer's next round. Idle and too-old sessions
lapse. The cookie itself is HttpOnly, SameSite=Lax and, outside the tests and the demo,
Secure."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from flask_socketio import SocketIOTestClient

from queue_server import auth
from queue_server.app import close_app, create_app
from queue_server.cli import main
from tests.conftest import MONDAY_10AM_SHANGHAI, PASSWORD, TEST_CONFIG, Api, Clock


@dataclass
class Signed:
    """One signed-in browser: its HTTP client, the cookie it holds, and its open socket."""

    api: Api
    cookie: str
    socket: SocketIOTestClient

    def get(self, path: str) -> Any:
        return self.api.client.get(f"/api/v1{path}")


@pytest.fixture
def browser(app: Flask) -> Callable[[str], Signed]:
    def sign_in(username: str) -> Signed:
        client = app.test_client()
        response = client.post("/api/v1/session", json={"username": username, "password": PASSWORD})
        assert response.status_code == 200, response.get_data(as_text=True)
        cookie = client.get_cookie("session")
        assert cookie is not None
        socket = app.extensions["socketio"].test_client(app, flask_test_client=client)
        assert socket.is_connected()
        return Signed(Api(client, csrf=response.get_json()["csrf_token"]), cookie.value, socket)

    return sign_in


def with_cookie(app: Flask, cookie: str) -> FlaskClient:
    """A client that presents a copy of a session cookie (kept, say, by a thief)."""
    client = app.test_client()
    client.set_cookie("session", cookie)
    return client


def refused(response: Any, reason: str) -> str:
    assert response.status_code == 401, response.get_data(as_text=True)
    body = response.get_json()
    assert body["reason"] == reason
    return str(body["detail"])


def cli(app: Flask, *args: str, input: str | None = None) -> str:
    result = CliRunner().invoke(
        main,
        ["--instance", app.instance_path, *args],
        env={"QUEUE_SECRET_KEY": TEST_CONFIG["SECRET_KEY"]},
        input=input,
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return result.output


def timer_round(app: Flask) -> None:
    """One round of the server's timer (the tests run without the background one)."""
    app.extensions["hall_queue"]["jobs"].tick()


def user_id(app: Flask, username: str) -> int:
    with app.extensions["hall_queue"]["store"].read() as db:
        return int(db.execute("SELECT id FROM users WHERE username = ?", [username]).fetchone()[0])


# ---- signing out -------------------------------------------------------------------------


def test_after_sign_out_the_same_cookie_is_refused_and_its_socket_closed_at_once(
    app: Flask, browser: Callable[[str], Signed]
) -> None:
    guide, other_tab = browser("guide"), browser("guide")
    assert guide.get("/session").status_code == 200
    assert guide.api.client.delete("/api/v1/session", headers=guide.api.headers).status_code == 204
    assert not guide.socket.is_connected()
    detail = refused(with_cookie(app, guide.cookie).get("/api/v1/session"), "revoked")
    assert detail == "登录已失效（已退出登录，或账号的密码、角色已变更）：请重新登录"
    # the same person's other sign-in is another session: it carries on
    assert other_tab.get("/session").status_code == 200 and other_tab.socket.is_connected()


def test_a_socket_cannot_connect_with_an_ended_session(app: Flask, browser: Callable[[str], Signed]) -> None:
    guide = browser("guide")
    guide.api.client.delete("/api/v1/session", headers=guide.api.headers)
    socket = app.extensions["socketio"].test_client(app, flask_test_client=with_cookie(app, guide.cookie))
    assert not socket.is_connected()


def test_signing_in_again_in_the_same_browser_ends_the_session_before(
    app: Flask, browser: Callable[[str], Signed]
) -> None:
    guide = browser("guide")
    again = guide.api.client.post("/api/v1/session", json={"username": "guide", "password": PASSWORD})
    assert again.status_code == 200 and not guide.socket.is_connected()
    refused(with_cookie(app, guide.cookie).get("/api/v1/session"), "revoked")
    assert guide.get("/session").status_code == 200  # the new cookie


def test_signing_in_works_with_a_lapsed_cookie_still_in_the_browser(
    browser: Callable[[str], Signed], clock: Clock
) -> None:
    guide = browser("guide")
    clock.now += timedelta(hours=9)
    again = guide.api.client.post("/api/v1/session", json={"username": "guide", "password": PASSWORD})
    assert again.status_code == 200, again.get_json()


# ---- an administrator's changes, in this process -----------------------------------------


@pytest.mark.parametrize(
    ("method", "action", "body"),
    [
        ("POST", "disable", None),
        ("PUT", "password", {"password": "a-new-password-2026"}),
        ("PUT", "role", {"role": "manager"}),
    ],
    ids=["disabled", "new-password", "new-role"],
)
def test_an_administrators_change_ends_every_session_of_the_user_at_once(
    app: Flask, browser: Callable[[str], Signed], method: str, action: str, body: Any
) -> None:
    clerk, clerk_elsewhere, guide = browser("clerk1"), browser("clerk1"), browser("guide")
    admin = browser("admin")
    response = admin.api.client.open(
        f"/api/v1/users/{user_id(app, 'clerk1')}/{action}", method=method, json=body, headers=admin.api.headers
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    reason = "disabled" if action == "disable" else "revoked"
    for session in (clerk, clerk_elsewhere):
        assert not session.socket.is_connected()
        refused(session.get("/halls/demo"), reason)
    assert guide.socket.is_connected() and guide.get("/session").status_code == 200  # someone else


def test_after_a_new_role_the_user_signs_in_with_its_new_rights(app: Flask, login) -> None:  # type: ignore[no-untyped-def]
    admin = login("admin")
    changed = admin.client.put(
        f"/api/v1/users/{user_id(app, 'guide')}/role", json={"role": "manager"}, headers=admin.headers
    )
    assert changed.get_json()["role"] == "manager"
    assert login("guide").get("/session")["user"]["role"] == "manager"


def test_an_administrator_may_not_disable_or_demote_itself(app: Flask, login) -> None:  # type: ignore[no-untyped-def]
    admin = login("admin")
    response = admin.client.post(f"/api/v1/users/{user_id(app, 'admin')}/disable", headers=admin.headers)
    assert response.status_code == 409 and "queue-server user" in response.get_json()["detail"]
    assert admin.get("/session")["user"]["role"] == "admin"


def test_only_administrators_manage_users(app: Flask, login) -> None:  # type: ignore[no-untyped-def]
    manager = login("manager")
    response = manager.client.post(f"/api/v1/users/{user_id(app, 'guide')}/disable", headers=manager.headers)
    assert response.status_code == 403
    assert login("guide").get("/session")["user"]["role"] == "guide"


def test_a_disabled_user_cannot_sign_in_until_enabled_again(app: Flask, client: FlaskClient, login) -> None:  # type: ignore[no-untyped-def]
    admin, guide_id = login("admin"), user_id(app, "guide")
    admin.post(f"/users/{guide_id}/disable")
    response = client.post("/api/v1/session", json={"username": "guide", "password": PASSWORD})
    assert response.status_code == 401 and response.get_json()["detail"] == "用户名或密码不正确"
    assert admin.post(f"/users/{guide_id}/enable")["active"] is True
    assert login("guide").get("/session")["user"]["role"] == "guide"


# ---- the operator's command line, another process ------------------------------------------


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        (("user", "disable", "clerk1"), "disabled"),
        (("user", "set-role", "clerk1", "guide"), "revoked"),
    ],
    ids=["disable", "set-role"],
)
def test_a_command_line_change_refuses_the_next_request_and_closes_the_socket_at_the_next_round(
    app: Flask, browser: Callable[[str], Signed], command: tuple[str, ...], reason: str
) -> None:
    clerk, guide = browser("clerk1"), browser("guide")
    assert "1 session(s) ended" in cli(app, *command)
    refused(clerk.get("/session"), reason)  # the next request: at once, whatever the timer
    timer_round(app)
    assert not clerk.socket.is_connected()
    assert guide.socket.is_connected()


def test_a_new_password_from_the_command_line_ends_the_sessions_and_takes_the_new_one(
    app: Flask, browser: Callable[[str], Signed]
) -> None:
    clerk = browser("clerk1")
    out = cli(app, "user", "set-password", "clerk1", input="a-new-password-2026\na-new-password-2026\n")
    assert "password of clerk1 set; 1 session(s) ended" in out
    timer_round(app)
    assert not clerk.socket.is_connected()
    refused(clerk.get("/session"), "revoked")
    client = app.test_client()
    assert client.post("/api/v1/session", json={"username": "clerk1", "password": PASSWORD}).status_code == 401
    assert (
        client.post("/api/v1/session", json={"username": "clerk1", "password": "a-new-password-2026"}).status_code
        == 200
    )


def test_the_command_line_disables_and_enables_a_user(app: Flask, client: FlaskClient) -> None:
    cli(app, "user", "disable", "guide")
    assert "guide" in cli(app, "user", "list") and "(disabled)" in cli(app, "user", "list")
    assert client.post("/api/v1/session", json={"username": "guide", "password": PASSWORD}).status_code == 401
    assert cli(app, "user", "enable", "guide") == "user guide enabled\n"
    assert client.post("/api/v1/session", json={"username": "guide", "password": PASSWORD}).status_code == 200


def test_set_role_wants_a_hall_for_a_user_that_has_none(app: Flask) -> None:
    result = CliRunner().invoke(
        main,
        ["--instance", app.instance_path, "user", "set-role", "admin", "clerk"],
        env={"QUEUE_SECRET_KEY": TEST_CONFIG["SECRET_KEY"]},
    )
    assert result.exit_code != 0 and "大厅" in result.output
    assert "is now clerk (hall demo)" in cli(app, "user", "set-role", "admin", "clerk", "--hall", "demo")


def test_a_device_revoked_by_the_command_line_loses_its_socket_at_the_next_round(app: Flask, store) -> None:  # type: ignore[no-untyped-def]
    screen = app.extensions["socketio"].test_client(app, auth={"token": app.config["TEST_TOKENS"]["hall_screen"]})
    with store.read() as db:
        device_id = next(db.query("SELECT id FROM devices WHERE kind = 'hall_screen'"))["id"]
    timer_round(app)
    assert screen.is_connected()
    auth.revoke_device(store, device_id, MONDAY_10AM_SHANGHAI)  # what `queue-server device revoke` does
    timer_round(app)
    assert not screen.is_connected()


# ---- lapsing ---------------------------------------------------------------------------------


def test_a_session_unused_for_eight_hours_lapses(app: Flask, browser: Callable[[str], Signed], clock: Clock) -> None:
    guide = browser("guide")
    clock.now += timedelta(hours=7, minutes=59)
    assert guide.get("/session").status_code == 200  # used: the idle time starts over
    clock.now += timedelta(hours=3)
    assert guide.get("/session").status_code == 200  # nearly 11 hours after signing in
    clock.now += timedelta(minutes=30)
    manager = browser("manager")
    clock.now += timedelta(hours=8)
    detail = refused(manager.get("/session"), "idle")
    assert detail == "长时间未操作，登录已过期：请重新登录"


def test_a_session_in_use_still_ends_twelve_hours_after_sign_in(
    app: Flask, browser: Callable[[str], Signed], clock: Clock
) -> None:
    guide = browser("guide")
    for _ in range(11):
        clock.now += timedelta(hours=1)
        assert guide.get("/session").status_code == 200
    clock.now += timedelta(hours=1)
    refused(guide.get("/session"), "expired")


def test_an_idle_sessions_socket_closes_at_the_credential_recheck(
    app: Flask, browser: Callable[[str], Signed], clock: Clock
) -> None:
    guide = browser("guide")
    realtime = app.extensions["hall_queue"]["realtime"]
    assert realtime.close_revoked_links() == 0
    clock.now += timedelta(hours=8)
    assert realtime.close_revoked_links() == 1
    assert not guide.socket.is_connected()


def test_socket_messages_count_as_use(app: Flask, browser: Callable[[str], Signed], clock: Clock) -> None:
    """A clerk working through the socket alone is not idle."""
    clerk = browser("clerk1")
    for _ in range(3):
        clock.now += timedelta(hours=3)
        answer = clerk.socket.emit("subscribe", {"hall": "demo"}, callback=True)
        assert answer["ok"], answer
    assert clerk.get("/session").status_code == 200


def test_the_last_use_is_written_at_most_once_a_minute(
    app: Flask, browser: Callable[[str], Signed], clock: Clock
) -> None:
    guide = browser("guide")
    store = app.extensions["hall_queue"]["store"]

    def last_seen() -> str:
        with store.read() as db:
            return str(db.execute("SELECT max(last_seen_at) FROM sessions").fetchone()[0])

    signed_in_at = last_seen()
    for _ in range(5):
        clock.now += timedelta(seconds=10)
        guide.get("/session")
    assert last_seen() == signed_in_at
    clock.now += timedelta(seconds=10)  # a minute since the sign-in
    guide.get("/session")
    assert last_seen() > signed_in_at


# ---- the cookie --------------------------------------------------------------------------------


def test_the_cookie_is_httponly_samesite_lax_and_secure_by_default(
    tmp_path, template_instance, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    import shutil

    template, _ = template_instance
    instance = tmp_path / "instance"
    shutil.copytree(template, instance)
    settings = {k: v for k, v in TEST_CONFIG.items() if k != "SESSION_COOKIE_SECURE"}

    def set_cookie() -> str:
        app = create_app(settings, instance_path=str(instance))
        try:
            response = app.test_client().post("/api/v1/session", json={"username": "guide", "password": PASSWORD})
            assert response.status_code == 200
            return response.headers["Set-Cookie"]
        finally:
            close_app(app)

    cookie = set_cookie()
    assert "; Secure" in cookie and "; HttpOnly" in cookie and "; SameSite=Lax" in cookie
    monkeypatch.setenv("QUEUE_SESSION_COOKIE_SECURE", "false")  # a plain-HTTP intranet
    cookie = set_cookie()
    assert "; Secure" not in cookie and "; HttpOnly" in cookie and "; SameSite=Lax" in cookie
