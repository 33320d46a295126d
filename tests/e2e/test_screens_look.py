"""What the screens look like: a busy morning drawn in zh-CN, zh-TW and English on a
1920×1080 TV, the same hall screen turned to portrait (1080×1920) and on a 4K set.
The screenshots go to build/screenshots/ for a person to look at; the test checks that
every label is in the screen's language and drawn with the CJK font, not a fallback."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests
from playwright.sync_api import expect

from queue_server import auth
from queue_server.domain import clock
from queue_server.domain.access import DeviceKind
from tests.e2e.helpers import issue, serve_and_finish, window_do
from tests.e2e.screens import LANDSCAPE, PORTRAIT, ScreenPage, configure, instance
from tests.support.live import HALL, LiveServer

OpenScreen = Callable[..., ScreenPage]
SignIn = Callable[[LiveServer, str], requests.Session]
LANGUAGES = {
    # language: (a label of the hall screen, the window screen's window, the call text)
    "zh-CN": ("正在叫号", "1号窗口", "请A004号到1号窗口办理"),
    "zh-TW": ("正在叫號", "1號窗口", "請A004號到1號窗口辦理"),
    "en": ("Now calling", "Window 1", "Number A004, please go to window 1"),
}
CJK_FONT = "WenQuanYi"


def platform_fonts(page: Any, selector: str) -> set[str]:
    """The fonts Chromium actually drew the text under `selector` with (DevTools'
    "Rendered Fonts"): a missing glyph would show up as a fallback family here."""
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        assert node, f"no {selector}"
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    finally:
        cdp.detach()
    return {font["familyName"] for font in fonts}


def busy_morning(server: LiveServer, sign_in: SignIn) -> requests.Session:
    """Tickets in most queues and calls at eight windows: clerk1 has served at windows
    5, 2, 3 and 4 and now sits at window 1 with nobody called yet; clerk2 serves D001 at
    window 12; clerk3 has served at window 14 and paused window 11. Only D001 is still at
    its window, so the hall screen lists that call alone, until window 1 calls.
    Returns clerk1's session."""
    guide, clerk1, clerk2, clerk3 = (sign_in(server, name) for name in ("guide", "clerk1", "clerk2", "clerk3"))
    items = {
        "construction-permit": 9,
        "property-transfer": 5,
        "company-registration": 3,
        "social-security-card": 7,
        "id-card": 2,
        "certificate-pickup": 4,
        "cannot-get-it-done": 1,
    }
    for item, count in items.items():
        for _ in range(count):
            issue(server, guide, item=item)
    for clerk, windows in ((clerk1, (5, 2, 3, 4)), (clerk2, (9, 12)), (clerk3, (14, 11))):
        for number in windows:
            window_do(server, clerk, number, "open-window")
            window_do(server, clerk, number, "call-next")
            if number == 12:
                continue
            serve_and_finish(server, clerk, number)
            if number != 11:
                window_do(server, clerk, number, "close-window")
    window_do(server, clerk2, 12, "start-service")
    window_do(server, clerk3, 11, "pause-window")
    window_do(server, clerk1, 1, "open-window")
    return clerk1


def test_screenshots_in_three_languages_with_the_cjk_font(
    fresh_server: LiveServer, open_screen: OpenScreen, sign_in: SignIn
) -> None:
    server = fresh_server
    manager = sign_in(server, "manager")
    with instance(server) as ext:  # a hall screen and a window-1 screen per language
        for language in ("zh-TW", "en"):
            for kind, window in ((DeviceKind.HALL_SCREEN, None), (DeviceKind.WINDOW_SCREEN, 1)):
                name = f"{kind.value}_{language}"
                _, server.tokens[name] = auth.create_device(
                    ext["store"], hall_code=HALL, kind=kind, name=name, window=window, now=clock.utc_now()
                )
    hall_tokens = {"zh-CN": "hall_screen", "zh-TW": "hall_screen_zh-TW", "en": "hall_screen_en"}
    window_tokens = {"zh-CN": "window_screen", "zh-TW": "window_screen_zh-TW", "en": "window_screen_en"}
    for language in LANGUAGES:
        configure(server, manager, hall_tokens[language], language=language, voice={"enabled": False})
        configure(server, manager, window_tokens[language], language=language)
    check = requests.put(
        server.api(f"/halls/{HALL}/notice"),
        json={"notice": "请在休息区等候，留意大屏和语音叫号；过号请到导办台重新排队。今日周六延时服务至12:00。"},
        headers=manager.headers,
        cookies=manager.cookies,
        timeout=10,
    )
    assert check.status_code == 200, check.text
    clerk1 = busy_morning(server, sign_in)

    halls = {lang: open_screen(server, "hall", server.tokens[hall_tokens[lang]]) for lang in LANGUAGES}
    windows = {lang: open_screen(server, "window", server.tokens[window_tokens[lang]]) for lang in LANGUAGES}
    window_do(server, clerk1, 1, "call-next")  # the newest call, highlighted as the shots are taken

    shots = []
    for language, (label, window_label, text) in LANGUAGES.items():
        hall, window = halls[language], windows[language]
        expect(hall.by_testid("latest-text")).to_have_text(text)
        expect(hall.by_testid("latest-call").locator(".latest-label")).to_have_text(label)
        expect(window.by_testid("window-number")).to_have_text(window_label)
        expect(window.by_testid("call-text")).to_have_text(text)
        assert hall.page.evaluate("document.documentElement.lang") == language
        for page, selector in (
            (hall.page, ".hall-name"),
            (hall.page, ".latest-label"),
            (hall.page, ".latest-text"),
            (hall.page, ".panel-title"),
            (hall.page, ".queue-name"),
            (hall.page, ".ticker"),
            (window.page, ".window-number"),
            (window.page, ".state-label"),
            (window.page, ".clerk"),
        ):
            fonts = platform_fonts(page, selector)
            assert fonts and all(font.startswith(CJK_FONT) for font in fonts), (language, selector, fonts)

        shots.append(hall.screenshot(f"hall-{language}-1920x1080"))
        shots.append(window.screenshot(f"window-{language}-1920x1080"))
        hall.page.set_viewport_size({"width": PORTRAIT[0], "height": PORTRAIT[1]})
        expect(hall.by_testid("calls").get_by_test_id("call-row").first).to_be_visible()
        shots.append(hall.screenshot(f"hall-{language}-1080x1920"))
        hall.page.set_viewport_size({"width": LANDSCAPE[0], "height": LANDSCAPE[1]})

    big = halls["zh-CN"].page
    big.set_viewport_size({"width": 3840, "height": 2160})
    shots.append(halls["zh-CN"].screenshot("hall-zh-CN-3840x2160"))
    assert all(path.stat().st_size > 20_000 for path in shots), shots
