"""What calls say, screen settings, and which screen speaks for a zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from queue_server.domain.access import DeviceKind
from queue_server.domain.announcements import call_speech, call_texts, chinese_number
from queue_server.domain.errors import InvalidInput
from queue_server.domain.screens import Voice, apply_changes, default_settings, load_settings
from queue_server.realtime.presence import Presence, announce_group

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_call_texts_in_three_languages() -> None:
    assert call_texts("A001", 3, recall=False) == {
        "zh-CN": "请A001号到3号窗口办理",
        "zh-TW": "請A001號到3號窗口辦理",
        "en": "Number A001, please go to window 3",
    }
    assert call_texts("B012", 12, recall=True)["zh-CN"] == "请B012号到12号窗口办理（重呼）"
    assert call_texts("B012", 12, recall=True)["en"].endswith("(repeat)")


def test_speech_reads_the_digits_one_by_one_and_the_window_as_a_number() -> None:
    assert call_speech("A001", 12, recall=False)["zh-CN"] == "请，A，零零一号，到十二号窗口办理"
    assert call_speech("A001", 12, recall=True)["zh-TW"].startswith("重呼，請")


@pytest.mark.parametrize(
    ("n", "spoken"),
    [(1, "一"), (10, "十"), (12, "十二"), (20, "二十"), (101, "一百零一"), (110, "一百一十"), (999, "九百九十九")],
)
def test_chinese_numbers(n: int, spoken: str) -> None:
    assert chinese_number(n) == spoken


def test_hall_screens_speak_by_default_window_screens_do_not() -> None:
    assert default_settings(DeviceKind.HALL_SCREEN).voice.enabled
    assert not default_settings(DeviceKind.WINDOW_SCREEN).voice.enabled


def test_settings_change_field_by_field_and_round_trip() -> None:
    current = default_settings(DeviceKind.HALL_SCREEN)
    changed = apply_changes(current, {"zone": "2f", "rows": 6, "voice": {"repeat": 3}}, {"1f", "2f"})
    assert (changed.zone, changed.rows, changed.language, changed.voice) == ("2f", 6, "zh-CN", Voice(True, 3, 1.0))
    assert load_settings(DeviceKind.HALL_SCREEN, changed.to_dict()) == changed
    assert apply_changes(changed, {"notice": "  "}, set()).notice is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"zone": "9f"}, "zone"),
        ({"rows": 0}, "rows"),
        ({"rows": True}, "rows"),
        ({"language": "fr"}, "language"),
        ({"notice": "x" * 501}, "notice"),
        ({"voice": {"repeat": 9}}, "voice.repeat"),
        ({"voice": {"rate": 3}}, "voice.rate"),
        ({"voice": {"volume": 1}}, "voice"),
        ({"colour": "red"}, "colour"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_settings_name_their_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        apply_changes(default_settings(DeviceKind.HALL_SCREEN), changes, {"1f", "2f"})
    assert caught.value.extra["field"] == field


def test_the_earliest_screen_of_a_zone_speaks_and_the_next_takes_over() -> None:
    presence = Presence()
    zone = announce_group("demo", zone="1f")
    assert presence.join("a", 1, "demo", zone, NOW) == (True, [])
    assert presence.join("b", 2, "demo", zone, NOW) == (False, [])
    assert presence.join("c", 3, "demo", announce_group("demo", zone="2f"), NOW) == (True, [])
    assert presence.join("quiet", 4, "demo", None, NOW) == (False, [])
    assert [presence.is_announcer(s) for s in "abc"] == [True, False, True]
    assert not presence.is_announcer("quiet")
    link, changes = presence.leave("a")
    assert link is not None and link.device_id == 1
    assert changes == [("b", True)]
    assert presence.leave("b")[1] == []
    assert presence.leave("missing") == (None, [])


def test_moving_the_announcer_to_another_zone_hands_over_its_old_one() -> None:
    presence = Presence()
    one, two = announce_group("demo", zone="1f"), announce_group("demo", zone="2f")
    presence.join("a", 1, "demo", one, NOW)
    presence.join("b", 2, "demo", one, NOW)
    assert presence.join("a", 1, "demo", two, NOW) == (True, [("b", True)])
    assert presence.is_announcer("a") and presence.is_announcer("b")
    # re-subscribing in the same group keeps the role
    assert presence.join("b", 2, "demo", one, NOW) == (True, [])


def test_seen_keeps_the_highest_call_shown() -> None:
    presence = Presence()
    presence.join("a", 1, "demo", None, NOW)
    presence.seen("a", NOW, 7)
    presence.seen("a", NOW, 5)
    links = presence.links_of([1, 2])
    assert links[1][0].last_shown_seq == 7 and links[2] == []
