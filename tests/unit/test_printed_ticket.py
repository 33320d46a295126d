"""The printed ticket's JSON payload: what the server sends the printer agent, read back
with every fault named."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from ticket_printer.ticket import LANGUAGES, PrintedTicket, TicketPayloadError, sample_ticket


def payload(**changes: Any) -> dict[str, Any]:
    """A valid job payload, as JSON would bring it, with `changes` applied (None deletes)."""
    body = json.loads(json.dumps(sample_ticket().to_payload()))
    for name, value in changes.items():
        if value is None:
            body.pop(name, None)
        else:
            body[name] = value
    return body


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_payload_round_trips_through_json(language: str) -> None:
    ticket = sample_ticket(language)  # type: ignore[arg-type]
    assert PrintedTicket.from_payload(json.loads(json.dumps(ticket.to_payload()))) == ticket


def test_the_payload_carries_the_local_time_with_its_offset() -> None:
    body = sample_ticket().to_payload()
    assert body["issued_at"] == "2026-11-23T10:05:00+08:00"
    assert PrintedTicket.from_payload(body).issued_at.utcoffset().total_seconds() == 8 * 3600  # type: ignore[union-attr]


def test_optional_fields_may_be_left_out_and_language_defaults_to_simplified_chinese() -> None:
    body = payload(item_name=None, estimated_wait_minutes=None, tips=None, priority_label=None, language=None)
    ticket = PrintedTicket.from_payload(body)
    assert ticket.item_name is ticket.estimated_wait_minutes is ticket.priority_label is None
    assert ticket.tips == ()
    assert ticket.language == "zh-CN"


def test_unknown_fields_are_ignored_so_an_older_agent_reads_a_newer_server(caplog: pytest.LogCaptureFixture) -> None:
    ticket = PrintedTicket.from_payload(payload(window_hint="3号窗口"))
    assert ticket == sample_ticket()
    assert "window_hint" in caplog.text


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        pytest.param({"number": None}, "number: missing", id="number-missing"),
        pytest.param({"hall_name": None, "phone_url": None}, "hall_name: missing", id="two-missing"),
        pytest.param({"hall_name": "  "}, "hall_name: must be a non-empty string", id="blank-hall"),
        pytest.param({"queue_name": 7}, "queue_name: must be a non-empty string", id="queue-not-text"),
        pytest.param({"item_name": "A" * 201}, "item_name: longer than 200 characters", id="item-too-long"),
        pytest.param({"hall_name": "中心\x1b@"}, "hall_name: contains control characters", id="escape-in-text"),
        pytest.param({"number": "a023"}, "number: 'a023' is not a ticket number", id="lower-case-number"),
        pytest.param({"number": "A0234567X"}, "is not a ticket number", id="number-too-long"),
        pytest.param({"number": "甲023"}, "is not a ticket number", id="number-not-ascii"),
        pytest.param({"people_ahead": -1}, "people_ahead: must be a whole number, 0 or more", id="negative-ahead"),
        pytest.param({"people_ahead": "3"}, "people_ahead: must be a whole number", id="ahead-as-text"),
        pytest.param({"people_ahead": True}, "people_ahead: must be a whole number", id="ahead-as-bool"),
        pytest.param({"estimated_wait_minutes": 2.5}, "estimated_wait_minutes: must be a whole", id="wait-fraction"),
        pytest.param({"issued_at": "2026-11-23T10:05:00"}, "issued_at: has no UTC offset", id="naive-time"),
        pytest.param({"issued_at": "yesterday"}, "issued_at: 'yesterday' is not an ISO 8601", id="not-a-time"),
        pytest.param({"issued_at": 1795000000}, "issued_at: must be an ISO 8601 string", id="epoch-number"),
        pytest.param({"phone_url": "hall.example.cn/t/x"}, "phone_url: must be an http:// or https://", id="no-scheme"),
        pytest.param(
            {"phone_url": "https://大厅.cn/t/x"}, "phone_url: must be an http:// or https://", id="url-not-ascii"
        ),
        pytest.param({"phone_url": "https://h.cn/" + "x" * 300}, "phone_url: longer than 300", id="url-too-long"),
        pytest.param({"tips": "请等候"}, "tips: must be a list of strings", id="tips-not-list"),
        pytest.param({"tips": ["请等候", ""]}, "tips[1]: must be a non-empty string", id="blank-tip"),
        pytest.param({"tips": ["请等候"] * 11}, "tips: more than 10 lines", id="too-many-tips"),
        pytest.param({"language": "ja"}, "language: 'ja' is not one of zh-CN, zh-TW, en", id="unknown-language"),
    ],
)
def test_a_bad_payload_is_refused_naming_the_field(changes: dict[str, Any], problem: str) -> None:
    with pytest.raises(TicketPayloadError) as refused:
        PrintedTicket.from_payload(payload(**changes))
    assert any(problem in sentence for sentence in refused.value.problems), refused.value.problems


def test_every_missing_field_is_named_at_once() -> None:
    with pytest.raises(TicketPayloadError) as refused:
        PrintedTicket.from_payload({"number": "A001"})
    assert refused.value.problems == [
        "hall_name: missing",
        "queue_name: missing",
        "people_ahead: missing",
        "issued_at: missing",
        "phone_url: missing",
    ]


@pytest.mark.parametrize("body", [["A001"], "A001", None], ids=["list", "string", "null"])
def test_a_payload_that_is_not_an_object_is_refused(body: Any) -> None:
    with pytest.raises(TicketPayloadError, match="must be a JSON object"):
        PrintedTicket.from_payload(body)


def test_the_dataclass_checks_its_fields_when_the_server_builds_one_directly() -> None:
    with pytest.raises(TicketPayloadError, match="issued_at: has no UTC offset"):
        PrintedTicket(
            hall_name="示范区政务服务中心",
            queue_name="综合受理",
            number="A001",
            people_ahead=0,
            issued_at=datetime(2026, 11, 23, 10, 5),
            phone_url="https://hall.example.cn/t/abc",
        )
