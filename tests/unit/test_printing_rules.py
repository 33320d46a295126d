"""Print jobs' pure rules: stations, what the paper says, when a job is given up, what
an agent may report, the hall file's tips and the public base URL."""

from __future__ import annotations

import copy
import tomllib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from queue_server.cli import demo_hall_toml
from queue_server.domain.errors import HallConfigError, InvalidInput
from queue_server.domain.hall import parse_hall
from queue_server.domain.lifecycle import Channel, Ticket
from queue_server.domain.printing import (
    JobState,
    check_result,
    check_station,
    printed_ticket,
    verdict,
)
from queue_server.domain.tickets import PriorityClass, TicketStatus
from ticket_printer.ticket import PrintedTicket

NOW = datetime(2026, 11, 23, 2, 5, 30, 123456, tzinfo=UTC)  # 10:05:30 in Shanghai


@pytest.fixture
def demo() -> dict[str, Any]:
    return tomllib.loads(demo_hall_toml(always_open=False))


def ticket(**changes: Any) -> Ticket:
    values: dict[str, Any] = {
        "id": 7,
        "hall_id": 1,
        "service_day": "2026-11-23",
        "number": "B023",
        "queue": "real-estate",
        "origin_queue": "real-estate",
        "status": TicketStatus.WAITING,
        "place": "x",
        "channel": Channel.DESK,
        "issued_at": NOW,
        "ref": "k3Jx9QmZ2vB8tL5wR7nY1a",
        **changes,
    }
    return Ticket(**values)


def test_the_paper_says_what_the_hall_and_the_ticket_say(demo: dict[str, Any]) -> None:
    spec = parse_hall(demo)
    printed = printed_ticket(
        spec,
        ticket(item="property-transfer", priority=PriorityClass.SENIOR),
        people_ahead=3,
        estimated_wait_minutes=15,
        phone_url="https://hall.example.cn/t/abc",
    )
    assert printed.to_payload() == {
        "hall_name": "示范区政务服务中心",
        "queue_name": "不动产登记",
        "item_name": next(i["name"] for i in demo["items"] if i["code"] == "property-transfer"),
        "number": "B023",
        "people_ahead": 3,
        "estimated_wait_minutes": 15,
        "issued_at": "2026-11-23T10:05:30+08:00",  # the hall's local time, to the second
        "phone_url": "https://hall.example.cn/t/abc",
        "tips": ["请在休息区等候，留意大屏和语音叫号", "过号请到导办台重新排队"],
        "priority_label": "绿色通道",  # never the class itself
        "language": "zh-CN",
    }
    assert PrintedTicket.from_payload(printed.to_payload()) == printed


def test_a_bundle_prints_its_name_and_a_queue_ticket_none(demo: dict[str, Any]) -> None:
    spec = parse_hall(demo)
    bundle = printed_ticket(
        spec,
        ticket(queue="comprehensive", bundle="enterprise-start", number="A001"),
        people_ahead=0,
        estimated_wait_minutes=None,
        phone_url="http://x/t/1",
    )
    assert bundle.item_name == next(b["name"] for b in demo["bundles"] if b["code"] == "enterprise-start")
    plain = printed_ticket(spec, ticket(), people_ahead=0, estimated_wait_minutes=None, phone_url="http://x/t/1")
    assert plain.item_name is None and plain.priority_label is None


def test_names_too_long_for_a_ticket_are_shortened_not_refused(demo: dict[str, Any]) -> None:
    data = copy.deepcopy(demo)
    data["hall"]["name"] = "很长的大厅名称" * 40
    printed = printed_ticket(
        parse_hall(data), ticket(), people_ahead=0, estimated_wait_minutes=None, phone_url="http://x/t/1"
    )
    assert len(printed.hall_name) == 200 and printed.hall_name.endswith("…")


@pytest.mark.parametrize(
    ("age", "ticket_open", "expected"),
    [
        pytest.param(0, True, None, id="fresh"),
        pytest.param(120, True, None, id="exactly-the-max-age"),
        pytest.param(121, True, JobState.EXPIRED, id="too-old"),
        pytest.param(0, False, JobState.CANCELLED, id="ticket-over"),
        pytest.param(500, False, JobState.CANCELLED, id="ticket-over-and-old"),
    ],
)
def test_a_due_job_is_sent_or_given_up(age: int, ticket_open: bool, expected: JobState | None) -> None:
    assert verdict(NOW - timedelta(seconds=age), ticket_open, NOW, 120) == expected


@pytest.mark.parametrize(
    ("ok", "state", "field"),
    [
        pytest.param(True, JobState.PAPER_OUT, "ok", id="ok-but-paper-out"),
        pytest.param(False, JobState.PRINTED, "ok", id="printed-but-not-ok"),
        pytest.param(True, JobState.SENT, "state", id="not-a-result"),
        pytest.param(False, JobState.EXPIRED, "state", id="the-servers-verdict"),
    ],
)
def test_an_agent_reports_only_results_that_agree(ok: bool, state: JobState, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_result(ok, state)
    assert caught.value.extra["field"] == field


def test_every_result_the_agent_returns_is_one_it_may_report() -> None:
    check_result(True, JobState.PRINTED)
    for state in (JobState.PAPER_OUT, JobState.OFFLINE, JobState.FAILED):
        check_result(False, state)


@pytest.mark.parametrize("station", ["desk-1", "kiosk_2", "a", "x" * 40])
def test_station_codes(station: str) -> None:
    assert check_station(station) == station


@pytest.mark.parametrize("station", ["", "Desk-1", "-desk", "x" * 41, "导办台", "desk 1", 7, None])
def test_bad_station_codes_are_refused(station: object) -> None:
    with pytest.raises(InvalidInput, match="station"):
        check_station(station)


def test_tips_come_from_the_hall_file(demo: dict[str, Any]) -> None:
    assert parse_hall(demo).tips == ("请在休息区等候，留意大屏和语音叫号", "过号请到导办台重新排队")
    data = copy.deepcopy(demo)
    del data["hall"]["tips"]
    assert parse_hall(data).tips == ()


@pytest.mark.parametrize(
    ("tips", "hint"),
    [
        pytest.param("请等候", "列表", id="not-a-list"),
        pytest.param(["请等候", 3], "列表", id="not-text"),
        pytest.param(["提示"] * 11, "最多 10 条", id="too-many"),
        pytest.param(["提" * 201], "200", id="too-long"),
        pytest.param(["  "], "空", id="blank"),
        pytest.param(["第一行\n第二行"], "一行", id="two-lines"),
    ],
)
def test_bad_tips_are_refused_naming_the_key(demo: dict[str, Any], tips: Any, hint: str) -> None:
    data = copy.deepcopy(demo)
    data["hall"]["tips"] = tips
    with pytest.raises(HallConfigError) as caught:
        parse_hall(data)
    assert caught.value.key == "hall.tips"
    assert hint in caught.value.detail
