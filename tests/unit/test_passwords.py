"""Password hashes: right and wrong passwords, the unknown user's dummy check, and under
eventlet the hub running other green threads while a hash is computed."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from queue_server.domain.errors import InvalidInput
from queue_server.passwords import Passwords


def test_a_hash_checks_its_own_password_only() -> None:
    passwords = Passwords("threading")
    stored = passwords.hash("right-password")
    assert passwords.check(stored, "right-password")
    assert not passwords.check(stored, "wrong-password")
    assert not passwords.check(None, "right-password")  # no such user: the dummy hash, never a match


def test_a_short_password_is_refused_before_hashing() -> None:
    with pytest.raises(InvalidInput, match="至少 8 位"):
        Passwords("threading").hash("short")


def test_the_async_mode_is_named_never_guessed() -> None:
    with pytest.raises(ValueError, match="unknown async mode"):
        Passwords("asyncio")


# Run in a child process: eventlet's hub should not share a process with the tests that
# run the app under threading.
HUB_PROBE = textwrap.dedent(
    """
    import sys
    import eventlet
    from queue_server.passwords import Passwords

    passwords = Passwords("eventlet", threads=1, on_hub=sys.argv[1] == "on-hub")
    stored = passwords.hash("right-password")
    ticks = []
    checking = [True]

    def other_green_thread():
        while checking[0]:
            ticks.append(1)
            eventlet.sleep(0)

    eventlet.spawn(other_green_thread)
    eventlet.sleep(0)  # let it start
    before = len(ticks)
    for password in ("wrong-password", "right-password", None):
        if password is None:
            assert not passwords.check(None, "anything")  # the unknown user's check too
        else:
            assert passwords.check(stored, password) == (password == "right-password")
    during = len(ticks) - before
    checking[0] = False
    print(during)
    """
)


@pytest.mark.parametrize(("mode", "hub_runs"), [("off-hub", True), ("on-hub", False)], ids=["tpool", "old-way"])
def test_under_eventlet_the_hub_runs_while_a_password_is_checked(mode: str, hub_runs: bool) -> None:
    """The other green thread (a screen's websocket, a /health request) gets turns while
    three hashes are checked in a real thread; the old way, on the hub, it gets none."""
    done = subprocess.run(
        [sys.executable, "-c", HUB_PROBE, mode], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert (int(done.stdout.strip()) > 0) is hub_runs


PRIORITY_PROBE = textwrap.dedent(
    """
    import os
    import threading
    import queue_server.passwords as passwords_module
    from queue_server.passwords import Passwords

    def priority(password):  # stands in for the hash: where and at what priority it ran
        native = threading.get_native_id()
        return f"{native} {os.getpriority(os.PRIO_PROCESS, native)}"

    passwords_module.generate_password_hash = priority
    hashed_in, nice = Passwords("eventlet", threads=1).hash("long-enough-password").split()
    print(hashed_in != str(threading.get_native_id()), nice, os.getpriority(os.PRIO_PROCESS, 0))
    """
)


@pytest.mark.skipif(sys.platform != "linux", reason="the nice value is per thread on Linux only")
def test_hashes_run_in_a_pool_thread_at_a_lower_priority_than_the_hub() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PRIORITY_PROBE], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    other_thread, nice, hub_nice = done.stdout.split()
    assert other_thread == "True" and int(nice) > int(hub_nice)
