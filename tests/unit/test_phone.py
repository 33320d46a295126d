"""The citizen's phone, its pure rules: the reference's form, the page's address, the
throttle's token buckets, and what a phone sees of the hall (domain.phone, domain.privacy)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from queue_server.domain import phone
from queue_server.domain.access import OPERATOR, Citizen, Permission, Principal, require
from queue_server.domain.access import Forbidden as AccessForbidden
from queue_server.domain.phone import BadBaseUrl, Bucket, RatePolicy, is_ticket_ref, phone_url
from queue_server.domain.privacy import PROGRESS_VIEW, PUBLIC_TICKET_VIEW, Audience, audience_of, citizen_event
from queue_server.services.tickets import new_ticket_ref

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
REF = "AbCdEfGhIjKlMnOpQrSt_-"


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        (REF, True),
        ("0123456789abcdef0123456789abcdef", True),  # a reference of migration 5 (hex)
        (REF[:-1], False),
        (REF + "x", False),
        ("0123456789ABCDEF0123456789ABCDEF", False),  # hex references are lower-case
        ("AbCdEfGhIjKlMnOpQrSt/.", False),
        ("AbCdEfGhIjKlMnOpQrSt\n-", False),
        ("ＡbCdEfGhIjKlMnOpQrSt_-", False),  # a full-width letter
        ("", False),
        (None, False),
        (12345, False),
    ],
    ids=["new", "hex", "short", "long", "upper-hex", "punctuation", "newline", "full-width", "empty", "none", "number"],
)
def test_a_reference_is_checked_by_its_form_before_anything_is_looked_up(text: object, valid: bool) -> None:
    assert is_ticket_ref(text) is valid


def test_every_new_reference_has_the_form() -> None:
    assert all(is_ticket_ref(new_ticket_ref()) for _ in range(200))


@pytest.mark.parametrize(
    ("base", "url"),
    [
        ("http://10.1.2.3:8000", f"http://10.1.2.3:8000/t/{REF}"),
        ("https://zwfw.example.gov.cn/", f"https://zwfw.example.gov.cn/t/{REF}"),
        ("https://gateway.example.cn/hall/queue/", f"https://gateway.example.cn/hall/queue/t/{REF}"),
        ("  https://gateway.example.cn/queue  ", f"https://gateway.example.cn/queue/t/{REF}"),
    ],
    ids=["address-and-port", "trailing-slash", "a-gateways-path", "spaces"],
)
def test_the_phone_url_is_the_base_url_then_the_page_and_the_reference(base: str, url: str) -> None:
    assert phone_url(base, REF) == url


@pytest.mark.parametrize(
    "base",
    [
        "zwfw.example.gov.cn",
        "ftp://example.cn",
        "https://",
        "https://a.cn/?x=1",
        "https://a.cn/#top",
        "https://u@a.cn",
        "https://大厅.cn",
        "https://a.cn/" + "x" * 200,
        None,
    ],
    ids=["no-scheme", "ftp", "no-host", "query", "fragment", "user", "not-ascii", "too-long-for-a-qr-code", "none"],
)
def test_a_base_url_a_phone_cannot_use_is_refused(base: object) -> None:
    with pytest.raises(BadBaseUrl):
        phone_url(base, REF)


def test_only_a_reference_goes_into_the_phone_url() -> None:
    with pytest.raises(ValueError, match="reference"):
        phone_url("https://a.cn", "../admin")


# ---- the token buckets ---------------------------------------------------------------------

POLICY = RatePolicy(per_minute=6, burst=3)  # a token every 10 s, three at once


def drained(times: int, at: datetime = T0) -> Bucket | None:
    bucket: Bucket | None = None
    for _ in range(times):
        bucket = phone.taken(POLICY, bucket, at)
    return bucket


@pytest.mark.parametrize(
    ("taken", "wait"),
    [(0, 0), (2, 0), (3, 10), (4, 20), (6, 40), (50, 40)],
    ids=["fresh", "one-left", "empty", "in-debt", "deepest-debt", "debt-is-capped"],
)
def test_a_bucket_lets_a_burst_through_then_one_a_refill(taken: int, wait: float) -> None:
    assert phone.wait_seconds(POLICY, drained(taken), T0) == pytest.approx(wait)


def test_a_bucket_refills_with_time_up_to_its_burst() -> None:
    empty = drained(3)
    assert phone.wait_seconds(POLICY, empty, T0 + timedelta(seconds=10)) == 0
    assert phone.refilled(POLICY, empty, T0 + timedelta(hours=1)).tokens == 3
    assert phone.is_full(POLICY, empty, T0 + timedelta(seconds=30))
    assert not phone.is_full(POLICY, empty, T0 + timedelta(seconds=29))


def test_a_clock_set_back_refills_nothing() -> None:
    empty = drained(3)
    assert phone.wait_seconds(POLICY, empty, T0 - timedelta(hours=1)) == pytest.approx(10)


@given(st.lists(st.integers(min_value=0, max_value=120), max_size=60))
def test_no_more_pass_than_the_burst_and_the_refill_allow(gaps: list[int]) -> None:
    """Whatever the timing, the look-ups let through within any stretch of time are at
    most the burst plus what refilled meanwhile."""
    bucket: Bucket | None = None
    at, passed = T0, []
    for gap in gaps:
        at += timedelta(seconds=gap)
        if phone.wait_seconds(POLICY, bucket, at) == 0:
            bucket = phone.taken(POLICY, bucket, at)
            passed.append(at)
    for i, start in enumerate(passed):
        for j in range(i, len(passed)):
            elapsed = (passed[j] - start).total_seconds()
            assert j - i + 1 <= POLICY.burst + elapsed * POLICY.per_minute / 60 + 1e-9


# ---- who a phone is, and what it sees --------------------------------------------------------

CITIZEN = Principal(actor=Citizen.TICKET, name="市民", hall_id=1, ticket_ref=REF)


def test_a_citizen_is_public_and_may_only_follow_and_rate_its_ticket_in_its_own_hall() -> None:
    assert audience_of(CITIZEN) is Audience.PUBLIC
    assert not CITIZEN.is_staff and not CITIZEN.is_device
    for own in (Permission.FOLLOW_TICKET, Permission.RATE_SERVICE):
        assert require(CITIZEN, own, 1) is CITIZEN
        with pytest.raises(AccessForbidden):
            require(CITIZEN, own, 2)
    for permission in Permission:
        if permission not in (Permission.FOLLOW_TICKET, Permission.RATE_SERVICE):
            with pytest.raises(AccessForbidden):
                require(CITIZEN, permission, 1)
    assert require(OPERATOR, Permission.FOLLOW_TICKET, 1) is OPERATOR


def test_the_progress_view_holds_nothing_a_public_device_may_not_see() -> None:
    """Its own words (past_day, recalled …, and the rating's level and channel once served)
    aside, the progress is the public ticket's part: never the counting id, the appointment,
    the outcome or the handling time."""
    own_words = {"past_day", "clerk", "recalled", "transferred", "requeued", "rating", "seq"}
    assert PROGRESS_VIEW - own_words <= PUBLIC_TICKET_VIEW
    assert not PROGRESS_VIEW & {"id", "ref", "appointment", "outcome", "handling_seconds", "log", "visits", "channel"}


def test_a_citizen_event_names_no_ticket_by_its_reference() -> None:
    staff = {
        "hall": "demo",
        "seq": 5,
        "type": "ticket_called",
        "at": "2026-11-23T02:00:00.000Z",
        "service_day": "2026-11-23",
        "ticket": {"id": 7, "ref": REF, "number": "A001", "queue": "q", "queue_name": "Q", "status": "called"},
        "window": {"number": 3, "name": "3号窗口", "zone": "1f", "clerk": "王芳", "ticket_id": 7, "ticket_ref": REF},
        "text": "请A001号到3号窗口办理",
        "texts": {"zh-CN": "请A001号到3号窗口办理"},
        "speech": {"zh-CN": "请，A，零零一号"},
        "waiting": {"q": 2},
        "reason": "去复印户口本",
        "outcome": "accepted",
    }
    shown = citizen_event(staff)
    assert REF not in repr(shown) and "王芳" not in repr(shown) and "复印" not in repr(shown)
    assert shown == {
        "hall": "demo",
        "seq": 5,
        "type": "ticket_called",
        "at": "2026-11-23T02:00:00.000Z",
        "service_day": "2026-11-23",
        "ticket": {"number": "A001", "queue": "q", "queue_name": "Q", "status": "called"},
        "window": {"number": 3, "name": "3号窗口", "zone": "1f"},
        "waiting": {"q": 2},
        "reason": None,
    }
