"""The managers' live dashboard (/manage) in real Chromium against a live server: it
follows tickets issued and called without a reload, and reads afresh after a network
blink; a second dashboard opened mid-day draws the same figures as the one open since
morning, and both equal the API's snapshot; the manager's actions (release a window,
cancel a ticket, the notice, a screen's settings) work after a confirmation and a wrong
one is refused with a readable message.
Screenshots in build/screenshots/dashboard-*.png (1920×1080 and 1366×768)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.helpers import TIMEOUT, check, issue, window_do
from tests.e2e.pages import Page
from tests.integration.test_dashboard import comparable
from tests.support.live import HALL, LiveServer

UPLOT = Path(__file__).parents[2] / "manage_client" / "static" / "vendor" / "uPlot.esm.js"
# what each queue card and window row shows that does not age with the clock
STEADY_FIGURES = """() => ({
  queues: [...document.querySelectorAll('[data-testid^="queue-"]')].map((card) => [
    card.dataset.testid,
    card.querySelector('[data-testid="waiting"]').textContent,
    card.querySelector('[data-testid="average"]').textContent,
    card.querySelector('[data-testid="longest"]').textContent,
    card.querySelector('[data-testid="issued-served"]').textContent,
  ]),
  windows: [...document.querySelectorAll('[data-testid^="window-"]')].map((row) => [
    row.dataset.testid, row.dataset.state,
    row.querySelector('[data-testid="clerk"]').textContent,
    row.querySelector('[data-testid="ticket"]').textContent,
  ]),
  chart: ((chart) => [chart.dataset.issued, chart.dataset.served])(document.querySelector('[data-testid="chart"]')),
  ratings: document.querySelector('[data-testid="rating-counts"]').textContent,
})"""


@pytest.fixture(autouse=True)
def _vendored() -> None:
    assert UPLOT.exists(), f"{UPLOT} is missing: run `make setup` (npm ci, then the copy)"


def _open(open_page: Any, server: LiveServer, size: tuple[int, int] = (1920, 1080)) -> Page:
    page: Page = open_page(server, size)
    page.sign_in("manager", "/manage")
    page.wait_until("hq.loaded && hq.link === 'online'")
    return page


def _shown(page: Page, testid: str) -> str:
    return page.by_testid(testid).inner_text()  # type: ignore[no-any-return]


def _api_figures(server: LiveServer, manager: requests.Session) -> dict[str, Any]:
    return comparable(check(manager.get(server.api(f"/halls/{HALL}/dashboard"), timeout=TIMEOUT), 200))


def test_it_follows_the_hall_live_and_a_dashboard_opened_later_draws_the_same(  # type: ignore[no-untyped-def]
    server, open_page, sign_in
):
    morning = _open(open_page, server)
    guide, clerk, manager = sign_in(server, "guide"), sign_in(server, "clerk1"), sign_in(server, "manager")
    card = morning.by_testid("queue-comprehensive")
    before = int(card.get_by_test_id("waiting").inner_text())

    # issued and called: the page follows without a reload
    tickets = [issue(server, guide, queue="comprehensive") for _ in range(3)]
    expect(card.get_by_test_id("waiting")).to_have_text(str(before + 3), timeout=TIMEOUT * 1000)
    window_do(server, clerk, 1, "open-window")
    expect(morning.by_testid("window-1")).to_have_attribute("data-state", "idle", timeout=TIMEOUT * 1000)
    called = window_do(server, clerk, 1, "call-next")["ticket"]
    row = morning.by_testid("window-1")
    expect(row).to_have_attribute("data-state", "serving", timeout=TIMEOUT * 1000)
    expect(row.get_by_test_id("ticket")).to_have_text(called)
    expect(row.get_by_test_id("clerk")).to_contain_text("测试clerk1")
    expect(card.get_by_test_id("waiting")).to_have_text(str(before + 2))
    window_do(server, clerk, 1, "start-service")
    window_do(server, clerk, 1, "finish-service")
    expect(row).to_have_attribute("data-state", "idle", timeout=TIMEOUT * 1000)
    assert called in {ticket["number"] for ticket in tickets} or before > 0  # the line's first, by its rule
    assert morning.diagnostics("hq.reads") == 1  # every figure since came from events

    # opened mid-day: the same figures, drawn the same, and the API's own
    midday = _open(open_page, server)
    seq = morning.diagnostics("hq.seq")
    midday.wait_until(f"hq.seq === {seq}")
    assert midday.page.evaluate(STEADY_FIGURES) == morning.page.evaluate(STEADY_FIGURES)
    assert morning.diagnostics("hq.figures()") == midday.diagnostics("hq.figures()") == _api_figures(server, manager)
    morning.screenshot("dashboard-1920x1080")

    # a network blink: back online, it reads afresh and holds what happened meanwhile
    morning.page.context.set_offline(True)
    morning.wait_until("hq.link === 'offline'")
    meanwhile = issue(server, guide, queue="comprehensive")
    morning.page.context.set_offline(False)
    morning.wait_until("hq.reads === 2 && hq.loaded && hq.link === 'online'")
    assert meanwhile["id"] in [
        t["id"] for q in morning.diagnostics("hq.figures()")["queues"] for t in q["waiting_tickets"]
    ]
    assert morning.diagnostics("hq.figures()") == _api_figures(server, manager)

    small = _open(open_page, server, (1366, 768))
    small.wait_until(f"hq.seq === {morning.diagnostics('hq.seq')}")
    assert small.page.evaluate(STEADY_FIGURES) == morning.page.evaluate(STEADY_FIGURES)
    small.screenshot("dashboard-1366x768")
    small.page.get_by_role("button", name="English").click()
    expect(small.page.locator('h1 [data-i18n="title"]')).to_have_text("Hall dashboard")
    expect(small.by_testid("window-1").get_by_test_id("state")).to_have_text("Idle")
    small.screenshot("dashboard-en-1366x768")
    small.page.get_by_role("button", name="繁體").click()
    expect(small.by_testid("queue-comprehensive")).to_contain_text("等候人數")


def _confirm(page: Page, reason: str | None = None) -> None:
    expect(page.by_testid("confirm")).to_be_visible()
    if reason is not None:
        page.by_testid("confirm-reason").fill(reason)
    page.by_testid("confirm-yes").click()


def _message(page: Page, tone: str) -> str:
    page.wait_until(f"hq.lastMessage && hq.lastMessage.tone === '{tone}'")
    text = _shown(page, "message")
    page.by_testid("message-close").click()
    page.wait_until("hq.lastMessage === null")
    return text


def test_manager_actions_work_after_a_confirmation_and_wrong_ones_say_why(  # type: ignore[no-untyped-def]
    server, open_page, sign_in
):
    page = _open(open_page, server)
    guide, clerk, manager = sign_in(server, "guide"), sign_in(server, "clerk2"), sign_in(server, "manager")
    issue(server, guide, queue="comprehensive")
    window_do(server, clerk, 2, "open-window")
    held = window_do(server, clerk, 2, "call-next")["ticket"]
    row = page.by_testid("window-2")
    expect(row).to_have_attribute("data-state", "serving", timeout=TIMEOUT * 1000)

    # release: refused without a reason (the server's words), done with one
    row.get_by_test_id("release").click()
    _confirm(page, "")
    assert "reason" in _message(page, "alert")
    expect(row).to_have_attribute("data-state", "serving")
    row.get_by_test_id("release").click()
    _confirm(page, "工作人员临时离岗")
    assert "已释放" in _message(page, "ok")
    expect(row).to_have_attribute("data-state", "closed", timeout=TIMEOUT * 1000)

    # cancel: the ticket the released window held is back in line; an unknown one is refused
    waiting = page.by_testid("queue-comprehensive").get_by_test_id("waiting")
    count = int(waiting.inner_text())
    page.by_testid("cancel-number").fill("Z999")
    page.by_testid("cancel-go").click()
    assert "Z999" in _message(page, "alert")
    page.by_testid("cancel-number").fill(held)
    page.by_testid("cancel-go").click()
    _confirm(page)
    assert held in _message(page, "ok")
    expect(waiting).to_have_text(str(count - 1), timeout=TIMEOUT * 1000)

    # the hall notice, and a screen's settings (a wrong row count is refused by name)
    page.by_testid("notice-input").fill("今日下午三点起暂停办理不动产业务")
    page.by_testid("notice-save").click()
    _confirm(page)
    _message(page, "ok")
    page.wait_until("hq.figures().notice === '今日下午三点起暂停办理不动产业务'")
    page.by_testid("screen-select").select_option(label="hall_screen")
    page.by_testid("screen-rows").fill("99")
    page.by_testid("screen-save").click()
    _confirm(page)
    assert "rows" in _message(page, "alert")
    page.by_testid("screen-rows").fill("6")
    page.by_testid("screen-save").click()
    _confirm(page)
    _message(page, "ok")
    screens = check(manager.get(server.api(f"/halls/{HALL}/screens"), timeout=TIMEOUT), 200)["screens"]
    assert next(s for s in screens if s["name"] == "hall_screen")["settings"]["rows"] == 6


def test_an_alert_shows_live_is_acknowledged_by_name_and_clears(  # type: ignore[no-untyped-def]
    server, open_page, sign_in
):
    """A queue passes its waiting-count threshold: the alert appears on the dashboard
    without a reload, a manager acknowledges it (their name shown), and it clears when the
    queue is short again. The threshold is set just above what waits now, through the hall
    file, and put back afterwards."""
    from queue_server.cli import demo_hall_toml

    page = _open(open_page, server)
    admin, guide, manager = sign_in(server, "admin"), sign_in(server, "guide"), sign_in(server, "manager")
    waiting = int(page.by_testid("queue-comprehensive").get_by_test_id("waiting").inner_text())
    hall_file = (
        demo_hall_toml(always_open=True) + f"\n[hall.alerts.queues.comprehensive]\nmany_waiting = {waiting + 1}\n"
    )
    check(admin.put(server.api(f"/halls/{HALL}/config"), data=hall_file.encode(), timeout=TIMEOUT), 200)
    try:
        extra = [issue(server, guide, queue="comprehensive") for _ in range(2)]
        item = page.by_testid("alerts").locator("li").first
        expect(item).to_have_attribute("data-state", "open", timeout=TIMEOUT * 1000)
        expect(item.get_by_test_id("alert-text")).to_contain_text(str(waiting + 2))
        page.screenshot("dashboard-alert-1920x1080")
        item.get_by_test_id("acknowledge").click()
        expect(item).to_have_attribute("data-state", "acknowledged", timeout=TIMEOUT * 1000)
        expect(item.get_by_test_id("alert-state")).to_contain_text("测试manager")
        for ticket in extra:
            check(
                manager.post(server.api(f"/halls/{HALL}/tickets/{ticket['id']}/cancel"), json={}, timeout=TIMEOUT), 200
            )
        expect(item).to_have_attribute("data-state", "cleared", timeout=TIMEOUT * 1000)
    finally:
        check(admin.put(server.api(f"/halls/{HALL}/config"), data=demo_hall_toml(always_open=True).encode()), 200)
