"""An independent model of the demo hall, for the stateful test in
`tests/integration/test_hall_invariants.py`.

The model is written from DOMAIN.md and the docstrings, not from the code: it keeps
every ticket's status, line, window and number, every window's clerk and ticket, the
service day, the numbering counters, the priority streaks and the hall file in force,
and for each operation it says what must happen: the refusals that apply (any of them
may be the one the service gives; none means it must succeed), and otherwise the new
state. The test compares the real hall with it after every step.

Places in line are strings the service makes (`domain.places`); the model does not
make its own, it checks each new one when it first sees it: a newly issued ticket's
place is after every earlier issued ticket's, a ticket put back in line after N
people has a place strictly between theirs, and no two tickets share a place.
"""

from __future__ import annotations

import copy
import json
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from queue_server.cli import demo_hall_toml

# Asia/Shanghai has no daylight saving: local time is UTC+8, and the service day
# changes at 03:00 local.
_LOCAL_OFFSET = timedelta(hours=8)
_ROLLOVER = timedelta(hours=3)
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
IDEMPOTENCY_DAYS = 2

WAITING, CALLED, SERVING, SUSPENDED = "waiting", "called", "serving", "suspended"
DONE, NO_SHOW, CANCELLED, EXPIRED = "done", "no_show", "cancelled", "expired"
OPEN = frozenset({WAITING, CALLED, SERVING, SUSPENDED})
HELD = frozenset({CALLED, SERVING})
CLOSED, OPENED, PAUSED = "closed", "open", "paused"

# 好差评 (docs/ratings.md): the review pad shows a finished ticket's rating this long, and
# a ticket nobody rated gets the system's 基本满意 this long after it finished.
PAD_TIMEOUT = timedelta(seconds=60)
DEFAULT_AFTER = timedelta(days=7)

# The template database binds a window screen and a review pad to window 1: a hall file
# without window 1 is refused even for the next day.
WINDOWS_WITH_DEVICES = frozenset({1})


def local(now: datetime) -> datetime:
    return (now + _LOCAL_OFFSET).replace(tzinfo=None)


def service_day(now: datetime) -> str:
    return (local(now) - _ROLLOVER).date().isoformat()


# ---- hall files ------------------------------------------------------------------------


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(value)


def to_toml(data: dict[str, Any]) -> str:
    """Just enough TOML for a hall file: tables, one level of sub-tables, arrays of tables."""
    lines: list[str] = []
    for key, value in data.items():
        if isinstance(value, dict):
            lines.append(f"[{key}]")
            subtables = {k: v for k, v in value.items() if isinstance(v, dict)}
            lines += [f"{k} = {_toml_value(v)}" for k, v in value.items() if k not in subtables]
            for sub, table in subtables.items():
                lines.append(f"[{key}.{sub}]")
                lines += [f"{k} = {_toml_value(v)}" for k, v in table.items()]
        else:
            for entry in value:
                lines.append(f"[[{key}]]")
                lines += [f"{k} = {_toml_value(v)}" for k, v in entry.items()]
    return "\n".join(lines) + "\n"


BASE_HALL = tomllib.loads(demo_hall_toml(always_open=False))


def _queue_entry(data: dict[str, Any], code: str) -> dict[str, Any]:
    return next(q for q in data["queues"] if q["code"] == code)


def _set(code: str, key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(data: dict[str, Any]) -> None:
        _queue_entry(data, code)[key] = value

    return apply


def _both(*changes: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def apply(data: dict[str, Any]) -> None:
        for change in changes:
            change(data)

    return apply


def _stop_serving(number: int, code: str) -> Callable[[dict[str, Any]], None]:
    def apply(data: dict[str, Any]) -> None:
        window = next(w for w in data["windows"] if w["number"] == number)
        window["serves"] = [s for s in window["serves"] if s["queue"] != code]

    return apply


def _also_serve(number: int, code: str, rank: int) -> Callable[[dict[str, Any]], None]:
    def apply(data: dict[str, Any]) -> None:
        window = next(w for w in data["windows"] if w["number"] == number)
        window["serves"] = [*window["serves"], {"queue": code, "rank": rank}]

    return apply


def _drop_window(number: int) -> Callable[[dict[str, Any]], None]:
    def apply(data: dict[str, Any]) -> None:
        data["windows"] = [w for w in data["windows"] if w["number"] != number]

    return apply


def _drop_queue(code: str) -> Callable[[dict[str, Any]], None]:
    def apply(data: dict[str, Any]) -> None:
        gone = {i["code"] for i in data["items"] if i["queue"] == code}
        data["queues"] = [q for q in data["queues"] if q["code"] != code]
        data["items"] = [i for i in data["items"] if i["queue"] != code]
        for bundle in data["bundles"]:
            bundle["items"] = [i for i in bundle["items"] if i not in gone]
        for window in data["windows"]:
            window["serves"] = [s for s in window["serves"] if s["queue"] != code]
        data["windows"] = [w for w in data["windows"] if w["serves"]]

    return apply


def _rename(old: str, new: str) -> Callable[[dict[str, Any]], None]:
    def apply(data: dict[str, Any]) -> None:
        _queue_entry(data, old)["code"] = new
        for entry in (*data["items"], *data["bundles"]):
            if entry["queue"] == old:
                entry["queue"] = new
        for window in data["windows"]:
            for serve in window["serves"]:
                if serve["queue"] == old:
                    serve["queue"] = new

    return apply


# Changes to the demo hall file, applied in this order (renames last, so the others name
# queues by their demo codes).
MODS: dict[str, Callable[[dict[str, Any]], None]] = {
    "household_prefix_J": _set("household", "prefix", "J"),
    "pickup_prefix_E": _set("pickup", "prefix", "E"),  # valid only once household gave up E
    "pickup_takes_E_from_household": _both(_set("household", "prefix", "J"), _set("pickup", "prefix", "E")),
    "small_caps": _both(_set("household", "daily_cap", 3), _set("comprehensive", "daily_cap", 6)),
    "reflection_priority_on": _set("reflection", "priority", {"max_in_row": 1}),
    "comprehensive_priority_1": _set("comprehensive", "priority", {"max_in_row": 1}),
    "comprehensive_requeue_1": _set("comprehensive", "no_show", {"policy": "requeue", "requeue_after": 1}),
    "enterprise_void": _set("enterprise", "no_show", {"policy": "void"}),
    "w15_stops_household": _stop_serving(15, "household"),
    "w4_stops_pickup": _stop_serving(4, "pickup"),
    "drop_window_13": _drop_window(13),
    "drop_window_5": _drop_window(5),
    "drop_window_18": _drop_window(18),  # valid only with another window for 'reflection'
    "w1_serves_reflection": _also_serve(1, "reflection", 2),
    "drop_window_1": _drop_window(1),
    "drop_cross_province": _drop_queue("cross-province"),
    "rename_household": _rename("household", "household2"),
    "rename_enterprise": _rename("enterprise", "business"),
}


def hall_data(mods: Iterable[str]) -> dict[str, Any]:
    data = copy.deepcopy(BASE_HALL)
    chosen = set(mods)
    for name, apply in MODS.items():
        if name in chosen:
            apply(data)
    return data


# ---- the rules of a hall file, as the model reads them ----------------------------------


def _ranges(texts: Iterable[str]) -> tuple[tuple[time, time], ...]:
    def clock(text: str) -> time:
        hours, minutes = text.split(":")
        return time(int(hours), int(minutes))

    return tuple((clock(t.split("-")[0]), clock(t.split("-")[1])) for t in texts)


@dataclass(frozen=True)
class QueueRule:
    code: str
    prefix: str
    policy: str
    requeue_after: int
    max_in_row: int
    daily_cap: int
    issuing_hours: tuple[tuple[time, time], ...] | None


@dataclass(frozen=True)
class Rules:
    queues: dict[str, QueueRule]
    windows: dict[int, dict[str, int]]  # window -> {queue: rank}
    items: dict[str, str]  # item -> queue
    bundles: dict[str, str]  # bundle -> queue
    hours: dict[str, tuple[tuple[time, time], ...]]
    valid: bool  # the product accepts the file

    @classmethod
    def of(cls, data: dict[str, Any]) -> Rules:
        queues = {
            q["code"]: QueueRule(
                code=q["code"],
                prefix=q["prefix"],
                policy=q["no_show"]["policy"],
                requeue_after=q["no_show"].get("requeue_after", 3),
                max_in_row=q["priority"]["max_in_row"],
                daily_cap=q["daily_cap"],
                issuing_hours=_ranges(q["issuing_hours"]) if "issuing_hours" in q else None,
            )
            for q in data["queues"]
        }
        prefixes = [q.prefix for q in queues.values()]
        served = {s["queue"] for w in data["windows"] for s in w["serves"]}
        return cls(
            queues=queues,
            windows={w["number"]: {s["queue"]: s["rank"] for s in w["serves"]} for w in data["windows"]},
            items={i["code"]: i["queue"] for i in data["items"]},
            bundles={b["code"]: b["queue"] for b in data["bundles"]},
            hours={day: _ranges(ranges) for day, ranges in data["hall"]["hours"].items()},
            # prefixes are unique, and every queue has a window that serves it
            valid=len(set(prefixes)) == len(prefixes) and served >= set(queues),
        )

    def issuing(self, queue: str, now: datetime) -> bool:
        """Tickets are issued in the queue's own hours on days the hall opens (the demo
        hall is not always open and has no calendar exceptions)."""
        moment = local(now)
        hall_hours = self.hours.get(_WEEKDAYS[moment.weekday()], ())
        if not hall_hours:
            return False
        hours = self.queues[queue].issuing_hours
        return any(start <= moment.time() < end for start, end in (hours if hours is not None else hall_hours))

    def cap(self, queue: str) -> int:
        return self.queues[queue].max_in_row if queue in self.queues else 0


RULES_BY_MODS: dict[frozenset[str], Rules] = {}


def rules_of(mods: frozenset[str]) -> Rules:
    if mods not in RULES_BY_MODS:
        RULES_BY_MODS[mods] = Rules.of(hall_data(mods))
    return RULES_BY_MODS[mods]


# ---- the hall's live state --------------------------------------------------------------


@dataclass
class Ticket:
    id: int
    number: str
    day: str
    queue: str
    status: str
    priority: bool
    channel: str
    id_number: str | None
    place: str | None = None  # None: not yet seen (new, or moved in line)
    after: str | None = None  # a place not yet seen must come after this one …
    before: str | None = None  # … and before this one
    window: int | None = None  # the window holding it, or where it was last
    target_window: int | None = None
    no_shows: int = 0


@dataclass
class Window:
    status: str = CLOSED
    clerk: str | None = None
    ticket: int | None = None


Refusals = set[str]


@dataclass
class Model:
    mods: frozenset[str]
    open_day: str
    windows: dict[int, Window]
    tickets: dict[int, Ticket] = field(default_factory=dict)
    counters: dict[tuple[str, str], int] = field(default_factory=dict)  # (day, prefix) -> last number
    issued: dict[tuple[str, str], int] = field(default_factory=dict)  # (day, queue) -> tickets issued
    streaks: dict[tuple[str, str], int] = field(default_factory=dict)  # (day, queue) -> priority calls in a row
    pending: tuple[frozenset[str], str] | None = None  # a hall file for the next day, from that day
    idempotency: dict[str, tuple[tuple[Any, ...], int, datetime]] = field(default_factory=dict)
    last_issued_place: str = ""
    # 好差评: each window's open pad invitation (ticket id, when opened), when each ticket
    # finished at a window, and the tickets rated
    invited: dict[int, tuple[int, datetime]] = field(default_factory=dict)
    finished_at: dict[int, datetime] = field(default_factory=dict)
    rated: set[int] = field(default_factory=set)

    @classmethod
    def start(cls, now: datetime) -> Model:
        return cls(
            mods=frozenset(),
            open_day=service_day(now),
            windows={n: Window() for n in rules_of(frozenset()).windows},
        )

    @property
    def rules(self) -> Rules:
        return rules_of(self.mods)

    def copy(self) -> Model:
        """A copy to try an operation on (tickets and windows hold only plain values)."""
        return replace(
            self,
            windows={n: copy.copy(w) for n, w in self.windows.items()},
            tickets={i: copy.copy(t) for i, t in self.tickets.items()},
            counters=dict(self.counters),
            issued=dict(self.issued),
            streaks=dict(self.streaks),
            idempotency=dict(self.idempotency),
            invited=dict(self.invited),
            finished_at=dict(self.finished_at),
            rated=set(self.rated),
        )

    # ---- the service day ----------------------------------------------------------

    def rolled(self, now: datetime) -> Model:
        """The model as a write at `now` sees it: a copy, with the service day closed
        first if it has ended."""
        trial = self.copy()
        today = service_day(now)
        if trial.open_day >= today:
            return trial
        trial.close_everything()
        trial.idempotency = {
            key: kept for key, kept in trial.idempotency.items() if kept[2] >= now - timedelta(days=IDEMPOTENCY_DAYS)
        }
        if trial.pending is not None and trial.pending[1] <= today:
            trial.take_hall_file(trial.pending[0])
        trial.open_day = today
        return trial

    def close_everything(self) -> None:
        """Every open ticket expires, every window closes."""
        for ticket in self.tickets.values():
            if ticket.status in OPEN:
                ticket.status = EXPIRED
        for window in self.windows.values():
            window.status, window.clerk, window.ticket = CLOSED, None, None

    def take_hall_file(self, mods: frozenset[str]) -> None:
        self.mods = mods
        self.pending = None
        self.windows = {n: self.windows.get(n, Window()) for n in self.rules.windows}

    # ---- 好差评 ----------------------------------------------------------------------

    def finished_here(self, ticket: Ticket, number: int, now: datetime) -> None:
        """Finishing opens the rating of exactly this ticket on the window's pad."""
        self.invited[number] = (ticket.id, now)
        self.finished_at[ticket.id] = now

    def rating_refusals(self, ticket: Ticket | None, rater: str, pad_window: int | None, now: datetime) -> Refusals:
        """Why `rater` ("pad" of `pad_window`, "phone", or a member of staff) may not rate."""
        if rater not in ("pad", "phone"):
            return {"staff_may_not_rate"}
        if ticket is None:
            return {"not_found"}
        if ticket.id in self.rated:
            return {"already_rated"}
        if ticket.status != DONE:
            return {"not_rateable"}
        if rater == "pad":
            invited = self.invited.get(pad_window) if pad_window is not None else None
            if invited is None or invited[0] != ticket.id or now >= invited[1] + PAD_TIMEOUT:
                return {"not_rateable"}
        return set()

    def rate(self, ticket: Ticket) -> None:
        self.rated.add(ticket.id)
        self.invited = {n: kept for n, kept in self.invited.items() if kept[0] != ticket.id}

    def timer_round(self, now: datetime) -> None:
        """The timer closes pads' invitations whose time ran out, then gives the system's
        default to tickets finished `DEFAULT_AFTER` ago and still unrated."""
        self.invited = {n: kept for n, kept in self.invited.items() if now < kept[1] + PAD_TIMEOUT}
        for ticket_id, finished in self.finished_at.items():
            if ticket_id not in self.rated and now >= finished + DEFAULT_AFTER:
                self.rate(self.tickets[ticket_id])

    # ---- looking things up ----------------------------------------------------------

    def today(self, number: str) -> Ticket | None:
        return next((t for t in self.tickets.values() if t.day == self.open_day and t.number == number), None)

    def open_for_id(self, queue: str, id_number: str) -> Ticket | None:
        return next(
            (t for t in self.tickets.values() if t.queue == queue and t.id_number == id_number and t.status in OPEN),
            None,
        )

    def clerk_window(self, clerk: str) -> int | None:
        return next((n for n, w in self.windows.items() if w.clerk == clerk and w.status != CLOSED), None)

    def waiting_line(self, queue: str) -> list[Ticket]:
        """The queue's general line (not the tickets sent to one window), in order."""
        line = [
            t for t in self.tickets.values() if t.status == WAITING and t.queue == queue and t.target_window is None
        ]
        return sorted(line, key=lambda t: (t.place or "", t.id))

    def held(self, number: int) -> Ticket | None:
        window = self.windows.get(number)
        return self.tickets[window.ticket] if window is not None and window.ticket is not None else None

    def return_sent(self, number: int) -> None:
        """Tickets sent to a window that stopped working go back to their queue's line."""
        for ticket in self.tickets.values():
            if ticket.status == WAITING and ticket.target_window == number:
                ticket.target_window = None

    # ---- who may work a window -------------------------------------------------------

    def clerk_here(self, number: int, clerk: str) -> Refusals:
        if number not in self.windows:
            return {"not_found"}
        window = self.windows[number]
        if window.status == CLOSED:
            return {"window_not_open"}
        if window.clerk != clerk:
            return {"window_taken"}
        return set()

    def ready_to_call(self, number: int) -> Refusals:
        window = self.windows[number]
        refusals = set()
        if window.status != OPENED:
            refusals.add("window_not_open")
        if window.ticket is not None:
            refusals.add("window_busy")
        return refusals

    # ---- routing --------------------------------------------------------------------

    def next_for(self, number: int) -> Ticket | None:
        """Which ticket `call_next` at window `number` must call, the rule written out:

        1. tickets sent to this very window come first; if there are none, the tickets in
           the lines of the queues the window serves, only those of the best rank that has
           anyone waiting;
        2. among those, a priority ticket goes first, unless its queue has already had
           `max_in_row` priority calls in a row and an ordinary ticket of that queue is
           among them (a queue with `max_in_row` 0 has no priority at all);
        3. then whoever has the earliest place in line.
        """
        serves = self.rules.windows[number]
        waiting = [t for t in self.tickets.values() if t.status == WAITING]
        sent_here = [t for t in waiting if t.target_window == number]
        if sent_here:
            candidates = sent_here
        else:
            in_lines = [t for t in waiting if t.target_window is None and t.queue in serves]
            if not in_lines:
                return None
            best_rank = min(serves[t.queue] for t in in_lines)
            candidates = [t for t in in_lines if serves[t.queue] == best_rank]

        def is_priority(t: Ticket) -> bool:
            return t.priority and self.rules.cap(t.queue) > 0

        def may_go_first(t: Ticket) -> bool:
            if not is_priority(t):
                return False
            streak = self.streaks.get((self.open_day, t.queue), 0)
            ordinary_waits = any(o.queue == t.queue and not is_priority(o) for o in candidates)
            return streak < self.rules.cap(t.queue) or not ordinary_waits

        def earliest(tickets: list[Ticket]) -> Ticket:
            return min(tickets, key=lambda t: (t.place or "", t.id))

        first = [t for t in candidates if may_go_first(t)]
        if first:
            return earliest(first)
        ordinary = [t for t in candidates if not is_priority(t)]
        return earliest(ordinary) if ordinary else earliest(candidates)

    # ---- what a ticket's call does ----------------------------------------------------

    def call_here(self, ticket: Ticket, number: int, clerk: str) -> None:
        ticket.status, ticket.window, ticket.target_window = CALLED, number, None
        self.windows[number].ticket = ticket.id

    def callable_by_number(self, ticket: Ticket, number: int) -> Refusals:
        """Why `ticket` may not be called by number at window `number`, if it may not."""
        serves = self.rules.windows[number]
        if ticket.queue not in self.rules.queues:  # a queue renamed or removed since (the ticket is over)
            return {"not_found"}
        if ticket.status == WAITING:
            if ticket.target_window is not None and ticket.target_window != number:
                return {"wrong_window"}
            if ticket.target_window is None and ticket.queue not in serves:
                return {"wrong_window"}
            return set()
        if ticket.status == NO_SHOW:
            refusals = set()
            if self.rules.queues[ticket.queue].policy != "recallable":
                refusals.add("conflict")
            other = self.open_for_id(ticket.queue, ticket.id_number) if ticket.id_number else None
            if other is not None:
                refusals.add("duplicate_ticket")
            if ticket.queue not in serves:
                refusals.add("wrong_window")
            return refusals
        return {"invalid_transition"}  # called or served elsewhere, suspended, or over

    # ---- hall files -------------------------------------------------------------------

    def conflicts(self, mods: frozenset[str]) -> tuple[bool, bool]:
        """(whether the file conflicts with the live hall, whether a conflict lasts past
        the day's close)."""
        new = rules_of(mods)
        found = False
        for ticket in self.tickets.values():
            if ticket.status in OPEN and ticket.queue not in new.queues:
                found = True
        for number, window in self.windows.items():
            sent = [t for t in self.tickets.values() if t.status == WAITING and t.target_window == number]
            if number not in new.windows:
                found |= window.status != CLOSED or bool(sent)
                continue
            serves = new.windows[number]
            held = self.held(number)
            found |= held is not None and held.queue not in serves
            found |= any(t.queue not in serves for t in sent)
        lasting = any(n not in new.windows for n in WINDOWS_WITH_DEVICES)
        return found or lasting, lasting


def next_day(day: str) -> str:
    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()
