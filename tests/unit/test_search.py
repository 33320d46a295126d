"""Finding tickets, the pure part: filters read and checked against the hall, and the
cursor that pages through the answer."""

from __future__ import annotations

import tomllib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from queue_server.cli import demo_hall_toml
from queue_server.domain import search
from queue_server.domain.errors import InvalidInput
from queue_server.domain.hall import parse_hall
from queue_server.domain.search import Cursor, TicketSearch
from queue_server.domain.tickets import TicketStatus

DEMO = parse_hall(tomllib.loads(demo_hall_toml(always_open=False)))


@given(st.sampled_from([0, 1]), st.text(max_size=60), st.integers(min_value=1, max_value=2**63 - 1))
def test_a_cursor_reads_back_as_written(group: int, key: str, ticket_id: int) -> None:
    cursor = Cursor(group, key, ticket_id)
    assert Cursor.decode(cursor.encode()) == cursor


@pytest.mark.parametrize(
    "text",
    ["", "!!!", "bm90IGpzb24", "WzEsMiwzXQ", "WzAsIngiLC0xXQ", "WzAsIngiLHRydWVd", "W1tbW1tbXV1dXV1d"],
    ids=["empty", "not-base64", "not-json", "key-not-text", "id-negative", "id-a-boolean", "nested"],
)
def test_anything_else_is_refused_as_a_cursor(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        Cursor.decode(text)
    assert caught.value.extra["field"] == "cursor"


def test_states_and_queues_are_read_one_by_one_or_by_commas() -> None:
    assert search.statuses(["waiting,called", "done"]) == {TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.DONE}
    assert search.queue_codes(["household, pickup", "household"]) == ("household", "pickup")
    with pytest.raises(InvalidInput, match=r"'lost'.*waiting"):
        search.statuses(["waiting,lost"])


@pytest.mark.parametrize(
    ("query", "field", "hint"),
    [
        (TicketSearch(queues=("household", "vip")), "queue", "comprehensive、real-estate"),
        (TicketSearch(window=7), "window", "1、2、3"),
    ],
    ids=["unknown-queue", "unknown-window"],
)
def test_what_the_hall_does_not_have_is_refused_listing_what_it_has(query: TicketSearch, field: str, hint: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        search.check_against(query, DEMO)
    assert caught.value.extra["field"] == field and hint in caught.value.detail


def test_what_the_hall_has_passes() -> None:
    search.check_against(TicketSearch(queues=("household",), window=14), DEMO)
