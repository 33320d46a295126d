"""Both screen pages run under the server's Content-Security-Policy in Chromium: they
load, connect over the websocket, draw a call and fetch its audio without a single
policy violation (queue_server/security.py)."""

from __future__ import annotations

from collections.abc import Callable

import requests
from playwright.sync_api import expect

from tests.e2e.helpers import issue, serve_and_finish, window_do
from tests.e2e.screens import BRISK_VOICE, ScreenPage, configure
from tests.support.live import LiveServer

# Recorded from the first script on: every violation the browser reports to the page.
RECORD_VIOLATIONS = """
  window.__violations = [];
  document.addEventListener("securitypolicyviolation", (event) => {
    window.__violations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
  });
"""


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
