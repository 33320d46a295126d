"""How long a citizen should expect to wait: the hall's next hours, played forward.

`predict` takes the hall as it stands — every waiting ticket, every window with its queue
ranks and state, each queue's handling time from recent services — and plays the calls
forward the way `domain.routing` makes them: each time a window comes free it takes what
`routing.choose_next` would give it (tickets sent to it, then its best-rank queue, priority
tickets within their queue's cap, then the longest wait). A ticket's estimate is the
moment it comes up, less now. One pass covers every waiting ticket of the hall, so the
server runs it after each write and pushes the figures that changed (docs/estimates.md).

- **Windows.** An open window comes free now, or when the ticket it holds is expected to be
  done (the queue's handling time less what has passed, never less than a quarter of it:
  a service that runs long is not about to end). A paused one comes back after the
  hall's usual pause (`Settings.usual_pause_minutes`) from when it paused, or now if that
  is past. A closed one is expected at the next session of the hall's hours (from now in
  a session's first `opening_grace_minutes`, while clerks arrive); and where no open or
  paused window serves a ticket's line, the windows the hall file gives that line count
  from now (or the next opening hour), so an early ticket still gets an honest figure.
- **Tickets still to come** (`Arrivals`): each issuing queue's at its recent pace, behind
  everyone waiting; an expected priority ticket still goes ahead of ordinary ones, and an
  expected ticket of a window's first-rank queue still takes it from its second-rank one.
- **Hours.** Given the day's opening hours, no window starts a ticket outside them: one
  that comes free at 11:55 with the hall closing at 12:00 for lunch takes its next ticket
  at 13:00. After the last hour, the estimate plays on as if the hall stayed open (what is
  left is served late or swept at the day's end).
- **Handling time** per queue (`handling_minutes`): the mean time a window spends per
  call (call to the end of the visit: service, no-shows and transfers alike) over the
  last few of the day, shrunk toward the hall file's `avg_service_minutes` with the
  weight of a few services, so three quick ones do not make five people a minute.

`naive_wait_minutes` is the old rule (people ahead × configured average ÷ open windows),
kept as the baseline `bench/eta.py` measures against; `average_handling_minutes` is the
day's plain average staffing advice reads.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from queue_server.domain import routing

LAST_PLACE = "\U0010ffff"  # sorts after every place: a ticket taken now queues behind all
_LineKey = tuple[str, bool, int | None]  # a line of the play: queue, priority, the window it was sent to


@dataclass(frozen=True)
class Settings:
    """The predictor's few constants (docs/estimates.md says why each is what it is)."""

    usual_pause_minutes: float = 10.0  # a paused window is back this long after it paused
    prior_services: float = 5.0  # weight of the configured average, in services
    recent_services: int = 20  # how many of the day's last calls the handling time reads
    least_remaining_share: float = 0.25  # a long-running service still has this much to go
    opening_grace_minutes: float = 15.0  # closed windows still count this long into a session
    arrivals_horizon_minutes: float = 180.0  # expected arrivals are played this far ahead
    arrivals_window_minutes: float = 60.0  # the recent arrival rate is read over this long


DEFAULT_SETTINGS = Settings()


@dataclass(frozen=True)
class WaitingTicket:
    """A ticket in line, as routing sees it."""

    id: int
    queue: str
    priority: bool
    place: str  # sortable: its place in line
    target_window: int | None = None  # sent to that window (转窗口)
    arrives_at: datetime | None = None  # an expected ticket not yet issued (`Arrivals`); None: waiting now


@dataclass(frozen=True)
class WindowNow:
    """A window of the hall file with its state now."""

    number: int
    ranks: Mapping[str, int]  # queue -> rank (1 first)
    status: str  # "open" | "paused" | "closed" (lifecycle.WindowStatus)
    since: datetime | None = None  # when it took that status (a paused window's pause began)
    busy_queue: str | None = None  # the queue of the ticket it holds (called, serving)
    busy_since: datetime | None = None  # when it called that ticket


@dataclass(frozen=True)
class Arrivals:
    """A queue's tickets still to come, as the play expects them: `per_minute` at an even
    pace (the last hour's rate), every so often a priority one (`priority_share`, today's),
    until `until` (the end of its issuing hours now; None: the play's horizon)."""

    per_minute: float
    priority_share: float = 0.0
    until: datetime | None = None


@dataclass(frozen=True)
class Prediction:
    minutes: float  # from now until the ticket is expected to be called
    ahead: int  # tickets of its own line expected to be called before it


@dataclass(frozen=True)
class HallPredictions:
    tickets: dict[int, Prediction]  # every waiting ticket, by id
    new_ticket: dict[str, Prediction]  # per queue asked for: an ordinary ticket taken now
    # per queue asked for that a window serves: minutes one more ticket ahead adds to a new
    # ticket's wait (`pace`), for the figure of tickets issued between plays (`between_plays`)
    pace: dict[str, float] = field(default_factory=dict)


@dataclass(order=True)
class _Server:
    free_at: datetime
    order: int
    number: int = field(compare=False)
    ranks: Mapping[str, int] = field(compare=False)


def handling_minutes(recent: Sequence[float], configured: float, settings: Settings = DEFAULT_SETTINGS) -> float:
    """A queue's expected minutes per call: the mean of `recent` (the day's last calls'
    minutes, newest first; only the first `recent_services` count) shrunk toward
    `configured` as if it had been seen `prior_services` times."""
    used = [max(m, 0.0) for m in recent[: settings.recent_services]]
    weight = settings.prior_services
    return (weight * configured + sum(used)) / (weight + len(used)) if used or weight > 0 else configured


def predict(
    waiting: Iterable[WaitingTicket],
    windows: Iterable[WindowNow],
    handling: Mapping[str, float],
    now: datetime,
    *,
    streaks: Mapping[str, int] | None = None,
    caps: Mapping[str, int] | None = None,
    hours: Sequence[tuple[datetime, datetime]] | None = None,
    new_ticket_queues: Iterable[str] = (),
    arrivals: Mapping[str, Arrivals] | None = None,
    settings: Settings = DEFAULT_SETTINGS,
) -> HallPredictions:
    """Every waiting ticket's expected wait, and a ticket taken now in each of
    `new_ticket_queues` (played as if taken alone, so it changes nobody else's figure).

    `handling`: minutes per call of each queue (`handling_minutes`; a queue missing from it
    counts 10); `streaks`, `caps`: each queue's priority calls in a row and its cap, as
    routing reads them; `hours`: the day's opening hours as instants, None for a hall open
    at any hour; `arrivals`: each queue's tickets still to come (none by default). A
    priority ticket still to come goes ahead of the ordinary ones already waiting, and an
    ordinary one of a window's first-rank queue ahead of its second-rank queue, as they
    will in the hall. Pure: the same hall gives the same figures."""
    tickets = list(waiting)
    window_list = list(windows)
    asked = dict.fromkeys(new_ticket_queues)
    new: dict[str, Prediction] = {}
    found: dict[int, Prediction] = {}
    if tickets:  # (tickets still to come alone give nobody a figure)
        # A ticket taken now in queue q goes to the end of its line, so the hall's own play
        # is its play too until q's last issued ordinary ticket is called: from that moment
        # on a copy carries it on (`_Play.probe`) and the hall's play goes on without it.
        # Where it alone would bring a closed window into the play (no open or paused
        # window serves q and nothing of q waits: `_servers`) or q's line is empty, it gets
        # a play of its own below.
        served = {q for w in window_list if w.status in ("open", "paused") for q in w.ranks}
        served.update(t.queue for t in tickets if t.target_window is None)
        left = {q: 0 for q in asked if q in served}
        for t in tickets:
            if t.queue in left and not t.priority and t.target_window is None:
                left[t.queue] += 1
        sources = _sources(arrivals or {}, now, settings)
        play = _Play(tickets, window_list, handling, now, streaks or {}, caps or {}, hours, settings, sources)
        while play.servers and len(play.found) < play.real:
            called = play.step()
            if called is None or called.arrives_at is not None or called.priority or called.target_window is not None:
                continue
            if left.get(called.queue):
                left[called.queue] -= 1
                if not left[called.queue]:
                    probe = WaitingTicket(-1, called.queue, False, LAST_PLACE)
                    probed = play.probe(probe, *_linked(called.queue, window_list))
                    if probed is not None:
                        new[called.queue] = probed
        found = play.finish()
    for queue in asked:
        if queue in new:
            continue
        # a play of its own (two probes would compete for a window serving both), over
        # the windows linked to the queue and their tickets only, ending once it is called
        linked_windows, linked_queues = _linked(queue, window_list)
        probe = WaitingTicket(-1, queue, False, LAST_PLACE)
        linked = [t for t in tickets if t.queue in linked_queues or t.target_window in linked_windows]
        shown = [w for w in window_list if w.number in linked_windows]
        sources = _sources(arrivals or {}, now, settings, linked_queues)
        played = _play(
            [*linked, probe], shown, handling, now, streaks or {}, caps or {}, hours, settings, sources, probe.id
        )
        new[queue] = played[probe.id]
    return HallPredictions(
        tickets=found,
        new_ticket={q: new[q] for q in asked},
        pace={q: pace(q, handling, window_list) for q in asked if any(q in w.ranks for w in window_list)},
    )


def pace(queue: str, handling: Mapping[str, float], windows: Iterable[WindowNow]) -> float:
    """Minutes one more ticket ahead in `queue` adds to the wait of a ticket behind it: the
    queue's handling minutes shared by the windows open for it now (at least one: a
    closed hall's first window will serve it)."""
    serving = sum(1 for w in windows if w.status == "open" and queue in w.ranks)
    return _minutes(handling, queue) / max(serving, 1)


@dataclass(frozen=True)
class LastPlay:
    """A hall's last whole play (the wait push's), kept for the tickets issued until the
    next one: its new-ticket figure and pace per queue, and how many waited in each
    queue then."""

    day: str
    at: datetime
    new_ticket: Mapping[str, Prediction]
    pace: Mapping[str, float]
    waiting: Mapping[str, int]


def between_plays(last: LastPlay, queue: str, waiting_now: int, now: datetime) -> Prediction | None:
    """A ticket just issued at the end of `queue`'s line (ordinary, sent to no window),
    with `waiting_now` waiting in the queue counting it: the last play's figure for a
    ticket taken then, less the minutes since, plus `pace` for each ticket more ahead of
    it than then. None where the play had no figure or pace for the queue (no window of
    the hall serves it: its ticket's own play counts from the hall's last call)."""
    taken_then, per_ticket = last.new_ticket.get(queue), last.pace.get(queue)
    if taken_then is None or per_ticket is None:
        return None
    more = waiting_now - 1 - last.waiting.get(queue, 0)
    elapsed = (now - last.at).total_seconds() / 60
    minutes = taken_then.minutes - elapsed + max(more, 0) * per_ticket
    return Prediction(minutes=max(minutes, 0.0), ahead=max(taken_then.ahead + more, 0))


def predict_ticket(
    ticket_id: int,
    waiting: Iterable[WaitingTicket],
    windows: Iterable[WindowNow],
    handling: Mapping[str, float],
    now: datetime,
    *,
    streaks: Mapping[str, int] | None = None,
    caps: Mapping[str, int] | None = None,
    hours: Sequence[tuple[datetime, datetime]] | None = None,
    arrivals: Mapping[str, Arrivals] | None = None,
    settings: Settings = DEFAULT_SETTINGS,
) -> Prediction:
    """One waiting ticket's figure, the one `predict` gives it, for less: played over the
    windows and tickets linked to its line only, and only until it is called (the
    figure of a ticket just issued, say). A ticket no window would call gets the whole
    hall's play, whose last call its figure counts from."""
    tickets = list(waiting)
    window_list = list(windows)
    mine = next(t for t in tickets if t.id == ticket_id)
    numbers, queues = _linked(mine.queue, window_list, mine.target_window, tickets)
    linked = [t for t in tickets if t.queue in queues or t.target_window in numbers]
    shown = [w for w in window_list if w.number in numbers]
    sources = _sources(arrivals or {}, now, settings, queues)
    play = _Play(linked, shown, handling, now, streaks or {}, caps or {}, hours, settings, sources)
    while play.servers and ticket_id not in play.found:
        play.step()
    if ticket_id in play.found:
        return play.found[ticket_id]
    found = predict(
        tickets,
        window_list,
        handling,
        now,
        streaks=streaks,
        caps=caps,
        hours=hours,
        arrivals=arrivals,
        settings=settings,
    )
    return found.tickets[ticket_id]


@dataclass
class _Source:
    """A queue's tickets still to come (`Arrivals`), evenly paced until `until`, made only
    as the play reaches them: each goes behind every ticket waiting in its line (ids from
    -1000 down; they are played, never reported)."""

    queue: str
    expected: Arrivals
    now: datetime
    until: datetime
    first_id: int
    k: int = 1
    priority_so_far: int = 0

    def firsts(self) -> dict[bool, WaitingTicket]:
        """The first ordinary (False) and the first priority (True) ticket still to come,
        where there is one, without taking them."""
        ahead = replace(self)
        found: dict[bool, WaitingTicket] = {}
        while len(found) < 2 and (ticket := ahead.next()) is not None:
            found.setdefault(ticket.priority, ticket)
            if not self.may_be(not ticket.priority):
                break  # none of the other kind will come
        return found

    def may_be(self, priority: bool) -> bool:
        """Whether a ticket still to come may be priority (True) or ordinary (False) at all."""
        share = self.expected.priority_share
        return share > 0 if priority else share < 1

    def next(self) -> WaitingTicket | None:
        """The next expected ticket; None once they stop coming."""
        moment = self.now + timedelta(minutes=self.k / self.expected.per_minute)
        if moment >= self.until or self.k > 1000:
            return None
        priority = math.floor(self.k * self.expected.priority_share + 0.5) > self.priority_so_far
        self.priority_so_far += priority
        ticket = WaitingTicket(
            self.first_id - self.k, self.queue, priority, f"{LAST_PLACE}{self.k:06d}", None, arrives_at=moment
        )
        self.k += 1
        return ticket


def _sources(
    arrivals: Mapping[str, Arrivals], now: datetime, settings: Settings, queues: set[str] | None = None
) -> dict[str, _Source]:
    """Each queue's tickets still to come (of `queues` only, if given), up to the horizon."""
    horizon = now + timedelta(minutes=settings.arrivals_horizon_minutes)
    return {
        queue: _Source(
            queue,
            expected,
            now,
            min(expected.until, horizon) if expected.until is not None else horizon,
            -1000 - 1001 * n,
        )
        for n, (queue, expected) in enumerate(sorted(arrivals.items()))
        if expected.per_minute > 0 and (queues is None or queue in queues)
    }


def _linked(
    queue: str, windows: list[WindowNow], window: int | None = None, tickets: Iterable[WaitingTicket] = ()
) -> tuple[set[int], set[str]]:
    """The windows and queues that can reach `queue`'s line (with `window`: the line of
    tickets sent to that window): those serving it, the other queues they serve, the
    windows serving those, and so on. With `tickets`, also the queues of the tickets sent
    to those windows (their queues' priority streaks move with every window serving them)."""
    queues, numbers = {queue}, set[int]()
    if window is not None:
        queues = set(next((w.ranks for w in windows if w.number == window), {}))
        numbers.add(window)
    sent = [t for t in tickets if t.target_window is not None]
    grew = True
    while grew:
        grew = False
        for each in windows:
            if each.number not in numbers and queues.intersection(each.ranks):
                numbers.add(each.number)
                queues.update(each.ranks)
                grew = True
        for ticket in sent:
            if ticket.target_window in numbers and ticket.queue not in queues:
                queues.add(ticket.queue)
                grew = True
    return numbers, queues


def _play(
    tickets: list[WaitingTicket],
    windows: list[WindowNow],
    handling: Mapping[str, float],
    now: datetime,
    streaks: Mapping[str, int],
    caps: Mapping[str, int],
    hours: Sequence[tuple[datetime, datetime]] | None,
    settings: Settings,
    sources: dict[str, _Source],
    stop_at: int | None = None,
) -> dict[int, Prediction]:
    """Play the calls forward; every ticket's prediction (with `stop_at`: until that one
    is called, and at least it)."""
    if not tickets:
        return {}
    play = _Play(tickets, windows, handling, now, streaks, caps, hours, settings, sources)
    while play.servers and len(play.found) < play.real:
        play.step()
        if stop_at is not None and stop_at in play.found:
            return play.found
    return play.finish()


class _Play:
    """The state of one play: the lines, the windows by when they come free, the
    priority streaks, the figures found so far. `step` makes one window's next call."""

    def __init__(
        self,
        tickets: list[WaitingTicket],
        windows: list[WindowNow],
        handling: Mapping[str, float],
        now: datetime,
        streaks: Mapping[str, int],
        caps: Mapping[str, int],
        hours: Sequence[tuple[datetime, datetime]] | None,
        settings: Settings,
        sources: dict[str, _Source],
    ) -> None:
        self.lines: dict[_LineKey, deque[WaitingTicket]] = {}
        for ticket in sorted(tickets, key=lambda t: (t.place, t.id)):
            self.lines.setdefault((ticket.queue, ticket.priority, ticket.target_window), deque()).append(ticket)
        # each line's first ticket as routing sees it, made again only when the line moves; a
        # line sent to a window is only ever offered to that window, so `targeted` is fixed
        self.heads = {key: _head(key, line[0]) for key, line in self.lines.items()}
        # the tickets still to come join the end of their lines as the lines run dry: a
        # line found empty has nothing more to come (`_top_up`)
        self.sources = sources
        # their lines come after those of waiting tickets, in the order of their first
        # ticket's place (it breaks ties between windows' equal choices, as it always has)
        firsts: list[tuple[tuple[str, int], _LineKey]] = []
        for queue, source in sources.items():
            first = source.firsts()
            for priority in (False, True):
                if (queue, priority, None) not in self.lines:
                    coming = first.get(priority)
                    at = (coming.place, coming.id) if coming is not None else (LAST_PLACE * 2, 0)
                    firsts.append((at, (queue, priority, None)))
        for _, key in sorted(firsts):
            self.lines[key] = deque()
        for queue in sources:
            for priority in (False, True):
                if not self.lines[(queue, priority, None)]:
                    self._top_up(queue, priority)
        # per server: the lines it may take that were not empty when `emptied` last counted
        self.reachable: dict[int, tuple[int, list[_LineKey]]] = {}
        self.emptied = 0  # lines that ran dry so far
        real = [t for t in tickets if t.arrives_at is None]
        self.real = len(real)
        self.tickets = real
        self.servers = _servers(real, windows, handling, now, hours, settings)
        heapq.heapify(self.servers)
        self.handling, self.now, self.caps, self.hours = handling, now, caps, hours
        self.streak = dict(streaks)
        self.called_from_line: dict[tuple[str, int | None], int] = {}
        self.found: dict[int, Prediction] = {}

    def step(self) -> WaitingTicket | None:
        """The next window to come free makes its call; the ticket it took (None: it
        idles until a ticket it would take arrives, or drops out of the play)."""
        lines = self.lines
        server = heapq.heappop(self.servers)
        start = _within_hours(server.free_at, self.hours)
        known = self.reachable.get(server.order)
        if known is None:
            keys = [k for k in lines if k[2] == server.number or (k[2] is None and k[0] in server.ranks)]
            known = self.reachable[server.order] = (-1, keys)
        if known[0] != self.emptied:  # a line ran dry since: leave it out (a line once empty stays so)
            known = self.reachable[server.order] = (self.emptied, [k for k in known[1] if lines[k]])
        mine = known[1]
        heads = self.heads
        candidates = []
        for key in mine:
            at = lines[key][0].arrives_at
            if at is None or at <= start:
                candidates.append(heads[key])
        chosen = routing.choose_next(candidates, server.ranks, self.streak, self.caps)
        if chosen is None:
            coming = [at for at in (lines[key][0].arrives_at for key in mine) if at is not None]
            if coming:  # idle until the next ticket it would take comes
                server.free_at = min(coming)
                heapq.heappush(self.servers, server)
            return None  # else nothing left this window would call: it drops out of the play
        target = server.number if chosen.targeted else None
        key = (chosen.queue, chosen.priority, target)
        line = lines[key]
        ticket = line.popleft()
        if line:
            self.heads[key] = _head(key, line[0])
        elif target is None:
            self._top_up(chosen.queue, chosen.priority)
        if not line:
            self.emptied += 1
        if not chosen.targeted:
            self.streak[chosen.queue] = routing.next_streak(chosen, self.streak.get(chosen.queue, 0), self.caps)
        server.free_at = start + timedelta(minutes=_minutes(self.handling, ticket.queue))
        heapq.heappush(self.servers, server)
        if ticket.arrives_at is not None:
            return ticket  # expected, not issued: it takes the window's time, nobody's place
        own_line = (ticket.queue, None) if target is None else ("", target)
        self.found[ticket.id] = Prediction(
            minutes=max((start - self.now).total_seconds() / 60, 0.0), ahead=self.called_from_line.get(own_line, 0)
        )
        self.called_from_line[own_line] = self.called_from_line.get(own_line, 0) + 1
        return ticket

    def _top_up(self, queue: str, priority: bool) -> None:
        """Line (`queue`, `priority`) ran dry: its queue's next tickets still to come, up to
        the first of that line (the others join the other line's end), or none if no more."""
        source = self.sources.get(queue)
        if source is None or not source.may_be(priority):
            return
        while (ticket := source.next()) is not None:
            key = (queue, ticket.priority, None)
            line = self.lines[key]
            line.append(ticket)
            if len(line) == 1:
                self.heads[key] = _head(key, ticket)
            if ticket.priority == priority:
                return

    def finish(self) -> dict[int, Prediction]:
        """Every ticket's figure: those no window would ever call, as far off as the last call."""
        last = max((p.minutes for p in self.found.values()), default=0.0)
        for ticket in self.tickets:
            if ticket.id not in self.found:
                self.found[ticket.id] = Prediction(minutes=last + _minutes(self.handling, ticket.queue), ahead=0)
        return self.found

    def probe(self, probe: WaitingTicket, windows: set[int], queues: set[str]) -> Prediction | None:
        """`probe` (an ordinary ticket taken now) played on from this moment, over the
        linked `windows` and `queues` only, on a copy: its figure, or None if no window
        would call it. Exact when its line holds no issued ticket any more: until then a
        ticket at its line's end changes no call (routing looks at each line's first)."""
        fork = object.__new__(_Play)
        fork.lines = {k: deque(v) for k, v in self.lines.items() if k[0] in queues or k[2] in windows}
        fork.heads = {k: self.heads[k] for k, line in fork.lines.items() if line}
        fork.reachable = {}
        fork.emptied = 0
        fork.sources = {q: replace(source) for q, source in self.sources.items() if q in queues}
        fork.servers = [replace(s) for s in self.servers if s.number in windows]
        heapq.heapify(fork.servers)
        fork.handling, fork.now, fork.caps, fork.hours = self.handling, self.now, self.caps, self.hours
        fork.streak = dict(self.streak)
        fork.called_from_line = dict(self.called_from_line)
        fork.found = {}
        key = (probe.queue, probe.priority, probe.target_window)
        fork.lines.setdefault(key, deque()).appendleft(probe)
        fork.heads[key] = _head(key, probe)
        while fork.servers and probe.id not in fork.found:
            fork.step()
        return fork.found.get(probe.id)


def _head(key: _LineKey, ticket: WaitingTicket) -> routing.Candidate:
    return routing.Candidate(ticket.id, key[0], key[1], ticket.place, targeted=key[2] is not None)


def _servers(
    tickets: list[WaitingTicket],
    windows: list[WindowNow],
    handling: Mapping[str, float],
    now: datetime,
    hours: Sequence[tuple[datetime, datetime]] | None,
    settings: Settings,
) -> list[_Server]:
    """The windows that will call, each with when it comes free."""
    servers: list[_Server] = []
    counted: set[int] = set()
    for window in windows:
        if window.status == "open":
            free_at = now
            if window.busy_queue is not None:
                expected = _minutes(handling, window.busy_queue)
                elapsed = (now - (window.busy_since or now)).total_seconds() / 60
                remaining = max(expected - elapsed, expected * settings.least_remaining_share)
                free_at = now + timedelta(minutes=remaining)
        elif window.status == "paused":
            back = (window.since or now) + timedelta(minutes=settings.usual_pause_minutes)
            free_at = max(back, now)
        else:
            continue
        counted.add(window.number)
        servers.append(_Server(free_at, len(servers), window.number, window.ranks))
    # lines no open or paused window serves (before opening, at lunch): the windows
    # configured for them, from now or the next opening hour, serving only those lines
    covered = {queue for server in servers for queue in server.ranks}
    uncovered = {t.queue for t in tickets if t.target_window is None and t.queue not in covered}
    stranded = {t.target_window for t in tickets if t.target_window is not None and t.target_window not in counted}
    session = _session_start(now, hours, settings)
    for window in windows:
        if window.number in counted:
            continue
        ranks = {queue: rank for queue, rank in window.ranks.items() if queue in uncovered}
        if ranks or window.number in stranded:
            servers.append(_Server(_within_hours(now, hours), len(servers), window.number, ranks))
        elif session is not None:  # other closed windows: expected at the next session
            servers.append(_Server(session, len(servers), window.number, window.ranks))
    return servers


def _session_start(
    now: datetime, hours: Sequence[tuple[datetime, datetime]] | None, settings: Settings
) -> datetime | None:
    """When a closed window is expected to open: at the start of the next session of the
    hall's hours (after lunch, say), or now in the first `opening_grace_minutes` of one,
    when clerks are still arriving; None when no session is to start (or no hours)."""
    if hours is None:
        return None
    grace = timedelta(minutes=settings.opening_grace_minutes)
    for start, end in sorted(hours):
        if now < start:
            return start
        if now < min(start + grace, end):
            return now
    return None


def _within_hours(moment: datetime, hours: Sequence[tuple[datetime, datetime]] | None) -> datetime:
    """The first instant from `moment` at which the hall is open (`moment` itself after
    its last hour, or for a hall without hours)."""
    if hours is None:
        return moment
    for start, end in sorted(hours):
        if moment < end:
            return max(moment, start)
    return moment


def _minutes(handling: Mapping[str, float], queue: str) -> float:
    return handling.get(queue, 10.0)


def whole_minutes(prediction: Prediction) -> int:
    """What a citizen is told: the expected minutes, rounded to the nearest whole one."""
    return math.floor(prediction.minutes + 0.5)


def average_handling_minutes(served_today: int, handling_seconds_today: float, configured_minutes: float) -> float:
    """Today's plain average once a few tickets are done; the hall's configured figure
    before (staffing advice's handling time: `services.staffing`)."""
    if served_today < 3:
        return configured_minutes
    return handling_seconds_today / served_today / 60


def naive_wait_minutes(people_ahead: int, avg_minutes: float, windows_open: int, windows_total: int) -> int:
    """The old rule, the baseline `bench/eta.py` measures against: people ahead ×
    average ÷ open windows serving the queue (the configured ones before any opens)."""
    windows = windows_open if windows_open > 0 else max(windows_total, 1)
    return math.ceil(people_ahead * avg_minutes / windows)
