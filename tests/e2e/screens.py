"""The hall and window screens in a real browser: opening a page with a device token,
reading the diagnostics object the page keeps (`window.hallQueue`), setting a screen up
as a manager would, and making calls while the server is down.

Nothing here sleeps: waits are Playwright's own (`wait_for_function`, `expect`), each
with a timeout.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from queue_server import auth
from queue_server.app import close_app, create_app
from queue_server.commands import COMMANDS
from queue_server.domain import clock
from queue_server.domain.access import DeviceKind
from tests.e2e.helpers import TIMEOUT, check
from tests.support.live import HALL, LiveServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--autoplay-policy=no-user-gesture-required",
]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "build" / "screenshots"
VENDORED = ROOT / "signage" / "static" / "vendor" / "socket.io.esm.min.js"  # copied by `make setup`
LANDSCAPE = (1920, 1080)
PORTRAIT = (1080, 1920)
# The TV sizes a screen must fit: full HD, the two common HD-ready panels, portrait.
SIZES = ((1920, 1080), (1366, 768), (1280, 720), PORTRAIT)
# Announcements of the server path take a chime plus espeak-ng's audio (about three
# seconds at rate 2); several queued ones need more than the default ten.
VOICE_TIMEOUT_MS = 40_000
# Quick to say, so that tests which wait for announcements stay short.
BRISK_VOICE = {"repeat": 1, "rate": 2.0}


@dataclass
class ScreenPage:
    """One screen page in a browser context of its own."""

    page: Any  # playwright.sync_api.Page
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)  # errors and warnings the page logged
    frames: list[str] = field(default_factory=list)  # what the page received over its websocket

    @classmethod
    def open(
        cls,
        browser: Any,
        server: LiveServer,
        kind: str,
        token: str | None,
        *,
        viewport: tuple[int, int] = LANDSCAPE,
        init_script: str | None = None,
        wait: bool = True,
    ) -> ScreenPage:
        """Open /screens/{kind}#token=…; with `wait`, until the first subscribe is answered."""
        context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
        if init_script:
            context.add_init_script(init_script)
        page = context.new_page()
        screen = cls(page)
        page.on("pageerror", lambda error: screen.errors.append(str(error)))
        page.on("request", lambda request: screen.requests.append(request.url))
        page.on(
            "console",
            lambda message: (
                screen.console.append(f"{message.type}: {message.text}")
                if message.type in ("error", "warning")
                else None
            ),
        )
        page.on(
            "websocket",
            lambda socket: socket.on(
                "framereceived",
                lambda payload: screen.frames.append(payload if isinstance(payload, str) else payload.decode()),
            ),
        )
        fragment = f"#token={token}" if token else ""
        page.goto(f"{server.url}/screens/{kind}{fragment}")
        if wait:
            screen.wait_until("hq.state === 'online' && hq.screen !== null")
        return screen

    def close(self) -> None:
        self.page.context.close()

    def by_testid(self, testid: str) -> Any:
        return self.page.get_by_test_id(testid)

    def wait_until(self, condition: str, timeout_ms: float = TIMEOUT * 1000) -> None:
        """Wait until `condition` (JavaScript over `hq`, the page's diagnostics) holds.
        Given as a function, not an expression: Playwright would `eval` an expression in
        the page, which the page's Content-Security-Policy rightly refuses."""
        self.page.wait_for_function(
            f"() => {{ const hq = window.hallQueue; return Boolean(hq && ({condition})); }}",
            timeout=timeout_ms,
        )

    def diagnostics(self, expression: str) -> Any:
        return self.page.evaluate(f"(() => {{ const hq = window.hallQueue; return {expression}; }})()")

    def voice_log(self) -> list[dict[str, Any]]:
        return self.diagnostics("hq.voiceLog.map(e => ({...e}))")  # type: ignore[no-any-return]

    def wait_for_announcements(self, count: int) -> list[dict[str, Any]]:
        self.wait_until(f"hq.voiceLog.length >= {count}", VOICE_TIMEOUT_MS)
        return self.voice_log()

    def audio_requests(self) -> list[str]:
        return [url for url in self.requests if "/announcements/" in url]

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path


# Everything with text on a screen must fit in its box: for each visible element that
# holds text itself, its content does not overflow it (scrollWidth/scrollHeight within
# clientWidth/clientHeight), and its box lies within the box it is laid out in (its
# nearest non-inline ancestor; the viewport for a fixed element) and within the
# viewport. A marquee (`data-marquee`) is meant to be wider than its box. Waits two
# frames first, so that a resize or a redraw has been laid out.
FIND_OVERFLOW = """
async () => {
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  const slack = 1; // px: layout rounds to whole pixels
  const viewport = { left: 0, top: 0, right: innerWidth, bottom: innerHeight };
  const name = (el) => el.dataset.testid || `${el.tagName.toLowerCase()}.${[...el.classList].join(".")}`;
  const outside = (box, region) =>
    box.left < region.left - slack || box.top < region.top - slack ||
    box.right > region.right + slack || box.bottom > region.bottom + slack;
  const rect = (box) => [box.left, box.top, box.right, box.bottom].map(Math.round).join(",");
  const visible = (el) => el.checkVisibility({ visibilityProperty: true, checkVisibilityCSS: true });
  const problems = [];
  for (const el of document.body.querySelectorAll("*")) {
    const own = [...el.childNodes].filter((node) => node.nodeType === Node.TEXT_NODE);
    const text = own.map((node) => node.data).join("").trim();
    if (!text || el.closest("[data-marquee]") || !visible(el)) continue;
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    if (style.display !== "inline") {
      if (el.scrollWidth > el.clientWidth + slack || el.scrollHeight > el.clientHeight + slack) {
        const content = `${el.scrollWidth}x${el.scrollHeight}`;
        problems.push(`${name(el)} "${text}": content ${content} > box ${el.clientWidth}x${el.clientHeight}`);
      }
    }
    let parent = el.parentElement;
    while (parent && getComputedStyle(parent).display === "inline") parent = parent.parentElement;
    const region = style.position === "fixed" || !parent ? viewport : parent.getBoundingClientRect();
    if (outside(box, region)) {
      const within = parent ? name(parent) : "viewport";
      problems.push(`${name(el)} "${text}": box ${rect(box)} outside ${within} ${rect(region)}`);
    }
    if (outside(box, viewport)) problems.push(`${name(el)} "${text}": box ${rect(box)} outside the viewport`);
  }
  return problems;
}
"""


def overflowing(page: Any) -> list[str]:
    """What on the page does not fit (FIND_OVERFLOW); empty when everything fits."""
    return page.evaluate(FIND_OVERFLOW)  # type: ignore[no-any-return]


# ---- the manager's side ------------------------------------------------------------------


def screen_devices(server: LiveServer, manager: requests.Session) -> dict[str, dict[str, Any]]:
    """GET /halls/demo/screens: every screen device by name, with online and last shown."""
    listed = check(manager.get(server.api(f"/halls/{HALL}/screens"), timeout=TIMEOUT), 200)
    return {screen["name"]: screen for screen in listed["screens"]}


def configure(server: LiveServer, manager: requests.Session, name: str, **settings: Any) -> dict[str, Any]:
    """PUT /halls/demo/screens/{id} for the screen device called `name`."""
    device_id = screen_devices(server, manager)[name]["device_id"]
    response = manager.put(server.api(f"/halls/{HALL}/screens/{device_id}"), json=settings, timeout=TIMEOUT)
    return check(response, 200)


# ---- while the server is down ------------------------------------------------------------


@contextmanager
def instance(server: LiveServer) -> Iterator[dict[str, Any]]:
    """The live server's instance opened in this process (store and services), as the
    operator's command line opens it; SQLite lets it share the file with the server."""
    app = create_app(
        {"ASYNC_MODE": "threading", "PUBLISHES": False, "BACKGROUND_JOBS": False}, instance_path=str(server.instance)
    )
    ext: dict[str, Any] = app.extensions["hall_queue"]
    try:
        yield ext
    finally:
        close_app(app)


def run_offline(server: LiveServer, username: str, command: str, **args: Any) -> dict[str, Any]:
    """Run a command as `username` straight on the instance's database while the live
    server is stopped: the same table of commands the API dispatches through, so the
    transitions land in the hall's log exactly as a call through the API would."""
    with instance(server) as ext:
        principal = auth.principal_for_username(ext["store"], username)
        assert principal is not None, username
        result, _events = COMMANDS[command](ext["services"], principal, HALL, args, clock.utc_now())
        return result


def add_hall_screen(server: LiveServer, name: str) -> tuple[int, str]:
    """Register one more hall screen, as `queue-server device create` does; its id and token."""
    with instance(server) as ext:
        device_id, token = auth.create_device(
            ext["store"], hall_code=HALL, kind=DeviceKind.HALL_SCREEN, name=name, window=None, now=clock.utc_now()
        )
    server.tokens[name] = token
    return device_id, token


def revoke(server: LiveServer, device_id: int) -> None:
    """`queue-server device revoke ID`."""
    with instance(server) as ext:
        auth.revoke_device(ext["store"], device_id, clock.utc_now())


def fake_speech_synthesis(voices: list[tuple[str, str]]) -> str:
    """An init script that replaces the browser's speechSynthesis by one with `voices`
    ((name, lang) pairs) which records each utterance and "speaks" it in 50 ms."""
    listed = json.dumps([{"name": name, "lang": lang, "localService": True, "default": False} for name, lang in voices])
    return f"""
      (() => {{
        const voices = {listed};
        window.__spoken = [];
        const synthesis = new EventTarget();
        synthesis.getVoices = () => voices;
        synthesis.speaking = false;
        synthesis.pending = false;
        synthesis.cancel = () => {{}};
        synthesis.speak = (utterance) => {{
          window.__spoken.push({{
            text: utterance.text,
            rate: utterance.rate,
            lang: utterance.lang,
            voice: utterance.voice ? utterance.voice.name : null,
            at: Date.now(),
          }});
          setTimeout(() => utterance.onend && utterance.onend(new Event("end")), 50);
        }};
        Object.defineProperty(window, "speechSynthesis", {{ value: synthesis, configurable: true }});
        window.SpeechSynthesisUtterance = class {{
          constructor(text) {{ this.text = text; this.rate = 1; this.lang = ""; this.voice = null; }}
        }};
      }})();
    """


def assert_one_at_a_time(entries: list[dict[str, Any]]) -> None:
    """Announcements never overlap: each ends before the next one starts."""
    ordered = sorted(entries, key=lambda entry: entry["startedAt"])
    for before, after in itertools.pairwise(ordered):
        assert before["endedAt"] <= after["startedAt"], f"overlapping announcements: {before} and {after}"
