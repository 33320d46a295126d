"""The desk and the kiosk wired to printing, appointments and finding tickets, in real
Chromium against a live server, with the real `ticket-printer` agent in a process of its
own printing to the fake network printer (tests/support/fake_printer.py).

The desk stands at station desk-1 (`?station=desk-1`, the demo's "printer"); the kiosk is
bound to kiosk-1 (the "kiosk_printer"). What the pages say about a job is what the
agent answered: nothing is set by hand. Screenshots in build/screenshots/."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.helpers import TIMEOUT, check, issue
from tests.e2e.pages import Page
from tests.e2e.screens import PORTRAIT, overflowing
from tests.e2e.test_printing import PATIENCE, online, paper
from tests.support.fake_printer import FakePrinter
from tests.support.live import HALL, LiveServer
from tests.support.printer_agent import AgentProcess

DESK = (1920, 1080)
VALID_ID = "11010519491231002X"
HALL_ZONE = ZoneInfo("Asia/Shanghai")  # the demo hall's timezone


@pytest.fixture
def printer() -> Iterator[FakePrinter]:
    with FakePrinter() as fake:
        yield fake


@pytest.fixture
def agent(server: LiveServer, printer: FakePrinter, tmp_path: Path) -> Iterator[AgentProcess]:
    """The desk's `ticket-printer` (station desk-1), started; stopped after the test."""
    with AgentProcess(server.url, server.tokens["printer"], printer.port, tmp_path / "agent.log") as process:
        yield process.start()


def open_desk(open_page: Callable[..., Page], server: LiveServer, username: str = "guide") -> Page:
    desk = open_page(server, DESK)
    desk.sign_in(username, "/desk?station=desk-1")
    desk.wait_until("hq.loaded && hq.link === 'online'")
    expect(desk.by_testid("station")).to_have_text("desk-1")
    return desk


def jobs_of(server: LiveServer, session: requests.Session, ticket_id: int) -> list[dict[str, Any]]:
    answer = session.get(server.api(f"/halls/{HALL}/print-jobs?ticket={ticket_id}"), timeout=TIMEOUT)
    return check(answer, 200)["print_jobs"]  # type: ignore[no-any-return]


def book(server: LiveServer, manager: requests.Session, reference: str, day: str, start: str, end: str) -> None:
    body = {"reference": reference, "service_day": day, "slot_start": start, "slot_end": end, "queue": "household"}
    check(manager.post(server.api(f"/halls/{HALL}/appointments"), json=body, timeout=TIMEOUT), 201)


def on_time_slot() -> tuple[str, str]:
    """A slot whose check-in is open now (from 30 min before its start to 15 after)."""
    now = datetime.now(HALL_ZONE)
    start = now + timedelta(minutes=10) if now.hour < 23 or now.minute < 40 else now - timedelta(minutes=5)
    end = min(start + timedelta(minutes=15), now.replace(hour=23, minute=59))
    return f"{start:%H:%M}", f"{end:%H:%M}"


def service_day(server: LiveServer, session: requests.Session) -> str:
    answer = session.get(server.api(f"/halls/{HALL}/appointments"), timeout=TIMEOUT)
    return check(answer, 200)["service_day"]  # type: ignore[no-any-return]


def tomorrow(day: str) -> str:
    return f"{datetime.fromisoformat(day) + timedelta(days=1):%Y-%m-%d}"


def test_three_keystrokes_print_at_the_desk_and_alt_p_prints_again(
    server: LiveServer,
    open_page: Callable[..., Page],
    sign_in: Callable[[LiveServer, str], requests.Session],
    printer: FakePrinter,
    agent: AgentProcess,
) -> None:
    guide = sign_in(server, "guide")
    online(server, guide)
    desk = open_desk(open_page, server)
    keyboard = desk.page.keyboard
    keyboard.type("bdc")
    desk.wait_until("hq.results.length > 0")
    keyboard.press("Enter")
    keyboard.press("Enter")
    desk.wait_until("hq.state === 'issued'")
    ticket_id = desk.diagnostics("hq.ticket.id")
    expect(desk.by_testid("print-state")).to_have_attribute("data-state", "printed", timeout=PATIENCE * 1000)
    expect(desk.by_testid("print-state")).to_contain_text("已打印")
    [job] = jobs_of(server, guide, ticket_id)
    assert job["station"] == "desk-1" and job["state"] == "printed"
    assert printer.connections == [paper(job)]  # the fake printer got exactly this ticket's bytes
    assert overflowing(desk.page) == []
    desk.screenshot("desk-printed-1920x1080")

    keyboard.press("Alt+P")  # print it again
    expect(desk.by_testid("message-title")).to_contain_text("已重新打印")
    printer.wait_for_connections(2, PATIENCE)
    desk.wait_until(f"hq.printState === 'printed' && hq.ticket.id === {ticket_id}", timeout_ms=PATIENCE * 1000)
    reprinted, first = jobs_of(server, guide, ticket_id)  # newest first
    assert reprinted["reprint_of"] == first["id"] and reprinted["station"] == "desk-1"
    assert printer.connections[1] == paper(reprinted)
    desk.screenshot("desk-reprinted-1920x1080")


def test_a_printer_out_of_paper_is_said_at_the_desk_and_plainly_at_the_kiosk(
    server: LiveServer,
    open_page: Callable[..., Page],
    sign_in: Callable[[LiveServer, str], requests.Session],
    printer: FakePrinter,
    agent: AgentProcess,
    tmp_path: Path,
) -> None:
    printer.state = "paper_out"
    guide = sign_in(server, "guide")
    online(server, guide)
    desk = open_desk(open_page, server)
    desk.page.keyboard.type("cjfz")  # 出件发证
    desk.wait_until("hq.results[0] === 'queue:pickup'")
    desk.page.keyboard.press("Enter")
    desk.page.keyboard.press("Enter")
    expect(desk.by_testid("print-state")).to_have_attribute("data-state", "paper_out", timeout=PATIENCE * 1000)
    expect(desk.by_testid("print-state")).to_contain_text("缺纸")
    expect(desk.by_testid("reprint")).to_be_visible()
    desk.screenshot("desk-paper-out-1920x1080")

    with (
        FakePrinter("paper_out") as kiosk_printer,
        AgentProcess(server.url, server.tokens["kiosk_printer"], kiosk_printer.port, tmp_path / "kiosk.log") as kp,
    ):
        kp.start()
        kiosk = open_page(server, PORTRAIT, touch=True)
        kiosk.open_kiosk(server.tokens["kiosk"])
        kiosk.page.locator('[data-testid="queue-tile"][data-queue="cross-province"]').tap()
        kiosk.by_testid("queue-button").tap()  # 不确定事项，直接取号
        kiosk.wait_until("hq.screen === 'confirm'")
        kiosk.by_testid("take").tap()
        kiosk.wait_until("hq.screen === 'ticket'")
        expect(kiosk.by_testid("print-state")).to_have_attribute("data-state", "paper_out", timeout=PATIENCE * 1000)
        expect(kiosk.by_testid("print-state")).to_contain_text("打印机缺纸")
        expect(kiosk.by_testid("print-note")).to_have_text("屏幕上的号码和二维码就是您的号票：请拍照或记下号码")
        assert kiosk_printer.status_requests and kiosk_printer.connections == [kiosk_printer.connections[0]]
        assert overflowing(kiosk.page) == []
        kiosk.screenshot("kiosk-paper-out-1080x1920")
        kiosk.page.locator("[data-lang='en']").tap()
        expect(kiosk.by_testid("print-note")).to_contain_text("take a photo or write the number down")
        kiosk.screenshot("kiosk-paper-out-en-1080x1920")


def test_the_waiting_list_and_finding_a_ticket_by_number_and_by_id_number(
    server: LiveServer, open_page: Callable[..., Page], sign_in: Callable[[LiveServer, str], requests.Session]
) -> None:
    guide = sign_in(server, "guide")
    by_number = issue(server, guide, queue="cross-province")
    by_id = issue(server, guide, queue="comprehensive", id_number=VALID_ID)
    desk = open_desk(open_page, server)
    requested: list[str] = []
    desk.page.on("request", lambda request: requested.append(request.url))
    desk.page.keyboard.press("F3")
    expect(desk.by_testid("find")).to_be_focused()
    expect(desk.page.locator(f'[data-testid="waiting-row"][data-number="{by_number["number"]}"]')).to_be_visible()
    later = issue(server, guide, queue="cross-province")  # the list follows the hall's events
    expect(desk.page.locator(f'[data-testid="waiting-row"][data-number="{later["number"]}"]')).to_be_visible()

    desk.page.keyboard.type(by_number["number"].lower())
    desk.page.keyboard.press("Enter")
    desk.wait_until(f"hq.ticket && hq.ticket.id === {by_number['id']}")
    expect(desk.by_testid("issued-label")).to_have_text("查到的号码")
    expect(desk.by_testid("issued-number")).to_have_text(by_number["number"])
    expect(desk.by_testid("print-state")).to_contain_text("无打印机")  # issued without a station
    expect(desk.by_testid("reprint")).to_be_visible()
    expect(desk.by_testid("cancel")).to_be_visible()

    desk.by_testid("find").fill("")
    desk.by_testid("find").focus()
    desk.page.keyboard.type(VALID_ID)
    desk.page.keyboard.press("Enter")
    desk.wait_until(f"hq.ticket && hq.ticket.id === {by_id['id']}")
    expect(desk.by_testid("find")).to_have_value("")  # the ID number is not kept on the page
    assert not any(VALID_ID in url for url in requested)  # nor ever put in an address
    desk.by_testid("find").fill("110105194912310021")
    desk.by_testid("find").press("Enter")
    expect(desk.by_testid("find-hint")).to_have_text("身份证号码校验位不正确，请核对")
    desk.by_testid("find").fill("Z999")
    desk.by_testid("find").press("Enter")
    expect(desk.by_testid("find-hint")).to_have_text("没有找到“Z999”的号码")
    assert overflowing(desk.page) == []
    desk.screenshot("desk-find-1920x1080")


def test_appointments_check_in_at_the_desk_on_time_and_too_early(
    server: LiveServer,
    open_page: Callable[..., Page],
    sign_in: Callable[[LiveServer, str], requests.Session],
    printer: FakePrinter,
    agent: AgentProcess,
) -> None:
    manager, guide = sign_in(server, "manager"), sign_in(server, "guide")
    day = service_day(server, manager)
    start, end = on_time_slot()
    book(server, manager, "YYDESK1", day, start, end)
    book(server, manager, "YYDESK2", tomorrow(day), "10:00", "10:30")
    online(server, guide)
    desk = open_desk(open_page, server)
    desk.by_testid("tab-appointments").click()
    expect(desk.page.locator('[data-testid="appointment-row"][data-reference="YYDESK1"]')).to_contain_text("待签到")

    desk.page.keyboard.press("F2")
    expect(desk.by_testid("appointment")).to_be_focused()
    desk.page.keyboard.type("YYDESK2")  # as a scanner types it, Enter included
    desk.page.keyboard.press("Enter")
    expect(desk.by_testid("message-title")).to_have_text("签到时间未到")
    expect(desk.by_testid("message-detail")).to_contain_text("09:30 起可签到")
    desk.screenshot("desk-appointment-too-early-1920x1080")

    desk.page.keyboard.press("F2")
    desk.page.keyboard.type("YYDESK1")
    desk.page.keyboard.press("Enter")
    desk.wait_until("hq.state === 'issued' && hq.ticket !== null")
    expect(desk.by_testid("issued-label")).to_have_text("预约签到")
    expect(desk.by_testid("appointment")).to_have_value("")
    expect(desk.by_testid("print-state")).to_have_attribute("data-state", "printed", timeout=PATIENCE * 1000)
    ticket = desk.diagnostics("hq.ticket")
    assert ticket["appointment"] == "YYDESK1" and ticket["queue"] == "household"
    expect(desk.page.locator('[data-testid="appointment-row"][data-reference="YYDESK1"]')).to_contain_text(
        ticket["number"]
    )
    desk.page.wait_for_function(
        "() => { const img = document.querySelector('[data-testid=preview]');"
        " return img.complete && img.naturalWidth === 576; }",
        timeout=TIMEOUT * 1000,
    )
    desk.screenshot("desk-appointment-checked-in-1920x1080")

    desk.page.keyboard.press("F2")  # the same reference again: said, with the number it has
    desk.page.keyboard.type("YYDESK1")
    desk.page.keyboard.press("Enter")
    expect(desk.by_testid("message-title")).to_have_text(f"此预约已签到，号码是 {ticket['number']}")
    desk.page.keyboard.press("F2")
    desk.page.keyboard.type("NO-SUCH-1")
    desk.page.keyboard.press("Enter")
    expect(desk.by_testid("message-title")).to_have_text("找不到此预约编号")
    assert printer.connections == [paper(jobs_of(server, guide, ticket["id"])[0])]  # printed once


def test_appointments_check_in_at_the_kiosk_by_its_own_keyboard(
    server: LiveServer, open_page: Callable[..., Page], sign_in: Callable[[LiveServer, str], requests.Session]
) -> None:
    manager = sign_in(server, "manager")
    day = service_day(server, manager)
    start, end = on_time_slot()
    book(server, manager, "YYK1", day, start, end)
    book(server, manager, "YYK2", tomorrow(day), "10:00", "10:30")
    kiosk = open_page(server, PORTRAIT, touch=True)
    kiosk.open_kiosk(server.tokens["kiosk"])
    assert overflowing(kiosk.page) == []
    kiosk.screenshot("kiosk-start-appointment-1080x1920")
    kiosk.by_testid("appointment-start").tap()
    kiosk.wait_until("hq.screen === 'appointment'")
    for key in "YYK2":
        kiosk.by_testid(f"ref-key-{key}").tap()
    kiosk.by_testid("appointment-submit").tap()
    expect(kiosk.by_testid("appointment-message-title")).to_have_text("还没到签到时间")
    expect(kiosk.by_testid("appointment-message-detail")).to_have_text("09:30 起可签到，请稍后再来")
    assert overflowing(kiosk.page) == []
    kiosk.screenshot("kiosk-appointment-too-early-1080x1920")
    for _ in "YYK2":
        kiosk.by_testid("ref-key-erase").tap()
    for key in "YYK1":
        kiosk.by_testid(f"ref-key-{key}").tap()
    kiosk.by_testid("appointment-submit").tap()
    kiosk.wait_until("hq.screen === 'ticket'")
    shown = kiosk.diagnostics("hq.ticket")
    assert shown["queue"] == "household" and "id" not in shown
    expect(kiosk.by_testid("ticket-number")).to_have_text(shown["number"])
    expect(kiosk.by_testid("print-state")).to_have_attribute("data-state", "pending")  # no kiosk agent runs
    kiosk.screenshot("kiosk-appointment-ticket-1080x1920")
