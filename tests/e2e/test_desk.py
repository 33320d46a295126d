"""The guidance desk in real Chromium against a live server: a guide signs in, types
`bdc`, presses Enter twice and the ticket is issued (checked through the API), shown,
and previewed as it prints; priority, ID number, cancelling, and every refusal a guide
meets said plainly on the page. Screenshots in build/screenshots/desk-*.png."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from queue_server.pages import PAGES
from tests.e2e.helpers import TIMEOUT, all_events, check, issue
from tests.e2e.pages import Page
from tests.e2e.screens import overflowing
from tests.support.live import HALL, PASSWORD, LiveServer

DESK_SIZES = [(1920, 1080), (1366, 768)]
VALID_ID = "11010519491231002X"  # the standard's own example, check digit X
BAD_ID = "110105194912310021"  # one digit off: the check digit no longer matches


def _tickets(server: LiveServer, manager: requests.Session) -> list[dict[str, Any]]:
    """Every ticket issued so far, from the hall's log."""
    return [event["ticket"] for event in all_events(server, manager) if event["type"] == "ticket_issued"]


def _ticket(server: LiveServer, manager: requests.Session, ticket_id: int) -> dict[str, Any]:
    return check(manager.get(server.api(f"/halls/{HALL}/tickets/{ticket_id}"), timeout=TIMEOUT), 200)


@pytest.mark.parametrize("size", DESK_SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_three_keystrokes_issue_the_usual_ticket(
    server: LiveServer,
    open_page: Callable[..., Page],
    sign_in: Callable[[LiveServer, str], requests.Session],
    size: tuple[int, int],
) -> None:
    manager = sign_in(server, "manager")
    before = len(_tickets(server, manager))
    desk = open_page(server, size)
    desk.open_desk("guide")
    expect(desk.by_testid("hall-name")).to_have_text("示范区政务服务中心")
    desk.screenshot(f"desk-ready-{size[0]}x{size[1]}")

    desk.page.keyboard.type("bdc")
    desk.wait_until("hq.results.length > 0")
    assert desk.diagnostics("hq.results[0]") == "queue:real-estate"  # the shortest match of bdc: 不动产登记
    expect(desk.by_testid("result").first).to_contain_text("不动产登记")
    desk.screenshot(f"desk-search-{size[0]}x{size[1]}")
    desk.page.keyboard.press("Enter")
    desk.wait_until("hq.state === 'confirm'")
    expect(desk.by_testid("choice-name")).to_have_text("不动产登记")
    # a double Enter: the second arrives while the first is on its way, or after it
    desk.page.keyboard.press("Enter")
    desk.page.keyboard.press("Enter")
    desk.wait_until("hq.ticket !== null")

    shown = desk.diagnostics("hq.ticket")
    assert desk.diagnostics("hq.issueRequests") == 1
    tickets = _tickets(server, manager)
    assert len(tickets) == before + 1, "a double Enter issued twice"
    stored = _ticket(server, manager, shown["id"])
    assert (stored["queue"], stored["channel"], stored["status"]) == ("real-estate", "desk", "waiting")
    expect(desk.by_testid("issued-number")).to_have_text(stored["number"])
    expect(desk.by_testid("issued-queue")).to_have_text("不动产登记")
    expect(desk.by_testid("issued-figures")).to_contain_text("前面还有" if stored["people_ahead"] else "下一位")
    # the preview is the printed ticket, drawn by the server for this ticket
    desk.page.wait_for_function(
        "() => { const img = document.querySelector('[data-testid=preview]');"
        " return img.complete && img.naturalWidth === 576; }",
        timeout=TIMEOUT * 1000,
    )
    # the issue reached the desk's own live counts over the socket
    expect(
        desk.page.locator("[data-testid=queue-row][data-queue=real-estate] [data-testid=queue-waiting]")
    ).to_have_text(f"{stored['people_ahead'] + 1}人")
    assert overflowing(desk.page) == []
    desk.screenshot(f"desk-issued-{size[0]}x{size[1]}")
    # focus is back in the search: the next citizen's item can be typed at once
    desk.page.keyboard.type("shbzk")
    desk.wait_until("hq.state === 'search' && hq.results[0] === 'item:social-security-card'")


def test_priority_class_and_id_number_by_keys_then_the_same_person_again(
    server: LiveServer, open_page: Callable[..., Page], sign_in: Callable[[LiveServer, str], requests.Session]
) -> None:
    manager = sign_in(server, "manager")
    desk = open_page(server)
    desk.open_desk("guide")
    keyboard = desk.page.keyboard
    keyboard.type("qqqq")  # no name, code or pinyin holds it
    desk.wait_until("hq.results.length === 0")
    expect(desk.by_testid("search-hint")).to_contain_text("没有匹配")
    keyboard.press("Enter")  # nothing to pick: nothing happens
    assert desk.diagnostics("hq.state") == "search"
    desk.by_testid("search").fill("")
    keyboard.type("jmsfz")  # 居民身份证申领换领补领
    desk.wait_until("hq.results[0] === 'item:id-card'")
    keyboard.press("Enter")
    keyboard.press("Alt+1")
    expect(desk.by_testid("priority-senior")).to_have_attribute("aria-pressed", "true")
    keyboard.press("Alt+I")
    expect(desk.by_testid("id-number")).to_be_focused()
    keyboard.type(VALID_ID)
    expect(desk.by_testid("id-hint")).to_have_attribute("data-state", "ok")
    keyboard.press("Enter")
    desk.wait_until("hq.state === 'issued'")
    first = _ticket(server, manager, desk.diagnostics("hq.ticket.id"))
    assert (first["item"], first["priority"], first["queue"]) == ("id-card", "senior", "household")
    # the ID number is not kept on the page once the ticket is issued
    expect(desk.by_testid("id-number")).to_have_value("")
    assert desk.diagnostics("hq.idNumberKept") is False
    expect(desk.by_testid("priority-none")).to_have_attribute("aria-pressed", "true")

    # the same person for the same queue again: refused, with the number already held
    keyboard.type("hkqy")  # 户口迁移, also the household queue
    desk.wait_until("hq.results[0] === 'item:hukou-transfer'")
    keyboard.press("Enter")
    keyboard.press("Alt+I")
    keyboard.type(VALID_ID)
    keyboard.press("Enter")
    expect(desk.by_testid("desk-message")).to_be_visible()
    expect(desk.by_testid("message-title")).to_have_text("该证件在此队列已有号码，无需重复取号")
    expect(desk.by_testid("message-detail")).to_contain_text(first["number"])
    assert desk.diagnostics("hq.state") == "confirm"
    desk.screenshot("desk-duplicate-1920x1080")


def test_a_wrong_check_digit_is_caught_before_anything_is_sent(
    server: LiveServer, open_page: Callable[..., Page]
) -> None:
    desk = open_page(server, (1366, 768))
    desk.open_desk("guide")
    desk.page.keyboard.type("shbzk")  # 社会保障卡申领补换
    desk.wait_until("hq.results[0] === 'item:social-security-card'")
    desk.page.keyboard.press("Enter")
    desk.page.keyboard.press("Alt+I")
    desk.page.keyboard.type(BAD_ID)
    expect(desk.by_testid("id-hint")).to_have_text("身份证号码校验位不正确，请核对后重新输入")
    desk.page.keyboard.press("Enter")
    expect(desk.by_testid("message-title")).to_have_text("证件号码有误")
    assert desk.diagnostics("hq.issueRequests") == 0
    expect(desk.by_testid("id-number")).to_be_focused()
    desk.screenshot("desk-bad-id-1366x768")


def test_a_full_queue_says_so_before_and_when_issuing(
    server: LiveServer, open_page: Callable[..., Page], sign_in: Callable[[LiveServer, str], requests.Session]
) -> None:
    guide = sign_in(server, "guide")
    cap = 60  # 办不成事反映, daily_cap in the demo hall
    for _ in range(cap):
        issue(server, guide, queue="reflection")
    desk = open_page(server)
    desk.open_desk("guide")
    desk.page.keyboard.type("bbcs")  # “办不成事”问题反映, and the queue 办不成事反映
    desk.wait_until("hq.results.length > 0")
    expect(desk.by_testid("result").first.get_by_test_id("badge-full")).to_have_text("今日号源已发完")
    desk.page.keyboard.press("Enter")
    desk.page.keyboard.press("Enter")
    expect(desk.by_testid("message-title")).to_have_text("今日号源已发完")
    expect(desk.by_testid("message-detail")).to_contain_text("每日 60 个号")
    expect(desk.page.locator("[data-testid=queue-row][data-queue=reflection]")).to_contain_text("今日号源已发完")
    desk.screenshot("desk-queue-full-1920x1080")


def test_a_choice_the_server_does_not_know_is_refused_plainly(
    server: LiveServer, open_page: Callable[..., Page], sign_in: Callable[[LiveServer, str], requests.Session]
) -> None:
    """The page's catalogue is stale (the hall file changed) or names another hall's
    bundle: the server answers 404 and the page says which."""
    guide = sign_in(server, "guide")
    for body, detail in (
        ({"item": "no-such-item"}, "没有编码为 'no-such-item' 的事项"),
        ({"bundle": "town-only"}, "“一件事”"),
    ):
        refused = check(guide.post(server.api(f"/halls/{HALL}/tickets"), json=body, timeout=TIMEOUT), 404)
        assert detail in refused["detail"]

    desk = open_page(server)

    def stale(route: Any) -> None:
        answer = route.fetch()
        catalogue = answer.json()
        catalogue["items"].append(
            {
                "code": "no-such-item",
                "name": "已撤销的事项",
                "department": "某局",
                "queue": "comprehensive",
                "initials": "ycxdsx",
                "pinyin": "yichexiaodeshixiang",
            }
        )
        catalogue["bundles"].append(
            {
                "code": "town-only",
                "name": "某镇的一件事",
                "queue": "comprehensive",
                "items": [],
                "initials": "mzdyjs",
                "pinyin": "mouzhendeyijianshi",
            }
        )
        route.fulfill(response=answer, body=json.dumps(catalogue, ensure_ascii=False))

    desk.page.route("**/api/v1/halls/demo/catalogue", stale)
    desk.open_desk("guide")
    for typed, title, detail in (
        ("ycxdsx", "找不到所选的事项、“一件事”或队列", "no-such-item"),
        ("mzdyjs", "找不到所选的事项、“一件事”或队列", "town-only"),
    ):
        desk.by_testid("search").fill("")
        desk.page.keyboard.type(typed)
        desk.wait_until("hq.results.length > 0")
        desk.page.keyboard.press("Enter")
        desk.page.keyboard.press("Enter")
        expect(desk.by_testid("message-title")).to_have_text(title)
        expect(desk.by_testid("message-detail")).to_contain_text(detail)
        desk.page.keyboard.press("Escape")
    desk.screenshot("desk-unknown-item-1920x1080")


def test_the_ticket_just_issued_is_cancelled_with_a_reason(
    server: LiveServer, open_page: Callable[..., Page], sign_in: Callable[[LiveServer, str], requests.Session]
) -> None:
    manager = sign_in(server, "manager")
    desk = open_page(server)
    desk.open_desk("manager")  # a manager may use the desk too
    desk.page.keyboard.type("cjfz")  # 出件发证
    desk.wait_until("hq.results[0] === 'queue:pickup'")
    desk.page.keyboard.press("Enter")
    desk.page.keyboard.press("Enter")
    desk.wait_until("hq.state === 'issued'")
    ticket_id = desk.diagnostics("hq.ticket.id")
    desk.page.keyboard.press("Alt+C")
    expect(desk.by_testid("cancel-reason")).to_be_focused()
    desk.page.keyboard.press("Enter")  # no reason yet
    expect(desk.by_testid("message-title")).to_have_text("请填写取消原因")
    desk.page.keyboard.type("选错事项")
    desk.page.keyboard.press("Enter")
    expect(desk.by_testid("issued-status")).to_contain_text("已取消")
    stored = _ticket(server, manager, ticket_id)
    assert stored["status"] == "cancelled"
    assert stored["log"][-1]["reason"] == "选错事项"
    desk.screenshot("desk-cancelled-1920x1080")


def test_who_may_open_the_desk_and_its_preview(
    server: LiveServer, open_page: Callable[..., Page], sign_in: Callable[[LiveServer, str], requests.Session]
) -> None:
    anonymous = requests.get(f"{server.url}/desk", allow_redirects=False, timeout=TIMEOUT)
    assert anonymous.status_code == 303 and anonymous.headers["Location"] == "/login?next=/desk"
    policy = anonymous.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy

    guide, clerk = sign_in(server, "guide"), sign_in(server, "clerk1")
    ticket = issue(server, guide, queue="household")
    preview = f"{server.url}/desk/tickets/{ticket['id']}/preview.png"
    answer = guide.get(preview, timeout=TIMEOUT)
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "image/png"
    assert answer.content.startswith(b"\x89PNG")
    assert clerk.get(preview, timeout=TIMEOUT).status_code == 403
    assert requests.get(preview, timeout=TIMEOUT).status_code == 401
    assert guide.get(preview + "?paper=57", timeout=TIMEOUT).json()["field"] == "paper"
    assert guide.get(f"{server.url}/desk/tickets/999999/preview.png", timeout=TIMEOUT).status_code == 404

    page = open_page(server)
    page.sign_in("clerk1")
    expect(page.by_testid("refused-message")).to_contain_text("不能使用导办台")

    another = open_page(server)
    another.sign_in("guide", "/desk?hall=town")  # a hall that is not the guide's
    expect(another.by_testid("desk-error")).to_contain_text("没有大厅“town”，或此账号无权使用它")
    expect(another.by_testid("desk-main")).to_be_hidden()


def test_the_sign_in_page_says_why_and_goes_only_to_this_server(
    server: LiveServer, open_page: Callable[..., Page]
) -> None:
    page = open_page(server, (1366, 768))
    page.goto("/")
    expect(page.by_testid("page-row")).to_have_count(len(PAGES))
    expect(page.by_testid("pages")).to_contain_text("导办台")
    expect(page.by_testid("pages")).to_contain_text("窗口工作台")
    expect(page.by_testid("pages")).to_contain_text("评价器")
    page.screenshot("landing-1366x768")

    page.goto("/login?next=//elsewhere.example/desk")
    page.by_testid("username").fill("guide")
    page.by_testid("password").fill("wrong-password")
    page.by_testid("login-submit").click()
    expect(page.by_testid("login-message")).to_have_text("用户名或密码不正确")
    page.screenshot("login-wrong-password-1366x768")

    # five more failures for another name: the next attempt must wait, and the page says how long
    for _ in range(5):
        requests.post(server.api("/session"), json={"username": "clerk3", "password": "nope"}, timeout=TIMEOUT)
    page.by_testid("username").fill("clerk3")
    page.by_testid("password").fill(PASSWORD)
    page.by_testid("login-submit").click()
    expect(page.by_testid("login-message")).to_contain_text("登录失败次数过多")
    expect(page.by_testid("login-wait")).to_contain_text("秒后可再试")
    page.screenshot("login-throttled-1366x768")

    page.by_testid("username").fill("guide")
    page.by_testid("password").fill(PASSWORD)
    page.by_testid("password").press("Enter")
    page.page.wait_for_url(f"{server.url}/desk")  # `next` pointed elsewhere: the desk instead


@pytest.mark.parametrize(("language", "title"), [("en", "Guidance desk"), ("zh-TW", "導辦台")])
def test_the_desk_in_another_language_fits_the_small_screen(
    server: LiveServer, open_page: Callable[..., Page], language: str, title: str
) -> None:
    desk = open_page(server, (1366, 768))
    desk.open_desk("guide")
    desk.page.locator(f"[data-lang='{language}']").click()
    expect(desk.page.locator(".desk-bar h1")).to_contain_text(title)
    desk.by_testid("search").click()
    desk.page.keyboard.type("qykbyjs")  # 企业开办“一件事”
    desk.wait_until("hq.results[0] === 'bundle:enterprise-start'")
    desk.page.keyboard.press("Enter")
    desk.page.keyboard.press("Alt+2")
    assert overflowing(desk.page) == []
    desk.screenshot(f"desk-choice-{language}-1366x768")
