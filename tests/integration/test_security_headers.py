"""Every answer carries the security headers: each route of the app's URL map, static
files, error answers and the Socket.IO transport (queue_server/security.py)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.routing import Rule

from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
SAME_EVERYWHERE = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
# A real value for each variable part of a route, so that most requests reach the route's body.
ARGUMENTS = {
    "hall": "demo",
    "window": 1,
    "ticket_id": 1,
    "device_id": 1,
    "user_id": 1,
    "letter_id": 1,
    "case_id": 1,
    "alert_id": 1,
    "kind": "queues",
    "seq": 1,
    "action": "call-next",
    "filename": "screens.css",
    "reference": "YY001",
    "ref": "AbCdEfGhIjKlMnOpQrSt_-",
}


def assert_secured(response: Any, what: str) -> None:
    for name, value in SAME_EVERYWHERE.items():
        assert response.headers.get(name) == value, f"{what}: {name} is {response.headers.get(name)!r}"
    assert "camera=()" in response.headers.get("Permissions-Policy", ""), what
    policy = response.headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in policy, f"{what}: {policy!r}"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, f"{what}: {policy!r}"
    if response.mimetype == "text/html":
        assert "script-src 'self'" in policy and "style-src 'self'" in policy, f"{what}: {policy!r}"
        assert "connect-src 'self' ws://localhost wss://localhost" in policy, f"{what}: {policy!r}"
    else:
        assert policy.startswith("default-src 'none'"), f"{what}: {policy!r}"


def _url(rule: Rule) -> str:
    path = rule.rule
    for name in rule.arguments:
        path = re.sub(rf"<(?:\w+:)?{name}>", str(ARGUMENTS[name]), path)
    return path


def _rules(app: Flask) -> list[tuple[str, str]]:
    return sorted(
        (_url(rule), method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}  # type: ignore[operator]
    )


@pytest.mark.parametrize("who", ["anonymous", "manager"])
def test_every_route_of_the_app_answers_with_the_security_headers(app: Flask, who: str) -> None:
    client = app.test_client()
    headers = {}
    if who != "anonymous":
        answer = client.post("/api/v1/session", json={"username": who, "password": PASSWORD})
        headers["X-CSRF-Token"] = answer.get_json()["csrf_token"]
    routes = _rules(app)
    assert len(routes) > 20 and any(path.startswith("/screens/") for path, _ in routes)
    for path, method in routes:
        response = client.open(path, method=method, headers=headers, json={} if method != "GET" else None)
        assert_secured(response, f"{who} {method} {path} → {response.status_code}")


def test_api_answers_are_not_cached_but_spoken_calls_keep_their_own(app: Flask) -> None:
    client = app.test_client()
    answer = client.post("/api/v1/session", json={"username": "guide", "password": PASSWORD})
    assert answer.headers["Cache-Control"] == "no-store"
    assert client.get("/api/v1/health").headers["Cache-Control"] == "no-store"
    assert "no-store" not in (client.get("/screens/static/screens.css").headers.get("Cache-Control") or "")


def test_errors_static_files_and_the_socket_transport_are_covered_too(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    for path in ("/api/v1/nowhere", "/nowhere", "/screens/static/missing.js", "/socket.io/?EIO=4&transport=polling"):
        assert_secured(client.get(path), path)
    assert_secured(client.put("/api/v1/health"), "405")
    assert_secured(client.post("/api/v1/session", data=b"x" * (300 * 1024)), "413")

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(app.extensions["hall_queue"]["services"], "list_halls", broken)
    answer = client.post("/api/v1/session", json={"username": "guide", "password": PASSWORD})
    response = client.get("/api/v1/halls")
    assert response.status_code == 500 and answer.status_code == 200
    assert_secured(response, "500")


def test_the_pages_hold_no_inline_script_style_or_handler(app: Flask) -> None:
    """What the policy forbids is not in the pages, so nothing on them breaks under it."""
    client = app.test_client()
    for page in ("/screens/hall", "/screens/window", "/t/AbCdEfGhIjKlMnOpQrSt_-"):
        html = client.get(page).get_data(as_text=True)
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert re.search(r'\bsrc="[^"]+"', tag), f"{page}: inline script {tag}"
        assert not re.search(r"<script\b[^>]*>\s*[^<\s]", html), f"{page}: a script with a body"
        assert not re.search(r"\son[a-z]+\s*=", html), f"{page}: an inline event handler"
        assert not re.search(r"<style\b|\sstyle\s*=", html), f"{page}: inline style"
        assert not re.search(r"javascript:", html), page
    folders = (ROOT / "signage" / "static", ROOT / "ticket_printer" / "phone" / "static")
    scripts = [script for folder in folders for script in folder.glob("*.js")]
    assert len(scripts) >= 10
    for script in scripts:
        text = script.read_text(encoding="utf-8")
        for forbidden in ("eval(", "new Function", "innerHTML", 'setAttribute("style"', "insertAdjacentHTML"):
            assert forbidden not in text, f"{script.name}: {forbidden}"
