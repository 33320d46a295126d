"""Screens over Socket.IO in process: their settings, one voice per zone, presence, notice, audio."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from queue_server import auth
from queue_server.domain.access import DeviceKind
from tests.conftest import MONDAY_10AM_SHANGHAI, Api
from tests.integration.test_realtime import ack, received, screen, signed_in


def second_hall_screen(app: Flask, store) -> tuple[int, Any]:  # type: ignore[no-untyped-def]
    device_id, token = auth.create_device(
        store, hall_code="demo", kind=DeviceKind.HALL_SCREEN, name="二号综合屏", window=None, now=MONDAY_10AM_SHANGHAI
    )
    return device_id, app.extensions["socketio"].test_client(app, auth={"token": token})


def hall_screen_id(store) -> int:  # type: ignore[no-untyped-def]
    with store.read() as db:
        return int(next(db.query("SELECT id FROM devices WHERE kind = 'hall_screen' ORDER BY id"))["id"])


def test_a_screen_subscribes_without_naming_its_hall_and_gets_its_settings(app: Flask) -> None:
    answer = ack(screen(app), "subscribe", {})
    assert answer["ok"], answer
    data = answer["data"]
    assert data["scope"] == {"hall": "demo", "zone": None, "window": None}
    assert data["screen"]["settings"] == {
        "zone": None,
        "rows": 8,
        "language": "zh-CN",
        "notice": None,
        "voice": {"enabled": True, "repeat": 2, "rate": 1.0},
    }
    assert data["screen"]["announcer"] is True
    assert data["notice"].startswith("请在休息区等候") and data["server_time"] == "2026-11-23T02:00:00.000Z"
    window = ack(screen(app, "window_screen"), "subscribe", {})["data"]
    assert window["scope"]["window"] == 1 and window["screen"]["settings"]["voice"]["enabled"] is False
    assert window["screen"]["announcer"] is False


def test_one_screen_per_zone_speaks_and_another_takes_over(app: Flask, store) -> None:  # type: ignore[no-untyped-def]
    first = screen(app)
    assert ack(first, "subscribe", {})["data"]["screen"]["announcer"] is True
    _, second = second_hall_screen(app, store)
    assert ack(second, "subscribe", {})["data"]["screen"]["announcer"] is False
    second.get_received()
    first.disconnect()
    assert [m["args"][0] for m in second.get_received() if m["name"] == "announcer_changed"] == [{"announcer": True}]


def test_calls_carry_texts_and_speech_for_every_language(app: Flask) -> None:
    hall_screen = screen(app)
    ack(hall_screen, "subscribe", {})
    guide, clerk = signed_in(app, "guide"), signed_in(app, "clerk1")
    ack(guide, "issue_ticket", {"hall": "demo", "queue": "comprehensive"})
    ack(clerk, "open_window", {"hall": "demo", "window": 1})
    ack(clerk, "call_next", {"hall": "demo", "window": 1})
    (call,) = received(hall_screen, "ticket_called")
    assert (
        call["texts"]["zh-TW"] == "請A001號到1號窗口辦理"
        and call["speech"]["zh-CN"] == "请，A，零零一号，到一号窗口办理"
    )


def test_the_manager_moves_a_screen_and_the_page_is_told(app: Flask, store, login) -> None:  # type: ignore[no-untyped-def]
    device_id = hall_screen_id(store)
    page = screen(app)
    ack(page, "subscribe", {})
    page.get_received()
    manager: Api = login("manager")
    changed = manager.client.put(
        f"/api/v1/halls/demo/screens/{device_id}",
        json={"zone": "2f", "rows": 6, "language": "zh-TW", "voice": {"repeat": 1, "rate": 0.8}},
        headers=manager.headers,
    )
    assert changed.status_code == 200, changed.get_data(as_text=True)
    assert changed.get_json()["settings"]["zone"] == "2f" and changed.get_json()["online"] is True
    told = [m["args"][0] for m in page.get_received() if m["name"] == "screen_configured"]
    assert told and told[0]["settings"]["language"] == "zh-TW"
    again = ack(page, "subscribe", {})["data"]
    assert again["scope"]["zone"] == "2f" and again["screen"]["settings"]["voice"] == {
        "enabled": True,
        "repeat": 1,
        "rate": 0.8,
    }
    bad = manager.client.put(f"/api/v1/halls/demo/screens/{device_id}", json={"zone": "9f"}, headers=manager.headers)
    assert bad.status_code == 422 and bad.get_json()["field"] == "zone"
    guide: Api = login("guide")
    refused = guide.client.put(f"/api/v1/halls/demo/screens/{device_id}", json={"rows": 3}, headers=guide.headers)
    assert refused.status_code == 403


def test_the_dashboard_sees_who_is_online_and_what_they_showed(app: Flask, store, login) -> None:  # type: ignore[no-untyped-def]
    page = screen(app)
    ack(page, "subscribe", {})
    assert ack(page, "mark_shown", {"seq": 5}) == {"ok": True, "data": {"seq": 5}}
    manager: Api = login("manager")
    listed = {s["kind"]: s for s in manager.get("/halls/demo/screens")["screens"]}
    assert listed["hall_screen"]["online"] is True and listed["hall_screen"]["last_shown_seq"] == 5
    assert listed["hall_screen"]["announcer"] is True
    assert listed["window_screen"]["online"] is False and listed["window_screen"]["last_seen"] is None
    page.disconnect()
    after = {s["kind"]: s for s in manager.get("/halls/demo/screens")["screens"]}["hall_screen"]
    assert (
        after["online"] is False and after["last_seen"] == "2026-11-23T02:00:00.000Z" and after["last_shown_seq"] == 5
    )
    kiosk = screen(app, "kiosk")
    assert ack(kiosk, "mark_shown", {"seq": 1})["problem"]["status"] == 403


def test_the_manager_edits_the_notice_and_every_screen_hears_it(app: Flask, login, device) -> None:  # type: ignore[no-untyped-def]
    page = screen(app)
    ack(page, "subscribe", {})
    manager: Api = login("manager")
    manager.client.put(
        "/api/v1/halls/demo/notice", json={"notice": "今日下午系统升级，16:00停止取号"}, headers=manager.headers
    )
    assert [m["args"][0]["notice"] for m in page.get_received() if m["name"] == "notice_changed"] == [
        "今日下午系统升级，16:00停止取号"
    ]
    assert device("hall_screen").get("/halls/demo")["notice"] == "今日下午系统升级，16:00停止取号"
    restored = manager.client.put("/api/v1/halls/demo/notice", json={"notice": None}, headers=manager.headers)
    assert restored.get_json()["notice"].startswith("请在休息区等候")
    missing = manager.client.put("/api/v1/halls/demo/notice", json={}, headers=manager.headers)
    assert missing.status_code == 422


def _called_seq(app: Flask) -> int:
    guide, clerk = signed_in(app, "guide"), signed_in(app, "clerk1")
    ack(guide, "issue_ticket", {"hall": "demo", "queue": "comprehensive"})
    ack(clerk, "open_window", {"hall": "demo", "window": 1})
    ack(clerk, "call_next", {"hall": "demo", "window": 1})
    page = screen(app)
    events = ack(page, "subscribe", {"since": 0})["data"]["events"]
    return int(next(e["seq"] for e in events if e["type"] == "ticket_called"))


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (apt-get install espeak-ng)")
def test_the_server_speaks_a_call_with_espeak_ng_and_caches_it(app: Flask, device) -> None:  # type: ignore[no-untyped-def]
    seq = _called_seq(app)
    screen_api = device("hall_screen")
    response = screen_api.client.get(
        f"/api/v1/halls/demo/announcements/{seq}.wav?language=zh-CN", headers=screen_api.headers
    )
    assert response.status_code == 200 and response.mimetype == "audio/wav"
    audio = response.get_data()
    assert audio[:4] == b"RIFF" and audio[8:12] == b"WAVE" and len(audio) > 20_000  # seconds of speech, not a click
    cache = Path(app.instance_path) / "speech-cache"
    assert len(list(cache.glob("*.wav"))) == 1
    again = screen_api.client.get(
        f"/api/v1/halls/demo/announcements/{seq}.wav?language=zh-CN", headers=screen_api.headers
    )
    assert again.get_data() == audio and len(list(cache.glob("*.wav"))) == 1
    english = screen_api.client.get(
        f"/api/v1/halls/demo/announcements/{seq}.wav?language=en&rate=1.2", headers=screen_api.headers
    )
    assert english.status_code == 200 and english.get_data() != audio


def test_only_calls_are_spoken_and_a_missing_engine_says_so(app: Flask, device) -> None:  # type: ignore[no-untyped-def]
    seq = _called_seq(app)
    screen_api = device("hall_screen")
    not_a_call = screen_api.client.get("/api/v1/halls/demo/announcements/1.wav", headers=screen_api.headers)
    assert not_a_call.status_code == 404
    bad_rate = screen_api.client.get(f"/api/v1/halls/demo/announcements/{seq}.wav?rate=9", headers=screen_api.headers)
    assert bad_rate.status_code == 422 and bad_rate.get_json()["field"] == "rate"
    assert screen_api.client.get(f"/api/v1/halls/demo/announcements/{seq}.wav").status_code == 401
    app.extensions["hall_queue"]["speech"].executable = "no-such-espeak"
    missing = screen_api.client.get(f"/api/v1/halls/demo/announcements/{seq}.wav", headers=screen_api.headers)
    assert missing.status_code == 503 and "espeak-ng" in missing.get_json()["detail"]


def test_a_screen_revoked_while_silent_is_disconnected_by_the_server(app: Flask, store) -> None:  # type: ignore[no-untyped-def]
    """The periodic re-check (every CREDENTIAL_RECHECK_SECONDS) closes the link of a
    screen that never sends anything; the other links stay."""
    realtime = app.extensions["hall_queue"]["realtime"]
    page, other = screen(app), screen(app, "window_screen")
    assert ack(page, "subscribe", {})["ok"] and ack(other, "subscribe", {})["ok"]
    assert realtime.close_revoked_links() == 0
    auth.revoke_device(store, hall_screen_id(store), MONDAY_10AM_SHANGHAI)
    assert realtime.close_revoked_links() == 1
    assert not page.is_connected() and other.is_connected()


def test_a_snapshot_answer_carries_the_notice_as_of_its_seq(app: Flask, services, login, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The manager changes the notice while a screen's subscribe is being answered, after
    the answer's notice could have been read and before its snapshot is: the answer's
    notice is the one as of the answer's `seq`, since the screen drops the live
    notice_changed that the seq already covers. A catch-up answer carries the change
    among its events, which the screen applies after the answer's notice."""
    manager: Api = login("manager")
    snapshot = services.snapshot

    def notice_changes_meanwhile(*args: Any, **kwargs: Any) -> dict[str, Any]:
        changed = manager.client.put(
            "/api/v1/halls/demo/notice", json={"notice": "今日系统升级，16:00后暂停取号"}, headers=manager.headers
        )
        assert changed.status_code == 200, changed.get_data(as_text=True)
        return snapshot(*args, **kwargs)  # type: ignore[no-any-return]

    monkeypatch.setattr(services, "snapshot", notice_changes_meanwhile)
    page = screen(app)
    answer = ack(page, "subscribe", {})["data"]
    (live,) = [m["args"][0] for m in page.get_received() if m["name"] == "notice_changed"]
    assert live["seq"] <= answer["seq"]  # the screen drops it as applied already
    assert answer["notice"] == answer["snapshot"]["notice"] == "今日系统升级，16:00后暂停取号"

    # a catch-up answer: its notice was read before the events, and the change is among them
    monkeypatch.setattr(services, "snapshot", snapshot)
    catch_up = services.catch_up

    def notice_cleared_meanwhile(*args: Any, **kwargs: Any) -> tuple[list[dict[str, Any]], int, bool]:
        cleared = manager.client.put("/api/v1/halls/demo/notice", json={"notice": None}, headers=manager.headers)
        assert cleared.status_code == 200, cleared.get_data(as_text=True)
        return catch_up(*args, **kwargs)  # type: ignore[no-any-return]

    monkeypatch.setattr(services, "catch_up", notice_cleared_meanwhile)
    again = ack(page, "subscribe", {"since": answer["seq"]})["data"]
    assert again["notice"] == "今日系统升级，16:00后暂停取号" and "snapshot" not in again
    assert [e["notice"] for e in again["events"] if e["type"] == "notice_changed"] == [
        answer["snapshot"]["hall"]["notice"]  # the hall file's, applied after the answer's notice
    ]
