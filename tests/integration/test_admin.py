"""Administration over the API: accounts created, the hall's devices listed, registered
and revoked, by whom, with what refusals; and the command line held to the same rules,
since both run the same use cases."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask

from queue_server.app import close_app, create_app
from queue_server.cli import main
from tests.conftest import MONDAY_10AM_SHANGHAI, PASSWORD, TEST_CONFIG, Api
from tests.integration.test_realtime import ack, screen

NEW_CLERK = {
    "username": "zhao",
    "display_name": "窗口人员赵敏",
    "role": "clerk",
    "hall": "demo",
    "staff_number": "C010",
    "password": "zhao-pass-2026",
}


def refused(api: Api, method: str, path: str, body: Any, status: int) -> dict[str, Any]:
    response = api.client.open(f"/api/v1{path}", method=method, json=body, headers=api.headers)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    return response.get_json()  # type: ignore[no-any-return]


def audit(api: Api, action: str) -> list[dict[str, Any]]:
    return api.get(f"/audit?action={action}")["entries"]  # type: ignore[no-any-return]


def cli(app: Flask, *args: str, input: str | None = None) -> tuple[int, str]:
    instance = app.instance_path
    result = CliRunner(env={"QUEUE_SECRET_KEY": TEST_CONFIG["SECRET_KEY"]}).invoke(
        main, ["--instance", instance, *args], input=input, catch_exceptions=False
    )
    return result.exit_code, result.output


# ---- accounts ----------------------------------------------------------------------------


def test_an_administrator_creates_a_clerk_who_then_signs_in(app: Flask, login) -> None:  # type: ignore[no-untyped-def]
    admin: Api = login("admin")
    created = admin.post("/users", NEW_CLERK, status=201)
    assert {k: created[k] for k in ("username", "display_name", "role", "hall", "staff_number", "active")} == {
        "username": "zhao",
        "display_name": "窗口人员赵敏",
        "role": "clerk",
        "hall": "demo",
        "staff_number": "C010",
        "active": True,
    }
    assert created["last_seen"] is None and "password" not in str(created)
    signed = app.test_client().post("/api/v1/session", json={"username": "zhao", "password": "zhao-pass-2026"})
    assert signed.status_code == 200 and signed.get_json()["user"]["role"] == "clerk"
    listed = {u["username"]: u for u in admin.get("/users")["users"]}
    assert listed["zhao"]["last_seen"] == "2026-11-23T02:00:00.000Z"  # the sign-in's session
    assert listed["admin"]["last_seen"] is not None and listed["clerk2"]["last_seen"] is None
    (entry,) = audit(admin, "user_created")[:1]
    assert entry["actor"] == "admin" and entry["target"] == "zhao" and entry["hall"] == "demo"


@pytest.mark.parametrize(
    ("change", "status", "field", "says"),
    [
        ({"password": "short"}, 422, "password", "密码至少 8 位"),
        ({"username": "guide"}, 409, "username", "已存在"),
        ({"username": "zhao min"}, 422, "username", "空格"),
        ({"display_name": ""}, 422, "display_name", "display_name"),
        ({"display_name": "名" * 41}, 422, "display_name", "最长 40"),
        ({"staff_number": "工" * 21}, 422, "staff_number", "最长 20"),
        ({"role": "boss"}, 422, "role", "guide"),
        ({"hall": None}, 422, "hall", "每个账号都要属于一个大厅"),
        ({"hall": "atlantis"}, 404, "hall", "atlantis"),
        ({"nickname": "zz"}, 422, "nickname", "未知字段"),
    ],
    ids=[
        "short-password",
        "taken",
        "space",
        "no-name",
        "long-name",
        "long-staff-number",
        "role",
        "no-hall",
        "no-such-hall",
        "unknown-field",
    ],
)
def test_a_wrong_account_is_refused_naming_its_field(
    login,
    change: dict[str, Any],
    status: int,
    field: str,
    says: str,  # type: ignore[no-untyped-def]
) -> None:
    admin: Api = login("admin")
    body = {k: v for k, v in {**NEW_CLERK, **change}.items() if v is not None}
    problem = refused(admin, "POST", "/users", body, status)
    assert problem["field"] == field and says in problem["detail"], problem
    assert "zhao" not in {u["username"] for u in admin.get("/users")["users"]}


def test_who_may_create_accounts_follows_the_role_matrix(login) -> None:  # type: ignore[no-untyped-def]
    """Administrators only; an administrator of one hall, accounts of that hall and no
    administrator of every hall; another hall and no hall answer alike."""
    for who in ("manager", "guide"):
        assert refused(login(who), "POST", "/users", NEW_CLERK, 403)["code"] == "forbidden"
    town_admin: Api = login("other_admin")
    elsewhere = refused(town_admin, "POST", "/users", NEW_CLERK, 403)
    assert refused(town_admin, "POST", "/users", {**NEW_CLERK, "hall": "atlantis"}, 403) == elsewhere
    every_hall = {**NEW_CLERK, "role": "admin", "username": "root2"}
    del every_hall["hall"]
    refused(town_admin, "POST", "/users", every_hall, 403)
    made = town_admin.post("/users", {**NEW_CLERK, "hall": "town"}, status=201)
    assert made["hall"] == "town"
    assert refused(town_admin, "POST", "/users", {**NEW_CLERK, "hall": "town"}, 409)["field"] == "username"


def test_the_command_line_and_the_api_refuse_alike(app: Flask, login) -> None:  # type: ignore[no-untyped-def]
    admin: Api = login("admin")
    args = ["user", "create", "--username", "zhao", "--role", "clerk", "--name", "赵敏", "--hall", "demo"]
    code, out = cli(app, *args, input="short\nshort\n")
    api = refused(admin, "POST", "/users", {**NEW_CLERK, "password": "short"}, 422)
    assert code != 0 and api["detail"] in out
    code, out = cli(app, *args[:3], "guide", *args[4:], input="long-enough-1\nlong-enough-1\n")
    api = refused(admin, "POST", "/users", {**NEW_CLERK, "username": "guide"}, 409)
    assert code != 0 and api["detail"] in out
    code, out = cli(app, "device", "create", "--hall", "demo", "--kind", "hall_screen", "--name", "屏", "--window", "1")
    api = refused(admin, "POST", "/halls/demo/devices", {"kind": "hall_screen", "name": "屏", "window": 1}, 422)
    assert code != 0 and api["detail"] in out
    code, out = cli(app, *args, input="long-enough-1\nlong-enough-1\n")
    assert code == 0, out
    code, out = cli(app, "device", "create", "--hall", "demo", "--kind", "kiosk", "--name", "二号取号机")
    token = out.split("token: ")[1].split()[0]
    assert code == 0 and f"open on the device: http://SERVER:8000/kiosk#token={token}" in out
    listed = {d["name"]: d for d in admin.get("/halls/demo/devices")["devices"]}
    assert listed["二号取号机"]["kind"] == "kiosk" and listed["二号取号机"]["station"] is None
    actors = {(e["actor"], e["target"]) for e in audit(admin, "user_created")}
    assert ("operator", "zhao") in actors


# ---- devices -----------------------------------------------------------------------------


def test_a_manager_registers_a_hall_screen_whose_token_opens_it_once(app: Flask, login) -> None:  # type: ignore[no-untyped-def]
    manager: Api = login("manager")
    before = manager.get("/halls/demo/devices")["devices"]
    assert {d["kind"] for d in before} >= {"hall_screen", "kiosk", "printer", "review_pad"}
    response = manager.client.post(
        "/api/v1/halls/demo/devices", json={"kind": "hall_screen", "name": "二楼综合屏"}, headers=manager.headers
    )
    assert response.status_code == 201 and response.headers["Cache-Control"] == "no-store"
    registered = response.get_json()
    token = registered["token"]
    assert registered["address"] == f"http://localhost/screens/hall#token={token}"
    assert registered["device"]["name"] == "二楼综合屏" and registered["device"]["online"] is False
    device_id = registered["device"]["device_id"]
    after = manager.get("/halls/demo/devices")["devices"]
    assert [d["device_id"] for d in after if d["device_id"] not in {b["device_id"] for b in before}] == [device_id]
    assert token not in str(after)  # only ever in the register answer
    page = app.extensions["socketio"].test_client(app, auth={"token": token})
    assert ack(page, "subscribe", {})["ok"]
    online = {d["device_id"]: d for d in manager.get("/halls/demo/devices")["devices"]}[device_id]
    assert online["online"] is True and online["last_seen"] == "2026-11-23T02:00:00.000Z"
    revoked = manager.post(f"/halls/demo/devices/{device_id}/revoke", {})
    assert revoked["revoked_at"] is not None and revoked["online"] is False
    assert not page.is_connected()  # at once, by this server
    assert (
        Api(app.test_client(), token=token)
        .client.get("/api/v1/halls/demo", headers={"Authorization": f"Bearer {token}"})
        .status_code
        == 401
    )
    assert device_id not in {d["device_id"] for d in manager.get("/halls/demo/devices")["devices"]}
    with_revoked = manager.get("/halls/demo/devices?revoked=true")["devices"]
    assert with_revoked[-1]["device_id"] == device_id and with_revoked[-1]["last_seen"] is not None
    assert refused(manager, "POST", f"/halls/demo/devices/{device_id}/revoke", {}, 404)["field"] == "device"
    entries = audit(login("admin"), "device_registered")
    assert entries[0]["actor"] == "manager" and entries[0]["detail"]["name"] == "二楼综合屏"
    assert audit(login("admin"), "device_revoked")[0]["target"] == str(device_id)


def test_the_address_is_built_on_the_public_base_url(app: Flask, login) -> None:  # type: ignore[no-untyped-def]
    app.config["PUBLIC_BASE_URL"] = "https://hall.example.cn/queue"
    registered = login("manager").post(
        "/halls/demo/devices", {"kind": "review_pad", "name": "3号评价器", "window": 3}, status=201
    )
    assert registered["address"] == f"https://hall.example.cn/queue/pad#token={registered['token']}"
    printer = login("manager").post(
        "/halls/demo/devices", {"kind": "printer", "name": "二号导办台打印机", "station": "desk-2"}, status=201
    )
    assert printer["address"] is None and printer["server"] == "https://hall.example.cn/queue"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"kind": "window_screen", "name": "窗口屏"}, 422, "window"),
        ({"kind": "window_screen", "name": "窗口屏", "window": 999}, 404, "window"),
        ({"kind": "hall_screen", "name": "综合屏", "window": 1}, 422, "window"),
        ({"kind": "printer", "name": "打印机"}, 422, "station"),
        ({"kind": "printer", "name": "打印机", "station": "desk-1"}, 409, "station"),
        ({"kind": "hall_screen", "name": " "}, 422, "name"),
        ({"kind": "hall_screen", "name": "屏" * 61}, 422, "name"),
        ({"kind": "television", "name": "电视"}, 422, "kind"),
        ({"kind": "hall_screen", "name": "屏", "token": "hqd_mine"}, 422, "token"),
    ],
    ids=[
        "no-window",
        "no-such-window",
        "window-of-hall-screen",
        "no-station",
        "station-taken",
        "blank-name",
        "long-name",
        "kind",
        "own-token",
    ],
)
def test_a_wrong_device_is_refused_naming_its_field(
    login,
    body: dict[str, Any],
    status: int,
    field: str,  # type: ignore[no-untyped-def]
) -> None:
    manager: Api = login("manager")
    count = len(manager.get("/halls/demo/devices")["devices"])
    assert refused(manager, "POST", "/halls/demo/devices", body, status)["field"] == field
    assert len(manager.get("/halls/demo/devices")["devices"]) == count


def test_a_manager_manages_the_devices_of_their_own_hall_only(app: Flask, login, device) -> None:  # type: ignore[no-untyped-def]
    town: Api = login("other_manager")
    kiosk = {"kind": "kiosk", "name": "取号机"}
    for path in ("/halls/demo/devices", "/halls/atlantis/devices"):
        assert refused(town, "GET", path, None, 403) == refused(town, "GET", "/halls/demo/devices", None, 403)
        assert refused(town, "POST", path, kiosk, 403)["code"] == "forbidden"
    with app.extensions["hall_queue"]["store"].read() as db:
        demo_kiosk = next(db.query("SELECT id FROM devices WHERE name = 'kiosk'"))["id"]
    assert refused(town, "POST", f"/halls/town/devices/{demo_kiosk}/revoke", {}, 404)["field"] == "device"
    assert refused(town, "POST", f"/halls/demo/devices/{demo_kiosk}/revoke", {}, 403)["code"] == "forbidden"
    for who in ("guide", "clerk1"):
        refused(login(who), "POST", "/halls/demo/devices", kiosk, 403)
    refused(device("kiosk"), "GET", "/halls/demo/devices", None, 403)
    assert login("admin").post("/halls/town/devices", kiosk, status=201)["device"]["kind"] == "kiosk"


def test_a_kiosk_and_a_review_pad_show_online_while_connected(app: Flask, login) -> None:  # type: ignore[no-untyped-def]
    manager: Api = login("manager")
    kiosk, pad = screen(app, "kiosk"), screen(app, "review_pad")
    state = {d["name"]: d["online"] for d in manager.get("/halls/demo/devices")["devices"]}
    assert state["kiosk"] and state["review_pad"] and not state["hall_screen"]
    kiosk.disconnect()
    pad.disconnect()
    listed = {d["name"]: d for d in manager.get("/halls/demo/devices")["devices"]}
    assert not listed["kiosk"]["online"] and listed["kiosk"]["last_seen"] == "2026-11-23T02:00:00.000Z"


def test_online_holds_across_server_processes(app: Flask, redis_url: str) -> None:
    """Two server processes over one database and one Redis: a kiosk connected to one is
    online in the other's list. (Flask-SocketIO's test client refuses a message queue, so
    the kiosk's link is joined to the first process's presence as its connect joins it.)"""
    with app.extensions["hall_queue"]["store"].read() as db:
        kiosk = next(db.query("SELECT id FROM devices WHERE name = 'kiosk'"))["id"]
    close_app(app)
    shared = {**TEST_CONFIG, "SERVER_LOCK_WAIT": 0, "MESSAGE_QUEUE": redis_url}
    first = create_app(shared, instance_path=app.instance_path)
    second = create_app(shared, instance_path=app.instance_path)
    try:
        presence = first.extensions["hall_queue"]["realtime"].presence
        presence.join("kiosk-link", kiosk, "demo", None, MONDAY_10AM_SHANGHAI)
        client = second.test_client()
        assert client.post("/api/v1/session", json={"username": "manager", "password": PASSWORD}).status_code == 200
        listed = {d["name"]: d["online"] for d in client.get("/api/v1/halls/demo/devices").get_json()["devices"]}
        assert listed["kiosk"] is True and listed["hall_screen"] is False
        presence.leave("kiosk-link")
        listed = {d["name"]: d["online"] for d in client.get("/api/v1/halls/demo/devices").get_json()["devices"]}
        assert listed["kiosk"] is False
    finally:
        for server in (first, second):
            server.extensions["hall_queue"]["realtime"].close()
            close_app(server)
