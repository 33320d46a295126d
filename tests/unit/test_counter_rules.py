"""The clerk's side of a window, as pure rules (domain/counter.py): who may open which
window, when opening is covering (顶岗), and when a call by number needs a reason."""

from __future__ import annotations

import tomllib

import pytest

from queue_server.cli import demo_hall_toml
from queue_server.domain import counter
from queue_server.domain.errors import ReasonRequired, WindowNotAllowed
from queue_server.domain.hall import HallSpec, parse_hall
from queue_server.domain.tickets import TicketStatus


@pytest.fixture(scope="module")
def hall() -> HallSpec:
    """Window 1 is wang's and li's; window 2 is zhao's, wang may cover it; 3 names nobody."""
    text = (
        demo_hall_toml(always_open=True)
        .replace('name = "综合受理1号窗口"\n', 'name = "综合受理1号窗口"\nclerks = ["wang", "li"]\n', 1)
        .replace('name = "综合受理2号窗口"\n', 'name = "综合受理2号窗口"\nclerks = ["zhao"]\ncover = ["wang"]\n', 1)
    )
    return parse_hall(tomllib.loads(text))


@pytest.mark.parametrize(
    ("username", "number", "covering", "own"),
    [
        ("wang", 1, False, ()),  # their own
        ("li", 1, False, ()),
        ("wang", 2, True, (1,)),  # named in cover: covering, with their own window said
        ("wang", 3, True, (1,)),  # names nobody: open to all, and not wang's own
        ("zhao", 3, True, (2,)),
        ("sun", 3, False, ()),  # has no own window anywhere: not covering
    ],
    ids=["own", "own-second", "cover-named", "open-window-not-own", "open-window-other", "no-own-window"],
)
def test_standing(hall: HallSpec, username: str, number: int, covering: bool, own: tuple[int, ...]) -> None:
    standing = counter.standing(hall, number, username)
    assert (standing.covering, standing.own) == (covering, own)


@pytest.mark.parametrize(("username", "number"), [("zhao", 1), ("sun", 1), ("li", 2), (None, 2)])
def test_a_window_naming_its_clerks_refuses_others(hall: HallSpec, username: str | None, number: int) -> None:
    assert not counter.may_open(hall, number, username)
    with pytest.raises(WindowNotAllowed) as refused:
        counter.standing(hall, number, username)
    assert refused.value.status == 403 and refused.value.extra["window"] == number


def test_own_windows(hall: HallSpec) -> None:
    assert counter.own_windows(hall, "wang") == (1,)
    assert counter.own_windows(hall, "nobody") == ()
    assert counter.own_windows(hall, None) == ()


@pytest.mark.parametrize(
    ("status", "no_shows", "is_next", "needs"),
    [
        (TicketStatus.WAITING, 0, False, True),  # passes over the line
        (TicketStatus.WAITING, 0, True, False),  # the next anyway
        (TicketStatus.WAITING, 1, False, False),  # a no-show back in line: called in turn once
        (TicketStatus.NO_SHOW, 1, False, False),  # a recallable no-show who came back
    ],
    ids=["out-of-order", "next-anyway", "requeued-no-show", "recallable-no-show"],
)
def test_when_a_call_by_number_needs_a_reason(status: TicketStatus, no_shows: int, is_next: bool, needs: bool) -> None:
    assert counter.out_of_order(status, no_shows, is_next) is needs
    counter.require_order_reason("A003", status, no_shows, is_next, "预约到时")  # a reason always does
    if needs:
        for missing in (None, "", "   "):
            with pytest.raises(ReasonRequired) as refused:
                counter.require_order_reason("A003", status, no_shows, is_next, missing)
            assert refused.value.extra["field"] == "reason" and "A003" in refused.value.detail
    else:
        counter.require_order_reason("A003", status, no_shows, is_next, None)
