"""Presence and the voice per zone, in one process's memory and shared through a real
Redis by several processes: the same promises behind the same interface, and with Redis
across processes, including one that dies."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
import redis

from queue_server.realtime.presence import Presence, PresenceStore, announce_group
from queue_server.realtime.redis_presence import RedisPresence, RedisUnreachable
from tests.support.live import free_port

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
FIRST_FLOOR = announce_group("demo", zone="1f")
SECOND_FLOOR = announce_group("demo", zone="2f")

# Makes the presence of one server process; with Redis every call makes another process.
Processes = Callable[[], PresenceStore]


@pytest.fixture(params=["memory", "redis"])
def processes(request: pytest.FixtureRequest) -> Iterator[Processes]:
    """`processes()` -> one server process's presence: the same one each time in memory
    (one process alone), a new one each time over the same Redis."""
    if request.param == "memory":
        alone = Presence()
        yield lambda: alone
        return
    url = request.getfixturevalue("redis_url")
    made: list[RedisPresence] = []

    def new_process() -> PresenceStore:
        made.append(RedisPresence(url, ttl=60))
        return made[-1]

    yield new_process
    for presence in made:
        presence.client.close()


def test_the_earliest_screen_speaks_and_the_next_takes_over_when_it_leaves(processes: Processes) -> None:
    one, two = processes(), processes()
    assert one.join("a", 1, "demo", FIRST_FLOOR, NOW) == (True, [])
    assert two.join("b", 2, "demo", FIRST_FLOOR, NOW) == (False, [])
    assert two.join("c", 3, "demo", SECOND_FLOOR, NOW) == (True, [])
    assert one.join("quiet", 4, "demo", None, NOW) == (False, [])
    link, changes = one.leave("a")
    assert link is not None and link.device_id == 1
    assert changes == [("b", True)]
    assert two.leave("b")[1] == []
    assert one.leave("missing") == (None, [])


def test_a_screen_moved_to_another_zone_hands_over_its_old_one(processes: Processes) -> None:
    one, two = processes(), processes()
    one.join("a", 1, "demo", FIRST_FLOOR, NOW)
    two.join("b", 2, "demo", FIRST_FLOOR, NOW)
    assert one.join("a", 1, "demo", SECOND_FLOOR, NOW) == (True, [("b", True)])
    assert two.join("b", 2, "demo", FIRST_FLOOR, NOW) == (True, [])  # a re-subscribe keeps the role


def test_every_process_sees_every_screen_with_its_last_call_and_voice(processes: Processes) -> None:
    one, two = processes(), processes()
    one.join("a", 1, "demo", FIRST_FLOOR, NOW)
    two.join("b", 1, "demo", FIRST_FLOOR, NOW)  # the same device, a second page
    two.join("w", 5, "demo", None, NOW)
    one.seen("a", NOW + timedelta(seconds=5), 7)
    one.seen("a", NOW, 5)  # an older acknowledgement does not take the last call back
    for process in (one, two):
        links = process.links_of([1, 5, 9])
        assert sorted((link.sid, link.announcer, link.last_shown_seq) for link in links[1]) == [
            ("a", True, 7),
            ("b", False, None),
        ]
        assert [(link.sid, link.group) for link in links[5]] == [("w", None)]
        assert links[9] == []
    (gone, _) = one.leave("a")
    assert gone is not None and gone.last_shown_seq == 7 and gone.last_seen == NOW  # what goes to the database


def test_a_device_is_online_while_any_of_its_links_lasts(processes: Processes) -> None:
    """One device may hold many links (the same screen page opened again and again, a
    thousand in the benches): `online` tells whether it has any, and a device whose last
    link left is forgotten."""
    one, two = processes(), processes()
    one.join("a", 1, "demo", FIRST_FLOOR, NOW)
    two.join("b", 1, "demo", FIRST_FLOOR, NOW)
    one.join("c", 2, "demo", None, NOW)
    assert one.online([1, 2, 3]) == {1, 2} == two.online([1, 2, 3])
    one.leave("a")
    assert two.online([1, 2]) == {1, 2}
    two.leave("b")
    one.leave("c")
    assert one.online([1, 2]) == set() == two.online([1, 2])
    assert one.links_of([1, 2]) == {1: [], 2: []}


def test_without_redis_nothing_needs_a_heartbeat() -> None:
    presence = Presence()
    assert presence.beat_seconds is None
    presence.join("a", 1, "demo", FIRST_FLOOR, NOW)
    assert presence.beat(NOW) == ([], [])
    links, changes = presence.close()
    assert [link.sid for link in links] == ["a"] and changes == []


# ---- several processes over one Redis -----------------------------------------------------


def test_a_dead_process_loses_its_screens_and_its_voice_after_its_ttl(redis_url: str) -> None:
    """Process one is killed (it stops beating); once its key has expired, the next
    heartbeat of process two drops its links, tells its old announcer to stop (in case
    it lives on) and gives the voice to the screen on process two."""
    one, two = RedisPresence(redis_url, ttl=0.3), RedisPresence(redis_url, ttl=60)
    assert one.join("a", 1, "demo", FIRST_FLOOR, NOW) == (True, [])
    assert two.join("b", 2, "demo", FIRST_FLOOR, NOW) == (False, [])
    one.seen("a", NOW + timedelta(seconds=1), 4)
    assert two.beat(NOW) == ([], [])  # one is still alive: nothing changes
    _wait_until(lambda: not two.client.exists(f"hall-queue:presence:process:{one.process}"))

    dropped, changes = two.beat(NOW)
    assert [(link.sid, link.device_id, link.last_shown_seq) for link in dropped] == [("a", 1, 4)]
    assert dropped[0].last_seen == NOW + timedelta(seconds=1)
    assert changes == [("a", False), ("b", True)]
    links = two.links_of([1, 2])
    assert links[1] == [] and [(link.sid, link.announcer) for link in links[2]] == [("b", True)]
    assert two.beat(NOW) == ([], [])  # dropped once, by one process


def test_a_screen_joining_a_zone_whose_speaker_died_speaks_at_once(redis_url: str) -> None:
    one, two = RedisPresence(redis_url, ttl=0.3), RedisPresence(redis_url, ttl=60)
    one.join("a", 1, "demo", FIRST_FLOOR, NOW)
    _wait_until(lambda: not two.client.exists(f"hall-queue:presence:process:{one.process}"))
    assert two.join("b", 2, "demo", FIRST_FLOOR, NOW) == (True, [])  # before any sweep


def test_a_process_whose_heartbeat_came_late_registers_its_screens_again(redis_url: str) -> None:
    """Process one's heartbeat stalls past its ttl; process two sweeps its links away
    and takes the voice. When one beats again its screens are back online, silent."""
    one, two = RedisPresence(redis_url, ttl=0.3), RedisPresence(redis_url, ttl=60)
    one.join("a", 1, "demo", FIRST_FLOOR, NOW)
    two.join("b", 2, "demo", FIRST_FLOOR, NOW)
    _wait_until(lambda: not two.client.exists(f"hall-queue:presence:process:{one.process}"))
    assert two.beat(NOW)[1] == [("a", False), ("b", True)]
    dropped, changes = one.beat(NOW)
    assert dropped == [] and changes == [("a", False)]
    assert [link.sid for link in two.links_of([1])[1]] == ["a"]


def test_a_process_that_stops_hands_its_voices_on_at_once(redis_url: str) -> None:
    one, two = RedisPresence(redis_url, ttl=60), RedisPresence(redis_url, ttl=60)
    one.join("a", 1, "demo", FIRST_FLOOR, NOW)
    two.join("b", 2, "demo", FIRST_FLOOR, NOW)
    dropped, changes = one.close()
    assert [link.sid for link in dropped] == ["a"]
    assert changes == [("a", False), ("b", True)]
    assert two.links_of([1]) == {1: []}


def test_redis_going_away_fails_no_subscribe_and_presence_comes_back_with_it(redis_url: str) -> None:
    """Redis stops answering: joining and leaving answer quietly (no voice rather than
    an error on the screen); when it is back, the next heartbeat registers the screens
    that came and went meanwhile."""
    one, two = RedisPresence(redis_url, ttl=60), RedisPresence(redis_url, ttl=60)
    one.join("a", 1, "demo", FIRST_FLOOR, NOW)
    real = one.client.connection_pool
    one.client.connection_pool = redis.ConnectionPool.from_url(f"redis://127.0.0.1:{free_port()}/0")
    assert one.join("b", 2, "demo", FIRST_FLOOR, NOW) == (False, [])
    assert one.leave("a") == (None, [])
    assert one.beat(NOW) == ([], [])
    one.client.connection_pool = real
    assert one.beat(NOW) == ([], [("b", True)])
    assert [link.sid for link in two.links_of([1, 2])[2]] == ["b"]
    assert two.links_of([1])[1] == []


def test_redis_not_answering_at_start_is_said_plainly() -> None:
    with pytest.raises(RedisUnreachable, match="does not answer"):
        RedisPresence(f"redis://127.0.0.1:{free_port()}/0", ttl=4, timeout=0.5)


def _wait_until(condition: Callable[[], bool], timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)  # polling Redis for a key's expiry: there is no event to wait on
