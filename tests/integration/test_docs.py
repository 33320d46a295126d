"""docs/ says what the code does: the OpenAPI file, every route, every socket event."""

from __future__ import annotations

import json
import re
from pathlib import Path

from flask import Flask

from queue_server.api.openapi import openapi_document
from queue_server.commands import COMMANDS
from queue_server.domain.events import SEQUENCE_ADVANCED, EventType
from queue_server.realtime import ANNOUNCER_CHANGED, MARK_SHOWN, SCREEN_CONFIGURED, SUBSCRIBE

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
    assert handled == {SUBSCRIBE, MARK_SHOWN, *COMMANDS}
    assert documented == handled | set(EventType.all()) | {SCREEN_CONFIGURED, ANNOUNCER_CHANGED, SEQUENCE_ADVANCED}
