"""A new hall file against the hall as it stands: refused with every conflict listed, or
scheduled for the next service day; never a reused number or an orphaned ticket
(issue 6, cases 3 and 11)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from queue_server.cli import demo_hall_toml
from tests.conftest import Api, Clock
from tests.integration.test_days import cli, tick

DEMO = demo_hall_toml(always_open=False)


def without_block(text: str, table: str, line: str) -> str:
    """The hall file without the `[[table]]` block that contains `line`."""
    pattern = re.compile(rf"\[\[{table}\]\]\n(?:(?!\[\[).*\n)*?{re.escape(line)}\n(?:(?!\[\[|\n).*\n)*\n?")
    result, count = pattern.subn("", text, count=1)
    assert count == 1, f"no [[{table}]] with {line!r}"
    return result


WITHOUT_REFLECTION = without_block(
    without_block(without_block(DEMO, "queues", 'code = "reflection"'), "items", 'code = "cannot-get-it-done"'),
    "windows",
    "number = 18",
)
WITHOUT_WINDOW_13 = without_block(DEMO, "windows", "number = 13")


def put_config(admin: Api, text: str | bytes, status: int, query: str = "") -> dict[str, Any]:
    response = admin.client.put(
        f"/api/v1/halls/demo/config{query}",
        data=text.encode() if isinstance(text, str) else text,
        headers=admin.headers,
        content_type="application/toml",
    )
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()  # type: ignore[no-any-return]


@pytest.fixture
def admin(login) -> Api:  # type: ignore[no-untyped-def]
    return login("admin")  # type: ignore[no-any-return]


def test_the_edited_files_are_valid_halls(admin: Api) -> None:
    put_config(admin, WITHOUT_REFLECTION, 200)
    put_config(admin, WITHOUT_WINDOW_13, 200)


def test_renaming_a_queue_never_reuses_its_numbers(admin: Api, login, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    """Regression: renaming a queue's code mid-day restarted its counter (G001 twice)."""
    guide = login("guide")
    first = guide.post("/halls/demo/tickets", {"queue": "pickup"}, status=201)
    renamed = DEMO.replace('code = "pickup"', 'code = "results"').replace('queue = "pickup"', 'queue = "results"')
    renamed = renamed.replace("[hall.alerts.queues.pickup]", "[hall.alerts.queues.results]")  # its own thresholds
    refused = put_config(admin, renamed, 409)  # G001 is still waiting in "pickup"
    assert refused["code"] == "hall_change_conflicts"
    assert [c["code"] for c in refused["conflicts"]] == ["queue_has_open_tickets"]
    assert "G001" in refused["detail"]
    guide.post(f"/halls/demo/tickets/{first['id']}/cancel", {"reason": "市民离开"})
    put_config(admin, renamed, 200)
    assert guide.post("/halls/demo/tickets", {"queue": "results"}, status=201)["number"] == "G002"


def test_removing_a_queue_with_open_tickets_is_refused_or_scheduled_for_the_next_day(
    admin: Api, login, clock: Clock, app: Flask
) -> None:  # type: ignore[no-untyped-def]
    """Regression: removing a queue with open tickets made them unreadable and made the
    sweep fail for the whole hall."""
    guide, manager = login("guide"), login("manager")
    ticket = guide.post("/halls/demo/tickets", {"queue": "reflection"}, status=201)
    refused = put_config(admin, WITHOUT_REFLECTION, 409)
    assert "H001" in refused["detail"] and refused["conflicts"][0]["lasting"] is False
    assert manager.get(f"/halls/demo/tickets/{ticket['id']}")["queue_name"] == "办不成事反映"
    scheduled = put_config(admin, WITHOUT_REFLECTION, 200, "?effective=next-day")
    assert (scheduled["service_day"], scheduled["effective_from"]) == ("2026-11-23", "2026-11-24")
    assert any(q["code"] == "reflection" for q in manager.get("/halls/demo")["queues"])  # today unchanged
    assert manager.post("/halls/demo/sweep", {"include_today": True})["expired_tickets"] == 1
    clock.now += timedelta(days=1)
    types = [e.type for e in tick(app)]
    assert types[-2:] == ["hall_updated", "day_started"]
    manager = login("manager")  # yesterday's session has lapsed
    assert not any(q["code"] == "reflection" for q in manager.get("/halls/demo")["queues"])
    assert manager.get(f"/halls/demo/tickets/{ticket['id']}")["queue_name"] == "reflection"  # still readable


def test_removing_a_window_in_use_is_refused_naming_the_clerk_and_ticket(admin: Api, login) -> None:  # type: ignore[no-untyped-def]
    """Regression: removing a window deleted its row while a clerk or ticket was there."""
    clerk = login("clerk1")
    clerk.post("/halls/demo/windows/13/open-window")
    refused = put_config(admin, WITHOUT_WINDOW_13, 409)
    assert [c["code"] for c in refused["conflicts"]] == ["window_in_use"]
    assert "13 号窗口" in refused["detail"]
    clerk.post("/halls/demo/windows/13/close-window")
    put_config(admin, WITHOUT_WINDOW_13, 200)


def test_a_device_bound_to_a_removed_window_is_a_conflict_that_a_day_does_not_clear(app: Flask, admin: Api) -> None:
    from queue_server import auth
    from queue_server.domain.access import DeviceKind

    store = app.extensions["hall_queue"]["store"]
    auth.create_device(
        store, hall_code="demo", kind=DeviceKind.REVIEW_PAD, name="13号评价器", window=13, now=app.config["CLOCK"]()
    )
    refused = put_config(admin, WITHOUT_WINDOW_13, 409, "?effective=next-day")
    assert refused["conflicts"] == [
        {"code": "device_bound_to_window", "detail": refused["conflicts"][0]["detail"], "lasting": True}
    ]
    assert "13号评价器" in refused["detail"]


def test_a_new_time_zone_that_moves_todays_service_day_waits_for_the_next_day(admin: Api) -> None:
    moved = DEMO.replace('timezone = "Asia/Shanghai"', 'timezone = "America/Los_Angeles"')
    refused = put_config(admin, moved, 409)
    assert [c["code"] for c in refused["conflicts"]] == ["service_day_moves"]
    assert put_config(admin, moved, 200, "?effective=next-day")["effective_from"] == "2026-11-24"


# ---- case 11: encodings and typos ----------------------------------------------------


def test_a_gbk_file_is_refused_in_chinese_and_a_bom_is_accepted(admin: Api, app: Flask, tmp_path: Any) -> None:
    """Regression: a GBK file was accepted over HTTP with garbled names and refused by the
    command line with a raw codec error; a Notepad BOM was "Invalid statement"."""
    gbk = DEMO.encode("gbk")
    refused = put_config(admin, gbk, 422)
    assert refused["code"] == "invalid_hall_config" and "UTF-8" in refused["detail"] and "GBK" in refused["detail"]
    put_config(admin, b"\xef\xbb\xbf" + DEMO.encode(), 200)
    for raw, ok in ((gbk, False), (b"\xef\xbb\xbf" + DEMO.encode(), True)):
        path = tmp_path / "hall.toml"
        path.write_bytes(raw)
        code, out = cli(app, "import-hall", str(path))
        assert (code == 0) is ok, out
        if not ok:
            assert "UTF-8" in out and "codec" not in out


def test_a_misspelt_key_is_refused_naming_it_and_the_queue(admin: Api) -> None:
    """Regression: `dailycap = 400` imported and the cap silently became 999; messages
    counted queues from 0 without naming the queue."""
    typo = DEMO.replace("daily_cap = 60", "dailycap = 60")
    refused = put_config(admin, typo, 422)
    assert refused["key"] == "queues[7].dailycap"
    assert '第 8 个 [[queues]]（code = "reflection"）' in refused["detail"]
    assert "daily_cap" in refused["detail"]


def test_only_an_admin_learns_what_is_wrong_with_a_hall_file(login) -> None:  # type: ignore[no-untyped-def]
    manager = login("manager")
    response = manager.client.put(
        "/api/v1/halls/demo/config", data=b"[hall\n", headers=manager.headers, content_type="application/toml"
    )
    assert response.status_code == 403 and response.get_json()["code"] == "forbidden"


def test_a_queue_with_appointments_booked_stays_until_they_are_cancelled(
    admin: Api,
    device,
    login,
    clock: Clock,
    app: Flask,  # type: ignore[no-untyped-def]
) -> None:
    """Their check-in would have nowhere to issue. Today's appointments are voided by the
    day's close, so a file for the next day only waits for later days' to be cancelled."""
    platform = device("booking_platform")
    slot = {"slot_start": "10:00", "slot_end": "10:30", "queue": "reflection"}
    platform.post("/halls/demo/appointments", {"reference": "R1", "service_day": "2026-11-23", **slot}, status=201)
    refused = put_config(admin, WITHOUT_REFLECTION, 409)
    assert [(c["code"], c["lasting"]) for c in refused["conflicts"]] == [("queue_has_appointments", False)]
    assert "R1" in refused["detail"] and "取消" in refused["detail"]
    platform.post("/halls/demo/appointments", {"reference": "R2", "service_day": "2026-11-25", **slot}, status=201)
    later = put_config(admin, WITHOUT_REFLECTION, 409, "?effective=next-day")
    assert [(c["code"], c["lasting"]) for c in later["conflicts"]] == [("queue_has_appointments", True)]
    platform.post("/halls/demo/appointments/R2/cancel", {})
    assert put_config(admin, WITHOUT_REFLECTION, 200, "?effective=next-day")["effective_from"] == "2026-11-24"
    clock.now += timedelta(days=1)
    tick(app)
    manager = login("manager")
    assert "reflection" not in {q["code"] for q in manager.get("/halls/demo")["queues"]}
    assert manager.get("/halls/demo/appointments/R1")["status"] == "void"
