"""Signing in with failed attempts throttled: 429 with Retry-After, the wait growing, the
lock and its lifting, per user name and per client address, and nothing hashed for a
refused attempt. The test clock stands in for time passing."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from queue_server.app import close_app, create_app
from queue_server.cli import main
from tests.conftest import PASSWORD, TEST_CONFIG, Clock

WRONG = "wrong-password"


def sign_in(client: FlaskClient, username: str, password: str, address: str = "10.1.0.1") -> Any:
    return client.post(
        "/api/v1/session", json={"username": username, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


def fail(client: FlaskClient, username: str, times: int, clock: Clock | None = None, address: str = "10.1.0.1") -> None:
    """`times` wrong passwords, each answered 401; with `clock`, each after the wait it was told."""
    for _ in range(times):
        response = sign_in(client, username, WRONG, address)
        if response.status_code == 429 and clock is not None:
            clock.now += timedelta(seconds=int(response.headers["Retry-After"]))
            response = sign_in(client, username, WRONG, address)
        assert response.status_code == 401, response.get_json()


def throttled(response: Any) -> dict[str, Any]:
    assert response.status_code == 429, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.get_json()
    assert response.headers["Retry-After"] == str(body["retry_after"])
    return body


@pytest.fixture
def checks(app: Flask, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password the server checks (the dummy check of an unknown user included)."""
    passwords = app.extensions["hall_queue"]["accounts"].passwords
    checked: list[str] = []
    real = passwords.check

    def counting(stored_hash: str | None, password: str) -> bool:
        checked.append(password)
        return real(stored_hash, password)

    monkeypatch.setattr(passwords, "check", counting)
    return checked


def test_after_five_failures_each_attempt_waits_twice_as_long(client: FlaskClient, clock: Clock) -> None:
    fail(client, "guide", 5)
    body = throttled(sign_in(client, "guide", WRONG))
    assert body["code"] == "login_throttled" and body["retry_after"] == 1
    assert body["detail"] == "该用户名登录失败次数过多：请 1 秒后再试"
    for expected in (2, 4, 8):
        clock.now += timedelta(seconds=expected // 2)
        assert sign_in(client, "guide", WRONG).status_code == 401
        assert throttled(sign_in(client, "guide", WRONG))["retry_after"] == expected


def test_a_refused_attempt_checks_no_password_not_even_the_right_one(
    client: FlaskClient, clock: Clock, checks: list[str]
) -> None:
    fail(client, "guide", 5)
    assert len(checks) == 5
    assert throttled(sign_in(client, "guide", PASSWORD))["code"] == "login_throttled"
    assert len(checks) == 5
    clock.now += timedelta(seconds=1)
    assert sign_in(client, "guide", PASSWORD).status_code == 200
    assert len(checks) == 6


def test_a_refused_attempt_is_held_before_it_is_answered(app: Flask, client: FlaskClient) -> None:
    """A script that ignores Retry-After gets its refusals at the server's pace, not its own."""
    accounts = app.extensions["hall_queue"]["accounts"]
    accounts.refusal_delay = 1.0
    held: list[float] = []
    accounts.sleep = held.append  # the test's stand-in for the (green) sleep
    fail(client, "guide", 5)
    assert held == []  # wrong passwords are answered as soon as they are checked
    throttled(sign_in(client, "guide", WRONG))
    assert held == [1.0]


def test_a_right_password_forgets_the_failures_of_its_user_name(client: FlaskClient) -> None:
    fail(client, "guide", 4)
    assert sign_in(client, "guide", PASSWORD).status_code == 200
    fail(client, "guide", 4)
    assert sign_in(client, "guide", PASSWORD).status_code == 200


def test_the_tenth_failure_locks_the_user_name_until_the_lock_runs_out(client: FlaskClient, clock: Clock) -> None:
    fail(client, "guide", 10, clock)
    body = throttled(sign_in(client, "guide", PASSWORD))  # the right password too
    assert body["code"] == "account_locked" and body["retry_after"] == 15 * 60
    assert "15 分钟" in body["detail"] and "管理员解锁" in body["detail"]
    clock.now += timedelta(minutes=14)
    assert throttled(sign_in(client, "guide", PASSWORD))["code"] == "account_locked"
    clock.now += timedelta(minutes=1)
    assert sign_in(client, "guide", PASSWORD).status_code == 200


def test_an_administrator_unlocks_a_user_name_from_the_command_line(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    fail(client, "guide", 10, clock)
    assert throttled(sign_in(client, "guide", PASSWORD))["code"] == "account_locked"
    assert run(app, "user", "unlock", "guide") == "user guide unlocked\n"
    assert sign_in(client, "guide", PASSWORD).status_code == 200


def test_an_administrator_unlocks_a_user_name_through_the_api(login, client: FlaskClient, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    admin = login("admin")
    fail(client, "guide", 10, clock)
    guide = next(u for u in admin.get("/users")["users"] if u["username"] == "guide")
    assert guide["locked_until"] is not None
    assert admin.post(f"/users/{guide['id']}/unlock")["locked_until"] is None
    assert sign_in(client, "guide", PASSWORD).status_code == 200


def test_an_unknown_user_name_is_throttled_and_locked_like_a_real_one(client: FlaskClient, clock: Clock) -> None:
    """Otherwise the refusals would tell which names exist."""
    fail(client, "nobody", 5)
    assert throttled(sign_in(client, "nobody", WRONG))["code"] == "login_throttled"
    fail(client, "nobody", 5, clock)
    assert throttled(sign_in(client, "nobody", WRONG))["code"] == "account_locked"


def test_a_user_name_is_throttled_whatever_address_it_is_tried_from(client: FlaskClient) -> None:
    for n in range(5):
        assert sign_in(client, "guide", WRONG, address=f"10.2.0.{n}").status_code == 401
    assert throttled(sign_in(client, "guide", WRONG, address="10.2.0.99"))["code"] == "login_throttled"


def test_an_address_trying_many_user_names_is_throttled_and_others_are_not(client: FlaskClient, clock: Clock) -> None:
    for n in range(20):
        assert sign_in(client, f"guess{n}", WRONG).status_code == 401
    body = throttled(sign_in(client, "guess-next", WRONG))
    assert body["detail"] == "本机所在地址登录失败次数过多：请 1 秒后再试"
    assert throttled(sign_in(client, "guide", PASSWORD))["code"] == "login_throttled"
    assert sign_in(client, "guide", PASSWORD, address="10.1.0.2").status_code == 200  # the next counter
    clock.now += timedelta(seconds=1)
    assert sign_in(client, "guess-next", WRONG).status_code == 401
    assert throttled(sign_in(client, "guess-again", WRONG))["retry_after"] == 2


def test_signing_in_many_times_from_one_address_costs_it_nothing(client: FlaskClient) -> None:
    """Right passwords take back the attempt counted before the check: a hall's counters
    behind one address sign in all day."""
    for _ in range(30):
        assert sign_in(client, "guide", PASSWORD).status_code == 200


def test_the_counts_survive_a_restart(app: Flask, client: FlaskClient, clock: Clock) -> None:
    fail(client, "guide", 5)
    close_app(app)
    restarted = create_app({**TEST_CONFIG, "CLOCK": clock}, instance_path=app.instance_path)
    try:
        assert throttled(sign_in(restarted.test_client(), "guide", PASSWORD))["retry_after"] == 1
    finally:
        close_app(restarted)


def test_failed_sign_ins_are_logged_with_name_and_address_never_the_password(
    client: FlaskClient, caplog: pytest.LogCaptureFixture, clock: Clock
) -> None:
    with caplog.at_level(logging.INFO, logger="queue_server.accounts"):
        fail(client, "guide", 10, clock, address="10.3.0.7")
    failures = [r.getMessage() for r in caplog.records if "failed sign-in" in r.getMessage()]
    assert len(failures) == 10 and all("'guide'" in m and "10.3.0.7" in m for m in failures)
    assert any("locked until" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert not any(WRONG in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("setting", "value", "words"),
    [
        ("LOGIN_FREE_ATTEMPTS", -1, "0 or more"),
        ("LOGIN_MAX_DELAY", 0.5, "at least LOGIN_FIRST_DELAY"),
        ("LOGIN_FORGET_MINUTES", 0.5, "longer than LOGIN_MAX_DELAY"),
        ("SESSION_IDLE_MINUTES", "8h", "positive number"),
        ("SESSION_COOKIE_SECURE", "no", "true or false"),
    ],
    ids=["negative-count", "cap-below-first", "forgotten-too-soon", "not-a-number", "not-a-flag"],
)
def test_a_bad_sign_in_setting_stops_start_up_naming_it(tmp_path, setting: str, value: Any, words: str) -> None:  # type: ignore[no-untyped-def]
    from queue_server.config import ConfigError

    with pytest.raises(ConfigError, match=words):
        create_app({**TEST_CONFIG, setting: value}, instance_path=str(tmp_path / "instance"))


def run(app: Flask, *args: str) -> str:
    result = CliRunner().invoke(
        main,
        ["--instance", app.instance_path, *args],
        env={"QUEUE_SECRET_KEY": TEST_CONFIG["SECRET_KEY"]},
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return result.output
