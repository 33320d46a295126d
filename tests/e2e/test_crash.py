"""A crash in the middle of issuing loses no acknowledged ticket, reuses no number, and
lets the guidance desk retry safely with its Idempotency-Key."""

from __future__ import annotations

import itertools
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.helpers import GROUP_COMMIT_LOG, TIMEOUT, all_events, check, largest_write_batch, server_errors
from tests.support.live import HALL, LiveServer

pytestmark = pytest.mark.both_workers  # on gevent too (tests/e2e/conftest.py)

SignIn = Callable[[LiveServer, str], requests.Session]
DESKS = 6  # guidance desks issuing at the same time
ACKNOWLEDGED_BEFORE_CRASH = 100
QUEUES = ("comprehensive", "pickup", "social-insurance")


def sequence(number: str) -> int:
    return int(number[1:])


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A live server of the test's own, logging the group commit's batches."""
    with LiveServer(tmp_path / "instance", environment=GROUP_COMMIT_LOG).running() as server:
        yield server


def test_a_crash_while_issuing_loses_no_acknowledged_ticket_and_reuses_no_number(
    fresh_server: LiveServer, sign_in: SignIn
) -> None:
    """Six desks issue tickets as fast as they can, each request with its own
    Idempotency-Key, so that tickets are committed in batches (group commit: one COMMIT
    for the writes that arrive together). After 100 tickets were acknowledged (201) the
    server is killed (SIGKILL, requests and a batch in flight) and started again. Then:

    - every acknowledged ticket is there, with the number the citizen holds;
    - each request that got no answer, retried with its key, is either replayed
      (200, Idempotent-Replayed: true: it had committed) or issued now (201), never both:
      the hall holds exactly one ticket per key;
    - numbers are unique per queue, and the next ticket continues each queue's sequence.
    """
    server = fresh_server
    lock = threading.Lock()
    acknowledged: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}  # key -> (body, ticket)
    unanswered: dict[str, dict[str, Any]] = {}  # key -> body
    unexpected: list[str] = []
    enough = threading.Event()
    queue_of_request = itertools.cycle(QUEUES)

    def desk(session: requests.Session) -> None:
        while True:
            key = str(uuid.uuid4())
            with lock:
                body = {"queue": next(queue_of_request)}
            try:
                response = session.post(
                    server.api(f"/halls/{HALL}/tickets"), json=body, headers={"Idempotency-Key": key}, timeout=TIMEOUT
                )
            except requests.RequestException:
                with lock:
                    unanswered[key] = body  # in flight when the server died, or sent after
                return
            with lock:
                if response.status_code != 201:
                    unexpected.append(f"{response.status_code} {response.text}")
                    return
                acknowledged[key] = (body, response.json())
                if len(acknowledged) >= ACKNOWLEDGED_BEFORE_CRASH:
                    enough.set()

    desks = [threading.Thread(target=desk, args=(sign_in(server, "guide"),), daemon=True) for _ in range(DESKS)]
    for thread in desks:
        thread.start()
    assert enough.wait(timeout=60), f"only {len(acknowledged)} tickets acknowledged; unexpected answers: {unexpected}"
    batched = largest_write_batch(server)
    server.kill()
    for thread in desks:
        thread.join(timeout=TIMEOUT + 5)
    assert not any(thread.is_alive() for thread in desks)
    assert unexpected == []
    assert len(unanswered) == DESKS  # each desk stopped at its first unanswered request
    assert batched > 1, "no COMMIT held more than one ticket: the test did not exercise group commit"

    server.start()
    guide, manager = sign_in(server, "guide"), sign_in(server, "manager")

    # Every acknowledged ticket survived, as the citizen holds it.
    for body, ticket in acknowledged.values():
        stored = check(guide.get(server.api(f"/halls/{HALL}/tickets/{ticket['id']}"), timeout=TIMEOUT), 200)
        assert (stored["number"], stored["queue"], stored["status"]) == (ticket["number"], body["queue"], "waiting")

    # Retrying with the same key never makes a second ticket.
    ticket_of_key = {key: ticket for key, (_, ticket) in acknowledged.items()}
    outcomes: Counter[str] = Counter()
    retried = list(unanswered.items()) + [(key, body) for key, (body, _) in list(acknowledged.items())[:5]]
    for key, body in retried:
        response = guide.post(
            server.api(f"/halls/{HALL}/tickets"), json=body, headers={"Idempotency-Key": key}, timeout=TIMEOUT
        )
        assert response.status_code in (200, 201), response.text
        ticket = response.json()
        if response.status_code == 200:
            assert response.headers.get("Idempotent-Replayed") == "true"
            outcomes["replayed"] += 1
        else:
            assert "Idempotent-Replayed" not in response.headers
            outcomes["issued now"] += 1
        if key in ticket_of_key:  # an acknowledged one: the same ticket again
            assert response.status_code == 200
            assert (ticket["id"], ticket["number"]) == (ticket_of_key[key]["id"], ticket_of_key[key]["number"])
        ticket_of_key[key] = ticket
    assert outcomes["replayed"] >= 5

    issued = [event["ticket"] for event in all_events(server, manager) if event["type"] == "ticket_issued"]
    assert len(issued) == len(ticket_of_key), "a ticket without a key of its own: a duplicate"
    assert {ticket["id"] for ticket in issued} == {ticket["id"] for ticket in ticket_of_key.values()}
    per_queue = Counter((ticket["queue"], ticket["number"]) for ticket in issued)
    assert [entry for entry, n in per_queue.items() if n > 1] == [], "a number given twice in a queue"

    # New tickets continue each queue's sequence.
    for queue in QUEUES:
        highest = max(sequence(ticket["number"]) for ticket in issued if ticket["queue"] == queue)
        response = guide.post(
            server.api(f"/halls/{HALL}/tickets"),
            json={"queue": queue},
            headers={"Idempotency-Key": str(uuid.uuid4())},
            timeout=TIMEOUT,
        )
        assert sequence(check(response, 201)["number"]) == highest + 1, queue
    assert server_errors(server) == []
