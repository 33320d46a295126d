"""Service days: the server closes each day by itself at the hall's rollover, frees every
window, and tells the screens; the command line's writes reach the screens too."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from flask import Flask

from queue_server import storage
from queue_server.cli import main
from queue_server.domain.clock import iso
from tests.conftest import TEST_CONFIG, Clock
from tests.integration.test_realtime import ack, received, screen, signed_in
from tests.support import rating_records


def w(action: str, window: int = 14) -> str:
    return f"/halls/demo/windows/{window}/{action}"


def next_morning(clock: Clock) -> None:
    """Tuesday 09:00 in Shanghai: past the 03:00 rollover."""
    clock.now += timedelta(hours=23)


def tick(app: Flask, hall: str = "demo") -> list[Any]:
    """One round of the server's timer (tests run it by hand); the events of `hall`."""
    return [e for e in app.extensions["hall_queue"]["jobs"].tick() if e.hall == hall]


def cli(app: Flask, *args: str) -> tuple[int, str]:
    """`queue-server` against the app's instance, in a process of its own as an operator
    runs it (here: its own app over the same SQLite file, publishing nothing itself)."""
    result = CliRunner().invoke(
        main,
        ["--instance", app.instance_path, *args],
        env={"QUEUE_SECRET_KEY": TEST_CONFIG["SECRET_KEY"]},
        catch_exceptions=False,
    )
    return result.exit_code, result.output


def test_a_window_is_free_the_morning_after_the_day_closed_on_its_ticket(login, clock: Clock, app: Flask) -> None:  # type: ignore[no-untyped-def]
    """Regression (issue 6, case 1): a ticket called and in service when the day ends
    used to expire while the window kept pointing at it, so every action on the window
    answered 409 the next morning."""
    guide, clerk = login("guide"), login("clerk1")
    ticket = guide.post("/halls/demo/tickets", {"queue": "household"}, status=201)
    clerk.post(w("open-window"))
    clerk.post(w("call-next"))
    clerk.post(w("start-service"))
    next_morning(clock)
    events = tick(app)  # the rollover: nobody had to write
    assert [e.type for e in events] == ["ticket_expired", "window_closed", "day_started"]
    assert events[-1].data["service_day"] == "2026-11-24" and events[0].data["service_day"] == "2026-11-23"
    manager = login("manager")
    assert manager.get(f"/halls/demo/tickets/{ticket['id']}")["status"] == "expired"
    window = next(x for x in manager.get("/halls/demo")["windows"] if x["number"] == 14)
    assert (window["status"], window["ticket"], window["clerk"]) == ("closed", None, None)
    # the clerk signs in for a new day (yesterday's session has lapsed) at the same window, or another one
    guide, clerk = login("guide"), login("clerk1")
    assert clerk.post(w("open-window"))["status"] == "open"
    assert clerk.post(w("call-next"), status=409)["code"] == "nothing_waiting"
    assert clerk.post(w("close-window"))["status"] == "closed"
    assert clerk.post(w("open-window", 15))["status"] == "open"
    # numbering restarted with the day
    assert guide.post("/halls/demo/tickets", {"queue": "household"}, status=201)["number"] == "E001"


def test_any_write_after_the_rollover_closes_the_day_first(login, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    guide = login("guide")
    left = guide.post("/halls/demo/tickets", {"queue": "household"}, status=201)
    next_morning(clock)
    guide = login("guide")  # yesterday's session has lapsed
    fresh = guide.post("/halls/demo/tickets", {"queue": "household"}, status=201)
    assert (fresh["number"], fresh["service_day"]) == ("E001", "2026-11-24")
    assert login("manager").get(f"/halls/demo/tickets/{left['id']}")["status"] == "expired"
    events = login("manager").get("/halls/demo/events?since=0")["events"]
    assert [e["type"] for e in events[-3:]] == ["ticket_expired", "day_started", "ticket_issued"]


def test_the_rollover_time_is_the_halls_own(login, clock: Clock, app: Flask) -> None:  # type: ignore[no-untyped-def]
    """At 02:59 in Shanghai the evening's day is still open (a late ticket is not
    expired under the citizen's feet); at 03:00 it closes."""
    guide = login("guide")
    ticket = guide.post("/halls/demo/tickets", {"queue": "household"}, status=201)
    clock.now = clock.now.replace(hour=18, minute=59)  # 02:59 on Tuesday in Shanghai
    assert [e.type for e in tick(app)] == ["alert_raised"]  # the managers hear of its long wait; the day goes on
    assert login("manager").get(f"/halls/demo/tickets/{ticket['id']}")["status"] == "waiting"
    clock.now = clock.now.replace(hour=19, minute=0)
    assert [e.type for e in tick(app)] == ["ticket_expired", "day_started", "alert_cleared"]


def test_screens_hear_the_new_day_with_every_event_stamped_with_its_day(login, clock: Clock, app: Flask) -> None:  # type: ignore[no-untyped-def]
    hall_screen = screen(app)
    assert ack(hall_screen, "subscribe", {"hall": "demo"})["data"]["snapshot"]["service_day"] == "2026-11-23"
    guide = signed_in(app, "guide")
    ack(guide, "issue_ticket", {"hall": "demo", "queue": "household"})
    next_morning(clock)
    tick(app)
    got = [(m["name"], m["args"][0]) for m in hall_screen.get_received()]
    issued = [payload for name, payload in got if name == "ticket_issued"]
    (expired,) = [payload for name, payload in got if name == "ticket_expired"]
    (started,) = [payload for name, payload in got if name == "day_started"]
    assert issued[0]["service_day"] == expired["service_day"] == "2026-11-23"
    assert started["service_day"] == "2026-11-24" and started["previous_day"] == "2026-11-23"
    assert expired["waiting"] == {"household": 0}


def test_the_command_lines_sweep_frees_the_windows_and_reaches_the_screens(login, app: Flask) -> None:  # type: ignore[no-untyped-def]
    """Regression (issue 6, cases 1 and 5): `queue-server sweep` wrote to the database
    but its events never reached a screen, which went on showing 欢迎您 E001 overnight."""
    guide, clerk = login("guide"), login("clerk1")
    guide.post("/halls/demo/tickets", {"queue": "household"}, status=201)
    clerk.post(w("open-window"))
    clerk.post(w("call-next"))
    clerk.post(w("start-service"))
    window_screen = screen(app)
    assert ack(window_screen, "subscribe", {"hall": "demo", "window": 14})["ok"]
    code, out = cli(app, "sweep", "--hall", "demo", "--include-today")
    assert code == 0 and "1 tickets expired, 1 windows closed" in out, out
    assert received(window_screen, "window_closed") == []  # the command line publishes nothing itself
    relayed = tick(app)  # the server sends on what another process wrote
    assert {e.type for e in relayed} >= {"ticket_expired", "window_closed"}
    (closed,) = received(window_screen, "window_closed")
    assert closed["window"]["status"] == "closed" and closed["window"]["ticket"] is None
    assert tick(app) == []  # each event goes out once
    assert clerk.post(w("open-window"))["status"] == "open"


def test_the_command_lines_hall_import_reaches_the_screens(app: Flask, tmp_path: Path) -> None:
    from queue_server.cli import demo_hall_toml

    hall_screen = screen(app)
    ack(hall_screen, "subscribe", {"hall": "demo"})
    hall_file = tmp_path / "demo.toml"
    hall_file.write_text(demo_hall_toml(always_open=False).replace("示范区政务服务中心", "示范区政务服务中心（新）", 1))
    code, out = cli(app, "import-hall", str(hall_file))
    assert code == 0, out
    tick(app)
    (updated,) = received(hall_screen, "hall_updated")
    assert updated["name"] == "示范区政务服务中心（新）"


def test_idempotency_records_are_purged_after_the_configured_days(login, clock: Clock, store, app: Flask) -> None:  # type: ignore[no-untyped-def]
    guide = login("guide")
    guide.post("/halls/demo/tickets", {"queue": "household"}, status=201, headers={"Idempotency-Key": "k-1"})
    with store.read() as db:
        assert db.execute("SELECT count(*) FROM idempotency_keys").fetchone()[0] == 1
    next_morning(clock)
    tick(app)
    with store.read() as db:  # kept for IDEMPOTENCY_DAYS (2): a retry the next morning still replays
        assert db.execute("SELECT count(*) FROM idempotency_keys").fetchone()[0] == 1
    clock.now += timedelta(days=2)
    tick(app)
    with store.read() as db:
        assert db.execute("SELECT count(*) FROM idempotency_keys").fetchone()[0] == 0


def test_records_the_platform_took_leave_the_outbox_after_the_configured_days(clock: Clock, store, app: Flask) -> None:  # type: ignore[no-untyped-def]
    """FEED_KEEP_DAYS (90): at the rollover, the hall's outbox forgets what the 好差评
    platform took over 90 days ago; what waits to be sent, what it refused and a more
    recent delivery stay."""
    queued = rating_records.enqueue_records(store, [1, 2, 3, 4], queued_at=clock.now)
    queued |= rating_records.enqueue_records(store, [5], hall="town", queued_at=clock.now)
    long_ago, lately = iso(clock.now - timedelta(days=95)), iso(clock.now - timedelta(days=30))
    with store.write() as db:
        ids = {row["key"]: row["id"] for row in db.query("SELECT id, key FROM outbox")}
        storage.outbox.mark_delivered(db, ids["demo-rating-1"], 200, "{}", long_ago)
        storage.outbox.mark_delivered(db, ids["demo-rating-2"], 200, "{}", lately)
        db.execute("UPDATE outbox SET state = 'dead', failed_at = ? WHERE id = ?", [long_ago, ids["demo-rating-4"]])
        storage.outbox.mark_delivered(db, ids["town-rating-5"], 200, "{}", long_ago)
    next_morning(clock)
    tick(app)
    with store.read() as db:
        left = {row["key"]: row["state"] for row in db.query("SELECT key, state FROM outbox")}
    assert left == {"demo-rating-2": "delivered", "demo-rating-3": "pending", "demo-rating-4": "dead"}
    assert set(queued) == {*left, "demo-rating-1", "town-rating-5"}  # the town rolled over too


def test_a_24_hour_hall_calls_after_midnight_what_waited_before_it(app: Flask, clock: Clock, store, login) -> None:  # type: ignore[no-untyped-def]
    """Regression (issue 6, case 7): in an always-open hall, tickets still waiting at
    midnight were stranded because call-next looked only at the calendar day."""
    from queue_server import auth
    from queue_server.domain.access import Role
    from tests.conftest import PASSWORD

    auth.create_user(
        store,
        username="town_clerk",
        password=PASSWORD,
        role=Role.CLERK,
        display_name="镇窗口",
        hall_code="town",
        staff_number="T001",
        now=clock.now,
    )
    clock.now = clock.now.replace(hour=15, minute=50)  # 23:50 in Shanghai
    town_guide, town_clerk = login("other_guide"), login("town_clerk")  # on the night shift
    late = town_guide.post("/halls/town/tickets", {"queue": "general"}, status=201)
    clock.now += timedelta(minutes=40)  # 00:30: the same service day until 03:00
    town_clerk.post("/halls/town/windows/1/open-window")
    called = town_clerk.post("/halls/town/windows/1/call-next")
    assert called["ticket"] == late["number"] == "A001"
