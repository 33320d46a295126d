"""How good are the wait estimates? Simulated days replayed through the real server.

Each seed plays `--days` working days (from Monday 2026-11-23) of the demo hall
(`queue_server/halls/demo.toml`: eight queues, fourteen windows, some serving two queues
at different ranks, open 09:00-12:00 and 13:00-17:00) through the real use cases
(`queue_server.services.Services`) over a real SQLite file, with the test clock the
integration tests use (`CLOCK`) moved from one simulated moment to the next:

- arrivals: a Poisson process per queue whose rate has a morning peak (about 10:00) and
  an afternoon one (about 14:45), over each queue's issuing hours; 8 % priority tickets;
- service: lognormal times (coefficient of variation 0.6) whose true mean differs from
  the hall file's `avg_service_minutes` per queue and per day (as in a real hall);
- clerks: open their window a few minutes after the hour, call as soon as idle (half a
  minute to react), close at 12:00 and 17:00 once their citizen is done, reopen after
  lunch, take a 5-20 minute pause about every two and a half hours; on half the days one
  window stays closed all morning, on three days in ten one stays closed all day;
- citizens: 6 % never come (marked no-show after two minutes), 4 % of comprehensive
  tickets are transferred to pickup after their service.

For every ticket it records the estimate the issue answered (`estimated_wait_minutes`:
ours), the naive baseline at the same instant (people ahead in its line × the queue's
configured average ÷ open windows serving it, the configured ones when none is open:
`domain.estimate.naive_wait_minutes`), and the old production rule (the same with
today's average once three were served), then the actual wait (issue to first call).
Tickets never called (left at 17:00) have no actual wait and are counted apart. Every
quarter of an hour it also reads every waiting ticket's figure as its phone would show it
(the same predictor), beside the naive rule then, and compares each with what was left of
its wait.

Why the services with a test clock and not a live server: a day must run in seconds,
not eight hours, and only an in-process clock can be moved; everything below the HTTP
layer is the production code, SQLite included (`DB_SYNCHRONOUS=NORMAL`: durability is not
measured here).

    python -m bench.eta                      # seeds 1 to 5, three days each (about a minute)
    python -m bench.eta --seeds 7 --days 5
"""

from __future__ import annotations

import argparse
import heapq
import math
import random
import shutil
import statistics
import sys
import tempfile
import time as wall
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from queue_server import auth, storage
from queue_server.app import create_app
from queue_server.cli import demo_hall_toml
from queue_server.domain import estimate
from queue_server.domain.access import OPERATOR, Principal, Role
from queue_server.domain.errors import DomainError
from queue_server.domain.tickets import Outcome, PriorityClass
from queue_server.services import IssueRequest, Services
from queue_server.services.estimates import hall_predictions

HALL = "demo"
FIRST_DAY = datetime(2026, 11, 23, tzinfo=UTC)  # a Monday
SHANGHAI = timedelta(hours=8)
# tickets a day, and the true mean service minutes (the hall file says otherwise)
VOLUME = {
    "comprehensive": 185,
    "pickup": 190,
    "real-estate": 36,
    "enterprise": 24,
    "social-insurance": 110,
    "household": 44,
    "cross-province": 12,
    "reflection": 6,
}
TRUE_MEAN = {
    "comprehensive": 9.5,
    "pickup": 2.5,
    "real-estate": 23.0,
    "enterprise": 14.0,
    "social-insurance": 7.0,
    "household": 11.5,
    "cross-province": 13.0,
    "reflection": 18.0,
}
PRIORITY_SHARE = 0.08
NO_SHOW_SHARE = 0.06
TRANSFER_SHARE = 0.04  # of comprehensive tickets, to pickup
SERVICE_CV = 0.6
PASSWORD = "bench-pass-1234"


def peaked_arrivals(rng: random.Random, volume: float) -> list[float]:
    """Arrival hours of a day (8:30 to 17:00, local): a Poisson process of `volume` a day
    on average whose rate peaks about 10:00 and again, lower, about 14:45. Also the
    hall day's (`bench.hall_day`) arrivals."""

    def shape(h: float) -> float:
        return 0.35 + math.exp(-(((h - 10.0) / 0.7) ** 2)) + 0.8 * math.exp(-(((h - 14.75) / 0.75) ** 2))

    grid = [8.5 + i / 60 for i in range(int(8.5 * 60))]
    total = sum(shape(h) for h in grid) / 60
    top = max(shape(h) for h in grid) * volume / total
    moments, h = [], 8.5
    while True:
        h += rng.expovariate(top)
        if h >= 17.0:
            return moments
        if rng.random() < shape(h) * volume / total / top:
            moments.append(h)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Issued:
    ticket_id: int
    queue: str
    priority: bool
    issued_at: datetime
    ours: int
    naive: int
    old: int


@dataclass
class WindowPlan:
    number: int
    clerk: Principal
    queues: tuple[str, ...]
    state: str = "closed"  # closed | idle | busy | paused
    ticket: int | None = None
    close_due: bool = False
    pause_due: bool = False
    pauses: list[datetime] = field(default_factory=list)


class Day:
    """One simulated day of the hall, driven through the services."""

    def __init__(
        self,
        services: Services,
        clock: Clock,
        guide: Principal,
        windows: list[WindowPlan],
        rng: random.Random,
        day: int,
        played_every: float = 0.0,
    ) -> None:
        self.services, self.clock, self.guide, self.windows, self.rng = services, clock, guide, windows, rng
        # > 0: the hall is played (the wait push) at most every so many minutes, and each
        # issue takes its figure from the last play (`estimate.between_plays`)
        self.played_every = played_every
        self.played_at: datetime | None = None
        self.start = FIRST_DAY + timedelta(days=day) - SHANGHAI  # local midnight in UTC
        self.events: list[tuple[datetime, int, Callable[[], None]]] = []
        self.order = 0
        self.issued: list[Issued] = []
        self.samples: list[Issued] = []  # re-estimates of tickets still waiting, every quarter hour
        self.refused = 0
        self.factor = {q: rng.uniform(0.85, 1.15) for q in TRUE_MEAN}  # today's true means drift

    def at(self, hours: float) -> datetime:
        return self.start + timedelta(hours=hours)

    def later(self, moment: datetime, run: Callable[[], None]) -> None:
        self.order += 1
        heapq.heappush(self.events, (moment, self.order, run))

    def run(self) -> None:
        self._plan()
        while self.events:
            moment, _, action = heapq.heappop(self.events)
            self.clock.now = max(self.clock.now, moment)
            action()

    # ---- the plan of the day ---------------------------------------------------------

    def _plan(self) -> None:
        for quarter in range(33):  # 09:00 … 17:00
            self.later(self.at(9 + quarter / 4), self._sample)
        for queue, volume in VOLUME.items():
            for moment in self._arrivals(volume):
                priority = self.rng.random() < PRIORITY_SHARE
                self.later(moment, lambda q=queue, p=priority: self._arrive(q, p))
        morning_off = self.rng.choice(self.windows) if self.rng.random() < 0.5 else None
        day_off = self.rng.choice(self.windows) if self.rng.random() < 0.3 else None
        for plan in self.windows:
            plan.state, plan.ticket, plan.close_due, plan.pause_due = "closed", None, False, False
            plan.pauses = sorted(self.at(self.rng.uniform(9.2, 16.5)) for _ in range(self._poisson(7 / 2.5)))
            if plan is day_off:
                continue
            if plan is not morning_off:
                self.later(self.at(9 + self.rng.uniform(0, 10) / 60), lambda w=plan: self._open(w))
            self.later(self.at(13 + self.rng.uniform(0, 10) / 60), lambda w=plan: self._open(w))
            for end in (12, 17):
                self.later(self.at(end), lambda w=plan: self._closing(w))
            for moment in plan.pauses:
                self.later(moment, lambda w=plan: self._pause_due(w))

    def _arrivals(self, volume: float) -> list[datetime]:
        return [self.at(h) for h in peaked_arrivals(self.rng, volume)]

    def _poisson(self, mean: float) -> int:
        count, limit, product = 0, math.exp(-mean), self.rng.random()
        while product > limit:
            count += 1
            product *= self.rng.random()
        return count

    def _sample(self) -> None:
        """Every waiting ticket's figure now, as its phone shows it, beside the naive rule's."""
        known = {record.ticket_id: record for record in self.issued}
        with self.services.store.read() as db:
            hall = self.services._hall(db, HALL)
            row = storage.halls.by_id(db, hall.id)
            assert row is not None
            predicted = hall_predictions(db, hall, row["service_day"], self.clock.now)
        for ticket_id, prediction in predicted.tickets.items():
            if ticket_id in known:
                naive, old = self._baselines(ticket_id, known[ticket_id].queue)
                self.samples.append(
                    Issued(
                        ticket_id,
                        known[ticket_id].queue,
                        known[ticket_id].priority,
                        self.clock.now,
                        estimate.whole_minutes(prediction),
                        naive,
                        old,
                    )
                )

    # ---- citizens ----------------------------------------------------------------------

    def _arrive(self, queue: str, priority: bool) -> None:
        request = IssueRequest(queue=queue, priority=PriorityClass.PREGNANCY if priority else None)
        now = self.clock.now
        if self.played_every and (
            self.played_at is None or now - self.played_at >= timedelta(minutes=self.played_every)
        ):
            self.services.wait_pushes(HALL, now)
            self.played_at = now
        try:
            answer, _ = self.services.issue_ticket(self.guide, HALL, request, self.clock.now)
        except DomainError:  # outside its issuing hours, or full
            self.refused += 1
            return
        naive, old = self._baselines(answer["id"], queue)
        self.issued.append(
            Issued(answer["id"], queue, priority, self.clock.now, answer["estimated_wait_minutes"], naive, old)
        )
        for plan in self.windows:
            if plan.state == "idle" and queue in plan.queues:
                self._call_soon(plan)

    def _baselines(self, ticket_id: int, queue_code: str) -> tuple[int, int]:
        """The naive baseline and the old production rule, read as the issue left the hall."""
        store = self.services.store
        with store.read() as db:
            hall = self.services._hall(db, HALL)
            ticket = storage.tickets.load(db, ticket_id)
            assert ticket is not None
            ahead = storage.tickets.people_ahead(db, ticket)
            serving = hall.windows_serving(queue_code)
            opened = storage.windows.open_among(db, hall.id, serving)
            day = storage.tickets.queue_day(db, hall.id, queue_code, ticket.service_day)
        configured = hall.spec.queue(queue_code).avg_service_minutes
        today = estimate.average_handling_minutes(day["served"], day["handling_seconds"], configured)
        return (
            estimate.naive_wait_minutes(ahead, configured, opened, len(serving)),
            estimate.naive_wait_minutes(ahead, today, opened, len(serving)),
        )

    # ---- clerks ------------------------------------------------------------------------

    def _act(self, plan: WindowPlan, name: str, *args: Any) -> dict[str, Any] | None:
        try:
            answer: dict[str, Any] = getattr(self.services, name)(plan.clerk, HALL, plan.number, *args, self.clock.now)[
                0
            ]
            return answer
        except DomainError:
            return None

    def _open(self, plan: WindowPlan) -> None:
        plan.close_due = False
        if self._act(plan, "open_window") is not None:
            plan.state = "idle"
            self._call_soon(plan)

    def _closing(self, plan: WindowPlan) -> None:
        if plan.state in ("idle", "paused"):
            self._close(plan)
        elif plan.state in ("busy", "calling"):
            plan.close_due = True

    def _close(self, plan: WindowPlan) -> None:
        if plan.state == "paused":
            self._act(plan, "resume_window")
        self._act(plan, "close_window")
        plan.state, plan.close_due = "closed", False

    def _pause_due(self, plan: WindowPlan) -> None:
        if plan.state == "idle":
            self._pause(plan)
        elif plan.state in ("busy", "calling"):
            plan.pause_due = True

    def _pause(self, plan: WindowPlan) -> None:
        plan.pause_due = False
        if self._act(plan, "pause_window", "break") is None:
            return
        plan.state = "paused"
        self.later(self.clock.now + timedelta(minutes=self.rng.uniform(5, 20)), lambda: self._resume(plan))

    def _resume(self, plan: WindowPlan) -> None:
        if plan.state != "paused":
            return
        self._act(plan, "resume_window")
        plan.state = "idle"
        self._call_soon(plan)

    def _call_soon(self, plan: WindowPlan) -> None:
        plan.state = "calling"
        self.later(self.clock.now + timedelta(minutes=self.rng.uniform(0.1, 0.6)), lambda: self._call(plan))

    def _call(self, plan: WindowPlan) -> None:
        if plan.state != "calling":
            return
        if plan.close_due:
            self._close(plan)
            return
        if plan.pause_due:
            self._pause(plan)
            return
        called = self._act(plan, "call_next")
        if called is None:  # nothing waiting for this window: idle until a ticket comes
            plan.state = "idle"
            return
        plan.state, plan.ticket = "busy", called["ticket_id"]
        if self.rng.random() < NO_SHOW_SHARE:
            self.later(self.clock.now + timedelta(minutes=2), lambda: self._no_show(plan))
            return
        walk = self.rng.uniform(0.3, 1.5)
        self.later(self.clock.now + timedelta(minutes=walk), lambda: self._start(plan))

    def _no_show(self, plan: WindowPlan) -> None:
        self._act(plan, "mark_no_show")
        self._done(plan)

    def _start(self, plan: WindowPlan) -> None:
        self._act(plan, "start_service")
        queue = self._queue_of(plan.ticket)
        mean = TRUE_MEAN[queue] * self.factor[queue]
        sigma = math.sqrt(math.log(1 + SERVICE_CV**2))
        minutes = self.rng.lognormvariate(math.log(mean) - sigma**2 / 2, sigma)
        self.later(self.clock.now + timedelta(minutes=minutes), lambda: self._finish(plan, queue))

    def _finish(self, plan: WindowPlan, queue: str) -> None:
        if queue == "comprehensive" and self.rng.random() < TRANSFER_SHARE:
            self._act(plan, "transfer", "pickup", None, None)
            for other in self.windows:
                if other.state == "idle" and "pickup" in other.queues:
                    self._call_soon(other)
        else:
            self._act(plan, "finish_service", Outcome.ACCEPTED)
        self._done(plan)

    def _done(self, plan: WindowPlan) -> None:
        plan.ticket = None
        if plan.close_due:
            plan.state = "idle"
            self._close(plan)
            return
        self._call_soon(plan)

    def _queue_of(self, ticket_id: int | None) -> str:
        with self.services.store.read() as db:
            ticket = storage.tickets.load(db, ticket_id or 0)
        assert ticket is not None
        return ticket.queue


def _setup(folder: Path) -> tuple[Services, Clock, Principal, list[WindowPlan], Callable[[], None]]:
    clock = Clock(FIRST_DAY)
    config = {
        "ASYNC_MODE": "threading",
        "SECRET_KEY": "bench-secret-key-0123456789",
        "TESTING": True,
        "BACKGROUND_JOBS": False,
        "DB_SYNCHRONOUS": "NORMAL",
        "CLOCK": clock,
    }
    app = create_app(config, instance_path=str(folder / "instance"))
    services: Services = app.extensions["hall_queue"]["services"]
    store = app.extensions["hall_queue"]["store"]
    services.import_hall(OPERATOR, demo_hall_toml(always_open=False), clock.now)
    hall = services.hall(HALL)
    plans = []
    for name, role in [("guide", Role.GUIDE)] + [(f"clerk{w.number}", Role.CLERK) for w in hall.spec.windows]:
        auth.create_user(
            store,
            username=name,
            password=PASSWORD,
            role=role,
            display_name=name,
            hall_code=HALL,
            staff_number=name.upper(),
            now=clock.now,
        )
    for window in hall.spec.windows:
        principal = auth.principal_for_username(store, f"clerk{window.number}")
        assert principal is not None
        plans.append(WindowPlan(window.number, principal, tuple(s.queue for s in window.serves)))
    guide = auth.principal_for_username(store, "guide")
    assert guide is not None
    return services, clock, guide, plans, store.close


@dataclass
class Errors:
    mae: float
    p90: float


def errors(pairs: list[tuple[float, float]]) -> Errors:
    absolute = sorted(abs(said - actual) for said, actual in pairs)
    return Errors(statistics.fmean(absolute), absolute[max(math.ceil(0.9 * len(absolute)) - 1, 0)])


def run_seed(seed: int, days: int, played_every: float = 0.0) -> dict[str, Any]:
    rng = random.Random(seed)
    folder = Path(tempfile.mkdtemp(prefix="bench-eta-"))
    try:
        services, clock, guide, plans, close = _setup(folder)
        services.issue_figure_max_age = played_every * 60 if played_every else 0
        issued: list[Issued] = []
        samples: list[Issued] = []
        refused = 0
        for day in range(days):
            simulated = Day(services, clock, guide, plans, rng, day, played_every)
            simulated.run()
            issued += simulated.issued
            samples += simulated.samples
            refused += simulated.refused
        # the last day closes with the next one's first write: read the first calls now
        actual: dict[int, float] = {}
        called: dict[int, datetime] = {}
        with services.store.read() as db:
            for record in issued:
                ticket = storage.tickets.load(db, record.ticket_id)
                if ticket is not None and ticket.first_called_at is not None:
                    actual[record.ticket_id] = (ticket.first_called_at - record.issued_at).total_seconds() / 60
                    called[record.ticket_id] = ticket.first_called_at
        close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    measured = [r for r in issued if r.ticket_id in actual]
    priority = [r for r in measured if r.priority]
    result: dict[str, Any] = {
        "seed": seed,
        "tickets": len(issued),
        "measured": len(measured),
        "uncalled": len(issued) - len(measured),
        "refused": refused,
        "mean_wait": statistics.fmean(actual[r.ticket_id] for r in measured),
    }
    result["records"] = [(r, actual[r.ticket_id]) for r in measured]
    for name in ("ours", "naive", "old"):
        result[name] = errors([(getattr(r, name), actual[r.ticket_id]) for r in measured])
        result[f"{name}_priority"] = errors([(getattr(r, name), actual[r.ticket_id]) for r in priority])
    # a re-estimate against what was left of the wait (a requeued no-show, called before, is left out)
    later = [
        (r, (called[r.ticket_id] - r.issued_at).total_seconds() / 60)
        for r in samples
        if r.ticket_id in called and called[r.ticket_id] > r.issued_at
    ]
    result["samples"] = len(later)
    for name in ("ours", "naive"):
        result[f"{name}_later"] = errors([(getattr(r, name), left) for r, left in later])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument(
        "--played-every",
        type=float,
        default=0.0,
        metavar="MINUTES",
        help="play the hall at most this often and print each ticket's figure from the last play"
        " (the issue path between plays, ISSUE_FIGURE_MAX_AGE); default 0: every issue plays the hall",
    )
    args = parser.parse_args(argv)
    print(f"bench.eta: {args.days} simulated day(s) per seed, demo hall, services + SQLite + test clock")
    if args.played_every:
        print(f"printed figures from the hall's last play, played at most every {args.played_every:g} min")
    header = (
        f"{'seed':>4} {'tickets':>7} {'uncalled':>8} {'mean wait':>9} | {'MAE ours':>8} {'naive':>6} {'old':>6} "
        f"{'ratio':>5} | {'p90 ours':>8} {'naive':>6} {'old':>6} | {'prio MAE ours':>13} {'naive':>6}"
    )
    print(header)
    print("-" * len(header))
    ratios, later = [], []
    for seed in args.seeds:
        started = wall.monotonic()
        r = run_seed(seed, args.days, args.played_every)
        ratio = r["ours"].mae / r["naive"].mae
        ratios.append(ratio)
        print(
            f"{seed:>4} {r['tickets']:>7} {r['uncalled']:>8} {r['mean_wait']:>9.1f} | {r['ours'].mae:>8.2f} "
            f"{r['naive'].mae:>6.2f} {r['old'].mae:>6.2f} {ratio:>5.2f} | {r['ours'].p90:>8.1f} "
            f"{r['naive'].p90:>6.1f} {r['old'].p90:>6.1f} | {r['ours_priority'].mae:>13.2f} "
            f"{r['naive_priority'].mae:>6.2f}   ({wall.monotonic() - started:.0f} s)",
            flush=True,
        )
        later.append(
            f"{seed:>4} {r['samples']:>7} re-estimates every 15 min: MAE ours {r['ours_later'].mae:.2f} "
            f"naive {r['naive_later'].mae:.2f} ratio {r['ours_later'].mae / r['naive_later'].mae:.2f}; "
            f"p90 ours {r['ours_later'].p90:.1f} naive {r['naive_later'].p90:.1f}"
        )
    print(f"MAE ratio ours / naive: {' '.join(f'{x:.2f}' for x in ratios)} (target ≤ 0.60)")
    print("\n".join(later))
    return 0


if __name__ == "__main__":
    sys.exit(main())
