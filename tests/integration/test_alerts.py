"""The managers' alerts: raised by the timer when a threshold of the hall file's
`[hall.alerts]` is passed, cleared when the condition ends, pushed live to the hall's staff
only, acknowledged by a manager (who and when kept), and raised once however many server
processes run the timer."""

from __future__ import annotations

import tomllib
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask_socketio import SocketIOTestClient

from queue_server import storage
from queue_server.domain.alerts import AlertSettings
from queue_server.domain.clock import iso
from queue_server.domain.errors import HallConfigError
from queue_server.domain.hall import parse_hall
from queue_server.services import Services
from queue_server.storage import Storage
from tests.conftest import OTHER_HALL, PASSWORD


def tick(app: Flask) -> list[Any]:
    return app.extensions["hall_queue"]["jobs"].tick()  # type: ignore[no-any-return]


def thresholds(services: Services) -> AlertSettings:
    return services.hall("demo").spec.alerts


def manager_link(app: Flask) -> SocketIOTestClient:
    client = app.test_client()
    assert client.post("/api/v1/session", json={"username": "manager", "password": PASSWORD}).status_code == 200
    link = app.extensions["socketio"].test_client(app, flask_test_client=client)
    assert link.emit("subscribe", {"hall": "demo"}, callback=True)["ok"]
    return link


def device_link(app: Flask, kind: str) -> SocketIOTestClient:
    link = app.extensions["socketio"].test_client(app, auth={"token": app.config["TEST_TOKENS"][kind]})
    assert link.emit("subscribe", {"hall": "demo"} if kind != "window_screen" else {}, callback=True)["ok"]
    return link


def alert_events(link: SocketIOTestClient) -> list[tuple[str, dict[str, Any]]]:
    return [(m["name"], m["args"][0]["alert"]) for m in link.get_received() if m["name"].startswith("alert_")]


def test_a_long_wait_alerts_the_manager_live_and_clears_when_the_ticket_is_called(  # type: ignore[no-untyped-def]
    app, login, clock, services
) -> None:
    limit = thresholds(services).for_queue("household").long_wait_minutes
    manager, screen = manager_link(app), device_link(app, "hall_screen")
    guide, clerk = login("guide"), login("clerk1")
    clerk.post("/halls/demo/windows/14/open-window")
    ticket = guide.post("/halls/demo/tickets", {"queue": "household"}, status=201)
    manager.get_received(), screen.get_received()
    clock.now += timedelta(minutes=limit)
    tick(app)
    assert alert_events(manager) == []  # exactly at the threshold: not yet past it
    clock.now += timedelta(minutes=1)
    tick(app)
    [(name, raised)] = alert_events(manager)
    assert name == "alert_raised"
    assert (raised["kind"], raised["subject"], raised["threshold"], raised["value"]) == (
        "long_wait",
        "household",
        limit,
        limit + 1,
    )
    assert (
        raised["cleared_at"] is None
        and raised["acknowledged_by"] is None
        and raised["detail"].startswith(services.hall("demo").spec.queue("household").name)
    )
    # a screen hears only that the hall's sequence moved on
    heard = screen.get_received()
    assert not any(m["name"].startswith("alert_") for m in heard)
    assert any(m["name"] == "sequence_advanced" for m in heard)
    tick(app)
    assert alert_events(manager) == []  # raised once, not every round

    assert clerk.post("/halls/demo/windows/14/call-next")["ticket"] == ticket["number"]
    tick(app)
    [(name, cleared)] = alert_events(manager)
    assert (name, cleared["id"], cleared["cleared_at"]) == ("alert_cleared", raised["id"], iso(clock.now))
    listed = login("manager").get("/halls/demo/alerts")
    assert listed["open"] == 0 and [a["id"] for a in listed["alerts"]] == [raised["id"]]
    assert login("manager").get("/halls/demo/alerts?state=open")["alerts"] == []


def test_many_waiting_raises_and_clears_when_one_is_cancelled(app, login, services) -> None:  # type: ignore[no-untyped-def]
    limit = thresholds(services).for_queue("household").many_waiting
    guide = login("guide")
    tickets = [guide.post("/halls/demo/tickets", {"queue": "household"}, status=201) for _ in range(limit + 1)]
    [raised] = [e for e in tick(app) if e.type == "alert_raised"]
    assert raised.data["alert"]["kind"] == "many_waiting" and raised.data["alert"]["value"] == limit + 1
    guide.post(f"/halls/demo/tickets/{tickets[-1]['id']}/cancel", {})
    [cleared] = [e for e in tick(app) if e.type == "alert_cleared"]
    assert cleared.data["alert"]["id"] == raised.data["alert"]["id"]


def test_a_window_paused_too_long_raises_and_clears_when_it_resumes(app, login, clock, services) -> None:  # type: ignore[no-untyped-def]
    limit = thresholds(services).window_paused_minutes
    clerk = login("clerk1")
    clerk.post("/halls/demo/windows/14/open-window")
    clerk.post("/halls/demo/windows/14/pause-window", {"reason": "午休"})
    clock.now += timedelta(minutes=limit, seconds=1)
    [raised] = tick(app)
    assert (raised.type, raised.data["alert"]["kind"], raised.data["alert"]["subject"]) == (
        "alert_raised",
        "window_paused",
        "14",
    )
    clerk.post("/halls/demo/windows/14/resume-window")
    assert [e.type for e in tick(app)] == ["alert_cleared"]


def test_a_device_offline_too_long_raises_and_clears_when_it_comes_back(app, clock, services) -> None:  # type: ignore[no-untyped-def]
    limit = thresholds(services).device_offline_seconds
    kiosk = device_link(app, "kiosk")
    clock.now += timedelta(hours=1)
    assert tick(app) == []  # connected: online however long ago it was last stored as seen
    kiosk.disconnect()  # its last-seen time is stored now
    clock.now += timedelta(seconds=limit + 1)
    [raised] = tick(app)
    alert = raised.data["alert"]
    assert (alert["kind"], alert["value"]) == ("device_offline", limit + 1)
    with app.extensions["hall_queue"]["store"].read() as db:
        assert alert["subject"] == str(next(db.query("SELECT id FROM devices WHERE name = 'kiosk'"))["id"])
    device_link(app, "kiosk")
    assert [e.type for e in tick(app)] == ["alert_cleared"]


def test_an_acknowledgement_keeps_who_and_when_and_is_refused_to_others(app, login, device, clock, services) -> None:  # type: ignore[no-untyped-def]
    guide = login("guide")
    guide.post("/halls/demo/tickets", {"queue": "household"}, status=201)
    clock.now += timedelta(minutes=thresholds(services).for_queue("household").long_wait_minutes + 1)
    [raised] = tick(app)
    path = f"/halls/demo/alerts/{raised.data['alert']['id']}/acknowledge"
    for who in (guide, login("clerk1"), device("hall_screen"), device("kiosk"), login("other_manager")):
        assert who.post(path, status=403)["status"] == 403
    manager = manager_link(app)
    seen_at = iso(clock.now)
    acknowledged = login("manager").post(path)
    assert acknowledged["acknowledged_by"]["name"] == "测试manager" and acknowledged["acknowledged_at"] == seen_at
    [(name, pushed)] = alert_events(manager)
    assert (name, pushed) == ("alert_acknowledged", acknowledged)
    clock.now += timedelta(minutes=1)
    again = manager.emit("acknowledge_alert", {"hall": "demo", "alert_id": acknowledged["id"]}, callback=True)
    assert again == {"ok": True, "data": acknowledged}  # the first acknowledgement stands
    assert alert_events(manager) == []
    unknown = login("manager").post("/halls/demo/alerts/999/acknowledge", status=404)
    assert unknown["field"] == "alert_id"
    entries = login("admin").get("/audit?action=alert_acknowledged")["entries"]
    assert [(e["actor"], e["target"]) for e in entries] == [("manager", str(acknowledged["id"]))]


def test_two_timers_over_one_database_raise_one_alert(app, login, clock, store: Storage, services: Services) -> None:  # type: ignore[no-untyped-def]
    login("guide").post("/halls/demo/tickets", {"queue": "household"}, status=201)
    clock.now += timedelta(hours=1)
    other = Services(Storage(store.path), b"x" * 32)
    first, second = services.evaluate_alerts(clock.now), other.evaluate_alerts(clock.now)
    assert [e.type for e in first + second] == ["alert_raised"]
    with store.read() as db:
        assert next(db.query("SELECT count(*) AS n FROM alerts"))["n"] == 1
    # both see it open, and a write that slipped past their read is held by the database
    with store.write() as db:
        row = next(db.query("SELECT * FROM alerts"))
        again = {k: row[k] for k in ("hall_id", "kind", "subject", "detail", "threshold", "value", "raised_at")}
        assert storage.alerts.raise_alert(db, again) is None


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ("[hall.alerts]\nlong_wait = 20", "hall.alerts.long_wait"),
        ("[hall.alerts]\nmany_waiting = -1", "hall.alerts.many_waiting"),
        ("[hall.alerts]\ndevice_offline_seconds = 5", "hall.alerts.device_offline_seconds"),
        ("[hall.alerts.queues.nowhere]\nlong_wait_minutes = 5", "hall.alerts.queues.nowhere"),
        ("[hall.alerts.queues.general]\nlong_wait_minutes = true", "hall.alerts.queues.general.long_wait_minutes"),
    ],
    ids=["unknown-key", "negative", "offline-too-short", "unknown-queue", "not-a-number"],
)
def test_a_wrong_threshold_is_refused_naming_its_key(table: str, key: str) -> None:
    with pytest.raises(HallConfigError) as refused:
        parse_hall(tomllib.loads(OTHER_HALL.replace("[hall.hours]", f"{table}\n[hall.hours]")))
    assert refused.value.key == key


def test_a_queue_override_keeps_the_hall_wide_value_it_does_not_name() -> None:
    table = "[hall.alerts]\nmany_waiting = 12\n[hall.alerts.queues.general]\nlong_wait_minutes = 0"
    spec = parse_hall(tomllib.loads(OTHER_HALL.replace("[hall.hours]", f"{table}\n[hall.hours]")))
    assert spec.alerts.for_queue("general").many_waiting == 12
    assert spec.alerts.for_queue("general").long_wait_minutes == 0  # off for this queue


def test_with_redis_a_device_connected_to_another_process_counts_as_online(  # type: ignore[no-untyped-def]
    app, clock, store: Storage, services: Services, redis_url: str
) -> None:
    """Two server processes share presence through Redis: the timer of the one a kiosk is
    not connected to sees it online, and raises its alert only once its link has ended."""
    from queue_server.realtime.redis_presence import RedisPresence

    limit = thresholds(services).device_offline_seconds
    here, there = RedisPresence(redis_url, ttl=60), RedisPresence(redis_url, ttl=60)
    other = Services(Storage(store.path), b"x" * 32)
    with store.read() as db:
        kiosk = next(db.query("SELECT id FROM devices WHERE name = 'kiosk'"))["id"]
    services.record_seen(kiosk, clock.now, None)  # seen before: watched

    def online(ids: Any) -> set[int]:
        return {device for device, links in there.links_of(ids).items() if links}

    here.join("sid-kiosk", kiosk, "demo", None, clock.now)
    clock.now += timedelta(seconds=limit * 10)
    assert other.evaluate_alerts(clock.now, online) == []
    link, _ = here.leave("sid-kiosk")
    assert link is not None
    services.record_seen(kiosk, clock.now, None)  # what the process it was on stores at its disconnect
    clock.now += timedelta(seconds=limit + 1)
    [raised] = other.evaluate_alerts(clock.now, online)
    assert (raised.data["alert"]["kind"], raised.data["alert"]["subject"]) == ("device_offline", str(kiosk))
    here.close(), there.close()
