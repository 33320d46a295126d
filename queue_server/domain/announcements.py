"""What a call says: the text a screen shows and the words a voice speaks, per language.

One source for every screen and both voice paths (the browser's speech synthesis and the
server's espeak-ng), so what is shown and what is heard never differ.
"""

from __future__ import annotations

LANGUAGES = ("zh-CN", "zh-TW", "en")

_DIGITS = "零一二三四五六七八九"


def call_texts(number: str, window: int, *, recall: bool) -> dict[str, str]:
    """What the screen shows: `请A001号到3号窗口办理` and its zh-TW and English forms."""
    texts = {
        "zh-CN": f"请{number}号到{window}号窗口办理",
        "zh-TW": f"請{number}號到{window}號窗口辦理",
        "en": f"Number {number}, please go to window {window}",
    }
    if recall:
        suffix = {"zh-CN": "（重呼）", "zh-TW": "（重呼）", "en": " (repeat)"}
        texts = {language: text + suffix[language] for language, text in texts.items()}
    return texts


def call_speech(number: str, window: int, *, recall: bool) -> dict[str, str]:
    """What a voice says: the ticket's digits one by one (零零一), the window as a number
    (十二号), commas for the pauses a hall announcer makes."""
    letter, digits = number[0], number[1:]
    spoken_digits = "".join(_DIGITS[int(d)] for d in digits)
    speech = {
        "zh-CN": f"请，{letter}，{spoken_digits}号，到{chinese_number(window)}号窗口办理",
        "zh-TW": f"請，{letter}，{spoken_digits}號，到{chinese_number(window)}號窗口辦理",
        "en": f"Number {letter}, {' '.join(digits)}, please go to window {window}",
    }
    if recall:
        prefix = {"zh-CN": "重呼，", "zh-TW": "重呼，", "en": "Repeat. "}
        speech = {language: prefix[language] + text for language, text in speech.items()}
    return speech


def chinese_number(n: int) -> str:
    """1..999 the way it is read aloud: 3 三, 10 十, 12 十二, 20 二十, 105 一百零五."""
    if not 1 <= n <= 999:
        raise ValueError(f"window numbers run from 1 to 999, not {n}")
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    parts = []
    if hundreds:
        parts.append(_DIGITS[hundreds] + "百")
        if rest and tens == 0:
            parts.append("零")
    if tens:
        parts.append(("" if tens == 1 and not hundreds else _DIGITS[tens]) + "十")
    if ones:
        parts.append(_DIGITS[ones])
    return "".join(parts)
