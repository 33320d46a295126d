"""The audit log (domain.audit): every kept action through every door (HTTP, socket,
command line) leaves one entry saying who, when, what, where; a refused or failed action
leaves none, and an entry that cannot be written stops its action; the table refuses
changes; administrators read it, filtered and paged, and nobody else."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask

from queue_server import auth, storage
from queue_server.cli import demo_hall_toml, main
from queue_server.domain.access import OPERATOR, Role
from queue_server.domain.clock import utc_now
from queue_server.storage import Storage
from tests.conftest import MONDAY_10AM_SHANGHAI, PASSWORD, TEST_CONFIG, Api
from tests.integration.test_realtime import ack, signed_in

Login = Callable[[str], Api]


def cli(app: Flask, *args: str, ok: bool = True) -> str:
    result = CliRunner().invoke(
        main, ["--instance", app.instance_path, *args], env={"QUEUE_SECRET_KEY": TEST_CONFIG["SECRET_KEY"]}
    )
    assert (result.exit_code == 0) is ok, result.output
    return result.output


def last_id(store: Storage) -> int:
    """Where the log stands (the test database's set-up wrote entries of its own)."""
    with store.read() as db:
        return int(db.execute("SELECT coalesce(max(id), 0) FROM audit_log").fetchone()[0])


def entries_after(store: Storage, start: int) -> list[dict[str, Any]]:
    with store.read() as db:
        rows = storage.audit.entries(db, limit=1000)
    return [row for row in reversed(rows) if row["id"] > start]


def brief(row: dict[str, Any]) -> tuple[Any, ...]:
    return (row["actor"], row["actor_role"], row["hall"], row["action"], row["target"])


def user_id(store: Storage, username: str) -> int:
    with store.read() as db:
        return int(db.execute("SELECT id FROM users WHERE username = ?", [username]).fetchone()[0])


def w(number: int, action: str) -> str:
    return f"/halls/demo/windows/{number}/{action}"


def test_every_kept_action_over_http_leaves_one_entry_with_who_what_where(app: Flask, login: Login, store) -> None:  # type: ignore[no-untyped-def]
    start = last_id(store)
    admin, manager, clerk, guide = (login(name) for name in ("admin", "manager", "clerk1", "guide"))
    clerk2 = user_id(store, "clerk2")
    admin.post(f"/users/{clerk2}/disable")
    admin.post(f"/users/{clerk2}/enable")
    admin.client.put(f"/api/v1/users/{clerk2}/password", json={"password": "another-pass-2026"}, headers=admin.headers)
    admin.client.put(f"/api/v1/users/{clerk2}/role", json={"role": "guide"}, headers=admin.headers)
    admin.post(f"/users/{clerk2}/unlock")
    put = admin.client.put(
        "/api/v1/halls/demo/config",
        data=demo_hall_toml(always_open=False).encode(),
        headers={**admin.headers, "Content-Type": "application/toml"},
    )
    assert put.status_code == 200, put.get_json()
    for _ in range(3):
        guide.post("/halls/demo/tickets", {"queue": "household"}, status=201)
    clerk.post(w(14, "open-window"))
    clerk.post(w(14, "call-next"))  # in turn: not kept
    clerk.post(w(14, "mark-no-show"))
    clerk.post(w(14, "call-number"), {"ticket_number": "E003", "reason": "材料已齐"})  # passes over E002
    manager.post(w(14, "release-window"), {"reason": "工作人员临时离岗"})
    manager.client.put("/api/v1/halls/demo/notice", json={"notice": "今日下午停电检修"}, headers=manager.headers)
    screens = manager.get("/halls/demo/screens")["screens"]
    hall_screen = next(s["device_id"] for s in screens if s["kind"] == "hall_screen")
    manager.client.put(f"/api/v1/halls/demo/screens/{hall_screen}", json={"rows": 6}, headers=manager.headers)
    manager.post("/halls/demo/sweep", {})

    written = entries_after(store, start)
    assert [brief(row) for row in written] == [
        ("admin", "admin", "demo", "user_disabled", "clerk2"),
        ("admin", "admin", "demo", "user_enabled", "clerk2"),
        ("admin", "admin", "demo", "user_password_set", "clerk2"),
        ("admin", "admin", "demo", "user_role_set", "clerk2"),
        ("admin", "admin", "demo", "user_unlocked", "clerk2"),
        ("admin", "admin", "demo", "hall_imported", "demo"),
        ("clerk1", "clerk", "demo", "called_by_number", "E003"),
        ("manager", "manager", "demo", "window_released", "14"),
        ("manager", "manager", "demo", "notice_set", None),
        ("manager", "manager", "demo", "screen_configured", str(hall_screen)),
        ("manager", "manager", "demo", "day_swept", None),
    ]
    details = {row["action"]: row["detail"] for row in written}
    assert details["user_disabled"] == {"role": "clerk", "hall": "demo", "changed": True, "sessions_ended": 0}
    assert details["user_role_set"] == {
        "role": "guide",
        "hall": "demo",
        "was": {"role": "clerk", "hall": "demo"},
        "sessions_ended": 0,
    }
    assert "another-pass-2026" not in str(written)  # never the password
    assert details["called_by_number"] == {
        "window": 14,
        "queue": "household",
        "was": "waiting",
        "out_of_order": True,
        "reason": "材料已齐",
    }
    assert details["window_released"] == {"reason": "工作人员临时离岗", "ticket": "E003"}
    assert details["notice_set"] == {"notice": "今日下午停电检修"}
    assert details["screen_configured"] == {"name": "hall_screen", "changes": {"rows": 6}}
    assert details["day_swept"]["include_today"] is False
    assert details["hall_imported"]["created"] is False and details["hall_imported"]["revision"] == 2
    assert {row["actor_name"] for row in written} == {"测试admin", "测试clerk1", "测试manager"}
    assert all(row["at"] == "2026-11-23T02:00:00.000Z" for row in written)


def test_socket_commands_are_kept_like_their_http_twins(app: Flask, login: Login, store) -> None:  # type: ignore[no-untyped-def]
    guide = login("guide")
    for _ in range(2):
        guide.post("/halls/demo/tickets", {"queue": "household"}, status=201)
    start = last_id(store)
    clerk, manager = signed_in(app, "clerk1"), signed_in(app, "manager")
    assert ack(clerk, "open_window", {"hall": "demo", "window": 14})["ok"]
    called = {"hall": "demo", "window": 14, "ticket_number": "E002", "reason": "老人先办"}
    assert ack(clerk, "call_number", called)["ok"]
    assert ack(manager, "release_window", {"hall": "demo", "window": 14, "reason": "控制台死机"})["ok"]
    assert [brief(row) for row in entries_after(store, start)] == [
        ("clerk1", "clerk", "demo", "called_by_number", "E002"),
        ("manager", "manager", "demo", "window_released", "14"),
    ]


def test_the_command_line_is_kept_as_the_operator(app: Flask, login: Login, store, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    clock.now = utc_now()  # the command line's own clock: the server's day is the same as its
    login("clerk2").post(w(3, "open-window"))  # and left it open
    start = last_id(store)
    hall_file = tmp_path / "hall.toml"
    hall_file.write_text(demo_hall_toml(always_open=False), encoding="utf-8")
    cli(app, "import-hall", str(hall_file))
    cli(app, "user", "create", "--username", "zhao", "--role", "guide", "--name", "赵敏", "--hall", "demo",
        "--password", PASSWORD)  # fmt: skip
    cli(app, "user", "disable", "zhao")
    out = cli(app, "device", "create", "--hall", "demo", "--kind", "review_pad", "--name", "2号评价器", "--window", "2")
    device_id = out.split()[1]
    cli(app, "device", "revoke", device_id)
    cli(app, "release-window", "--hall", "demo", "--window", "3", "--reason", "夜间清理")
    written = entries_after(store, start)
    assert [brief(row) for row in written] == [
        ("operator", None, "demo", "hall_imported", "demo"),
        ("operator", None, "demo", "user_created", "zhao"),
        ("operator", None, "demo", "user_disabled", "zhao"),
        ("operator", None, "demo", "device_registered", device_id),
        ("operator", None, "demo", "device_revoked", device_id),
        ("operator", None, "demo", "window_released", "3"),
    ]
    assert written[3]["detail"] == {"kind": "review_pad", "name": "2号评价器", "window": 2, "station": None}
    assert "hqd_" not in str(written)  # never the token
    assert {row["actor_name"] for row in written} == {OPERATOR.name}

    printed = cli(app, "audit", "--actor", "operator", "--limit", "3").splitlines()
    assert len(printed) == 4 and "older entries" in printed[0]
    assert [line.split()[4] for line in printed[1:]] == ["device_registered", "device_revoked", "window_released"]
    assert "夜间清理" in printed[-1]
    assert cli(app, "audit", "--hall", "town").splitlines()[-1].split()[4] == "device_registered"
    assert "没有编码为 'atlantis' 的大厅" in cli(app, "audit", "--hall", "atlantis", ok=False)
    assert "since" in cli(app, "audit", "--since", "2026-11-23", ok=False)


def test_a_refused_action_leaves_no_entry(app: Flask, login: Login, store) -> None:  # type: ignore[no-untyped-def]
    start = last_id(store)
    admin, manager, clerk = login("admin"), login("manager"), login("clerk1")
    assert admin.post(f"/users/{user_id(store, 'admin')}/disable", status=409)["code"] == "conflict"  # itself
    assert manager.post(w(14, "release-window"), {"reason": "x"}, status=409)["code"] == "conflict"  # closed
    clerk.post(w(14, "open-window"))
    assert clerk.post(w(14, "call-number"), {"ticket_number": "E009"}, status=404)["field"] == "ticket_number"
    too_long = {"notice": "长" * 5000}
    assert manager.client.put("/api/v1/halls/demo/notice", json=too_long, headers=manager.headers).status_code == 422
    assert (
        login("guide")
        .client.put(  # a guide may not configure screens
            "/api/v1/halls/demo/notice", json={"notice": "x"}, headers=login("guide").headers
        )
        .status_code
        == 403
    )
    assert entries_after(store, start) == []


def test_an_action_whose_entry_cannot_be_written_does_not_happen(
    app: Flask, login: Login, store, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """Same transaction: the entry fails, the action rolls back with it."""
    admin = login("admin")
    clerk2 = user_id(store, "clerk2")

    def broken(db: Any, entry: Any) -> int:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(storage.audit, "record", broken)
    assert admin.client.post(f"/api/v1/users/{clerk2}/disable", headers=admin.headers).status_code == 500
    monkeypatch.undo()
    assert next(u for u in admin.get("/users")["users"] if u["id"] == clerk2)["active"] is True


def test_the_log_refuses_every_change_and_removal(app: Flask, store) -> None:  # type: ignore[no-untyped-def]
    assert last_id(store) > 0  # the test database's set-up is in it
    for statement in ("UPDATE audit_log SET actor = 'nobody'", "DELETE FROM audit_log"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"), store.write() as db:
            db.execute(statement)
    with store.read() as db:
        assert db.execute("SELECT count(*) FROM audit_log WHERE actor = 'nobody'").fetchone()[0] == 0


def test_administrators_read_it_filtered_and_paged(app: Flask, login: Login, store, clock) -> None:  # type: ignore[no-untyped-def]
    admin, manager = login("admin"), login("manager")
    clerk2 = user_id(store, "clerk2")
    for _ in range(3):
        admin.post(f"/users/{clerk2}/unlock")
    clock.now = clock.now.replace(hour=3)
    manager.client.put("/api/v1/halls/demo/notice", json={"notice": "午后通知"}, headers=manager.headers)

    everything = admin.get("/audit")
    ids = [row["id"] for row in everything["entries"]]
    assert ids == sorted(ids, reverse=True) and everything["next_before"] is None
    assert everything["entries"][0]["action"] == "notice_set"

    first = admin.get("/audit?limit=2")
    assert [row["id"] for row in first["entries"]] == ids[:2] and first["next_before"] == ids[1]
    second = admin.get(f"/audit?limit=2&before={first['next_before']}")
    assert [row["id"] for row in second["entries"]] == ids[2:4]

    later = admin.get("/audit?since=2026-11-23T11:00:00%2B08:00")["entries"]
    assert [row["action"] for row in later] == ["notice_set"]
    assert [row["actor"] for row in admin.get("/audit?actor=admin")["entries"]] == ["admin"] * 3
    assert len(admin.get("/audit?action=user_unlocked&hall=demo")["entries"]) == 3
    town = admin.get("/audit?hall=town")["entries"]
    assert town and all(row["hall"] == "town" for row in town)


def test_an_administrator_of_one_hall_reads_only_its_entries(app: Flask, login: Login, store) -> None:  # type: ignore[no-untyped-def]
    auth.create_user(
        store,
        username="town_admin",
        password=PASSWORD,
        role=Role.ADMIN,
        display_name="镇管理员",
        hall_code="town",
        staff_number=None,
        now=MONDAY_10AM_SHANGHAI,
    )
    town_admin = login("town_admin")
    seen = town_admin.get("/audit")["entries"]
    assert seen and {row["hall"] for row in seen} == {"town"}
    for hall in ("demo", "atlantis"):  # another hall's and none at all: the same refusal
        refused = town_admin.get(f"/audit?hall={hall}", status=403)
        assert refused["detail"] == "您的账号或设备不属于这个大厅"


@pytest.mark.parametrize("who", ["anonymous", "guide", "clerk1", "manager", "hall_screen", "kiosk"])
def test_nobody_but_administrators_reads_it(app: Flask, login: Login, device, who: str) -> None:  # type: ignore[no-untyped-def]
    if who == "anonymous":
        response = app.test_client().get("/api/v1/audit")
        expected = 401
    else:
        caller = device(who) if who in ("hall_screen", "kiosk") else login(who)
        response = caller.client.get("/api/v1/audit?since=nonsense", headers=caller.headers)
        expected = 403  # refused before its question is even read
    assert response.status_code == expected and response.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ("since=2026-11-23", 422, "since"),
        ("since=yesterday", 422, "since"),
        ("since=9999-12-31T23:59:59-23:59", 422, "since"),
        ("limit=0", 422, "limit"),
        ("limit=501", 422, "limit"),
        ("before=-1", 422, "before"),
        ("action=everything", 422, "action"),
        ("hall=atlantis", 404, "hall"),
        ("actor=" + "x" * 81, 422, "actor"),
        ("page=2", 422, "page"),
    ],
    ids=lambda v: v if isinstance(v, str) and "=" in v else None,
)
def test_a_wrong_filter_is_answered_with_the_field(
    app: Flask, login: Login, query: str, status: int, field: str
) -> None:
    admin = login("admin")
    response = admin.client.get(f"/api/v1/audit?{query}", headers=admin.headers)
    assert response.status_code == status and response.mimetype == "application/problem+json"
    assert response.get_json()["field"] == field
