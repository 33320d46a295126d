"""The hall and window screens in Chromium against gunicorn's eventlet worker: a call is
on the wall within a second, is announced once, and is not lost across a restart; a
refused token shows why and nothing else (docs/signage.md)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.helpers import issue, serve_and_finish, server_errors, window_do
from tests.e2e.screens import (
    BRISK_VOICE,
    ScreenPage,
    add_hall_screen,
    assert_one_at_a_time,
    configure,
    fake_speech_synthesis,
    revoke,
    run_offline,
    screen_devices,
)
from tests.support.live import HALL, LiveServer

OpenScreen = Callable[..., ScreenPage]
SignIn = Callable[[LiveServer, str], requests.Session]
WITHIN_A_SECOND = 1000  # ms, from the clerk's answered request to the text on the wall


def test_a_call_is_on_the_hall_screen_and_the_window_screen_within_a_second(
    fresh_server: LiveServer, open_screen: OpenScreen, sign_in: SignIn
) -> None:
    """clerk1 calls A001 at window 1 through the API: within a second the hall screen
    shows A001 → 1号窗口 with the call text and the window screen shows A001 with
    请到本窗口办理; the hall screen announces it once with the server's espeak-ng voice
    (headless Chromium has no voices) and says so in its corner. Both screens
    acknowledged the call, which the manager sees in the screens list. A recall is
    shown and announced again, with （重呼）."""
    server = fresh_server
    guide, clerk, manager = (sign_in(server, name) for name in ("guide", "clerk1", "manager"))
    configure(server, manager, "hall_screen", voice=BRISK_VOICE)
    hall = open_screen(server, "hall", server.tokens["hall_screen"])
    window = open_screen(server, "window", server.tokens["window_screen"])
    expect(window.by_testid("state-words")).to_have_text("暂停服务")  # window 1 not open yet
    expect(hall.by_testid("voice-path")).to_have_text("服务器合成语音 (espeak-ng)")
    assert hall.diagnostics("hq.announcer") is True

    issue(server, guide, item="construction-permit")
    window_do(server, clerk, 1, "open-window")
    expect(window.by_testid("state-words")).to_have_text("请稍候", timeout=WITHIN_A_SECOND)
    expect(window.by_testid("clerk-name")).to_have_text("测试clerk1")
    clicked_at = time.time() * 1000  # the browsers share this machine's clock
    called = window_do(server, clerk, 1, "call-next")
    assert called["ticket"] == "A001"

    expect(hall.by_testid("latest-number")).to_have_text("A001", timeout=WITHIN_A_SECOND)
    expect(window.by_testid("serving-number")).to_have_text("A001", timeout=WITHIN_A_SECOND)
    expect(hall.by_testid("latest-window")).to_have_text("1号窗口")
    expect(hall.by_testid("latest-text")).to_have_text("请A001号到1号窗口办理")
    expect(hall.by_testid("calls").get_by_test_id("call-row").first).to_have_attribute("data-number", "A001")
    expect(window.by_testid("state-label")).to_have_text("请到本窗口办理")
    expect(window.by_testid("call-text")).to_have_text("请A001号到1号窗口办理")

    call_seq = hall.diagnostics("hq.shown[0]")
    for page in (hall, window):  # from before the request to the call drawn on the page
        assert page.diagnostics(f"hq.drawnAt[{call_seq}]") - clicked_at < WITHIN_A_SECOND
    (announcement,) = hall.wait_for_announcements(1)
    assert announcement["seq"] == call_seq
    assert announcement["text"] == "请A001号到1号窗口办理"
    assert announcement["spoken"] == "请，A，零零一号，到一号窗口办理"
    assert (announcement["path"], announcement["repeat"], announcement["rate"]) == ("server", 1, 2.0)
    assert [url.split("?")[0].rsplit("/", 1)[1] for url in hall.audio_requests()] == [f"{call_seq}.wav"]
    assert window.voice_log() == [], "a window screen is quiet unless a manager turns its voice on"

    window_do(server, clerk, 1, "recall")
    expect(hall.by_testid("latest-text")).to_have_text("请A001号到1号窗口办理（重呼）", timeout=WITHIN_A_SECOND)
    recall = hall.wait_for_announcements(2)[1]
    assert recall["text"] == "请A001号到1号窗口办理（重呼）"
    assert recall["spoken"].startswith("重呼，")
    assert_one_at_a_time(hall.voice_log())

    # the manager's dashboard: both screens online, each acknowledged what it drew
    shown = hall.diagnostics("hq.shown")
    window.wait_until(f"hq.shown.length === {len(shown)}")
    devices = screen_devices(server, manager)
    for name in ("hall_screen", "window_screen"):
        assert devices[name]["online"] is True, devices[name]
        assert devices[name]["last_shown_seq"] == shown[-1], devices[name]
    assert devices["hall_screen"]["announcer"] is True


def test_the_window_screen_shows_welcome_wait_and_paused(
    fresh_server: LiveServer, open_screen: OpenScreen, sign_in: SignIn
) -> None:
    """The screen above window 1 follows the window: 欢迎您 with the number while the
    citizen is served, 请稍候 once the window is free, 暂停服务 while paused or closed;
    a call at another window leaves it alone."""
    server = fresh_server
    guide, clerk1, clerk2 = (sign_in(server, name) for name in ("guide", "clerk1", "clerk2"))
    window = open_screen(server, "window", server.tokens["window_screen"])
    expect(window.by_testid("window-number")).to_have_text("1号窗口")
    expect(window.by_testid("window-name")).to_have_text("综合受理1号窗口")
    for _ in range(2):
        issue(server, guide, item="construction-permit")
    window_do(server, clerk1, 1, "open-window")
    window_do(server, clerk1, 1, "call-next")
    expect(window.by_testid("serving-number")).to_have_text("A001", timeout=WITHIN_A_SECOND)

    window_do(server, clerk1, 1, "start-service")
    expect(window.by_testid("state-words")).to_have_text("欢迎您", timeout=WITHIN_A_SECOND)
    expect(window.by_testid("serving-number")).to_have_text("A001")
    expect(window.by_testid("state-label")).to_have_text("正在办理")

    window_do(server, clerk2, 2, "open-window")
    window_do(server, clerk2, 2, "call-next")  # A002 at window 2: not this screen's business
    window_do(server, clerk1, 1, "finish-service")
    expect(window.by_testid("state-words")).to_have_text("请稍候", timeout=WITHIN_A_SECOND)
    expect(window.by_testid("serving-number")).to_be_hidden()

    window_do(server, clerk1, 1, "pause-window")
    expect(window.by_testid("state-words")).to_have_text("暂停服务", timeout=WITHIN_A_SECOND)
    window_do(server, clerk1, 1, "resume-window")
    expect(window.by_testid("state-words")).to_have_text("请稍候", timeout=WITHIN_A_SECOND)
    window_do(server, clerk1, 1, "close-window")
    expect(window.by_testid("state-words")).to_have_text("暂停服务", timeout=WITHIN_A_SECOND)
    expect(window.by_testid("clerk")).to_be_hidden()
    assert window.diagnostics("hq.shown.length") == 1


def test_calls_missed_while_the_server_restarts_are_shown_in_order_and_announced_once(
    fresh_server: LiveServer, open_screen: OpenScreen, sign_in: SignIn
) -> None:
    """A001 is called and announced; the server stops (the offline badge shows on both
    screens); A002 and A003 are called while it is down; it starts again and A004 is
    called at once. The pages reconnect by themselves, the badge goes, the hall screen
    shows each window's latest call newest first (A004 at 1, A003 at 3, A002 at 2) and
    has announced all four exactly once, in the order called, one after another."""
    server = fresh_server
    guide, clerk1, clerk2, clerk3, manager = (
        sign_in(server, name) for name in ("guide", "clerk1", "clerk2", "clerk3", "manager")
    )
    configure(server, manager, "hall_screen", voice=BRISK_VOICE)
    for _ in range(4):
        issue(server, guide, item="construction-permit")
    for clerk, number in ((clerk1, 1), (clerk2, 2), (clerk3, 3)):
        window_do(server, clerk, number, "open-window")
    hall = open_screen(server, "hall", server.tokens["hall_screen"])
    window = open_screen(server, "window", server.tokens["window_screen"])
    # the announcement's audio is fetched at once (it plays on while the server is down)
    with hall.page.expect_response(lambda response: "/announcements/" in response.url):
        window_do(server, clerk1, 1, "call-next")
    expect(hall.by_testid("latest-number")).to_have_text("A001", timeout=WITHIN_A_SECOND)
    window_do(server, clerk1, 1, "start-service")
    window_do(server, clerk1, 1, "finish-service")
    expect(window.by_testid("state-words")).to_have_text("请稍候", timeout=WITHIN_A_SECOND)

    server.stop()
    for page in (hall, window):
        expect(page.by_testid("offline-badge")).to_be_visible()
        expect(page.by_testid("offline-badge")).to_have_text("网络已断开，正在重新连接…")
    hall.screenshot("hall-offline-zh-CN-1920x1080")
    assert run_offline(server, "clerk2", "call_next", window=2)["ticket"] == "A002"
    assert run_offline(server, "clerk3", "call_next", window=3)["ticket"] == "A003"
    server.start()
    assert window_do(server, clerk1, 1, "call-next")["ticket"] == "A004"

    for page in (hall, window):
        expect(page.by_testid("offline-badge")).to_be_hidden(timeout=10_000)
    expect(window.by_testid("serving-number")).to_have_text("A004", timeout=10_000)
    rows = hall.by_testid("calls").get_by_test_id("call-row")
    expect(rows).to_have_count(3)  # the latest call of each window: A004 took window 1 from A001
    assert [rows.nth(i).get_attribute("data-number") for i in range(3)] == ["A004", "A003", "A002"]
    expect(hall.by_testid("latest-number")).to_have_text("A004")

    log = hall.wait_for_announcements(4)
    assert [entry["text"] for entry in log] == [
        "请A001号到1号窗口办理",
        "请A002号到2号窗口办理",
        "请A003号到3号窗口办理",
        "请A004号到1号窗口办理",
    ]
    seqs = [entry["seq"] for entry in log]
    assert seqs == sorted(set(seqs)), "announced out of order or twice"
    assert hall.diagnostics("hq.shown") == seqs
    assert_one_at_a_time(log)
    assert not server_errors(server)


@pytest.fixture
def zone_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The demo hall with a second hall screen, both to hang on the first floor."""
    with LiveServer(tmp_path / "instance").running(lambda s: add_hall_screen(s, "hall_screen_2")) as server:
        yield server


def test_two_screens_in_one_zone_announce_each_call_once(
    zone_server: LiveServer, open_screen: OpenScreen, sign_in: SignIn
) -> None:
    """Two hall screens set to the first floor (1f) both show every first-floor call and
    no second-floor one, but only the one connected first speaks: each call is announced
    once across both, never two at a time. When the speaker is taken down, the other one
    takes over and announces the next call."""
    server = zone_server
    guide, clerk1, clerk2, clerk3, manager = (
        sign_in(server, name) for name in ("guide", "clerk1", "clerk2", "clerk3", "manager")
    )
    for name in ("hall_screen", "hall_screen_2"):
        configure(server, manager, name, zone="1f", voice=BRISK_VOICE)
    first = open_screen(server, "hall", server.tokens["hall_screen"])
    second = open_screen(server, "hall", server.tokens["hall_screen_2"])
    for page in (first, second):
        expect(page.by_testid("zone-name")).to_have_text("一楼综合受理区")
        # the first floor's queues only: 综合受理, 出件发证, 办不成事反映
        expect(page.by_testid("waiting").get_by_test_id("queue-row")).to_have_count(3)
    assert (first.diagnostics("hq.announcer"), second.diagnostics("hq.announcer")) == (True, False)
    expect(second.by_testid("voice-path")).to_contain_text("本区由另一块屏幕播报")

    for _ in range(3):
        issue(server, guide, item="construction-permit")
    issue(server, guide, item="property-transfer")
    for clerk, number in ((clerk1, 1), (clerk2, 2), (clerk3, 9)):
        window_do(server, clerk, number, "open-window")
        window_do(server, clerk, number, "call-next")  # A001 at 1, A002 at 2, B001 upstairs at 9
    for page in (first, second):
        rows = page.by_testid("calls").get_by_test_id("call-row")
        expect(rows).to_have_count(2, timeout=WITHIN_A_SECOND)
        assert [rows.nth(i).get_attribute("data-number") for i in range(2)] == ["A002", "A001"]

    log = first.wait_for_announcements(2)
    assert [entry["text"] for entry in log] == ["请A001号到1号窗口办理", "请A002号到2号窗口办理"]
    assert second.voice_log() == []
    assert second.audio_requests() == [], "the silent screen fetched audio"
    assert_one_at_a_time(log)

    first.close()  # taken down for repair: the second screen speaks for the floor now
    second.wait_until("hq.announcer === true")
    expect(second.by_testid("voice-path")).not_to_contain_text("另一块屏幕")
    window_do(server, clerk1, 1, "start-service")
    window_do(server, clerk1, 1, "finish-service")
    window_do(server, clerk1, 1, "call-next")
    (handed_over,) = second.wait_for_announcements(1)
    assert handed_over["text"] == "请A003号到1号窗口办理"
    assert handed_over["seq"] > max(entry["seq"] for entry in log)


def test_the_manager_sets_zone_rows_notice_and_language_while_the_screen_runs(
    server: LiveServer, open_screen: OpenScreen, sign_in: SignIn
) -> None:
    """A manager moves a running hall screen to the second floor with three rows, its own
    notice and English: it redraws at once. A new hall notice reaches screens without
    a notice of their own, and this one once its own notice is cleared."""
    manager = sign_in(server, "manager")
    add_hall_screen(server, "e2e 二楼屏")
    screen = open_screen(server, "hall", server.tokens["e2e 二楼屏"])
    expect(screen.page.locator(".call")).to_have_count(8)
    expect(screen.by_testid("notice-text")).to_contain_text("请在休息区等候")
    expect(screen.by_testid("zone-name")).to_be_hidden()

    own_notice = "二楼不动产登记窗口今日下午暂停办理，请到一楼综合受理窗口"
    configure(server, manager, "e2e 二楼屏", zone="2f", rows=3, notice=own_notice, language="en")
    expect(screen.by_testid("zone-name")).to_have_text("二楼专业受理服务区")
    expect(screen.page.locator(".call")).to_have_count(3)
    expect(screen.by_testid("notice-text")).to_have_text(own_notice)
    expect(screen.page.locator(".waiting .panel-title")).to_have_text("Waiting")
    # the second floor's queues: 不动产登记, 企业开办, 社保医保, 公安户政, 跨省通办
    expect(screen.by_testid("waiting").get_by_test_id("queue-row")).to_have_count(5)
    screen.wait_until("hq.link.scope?.zone === '2f'")  # the re-subscribe's answer: its new room

    hall_notice = "今日系统升级，16:00后暂停取号"
    try:
        response = manager.put(server.api(f"/halls/{HALL}/notice"), json={"notice": hall_notice}, timeout=10)
        assert response.status_code == 200, response.text
        expect(screen.by_testid("notice-text")).to_have_text(own_notice)  # its own notice stands
        configure(server, manager, "e2e 二楼屏", notice=None)
        expect(screen.by_testid("notice-text")).to_have_text(hall_notice)
    finally:
        manager.put(server.api(f"/halls/{HALL}/notice"), json={"notice": None}, timeout=10)
    expect(screen.by_testid("notice-text")).to_contain_text("请在休息区等候")


def test_an_unknown_token_shows_why_and_no_data(server: LiveServer, open_screen: OpenScreen) -> None:
    """A made-up token: a full-screen message saying the token is invalid or revoked,
    and nothing of the hall. A screen opened without any token says how to give one."""
    unknown = open_screen(server, "hall", "hqd_not-a-registered-device", wait=False)
    unknown.wait_until("hq.state === 'refused'")
    expect(unknown.by_testid("token-error")).to_be_visible()
    expect(unknown.by_testid("token-error-message")).to_have_text("设备令牌无效或已吊销：请联系管理员重新登记此设备")
    expect(unknown.by_testid("hall")).to_be_hidden()
    expect(unknown.by_testid("hall-name")).to_have_text("")
    assert "示范区" not in unknown.page.content()
    unknown.screenshot("hall-refused-zh-CN-1920x1080")

    bare = open_screen(server, "window", None, wait=False)
    expect(bare.by_testid("token-error-message")).to_contain_text("#token=")
    expect(bare.by_testid("window")).to_be_hidden()


def test_a_revoked_screen_shows_why_and_drops_the_hall(
    server: LiveServer, open_screen: OpenScreen, sign_in: SignIn
) -> None:
    """A working hall screen is revoked by the administrator while it hangs on the wall.
    At its next exchange with the server (acknowledging the next call) it is cut off,
    and the screen swaps the hall for the refusal; switched off and on again (the page
    reloads with the token it kept, the address bar no longer holding it) it still
    shows the refusal and no data."""
    guide, clerk = sign_in(server, "guide"), sign_in(server, "clerk1")
    device_id, token = add_hall_screen(server, "e2e 待吊销大屏")
    screen = open_screen(server, "hall", token)
    expect(screen.by_testid("hall-name")).to_have_text("示范区政务服务中心")
    assert "token=" not in screen.page.url, "the token stays out of the address bar"
    screen.page.reload()
    expect(screen.by_testid("hall-name")).to_have_text("示范区政务服务中心")

    revoke(server, device_id)
    issue(server, guide, item="construction-permit")
    window_do(server, clerk, 1, "open-window")
    window_do(server, clerk, 1, "call-next")
    refused = "设备令牌无效或已吊销：请联系管理员重新登记此设备"
    expect(screen.by_testid("token-error-message")).to_have_text(refused)
    expect(screen.by_testid("hall")).to_be_hidden()
    expect(screen.by_testid("hall-name")).to_have_text("")
    expect(screen.by_testid("calls").get_by_test_id("call-row")).to_have_count(0)

    screen.page.reload()
    expect(screen.by_testid("token-error-message")).to_have_text(refused)
    expect(screen.by_testid("hall")).to_be_hidden()
    serve_and_finish(server, clerk, 1)  # the shared server's windows are left idle
    window_do(server, clerk, 1, "close-window")


def test_a_browser_with_a_chinese_voice_speaks_the_call_itself(
    fresh_server: LiveServer, open_screen: OpenScreen, sign_in: SignIn
) -> None:
    """Where the browser has a Chinese voice the page uses it, not the server: after the
    chime it says the call's spoken form `repeat` times at the screen's rate with the
    zh-CN voice. Switched to zh-TW by the manager while it runs, it shows Traditional
    text and speaks with the zh-TW voice; no audio is ever fetched from the server."""
    server = fresh_server
    guide, clerk, manager = (sign_in(server, name) for name in ("guide", "clerk1", "manager"))
    configure(server, manager, "hall_screen", voice={"repeat": 3, "rate": 1.5})
    voices = [("English", "en-US"), ("Ting-Ting", "zh-CN"), ("Mei-Jia", "zh-TW")]
    hall = open_screen(server, "hall", server.tokens["hall_screen"], init_script=fake_speech_synthesis(voices))
    expect(hall.by_testid("voice-path")).to_have_text("浏览器语音")
    issue(server, guide, item="construction-permit")
    window_do(server, clerk, 1, "open-window")
    window_do(server, clerk, 1, "call-next")

    (announcement,) = hall.wait_for_announcements(1)
    assert (announcement["path"], announcement["repeat"], announcement["rate"]) == ("browser", 3, 1.5)
    spoken = hall.page.evaluate("window.__spoken")
    assert [(s["text"], s["rate"], s["voice"], s["lang"]) for s in spoken] == [
        ("请，A，零零一号，到一号窗口办理", 1.5, "Ting-Ting", "zh-CN")
    ] * 3
    assert all(announcement["startedAt"] <= s["at"] <= announcement["endedAt"] for s in spoken)

    configure(server, manager, "hall_screen", language="zh-TW")
    expect(hall.by_testid("voice-path")).to_have_text("瀏覽器語音")
    expect(hall.by_testid("latest-text")).to_have_text("請A001號到1號窗口辦理")
    window_do(server, clerk, 1, "recall")
    expect(hall.by_testid("latest-text")).to_have_text("請A001號到1號窗口辦理（重呼）", timeout=WITHIN_A_SECOND)
    recall = hall.wait_for_announcements(2)[1]
    assert (recall["path"], recall["language"]) == ("browser", "zh-TW")
    spoken = hall.page.evaluate("window.__spoken")[3:]
    assert [(s["text"], s["voice"]) for s in spoken] == [("重呼，請，A，零零一號，到一號窗口辦理", "Mei-Jia")] * 3
    assert hall.audio_requests() == []
    expect(hall.by_testid("tap-for-voice")).to_be_hidden()


@pytest.fixture
def mute_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveServer]:
    """The demo hall on a server without an offline speech engine."""
    monkeypatch.setenv("QUEUE_ESPEAK_NG", str(tmp_path / "no-such-espeak-ng"))
    with LiveServer(tmp_path / "instance").running() as server:
        yield server


def test_without_any_voice_the_screen_says_so_and_still_shows_calls(
    mute_server: LiveServer, open_screen: OpenScreen, sign_in: SignIn
) -> None:
    """No voice in the browser and none on the server (it answers 503): the chime
    still sounds, the call is on the wall, and the corner says 无语音."""
    server = mute_server
    guide, clerk = sign_in(server, "guide"), sign_in(server, "clerk1")
    hall = open_screen(server, "hall", server.tokens["hall_screen"])
    issue(server, guide, item="construction-permit")
    window_do(server, clerk, 1, "open-window")
    window_do(server, clerk, 1, "call-next")
    expect(hall.by_testid("latest-number")).to_have_text("A001", timeout=WITHIN_A_SECOND)
    (announcement,) = hall.wait_for_announcements(1)
    assert announcement["path"] == "none"
    expect(hall.by_testid("voice-path")).to_have_text("无语音")
    expect(hall.by_testid("voice-path")).to_have_attribute("data-path", "none")


# A browser that keeps audio suspended until the page has had a touch, as desktop Chrome
# does by default. Headless Chromium's own autoplay policy is not dependable for this
# (started without --autoplay-policy it sometimes lets audio run at once), so the policy
# is stated here: AudioContext starts suspended and resumes only after a pointer or key.
STRICT_AUTOPLAY = """
(() => {
  let activated = false;
  const activate = () => { activated = true; };
  window.addEventListener("pointerdown", activate, true);
  window.addEventListener("keydown", activate, true);
  const Native = window.AudioContext;
  const nativeResume = Native.prototype.resume;
  window.AudioContext = class extends Native {
    constructor(...args) {
      super(...args);
      if (!activated) this.suspend();
    }
    resume() {
      return activated ? nativeResume.call(this) : Promise.resolve();
    }
  };
})();
"""


def test_where_the_browser_holds_sound_back_the_screen_asks_for_a_touch(fresh_server: LiveServer, browser: Any) -> None:
    """Where the browser keeps audio suspended until a touch, the speaking screen says
    点击任意处开启语音 until someone touches it, and then has its sound. (A server of its
    own: no page of an earlier test can still be the zone's speaker while its link closes.)"""
    screen = ScreenPage.open(
        browser, fresh_server, "hall", fresh_server.tokens["hall_screen"], init_script=STRICT_AUTOPLAY
    )
    # visible, not merely filled in: the page has found the browser holding sound back
    expect(screen.by_testid("tap-for-voice")).to_be_visible()
    expect(screen.by_testid("tap-for-voice")).to_have_text("点击任意处开启语音")
    assert screen.diagnostics("hq.voice.audio.state") == "suspended"
    screen.page.mouse.click(960, 540)
    expect(screen.by_testid("tap-for-voice")).to_be_hidden()
    screen.wait_until("hq.voice.audio.state === 'running'")
    assert screen.errors == []
    screen.close()
