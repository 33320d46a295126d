"""The clerk's console in real Chromium against a live server, at a window PC's two sizes:
a clerk signs in, opens a window, and works it with the keyboard shortcuts (call next,
recall, start, finish with an outcome and items, no-show, suspend and resume, transfer,
pause), each checked through the API; a shortcut the clerk sets works (and is kept); a
network blink is shown, and the command retried with its one Idempotency-Key applies
once. Screenshots in build/screenshots/counter-*.png."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.helpers import TIMEOUT, all_events, check, issue
from tests.e2e.pages import Page
from tests.e2e.screens import overflowing
from tests.support.live import HALL, LiveServer

SIZES = [(1366, 768), (1920, 1080)]


def _window(server: LiveServer, manager: requests.Session, number: int) -> dict[str, Any]:
    """The window as the server has it (the console's own read, as a manager)."""
    return check(manager.get(server.api(f"/halls/{HALL}/windows/{number}"), timeout=TIMEOUT), 200)


def _ticket(server: LiveServer, manager: requests.Session, ticket_id: int) -> dict[str, Any]:
    return check(manager.get(server.api(f"/halls/{HALL}/tickets/{ticket_id}"), timeout=TIMEOUT), 200)


def _events(server: LiveServer, manager: requests.Session, type_: str, number: str) -> list[dict[str, Any]]:
    return [
        e for e in all_events(server, manager) if e["type"] == type_ and (e.get("ticket") or {}).get("number") == number
    ]


def _open_console(page: Page, window: int) -> None:
    page.sign_in("clerk1", "/counter")
    page.wait_until("hq.loaded && hq.link === 'online' && hq.day !== null")
    expect(page.by_testid("chooser")).to_be_visible()
    page.by_testid(f"open-{window}").click()
    page.wait_until(f"hq.view && hq.view.window.number === {window} && hq.view.window.status === 'open'")
    expect(page.by_testid("console")).to_be_visible()


def _ticket_shown(page: Page, number: str, status: str) -> None:
    page.wait_until(
        f"hq.view && hq.view.ticket && hq.view.ticket.number === '{number}'"
        f" && hq.view.ticket.status === '{status}' && hq.sender.phase === 'idle'"
    )


def _idle(page: Page) -> None:
    page.wait_until("hq.view && hq.view.ticket === null && hq.sender.phase === 'idle'")


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_a_clerks_day_at_the_window_by_keyboard(
    fresh_server: LiveServer,
    open_page: Callable[..., Page],
    sign_in: Callable[[LiveServer, str], requests.Session],
    size: tuple[int, int],
) -> None:
    server, tag = fresh_server, f"{size[0]}x{size[1]}"
    guide, manager = sign_in(server, "guide"), sign_in(server, "manager")
    console = open_page(server, size)
    console.sign_in("clerk1", "/counter")
    console.wait_until("hq.loaded && hq.link === 'online' && hq.day !== null")
    expect(console.by_testid("window-choice")).to_have_count(len(console.diagnostics("hq.day.windows")))
    console.screenshot(f"counter-chooser-{tag}")
    first = issue(server, guide, queue="comprehensive")
    second = issue(server, guide, queue="comprehensive")
    third = issue(server, guide, queue="comprehensive")

    console.by_testid("open-1").click()
    console.wait_until("hq.view && hq.view.window.status === 'open'")
    expect(console.by_testid("window-badge")).to_have_text("综合受理1号窗口")
    expect(console.by_testid("ticket-empty")).to_be_visible()
    expect(
        console.page.locator("[data-testid=queue-row][data-queue=comprehensive] [data-testid=queue-waiting]")
    ).to_have_text("3 人等候")
    expect(console.by_testid("next-row")).to_have_count(3)
    assert _window(server, manager, 1)["window"]["clerk"] == "测试clerk1"

    # F1: call next. The hall (the server's own view, as a hall screen reads it) has A001 at window 1
    console.page.keyboard.press("F1")
    _ticket_shown(console, first["number"], "called")
    assert _window(server, manager, 1)["window"]["ticket"] == first["number"]
    snapshot = check(manager.get(server.api(f"/halls/{HALL}"), timeout=TIMEOUT), 200)
    assert any(c["number"] == first["number"] and c["window"] == 1 for c in snapshot["recent_calls"])
    expect(console.by_testid("ticket-number")).to_have_text(first["number"])
    expect(console.by_testid("ticket-queue")).to_have_text("综合受理")
    expect(
        console.page.locator("[data-testid=queue-row][data-queue=comprehensive] [data-testid=queue-waiting]")
    ).to_have_text("2 人等候")
    console.screenshot(f"counter-called-{tag}")

    # F2: recall; F4: start
    console.page.keyboard.press("F2")
    console.wait_until("hq.sender.phase === 'idle' && hq.lastCommand === 'recall'")
    assert len(_events(server, manager, "ticket_recalled", first["number"])) == 1
    console.page.keyboard.press("F4")
    _ticket_shown(console, first["number"], "serving")

    # F5: finish, with 咨询 (Alt+2) and an item found by its pinyin initials
    console.page.keyboard.press("F5")
    expect(console.by_testid("finish-dialog")).to_be_visible()
    console.page.keyboard.press("Alt+2")
    expect(console.by_testid("outcome-consulted")).to_have_attribute("aria-pressed", "true")
    console.by_testid("item-search").type("spjy")
    expect(console.by_testid("item-result").first).to_contain_text("食品经营许可")
    console.page.keyboard.press("Enter")  # picks the first match
    expect(console.by_testid("item-chosen")).to_have_count(1)
    console.screenshot(f"counter-finish-{tag}")
    console.page.keyboard.press("Enter")  # finishes
    _idle(console)
    done = _ticket(server, manager, first["id"])
    assert (done["status"], done["outcome"], done["items"]) == ("done", "consulted", ["food-business-licence"])
    expect(console.by_testid("today-served")).to_have_text("1")

    # F1, then F3: a no-show (this queue puts it back in line, behind the next three)
    console.page.keyboard.press("F1")
    _ticket_shown(console, second["number"], "called")
    console.page.keyboard.press("F3")
    _idle(console)
    assert _ticket(server, manager, second["id"])["status"] == "waiting"
    expect(console.by_testid("today-no-shows")).to_have_text("1")

    # F1, F4, then F7: suspend with a reason; the suspended list offers to resume it
    console.page.keyboard.press("F1")
    _ticket_shown(console, third["number"], "called")
    console.page.keyboard.press("F4")
    _ticket_shown(console, third["number"], "serving")
    console.page.keyboard.press("F7")
    console.by_testid("suspend-reason").fill("回去取户口本")
    console.page.keyboard.press("Enter")
    _idle(console)
    expect(console.by_testid("suspended-row")).to_have_count(1)
    assert _ticket(server, manager, third["id"])["status"] == "suspended"
    console.screenshot(f"counter-suspended-{tag}")
    console.by_testid(f"resume-{third['number']}").click()
    _ticket_shown(console, third["number"], "serving")
    expect(console.by_testid("ticket-earlier")).to_contain_text("挂起")

    # F6: transfer to another queue, with a reason
    console.page.keyboard.press("F6")
    console.by_testid("transfer-queue").select_option("real-estate")
    console.by_testid("transfer-reason").fill("需办理不动产登记")
    console.page.keyboard.press("Enter")
    _idle(console)
    moved = _ticket(server, manager, third["id"])
    assert (moved["status"], moved["queue"]) == ("waiting", "real-estate")

    # F8 pauses the window, F8 again resumes it
    console.page.keyboard.press("F8")
    console.wait_until("hq.view.window.status === 'paused' && hq.sender.phase === 'idle'")
    assert _window(server, manager, 1)["window"]["status"] == "paused"
    expect(console.by_testid("action-pause")).to_contain_text("恢复服务")
    console.screenshot(f"counter-paused-{tag}")
    console.page.keyboard.press("F8")
    console.wait_until("hq.view.window.status === 'open' && hq.sender.phase === 'idle'")

    assert not overflowing(console.page), "the console does not fit the window PC's screen"

    # a shortcut the clerk sets: the keypad's 0 calls next, and is kept across a reload
    console.by_testid("keys-open").click()
    console.by_testid("key-add-call_next").click()
    console.page.keyboard.press("Numpad0")
    expect(console.page.locator("[data-testid=key-row-call_next] [data-key=Numpad0]")).to_have_count(1)
    console.screenshot(f"counter-keys-{tag}")
    console.by_testid("keys-close").click()
    expect(console.by_testid("key-call_next")).to_contain_text("小键盘 0")
    console.page.reload()
    console.wait_until("hq.loaded && hq.view !== null && hq.link === 'online'")
    console.page.keyboard.press("Numpad0")
    _ticket_shown(console, second["number"], "called")  # back in line after its no-show
    assert _window(server, manager, 1)["window"]["ticket"] == second["number"]

    # leaving: a second no-show voids it, then the window closes
    console.page.keyboard.press("F3")
    _idle(console)
    console.by_testid("action-close").click()
    console.wait_until("hq.window === null && hq.sender.phase === 'idle'")
    expect(console.by_testid("chooser")).to_be_visible()
    assert _window(server, manager, 1)["window"]["status"] == "closed"


def test_a_network_blink_is_said_and_the_retried_call_applies_once(
    fresh_server: LiveServer,
    open_page: Callable[..., Page],
    sign_in: Callable[[LiveServer, str], requests.Session],
) -> None:
    server = fresh_server
    guide, manager = sign_in(server, "guide"), sign_in(server, "manager")
    console = open_page(server, (1366, 768))
    _open_console(console, 2)
    tickets = [issue(server, guide, queue="comprehensive") for _ in range(3)]
    console.wait_until("hq.view.next.length === 3")

    # the call reaches the server, which calls A001, but its answer is lost on the way back:
    # the console says so and sends it again, with the same key, until an answer comes
    keys: list[str] = []
    blink = {"on": True}

    def lose_the_answer(route: Any) -> None:
        keys.append(route.request.headers.get("idempotency-key", ""))
        if blink["on"]:
            route.fetch()  # the server gets it and acts
            route.abort("connectionreset")
        else:
            route.continue_()

    console.page.route("**/api/v1/halls/demo/windows/2/call-next", lose_the_answer)
    console.page.keyboard.press("F1")
    expect(console.by_testid("offline")).to_be_visible()
    expect(console.by_testid("offline-detail")).to_contain_text("叫下一位")
    console.screenshot("counter-blink-1366x768")
    blink["on"] = False
    _ticket_shown(console, tickets[0]["number"], "called")
    expect(console.by_testid("offline")).to_be_hidden()
    assert len(keys) >= 2 and len(set(keys)) == 1, keys
    calls = [e for e in all_events(server, manager) if e["type"] == "ticket_called"]
    assert [c["ticket"]["number"] for c in calls] == [tickets[0]["number"]], "the retried call applied twice"
    console.page.unroute("**/api/v1/halls/demo/windows/2/call-next")

    # the whole network goes: the link is shown offline; a no-show pressed meanwhile waits,
    # and applies once when the network is back
    console.page.context.set_offline(True)
    console.wait_until("hq.link === 'offline'")
    expect(console.by_testid("offline")).to_be_visible()
    expect(console.by_testid("link-state")).to_have_attribute("data-state", "offline")
    console.page.keyboard.press("F3")
    console.wait_until("hq.sender.phase === 'retrying'")
    console.screenshot("counter-offline-1366x768")
    console.page.context.set_offline(False)
    console.wait_until("hq.link === 'online'")
    _idle(console)
    no_shows = [e for e in all_events(server, manager) if e["type"] == "ticket_no_show"]
    assert [e["ticket"]["number"] for e in no_shows] == [tickets[0]["number"]]
    # and the page is live again: the next call goes through at once
    console.page.keyboard.press("F1")
    _ticket_shown(console, tickets[1]["number"], "called")


def test_a_refusal_is_said_in_the_servers_words(
    fresh_server: LiveServer,
    open_page: Callable[..., Page],
    sign_in: Callable[[LiveServer, str], requests.Session],
) -> None:
    server = fresh_server
    guide = sign_in(server, "guide")
    console = open_page(server, (1366, 768))
    _open_console(console, 3)
    console.page.keyboard.press("F1")  # nobody waits
    expect(console.by_testid("message-title")).to_have_text("暂无等候的号")
    expect(console.by_testid("message-detail")).to_contain_text("暂无等候")
    console.page.keyboard.press("F9")  # 指定叫号 opens, Esc closes it
    expect(console.by_testid("call-number-dialog")).to_be_visible()
    console.page.keyboard.press("Escape")
    expect(console.by_testid("call-number-dialog")).to_be_hidden()
    # calling a number out of turn without a reason: asked for one, then it goes through
    issue(server, guide, queue="comprehensive")
    later = issue(server, guide, queue="comprehensive")
    console.wait_until("hq.view.next.length === 2")
    console.page.locator(f"[data-testid=next-row][data-number={later['number']}]").click()  # 指定叫号, prefilled
    expect(console.by_testid("call-number-input")).to_have_value(later["number"])
    console.page.keyboard.press("Enter")
    expect(console.by_testid("message-title")).to_have_text("请填写原因")
    expect(console.by_testid("message-detail")).to_contain_text("不按顺序")
    console.screenshot("counter-reason-1366x768")
    console.by_testid("call-number-reason").fill("预约时间已到")
    console.page.keyboard.press("Enter")
    _ticket_shown(console, later["number"], "called")
    # the console speaks the clerk's language: Traditional Chinese and English
    console.page.locator("[data-lang=zh-TW]").click()
    expect(console.by_testid("action-no_show")).to_contain_text("過號")
    console.page.locator("[data-lang=en]").click()
    expect(console.by_testid("action-call_next")).to_contain_text("Call next")
    expect(console.by_testid("ticket-status")).to_have_text("Called, waiting for the citizen")
    console.screenshot("counter-english-1366x768")
