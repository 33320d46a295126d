"""The citizen's phone page in Chromium, as a phone shows it (360×640 and 390×844, touch,
a device pixel ratio of 2), against the live server (docs/phone.md):

- a waiting ticket's page shows the people ahead; the clerk's calls move it on live, to
  "请到 9 号窗口办理" and then "办理完毕", with no reload;
- a second window opening: the estimate the server pushes (`wait_estimated`) shows, shorter;
- the page, its scripts and its style sheet weigh under 100 KB, the figure printed;
- a reference that names no ticket shows a clear message;
- the page speaks zh-TW to a Traditional Chinese browser and English at a touch;
- the server gone and back: the page says it is offline, and shows the call made meanwhile;
- two server processes with Redis between them: a call made through one reaches a phone
  connected to the other.

Each state is saved to build/screenshots/phone-{state}-{width}x{height}.png for a person
to look at, and checked in the page for anything that does not fit its box.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.helpers import TIMEOUT, check, issue, serve_and_finish, server_errors, window_do
from tests.e2e.screens import SCREENSHOTS, VENDORED, overflowing, run_offline
from tests.support.live import LiveServer

SignIn = Callable[[LiveServer, str], requests.Session]
SIZES = ((360, 640), (390, 844))
BUDGET = 100_000  # bytes: the page, its scripts and its style sheet, as transferred
QUEUE, WINDOW = "real-estate", 9  # 不动产登记: windows 9 and 10, nobody else's in this module
# Every violation of the page's Content-Security-Policy, from the first script on.
RECORD_VIOLATIONS = """
  window.__violations = [];
  document.addEventListener("securitypolicyviolation", (event) => {
    window.__violations.push(`${event.violatedDirective} ${event.blockedURI}`);
  });
"""


@dataclass
class PhonePage:
    """The page in a browser context of its own, as one phone."""

    page: Any
    size: tuple[int, int]
    errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    finished: list[Any] = field(default_factory=list)  # requests that completed
    frames: list[str] = field(default_factory=list)  # what the page received over its websocket
    navigations: int = 0
    problems: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, browser: Any, server: LiveServer, ref: str, size: tuple[int, int], **context: Any) -> PhonePage:
        options = {"locale": "zh-CN", **context}
        browser_context = browser.new_context(
            viewport={"width": size[0], "height": size[1]},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            **options,
        )
        browser_context.add_init_script(RECORD_VIOLATIONS)
        page = browser_context.new_page()
        phone = cls(page, size)
        page.on("pageerror", lambda error: phone.errors.append(str(error)))
        page.on(
            "console",
            lambda message: (
                phone.console.append(f"{message.type}: {message.text}")
                if message.type in ("error", "warning")
                else None
            ),
        )
        page.on("requestfinished", lambda request: phone.finished.append(request))
        page.on(
            "websocket",
            lambda socket: socket.on(
                "framereceived",
                lambda payload: phone.frames.append(payload if isinstance(payload, str) else payload.decode()),
            ),
        )
        page.on("framenavigated", lambda frame: phone._navigated(frame))
        page.goto(f"{server.url}/t/{ref}")
        return phone

    def _navigated(self, frame: Any) -> None:
        if frame == self.page.main_frame:
            self.navigations += 1

    def by(self, testid: str) -> Any:
        return self.page.get_by_test_id(testid)

    def diagnostics(self, name: str) -> Any:
        return self.page.evaluate(f"() => window.hallQueue.{name}")

    def shoot(self, state: str) -> None:
        """Check that everything fits, then save the screenshot."""
        self.page.wait_for_function("() => document.fonts.status === 'loaded'")
        name = f"phone-{state}-{self.size[0]}x{self.size[1]}"
        self.problems += [f"{name}: {problem}" for problem in overflowing(self.page)]
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))

    def check_clean(self) -> None:
        """Nothing overflowed, nothing threw, the policy refused nothing, no map was fetched."""
        assert not self.problems, "\n".join(self.problems)
        assert not self.errors, self.errors
        assert not self.console, self.console
        assert self.page.evaluate("() => window.__violations") == []
        assert not [r.url for r in self.finished if r.url.endswith(".map")]

    def close(self) -> None:
        self.page.context.close()


def cancel(server: LiveServer, guide: requests.Session, ticket: dict[str, Any]) -> None:
    """Leave the shared server's line as it was."""
    check(guide.post(server.api(f"/halls/demo/tickets/{ticket['id']}/cancel"), json={}, timeout=TIMEOUT), 200)


@pytest.fixture
def phones(browser: Any) -> Iterator[Callable[..., PhonePage]]:
    assert VENDORED.exists(), f"{VENDORED} is missing: run `make setup` (npm ci, then the copy)"
    opened: list[PhonePage] = []

    def open_phone(server: LiveServer, ref: str, size: tuple[int, int], **context: Any) -> PhonePage:
        phone = PhonePage.open(browser, server, ref, size, **context)
        opened.append(phone)
        return phone

    yield open_phone
    for phone in opened:
        phone.close()


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_the_page_follows_a_ticket_from_waiting_to_its_call_and_done_without_a_reload(
    server: LiveServer, phones: Callable[..., PhonePage], sign_in: SignIn, size: tuple[int, int]
) -> None:
    guide, clerk = sign_in(server, "guide"), sign_in(server, "clerk1")
    first = issue(server, guide, item="property-transfer")
    mine = issue(server, guide, item="property-transfer")
    assert first["queue"] == mine["queue"] == QUEUE
    phone = phones(server, mine["ref"], size)

    expect(phone.by("number")).to_have_text(mine["number"])
    expect(phone.by("headline")).to_have_text("等候中")
    expect(phone.by("people-ahead")).to_have_text("1 人")
    # windows 9 and 10 serve it, both closed: both count as opening now, so it is called at once
    expect(phone.by("estimated-wait")).to_have_text("即将叫号")
    expect(phone.by("queue")).to_have_text("不动产登记")
    expect(phone.by("subject")).to_have_text("事项：不动产转移登记（二手房过户）")
    expect(phone.by("hall-name")).to_have_text("示范区政务服务中心")
    expect(phone.by("offline")).to_be_hidden()
    phone.page.wait_for_function("() => window.hallQueue.link === 'online'")
    phone.shoot("waiting")

    window_do(server, clerk, WINDOW, "open-window")
    assert window_do(server, clerk, WINDOW, "call-next")["ticket"] == first["number"]
    serve_and_finish(server, clerk, WINDOW)
    expect(phone.by("headline")).to_have_text("下一位就是您")
    expect(phone.by("people-ahead")).to_have_text("0 人")

    assert window_do(server, clerk, WINDOW, "call-next")["ticket"] == mine["number"]
    expect(phone.by("headline")).to_have_text(f"请到 {WINDOW} 号窗口办理")
    expect(phone.by("ticket")).to_have_attribute("data-state", "called")
    expect(phone.by("window-lines")).to_contain_text("不动产登记9号窗口")
    expect(phone.by("window-lines")).to_contain_text("工作人员：测试clerk1")  # the demo hall shows names
    expect(phone.by("figures")).to_be_hidden()
    assert phone.page.title() == f"{mine['number']} · 请到 {WINDOW} 号窗口办理"
    phone.shoot("called")

    window_do(server, clerk, WINDOW, "recall")
    expect(phone.by("headline")).to_have_text(f"请到 {WINDOW} 号窗口办理（重呼）")

    serve_and_finish(server, clerk, WINDOW)
    expect(phone.by("headline")).to_have_text("办理完毕")
    expect(phone.by("detail")).to_have_text("感谢您的耐心等候")
    phone.page.wait_for_function("() => window.hallQueue.link === 'settled'")  # nothing more to follow
    phone.shoot("done")
    window_do(server, clerk, WINDOW, "close-window")

    assert phone.navigations == 1 and phone.diagnostics("loads") == 1, "the page reloaded"
    received = "\n".join(phone.frames)
    assert first["ref"] not in received and mine["ref"] not in received, "a ticket's reference went to a phone"
    phone.check_clean()


def test_the_estimate_the_server_pushes_shows_without_a_read_when_a_window_opens(
    server: LiveServer, phones: Callable[..., PhonePage], sign_in: SignIn
) -> None:
    guide, first, second = sign_in(server, "guide"), sign_in(server, "clerk1"), sign_in(server, "clerk2")
    window_do(server, first, WINDOW, "open-window")
    tickets = [issue(server, guide, item="property-transfer") for _ in range(3)]
    phone = phones(server, tickets[2]["ref"], SIZES[0])
    expect(phone.by("people-ahead")).to_have_text("2 人")
    phone.page.wait_for_function("() => window.hallQueue.link === 'online'")
    alone = phone.by("estimated-wait").text_content()
    assert alone.startswith("约 ")  # two ahead of it at one window

    window_do(server, second, 10, "open-window")  # a second window: it comes up sooner
    phone.page.wait_for_function("() => window.hallQueue.waits >= 1")  # pushed: wait_estimated
    expect(phone.by("estimated-wait")).not_to_have_text(alone)
    shorter = int(phone.by("estimated-wait").text_content().split()[1])
    assert shorter < int(alone.split()[1])
    phone.shoot("waiting-sooner")
    assert "wait_estimated" in "\n".join(phone.frames)
    assert not any(t["ref"] in "\n".join(phone.frames) for t in tickets), "a ticket's reference went to a phone"
    for ticket in tickets:
        cancel(server, guide, ticket)
    window_do(server, first, WINDOW, "close-window")
    window_do(server, second, 10, "close-window")
    phone.check_clean()


def test_the_page_with_its_scripts_and_style_weighs_under_100_kb(
    server: LiveServer, phones: Callable[..., PhonePage], sign_in: SignIn, capsys: pytest.CaptureFixture[str]
) -> None:
    ticket = issue(server, sign_in(server, "guide"), item="property-transfer")
    phone = phones(server, ticket["ref"], SIZES[0])
    expect(phone.by("headline")).to_have_text("下一位就是您")
    phone.page.wait_for_function("() => window.hallQueue.link === 'online'")
    phone.page.wait_for_load_state("networkidle")
    sizes = {}
    for request in phone.finished:
        measured = request.sizes()
        sizes[request.url.removeprefix(server.url)] = measured["responseBodySize"] + measured["responseHeadersSize"]
    page_itself = {url: size for url, size in sizes.items() if "/api/" not in url and "/socket.io/" not in url}
    total = sum(sizes.values())
    with capsys.disabled():
        listed = ", ".join(f"{url} {size}" for url, size in sorted(sizes.items()))
        print(
            f"\nphone page: {sum(page_itself.values())} bytes for the page, its scripts and style; "
            f"{total} bytes with its API answers ({listed})"
        )
    assert {url.rsplit("/", 1)[-1] for url in page_itself} >= {
        ticket["ref"],
        "phone.css",
        "phone.js",
        "follow.js",
        "progress.js",
        "i18n.js",
        "socket.io.esm.min.js",
    }
    assert total < BUDGET, sizes
    phone.check_clean()
    cancel(server, sign_in(server, "guide"), ticket)


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_a_reference_that_names_no_ticket_says_so_plainly(
    server: LiveServer, phones: Callable[..., PhonePage], size: tuple[int, int]
) -> None:
    phone = phones(server, "Zz" * 11, size)
    expect(phone.by("problem-headline")).to_have_text("找不到这张票")
    expect(phone.by("problem-detail")).to_have_text("请核对二维码，或到导办台询问")
    expect(phone.by("ticket")).to_have_attribute("data-state", "not_found")
    expect(phone.by("card")).to_be_hidden()
    phone.shoot("not-found")
    assert not [frame for frame in phone.frames], "a page without a ticket opened a socket"
    phone.console = [line for line in phone.console if "404" not in line]  # Chromium logs the 404 itself
    phone.check_clean()


def test_the_page_speaks_the_browsers_language_and_changes_it_at_a_touch(
    server: LiveServer, phones: Callable[..., PhonePage], sign_in: SignIn
) -> None:
    ticket = issue(server, sign_in(server, "guide"), item="property-transfer")
    phone = phones(server, ticket["ref"], SIZES[1], locale="zh-TW")
    expect(phone.by("card")).to_contain_text("您的號碼")
    expect(phone.by("card")).to_contain_text("前面還有")
    expect(phone.by("language-zh-TW")).to_have_attribute("aria-pressed", "true")
    phone.shoot("waiting-zh-TW")
    phone.by("language-en").tap()
    expect(phone.by("card")).to_contain_text("Your number")
    expect(phone.by("headline")).to_have_text("You are next")
    expect(phone.by("tips")).to_contain_text("guidance desk")
    assert phone.page.evaluate("() => document.documentElement.lang") == "en"
    phone.shoot("waiting-en")
    phone.page.reload()  # the choice is kept
    expect(phone.by("card")).to_contain_text("Your number")
    phone.check_clean()
    cancel(server, sign_in(server, "guide"), ticket)


def test_offline_the_page_says_so_and_back_online_shows_the_call_made_meanwhile(
    fresh_server: LiveServer, phones: Callable[..., PhonePage], sign_in: SignIn
) -> None:
    server = fresh_server
    ticket = issue(server, sign_in(server, "guide"), item="property-transfer")
    phone = phones(server, ticket["ref"], SIZES[0])
    expect(phone.by("headline")).to_have_text("下一位就是您")
    phone.page.wait_for_function("() => window.hallQueue.link === 'online'")

    server.kill()
    expect(phone.by("offline")).to_be_visible(timeout=TIMEOUT * 1000)
    expect(phone.by("offline")).to_have_text("网络已断开，正在重新连接…")
    phone.shoot("offline")
    run_offline(server, "clerk1", "open_window", window=WINDOW)
    run_offline(server, "clerk1", "call_next", window=WINDOW)
    server.start()

    # socket.io-client's own backoff (at most 10 s between tries) brings it back
    expect(phone.by("headline")).to_have_text(f"请到 {WINDOW} 号窗口办理", timeout=3 * TIMEOUT * 1000)
    expect(phone.by("offline")).to_be_hidden()
    assert phone.navigations == 1 and phone.diagnostics("loads") == 1
    # the reconnects that failed while the server was down
    phone.console = [line for line in phone.console if not any(w in line for w in ("WebSocket", "ERR_CONNECTION"))]
    phone.check_clean()


def test_a_phone_on_one_server_process_follows_calls_made_through_another(
    tmp_path: Path, redis_url: str, phones: Callable[..., PhonePage], sign_in: SignIn
) -> None:
    """The citizen room's events cross Redis like the screens' do, and the phone reads its
    progress from the process it is connected to, over the one database."""
    first = LiveServer(tmp_path / "instance", environment={"QUEUE_MESSAGE_QUEUE": redis_url})
    first.prepare()
    second = LiveServer(first.instance, environment=first.environment, tokens=first.tokens)
    try:
        first.start()
        second.start()
        guide, clerk = sign_in(first, "guide"), sign_in(second, "clerk1")
        ahead = issue(first, guide, item="property-transfer")
        mine = issue(first, guide, item="property-transfer")
        phone = phones(first, mine["ref"], SIZES[1])
        expect(phone.by("people-ahead")).to_have_text("1 人")
        phone.page.wait_for_function("() => window.hallQueue.link === 'online'")

        window_do(second, clerk, WINDOW, "open-window")
        assert window_do(second, clerk, WINDOW, "call-next")["ticket"] == ahead["number"]
        serve_and_finish(second, clerk, WINDOW)
        expect(phone.by("headline")).to_have_text("下一位就是您")
        assert window_do(second, clerk, WINDOW, "call-next")["ticket"] == mine["number"]
        expect(phone.by("headline")).to_have_text(f"请到 {WINDOW} 号窗口办理")
        assert phone.navigations == 1 and phone.diagnostics("loads") == 1
        phone.check_clean()
        assert server_errors(first) == [] and server_errors(second) == []
    finally:
        second.kill()
        first.kill()
