"""The desk, the kiosk and the sign-in page in a real browser: opening them at a
device's real size, signing in as a person does, watching for Content-Security-Policy
violations, and reading the diagnostics object each page keeps (`window.hallQueue`).

Nothing here sleeps: waits are Playwright's own, each with a timeout, and given as
functions (the pages' policy refuses `eval`, which an expression would need).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.e2e.helpers import TIMEOUT
from tests.e2e.screens import SCREENSHOTS
from tests.support.live import PASSWORD, LiveServer

# Recorded from the first script on: every policy violation the browser reports.
RECORD_VIOLATIONS = """
  window.__violations = [];
  document.addEventListener("securitypolicyviolation", (event) => {
    window.__violations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
  });
"""


@dataclass
class Page:
    """One page in a browser context of its own (its own cookies and localStorage)."""

    page: Any  # playwright.sync_api.Page
    server: LiveServer
    errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, browser: Any, server: LiveServer, viewport: tuple[int, int], *, touch: bool = False) -> Page:
        context = browser.new_context(
            viewport={"width": viewport[0], "height": viewport[1]}, has_touch=touch, is_mobile=False
        )
        context.add_init_script(RECORD_VIOLATIONS)
        page = context.new_page()
        opened = cls(page, server)
        page.on("pageerror", lambda error: opened.errors.append(str(error)))
        page.on(
            "console",
            lambda message: (
                opened.console.append(f"{message.type}: {message.text}") if message.type == "error" else None
            ),
        )
        return opened

    def goto(self, path: str) -> None:
        self.page.goto(f"{self.server.url}{path}")

    def by_testid(self, testid: str) -> Any:
        return self.page.get_by_test_id(testid)

    def wait_until(self, condition: str, timeout_ms: float = TIMEOUT * 1000) -> None:
        """Wait until `condition` (JavaScript over `hq`, the page's diagnostics) holds."""
        self.page.wait_for_function(
            f"() => {{ const hq = window.hallQueue; return Boolean(hq && ({condition})); }}", timeout=timeout_ms
        )

    def diagnostics(self, expression: str) -> Any:
        return self.page.evaluate(f"() => {{ const hq = window.hallQueue; return {expression}; }}")

    def violations(self) -> list[str]:
        return self.page.evaluate("() => window.__violations")  # type: ignore[no-any-return]

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path

    def close(self) -> None:
        self.page.context.close()

    # ---- people ----------------------------------------------------------------------

    def sign_in(self, username: str, next_path: str = "/desk") -> None:
        """Open `next_path`, be sent to the sign-in page, sign in, and come back."""
        self.goto(next_path)
        self.page.wait_for_url(lambda url: "/login?next=" in url)
        self.by_testid("username").fill(username)
        self.by_testid("password").fill(PASSWORD)
        self.by_testid("password").press("Enter")
        self.page.wait_for_url(f"{self.server.url}{next_path}")

    def open_desk(self, username: str = "guide") -> None:
        self.sign_in(username)
        self.wait_until("hq.loaded && hq.link === 'online'")

    def open_kiosk(self, token: str | None, query: str = "", *, wait: bool = True) -> None:
        """Open /kiosk with the token in the fragment; with `wait`, until its tiles are drawn."""
        self.goto(f"/kiosk{query}" + (f"#token={token}" if token else ""))
        if token and wait:
            self.wait_until("hq.state === 'online' && document.querySelector('[data-testid=queue-tile]')")
