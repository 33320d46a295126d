"""docs/ says what the code does: the OpenAPI file, every route, every socket event."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import jsonschema_rs
from flask import Flask

from queue_server.api.openapi import openapi_document
from queue_server.cli import demo_hall_toml
from queue_server.commands import COMMANDS
from queue_server.domain.events import SEQUENCE_ADVANCED, EventType
from queue_server.domain.printing import PRINT_JOB, PRINT_JOB_UPDATED
from queue_server.domain.privacy import STAFF_ONLY_EVENTS
from queue_server.realtime import (
    ANNOUNCER_CHANGED,
    DEVICE_PRESENCE,
    MARK_SHOWN,
    QUEUE_WAITS_ESTIMATED,
    READ_PROGRESS,
    SCREEN_CONFIGURED,
    SUBSCRIBE,
    WAIT_ESTIMATED,
)
from queue_server.realtime.printing import PRINTING_EVENTS
from queue_server.services.ratings import PAD_EVENTS
from tests.conftest import Api

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_the_openapi_file_is_the_served_document(client) -> None:  # type: ignore[no-untyped-def]
    on_disk = json.loads((DOCS / "openapi.json").read_text(encoding="utf-8"))
    assert on_disk == openapi_document(), "run `queue-server openapi --output docs/openapi.json`"
    assert client.get("/api/v1/openapi.json").get_json() == on_disk


def test_every_route_of_the_app_is_in_the_openapi_document(app: Flask) -> None:
    documented = {
        (path, method.upper())
        for path, item in openapi_document()["paths"].items()
        for method in item
        if method != "parameters"
    }
    actions = [c.name.replace("_", "-") for c in COMMANDS.values() if c.window_scoped]
    served = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:  # type: ignore[operator]
            if "{action}" in path:
                served |= {(path.replace("{action}", a), method) for a in actions}
            else:
                served.add((path, method))
    assert served == documented


def test_every_socket_event_is_documented_and_nothing_else(app: Flask) -> None:
    text = (DOCS / "socket-events.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `(\w+)` \|", text, flags=re.MULTILINE))
    handled = set(app.extensions["socketio"].server.handlers["/"]) - {"connect", "disconnect", "*"}
    assert handled == {SUBSCRIBE, MARK_SHOWN, READ_PROGRESS, *COMMANDS, *PRINTING_EVENTS}
    to_clients = {SCREEN_CONFIGURED, ANNOUNCER_CHANGED, SEQUENCE_ADVANCED, PRINT_JOB, PRINT_JOB_UPDATED, *PAD_EVENTS}
    to_clients |= {WAIT_ESTIMATED, QUEUE_WAITS_ESTIMATED, DEVICE_PRESENCE}
    assert documented == handled | set(EventType.all()) | to_clients


def test_every_event_the_hall_logs_matches_its_schema(login, device, clock) -> None:  # type: ignore[no-untyped-def]
    """A day with every kind of event in it; each one, as `GET …/events` returns it to
    staff and to a public device, has the members the document's `Event` schema says its
    type always carries."""
    guide, clerk, clerk2, manager, admin = (login(u) for u in ("guide", "clerk1", "clerk2", "manager", "admin"))

    def w(window: int, action: str) -> str:
        return f"/halls/demo/windows/{window}/{action}"

    for _ in range(5):
        guide.post("/halls/demo/tickets", {"queue": "household"}, status=201)
    elsewhere = guide.post("/halls/demo/tickets", {"queue": "comprehensive"}, status=201)
    clerk.post(w(14, "open-window"))
    clerk2.post(w(15, "open-window"))
    clerk.post(w(14, "call-next"))
    clerk.post(w(14, "recall"))
    clerk.post(w(14, "mark-no-show"))
    for last in ("finish-service", "suspend", "transfer"):
        called = clerk.post(w(14, "call-next"))
        if last == "transfer":
            clerk.post(w(14, "transfer"), {"to_window": 15})
        else:
            clerk.post(w(14, "start-service"))
            clerk.post(w(14, last))
        if last == "suspend":
            suspended = called["ticket"]
    clerk2.post(w(15, "close-window"))  # the ticket sent to it goes back in line
    resumed = clerk.post(w(14, "resume-ticket"), {"ticket_number": suspended})
    clerk.post(w(14, "finish-service"), {"outcome": "consulted"})
    phone = Api(guide.client.application.test_client())  # the citizen rates on their phone
    phone.post(f"/t/{resumed['ticket_ref']}/rating", {"level": "dissatisfied"}, status=201)
    [case] = manager.get("/halls/demo/review-cases")["cases"]  # a 差评 opens a case (docs/review-cases.md)
    manager.post(f"/halls/demo/review-cases/{case['id']}/contact", {"note": "已电话联系"})
    clerk.post(w(14, "pause-window"), {"reason": "午休"})
    jobs = guide.client.application.extensions["hall_queue"]["jobs"]
    clock.now += timedelta(minutes=16)  # past the demo hall's window_paused_minutes: an alert
    [alert] = [e.data["alert"] for e in jobs.tick() if e.type == "alert_raised"]
    manager.post(f"/halls/demo/alerts/{alert['id']}/acknowledge")
    clerk.post(w(14, "resume-window"))
    jobs.tick()  # resumed: the alert clears
    clerk.post(w(14, "call-next"))
    manager.post(w(14, "release-window"), {"reason": "窗口人员离开"})
    guide.post(f"/halls/demo/tickets/{elsewhere['id']}/cancel", {"reason": "不办了"})
    response = manager.client.put("/api/v1/halls/demo/notice", json={"notice": "测试公告"}, headers=manager.headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    hall_file = demo_hall_toml(always_open=False)
    for effective, name in (("now", "示范区政务服务中心（一）"), ("next-day", "示范区政务服务中心（二）")):
        response = admin.client.put(
            f"/api/v1/halls/demo/config?effective={effective}",
            data=hall_file.replace("示范区政务服务中心", name, 1).encode(),
            headers=admin.headers,
            content_type="application/toml",
        )
        assert response.status_code == 200, response.get_data(as_text=True)
    manager.post("/halls/demo/sweep", {"include_today": True})
    clock.now += timedelta(days=1)
    guide, manager = login("guide"), login("manager")  # yesterday's sessions have lapsed
    guide.post("/halls/demo/tickets", {"queue": "household"}, status=201)

    document = openapi_document()
    validator = jsonschema_rs.validator_for({"$ref": "#/components/schemas/EventsPage", **document})
    public = set(EventType.all()) - STAFF_ONLY_EVENTS
    for page, types in (
        (manager.get("/halls/demo/events?since=0"), set(EventType.all())),
        (device("hall_screen").get("/halls/demo/events?since=0"), public),
    ):
        errors = [f"{e.instance_path}: {e.message}" for e in validator.iter_errors(page)]
        assert not errors, "\n".join(errors)
        assert page["complete"] and {e["type"] for e in page["events"]} == types
