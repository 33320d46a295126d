"""The ticket state machine and how numbers are written."""

from __future__ import annotations

import pytest

from queue_server.domain.errors import InvalidInput, InvalidTransition
from queue_server.domain.tickets import Action, TicketStatus, check_transition, format_number

S = TicketStatus
ALLOWED = {
    Action.CALL: {S.WAITING, S.NO_SHOW},
    Action.RECALL: {S.CALLED},
    Action.NO_SHOW: {S.CALLED},
    Action.START: {S.CALLED},
    Action.FINISH: {S.SERVING},
    Action.TRANSFER: {S.CALLED, S.SERVING},
    Action.SUSPEND: {S.SERVING},
    Action.RESUME: {S.SUSPENDED},
    Action.CANCEL: {S.WAITING, S.NO_SHOW, S.SUSPENDED},
    Action.EXPIRE: {S.WAITING, S.CALLED, S.SERVING, S.SUSPENDED},
    Action.RELEASE: {S.CALLED, S.SERVING},
}


@pytest.mark.parametrize(
    ("action", "status"),
    [(a, s) for a in Action for s in TicketStatus],
    ids=[f"{a}-from-{s}" for a in Action for s in TicketStatus],
)
def test_each_action_starts_only_from_its_states(action: Action, status: TicketStatus) -> None:
    if status in ALLOWED[action]:
        check_transition(action, status, "A001")
    else:
        with pytest.raises(InvalidTransition, match="A001"):
            check_transition(action, status, "A001")


@pytest.mark.parametrize(
    ("action", "status", "next_step"),
    [
        (Action.FINISH, S.CALLED, "开始办理"),
        (Action.NO_SHOW, S.SERVING, "办结"),
        (Action.SUSPEND, S.CALLED, "过号"),
        (Action.CANCEL, S.SERVING, "窗口办结"),
    ],
    ids=["finish-before-start", "no-show-while-serving", "suspend-before-start", "cancel-while-serving"],
)
def test_a_refusal_says_what_to_do_instead(action: Action, status: TicketStatus, next_step: str) -> None:
    with pytest.raises(InvalidTransition) as refused:
        check_transition(action, status, "A001")
    assert next_step in refused.value.detail


@pytest.mark.parametrize("final", [S.DONE, S.CANCELLED, S.EXPIRED], ids=str)
def test_finished_tickets_accept_nothing(final: TicketStatus) -> None:
    for action in Action:
        with pytest.raises(InvalidTransition):
            check_transition(action, final, "B007")


@pytest.mark.parametrize(("prefix", "n", "text"), [("A", 1, "A001"), ("B", 42, "B042"), ("Z", 999, "Z999")])
def test_numbers_are_a_letter_and_three_digits(prefix: str, n: int, text: str) -> None:
    assert format_number(prefix, n) == text


@pytest.mark.parametrize("n", [0, 1000, -1])
def test_numbers_outside_the_day_range_are_refused(n: int) -> None:
    with pytest.raises(InvalidInput):
        format_number("A", n)
