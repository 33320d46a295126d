"""Finding tickets over HTTP: the filters, the order, paging, and a citizen found by
the keyed hash of an ID number that is never put in an address, stored or logged."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import Api, Clock

VALID_ID = "11010519491231002X"


def issue(api: Api, clock: Clock, queue: str = "household", **more: Any) -> dict[str, Any]:
    clock.now += timedelta(seconds=1)  # each its own issue instant, as at a real desk
    return api.post("/halls/demo/tickets", {"queue": queue, **more}, status=201)  # type: ignore[no-any-return]


def numbers(answer: dict[str, Any]) -> list[str]:
    return [t["number"] for t in answer["tickets"]]


def test_waiting_tickets_come_first_in_line_order_with_their_wait(login, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    guide, clerk = login("guide"), login("clerk1")
    for _ in range(4):
        issue(guide, clock)
    issue(guide, clock, "comprehensive")
    clerk.post("/halls/demo/windows/14/open-window")
    clerk.post("/halls/demo/windows/14/call-next")  # E001 called
    clerk.post("/halls/demo/windows/14/mark-no-show")  # household: a no-show is void
    clerk.post("/halls/demo/windows/14/call-next")  # E002 called
    found = guide.get("/halls/demo/tickets")
    assert found["service_day"] == "2026-11-23" and found["next_cursor"] is None
    assert numbers(found) == ["E003", "E004", "A001", "E001", "E002"]  # waiting by place, then by issue time
    waiting = {t["number"]: t for t in found["tickets"] if t["status"] == "waiting"}
    assert (waiting["E003"]["people_ahead"], waiting["E004"]["people_ahead"]) == (0, 1)
    # window 14 serves E002 (just called) then E003, then E004; the void no-show took no
    # time, so the queue's handling is 10 minutes shrunk toward it: (5 × 10 + 0) / 6
    assert waiting["E004"]["estimated_wait_minutes"] == round(2 * (5 * 10 + 0) / 6)
    others = [t for t in found["tickets"] if t["status"] != "waiting"]
    assert all("people_ahead" not in t for t in others)


def test_filters_by_status_queue_number_and_window(login, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    guide, clerk = login("guide"), login("clerk1")
    for queue in ("household", "household", "comprehensive", "pickup"):
        issue(guide, clock, queue)
    clerk.post("/halls/demo/windows/14/open-window")
    clerk.post("/halls/demo/windows/14/call-next")  # E001 at window 14
    assert numbers(guide.get("/halls/demo/tickets?status=called")) == ["E001"]
    assert numbers(guide.get("/halls/demo/tickets?status=called&status=waiting")) == ["E002", "A001", "G001", "E001"]
    assert numbers(guide.get("/halls/demo/tickets?status=called,waiting&queue=household")) == ["E002", "E001"]
    assert numbers(guide.get("/halls/demo/tickets?queue=pickup,comprehensive")) == ["A001", "G001"]
    assert numbers(guide.get("/halls/demo/tickets?number=e002")) == ["E002"]
    assert numbers(guide.get("/halls/demo/tickets?window=14")) == ["E001"]
    assert numbers(guide.get("/halls/demo/tickets?queue=household&status=done")) == []


def test_another_day_s_tickets(login, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    issue(login("guide"), clock)
    clock.now += timedelta(days=1)
    guide = login("guide")
    issue(guide, clock, "pickup")
    assert numbers(guide.get("/halls/demo/tickets")) == ["G001"]
    monday = guide.get("/halls/demo/tickets?day=2026-11-23")
    assert monday["service_day"] == "2026-11-23" and [t["status"] for t in monday["tickets"]] == ["expired"]


def test_pages_follow_one_another_without_gaps_or_repeats(login, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    guide, clerk = login("guide"), login("clerk1")
    for _ in range(5):
        issue(guide, clock)
    for _ in range(2):
        issue(guide, clock, "pickup")
    clerk.post("/halls/demo/windows/14/open-window")
    clerk.post("/halls/demo/windows/14/call-next")
    whole = numbers(guide.get("/halls/demo/tickets"))
    seen, cursor, pages = [], None, 0
    while True:
        answer = guide.get("/halls/demo/tickets?limit=3" + (f"&cursor={cursor}" if cursor else ""))
        seen += numbers(answer)
        pages += 1
        cursor = answer["next_cursor"]
        if cursor is None:
            break
    assert (seen, pages, len(whole)) == (whole, 3, 7)


def test_a_citizen_is_found_by_id_number_in_the_body_only(
    login,
    clock: Clock,
    store,
    caplog: pytest.LogCaptureFixture,  # type: ignore[no-untyped-def]
) -> None:
    caplog.set_level(logging.DEBUG)
    guide = login("guide")
    issue(guide, clock)
    mine = issue(guide, clock, id_number=VALID_ID)
    elsewhere = issue(guide, clock, "pickup", id_number=VALID_ID)
    issue(guide, clock, "pickup", id_number="E12345678")
    found = guide.post("/halls/demo/tickets/search", {"id_number": VALID_ID.lower()})
    assert numbers(found) == [mine["number"], elsewhere["number"]]
    narrowed = guide.post("/halls/demo/tickets/search", {"id_number": VALID_ID, "queue": ["pickup"], "limit": 5})
    assert numbers(narrowed) == [elsewhere["number"]]
    refused = guide.get(f"/halls/demo/tickets?id_number={VALID_ID}", status=422)
    assert refused["field"] == "id_number" and "tickets/search" in refused["detail"]
    bad = guide.post("/halls/demo/tickets/search", {"id_number": "110105194912310021"}, status=422)
    assert bad["field"] == "id_number" and "110105194912310021" not in bad["detail"]
    with store.read() as db:
        stored = "".join(
            str(v)
            for table in ("tickets", "events")
            for row in db.query(f"SELECT * FROM {table}")
            for v in row.values()
        )
    assert VALID_ID not in stored and VALID_ID not in caplog.text


def test_a_clerk_sees_the_line_but_does_not_look_citizens_up(login, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    issue(login("guide"), clock, id_number=VALID_ID)
    clerk = login("clerk1")
    assert numbers(clerk.get("/halls/demo/tickets?status=waiting")) == ["E001"]
    assert numbers(clerk.post("/halls/demo/tickets/search", {"status": "waiting"})) == ["E001"]
    problem = clerk.post("/halls/demo/tickets/search", {"id_number": VALID_ID}, status=403)
    assert problem["permission"] == "find_by_id"


@pytest.mark.parametrize(
    ("query", "field", "hint"),
    [
        ("status=lost", "status", "waiting"),
        ("status=waiting,lost", "status", "lost"),
        ("queue=vip", "queue", "comprehensive、real-estate"),
        ("number=1234", "number", "A001"),
        ("window=77", "window", "18"),
        ("window=0", "window", "1 到 999"),
        ("day=23-11-2026", "day", "2026-11-23"),
        ("day=2026-02-30", "day", "不存在"),
        ("limit=0", "limit", "200"),
        ("limit=500", "limit", "200"),
        ("cursor=not-a-cursor", "cursor", "next_cursor"),
        ("cursor=WzIsIngiLDFd", "cursor", "next_cursor"),  # [2,"x",1]: a group that does not exist
        ("number=A001&number=A002", "number", "只能给一个"),
        ("after=3", "after", "cursor"),
    ],
    ids=lambda v: v if "=" in str(v) else None,
)
def test_a_bad_filter_is_refused_naming_it(login, query: str, field: str, hint: str) -> None:  # type: ignore[no-untyped-def]
    problem = login("guide").get(f"/halls/demo/tickets?{query}", status=422)
    assert problem["code"] == "invalid_input" and problem["field"] == field
    assert hint in problem["detail"], problem["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [({"status": 7}, "status"), ({"queue": [1]}, "queue"), ({"window": "x"}, "window"), ({"who": "me"}, "who")],
    ids=["status-a-number", "queue-not-text", "window-not-a-number", "unknown-field"],
)
def test_a_bad_search_body_is_refused_naming_the_field(login, body: dict[str, Any], field: str) -> None:  # type: ignore[no-untyped-def]
    assert login("guide").post("/halls/demo/tickets/search", body, status=422)["field"] == field
