"""A stateful hunt for a sequence of operations that breaks the hall's rules.

A Hypothesis state machine drives the real services over a real SQLite file with
random operations: tickets issued by item, bundle or queue (some with priority, some
with an ID number from a small pool, by a guide or a kiosk), windows opened, paused,
resumed and closed by different clerks, every call and service action, transfers,
suspensions, cancellations, a manager's release and sweep, the clock moved across
service days, hall files changed (now or for the next day) and the server restarted.

After every step the hall must satisfy `invariants.violations` and match an
independent model (`tests.support.hall_model`) which predicts which operations are
refused, which ticket `call_next` calls, and every ticket's number and status.

`HYPOTHESIS_PROFILE=long` runs a much longer, randomised hunt, for use by hand.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from queue_server import auth
from queue_server.app import close_app, create_app
from queue_server.domain import invariants
from queue_server.domain.access import Citizen, Principal, Role
from queue_server.domain.errors import DomainError
from queue_server.domain.ratings import RatingLevel
from queue_server.domain.tickets import Outcome, PriorityClass
from queue_server.services import IssueRequest, Services
from tests.conftest import MONDAY_10AM_SHANGHAI, PASSWORD, TEST_CONFIG, Clock
from tests.support import hall_model as hm
from tests.support.hall_model import CALLED, CLOSED, HELD, NO_SHOW, OPEN, OPENED, PAUSED, SERVING, SUSPENDED, WAITING

CLERKS = ("clerk1", "clerk2", "clerk3", "clerk4")
# A few windows of each kind, so that clerks keep meeting the same tickets: comprehensive
# (1, 4 and 6 share it at different ranks), pickup (5), enterprise (11, recallable),
# social insurance (13, requeue after 5), household (14, void) and cross-province (15,
# which also serves household), the reflection window (18).
WINDOWS = (1, 4, 5, 6, 11, 13, 14, 15, 18)
QUEUES = (
    "comprehensive",
    "pickup",
    "enterprise",
    "social-insurance",
    "household",
    "cross-province",
    "reflection",
    "household2",  # household renamed by a hall file
    "business",  # enterprise renamed
)
ITEMS = (
    "construction-permit",
    "certificate-pickup",
    "company-seal",
    "pension-transfer",
    "id-card",
    "cross-province-medical",
    "cannot-get-it-done",
)
BUNDLES = ("newborn", "enterprise-start")


def _resident_id(body: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


ID_NUMBERS = (_resident_id("11010519491231002"), _resident_id("44030419900101123"), "E12345678")
BAD_ID = "110105194912310020"  # the check digit is wrong
# Mostly without an ID number; now and then a bad one, an idempotency key, or someone
# who may not issue at all.
ID_CHOICES = (None, None, *ID_NUMBERS, *ID_NUMBERS, BAD_ID)
KEY_CHOICES = (*[None] * 10, "key-1", "key-2")
ISSUERS = ("guide", "guide", "guide", "kiosk", "kiosk", "manager", "clerk1")
WHAT = st.one_of(
    st.tuples(st.just("queue"), st.sampled_from(QUEUES)),
    st.tuples(st.just("item"), st.sampled_from(ITEMS)),
    st.tuples(st.just("bundle"), st.sampled_from(BUNDLES)),
)
FINISH_ITEMS = st.one_of(st.none(), st.lists(st.sampled_from((*ITEMS, "no-such-item")), max_size=2))
TO_QUEUE = st.one_of(st.none(), st.sampled_from((*QUEUES, "real-estate")))  # real-estate: no window of ours serves it
TO_WINDOW = st.one_of(st.none(), st.sampled_from(WINDOWS))
PRIORITY = st.one_of(st.none(), st.none(), st.sampled_from(PriorityClass))

_QUIET = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]
PROFILES = {
    # CI: the same examples every run (no randomness, no example database), about a minute.
    "default": settings(
        max_examples=100,
        stateful_step_count=100,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=_QUIET,
    ),
    # By hand, to hunt: HYPOTHESIS_PROFILE=long pytest tests/integration/test_hall_invariants.py
    # Random examples, longer runs; a failure is saved in .hypothesis/ and replayed first.
    "long": settings(max_examples=1000, stateful_step_count=150, deadline=None, suppress_health_check=_QUIET),
}


class HallMachine(RuleBasedStateMachine):
    """The demo hall, driven through `Services`, checked against `hall_model.Model`."""

    template: Path
    principals: dict[str, Principal]

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="hall-machine-"))
        shutil.copytree(self.template, self.folder / "instance")
        self.clock = Clock(MONDAY_10AM_SHANGHAI)
        self.app = self._start()
        self.model = hm.Model.start(self.clock.now)
        self.user_ids = {name: p.user_id for name, p in self.principals.items() if p.user_id is not None}
        self.digests: dict[str, str] = {}  # ID number -> its digest as stored

    def _start(self) -> Flask:
        # No fsync at every commit: durability is not what this test is about (the e2e
        # crash test is), and thousands of commits a run would wait on the disk.
        config = {**TEST_CONFIG, "CLOCK": self.clock, "DB_SYNCHRONOUS": "NORMAL"}
        return create_app(config, instance_path=str(self.folder / "instance"))

    @property
    def services(self) -> Services:
        return self.app.extensions["hall_queue"]["services"]  # type: ignore[no-any-return]

    @property
    def now(self) -> datetime:
        return self.clock.now

    def teardown(self) -> None:
        close_app(self.app)
        shutil.rmtree(self.folder, ignore_errors=True)

    # ---- running one operation against the model ------------------------------------

    def attempt(
        self,
        label: str,
        trial: hm.Model,
        refusals: set[str],
        run: Callable[[], tuple[dict[str, Any], Any]],
        check: Callable[[dict[str, Any]], None] | None = None,
    ) -> dict[str, Any] | None:
        """Run one use case. A refusal must be one the model expects; success must be
        expected too, and then `trial` (the model after the operation) becomes the model.
        Any exception other than a `DomainError` fails the test."""
        try:
            result, events = run()
        except DomainError as error:
            assert refusals, f"{label}: refused ({error.code}: {error.detail}); the model expected success"
            assert error.code in refusals, (
                f"{label}: refused with {error.code} ({error.detail}); the model expected one of {sorted(refusals)}"
            )
            return None
        if check is not None:
            check(result)
        assert not refusals, f"{label}: succeeded; the model expected a refusal: {sorted(refusals)} ({result})"
        self.counts_agree(label, trial, events)
        self.model = trial
        return result

    @staticmethod
    def counts_agree(label: str, trial: hm.Model, events: Any) -> None:
        """A counter keeps each queue's waiting count from the last event that carries it
        (screens never re-read): after an operation, that count is the hall's."""
        last: dict[str, int] = {}
        for event in events if isinstance(events, list) else []:
            last.update(event.data.get("waiting") or {})
        for queue, count in last.items():
            expected = sum(1 for t in trial.tickets.values() if t.status == WAITING and t.queue == queue)
            assert count == expected, f"{label}: its events say {count} wait in {queue}, the hall has {expected}"

    def who(self, name: str) -> Principal:
        return self.principals[name]

    def ticket_id(self, view: dict[str, Any]) -> int:
        """The ticket's id: staff see it; a kiosk sees its ticket by its public reference."""
        if "id" in view:
            return int(view["id"])
        with self.app.extensions["hall_queue"]["store"].read() as db:
            return int(db.execute("SELECT id FROM tickets WHERE ref = ?", [view["ref"]]).fetchone()[0])

    def worker(self, data: st.DataObject, number: int) -> str:
        """Usually the clerk signed in at the window, sometimes any clerk."""
        holder = self.model.windows[number].clerk if number in self.model.windows else None
        # the simplest draw (0) is the usual case: Hypothesis leans towards it
        if holder is not None and data.draw(st.integers(0, 4), label="someone else") < 4:
            return holder
        return data.draw(st.sampled_from(CLERKS), label="clerk")

    def window(self, data: st.DataObject, state: str = "working") -> int:
        """Usually a window in the `state` the action needs, sometimes any: "working"
        (open or paused), "open" and idle (to call), "holding" a ticket, "paused"."""
        windows = {n: self.model.windows[n] for n in WINDOWS if n in self.model.windows}
        wanted = {
            "working": lambda w: w.status != CLOSED,
            "open": lambda w: w.status == OPENED and w.ticket is None,
            "holding": lambda w: w.ticket is not None,
            "paused": lambda w: w.status == PAUSED,
        }[state]
        if state == "working":  # closing or releasing a window that tickets were sent to is the hard case
            sent = {t.target_window for t in self.model.tickets.values() if t.status == WAITING}
            if sent & set(windows) and data.draw(st.booleans(), label="any working window"):
                wanted = lambda w: w.status != CLOSED and any(windows.get(n) is w for n in sent)  # noqa: E731
        likely = [n for n, w in windows.items() if wanted(w)] or [n for n, w in windows.items() if w.status != CLOSED]
        # the simplest draw (0) is the usual case: Hypothesis leans towards it
        if likely and data.draw(st.integers(0, 3), label="any window") < 3:
            return data.draw(st.sampled_from(likely), label="window")
        return data.draw(st.sampled_from(WINDOWS), label="window")

    def window_for(self, data: st.DataObject, ticket_number: str, *, own: bool = False) -> int:
        """Usually an open, idle window that may take this ticket: the window it was sent
        to, or one serving its queue (`own`: or the window it was last at); else any."""
        ticket = self.model.today(ticket_number)
        windows = self.model.windows
        fitting: list[int] = []
        if ticket is not None:
            fitting = [
                n
                for n in WINDOWS
                if n in windows
                and windows[n].status == OPENED
                and windows[n].ticket is None
                and (
                    n == ticket.target_window
                    or (ticket.target_window is None and ticket.queue in self.model.rules.windows[n])
                    or (own and n == ticket.window)
                )
            ]
        if fitting and data.draw(st.integers(0, 3), label="any window") < 3:
            return data.draw(st.sampled_from(fitting), label="window")
        return self.window(data, "open")

    def ticket_number(self, data: st.DataObject) -> str:
        """Usually one of today's numbers that could be called (waiting, or a no-show);
        else one called or served at a window right now, any of today's, or one that may
        not exist. (The first kind that has any, from the one drawn.)"""
        today = [t for t in self.model.tickets.values() if t.day == self.model.open_day]
        kinds = [
            sorted(t.number for t in today if t.status == WAITING),
            sorted(t.number for t in today if t.status == NO_SHOW),
            sorted(t.number for t in today if t.status in HELD),
            sorted(t.number for t in today),
            ["A001", "C002", "E001", "F001", "Z999"],
        ]
        choice = data.draw(st.integers(0, 6), label="which number")
        numbers = next(k for k in kinds[{0: 0, 1: 0, 2: 1, 3: 1, 4: 2, 5: 3, 6: 4}[choice] :] if k)
        return data.draw(st.sampled_from(numbers), label="number")

    def check_call(self, number: int) -> Callable[[dict[str, Any]], None]:
        """Whatever the call chose: a ticket is never called while it is called or served
        elsewhere, nor again once it is done, cancelled or expired."""

        def check(view: dict[str, Any]) -> None:
            assert view["ticket_status"] == CALLED, view
            before = self.model.tickets.get(view["ticket_id"])
            assert before is not None, f"window {number} called an unknown ticket: {view}"
            assert before.status not in HELD, (
                f"{before.number} was called at window {number} while {before.status} at window {before.window}"
            )
            assert before.status in (WAITING, NO_SHOW), (
                f"{before.number} was called at window {number} although it is {before.status}"
            )

        return check

    def in_hand(self, trial: hm.Model, number: int, clerk: str, allowed: frozenset[str]) -> tuple[set[str], Any]:
        """The window's ticket for an action that `allowed` statuses permit."""
        refusals = trial.clerk_here(number, clerk)
        if refusals:
            return refusals, None
        ticket = trial.held(number)
        if ticket is None:
            return {"no_current_ticket"}, None
        if ticket.status not in allowed:
            return {"invalid_transition"}, None
        return set(), ticket

    # ---- the one rule: someone in the hall acts ---------------------------------------
    #
    # One rule that picks an action, weighted as a day in the hall goes: mostly tickets
    # issued, called, started and finished. (Hypothesis would choose evenly among rules
    # of their own, and its swarm testing often leaves all but one or two of them out of
    # a run: whole runs of hall-file changes with no clerk at work.)

    ACTIONS = (
        *("issue",) * 8,
        *("crowd_arrives",) * 2,
        *("call_next",) * 8,
        *("start_service",) * 5,
        *("finish_service",) * 5,
        *("open_window",) * 5,
        *("time_passes",) * 4,
        *("mark_no_show",) * 3,
        *("transfer",) * 3,
        *("call_number",) * 2,
        *("suspend",) * 2,
        *("resume_ticket",) * 2,
        *("cancel",) * 2,
        *("change_hall_file",) * 3,
        *("recall",) * 2,
        "pause_window",
        "resume_window",
        "close_window",
        "sign_out",
        "release_window",
        "manager_pauses",
        "manager_resumes",
        "manager_closes",
        "sweep",
        "restart",
        "timer_rolls_days",
        *("rate",) * 3,
    )

    AT_A_WINDOW = frozenset(
        {"call_next", "call_number", "start_service", "finish_service", "mark_no_show", "transfer", "suspend"}
        | {"resume_ticket", "recall", "pause_window", "resume_window"}
    )

    @rule(data=st.data(), action=st.sampled_from(ACTIONS))
    def step(self, data: st.DataObject, action: str) -> None:
        nobody_works = all(w.status == CLOSED for w in self.model.windows.values())
        if action in self.AT_A_WINDOW and nobody_works and data.draw(st.integers(0, 3), label="as drawn") < 3:
            action = "open_window"  # most of the time, someone sits down first
        supervised = {
            "manager_pauses": self.pause_window,
            "manager_resumes": self.resume_window,
            "manager_closes": self.close_window,
        }
        if action in supervised:
            supervised[action](data, manager=True)
        else:
            getattr(self, action)(data)

    # ---- tickets --------------------------------------------------------------------

    def issue(self, data: st.DataObject) -> None:
        """A ticket is issued at the desk or a kiosk; half the time for a queue that an
        open window serves."""
        issuer = data.draw(st.sampled_from(ISSUERS), label="issuer")
        what = data.draw(WHAT, label="what")
        priority = data.draw(PRIORITY, label="priority")
        served = sorted(
            {q for n, w in self.model.windows.items() if w.status == OPENED for q in self.model.rules.windows[n]}
        )
        if served and not data.draw(st.booleans(), label="for any queue"):
            what = ("queue", data.draw(st.sampled_from(served), label="queue"))
        id_number = data.draw(st.sampled_from(ID_CHOICES), label="id_number")
        key = data.draw(st.sampled_from(KEY_CHOICES), label="key")
        self._issue(issuer, what, priority, id_number, key)

    def crowd_arrives(self, data: st.DataObject) -> None:
        """Several citizens at once for one queue, some with priority: a line long enough
        for ranks and the cap on priority calls in a row to matter."""
        served = sorted({q for n in WINDOWS if n in self.model.windows for q in self.model.rules.windows[n]})
        queue = data.draw(st.sampled_from(served), label="queue")
        for priority in data.draw(st.lists(PRIORITY, min_size=2, max_size=6), label="priorities"):
            self._issue("guide", ("queue", queue), priority, None, None)

    def _issue(
        self, issuer: str, what: tuple[str, str], priority: PriorityClass | None, id_number: str | None, key: str | None
    ) -> None:
        kind, code = what
        trial = self.model.rolled(self.now)
        refusals: set[str] = set()
        fingerprint = (kind, code, priority, id_number)
        replayed: int | None = None
        new: hm.Ticket | None = None
        rules = trial.rules
        queue = {"queue": code, "item": rules.items.get(code), "bundle": rules.bundles.get(code)}[kind]
        if id_number == BAD_ID:
            refusals = {"invalid_input"}  # read before anything else
        elif issuer == "clerk1":
            refusals = {"forbidden"}
        elif key is not None and key in trial.idempotency:
            kept, replayed, _at = trial.idempotency[key]
            if kept != fingerprint:
                refusals = {"idempotency_key_reused"}
        elif queue is None or queue not in rules.queues:
            refusals = {"not_found"}
        else:
            if not rules.issuing(queue, self.now):
                refusals.add("queue_closed")
            if id_number is not None and trial.open_for_id(queue, id_number) is not None:
                refusals.add("duplicate_ticket")
            if trial.issued.get((trial.open_day, queue), 0) >= rules.queues[queue].daily_cap:
                refusals.add("queue_full")
            prefix = rules.queues[queue].prefix
            sequence = trial.counters.get((trial.open_day, prefix), 0) + 1
            new = hm.Ticket(
                id=0,
                number=f"{prefix}{sequence:03d}",
                day=trial.open_day,
                queue=queue,
                status=WAITING,
                priority=priority is not None,
                channel="kiosk" if issuer == "kiosk" else "desk",
                id_number=id_number,
            )
            trial.counters[(trial.open_day, prefix)] = sequence
            trial.issued[(trial.open_day, queue)] = trial.issued.get((trial.open_day, queue), 0) + 1

        def check(view: dict[str, Any]) -> None:
            if replayed is not None:
                assert view.get("replayed") and self.ticket_id(view) == replayed, view
                return
            assert new is not None and not refusals, f"issued {view['number']} unexpectedly"
            assert view["number"] == new.number, f"issued {view['number']}; the model expected {new.number}"
            # the printed ticket says how many of its line are expected to be called before it
            # (docs/estimates.md): everyone in the line for an ordinary ticket behind ordinary
            # ones only; fewer for a priority ticket, or behind priority ones the cap holds back
            line = trial.waiting_line(new.queue)
            ahead = len(line)
            if new.priority or any(t.priority for t in line):
                assert 0 <= view["people_ahead"] <= ahead, f"{new.number}: {view['people_ahead']} ahead of {ahead}"
            else:
                assert view["people_ahead"] == ahead, f"{new.number}: {view['people_ahead']} ahead, not {ahead}"
            new.id = self.ticket_id(view)
            trial.tickets[new.id] = new
            if key is not None:
                trial.idempotency[key] = (fingerprint, new.id, self.now)

        request = IssueRequest(priority=priority, id_number=id_number, **{kind: code})
        self.attempt(
            f"issue {kind}={code} priority={priority} id={id_number} key={key} by {issuer}",
            trial,
            refusals,
            lambda: self.services.issue_ticket(self.who(issuer), "demo", request, self.now, idempotency_key=key),
            check,
        )

    def cancel(self, data: st.DataObject) -> None:
        by = data.draw(st.sampled_from(("guide", "guide", "manager", "kiosk")), label="by")
        ids = [*sorted(self.model.tickets), 999_999]
        ticket_id = data.draw(st.sampled_from(ids), label="ticket")
        trial = self.model.rolled(self.now)
        ticket = trial.tickets.get(ticket_id)
        if by == "kiosk":
            refusals = {"forbidden"}
        elif ticket is None:
            refusals = {"not_found"}
        elif ticket.status not in (WAITING, NO_SHOW, SUSPENDED):
            refusals = {"invalid_transition"}
        else:
            refusals = set()
            ticket.status = hm.CANCELLED
        self.attempt(
            f"cancel ticket {ticket_id} by {by}",
            trial,
            refusals,
            lambda: self.services.cancel_ticket(self.who(by), "demo", ticket_id, "test", self.now),
        )

    # ---- windows --------------------------------------------------------------------

    @initialize(
        openings=st.lists(st.tuples(st.sampled_from(CLERKS), st.sampled_from(WINDOWS)), max_size=4),
        issues=st.lists(st.tuples(st.sampled_from(ISSUERS), WHAT, PRIORITY, st.sampled_from(ID_CHOICES)), max_size=8),
    )
    def a_morning_in_the_hall(
        self,
        openings: list[tuple[str, int]],
        issues: list[tuple[str, tuple[str, str], PriorityClass | None, str | None]],
    ) -> None:
        """Start from a hall where some clerks sit at windows and some citizens wait."""
        for clerk, number in openings:
            self._open(clerk, number)
        for issuer, what, priority, id_number in issues:
            self._issue(issuer, what, priority, id_number, None)

    def open_window(self, data: st.DataObject) -> None:
        """Usually a clerk not yet at a window, at a closed one."""
        free = [c for c in CLERKS if self.model.clerk_window(c) is None]
        closed = [n for n in WINDOWS if n in self.model.windows and self.model.windows[n].status == CLOSED]
        if free and closed and data.draw(st.integers(0, 3), label="anyone anywhere") < 3:
            clerk = data.draw(st.sampled_from(free), label="clerk")
            number = data.draw(st.sampled_from(closed), label="window")
        else:
            clerk = data.draw(st.sampled_from(CLERKS), label="clerk")
            number = data.draw(st.sampled_from(WINDOWS), label="window")
        self._open(clerk, number)

    def _open(self, clerk: str, number: int) -> None:
        trial = self.model.rolled(self.now)
        refusals: set[str] = set()
        if number not in trial.windows:
            refusals = {"not_found"}
        elif not trial.may_open(number, clerk):
            refusals = {"window_not_allowed"}  # the hall file names the window's clerks
        else:
            window = trial.windows[number]
            if window.status != CLOSED:
                if window.clerk != clerk:
                    refusals = {"window_taken"}
            elif trial.clerk_window(clerk) is not None:
                refusals = {"conflict"}
            else:
                window.status, window.clerk = OPENED, clerk
        self.attempt(
            f"{clerk} opens window {number}",
            trial,
            refusals,
            lambda: self.services.open_window(self.who(clerk), "demo", number, self.now),
        )

    def _supervised(self, trial: hm.Model, number: int, who: str) -> set[str]:
        """Who may pause, resume or close a window: its clerk, or a manager."""
        if number not in trial.windows:
            return {"not_found"}
        return set() if who == "manager" else trial.clerk_here(number, who)

    def close_window(self, data: st.DataObject, manager: bool = False) -> None:
        number = self.window(data)
        who = "manager" if manager else self.worker(data, number)
        trial = self.model.rolled(self.now)
        refusals = self._supervised(trial, number, who)
        if not refusals:
            window = trial.windows[number]
            if window.ticket is not None:
                refusals = {"window_busy"}
            elif window.status != CLOSED:
                window.status, window.clerk = CLOSED, None
                trial.return_sent(number)
        self.attempt(
            f"{who} closes window {number}",
            trial,
            refusals,
            lambda: self.services.close_window(self.who(who), "demo", number, self.now),
        )

    def pause_window(self, data: st.DataObject, manager: bool = False) -> None:
        number = self.window(data)
        who = "manager" if manager else self.worker(data, number)
        trial = self.model.rolled(self.now)
        refusals = self._supervised(trial, number, who)
        if not refusals:
            window = trial.windows[number]
            if window.status != OPENED:
                refusals.add("window_not_open")
            if window.ticket is not None:
                refusals.add("window_busy")
            if not refusals:
                window.status = PAUSED
        self.attempt(
            f"{who} pauses window {number}",
            trial,
            refusals,
            lambda: self.services.pause_window(self.who(who), "demo", number, "break", self.now),
        )

    def resume_window(self, data: st.DataObject, manager: bool = False) -> None:
        number = self.window(data, "paused")
        who = "manager" if manager else self.worker(data, number)
        trial = self.model.rolled(self.now)
        refusals = self._supervised(trial, number, who)
        if not refusals:
            if trial.windows[number].status != PAUSED:
                refusals = {"conflict"}
            else:
                trial.windows[number].status = OPENED
        self.attempt(
            f"{who} resumes window {number}",
            trial,
            refusals,
            lambda: self.services.resume_window(self.who(who), "demo", number, self.now),
        )

    def release_window(self, data: st.DataObject) -> None:
        by = data.draw(st.sampled_from(("manager", "manager", "clerk1")), label="by")
        number = self.window(data)
        trial = self.model.rolled(self.now)
        refusals: set[str] = set()
        if by != "manager":  # who asks comes before which windows exist (domain.access.require)
            refusals = {"forbidden"}
        elif number not in trial.windows:
            refusals = {"not_found"}
        else:
            window = trial.windows[number]
            if window.status == CLOSED and window.ticket is None:
                refusals = {"conflict"}
            else:
                held = trial.held(number)
                if held is not None:
                    held.status, held.window, held.target_window = WAITING, None, None
                window.status, window.clerk, window.ticket = CLOSED, None, None
                trial.return_sent(number)
        self.attempt(
            f"{by} releases window {number}",
            trial,
            refusals,
            lambda: self.services.release_window(self.who(by), "demo", number, "left", self.now),
        )

    def sign_out(self, data: st.DataObject) -> None:
        """Signing out closes the clerk's window when nothing is in its hands."""
        clerk = data.draw(st.sampled_from(CLERKS), label="clerk")
        number = self.model.clerk_window(clerk)
        if number is not None and self.model.windows[number].ticket is None:
            trial = self.model.rolled(self.now)
            if trial.open_day == self.model.open_day:  # else the day closed the window: the close is refused
                trial.windows[number].status, trial.windows[number].clerk = CLOSED, None
                trial.return_sent(number)
                self.model = trial
        self.services.sign_out(self.who(clerk), self.now)

    # ---- calls ----------------------------------------------------------------------

    def call_next(self, data: st.DataObject) -> None:
        number = self.window(data, "open")
        clerk = self.worker(data, number)
        trial = self.model.rolled(self.now)
        refusals = trial.clerk_here(number, clerk) or trial.ready_to_call(number)
        chosen = None
        if not refusals:
            chosen = trial.next_for(number)
            if chosen is None:
                refusals = {"nothing_waiting"}
            else:
                if chosen.target_window is None:
                    key = (trial.open_day, chosen.queue)
                    counts = chosen.priority and trial.rules.cap(chosen.queue) > 0
                    trial.streaks[key] = trial.streaks.get(key, 0) + 1 if counts else 0
                trial.call_here(chosen, number, clerk)
                trial.invited.pop(number, None)  # the window's next call closes its pad's rating
        check_call = self.check_call(number)

        def check(view: dict[str, Any]) -> None:
            check_call(view)
            if chosen is not None and view["ticket_id"] != chosen.id:
                waiting = sorted(
                    (t.place or "", t.number, t.queue, t.priority, t.target_window)
                    for t in self.model.tickets.values()
                    if t.status == WAITING
                )
                raise AssertionError(
                    f"window {number} called {view['ticket']}; the routing model expected {chosen.number}."
                    f" Waiting (place, number, queue, priority, sent to): {waiting};"
                    f" streaks {self.model.streaks}"
                )

        self.attempt(
            f"{clerk} calls next at window {number}",
            trial,
            refusals,
            lambda: self.services.call_next(self.who(clerk), "demo", number, self.now),
            check,
        )

    def call_number(self, data: st.DataObject) -> None:
        ticket_number = self.ticket_number(data)
        number = self.window_for(data, ticket_number)
        clerk = self.worker(data, number)
        # out of the line's order a call needs a reason (domain.counter): sometimes given
        reason = data.draw(st.sampled_from([None, "材料齐全，先办"]), label="reason")
        trial = self.model.rolled(self.now)
        refusals = trial.clerk_here(number, clerk) or trial.ready_to_call(number)
        if not refusals:
            ticket = trial.today(ticket_number)
            refusals = {"not_found"} if ticket is None else trial.callable_by_number(ticket, number)
            if ticket is not None and not refusals and reason is None and trial.out_of_order(ticket, number):
                refusals = {"reason_required"}
            if ticket is not None and not refusals:
                trial.call_here(ticket, number, clerk)
                trial.invited.pop(number, None)
        self.attempt(
            f"{clerk} calls {ticket_number} at window {number} (reason: {reason})",
            trial,
            refusals,
            lambda: self.services.call_number(self.who(clerk), "demo", number, ticket_number, self.now, reason=reason),
            self.check_call(number),
        )

    def recall(self, data: st.DataObject) -> None:
        number = self.window(data, "holding")
        clerk = self.worker(data, number)
        trial = self.model.rolled(self.now)
        refusals, _ticket = self.in_hand(trial, number, clerk, frozenset({CALLED}))
        self.attempt(
            f"{clerk} recalls at window {number}",
            trial,
            refusals,
            lambda: self.services.recall(self.who(clerk), "demo", number, self.now),
        )

    def mark_no_show(self, data: st.DataObject) -> None:
        number = self.window(data, "holding")
        clerk = self.worker(data, number)
        trial = self.model.rolled(self.now)
        refusals, ticket = self.in_hand(trial, number, clerk, frozenset({CALLED}))
        if ticket is not None:
            queue = trial.rules.queues[ticket.queue]
            trial.windows[number].ticket = None
            ticket.no_shows += 1
            if queue.policy == "requeue" and ticket.no_shows == 1:
                # back in line behind the first `requeue_after` people waiting now
                line = trial.waiting_line(ticket.queue)
                after = queue.requeue_after
                ticket.status, ticket.window = WAITING, None
                if after > 0 and line:
                    ticket.place = None
                    ticket.after = line[min(after, len(line)) - 1].place
                    ticket.before = line[after].place if len(line) > after else None
            else:
                ticket.status = NO_SHOW
        self.attempt(
            f"{clerk} marks a no-show at window {number}",
            trial,
            refusals,
            lambda: self.services.mark_no_show(self.who(clerk), "demo", number, self.now),
        )

    # ---- service --------------------------------------------------------------------

    def start_service(self, data: st.DataObject) -> None:
        number = self.window(data, "holding")
        clerk = self.worker(data, number)
        trial = self.model.rolled(self.now)
        refusals, ticket = self.in_hand(trial, number, clerk, frozenset({CALLED}))
        if ticket is not None:
            ticket.status = SERVING
        self.attempt(
            f"{clerk} starts service at window {number}",
            trial,
            refusals,
            lambda: self.services.start_service(self.who(clerk), "demo", number, self.now),
        )

    def finish_service(self, data: st.DataObject) -> None:
        outcome = data.draw(st.sampled_from(Outcome), label="outcome")
        items = data.draw(FINISH_ITEMS, label="items")
        number = self.window(data, "holding")
        clerk = self.worker(data, number)
        trial = self.model.rolled(self.now)
        refusals, ticket = self.in_hand(trial, number, clerk, frozenset({SERVING}))
        if ticket is not None:
            if any(code not in trial.rules.items for code in items or ()):
                refusals = {"invalid_input"}
            else:
                ticket.status = hm.DONE
                trial.windows[number].ticket = None
                trial.finished_here(ticket, number, self.now)
        self.attempt(
            f"{clerk} finishes at window {number} ({outcome}, items {items})",
            trial,
            refusals,
            lambda: self.services.finish_service(self.who(clerk), "demo", number, outcome, self.now, items=items),
        )

    def transfer(self, data: st.DataObject) -> None:
        """To another queue, or to a window: usually one that is worked and serves the
        queue, sometimes any (closed, or not serving it)."""
        number = self.window(data, "holding")
        clerk = self.worker(data, number)
        held = self.model.held(number)
        # the same person's other open tickets: their queues are where the one-per-ID rule bites
        taken = sorted(
            t.queue
            for t in self.model.tickets.values()
            if held is not None and held.id_number and t.id_number == held.id_number and t.status in OPEN
        )
        if held is not None and len(taken) > 1 and data.draw(st.integers(0, 2), label="to any queue") < 1:
            to_queue: str | None = data.draw(
                st.sampled_from([q for q in taken if q != held.queue] or taken), label="to_queue"
            )
        else:
            to_queue = data.draw(TO_QUEUE, label="to_queue")
        queue = to_queue if to_queue is not None or held is None else held.queue
        targets = [
            n
            for n, w in self.model.windows.items()
            if n != number and w.status != CLOSED and queue in self.model.rules.windows[n]
        ]
        if targets and data.draw(st.integers(0, 2), label="to any window") < 1:
            to_window: int | None = data.draw(st.sampled_from(sorted(targets)), label="to_window")
        else:
            to_window = data.draw(TO_WINDOW, label="to_window")
        trial = self.model.rolled(self.now)
        refusals, ticket = self.in_hand(trial, number, clerk, HELD)
        if ticket is not None:
            rules = trial.rules
            queue = to_queue if to_queue is not None else ticket.queue
            if to_queue is None and to_window is None:
                refusals = {"invalid_input"}
            elif queue not in rules.queues or (to_window is not None and to_window not in rules.windows):
                refusals = {"not_found"}
            else:
                if to_window is None and queue == ticket.queue:
                    refusals.add("invalid_input")
                if to_window is not None:
                    if to_window == number:
                        refusals.add("invalid_input")
                    if trial.windows[to_window].status == CLOSED or queue not in rules.windows[to_window]:
                        refusals.add("wrong_window")
                other = trial.open_for_id(queue, ticket.id_number) if ticket.id_number else None
                if other is not None and other.id != ticket.id:
                    refusals.add("duplicate_ticket")
                if not refusals:
                    ticket.status, ticket.queue, ticket.window = WAITING, queue, None
                    ticket.target_window = to_window
                    trial.windows[number].ticket = None
        self.attempt(
            f"{clerk} transfers at window {number} to queue {to_queue}, window {to_window}",
            trial,
            refusals,
            lambda: self.services.transfer(self.who(clerk), "demo", number, to_queue, to_window, None, self.now),
        )

    def suspend(self, data: st.DataObject) -> None:
        number = self.window(data, "holding")
        clerk = self.worker(data, number)
        trial = self.model.rolled(self.now)
        refusals, ticket = self.in_hand(trial, number, clerk, frozenset({SERVING}))
        if ticket is not None:
            ticket.status = SUSPENDED
            trial.windows[number].ticket = None
        self.attempt(
            f"{clerk} suspends at window {number}",
            trial,
            refusals,
            lambda: self.services.suspend(self.who(clerk), "demo", number, "papers", self.now),
        )

    def resume_ticket(self, data: st.DataObject) -> None:
        """Usually a suspended citizen comes back, to the window that suspended them or to
        another that serves their queue."""
        suspended = [t.number for t in self.model.tickets.values() if t.status == SUSPENDED]
        if suspended and data.draw(st.integers(0, 3), label="any number") < 3:
            ticket_number = data.draw(st.sampled_from(sorted(suspended)), label="number")
        else:
            ticket_number = self.ticket_number(data)
        number = self.window_for(data, ticket_number, own=True)
        clerk = self.worker(data, number)
        trial = self.model.rolled(self.now)
        refusals = trial.clerk_here(number, clerk)
        if not refusals and trial.windows[number].ticket is not None:
            refusals = {"window_busy"}
        ticket = trial.today(ticket_number)
        if not refusals and ticket is None:
            refusals = {"not_found"}
        if not refusals and ticket is not None:
            if trial.windows[number].status != OPENED:
                refusals.add("window_not_open")
            if ticket.status != SUSPENDED:
                refusals.add("invalid_transition")
            elif ticket.window != number and ticket.queue not in trial.rules.windows[number]:
                refusals.add("wrong_window")
            if not refusals:
                ticket.status, ticket.window = SERVING, number
                trial.windows[number].ticket = ticket.id
                trial.invited.pop(number, None)
        self.attempt(
            f"{clerk} resumes {ticket_number} at window {number}",
            trial,
            refusals,
            lambda: self.services.resume(self.who(clerk), "demo", number, ticket_number, self.now),
        )

    # ---- the day --------------------------------------------------------------------

    # ---- 好差评 ----------------------------------------------------------------------

    def rate(self, data: st.DataObject) -> None:
        """Someone rates a ticket: usually one finished lately, by the window-1 review pad
        or the ticket's phone; now and then a member of staff (never allowed)."""
        rater = data.draw(st.sampled_from(("pad", "pad", "phone", "phone", "clerk1", "manager")), label="rater")
        # the review pad of a window that has a rating open, usually; else of any window
        pads = sorted(self.model.invited) if data.draw(st.integers(0, 3), label="any pad") < 3 else []
        pad_window = data.draw(st.sampled_from(pads or list(WINDOWS)), label="pad window")
        pad = self.pad(pad_window)
        finished = sorted(t for t in self.model.finished_at if t not in self.model.rated)
        invited = self.model.invited.get(pad_window)
        if rater == "pad" and invited is not None:  # what the pad shows
            finished = [invited[0]]
        if finished and data.draw(st.integers(0, 3), label="any ticket") < 3:
            ticket_id = data.draw(st.sampled_from(finished), label="ticket")
        elif self.model.tickets:
            ticket_id = data.draw(st.sampled_from(sorted(self.model.tickets)), label="ticket")
        else:
            return
        level = data.draw(st.sampled_from(RatingLevel), label="level")
        trial = self.model.rolled(self.now)
        ticket = trial.tickets[ticket_id]
        refusals = trial.rating_refusals(ticket, rater, pad_window, self.now)
        if not refusals:
            trial.rate(ticket)
        with self.app.extensions["hall_queue"]["store"].read() as db:
            ref = str(db.execute("SELECT ref FROM tickets WHERE id = ?", [ticket_id]).fetchone()[0])
        if rater == "pad":
            principal = pad
        elif rater == "phone":
            principal = Principal(actor=Citizen.TICKET, name="市民", hall_id=pad.hall_id, ticket_ref=ref)
        else:
            principal = self.who(rater)
        self.attempt(
            f"{rater} rates {ticket.number} ({ticket.status}) {level.value}",
            trial,
            refusals,
            lambda: self.services.submit_rating(principal, "demo", ref, level, [], None, self.now),
        )

    def pad(self, number: int) -> Principal:
        """The review pad bound to window `number`: the template's at window 1; for the
        others, the principal such a device has (registering more would tie the hall file
        to more windows, see `hall_model.WINDOWS_WITH_DEVICES`)."""
        real = self.who("review_pad")
        return real if real.window == number else replace(real, device_id=None, window=number, name=f"{number}号评价器")

    def time_passes(self, data: st.DataObject) -> None:
        """Minutes or hours pass; or the clock goes to a later morning (09:00 + `amount`
        minutes, local time), or to just before the next 03:00 rollover so that the next
        steps cross it."""
        how = data.draw(
            st.sampled_from(("minutes",) * 8 + ("hours",) * 2 + ("next morning", "before rollover")), label="how"
        )
        amount = data.draw(st.integers(1, 150), label="amount")
        next_day = datetime.fromisoformat(hm.service_day(self.now)).replace(tzinfo=self.now.tzinfo) + timedelta(days=1)
        if how == "minutes":
            self.clock.now += timedelta(minutes=amount % 45 + 1)
        elif how == "hours":
            self.clock.now += timedelta(hours=amount % 6 + 1)
        elif how == "next morning":
            self.clock.now = next_day + timedelta(days=amount % 2, hours=9 - 8, minutes=amount)
        else:
            edge = next_day + timedelta(hours=3 - 8, seconds=-amount)
            self.clock.now = max(self.now, edge)

    def timer_rolls_days(self, data: st.DataObject) -> None:
        """One round of the server's timer: it closes a day that ended, with nobody
        writing (and publishes the events)."""
        trial = self.model.rolled(self.now)
        trial.timer_round(self.now)
        self.app.extensions["hall_queue"]["jobs"].tick()
        self.model = trial

    def sweep(self, data: st.DataObject) -> None:
        by = data.draw(st.sampled_from(("manager", "manager", "guide")), label="by")
        include_today = data.draw(st.integers(0, 3), label="include_today") == 3  # after hours, now and then
        trial = self.model.rolled(self.now)
        refusals: set[str] = set()
        if by != "manager":
            refusals = {"forbidden"}
        elif include_today:
            trial.close_everything()
        self.attempt(
            f"{by} sweeps (include_today={include_today})",
            trial,
            refusals,
            lambda: self.services.sweep(self.who(by), "demo", self.now, include_today=include_today),
        )

    # ---- the hall file and the server ----------------------------------------------

    def change_hall_file(self, data: st.DataObject) -> None:
        """A new hall file: a third of the time one change that live state stands in the
        way of (the model says so; the service must agree), else any changes."""
        touching = [m for m in hm.MODS if self.model.conflicts(frozenset({m})) == (True, False)]
        if touching and data.draw(st.integers(0, 2), label="any change") < 1:
            chosen = frozenset({data.draw(st.sampled_from(touching), label="change")})
        else:
            chosen = frozenset(data.draw(st.sets(st.sampled_from(list(hm.MODS)), max_size=3), label="changes"))
        effective = data.draw(st.sampled_from(("now", "now", "next-day")), label="effective")
        trial = self.model.rolled(self.now)
        refusals: set[str] = set()
        if not hm.rules_of(chosen).valid:
            refusals = {"invalid_hall_config"}
        else:
            conflicting, lasting = trial.conflicts(chosen)
            if effective == "now":
                if conflicting:
                    refusals = {"hall_change_conflicts"}
                else:
                    trial.take_hall_file(chosen)
            elif lasting:
                refusals = {"hall_change_conflicts"}
            else:
                trial.pending = (chosen, hm.next_day(trial.open_day))
        text = hm.to_toml(hm.hall_data(chosen))
        self.attempt(
            f"hall file {sorted(chosen)} effective {effective}",
            trial,
            refusals,
            lambda: self.services.import_hall(self.who("admin"), text, self.now, effective=effective),  # type: ignore[arg-type]
        )

    def restart(self, data: st.DataObject) -> None:
        """The server stops and starts again over the same file."""
        close_app(self.app)
        self.app = self._start()

    # ---- after every step -----------------------------------------------------------

    @invariant()
    def the_hall_keeps_its_rules_and_matches_the_model(self) -> None:
        state = self.services.hall_state("demo")
        found = invariants.violations(state)
        assert not found, "\n".join(str(v) for v in found)
        model = self.model
        assert state.open_day == model.open_day
        assert {q.code for q in state.spec.queues} == set(model.rules.queues)
        assert {w.number for w in state.windows} == set(model.windows)
        stored = {t.id: t for t in state.tickets}
        assert set(stored) == set(model.tickets), "the hall has tickets the model does not, or the other way round"
        self.see_new_places(stored)
        for ticket in model.tickets.values():
            real = stored[ticket.id]
            seen = (real.number, real.service_day, real.queue, real.status.value, real.priority is not None)
            expected = (ticket.number, ticket.day, ticket.queue, ticket.status, ticket.priority)
            assert seen == expected, f"ticket {ticket.id}: (number, day, queue, status, priority) {seen} != {expected}"
            assert real.channel.value == ticket.channel
            assert real.target_window == ticket.target_window, f"{ticket.number} sent to {real.target_window}"
            if ticket.status in HELD or ticket.status == SUSPENDED:
                assert real.window == ticket.window, f"{ticket.number} at window {real.window}, not {ticket.window}"
            assert real.place == ticket.place, f"{ticket.number} moved in line: {real.place} != {ticket.place}"
            if ticket.id_number is not None:
                assert self.digests.setdefault(ticket.id_number, real.id_digest or "") == real.id_digest
        for window in state.windows:
            mine = model.windows[window.number]
            clerk = self.user_ids[mine.clerk] if mine.clerk else None
            seen_window = (window.status.value, window.clerk_id, window.ticket_id)
            assert seen_window == (mine.status, clerk, mine.ticket), f"window {window.number}: {seen_window} != {mine}"
        self.screens_agree()
        opened = {i.window: i.ticket_id for i in state.invitations if i.open}
        assert opened == {n: kept[0] for n, kept in model.invited.items()}, f"pads' open ratings: {opened}"
        assert {r.ticket_id for r in state.ratings} == model.rated, "the tickets rated differ from the model's"
        numbers = [(t.day, t.number) for t in model.tickets.values()]
        assert len(numbers) == len(set(numbers)), "a number was issued twice on one day"
        assert all(t.status not in OPEN or t.day == model.open_day for t in model.tickets.values())

    def screens_agree(self) -> None:
        """What the screens draw from (the snapshot): waiting counts per queue, and each
        window's state and number."""
        snapshot = self.services.snapshot(self.who("manager"), "demo", self.now)
        waiting = {q: 0 for q in self.model.rules.queues}
        for ticket in self.model.tickets.values():
            if ticket.status == WAITING:
                waiting[ticket.queue] += 1
        assert {q["code"]: q["waiting"] for q in snapshot["queues"]} == waiting
        for window in snapshot["windows"]:
            mine = self.model.windows[window["number"]]
            number = self.model.tickets[mine.ticket].number if mine.ticket is not None else None
            assert (window["status"], window["ticket"]) == (mine.status, number), window

    def see_new_places(self, stored: dict[int, Any]) -> None:
        """Check each place the model has not seen yet, then take it."""
        holders: dict[str, list[str]] = {}
        for t in stored.values():
            holders.setdefault(t.place, []).append(f"{t.number} ({t.status.value} in {t.queue})")
        shared = {place: who for place, who in holders.items() if len(who) > 1}
        assert not shared, f"tickets share a place in line: {shared}"
        for ticket in sorted(self.model.tickets.values(), key=lambda t: t.id):
            if ticket.place is not None:
                continue
            place = stored[ticket.id].place
            if ticket.after is None and ticket.before is None:  # newly issued: behind everyone issued earlier
                assert place > self.model.last_issued_place, f"{ticket.number} was placed ahead of earlier tickets"
                self.model.last_issued_place = place
            else:  # back in line between two others
                assert ticket.after is not None and ticket.after < place, f"{ticket.number} went back too far"
                assert ticket.before is None or place < ticket.before, f"{ticket.number} did not go back far enough"
            ticket.place, ticket.after, ticket.before = place, None, None


@pytest.fixture(scope="module")
def machine_template(
    template_instance: tuple[Path, dict[str, str]], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, Principal]]:
    """The shared template with two more clerks, and every principal looked up once
    (the services take principals; signing in is tested elsewhere)."""
    template, tokens = template_instance
    instance = tmp_path_factory.mktemp("machine") / "instance"
    shutil.copytree(template, instance)
    app = create_app(TEST_CONFIG, instance_path=str(instance))
    store = app.extensions["hall_queue"]["store"]
    for name in ("clerk3", "clerk4"):
        auth.create_user(
            store,
            username=name,
            password=PASSWORD,
            role=Role.CLERK,
            display_name=f"测试{name}",
            hall_code="demo",
            staff_number=name.upper(),
            now=MONDAY_10AM_SHANGHAI,
        )
    principals = {}
    for name in ("admin", "manager", "guide", *CLERKS):
        principal = auth.principal_for_username(store, name)
        assert principal is not None
        principals[name] = principal
    for kind in ("kiosk", "review_pad"):
        found = auth.device_principal(store, tokens[kind])
        assert found is not None
        principals[kind] = found
    store.close()
    return instance, principals


def test_no_sequence_of_operations_breaks_the_halls_rules(machine_template: tuple[Path, dict[str, Principal]]) -> None:
    instance, principals = machine_template
    HallMachine.template = instance
    HallMachine.principals = principals
    profile = PROFILES[os.environ.get("HYPOTHESIS_PROFILE", "default")]
    run_state_machine_as_test(HallMachine, settings=profile)
