"""The pages under the server's policies, in Chromium: every page the app serves holds no
inline script, style or handler and the policy would refuse one; both screens run under
the Content-Security-Policy without a single violation (queue_server/security.py); and
the window screen shows its clerk's name only where the hall file says so
(docs/privacy.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from flask import Flask
from playwright.sync_api import expect

from queue_server.app import register_routes
from queue_server.cli import demo_hall_toml
from tests.e2e.helpers import TIMEOUT, check, issue, serve_and_finish, window_do
from tests.e2e.screens import BRISK_VOICE, ScreenPage, configure
from tests.support.live import HALL, LiveServer

# Recorded from the first script on: every violation the browser reports to the page.
RECORD_VIOLATIONS = """
  window.__violations = [];
  document.addEventListener("securitypolicyviolation", (event) => {
    window.__violations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
  });
"""


# Whatever the policy forbids, as found in the page's live DOM.
FORBIDDEN_IN_PAGE = """
() => [
  ...[...document.scripts].filter((s) => !s.src || s.textContent.trim()).map((s) => `inline script ${s.outerHTML}`),
  ...[...document.querySelectorAll("*")].flatMap((el) =>
    [...el.attributes]
      .filter((a) => /^on/i.test(a.name) || a.name === "style" || /^\\s*javascript:/i.test(a.value))
      .map((a) => `${el.tagName.toLowerCase()} ${a.name}="${a.value}"`)),
  ...[...document.querySelectorAll("style")].map((s) => `inline style ${s.outerHTML}`),
]
"""
# A script someone slipped into the page: the policy must stop it from running.
SLIP_IN_A_SCRIPT = """
() => {
  const script = document.createElement("script");
  script.textContent = "window.__slippedIn = true;";
  document.body.append(script);
}
"""


def _pages() -> list[str]:
    """Every page the app serves: its GET routes outside the API that take no argument."""
    bare = Flask("routes", static_folder=None)
    register_routes(bare)
    return sorted(
        rule.rule
        for rule in bare.url_map.iter_rules()
        if "GET" in (rule.methods or ()) and not rule.arguments and not rule.rule.startswith("/api/")
    )


@pytest.mark.parametrize("path", _pages())
def test_no_page_holds_inline_script_and_the_policy_refuses_one(server: LiveServer, browser: Any, path: str) -> None:
    context = browser.new_context()
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    try:
        response = page.goto(server.url + path)
        assert response is not None and response.ok, path
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy, policy
        page.wait_for_load_state("load")
        assert page.evaluate(FORBIDDEN_IN_PAGE) == []
        assert page.evaluate("window.__violations") == []

        page.evaluate(SLIP_IN_A_SCRIPT)
        page.wait_for_function("() => window.__violations.length > 0")
        assert page.evaluate("window.__slippedIn") is None
        assert [v.split()[0] for v in page.evaluate("window.__violations")] == ["script-src-elem"]
    finally:
        context.close()


def test_both_screens_work_under_the_policy_without_a_violation(
    server: LiveServer, open_screen: Callable[..., ScreenPage], sign_in: Callable[[LiveServer, str], requests.Session]
) -> None:
    guide, clerk, manager = (sign_in(server, name) for name in ("guide", "clerk1", "manager"))
    configure(server, manager, "hall_screen", voice=BRISK_VOICE)
    hall = open_screen(server, "hall", server.tokens["hall_screen"], init_script=RECORD_VIOLATIONS)
    window = open_screen(server, "window", server.tokens["window_screen"], init_script=RECORD_VIOLATIONS)
    policy = requests.get(f"{server.url}/screens/hall", timeout=10).headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy

    ticket = issue(server, guide, queue="comprehensive")
    window_do(server, clerk, 1, "open-window")
    window_do(server, clerk, 1, "call-next")
    expect(hall.by_testid("latest-number")).to_have_text(ticket["number"])
    expect(window.by_testid("serving-number")).to_have_text(ticket["number"])
    hall.wait_for_announcements(1)  # the chime (WebAudio) and the server's audio (fetch)
    serve_and_finish(server, clerk, 1)
    window_do(server, clerk, 1, "close-window")

    for page in (hall, window):
        assert page.page.evaluate("window.__violations") == []
        assert not [line for line in page.console if "Content Security Policy" in line or "Policy" in line], (
            page.console
        )
        assert page.errors == []


def test_the_window_screen_shows_the_clerk_only_where_the_hall_shows_names(
    server: LiveServer, open_screen: Callable[..., ScreenPage], sign_in: Callable[[LiveServer, str], requests.Session]
) -> None:
    """The demo hall shows names (亮明身份); once an administrator's hall file says
    `show_clerk_names = false`, the screen redraws without it, and nothing it receives
    carries the name any more."""
    clerk, admin = sign_in(server, "clerk2"), sign_in(server, "admin")
    window = open_screen(server, "window", server.tokens["window_screen"])
    window_do(server, clerk, 1, "open-window")
    expect(window.by_testid("clerk-name")).to_have_text("测试clerk2")
    expect(window.by_testid("clerk")).to_be_visible()

    hidden = demo_hall_toml(always_open=True).replace("show_clerk_names = true", "show_clerk_names = false")
    response = admin.put(
        server.api(f"/halls/{HALL}/config"),
        data=hidden.encode(),
        headers={"Content-Type": "application/toml"},
        timeout=TIMEOUT,
    )
    check(response, 200)
    expect(window.by_testid("clerk")).to_be_hidden()
    window_do(server, clerk, 1, "pause-window", reason="去库房取材料")
    expect(window.by_testid("state-words")).to_have_text("暂停服务")
    window_do(server, clerk, 1, "resume-window")
    expect(window.by_testid("state-words")).to_have_text("请稍候")
    expect(window.by_testid("clerk")).to_be_hidden()
    received = "".join(window.frames)
    assert "window_paused" in received and "window_resumed" in received
    after = received[received.index("hall_updated") :]
    assert "测试clerk2" not in after and "去库房取材料" not in received and "ticket_id" not in received
    window_do(server, clerk, 1, "close-window")
    shown = demo_hall_toml(always_open=True).encode()
    response = admin.put(
        server.api(f"/halls/{HALL}/config"), data=shown, headers={"Content-Type": "application/toml"}, timeout=TIMEOUT
    )
    check(response, 200)
