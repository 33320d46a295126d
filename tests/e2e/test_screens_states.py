"""Every state of the window screen and of the hall screen, drawn at every TV size a hall
hangs (1920×1080, 1366×768, 1280×720, portrait 1080×1920) and checked in the page for
anything that does not fit its box; each one saved to build/screenshots/ for a person
to look at (`{screen}-{state}-{language}-{width}x{height}.png`).

One server and one page per screen and language, resized rather than reopened. Each
size is drawn in one language (zh-CN at full HD, English at 1280×720, zh-TW in
portrait) and 1366×768 in all three.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import requests
from playwright.sync_api import expect

from queue_server import auth
from queue_server.domain import clock
from queue_server.domain.access import DeviceKind
from tests.e2e.helpers import issue, window_do
from tests.e2e.screens import SIZES, ScreenPage, configure, instance, overflowing, revoke
from tests.support.live import HALL, LiveServer

OpenScreen = Callable[..., ScreenPage]
SignIn = Callable[[LiveServer, str], requests.Session]
LANGUAGES = ("zh-CN", "zh-TW", "en")
# the language each size is drawn in; 1366×768 in all three
LANGUAGE_AT = dict(zip(SIZES, (("zh-CN",), LANGUAGES, ("en",), ("zh-TW",)), strict=True))
WINDOW = 10  # 不动产登记10号窗口: a two-digit number and the longest window name of the demo hall
WORDS = {
    # state: the window screen's words in zh-CN, zh-TW, en (None: a number instead)
    "idle": ("请稍候", "請稍候", "Please wait"),
    "serving": ("欢迎您", "歡迎您", "Welcome"),
    "paused": ("暂停服务", "暫停服務", "Service paused"),
    "closed": ("暂停服务", "暫停服務", "Service paused"),
}


@dataclass
class Wall:
    """The screens under test: per language a hall screen and a window-10 screen."""

    halls: dict[str, ScreenPage]
    windows: dict[str, ScreenPage]
    problems: list[str]

    def shoot(self, screen: str, state: str, pages: dict[str, ScreenPage]) -> None:
        """Every size in its languages (those of `pages`; a page that knows no language
        yet, a refused one, at every size): resize, check that everything fits, screenshot."""
        for size, languages in LANGUAGE_AT.items():
            for language in [lang for lang in languages if lang in pages] or list(pages)[:1]:
                page = pages[language]
                page.page.set_viewport_size({"width": size[0], "height": size[1]})
                shot = f"{screen}-{state}-{language}-{size[0]}x{size[1]}"
                self.problems += [f"{shot}: {problem}" for problem in overflowing(page.page)]
                page.screenshot(shot)


def add_device(server: LiveServer, name: str, kind: DeviceKind, window: int | None) -> int:
    with instance(server) as ext:
        device_id, server.tokens[name] = auth.create_device(
            ext["store"], hall_code=HALL, kind=kind, name=name, window=window, now=clock.utc_now()
        )
    return device_id


def open_wall(server: LiveServer, open_screen: OpenScreen, manager: requests.Session) -> Wall:
    halls, windows = {}, {}
    for language in LANGUAGES:
        hall_name, window_name = f"states hall {language}", f"states window {language}"
        add_device(server, hall_name, DeviceKind.HALL_SCREEN, None)
        add_device(server, window_name, DeviceKind.WINDOW_SCREEN, WINDOW)
        configure(server, manager, hall_name, language=language, voice={"enabled": False})
        configure(server, manager, window_name, language=language)
        halls[language] = open_screen(server, "hall", server.tokens[hall_name])
        windows[language] = open_screen(server, "window", server.tokens[window_name])
    return Wall(halls, windows, [])


def expect_words(wall: Wall, state: str) -> None:
    for language, words in zip(LANGUAGES, WORDS[state], strict=True):
        page = wall.windows[language]
        expect(page.by_testid("state-words")).to_have_text(words)
        expect(page.by_testid("window-state")).to_have_attribute("data-state", {"idle": "waiting"}.get(state, state))


def expect_called(wall: Wall, number: str, *, recall: bool = False) -> None:
    texts = {
        "zh-CN": f"请{number}号到{WINDOW}号窗口办理",
        "zh-TW": f"請{number}號到{WINDOW}號窗口辦理",
        "en": f"Number {number}, please go to window {WINDOW}",
    }
    for language, text in texts.items():
        text += {"en": " (repeat)"}.get(language, "（重呼）") if recall else ""
        expect(wall.windows[language].by_testid("serving-number")).to_have_text(number)
        expect(wall.windows[language].by_testid("call-text")).to_have_text(text)
        expect(wall.halls[language].by_testid("latest-text")).to_have_text(text)


def test_every_state_of_both_screens_fits_at_every_size(
    fresh_server: LiveServer, open_screen: OpenScreen, sign_in: SignIn
) -> None:
    server = fresh_server
    guide, manager = sign_in(server, "guide"), sign_in(server, "manager")
    clerks = {window: sign_in(server, name) for window, name in ((WINDOW, "clerk1"), (1, "clerk2"), (14, "clerk3"))}
    for item, count in (("property-transfer", 3), ("construction-permit", 2), ("id-card", 2)):
        for _ in range(count):
            issue(server, guide, item=item)
    window_do(server, clerks[WINDOW], WINDOW, "open-window")
    wall = open_wall(server, open_screen, manager)

    # idle: window 10 open, nobody called anywhere yet
    expect_words(wall, "idle")
    for hall in wall.halls.values():
        expect(hall.by_testid("latest-call")).to_have_class(re.compile(r"\bempty\b"))
    wall.shoot("window", "idle", wall.windows)
    wall.shoot("hall", "idle", wall.halls)

    # called: A001 at window 1, E001 at 14, then B001 at 10, the newest
    for number in (1, 14):
        window_do(server, clerks[number], number, "open-window")
        window_do(server, clerks[number], number, "call-next")
    assert window_do(server, clerks[WINDOW], WINDOW, "call-next")["ticket"] == "B001"
    expect_called(wall, "B001")
    for hall in wall.halls.values():
        expect(hall.by_testid("calls").get_by_test_id("call-row")).to_have_count(3)
    wall.shoot("window", "called", wall.windows)
    wall.shoot("hall", "called", wall.halls)

    window_do(server, clerks[WINDOW], WINDOW, "recall")
    expect_called(wall, "B001", recall=True)
    wall.shoot("window", "recall", wall.windows)
    wall.shoot("hall", "recall", wall.halls)

    window_do(server, clerks[WINDOW], WINDOW, "start-service")
    expect_words(wall, "serving")
    for page in wall.windows.values():
        expect(page.by_testid("serving-number")).to_have_text("B001")
    wall.shoot("window", "serving", wall.windows)

    window_do(server, clerks[WINDOW], WINDOW, "finish-service")
    window_do(server, clerks[WINDOW], WINDOW, "pause-window")
    expect_words(wall, "paused")
    wall.shoot("window", "paused", wall.windows)

    window_do(server, clerks[WINDOW], WINDOW, "resume-window")
    window_do(server, clerks[WINDOW], WINDOW, "close-window")
    expect_words(wall, "closed")
    for page in wall.windows.values():
        expect(page.by_testid("clerk")).to_be_hidden()
    wall.shoot("window", "closed", wall.windows)

    # refused: a window screen whose token was revoked, a hall screen with a made-up one;
    # refused, a page never learns its language: the refusal is in Chinese
    revoked = add_device(server, "states revoked window", DeviceKind.WINDOW_SCREEN, WINDOW)
    revoke(server, revoked)
    refused_window = open_screen(server, "window", server.tokens["states revoked window"], wait=False)
    refused_hall = open_screen(server, "hall", "hqd_not-a-registered-device", wait=False)
    for page in (refused_window, refused_hall):
        expect(page.by_testid("token-error-message")).to_have_text("设备令牌无效或已吊销：请联系管理员重新登记此设备")
    wall.shoot("window", "refused", {"zh-CN": refused_window})
    wall.shoot("hall", "refused", {"zh-CN": refused_hall})

    # offline: the server killed while B002 is called at window 10
    window_do(server, clerks[WINDOW], WINDOW, "open-window")
    assert window_do(server, clerks[WINDOW], WINDOW, "call-next")["ticket"] == "B002"
    expect_called(wall, "B002")
    server.kill()
    offline = {
        "zh-CN": "网络已断开，正在重新连接…",
        "zh-TW": "網路已中斷，正在重新連線…",
        "en": "Connection lost, reconnecting…",
    }
    for language, words in offline.items():
        for page in (wall.windows[language], wall.halls[language]):
            expect(page.by_testid("offline-badge")).to_have_text(words)
    wall.shoot("window", "offline", wall.windows)
    wall.shoot("hall", "offline", wall.halls)

    assert not wall.problems, "\n".join(wall.problems)
