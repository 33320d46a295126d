"""The review pad (评价器, `/pad`) and the rating on the citizen's phone, in Chromium against
the live server (docs/pad.md):

- a clerk finishes a ticket at window 1 (through the API): window 1's pad shows its rating,
  window 2's pad stays idle; the citizen taps a level, reasons, types a comment, submits;
  the rating is recorded with channel `pad`, as a manager reads it; thanks, then idle;
- a pad that missed the closing notice (its socket's frames filtered) submits a ticket the
  phone rated meanwhile: refused, and the pad says it was rated already;
- the invitation times out (the hall file's 10 s): the pad says the QR code still rates, goes
  idle, and the phone rates the ticket, then shows 已评价; a phone of a ticket the pad rated
  shows it rated;
- an unknown token is refused plainly.

The pad at 1280×800 and 800×1280, the phone at 360×640; every state's screenshot is saved
to build/screenshots/pad-{state}-{w}x{h}.png (phone-rating-*.png) and checked for anything
that does not fit its box.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.helpers import TIMEOUT, check, issue, serve_and_finish, server_errors, window_do
from tests.e2e.screens import SCREENSHOTS, overflowing
from tests.support.live import HALL, LiveServer

SignIn = Callable[[LiveServer, str], requests.Session]
OpenPage = Callable[..., Any]
SIZES = ((1280, 800), (800, 1280))
PHONE = (360, 640)
PHONE_BUDGET = 100_000  # bytes as transferred, as tests/e2e/test_phone.py counts a waiting ticket's page
SIZE_KEYS = ("responseBodySize", "responseHeadersSize")
PAD_WINDOW, OTHER_WINDOW = 1, 2
MS = TIMEOUT * 1000
SECOND_PAD: dict[str, int] = {}  # window 2's pad: its device id, once the module's server is prepared


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The demo hall with one more review pad, window 2's (`review_pad_2`)."""

    def second_pad(live: LiveServer) -> None:
        from queue_server import auth
        from queue_server.domain import clock
        from queue_server.domain.access import DeviceKind
        from tests.e2e.screens import instance

        with instance(live) as ext:
            SECOND_PAD["id"], live.tokens["review_pad_2"] = auth.create_device(
                ext["store"],
                hall_code=HALL,
                kind=DeviceKind.REVIEW_PAD,
                name="2号窗口评价器",
                window=OTHER_WINDOW,
                now=clock.utc_now(),
            )

    with LiveServer(tmp_path_factory.mktemp("instance")).running(second_pad) as live:
        yield live


def open_pad(open_page: OpenPage, server: LiveServer, token: str, size: tuple[int, int], **before: Any) -> Any:
    page = open_page(server, size, touch=True)
    if "route_socket" in before:
        page.page.route_web_socket(re.compile(r".*/socket\.io/.*"), before["route_socket"])
    page.goto(f"/pad#token={token}")
    page.wait_until("hq.state === 'online'")
    return page


def shoot(page: Any, state: str, size: tuple[int, int], problems: list[str], prefix: str = "pad") -> Path:
    """Check that everything fits, then save the screenshot. The phone's page scrolls: there
    each box must fit its parent, and the screenshot is of the whole page."""
    page.page.wait_for_function("() => document.fonts.status === 'loaded'")
    name = f"{prefix}-{state}-{size[0]}x{size[1]}"
    phone = prefix.startswith("phone")
    found = overflowing(page.page)
    problems += [f"{name}: {p}" for p in found if not (phone and p.endswith("outside the viewport"))]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.page.screenshot(path=str(path), full_page=phone)
    return path


def finished_ticket(server: LiveServer, guide: requests.Session, clerk: requests.Session) -> dict[str, Any]:
    """A comprehensive ticket issued, called at window 1, served and finished there."""
    ticket = issue(server, guide, queue="comprehensive")
    assert window_do(server, clerk, PAD_WINDOW, "call-next")["ticket"] == ticket["number"]
    serve_and_finish(server, clerk, PAD_WINDOW)
    return ticket


def ratings_of(server: LiveServer, manager: requests.Session, ref: str) -> list[dict[str, Any]]:
    listed = check(manager.get(server.api(f"/halls/{HALL}/ratings"), timeout=TIMEOUT), 200)["ratings"]
    return [rating for rating in listed if rating["ticket_ref"] == ref]


@pytest.fixture
def open_phone(browser: Any) -> Iterator[Callable[[LiveServer, str], Any]]:
    """open_phone(server, ref) -> the ticket's phone page (`tests.e2e.pages.Page`) at 360×640,
    touch, a zh-CN phone; after the test, the test fails if it threw or broke its policy."""
    from tests.e2e.pages import RECORD_VIOLATIONS, Page

    opened: list[Any] = []

    def open_one(server: LiveServer, ref: str) -> Any:
        context = browser.new_context(
            viewport={"width": PHONE[0], "height": PHONE[1]},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            locale="zh-CN",
        )
        context.add_init_script(RECORD_VIOLATIONS)
        phone = Page(context.new_page(), server)
        phone.page.on("pageerror", lambda error: phone.errors.append(str(error)))
        phone.finished = []  # type: ignore[attr-defined]
        phone.page.on("requestfinished", lambda request: phone.finished.append(request))  # type: ignore[attr-defined]
        opened.append(phone)
        phone.goto(f"/t/{ref}")
        return phone

    yield open_one
    problems = [error for phone in opened for error in phone.errors]
    problems += [f"CSP: {violation}" for phone in opened for violation in phone.violations()]
    for phone in opened:
        phone.close()
    assert not problems, problems


@pytest.fixture
def clerk_at_window(server: LiveServer, sign_in: SignIn) -> Iterator[tuple[requests.Session, requests.Session]]:
    """The guide, and clerk1 with window 1 open; the window closed again afterwards."""
    guide, clerk = sign_in(server, "guide"), sign_in(server, "clerk1")
    window_do(server, clerk, PAD_WINDOW, "open-window")
    yield guide, clerk
    window_do(server, clerk, PAD_WINDOW, "close-window")


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_the_window_that_finished_gets_the_rating_on_its_pad_and_the_citizen_rates_it(
    server: LiveServer,
    open_page: OpenPage,
    open_phone: Callable[[LiveServer, str], Any],
    sign_in: SignIn,
    clerk_at_window: tuple[requests.Session, requests.Session],
    size: tuple[int, int],
) -> None:
    guide, clerk = clerk_at_window
    problems: list[str] = []
    pad = open_pad(open_page, server, server.tokens["review_pad"], size)
    other = open_pad(open_page, server, server.tokens["review_pad_2"], size)

    # idle: the window, its clerk as the demo hall shows them (names on), a welcome
    expect(pad.by_testid("window-number")).to_have_text("1号窗口")
    expect(pad.by_testid("window-name")).to_have_text("综合受理1号窗口")
    expect(pad.by_testid("clerk-name")).to_have_text("测试clerk1")
    expect(pad.by_testid("clerk-number")).to_have_text("工号：CLERK1")
    expect(pad.by_testid("welcome")).to_have_text("欢迎您！")
    expect(other.by_testid("window-number")).to_have_text("2号窗口")
    expect(other.by_testid("welcome")).to_have_text("暂停服务")  # nobody at window 2
    shoot(pad, "idle", size, problems)

    ticket = finished_ticket(server, guide, clerk)
    expect(pad.by_testid("rating")).to_be_visible(timeout=MS)
    expect(pad.by_testid("ticket-number")).to_have_text(ticket["number"])
    expect(pad.by_testid("served-by")).to_have_text("为您服务：测试clerk1（工号 CLERK1）")
    expect(pad.by_testid("level")).to_have_count(5)
    expect(pad.by_testid("levels")).to_contain_text("非常满意满意基本满意不满意非常不满意")
    assert pad.diagnostics("hq.level") is None, "nothing starts chosen"
    expect(pad.by_testid("details")).to_be_hidden()
    left = pad.diagnostics("hq.secondsLeft")
    assert 0 < left <= 60
    expect(pad.by_testid("countdown")).to_contain_text("秒后结束")
    shoot(pad, "rating", size, problems)
    assert other.diagnostics("hq.screen") == "idle"

    # submit before a level: the page asks for one and sends nothing
    pad.by_testid("submit").tap()
    expect(pad.by_testid("message")).to_have_text("请先选择一个评价等级")
    assert pad.diagnostics("hq.submits") == 0

    pad.page.locator('[data-level="satisfied"]').tap()
    expect(pad.by_testid("details")).to_be_visible()
    expect(pad.by_testid("reason")).to_have_text(["服务态度好", "办事效率高", "业务熟练", "指引清楚"])
    pad.page.locator('[data-reason="服务态度好"]').tap()
    pad.page.locator('[data-reason="指引清楚"]').tap()
    pad.page.locator('[data-reason="指引清楚"]').tap()  # and off again
    pad.page.locator('[data-reason="业务熟练"]').tap()
    pad.by_testid("text").fill("窗口人员很耐心")
    expect(pad.page.locator('[data-level="satisfied"]')).to_have_attribute("aria-pressed", "true")
    shoot(pad, "chosen", size, problems)

    pad.by_testid("submit").tap()
    expect(pad.by_testid("thanks")).to_be_visible(timeout=MS)
    expect(pad.by_testid("thanks-given")).to_have_text("已评价：满意")
    shoot(pad, "thanks", size, problems)

    [record] = ratings_of(server, sign_in(server, "manager"), ticket["ref"])
    assert (record["channel"], record["level"], record["window"], record["ticket_number"]) == (
        "pad",
        "satisfied",
        PAD_WINDOW,
        ticket["number"],
    )
    assert record["reasons"] == ["服务态度好", "业务熟练"] and record["text"] == "窗口人员很耐心"
    assert record["clerk_number"] == "CLERK1" and record["system_default"] is False

    expect(pad.by_testid("idle")).to_be_visible(timeout=2 * MS)  # back to idle after the thanks
    assert other.diagnostics("hq.screen") == "idle" and other.diagnostics("hq.submits") == 0

    # the citizen's phone shows the ticket rated, whichever channel rated it
    phone = open_phone(server, ticket["ref"])
    expect(phone.by_testid("rating-given")).to_have_text("已评价：满意", timeout=MS)
    expect(phone.by_testid("rating-form")).to_be_hidden()
    if size == SIZES[0]:
        shoot(phone, "rated", PHONE, problems, prefix="phone-rating")
    assert not problems, "\n".join(problems)


def test_a_pad_that_missed_the_closing_notice_is_told_the_ticket_was_rated(
    server: LiveServer,
    open_page: OpenPage,
    sign_in: SignIn,
    clerk_at_window: tuple[requests.Session, requests.Session],
) -> None:
    """The phone rates first; the pad, whose `rating_closed` never arrived, submits too:
    the server refuses the second rating and the pad says so in the citizen's language."""
    guide, clerk = clerk_at_window
    size, problems = SIZES[0], []

    def drop_closing_notices(route: Any) -> None:
        upstream = route.connect_to_server()
        upstream.on_message(lambda message: None if "rating_closed" in str(message) else route.send(message))
        route.on_message(upstream.send)

    pad = open_pad(open_page, server, server.tokens["review_pad"], size, route_socket=drop_closing_notices)
    ticket = finished_ticket(server, guide, clerk)
    expect(pad.by_testid("ticket-number")).to_have_text(ticket["number"], timeout=MS)
    pad.by_testid("lang-en").tap()
    pad.page.locator('[data-level="very_satisfied"]').tap()
    check(requests.post(server.api(f"/t/{ticket['ref']}/rating"), json={"level": "basic"}, timeout=TIMEOUT), 201)

    pad.by_testid("submit").tap()
    expect(pad.by_testid("ended")).to_be_visible(timeout=MS)
    expect(pad.by_testid("ended-title")).to_have_text("This service has already been rated: one rating per visit")
    assert pad.diagnostics("hq.submits") == 1
    shoot(pad, "refused-rated-en", size, problems)
    [record] = ratings_of(server, sign_in(server, "manager"), ticket["ref"])
    assert (record["channel"], record["level"]) == ("phone", "basic"), "the first rating stands"
    expect(pad.by_testid("idle")).to_be_visible(timeout=2 * MS)
    assert pad.diagnostics("hq.language") == "zh-CN", "the next citizen starts in Simplified Chinese"
    assert not problems, "\n".join(problems)


def test_after_the_pads_time_runs_out_the_phone_still_rates(
    server: LiveServer,
    open_page: OpenPage,
    open_phone: Callable[[LiveServer, str], Any],
    sign_in: SignIn,
    clerk_at_window: tuple[requests.Session, requests.Session],
    capsys: pytest.CaptureFixture[str],
) -> None:
    guide, clerk = clerk_at_window
    admin, problems = sign_in(server, "admin"), []
    hall_file = demo_toml_with_pad_timeout(10)
    check(admin.put(server.api(f"/halls/{HALL}/config"), data=hall_file.encode(), timeout=TIMEOUT), 200)
    try:
        size = SIZES[1]
        pad = open_pad(open_page, server, server.tokens["review_pad"], size)
        ticket = finished_ticket(server, guide, clerk)
        expect(pad.by_testid("ticket-number")).to_have_text(ticket["number"], timeout=MS)
        assert pad.diagnostics("hq.secondsLeft") <= 10
        pad.wait_until("hq.secondsLeft !== null && hq.secondsLeft < 9")  # the pad counts down by itself
        expect(pad.by_testid("countdown")).not_to_have_text("10 秒后结束")
        pad.page.locator('[data-level="dissatisfied"]').tap()  # chosen, never sent: the time runs out
        expect(pad.by_testid("ended")).to_be_visible(timeout=3 * MS)
        expect(pad.by_testid("ended-title")).to_have_text(f"{ticket['number']} 号在评价器上的评价已结束")
        expect(pad.by_testid("ended-qr")).to_have_text("您仍可扫描号票上的二维码，在手机上评价")
        shoot(pad, "timed-out", size, problems)
        expect(pad.by_testid("idle")).to_be_visible(timeout=2 * MS)
        assert pad.diagnostics("hq.submits") == 0

        phone = open_phone(server, ticket["ref"])
        expect(phone.by_testid("rating-form")).to_be_visible(timeout=MS)
        expect(phone.page.locator('[data-testid="rating-form"] [data-level]')).to_have_count(5)
        shoot(phone, "offered", PHONE, problems, prefix="phone-rating")
        phone.page.wait_for_load_state("networkidle")
        weight = {r.url.removeprefix(server.url): sum(r.sizes()[k] for k in SIZE_KEYS) for r in phone.finished}
        with capsys.disabled():
            print(f"\nphone page of a finished ticket, offering its rating: {sum(weight.values())} bytes ({weight})")
        assert {url.rsplit("/", 1)[-1] for url in weight} >= {"rate.js", "rating.js", "faces.js"}
        assert sum(weight.values()) < PHONE_BUDGET, weight
        phone.page.locator('[data-testid="rating-form"] [data-level="very_dissatisfied"]').tap()
        phone.page.locator('[data-testid="rating-form"] [data-reason="等候时间"]').tap()
        phone.by_testid("rating-text").fill("等了很久")
        shoot(phone, "chosen", PHONE, problems, prefix="phone-rating")
        phone.by_testid("rating-submit").tap()
        expect(phone.by_testid("rating-given")).to_have_text("已评价：非常不满意", timeout=MS)
        shoot(phone, "given", PHONE, problems, prefix="phone-rating")

        [record] = ratings_of(server, sign_in(server, "manager"), ticket["ref"])
        assert (record["channel"], record["level"], record["reasons"], record["text"]) == (
            "phone",
            "very_dissatisfied",
            ["等候时间"],
            "等了很久",
        )
        assert not problems, "\n".join(problems)
    finally:
        check(admin.put(server.api(f"/halls/{HALL}/config"), data=demo_toml_with_pad_timeout(60).encode()), 200)
    assert server_errors(server) == []


def test_a_phone_whose_ticket_the_pad_rated_meanwhile_is_told_and_shows_that_rating(
    server: LiveServer,
    open_phone: Callable[[LiveServer, str], Any],
    clerk_at_window: tuple[requests.Session, requests.Session],
) -> None:
    guide, clerk = clerk_at_window
    ticket = finished_ticket(server, guide, clerk)
    phone = open_phone(server, ticket["ref"])
    expect(phone.by_testid("rating-form")).to_be_visible(timeout=MS)
    phone.page.locator('[data-testid="rating-form"] [data-level="satisfied"]').tap()
    pad = {"Authorization": f"Bearer {server.tokens['review_pad']}"}
    body = {"ticket_ref": ticket["ref"], "level": "very_satisfied"}
    check(requests.post(server.api(f"/halls/{HALL}/ratings"), json=body, headers=pad, timeout=TIMEOUT), 201)
    phone.by_testid("rating-submit").tap()
    expect(phone.by_testid("rating-given")).to_have_text("已评价：非常满意", timeout=MS)  # the pad's, read again
    expect(phone.by_testid("rating-form")).to_be_hidden()


def test_idle_the_pad_follows_who_opens_its_window(server: LiveServer, open_page: OpenPage, sign_in: SignIn) -> None:
    clerk1, clerk2 = sign_in(server, "clerk1"), sign_in(server, "clerk2")
    pad = open_pad(open_page, server, server.tokens["review_pad"], SIZES[0])
    expect(pad.by_testid("welcome")).to_have_text("暂停服务")
    expect(pad.by_testid("clerk-card")).to_be_hidden()
    window_do(server, clerk1, PAD_WINDOW, "open-window")
    expect(pad.by_testid("clerk-name")).to_have_text("测试clerk1")
    window_do(server, clerk1, PAD_WINDOW, "close-window")
    window_do(server, clerk2, PAD_WINDOW, "open-window")  # another clerk takes the window
    expect(pad.by_testid("clerk-name")).to_have_text("测试clerk2")
    expect(pad.by_testid("clerk-number")).to_have_text("工号：CLERK2")
    expect(pad.by_testid("welcome")).to_have_text("欢迎您！")
    pad.by_testid("lang-zh-TW").tap()
    expect(pad.by_testid("clerk-number")).to_have_text("工號：CLERK2")
    expect(pad.by_testid("window-number")).to_have_text("1號窗口")
    problems: list[str] = []
    shoot(pad, "idle-zh-TW", SIZES[0], problems)
    window_do(server, clerk2, PAD_WINDOW, "close-window")
    expect(pad.by_testid("welcome")).to_have_text("暫停服務")
    assert not problems, "\n".join(problems)


def test_a_revoked_pad_goes_to_its_refusal_screen(server: LiveServer, open_page: OpenPage) -> None:
    """`queue-server device revoke ID` while the pad is open (window 2's pad is gone for the
    module's later tests)."""
    from tests.e2e.screens import revoke

    pad = open_pad(open_page, server, server.tokens["review_pad_2"], SIZES[1])
    expect(pad.by_testid("idle")).to_be_visible()
    revoke(server, SECOND_PAD["id"])
    expect(pad.by_testid("token-error")).to_be_visible(timeout=2 * MS)
    expect(pad.by_testid("pad-main")).to_be_hidden()
    pad.screenshot("pad-revoked-800x1280")


def test_offline_the_pad_says_so_and_back_online_shows_the_rating_opened_meanwhile(
    fresh_server: LiveServer, open_page: OpenPage
) -> None:
    """The server down while the clerk finishes (through the command line's table of
    commands, on the database): the pad shows its offline badge, then, reconnected, the
    invitation from its subscribe answer."""
    from tests.e2e.screens import run_offline

    server, size = fresh_server, SIZES[0]
    pad = open_pad(open_page, server, server.tokens["review_pad"], size)
    server.kill()
    expect(pad.by_testid("offline-badge")).to_be_visible(timeout=MS)
    expect(pad.by_testid("offline-badge")).to_have_text("网络已断开，正在重新连接…")
    problems: list[str] = []
    shoot(pad, "offline", size, problems)
    run_offline(server, "guide", "issue_ticket", queue="comprehensive")
    run_offline(server, "clerk1", "open_window", window=PAD_WINDOW)
    called = run_offline(server, "clerk1", "call_next", window=PAD_WINDOW)
    run_offline(server, "clerk1", "start_service", window=PAD_WINDOW)
    run_offline(server, "clerk1", "finish_service", window=PAD_WINDOW)
    server.start()
    expect(pad.by_testid("ticket-number")).to_have_text(called["ticket"], timeout=3 * MS)
    expect(pad.by_testid("offline-badge")).to_be_hidden()
    assert not problems, "\n".join(problems)


def test_an_unknown_token_is_refused_plainly(server: LiveServer, open_page: OpenPage) -> None:
    page = open_page(server, SIZES[0], touch=True)
    page.goto("/pad#token=hqd_not-a-token")
    expect(page.by_testid("token-error-message")).to_have_text(
        "设备令牌无效或已停用：请联系管理员重新登记此评价器", timeout=MS
    )
    expect(page.by_testid("pad-main")).to_be_hidden()
    page.screenshot("pad-token-refused-1280x800")


def demo_toml_with_pad_timeout(seconds: int) -> str:
    from queue_server.cli import demo_hall_toml

    return demo_hall_toml(always_open=True) + f"\n[hall.ratings]\npad_timeout_seconds = {seconds}\n"
