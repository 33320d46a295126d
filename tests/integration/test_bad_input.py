"""Every input from outside gets a clear problem+json answer and writes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.conftest import Api


def _counts(store) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    with store.read() as db:
        return tuple(db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("tickets", "events", "queue_days"))  # type: ignore[return-value]


CASES: list[tuple[str, str, str, Any, dict[str, str], int, str]] = [
    # id, method, path, raw body, extra headers, status, code
    (
        "malformed-json",
        "POST",
        "/halls/demo/tickets",
        b'{"queue": ',
        {"Content-Type": "application/json"},
        400,
        "malformed_request",
    ),
    (
        "not-json",
        "POST",
        "/halls/demo/tickets",
        b"queue=household",
        {"Content-Type": "application/x-www-form-urlencoded"},
        400,
        "malformed_request",
    ),
    (
        "json-array",
        "POST",
        "/halls/demo/tickets",
        b"[1, 2]",
        {"Content-Type": "application/json"},
        422,
        "invalid_input",
    ),
    ("no-target", "POST", "/halls/demo/tickets", b"{}", {"Content-Type": "application/json"}, 422, "invalid_input"),
    (
        "two-targets",
        "POST",
        "/halls/demo/tickets",
        b'{"queue": "household", "item": "id-card"}',
        {"Content-Type": "application/json"},
        422,
        "invalid_input",
    ),
    (
        "unknown-item",
        "POST",
        "/halls/demo/tickets",
        b'{"item": "moon-landing"}',
        {"Content-Type": "application/json"},
        404,
        "not_found",
    ),
    (
        "unknown-queue",
        "POST",
        "/halls/demo/tickets",
        b'{"queue": "vip"}',
        {"Content-Type": "application/json"},
        404,
        "not_found",
    ),
    (
        "unknown-bundle",
        "POST",
        "/halls/demo/tickets",
        b'{"bundle": "everything"}',
        {"Content-Type": "application/json"},
        404,
        "not_found",
    ),
    (
        "bad-priority",
        "POST",
        "/halls/demo/tickets",
        b'{"queue": "household", "priority": "vip"}',
        {"Content-Type": "application/json"},
        422,
        "invalid_input",
    ),
    (
        "bad-id-number",
        "POST",
        "/halls/demo/tickets",
        b'{"queue": "household", "id_number": "110105194912310021"}',
        {"Content-Type": "application/json"},
        422,
        "invalid_input",
    ),
    (
        "wrong-type",
        "POST",
        "/halls/demo/tickets",
        b'{"queue": 7}',
        {"Content-Type": "application/json"},
        422,
        "invalid_input",
    ),
    (
        "channel-is-not-for-the-client-to-say",
        "POST",
        "/halls/demo/tickets",
        b'{"queue": "household", "channel": "desk"}',
        {"Content-Type": "application/json"},
        422,
        "invalid_input",
    ),
    (
        "too-long",
        "POST",
        "/halls/demo/tickets",
        b'{"queue": "' + b"x" * 500 + b'"}',
        {"Content-Type": "application/json"},
        422,
        "invalid_input",
    ),
    (
        "oversized",
        "POST",
        "/halls/demo/tickets",
        b'{"queue": "household", "pad": "' + b"x" * 300_000 + b'"}',
        {"Content-Type": "application/json"},
        413,
        "request_entity_too_large",
    ),
    (  # the guide of one hall is not told whether another hall code exists (test_role_matrix)
        "unknown-hall",
        "POST",
        "/halls/atlantis/tickets",
        b'{"queue": "household"}',
        {"Content-Type": "application/json"},
        403,
        "forbidden",
    ),
    ("unknown-ticket", "GET", "/halls/demo/tickets/999999", None, {}, 404, "not_found"),
    ("unknown-route", "GET", "/halls/demo/nothing-here", None, {}, 404, "not_found"),
    ("wrong-method", "DELETE", "/halls/demo/tickets", None, {}, 405, "method_not_allowed"),
    # a guide works no window, so it is not told which exist (a clerk gets 404: test_role_matrix)
    ("unknown-window", "POST", "/halls/demo/windows/77/call-next", None, {}, 403, "forbidden"),
    ("unknown-action", "POST", "/halls/demo/windows/14/dance", None, {}, 404, "unknown_action"),
    ("events-without-since", "GET", "/halls/demo/events", None, {}, 422, "invalid_input"),
    ("events-bad-since", "GET", "/halls/demo/events?since=-3", None, {}, 422, "invalid_input"),
    ("events-after-is-not-since", "GET", "/halls/demo/events?after=3", None, {}, 422, "invalid_input"),
    ("find-unknown-status", "GET", "/halls/demo/tickets?status=lost", None, {}, 422, "invalid_input"),
    ("find-by-id-in-the-address", "GET", "/halls/demo/tickets?id_number=E12345678", None, {}, 422, "invalid_input"),
    ("check-in-bad-reference", "POST", "/halls/demo/appointments/YY%20001/check-in", None, {}, 422, "invalid_input"),
    ("check-in-unknown-appointment", "POST", "/halls/demo/appointments/YY001/check-in", None, {}, 404, "not_found"),
    # issue 6, case 10: each of these answered 500, or was read as something else
    (
        "json-nested-5000-deep",
        "POST",
        "/halls/demo/tickets",
        b"[" * 5000 + b"]" * 5000,
        {"Content-Type": "application/json"},
        400,
        "malformed_request",
    ),
    (
        "json-null-body",
        "POST",
        "/halls/demo/tickets",
        b"null",
        {"Content-Type": "application/json"},
        422,
        "invalid_input",
    ),
    ("ticket-id-23-digits", "GET", "/halls/demo/tickets/12345678901234567890123", None, {}, 404, "not_found"),
    ("ticket-id-full-width", "GET", "/halls/demo/tickets/\uff11", None, {}, 404, "not_found"),
    ("window-full-width-digit", "POST", "/halls/demo/windows/\uff11/call-next", None, {}, 404, "not_found"),
    (
        "window-number-as-full-width-text",
        "POST",
        "/halls/demo/windows/14/transfer",
        '{"to_window": "\uff11\uff15"}'.encode(),
        {"Content-Type": "application/json"},
        422,
        "invalid_input",
    ),
    # issue 6, case 11: a typo must not silently drop what was meant
    (
        "misspelt-priority",
        "POST",
        "/halls/demo/tickets",
        b'{"item": "social-security-card", "prioirty": "senior"}',
        {"Content-Type": "application/json"},
        422,
        "invalid_input",
    ),
    (
        "lone-surrogate-in-a-key",
        "POST",
        "/halls/demo/tickets",
        b'{"\\ud800": 1}',
        {"Content-Type": "application/json"},
        400,
        "malformed_request",
    ),
    (
        "lone-surrogate-in-a-value",
        "POST",
        "/halls/demo/tickets/1/cancel",
        b'{"reason": ["\\udc00"]}',
        {"Content-Type": "application/json"},
        400,
        "malformed_request",
    ),
    (
        "csrf-token-not-ascii",
        "POST",
        "/halls/demo/tickets",
        b'{"queue": "household"}',
        {"Content-Type": "application/json", "X-CSRF-Token": "é"},
        403,
        "csrf_failed",
    ),
    (
        "hall-in-the-body",
        "POST",
        "/halls/demo/tickets",
        b'{"queue": "household", "hall": "town"}',
        {"Content-Type": "application/json"},
        422,
        "invalid_input",
    ),
    (
        "idempotency-key-in-the-body",
        "POST",
        "/halls/demo/tickets",
        b'{"queue": "household", "idempotency_key": "k1"}',
        {"Content-Type": "application/json"},
        422,
        "invalid_input",
    ),
    (
        "ticket-in-the-body",
        "POST",
        "/halls/demo/tickets/1/cancel",
        b'{"ticket_id": 2}',
        {"Content-Type": "application/json"},
        422,
        "invalid_input",
    ),
    (
        "window-in-the-body",
        "POST",
        "/halls/demo/windows/1/pause-window",
        b'{"window": 2}',
        {"Content-Type": "application/json"},
        422,
        "invalid_input",
    ),
]


@pytest.mark.parametrize(
    ("case", "method", "path", "body", "headers", "status", "code"), CASES, ids=[c[0] for c in CASES]
)
def test_bad_input_gets_a_problem_and_writes_nothing(
    login,
    store,
    case: str,
    method: str,
    path: str,
    body: bytes | None,
    headers: dict[str, str],
    status: int,
    code: str,  # type: ignore[no-untyped-def]
) -> None:
    guide: Api = login("guide")
    before = _counts(store)
    response = guide.client.open(f"/api/v1{path}", method=method, data=body, headers={**guide.headers, **headers})
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == status and problem["code"] == code
    assert problem["type"].endswith(code) and problem["title"]
    assert len(problem["detail"]) >= 4  # a sentence, not a bare code
    assert _counts(store) == before


def test_a_field_error_names_the_field(login) -> None:  # type: ignore[no-untyped-def]
    problem = login("guide").post("/halls/demo/tickets", {"queue": "household", "priority": "vip"}, status=422)
    assert problem["field"] == "priority" and "senior" in problem["detail"]
    typo = login("guide").post("/halls/demo/tickets", {"queue": "household", "prioirty": "senior"}, status=422)
    assert typo["field"] == "prioirty" and "priority" in typo["detail"]


def test_a_field_the_address_or_a_header_carries_is_refused_in_the_body(login) -> None:  # type: ignore[no-untyped-def]
    """Over HTTP the window, the ticket and the Idempotency-Key come from the address or a
    header; the body's copy would be overridden (or, for the key, used), so it is refused."""
    problem = login("guide").post("/halls/demo/tickets", {"queue": "household", "hall": "town"}, status=422)
    assert problem["field"] == "hall" and "idempotency_key" not in problem["detail"]
    assert "queue" in problem["detail"]


def test_a_bad_hall_file_names_the_key_and_changes_nothing(app: Flask, login, store) -> None:  # type: ignore[no-untyped-def]
    admin = login("admin")
    with store.read() as db:
        before = next(db.query("SELECT revision, config_toml FROM halls WHERE code = 'demo'"))
    bad = (
        '[hall]\ncode = "demo"\nname = "x"\n[hall.hours]\nmon = ["09:00-17:00"]\n[[zones]]\ncode="z"\nname="z"\n'
        + "".join(
            f'[[queues]]\ncode = "s{i}"\nprefix = "{"ABCDEFG"[i]}"\nname = "专区{i}"\nkind = "specialised"\n'
            for i in range(7)
        )
        + '[[windows]]\nnumber = 1\nname = "1"\nzone = "z"\nserves = ['
        + ",".join(f'{{queue = "s{i}"}}' for i in range(7))
        + "]\n"
    )
    response = admin.client.put(
        "/api/v1/halls/demo/config", data=bad.encode(), headers=admin.headers, content_type="application/toml"
    )
    assert response.status_code == 422
    assert response.get_json()["key"] == "queues[6].kind" and "最多 6 个" in response.get_json()["detail"]
    response = admin.client.put(
        "/api/v1/halls/demo/config", data=b"[hall\n", headers=admin.headers, content_type="application/toml"
    )
    assert response.status_code == 422 and "TOML" in response.get_json()["detail"]
    with store.read() as db:
        assert next(db.query("SELECT revision, config_toml FROM halls WHERE code = 'demo'")) == before


def test_a_hall_file_for_another_code_is_refused(login) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import OTHER_HALL

    admin = login("admin")
    response = admin.client.put(
        "/api/v1/halls/demo/config", data=OTHER_HALL.encode(), headers=admin.headers, content_type="application/toml"
    )
    assert response.status_code == 422 and "town" in response.get_json()["detail"]


def test_the_admin_replaces_the_hall_and_screens_hear_of_it(login, device) -> None:  # type: ignore[no-untyped-def]
    from queue_server.cli import demo_hall_toml

    admin = login("admin")
    text = demo_hall_toml(always_open=False).replace('name = "示范区政务服务中心"', 'name = "示范区政务服务中心（新）"')
    response = admin.client.put(
        "/api/v1/halls/demo/config", data=text.encode(), headers=admin.headers, content_type="application/toml"
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert device("hall_screen").get("/halls/demo")["hall"]["name"] == "示范区政务服务中心（新）"
    assert device("hall_screen").get("/halls/demo/events?since=0")["events"][-1]["type"] == "hall_updated"


def test_a_notice_with_half_a_surrogate_pair_is_refused_not_stored(login) -> None:  # type: ignore[no-untyped-def]
    """JSON may spell "\\ud800"; SQLite and every screen need valid UTF-8."""
    manager = login("manager")
    response = manager.client.put(
        "/api/v1/halls/demo/notice",
        data=b'{"notice": "\\ud800"}',
        headers={**manager.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400 and response.get_json()["code"] == "malformed_request"
    assert "\\ud800" in response.get_json()["detail"]


@pytest.mark.parametrize(
    "nested",
    [b"a = " + b"[" * 5000 + b"]" * 5000, b"a = " + b"{b = " * 3000 + b"1" + b"}" * 3000],
    ids=["arrays", "tables"],
)
def test_a_hall_file_nested_too_deep_is_refused(login, nested: bytes) -> None:  # type: ignore[no-untyped-def]
    admin = login("admin")
    response = admin.client.put(
        "/api/v1/halls/demo/config", data=nested + b"\n", headers=admin.headers, content_type="application/toml"
    )
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.get_json()["code"] == "invalid_hall_config" and "嵌套" in response.get_json()["detail"]


@pytest.mark.parametrize("zone", [{"code": "1f"}, ["1f"], 7], ids=["object", "list", "number"])
def test_a_screen_zone_that_is_not_text_is_refused(login, app: Flask, zone: Any) -> None:  # type: ignore[no-untyped-def]
    """Regression: a zone sent as an object or a list answered 500 (unhashable type)."""
    manager = login("manager")
    screens = manager.get("/halls/demo/screens")["screens"]
    device_id = next(s["device_id"] for s in screens if s["kind"] == "hall_screen")
    response = manager.client.put(
        f"/api/v1/halls/demo/screens/{device_id}", json={"zone": zone}, headers=manager.headers
    )
    assert response.status_code == 422 and response.get_json()["field"] == "zone"
    from tests.integration.test_realtime import ack, screen

    answer = ack(screen(app), "subscribe", {"hall": "demo", "zone": zone})
    assert answer["ok"] is False and answer["problem"]["status"] == 422 and answer["problem"]["field"] == "zone"


def test_control_characters_never_reach_the_screens(login) -> None:  # type: ignore[no-untyped-def]
    """Regression: a NUL byte was stored in the notice and sent to every screen."""
    manager = login("manager")
    response = manager.client.put("/api/v1/halls/demo/notice", json={"notice": "请\x00排队"}, headers=manager.headers)
    assert response.status_code == 422 and response.get_json()["field"] == "notice"
    assert manager.get("/halls/demo")["notice"] != "请\x00排队"
    lines = manager.client.put("/api/v1/halls/demo/notice", json={"notice": "第一行\n第二行"}, headers=manager.headers)
    assert lines.get_json()["notice"] == "第一行 第二行"  # it scrolls on one line
