"""The hall file: what it may say and how a mistake is reported."""

from __future__ import annotations

import copy
import tomllib
from typing import Any

import pytest

from queue_server.cli import demo_hall_toml
from queue_server.domain.errors import HallConfigError
from queue_server.domain.hall import QueueKind, parse_hall
from queue_server.domain.staffing import StaffingSettings


@pytest.fixture
def demo() -> dict[str, Any]:
    return tomllib.loads(demo_hall_toml(always_open=False))


def test_demo_hall_parses_with_every_kind_of_area(demo: dict[str, Any]) -> None:
    hall = parse_hall(demo)
    kinds = {q.kind for q in hall.queues}
    assert kinds == set(QueueKind)
    assert sum(q.kind is QueueKind.SPECIALISED for q in hall.queues) == 5
    assert {b.code for b in hall.bundles} >= {"enterprise-start"}
    assert len(next(b for b in hall.bundles if b.code == "enterprise-start").items) == 7


def _specialised(n: int) -> dict[str, Any]:
    return {"code": f"spec{n}", "prefix": "JKLMNOPQRS"[n], "name": f"专区{n}", "kind": "specialised"}


def test_a_seventh_specialised_area_is_refused_naming_it(demo: dict[str, Any]) -> None:
    data = copy.deepcopy(demo)
    data["queues"].append(_specialised(1))  # the demo has five: this is the sixth
    data["windows"][0]["serves"].append({"queue": "spec1", "rank": 3})
    parse_hall(data)
    data["queues"].append(_specialised(2))
    data["windows"][0]["serves"].append({"queue": "spec2", "rank": 3})
    with pytest.raises(HallConfigError) as caught:
        parse_hall(data)
    assert caught.value.key == f"queues[{len(data['queues']) - 1}].kind"
    assert "最多 6 个" in caught.value.detail


def _mutate(data: dict[str, Any], path: str, value: Any) -> None:
    target: Any = data
    parts = path.split("/")
    for part in parts[:-1]:
        target = target[int(part)] if part.isdigit() else target[part]
    last = parts[-1]
    if value is _DELETE:
        del target[int(last) if last.isdigit() else last]
    elif last.isdigit():
        target[int(last)] = value
    else:
        target[last] = value


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "key", "hint"),
    [
        ("queues/1/prefix", "A", "queues[1].prefix", "重复"),
        ("queues/0/prefix", "a1", "queues[0].prefix", "大写字母"),
        ("queues/0/kind", "vip", "queues[0].kind", "comprehensive"),
        ("queues/0/daily_cap", 1000, "queues[0].daily_cap", "999"),
        ("items/0/queue", "nowhere", "items[0].queue", "未知队列"),
        ("bundles/0/items", ["company-registration", "no-such-item"], "bundles[0].items", "未知事项"),
        ("bundles/0/queue", "real-estate", "bundles[0].queue", "综合受理"),
        ("windows/0/serves", [], "windows[0].serves", "至少要办理一个队列"),
        ("windows/0/zone", "9f", "windows[0].zone", "未知区域"),
        ("windows/1/number", 1, "windows[1].number", "重复"),
        ("windows/0/serves/0/queue", "nowhere", "windows[0].serves[0].queue", "未知队列"),
        ("hall/timezone", "Mars/Olympus", "hall.timezone", "时区"),
        ("hall/hours/mon", ["09:00-12:00", "11:00-13:00"], "hall.hours.mon", "重叠"),
        ("hall/hours/mon", ["9-12"], "hall.hours.mon", "格式"),
        ("hall/hours/mon", ["12:00-09:00"], "hall.hours.mon", "晚于"),
        ("hall/code", "Demo Hall", "hall.code", "小写"),
        ("hall/name", _DELETE, "hall.name", "缺少"),
        ("queues/0/priority", {"max_in_row": 11}, "queues[0].priority.max_in_row", "10"),
        ("queues/0/no_show", {"policy": "forgive"}, "queues[0].no_show.policy", "requeue"),
        ("hall/show_clerk_names", "yes", "hall.show_clerk_names", "true 或 false"),
        ("hall/show_clerk_name", True, "hall.show_clerk_name", "show_clerk_names"),
        ("hall/staffing", {"service_level": 1}, "hall.staffing.service_level", "0.01 到 0.99"),
        ("hall/staffing", {"target_minutes": -1}, "hall.staffing.target_minutes", "0 到 480"),
        ("hall/staffing", {"max_occupancy": 0.3}, "hall.staffing.max_occupancy", "0.5 到 1"),
        ("hall/staffing", {"history_weeks": 0}, "hall.staffing.history_weeks", "1 到 12"),
        ("hall/staffing", {"target": 15}, "hall.staffing.target", "target_minutes"),
    ],
    ids=lambda v: v if isinstance(v, str) and "/" in v else None,
)
def test_each_mistake_names_its_key_and_what_to_do(
    demo: dict[str, Any], path: str, value: Any, key: str, hint: str
) -> None:
    data = copy.deepcopy(demo)
    _mutate(data, path, value)
    with pytest.raises(HallConfigError) as caught:
        parse_hall(data)
    assert caught.value.key == key
    assert hint in caught.value.detail


def test_a_queue_no_window_serves_is_refused(demo: dict[str, Any]) -> None:
    data = copy.deepcopy(demo)
    data["windows"] = [w for w in data["windows"] if w["number"] != 18]  # the only reflection window
    with pytest.raises(HallConfigError) as caught:
        parse_hall(data)
    assert caught.value.key.startswith("queues[")
    assert "reflection" in caught.value.detail


def test_a_hall_without_any_opening_hours_is_refused(demo: dict[str, Any]) -> None:
    data = copy.deepcopy(demo)
    data["hall"]["hours"] = {"mon": []}
    with pytest.raises(HallConfigError, match="办公时段"):
        parse_hall(data)


def test_clerk_names_are_hidden_from_public_devices_unless_the_hall_file_shows_them(demo: dict[str, Any]) -> None:
    assert parse_hall(demo).show_clerk_names is True  # the demo hall shows them (亮明身份)
    data = copy.deepcopy(demo)
    del data["hall"]["show_clerk_names"]
    assert parse_hall(data).show_clerk_names is False


def test_the_staffing_target_is_the_hall_files_or_the_default(demo: dict[str, Any]) -> None:
    assert parse_hall(demo).staffing == StaffingSettings()
    data = copy.deepcopy(demo)
    data["hall"]["staffing"] = {"target_minutes": 10, "service_level": 0.9, "max_occupancy": 0.85, "history_weeks": 8}
    assert parse_hall(data).staffing == StaffingSettings(10, 0.9, 0.85, 8)
