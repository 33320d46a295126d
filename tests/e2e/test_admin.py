"""Administration (/manage/admin) in Chromium against gunicorn's eventlet worker: an
administrator creates a clerk who then signs in; a manager registers a hall screen, sees
its token and address once with a QR code, opens the address as the TV would, sees it
online, and revokes it, which blanks the screen."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import expect

from tests.e2e.pages import Page
from tests.e2e.screens import ScreenPage
from tests.e2e.test_device_access import REFUSED_TOKEN
from tests.support.live import LiveServer

ADMIN_PAGE = "/manage/admin"


def test_an_administrator_creates_a_clerk_who_then_signs_in(server: LiveServer, open_page: Callable[..., Page]) -> None:
    admin = open_page(server, (1920, 1080))
    admin.sign_in("admin", ADMIN_PAGE)
    admin.wait_until("hq.state === 'ready'")
    expect(admin.by_testid("user-row").filter(has_text="clerk1")).to_have_count(1)
    admin.by_testid("user-username").fill("zhaomin")
    admin.by_testid("user-display-name").fill("窗口人员赵敏")
    admin.by_testid("user-staff-number").fill("C010")
    admin.by_testid("user-password").fill("short")
    admin.by_testid("user-create").click()
    expect(admin.by_testid("message")).to_contain_text("密码至少 8 位")  # the server's sentence
    expect(admin.by_testid("user-password")).to_have_attribute("aria-invalid", "true")
    admin.by_testid("user-password").fill("zhaomin-2026")
    admin.by_testid("user-create").click()
    expect(admin.by_testid("message")).to_contain_text("已创建账号 窗口人员赵敏（zhaomin）")
    created = admin.by_testid("user-row").filter(has_text="zhaomin")
    expect(created.get_by_test_id("user-role-cell")).to_have_text("窗口工作人员")
    expect(created.get_by_test_id("user-last-seen")).to_have_text("从未")
    admin.screenshot("admin-users-1920x1080")

    clerk = open_page(server, (1366, 768))
    clerk.goto("/counter")
    clerk.page.wait_for_url(lambda url: "/login?next=" in url)
    clerk.by_testid("username").fill("zhaomin")
    clerk.by_testid("password").fill("zhaomin-2026")
    clerk.by_testid("password").press("Enter")
    clerk.page.wait_for_url(f"{server.url}/counter")
    expect(clerk.by_testid("user")).to_have_text("窗口人员赵敏")
    clerk.goto("/")  # the landing page puts the clerk's own page first
    expect(clerk.by_testid("page-row").first).to_contain_text("窗口工作台")
    expect(clerk.by_testid("mine")).to_have_count(1)
    clerk.screenshot("landing-signed-in-clerk-1366x768")

    admin.by_testid("users-refresh").click()
    expect(created.get_by_test_id("user-last-seen")).not_to_have_text("从未")
    admin.by_testid("user-row").filter(has_text="zhaomin").get_by_test_id("user-disable").click()
    admin.by_testid("ask-ok").click()
    expect(created).to_have_attribute("data-state", "disabled")
    clerk.goto("/counter")  # the clerk's session ended with the account
    clerk.page.wait_for_url(lambda url: "/login?next=" in url)


def test_a_manager_registers_a_hall_screen_sees_it_online_and_revokes_it(
    server: LiveServer, open_page: Callable[..., Page], open_screen: Callable[..., ScreenPage]
) -> None:
    manager = open_page(server, (1920, 1080))
    manager.sign_in("manager", ADMIN_PAGE)
    manager.wait_until("hq.state === 'ready'")
    expect(manager.by_testid("users-admin-only")).to_be_visible()
    manager.by_testid("device-kind").select_option("window_screen")
    manager.by_testid("device-name").fill("5号窗口屏")
    manager.by_testid("device-register").click()
    expect(manager.by_testid("message")).to_contain_text("须绑定窗口")
    expect(manager.by_testid("device-window")).to_have_attribute("aria-invalid", "true")

    manager.by_testid("device-kind").select_option("hall_screen")
    manager.by_testid("device-name").fill("二楼综合屏")
    manager.by_testid("device-register").click()
    expect(manager.by_testid("registered")).to_be_visible()
    expect(manager.by_testid("registered-warning")).to_contain_text("只显示这一次")
    token = manager.by_testid("registered-token").text_content()
    assert token and token.startswith("hqd_")
    address = f"{server.url}/screens/hall#token={token}"
    expect(manager.by_testid("registered-address")).to_have_text(address)
    expect(manager.by_testid("registered-qr")).to_have_attribute("data-content", address)
    manager.screenshot("admin-registered-1920x1080")

    tv = open_screen(server, "hall", token)  # the address, opened as the TV opens it
    expect(tv.by_testid("hall-name")).to_have_text("示范区政务服务中心")
    manager.by_testid("registered-done").click()
    expect(manager.by_testid("registered")).to_be_hidden()
    assert token not in manager.page.content()  # gone from the page once noted

    row = manager.by_testid("device-row").filter(has_text="二楼综合屏")
    manager.by_testid("devices-refresh").click()
    expect(row).to_have_attribute("data-state", "online")
    expect(row.get_by_test_id("device-state")).to_have_text("在线")
    manager.screenshot("admin-devices-1920x1080")
    manager.page.set_viewport_size({"width": 1366, "height": 768})
    manager.screenshot("admin-devices-1366x768")

    row.get_by_test_id("device-revoke").click()
    expect(manager.by_testid("ask-text")).to_contain_text("吊销“二楼综合屏”")
    manager.screenshot("admin-revoke-confirm-1366x768")
    manager.by_testid("ask-ok").click()
    expect(tv.by_testid("token-error-message")).to_have_text(REFUSED_TOKEN)
    expect(tv.by_testid("hall")).to_be_hidden()
    expect(row).to_have_count(0)
    manager.by_testid("show-revoked").check()
    expect(row).to_have_attribute("data-state", "revoked")
    manager.page.get_by_role("button", name="English").click()
    expect(manager.by_testid("devices-panel")).to_contain_text("Revoked")
    manager.screenshot("admin-devices-en-1366x768")
