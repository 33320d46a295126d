"""The self-service kiosk in real Chromium at the sizes kiosks come in (portrait
1080×1920, landscape 1920×1080), by touch only: a service, an item, an ID number on the
keypad, a number with its QR code on the screen; the language switch, the return to the
start after the idle time, the printer's trouble said plainly, and refusals.
Screenshots in build/screenshots/kiosk-*.png."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.helpers import TIMEOUT, check, issue
from tests.e2e.pages import Page
from tests.e2e.screens import LANDSCAPE, PORTRAIT, overflowing
from tests.support.live import HALL, LiveServer

# valid resident IDs, one per kiosk size: the same person may hold one waiting number per queue
VALID_IDS = {PORTRAIT: "11010519491231002X", LANDSCAPE: "440304199001011233"}
MASKED = {PORTRAIT: "1101**********002X", LANDSCAPE: "4403**********1233"}


def _tap(kiosk: Page, testid: str, **where: str) -> None:
    locator = kiosk.by_testid(testid)
    for name, value in where.items():
        locator = kiosk.page.locator(f'[data-testid="{testid}"][data-{name}="{value}"]')
    locator.first.tap()


def _name(size: tuple[int, int]) -> str:
    return f"{size[0]}x{size[1]}"


@pytest.mark.parametrize("size", [PORTRAIT, LANDSCAPE], ids=_name)
def test_touch_a_service_an_item_and_an_id_number_to_a_ticket_with_its_qr_code(
    server: LiveServer,
    open_page: Callable[..., Page],
    sign_in: Callable[[LiveServer, str], requests.Session],
    size: tuple[int, int],
) -> None:
    manager = sign_in(server, "manager")
    kiosk = open_page(server, size, touch=True)
    kiosk.open_kiosk(server.tokens["kiosk"])
    expect(kiosk.by_testid("hall-name")).to_have_text("示范区政务服务中心")
    expect(kiosk.by_testid("queue-tile")).to_have_count(8)
    assert overflowing(kiosk.page) == []
    kiosk.screenshot(f"kiosk-start-{_name(size)}")
    # every target is large enough for a finger: at least 7 % of the short side
    smallest = kiosk.page.evaluate(
        "() => Math.min(...[...document.querySelectorAll('button')].filter((b) => b.checkVisibility())"
        ".map((b) => b.getBoundingClientRect().height))"
    )
    assert smallest >= 0.07 * min(size), f"a button only {smallest}px tall"

    _tap(kiosk, "queue-tile", queue="real-estate")
    kiosk.wait_until("hq.screen === 'items'")
    expect(kiosk.by_testid("items-title")).to_have_text("不动产登记")
    assert overflowing(kiosk.page) == []
    kiosk.screenshot(f"kiosk-items-{_name(size)}")
    _tap(kiosk, "item-button", item="property-mortgage")
    kiosk.wait_until("hq.screen === 'confirm'")
    expect(kiosk.by_testid("chosen-name")).to_have_text("不动产抵押登记")

    _tap(kiosk, "id-open")
    expect(kiosk.by_testid("keypad")).to_be_visible()
    for key in VALID_IDS[size]:
        _tap(kiosk, f"key-{key}")
    expect(kiosk.by_testid("keypad-hint")).to_have_attribute("data-state", "ok")
    kiosk.screenshot(f"kiosk-keypad-{_name(size)}")
    _tap(kiosk, "keypad-done")
    expect(kiosk.by_testid("id-value")).to_have_text(MASKED[size])
    assert overflowing(kiosk.page) == []
    kiosk.screenshot(f"kiosk-confirm-{_name(size)}")
    _tap(kiosk, "take")
    kiosk.wait_until("hq.screen === 'ticket'")

    shown = kiosk.diagnostics("hq.ticket")
    assert "id" not in shown  # a kiosk is a public device: the ticket by its reference only
    found = check(manager.get(server.api(f"/halls/{HALL}/tickets?number={shown['number']}"), timeout=TIMEOUT), 200)
    (ticket,) = found["tickets"]
    assert ticket["ref"] == shown["ref"]
    assert (ticket["item"], ticket["queue"], ticket["channel"], ticket["priority"]) == (
        "property-mortgage",
        "real-estate",
        "kiosk",
        None,
    )
    expect(kiosk.by_testid("ticket-number")).to_have_text(ticket["number"])
    expect(kiosk.by_testid("ticket-queue")).to_have_text("不动产登记 · 不动产抵押登记")
    qr = kiosk.by_testid("qr")
    expect(qr).to_be_visible()
    assert int(qr.get_attribute("data-modules")) >= 21  # a real QR code was drawn
    assert qr.get_attribute("data-content") == f"{server.url}/t/{ticket['ref']}"  # the phone page
    if size == PORTRAIT:  # the code scanned: a phone opens the ticket's own page
        phone = open_page(server, (360, 640), touch=True)
        phone.page.goto(qr.get_attribute("data-content"))
        expect(phone.by_testid("number")).to_have_text(ticket["number"])
    assert kiosk.diagnostics("hq.idNumberKept") is False  # the ID number is gone from the kiosk
    assert overflowing(kiosk.page) == []
    kiosk.screenshot(f"kiosk-ticket-{_name(size)}")

    # the kiosk's printer has its job; no agent runs here, so it waits (a real agent and a
    # printer out of paper: tests/e2e/test_desk_printing.py)
    assert shown["print_job"]["station"] == "kiosk-1"
    expect(kiosk.by_testid("print-state")).to_have_attribute("data-state", "pending")
    expect(kiosk.by_testid("print-state")).to_contain_text("正在打印号票")
    _tap(kiosk, "done")
    kiosk.wait_until("hq.screen === 'start' && hq.ticket === null")


def test_languages_and_the_return_to_the_start_when_left_alone(
    server: LiveServer, open_page: Callable[..., Page]
) -> None:
    kiosk = open_page(server, LANDSCAPE, touch=True)
    kiosk.open_kiosk(server.tokens["kiosk"], query="?idle=3")
    assert kiosk.diagnostics("hq.idleSeconds") == 3
    _tap(kiosk, "lang-en")
    expect(kiosk.page.locator("h2.screen-title").first).to_have_text("What do you need to do?")
    expect(kiosk.by_testid("tile-figures").first).to_contain_text("waiting")
    assert overflowing(kiosk.page) == []
    kiosk.screenshot("kiosk-start-en-1920x1080")
    _tap(kiosk, "lang-zh-TW")
    expect(kiosk.page.locator("h2.screen-title").first).to_have_text("請選擇要辦理的業務")
    kiosk.screenshot("kiosk-start-zh-TW-1920x1080")
    _tap(kiosk, "bundle-tile", bundle="newborn")
    kiosk.wait_until("hq.screen === 'confirm' && hq.idleRunning")
    expect(kiosk.by_testid("chosen-name")).to_have_text("新生儿出生“一件事”")
    # nobody touches it: the kiosk's own timer brings it back, in Simplified Chinese
    kiosk.wait_until("hq.screen === 'start' && hq.language === 'zh-CN'", timeout_ms=TIMEOUT * 1000)
    expect(kiosk.page.locator("h2.screen-title").first).to_have_text("请选择要办理的业务")
    assert kiosk.diagnostics("hq.idleRunning") is False


def test_a_queue_that_fills_up_says_so_and_a_wrong_id_is_not_taken(
    server: LiveServer, open_page: Callable[..., Page], sign_in: Callable[[LiveServer, str], requests.Session]
) -> None:
    kiosk = open_page(server, PORTRAIT, touch=True)
    kiosk.open_kiosk(server.tokens["kiosk"])
    _tap(kiosk, "queue-tile", queue="cross-province")
    _tap(kiosk, "queue-button")
    kiosk.wait_until("hq.screen === 'confirm'")
    _tap(kiosk, "id-open")
    for key in "110105194912310021":  # the check digit is wrong
        _tap(kiosk, f"key-{key}")
    expect(kiosk.by_testid("keypad-hint")).to_have_text("身份证号码校验位不正确，请核对后重新输入")
    expect(kiosk.by_testid("keypad-done")).to_be_disabled()
    kiosk.screenshot("kiosk-bad-id-1080x1920")
    _tap(kiosk, "keypad-skip")
    expect(kiosk.by_testid("id-value")).to_have_text("未输入")

    # meanwhile the desk hands out the last numbers of the day: the kiosk sees it live
    guide = sign_in(server, "guide")
    for _ in range(80):  # 跨省通办, daily_cap 80
        issue(server, guide, queue="cross-province")
    expect(kiosk.by_testid("message-title")).to_have_text("今日号源已发完")
    expect(kiosk.by_testid("take")).to_be_disabled()
    kiosk.screenshot("kiosk-queue-full-1080x1920")
    _tap(kiosk, "confirm-back")
    expect(kiosk.page.locator('[data-testid="queue-tile"][data-queue="cross-province"]')).to_be_disabled()
    expect(kiosk.page.locator('[data-testid="queue-tile"][data-queue="cross-province"]')).to_contain_text(
        "今日号源已发完"
    )


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (None, "尚未配置设备令牌"),
        ("hqd_not-a-real-token", "设备令牌无效或已吊销"),
        ("hall_screen", "不属于自助取号机"),
    ],
    ids=["no-token", "unknown-token", "a-screen's-token"],
)
def test_a_kiosk_without_a_kiosk_token_shows_nothing_but_why(
    server: LiveServer, open_page: Callable[..., Page], token: str | None, message: str
) -> None:
    kiosk = open_page(server, PORTRAIT, touch=True)
    kiosk.open_kiosk(server.tokens.get(token, token) if token else None, wait=False)
    expect(kiosk.by_testid("token-error-message")).to_contain_text(message)
    expect(kiosk.by_testid("kiosk-main")).to_be_hidden()
    if token == "hall_screen":
        kiosk.screenshot("kiosk-wrong-token-1080x1920")
