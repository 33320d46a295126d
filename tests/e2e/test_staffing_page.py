"""The staffing advice page (/manage/staffing) in real Chromium against a live server: a
manager signs in and sees each queue's windows needed against the windows on it; tickets
issued at the desk reach the page by the hall's events; a stricter target typed on the
page makes the comprehensive queue short, and the page proposes moving window 6 (pickup
first, comprehensive second in the hall file) there, naming its clerk — and never window
5, whose file lets it serve pickup only. Screenshot: build/screenshots/staffing-1920x1080.png."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.helpers import TIMEOUT, check, issue, window_do
from tests.e2e.pages import Page
from tests.e2e.screens import overflowing
from tests.support.live import HALL, LiveServer

OPEN = (("clerk1", 1), ("clerk2", 6), ("clerk3", 5))  # comprehensive; pickup then comprehensive; pickup


@pytest.fixture
def windows_open(server: LiveServer, sign_in: Callable[[LiveServer, str], requests.Session]) -> Iterator[None]:
    clerks = [(sign_in(server, name), window) for name, window in OPEN]
    for session, window in clerks:
        window_do(server, session, window, "open-window")
    yield
    for session, window in clerks:
        window_do(server, session, window, "close-window")


def test_the_page_follows_the_hall_and_proposes_a_move_in_plain_chinese(
    server: LiveServer,
    open_page: Callable[..., Page],
    sign_in: Callable[[LiveServer, str], requests.Session],
    windows_open: None,
) -> None:
    page = open_page(server, (1920, 1080))
    page.sign_in("manager", "/manage/staffing")
    page.wait_until("hq.loaded && hq.link === 'online'")
    comprehensive = page.page.locator('[data-testid=queue-row][data-queue="comprehensive"]')
    expect(comprehensive.get_by_test_id("assigned")).to_have_text("1")
    expect(page.page.locator('[data-testid=queue-row][data-queue="pickup"]').get_by_test_id("assigned")).to_have_text(
        "5、6"
    )
    before = int(comprehensive.get_by_test_id("issued").inner_text())

    # tickets issued at the desk: the page reads the advice again after the events
    guide = sign_in(server, "guide")
    for _ in range(6):
        issue(server, guide, queue="comprehensive")
    expect(comprehensive.get_by_test_id("issued")).to_have_text(str(before + 6), timeout=TIMEOUT * 1000)
    advice = check(sign_in(server, "manager").get(server.api(f"/halls/{HALL}/staffing"), timeout=TIMEOUT), 200)
    shown = {q["code"]: q["windows_needed"] for q in advice["queues"]}
    expect(comprehensive.get_by_test_id("needed")).to_have_text(str(shown["comprehensive"]))

    # a target no single window can meet while anyone arrives: everyone called at once, 99 %
    page.by_testid("target-level").fill("99")
    page.by_testid("target-minutes").fill("0")
    page.by_testid("target-apply").click()
    page.wait_until("hq.lastQuery === 'target_minutes=0&service_level=0.99'")
    moves = page.by_testid("move")
    expect(moves).to_have_count(1)
    expect(moves.first).to_have_text("把 6 号窗口（测试clerk2）从 出件发证 调到 综合受理")
    expect(page.by_testid("target-now")).to_contain_text("99% 的群众在 0 分钟内被叫号")
    expect(comprehensive.get_by_test_id("needed")).not_to_have_text("1")
    assert not overflowing(page.page), "nothing spills out of the page at 1920×1080"
    page.screenshot("staffing-1920x1080")

    # a mistyped target is said on the page and the advice shown stays
    page.by_testid("target-level").fill("100")
    page.by_testid("target-apply").click()
    expect(page.by_testid("target-message")).to_have_text("叫号比例请填 1 到 99 之间的数")
    expect(moves).to_have_count(1)

    page.page.get_by_role("button", name="English").click()
    expect(moves.first).to_have_text("Move window 6 (测试clerk2) from 出件发证 to 综合受理")
    page.page.get_by_role("button", name="繁體").click()
    expect(moves.first).to_have_text("把 6 號窗口（测试clerk2）從 出件发证 調到 综合受理")
