"""The reports page (`/manage/reports`) in real Chromium against a live server: a manager
opens the day's window report after a clerk served and paused, switches to the month's
clerk review, downloads its CSV and prints it. Screenshots in
build/screenshots/reports-*.png (1920×1080, and the A4 print layout)."""

from __future__ import annotations

import re
from collections.abc import Callable

import requests
from playwright.sync_api import expect

from tests.e2e.helpers import TIMEOUT, check, issue, serve_and_finish, window_do
from tests.e2e.pages import Page
from tests.support.live import HALL, LiveServer


def test_a_manager_reads_prints_and_downloads_reports(
    server: LiveServer,
    open_page: Callable[..., Page],
    sign_in: Callable[[LiveServer, str], requests.Session],
) -> None:
    guide, clerk, manager = sign_in(server, "guide"), sign_in(server, "clerk1"), sign_in(server, "manager")
    window_do(server, clerk, 1, "open-window")
    for _ in range(2):
        issue(server, guide, queue="comprehensive")
        window_do(server, clerk, 1, "call-next")
        serve_and_finish(server, clerk, 1)
    window_do(server, clerk, 1, "pause-window", reason="午休")
    window_do(server, clerk, 1, "resume-window")
    day = check(manager.get(server.api(f"/halls/{HALL}/staffing"), timeout=TIMEOUT), 200)["service_day"]
    expected = check(manager.get(server.api(f"/halls/{HALL}/reports/windows?day={day}"), timeout=TIMEOUT), 200)
    window_one = next(row for row in expected["rows"] if row["key"] == 1)
    assert window_one["served"] >= 2

    page = open_page(server, (1920, 1080))
    page.sign_in("manager", f"/manage/reports?hall={HALL}&kind=windows&day={day}")
    page.page.wait_for_selector("body[data-ready=true]", timeout=TIMEOUT * 1000)
    expect(page.by_testid("report-title")).to_have_text("示范区政务服务中心 · 窗口统计")
    expect(page.by_testid("report-period")).to_have_text(day)
    first = page.by_testid("report-row").first
    served = first.locator("td[data-key=served]")
    expect(served).to_have_text(str(window_one["served"]))
    expect(first.locator("td[data-key=name]")).to_have_text(window_one["name"])
    csv_link = page.by_testid("csv")
    assert csv_link.get_attribute("href") == f"/api/v1/halls/{HALL}/reports/windows?day={day}&format=csv"
    page.screenshot("reports-day-1920x1080")

    # the month: each clerk's review, and its CSV as Excel reads it
    page.by_testid("unit-month").check()
    page.by_testid("month").fill(day[:7])
    page.by_testid("kind").select_option("clerk-review")
    page.by_testid("show").click()
    expect(page.by_testid("report-title")).to_have_text("示范区政务服务中心 · 月讲评")
    expect(page.by_testid("report-period")).to_contain_text(day[:7])
    clerk_row = page.by_testid("report-row").filter(has_text="CLERK1")
    expect(clerk_row.locator("td[data-key=pause_reasons]")).to_contain_text("午休")
    href = csv_link.get_attribute("href")
    assert href == f"/api/v1/halls/{HALL}/reports/clerk-review?month={day[:7]}&format=csv"
    download = page.page.request.get(f"{server.url}{href}")
    assert download.ok and download.body().startswith("\ufeff工号,姓名,出勤天数".encode())
    assert "filename*=UTF-8''" in download.headers["content-disposition"]
    page.screenshot("reports-month-1920x1080")

    # English labels, the same figures
    page.page.locator("[data-lang=en]").click()
    expect(page.page.locator("th[data-key=days_on_duty]")).to_have_text("Days on duty")
    page.page.locator("[data-lang=zh-CN]").click()

    # printed on A4: no navigation or form, the report's header and its table
    page.page.set_viewport_size({"width": 1123, "height": 794})
    page.page.emulate_media(media="print")
    expect(page.by_testid("manage-nav")).to_be_hidden()
    expect(page.by_testid("report-form")).to_be_hidden()
    expect(page.by_testid("report-hall")).to_have_text("示范区政务服务中心")
    expect(page.by_testid("report-printed-at")).to_have_text(re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$"))
    page.screenshot("reports-print-a4")
    assert not page.errors and not page.console and not page.violations()
