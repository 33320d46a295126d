"""Several processes on one hall, with Redis between two gunicorn servers on the same
database: the command line's writes reach the screens of every server process exactly
once (issue 6, "one write path"); every call reaches every screen once, each zone speaks
it once across both servers, and the voice moves when its screen or its server goes;
the manager sees every screen (issue 7). Without Redis a second server is refused."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from queue_server.cli import demo_hall_toml
from tests.e2e.helpers import TIMEOUT, Screen, check, issue, numbered, serve_and_finish, server_errors, window_do
from tests.e2e.screens import (
    BRISK_VOICE,
    ScreenPage,
    add_hall_screen,
    assert_one_at_a_time,
    configure,
    fake_speech_synthesis,
    screen_devices,
)
from tests.support.live import LiveServer

SignIn = Callable[[LiveServer, str], requests.Session]


def queue_server(instance: Path, *args: str) -> str:
    """`queue-server` as an operator runs it, in a process of its own."""
    done = subprocess.run(
        [sys.executable, "-m", "queue_server.cli", "--instance", str(instance), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_command_lines_writes_reach_every_server_process_once(
    tmp_path: Path, redis_url: str, connect: Callable[..., Screen]
) -> None:
    first = LiveServer(tmp_path / "instance", environment={"QUEUE_MESSAGE_QUEUE": redis_url})
    first.prepare()
    second = LiveServer(first.instance, environment=first.environment, tokens=first.tokens)
    try:
        first.start()
        second.start()
        screens = [connect(server, token=first.tokens["hall_screen"]) for server in (first, second)]
        for screen in screens:
            screen.subscribe()
        hall_file = tmp_path / "demo.toml"
        hall_file.write_text(
            demo_hall_toml(always_open=True).replace("示范区政务服务中心", "示范区政务服务中心（新）", 1)
        )
        queue_server(first.instance, "import-hall", str(hall_file))
        for screen in screens:
            assert screen.wait_for("hall_updated")["name"] == "示范区政务服务中心（新）"
        queue_server(first.instance, "sweep", "--include-today")  # a second relayed write, later
        queue_server(first.instance, "import-hall", str(hall_file))
        for screen in screens:
            screen.wait_for("hall_updated", lambda payload: payload["revision"] == 3)
            assert len(screen.received("hall_updated")) == 2  # each relayed once, by one server only
        assert server_errors(first) == [] and server_errors(second) == []
    finally:
        second.kill()
        first.kill()


# ---- several server processes as one, with Redis between them (issue 7) ----------------

ZONE_SCREENS = ("1f-a", "1f-b")  # two more hall screens, to hang on the first floor


@contextmanager
def two_servers(instance: Path, redis_url: str, **settings: str) -> Iterator[tuple[LiveServer, LiveServer]]:
    """Two gunicorn servers (one eventlet worker each) on different ports over one
    database, with `redis_url` as their message queue (and other QUEUE_* `settings`);
    besides the demo devices, hall screens `hall_screen_2`, `1f-a` and `1f-b`."""
    first = LiveServer(instance, environment={"QUEUE_MESSAGE_QUEUE": redis_url, **settings})
    first.prepare()
    for name in ("hall_screen_2", *ZONE_SCREENS):
        add_hall_screen(first, name)
    second = LiveServer(first.instance, environment=first.environment, tokens=first.tokens)
    try:
        first.start()
        second.start()
        yield first, second
        assert server_errors(first) == [] and server_errors(second) == []
    finally:
        second.kill()
        first.kill()


@pytest.fixture
def servers(tmp_path: Path, redis_url: str) -> Iterator[tuple[LiveServer, LiveServer]]:
    """`two_servers` with a redis-server of the test's own."""
    with two_servers(tmp_path / "instance", redis_url) as both:
        yield both


def called_seqs(screen: Screen) -> list[int]:
    return sorted(payload["seq"] for payload in screen.received("ticket_called"))


@pytest.mark.both_workers  # on gevent too (tests/e2e/conftest.py)
def test_two_servers_on_redis_are_one_hall_to_every_screen(
    servers: tuple[LiveServer, LiveServer], connect: Callable[..., Screen], sign_in: SignIn
) -> None:
    """Hall screens on both servers: a call made through either server reaches every
    screen exactly once; one screen speaks for the whole hall across both (the one
    connected first) and the manager sees both screens online on either server. When
    the speaker's screen goes (a kiosk's presence reaches the managers' dashboards on
    either server too), the other one, on the other server, is told it speaks
    now; the screen that went comes back on the other server and catches up with the
    calls it missed; a manager's change reaches a screen on the other server."""
    first, second = servers
    speaker = connect(first, token=first.tokens["hall_screen"])
    assert speaker.subscribe()["screen"]["announcer"] is True
    listener = connect(second, token=first.tokens["hall_screen_2"])
    assert listener.subscribe()["screen"]["announcer"] is False
    guide, manager = sign_in(first, "guide"), sign_in(second, "manager")
    clerks = {1: (first, sign_in(first, "clerk1")), 2: (second, sign_in(second, "clerk2"))}
    for _ in range(6):
        issue(first, guide, item="construction-permit")
    for window, (server, clerk) in clerks.items():
        window_do(server, clerk, window, "open-window")

    tickets = []
    for window, (server, clerk) in [*clerks.items()] * 2:  # first, second, first, second
        tickets.append(window_do(server, clerk, window, "call-next")["ticket"])
        serve_and_finish(server, clerk, window)
    for screen in (speaker, listener):
        screen.wait_for("ticket_called", numbered(tickets[-1]))
    assert sorted(p["ticket"]["number"] for p in speaker.received("ticket_called")) == sorted(tickets)
    assert called_seqs(speaker) == called_seqs(listener)
    assert len(set(called_seqs(speaker))) == 4, "a call reached a screen twice"

    for server in servers:  # each server knows both screens, and the one voice
        listed = screen_devices(server, manager if server is second else sign_in(first, "manager"))
        assert (listed["hall_screen"]["online"], listed["hall_screen"]["announcer"]) == (True, True)
        assert (listed["hall_screen_2"]["online"], listed["hall_screen_2"]["announcer"]) == (True, False)

    # the managers' dashboard: a kiosk on the first server is online in the second's
    # figures, and its going reaches a manager's socket on the second server
    dashboard = connect(second, cookies=manager)
    dashboard.subscribe()
    kiosk = connect(first, token=first.tokens["kiosk"])
    figures = check(manager.get(second.api("/halls/demo/dashboard"), timeout=TIMEOUT), 200)
    devices = {device["name"]: device for device in figures["devices"]}
    assert devices["kiosk"]["online"] and devices["hall_screen_2"]["online"] and devices["hall_screen"]["online"]
    kiosk.client.disconnect()
    went = dashboard.wait_for("device_presence", lambda p: not p["device"]["online"])
    assert went["device"]["id"] == devices["kiosk"]["id"]

    # the speaker's screen goes: the voice moves to the other server's screen at once
    seen_up_to = called_seqs(speaker)[-1]
    speaker.client.disconnect()
    assert listener.wait_for("announcer_changed") == {"announcer": True}
    window_server, clerk = clerks[1]
    missed = window_do(window_server, clerk, 1, "call-next")["ticket"]
    listener.wait_for("ticket_called", numbered(missed))

    # it comes back on the other server and catches up from the last call it drew
    back = connect(second, token=first.tokens["hall_screen"])
    ack = back.subscribe(since=seen_up_to)
    assert "snapshot" not in ack
    caught_up = [event for event in ack["events"] if event["type"] == "ticket_called"]
    assert [event["ticket"]["number"] for event in caught_up] == [missed]
    assert ack["screen"]["announcer"] is False  # the voice stays where it went

    # a manager's change, made on the first server, reaches the screen on the second
    configure(first, sign_in(first, "manager"), "hall_screen_2", rows=5)
    assert listener.wait_for("screen_configured")["settings"]["rows"] == 5


def test_when_a_server_dies_its_screens_voice_moves_to_the_other_server(
    servers: tuple[LiveServer, LiveServer], connect: Callable[..., Screen], sign_in: SignIn
) -> None:
    """The server holding the whole hall's speaker is SIGKILLed: within its presence
    TTL (4 s) the screen on the other server is told it speaks now; the manager sees
    the dead server's screen offline, with the last call it drew."""
    first, second = servers
    speaker = connect(first, token=first.tokens["hall_screen"])
    assert speaker.subscribe()["screen"]["announcer"] is True
    listener = connect(second, token=first.tokens["hall_screen_2"])
    assert listener.subscribe()["screen"]["announcer"] is False
    guide, clerk, manager = sign_in(second, "guide"), sign_in(second, "clerk1"), sign_in(second, "manager")
    issue(second, guide, item="construction-permit")
    window_do(second, clerk, 1, "open-window")
    window_do(second, clerk, 1, "call-next")
    drawn = speaker.wait_for("ticket_called")["seq"]
    assert speaker.client.call("mark_shown", {"seq": drawn}, timeout=TIMEOUT)["ok"]
    assert screen_devices(second, manager)["hall_screen"]["last_shown_seq"] == drawn  # seen across servers

    first.kill()
    assert listener.wait_for("announcer_changed") == {"announcer": True}
    listed = screen_devices(second, manager)
    assert (listed["hall_screen"]["online"], listed["hall_screen"]["announcer"]) == (False, False)
    assert (listed["hall_screen_2"]["online"], listed["hall_screen_2"]["announcer"]) == (True, True)
    eventually(lambda: screen_devices(second, manager)["hall_screen"]["last_shown_seq"] == drawn)


@pytest.mark.both_workers  # on gevent too (tests/e2e/conftest.py)
def test_a_server_asked_to_stop_hands_its_voices_on_without_waiting_to_expire(
    tmp_path: Path, redis_url: str, connect: Callable[..., Screen]
) -> None:
    """SIGTERM to the first server's gunicorn: its worker lets open websockets run for
    the graceful timeout, but takes its screens out of the shared presence at once. With
    PRESENCE_TTL at 60 s the other server's screen can only be told it speaks (within
    the 10 s wait) that way, not by the expiry."""
    with two_servers(tmp_path / "instance", redis_url, QUEUE_PRESENCE_TTL="60") as (first, second):
        speaker = connect(first, token=first.tokens["hall_screen"])
        assert speaker.subscribe()["screen"]["announcer"] is True
        listener = connect(second, token=first.tokens["hall_screen_2"])
        assert listener.subscribe()["screen"]["announcer"] is False
        assert first.process is not None
        first.process.send_signal(signal.SIGTERM)  # the master, as systemd or `kill` would
        assert listener.wait_for("announcer_changed") == {"announcer": True}
        first.process.wait(TIMEOUT)


def test_each_zone_speaks_each_call_once_across_two_servers(
    servers: tuple[LiveServer, LiveServer], open_screen: Callable[..., ScreenPage], sign_in: SignIn
) -> None:
    """Chromium hall screens with a Chinese browser voice, on both servers: two on the
    first floor (1f) and two for the whole hall, each pair split over the servers. A
    call at window 1 (1f) is spoken once on the first floor and once for the whole hall,
    whichever server it was made on; when the first floor's speaking page closes, the
    first floor's page on the other server speaks the next call."""
    first, second = servers
    manager = sign_in(first, "manager")
    for name in ZONE_SCREENS:
        configure(first, manager, name, zone="1f", voice=BRISK_VOICE)
    for name in ("hall_screen", "hall_screen_2"):
        configure(first, manager, name, voice=BRISK_VOICE)
    voice = fake_speech_synthesis([("Ting-Ting", "zh-CN")])
    # opened in this order, the earliest of each pair speaks: 1f on the first server,
    # the whole hall on the second
    floor = {
        name: open_screen(server, "hall", first.tokens[name], init_script=voice)
        for name, server in (("1f-a", first), ("1f-b", second))
    }
    whole = {
        name: open_screen(server, "hall", first.tokens[name], init_script=voice)
        for name, server in (("hall_screen", second), ("hall_screen_2", first))
    }
    assert [page.diagnostics("hq.announcer") for page in (*floor.values(), *whole.values())] == [
        True,
        False,
        True,
        False,
    ]

    guide = sign_in(second, "guide")
    for _ in range(3):
        issue(second, guide, item="construction-permit")
    clerk = sign_in(first, "clerk1")  # the session is good on both servers: one secret key, one database
    window_do(first, clerk, 1, "open-window")
    expected = []
    for server in (first, second):  # a call through each server
        called = window_do(server, clerk, 1, "call-next")["ticket"]
        expected.append(f"请{called}号到1号窗口办理")
        serve_and_finish(server, clerk, 1)
    for speaking, silent in ((floor["1f-a"], floor["1f-b"]), (whole["hall_screen"], whole["hall_screen_2"])):
        assert [entry["text"] for entry in speaking.wait_for_announcements(2)] == expected
        silent.wait_until("hq.shown.length >= 2")
        assert silent.voice_log() == []
        assert_one_at_a_time(speaking.voice_log())

    floor["1f-a"].close()  # taken down: the first floor's page on the other server speaks now
    floor["1f-b"].wait_until("hq.announcer === true")
    called = window_do(first, clerk, 1, "call-next")["ticket"]
    (handed_over,) = floor["1f-b"].wait_for_announcements(1)
    assert handed_over["text"] == f"请{called}号到1号窗口办理"
    assert len(whole["hall_screen"].wait_for_announcements(3)) == 3
    assert whole["hall_screen_2"].voice_log() == []


def test_without_redis_a_second_server_on_the_database_refuses_to_start(tmp_path: Path) -> None:
    """Without a message queue one server serves a database: a second one on it stops
    at start-up with a sentence saying which process holds it and what to do, and the
    first goes on serving, with the command line beside it. Once the first is killed,
    a server starts on the database at once."""
    first = LiveServer(tmp_path / "instance")
    with first.running():
        # a server waits SERVER_LOCK_WAIT seconds (10) for a reloading one to stop; 1 here
        second = LiveServer(first.instance, tokens=first.tokens, environment={"QUEUE_SERVER_LOCK_WAIT": "1"})
        with pytest.raises(RuntimeError, match="server exited with 4"):
            second.start()
        assert second.log_path is not None
        log = second.log_path.read_text()
        assert re.search(
            r"hall-queue cannot start: a server process \(pid \d+ on [^,]+, since [0-9T:-]+Z\) without a message"
            r" queue serves .*hall-queue\.sqlite3\. Without MESSAGE_QUEUE only one server process may serve a"
            r" database: stop the other one, or give every server process the same MESSAGE_QUEUE=redis://",
            log,
        ), log
        assert "App failed to load" in log and "Traceback" not in log
        assert requests.get(first.api("/health"), timeout=TIMEOUT).status_code == 200
        assert "tickets expired" in queue_server(first.instance, "sweep")
        first.kill()
        second.start()  # no lease to wait out: the lock went with the killed process
        second.kill()
    assert server_errors(first) == []


def eventually(condition: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    """Wait for a condition only the HTTP API can tell (there is no event to wait on)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not within the time limit"
        time.sleep(0.1)
