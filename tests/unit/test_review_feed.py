"""The 好差评 feed's rules: the platform's body from a rating record through the code
tables, the tables themselves, what an answer means, and the backoff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from queue_server.domain import review_feed
from queue_server.domain.review_feed import Backoff, BadCodeTable, FeedCodes, Verdict
from tests.support.rating_records import record

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


# ---- level codes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "very_satisfied", "very_dissatisfied"),
    [("provincial", 5, 1), ("gbt39046", 1, 5)],
    ids=["provincial-5-is-best", "gbt39046-1-is-best"],
)
def test_the_presets_code_the_five_levels_in_their_own_order(
    setting: str, very_satisfied: int, very_dissatisfied: int
) -> None:
    table = review_feed.level_codes(setting)
    assert table["very_satisfied"] == very_satisfied
    assert table["very_dissatisfied"] == very_dissatisfied
    assert sorted(table.values()) == [1, 2, 3, 4, 5]
    assert table["basic"] == 3  # 基本满意 sits in the middle either way


def test_a_table_of_the_five_levels_is_taken_as_it_is() -> None:
    table = {"very_satisfied": "A", "satisfied": "B", "basic": "C", "dissatisfied": "D", "very_dissatisfied": "E"}
    assert review_feed.level_codes(table) == table


@pytest.mark.parametrize(
    ("setting", "says"),
    [
        ("national", "provincial or gbt39046"),
        ({"very_satisfied": 5, "satisfied": 4}, "basic, dissatisfied, very_dissatisfied"),
        ({"very_satisfied": 5, "satisfied": 5, "basic": 3, "dissatisfied": 2, "very_dissatisfied": 1}, "two names"),
        ({"excellent": 5}, "'excellent'"),
        ({"very_satisfied": True}, "whole number or a short text"),
        ({"very_satisfied": 4.5}, "whole number or a short text"),
        (5, "preset's name or a table"),
    ],
    ids=["unknown-preset", "missing-levels", "shared-code", "unknown-level", "bool-code", "float-code", "number"],
)
def test_a_level_table_the_feed_cannot_use_is_refused_saying_why(setting: object, says: str) -> None:
    with pytest.raises(BadCodeTable, match=says):
        review_feed.level_codes(setting)


# ---- channel codes -------------------------------------------------------------------


def test_channel_codes_are_the_defaults_with_the_settings_over_them() -> None:
    assert review_feed.channel_codes(None) == {"pad": 1, "phone": 2, "system_default": 9}
    assert review_feed.channel_codes({"phone": "07"}) == {"pad": 1, "phone": "07", "system_default": 9}


@pytest.mark.parametrize(
    ("setting", "says"),
    [({"sms": 5}, "'sms'"), ({"pad": 2}, "two names"), ("pad=1", "a table")],
    ids=["unknown-channel", "clashes-with-a-default", "not-a-table"],
)
def test_a_channel_table_the_feed_cannot_use_is_refused(setting: object, says: str) -> None:
    with pytest.raises(BadCodeTable, match=says):
        review_feed.channel_codes(setting)


def test_a_time_zone_must_be_known() -> None:
    assert review_feed.check_timezone("Asia/Urumqi") == "Asia/Urumqi"
    with pytest.raises(BadCodeTable, match="no time zone"):
        review_feed.check_timezone("Asia/Beijing")


# ---- the body ------------------------------------------------------------------------


def test_the_body_carries_the_record_with_codes_for_level_and_channel() -> None:
    made = record(3, level="dissatisfied", channel="phone", text="等太久", reasons=["办事效率"])
    body = review_feed.payload(made, FeedCodes())
    assert body["id"] == "demo-rating-3"
    assert (body["level"], body["level_name"], body["level_label"]) == (2, "dissatisfied", "不满意")
    assert (body["channel"], body["channel_name"]) == (2, "phone")
    assert (body["reasons"], body["text"]) == (["办事效率"], "等太久")
    assert (body["wait_seconds"], body["handling_seconds"]) == (made["wait_seconds"], made["handling_seconds"])
    for name in ("ticket_ref", "ticket_number", "service_day", "queue", "items", "window", "clerk_number", "hall"):
        assert body[name] == made[name], name


def test_the_gbt39046_table_sends_the_other_code_for_the_same_level() -> None:
    made = record(1, level="very_satisfied")
    assert review_feed.payload(made, FeedCodes())["level"] == 5
    assert review_feed.payload(made, FeedCodes(levels=review_feed.level_codes("gbt39046")))["level"] == 1


def test_times_go_out_in_the_platforms_zone_to_the_second_and_a_missing_one_as_null() -> None:
    made = record(1, issued_at="2026-11-23T01:59:30.250+00:00", called_at=None)
    body = review_feed.payload(made, FeedCodes())
    assert body["issued_at"] == "2026-11-23T09:59:30+08:00"
    assert body["called_at"] is None
    assert datetime.fromisoformat(body["rated_at"]) == datetime.fromisoformat(made["rated_at"])
    utc = review_feed.payload(made, FeedCodes(timezone="UTC"))
    assert utc["issued_at"] == "2026-11-23T01:59:30+00:00"


def test_a_time_without_its_offset_is_not_guessed() -> None:
    with pytest.raises(ValueError, match="offset"):
        review_feed.platform_time("2026-11-23T10:00:00", "Asia/Shanghai")


def test_a_level_or_channel_without_a_code_is_a_callers_bug() -> None:
    with pytest.raises(review_feed.UnknownName, match="level"):
        review_feed.payload(record(1, level="great"), FeedCodes())
    with pytest.raises(review_feed.UnknownName, match="channel"):
        review_feed.payload(record(1, channel="sms"), FeedCodes())


def test_the_signature_is_hmac_sha256_of_the_raw_body() -> None:
    body = '{"id":"demo-rating-1","text":"好"}'.encode()
    signed = review_feed.signature("s" * 16, body)
    assert signed.startswith("sha256=") and len(signed) == 7 + 64
    assert review_feed.signature_matches("s" * 16, body, signed)
    assert not review_feed.signature_matches("t" * 16, body, signed)
    assert not review_feed.signature_matches("s" * 16, body + b" ", signed)
    assert not review_feed.signature_matches("s" * 16, body, None)


# ---- answers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (200, Verdict.DELIVERED),
        (201, Verdict.DELIVERED),
        (204, Verdict.DELIVERED),
        (400, Verdict.DEAD),
        (401, Verdict.DEAD),
        (409, Verdict.DEAD),
        (422, Verdict.DEAD),
        (408, Verdict.RETRY),
        (429, Verdict.RETRY),
        (500, Verdict.RETRY),
        (502, Verdict.RETRY),
        (503, Verdict.RETRY),
        (301, Verdict.RETRY),
        (None, Verdict.RETRY),
    ],
    ids=lambda value: str(value),
)
def test_what_an_answer_means(status: int | None, expected: Verdict) -> None:
    assert review_feed.verdict(status) is expected


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 5 ", 5.0),
        ("Mon, 23 Nov 2026 02:01:00 GMT", 60.0),
        ("Mon, 23 Nov 2026 01:00:00 GMT", 0.0),
        ("999999999", review_feed.RETRY_AFTER_MAX),
        ("soon", None),
        ("-5", None),
        ("", None),
        (None, None),
    ],
    ids=["seconds", "spaces", "http-date", "date-past", "far-off", "words", "negative", "empty", "absent"],
)
def test_retry_after_in_seconds_or_as_a_date(header: str | None, seconds: float | None) -> None:
    assert review_feed.retry_after(header, NOW) == seconds


# ---- backoff -------------------------------------------------------------------------


def test_backoff_doubles_from_the_first_delay_up_to_the_cap() -> None:
    backoff = Backoff(first=2, cap=60)
    ceilings = [backoff.delay(failures, draw=0.999999) for failures in range(1, 9)]
    assert [round(c) for c in ceilings] == [2, 4, 8, 16, 32, 60, 60, 60]


@given(
    first=st.floats(0.1, 100),
    cap=st.floats(100, 100_000),
    failures=st.integers(1, 10_000),
    draw=st.floats(0, 1, exclude_max=True),
)
def test_a_delay_lies_between_half_and_all_of_its_ceiling(first: float, cap: float, failures: int, draw: float) -> None:
    backoff = Backoff(first=first, cap=cap)
    ceiling = min(cap, first * 2 ** (failures - 1)) if failures < 1000 else cap
    delay = backoff.delay(failures, draw)
    assert ceiling / 2 - 1e-9 <= delay <= ceiling + 1e-9


def test_jitter_spreads_rows_that_failed_together() -> None:
    backoff = Backoff(first=10, cap=600)
    assert backoff.delay(3, 0.0) == 20.0
    assert backoff.delay(3, 0.5) == 30.0


def test_the_platforms_retry_after_is_honoured_when_it_asks_for_longer() -> None:
    backoff = Backoff(first=2, cap=60)
    assert review_feed.next_attempt(NOW, 1, backoff, 0.0, platform_says=300) == NOW + timedelta(seconds=300)
    assert review_feed.next_attempt(NOW, 1, backoff, 0.0, platform_says=0.5) == NOW + timedelta(seconds=1)
    assert review_feed.next_attempt(NOW, 1, backoff, 0.0) == NOW + timedelta(seconds=1)


def test_a_long_answer_is_kept_truncated() -> None:
    assert review_feed.truncated("短") == "短"
    long = "错" * (review_feed.ANSWER_KEPT + 10)
    assert review_feed.truncated(long) == "错" * review_feed.ANSWER_KEPT + "…"
