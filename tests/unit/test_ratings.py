"""The 好差评 rules, pure: levels, what a rating may say, when the pad may rate, when the
system's default is due, the hall file's `[hall.ratings]`, and the cross-record rules."""

from __future__ import annotations

import copy
import tomllib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from queue_server.cli import demo_hall_toml
from queue_server.domain import invariants, ratings
from queue_server.domain.errors import HallConfigError, InvalidInput
from queue_server.domain.hall import parse_hall
from queue_server.domain.lifecycle import Channel, Ticket, Window, WindowStatus
from queue_server.domain.ratings import (
    DEFAULT_REASONS,
    Invitation,
    InvitationClosing,
    NotRateable,
    RatingLevel,
    RatingSettings,
)
from queue_server.domain.tickets import TicketStatus

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
SETTINGS = RatingSettings()


@pytest.fixture
def demo() -> dict[str, Any]:
    return tomllib.loads(demo_hall_toml(always_open=False))


def test_five_levels_best_first_the_last_two_are_bad() -> None:
    assert [level.label for level in RatingLevel] == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    assert [level.negative for level in RatingLevel] == [False, False, False, True, True]
    assert ratings.DEFAULT_LEVEL.label == "基本满意"
    levels = SETTINGS.levels()
    assert [entry["level"] for entry in levels] == [level.value for level in RatingLevel]
    assert all(entry["reasons"] == list(DEFAULT_REASONS[RatingLevel(entry["level"])]) for entry in levels)


def test_every_level_offers_default_reasons_and_the_bad_ones_name_what_went_wrong() -> None:
    assert all(DEFAULT_REASONS[level] for level in RatingLevel)
    for level in (RatingLevel.DISSATISFIED, RatingLevel.VERY_DISSATISFIED):
        assert {"服务态度", "办事效率", "服务水平", "服务环境"} <= set(DEFAULT_REASONS[level])


@pytest.mark.parametrize(
    ("level", "reasons", "text", "field"),
    [
        (RatingLevel.SATISFIED, ["等候时间"], None, "reasons"),
        (RatingLevel.VERY_SATISFIED, ["服务态度"], None, "reasons"),
        (RatingLevel.SATISFIED, [], "好" * 501, "text"),
        (RatingLevel.SATISFIED, [], "好\x07", "text"),
        (RatingLevel.SATISFIED, [], "好\x7f", "text"),
    ],
    ids=["reason of another level", "bad level's reason for a good one", "501 characters", "bell", "delete"],
)
def test_what_a_rating_may_not_say_is_refused_by_field(
    level: RatingLevel, reasons: list[str], text: str | None, field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        ratings.check_rating(level, reasons, text, SETTINGS)
    assert caught.value.extra["field"] == field


def test_a_rating_keeps_reasons_once_in_order_and_text_up_to_500_characters() -> None:
    given = ratings.check_rating(RatingLevel.DISSATISFIED, ["等候时间", "服务态度", "等候时间"], "好" * 500, SETTINGS)
    assert given.reasons == ("等候时间", "服务态度") and given.text == "好" * 500
    assert ratings.check_rating(RatingLevel.BASIC, [], "  ", SETTINGS).text is None
    assert ratings.check_rating(RatingLevel.BASIC, [], "第一行\n第二行", SETTINGS).text == "第一行\n第二行"


def invitation(**changes: Any) -> Invitation:
    values: dict[str, Any] = {
        "id": 1,
        "hall_id": 1,
        "ticket_id": 7,
        "window": 3,
        "opened_at": NOW,
        "closes_at": NOW + timedelta(seconds=60),
    }
    return Invitation(**{**values, **changes})


def test_the_pad_rates_only_its_own_windows_open_invitation_in_time() -> None:
    ratings.pad_may_rate(invitation(), pad_window=3, ticket_window=3, number="A001", now=NOW + timedelta(seconds=59))
    refusals = {
        "another window's pad": dict(inv=invitation(), pad=4, at=NOW),
        "no invitation": dict(inv=None, pad=3, at=NOW),
        "timed out": dict(inv=invitation(), pad=3, at=NOW + timedelta(seconds=60)),
        "closed": dict(inv=invitation(closed_at=NOW, closed_reason=InvitationClosing.NEXT_CALL), pad=3, at=NOW),
    }
    for why, case in refusals.items():
        with pytest.raises(NotRateable):
            ratings.pad_may_rate(case["inv"], pad_window=case["pad"], ticket_window=3, number="A001", now=case["at"])  # type: ignore[arg-type]
            pytest.fail(why)


def test_staff_are_refused_with_the_national_rule_and_a_second_rating_is_a_conflict() -> None:
    refused = ratings.refuse_staff()
    assert refused.status == 403 and "国办发〔2019〕51号" in refused.detail
    with pytest.raises(ratings.AlreadyRated):
        ratings.require_unrated(True, "A001")
    with pytest.raises(NotRateable, match="尚未办结"):
        ratings.require_finished("serving", "A001")


def test_the_system_default_is_due_after_the_configured_natural_days() -> None:
    finished = NOW
    assert not ratings.default_due(finished, finished + timedelta(days=7, seconds=-1), SETTINGS)
    assert ratings.default_due(finished, finished + timedelta(days=7), SETTINGS)
    three = RatingSettings(default_after_days=3)
    assert ratings.default_due(finished, finished + timedelta(days=3), three)
    assert ratings.default_cutoff(NOW, three) == NOW - timedelta(days=3)


# ---- the hall file's [hall.ratings] --------------------------------------------------


def test_the_hall_file_may_set_the_pads_timeout_the_days_and_each_levels_reasons(demo: dict[str, Any]) -> None:
    assert parse_hall(demo).ratings == RatingSettings()
    data = copy.deepcopy(demo)
    data["hall"]["ratings"] = {
        "pad_timeout_seconds": 90,
        "default_after_days": 5,
        "reasons": {"dissatisfied": ["态度生硬", "让我多跑了一趟"], "very_satisfied": []},
    }
    spec = parse_hall(data).ratings
    assert (spec.pad_timeout_seconds, spec.default_after_days) == (90, 5)
    assert spec.reasons[RatingLevel.DISSATISFIED] == ("态度生硬", "让我多跑了一趟")
    assert spec.reasons[RatingLevel.VERY_SATISFIED] == ()
    assert spec.reasons[RatingLevel.SATISFIED] == DEFAULT_REASONS[RatingLevel.SATISFIED]


@pytest.mark.parametrize(
    ("ratings_table", "key"),
    [
        ({"pad_timeout_seconds": 5}, "hall.ratings.pad_timeout_seconds"),
        ({"pad_timeout_seconds": "60"}, "hall.ratings.pad_timeout_seconds"),
        ({"default_after_days": 0}, "hall.ratings.default_after_days"),
        ({"default_after_day": 7}, "hall.ratings.default_after_day"),
        ({"reasons": {"angry": ["x"]}}, "hall.ratings.reasons.angry"),
        ({"reasons": {"basic": "服务态度"}}, "hall.ratings.reasons.basic"),
        ({"reasons": {"basic": ["服务态度", ""]}}, "hall.ratings.reasons.basic[1]"),
        ({"reasons": {"basic": ["服务态度", "服务态度"]}}, "hall.ratings.reasons.basic[1]"),
        ({"reasons": {"basic": ["太" * 21]}}, "hall.ratings.reasons.basic[0]"),
        ({"reasons": ["服务态度"]}, "hall.ratings.reasons"),
    ],
    ids=["timeout too short", "timeout as text", "zero days", "typo", "unknown level", "reasons not a list",
         "blank reason", "reason twice", "reason too long", "reasons not a table"],
)  # fmt: skip
def test_a_mistake_in_hall_ratings_names_its_key(demo: dict[str, Any], ratings_table: Any, key: str) -> None:
    data = copy.deepcopy(demo)
    data["hall"]["ratings"] = ratings_table
    with pytest.raises(HallConfigError) as caught:
        parse_hall(data)
    assert caught.value.key == key, caught.value.detail


# ---- the cross-record rules ------------------------------------------------------------


def ticket(ticket_id: int, status: TicketStatus, window: int | None = 3) -> Ticket:
    return Ticket(
        id=ticket_id,
        hall_id=1,
        service_day="2026-11-23",
        number=f"A{ticket_id:03d}",
        queue="comprehensive",
        origin_queue="comprehensive",
        status=status,
        place=f"{ticket_id:028d}",
        channel=Channel.DESK,
        issued_at=NOW,
        ref=f"{ticket_id:032x}",
        window=window,
    )


def state(demo: dict[str, Any], tickets: list[Ticket], **more: Any) -> invariants.HallState:
    spec = parse_hall(demo)
    windows = [Window(hall_id=1, number=w.number, status=WindowStatus.CLOSED) for w in spec.windows]
    return invariants.HallState(
        hall_id=1, open_day="2026-11-23", spec=spec, tickets=tickets, windows=windows, visits=[], **more
    )


def rules_broken(hall: invariants.HallState) -> set[str]:
    return {v.rule for v in invariants.violations(hall)}


def test_ratings_and_invitations_that_keep_the_rules(demo: dict[str, Any]) -> None:
    done, other = ticket(1, TicketStatus.DONE), ticket(2, TicketStatus.DONE, window=4)
    hall = state(
        demo,
        [done, other],
        ratings=[invariants.Rating(id=1, hall_id=1, ticket_id=1)],
        invitations=[invitation(ticket_id=1, closed_at=NOW, closed_reason=InvitationClosing.RATED, rating_id=1),
                     invitation(id=2, ticket_id=2, window=4)],
    )  # fmt: skip
    assert rules_broken(hall) == set()


@pytest.mark.parametrize(
    ("case", "rule"),
    [
        ("two ratings", "one_rating_per_ticket"),
        ("rating of a waiting ticket", "a_rating_is_of_a_finished_ticket_of_its_hall"),
        ("rating of another hall's ticket", "a_rating_is_of_a_finished_ticket_of_its_hall"),
        ("open invitation of a rated ticket", "an_open_invitation_is_of_a_finished_unrated_ticket_of_its_window"),
        ("open invitation at another window", "an_open_invitation_is_of_a_finished_unrated_ticket_of_its_window"),
        ("two open invitations at a window", "an_open_invitation_is_of_a_finished_unrated_ticket_of_its_window"),
    ],
)
def test_each_broken_rule_is_named(demo: dict[str, Any], case: str, rule: str) -> None:
    done, waiting, second = (
        ticket(1, TicketStatus.DONE),
        ticket(2, TicketStatus.WAITING, None),
        ticket(3, TicketStatus.DONE),
    )
    rating = invariants.Rating(id=1, hall_id=1, ticket_id=1)
    more: dict[str, Any] = {
        "two ratings": {"ratings": [rating, invariants.Rating(id=2, hall_id=1, ticket_id=1)]},
        "rating of a waiting ticket": {"ratings": [invariants.Rating(id=1, hall_id=1, ticket_id=2)]},
        "rating of another hall's ticket": {"ratings": [invariants.Rating(id=1, hall_id=2, ticket_id=99)]},
        "open invitation of a rated ticket": {"ratings": [rating], "invitations": [invitation(ticket_id=1)]},
        "open invitation at another window": {"invitations": [invitation(ticket_id=1, window=5)]},
        "two open invitations at a window": {"invitations": [invitation(ticket_id=1), invitation(id=2, ticket_id=3)]},
    }[case]
    assert rules_broken(state(demo, [done, waiting, second], **more)) == {rule}
