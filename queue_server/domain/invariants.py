"""The rules that span records, stated over a whole hall at once.

`lifecycle` enforces them transition by transition; this module states them as checks
over everything stored for one hall, so that a test (and `queue-server check`) can hunt
for any sequence of operations that leaves the hall in a state they forbid. Each rule
has a name; a violation names its rule and the records involved.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from queue_server.domain.appointments import Appointment, AppointmentStatus
from queue_server.domain.hall import HallSpec
from queue_server.domain.lifecycle import Ticket, Window, WindowStatus
from queue_server.domain.ratings import Invitation
from queue_server.domain.tickets import TicketStatus

_EPSILON = 1e-6  # seconds: sums of stored floats


@dataclass(frozen=True)
class Visit:
    ticket_id: int
    window: int
    open: bool
    handling_seconds: float


@dataclass(frozen=True)
class Rating:
    id: int
    hall_id: int
    ticket_id: int


@dataclass(frozen=True)
class HallState:
    hall_id: int
    open_day: str
    spec: HallSpec
    tickets: Sequence[Ticket]
    windows: Sequence[Window]
    visits: Sequence[Visit]
    appointments: Sequence[Appointment] = ()
    ratings: Sequence[Rating] = ()  # the hall's ratings, and any rating of one of its tickets
    invitations: Sequence[Invitation] = ()  # every review pad invitation of the hall


@dataclass(frozen=True)
class Violation:
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.detail}"


def violations(state: HallState) -> list[Violation]:
    found: list[Violation] = []
    tickets = {t.id: t for t in state.tickets}
    for rule in _RULES:
        found += [Violation(rule.__name__.lstrip("_"), detail) for detail in rule(state, tickets)]
    return found


def _window_holds_an_open_ticket_of_its_hall(state: HallState, tickets: Mapping[int, Ticket]) -> list[str]:
    found = []
    for w in state.windows:
        if w.ticket_id is None:
            continue
        t = tickets.get(w.ticket_id)
        if t is None:
            found.append(f"window {w.number} holds ticket {w.ticket_id}, which is not a ticket of this hall")
        elif not t.held or t.window != w.number:
            found.append(f"window {w.number} holds {t.number}, which is {t.status.value} at window {t.window}")
    return found


def _a_called_or_served_ticket_is_held_by_its_window(state: HallState, tickets: Mapping[int, Ticket]) -> list[str]:
    holders = Counter(w.ticket_id for w in state.windows if w.ticket_id is not None)
    by_number = {w.number: w for w in state.windows}
    found = []
    for t in state.tickets:
        if t.held:
            window = by_number.get(t.window) if t.window is not None else None
            if window is None or window.ticket_id != t.id:
                found.append(f"{t.number} is {t.status.value} at window {t.window}, which does not hold it")
        if holders[t.id] > 1:
            found.append(f"{t.number} is held by {holders[t.id]} windows")
    return found


def _window_state_is_consistent(state: HallState, tickets: Mapping[int, Ticket]) -> list[str]:
    found = []
    for w in state.windows:
        if w.status is WindowStatus.CLOSED and (w.clerk_id is not None or w.ticket_id is not None):
            found.append(f"window {w.number} is closed but has clerk {w.clerk_id} and ticket {w.ticket_id}")
        if w.status is not WindowStatus.CLOSED and w.clerk_id is None:
            found.append(f"window {w.number} is {w.status.value} with no clerk signed in")
        if w.status is WindowStatus.PAUSED and w.ticket_id is not None:
            found.append(f"window {w.number} is paused while holding ticket {w.ticket_id}")
    return found


def _a_clerk_works_one_window(state: HallState, tickets: Mapping[int, Ticket]) -> list[str]:
    counts = Counter(w.clerk_id for w in state.windows if w.clerk_id is not None)
    return [f"clerk {clerk} is signed in at {n} windows" for clerk, n in counts.items() if n > 1]


def _one_open_ticket_per_id_per_queue(state: HallState, tickets: Mapping[int, Ticket]) -> list[str]:
    counts = Counter((t.queue, t.id_digest) for t in state.tickets if t.open and t.id_digest is not None)
    return [f"one ID holds {n} open tickets in queue {queue!r}" for (queue, _), n in counts.items() if n > 1]


def _a_number_is_issued_once_a_day(state: HallState, tickets: Mapping[int, Ticket]) -> list[str]:
    counts = Counter((t.service_day, t.number) for t in state.tickets)
    return [f"{number} was issued {n} times on {day}" for (day, number), n in counts.items() if n > 1]


def _no_open_ticket_from_an_earlier_day(state: HallState, tickets: Mapping[int, Ticket]) -> list[str]:
    return [
        f"{t.number} of {t.service_day} is still {t.status.value} on service day {state.open_day}"
        for t in state.tickets
        if t.open and t.service_day < state.open_day
    ]


def _open_tickets_are_in_queues_of_the_hall(state: HallState, tickets: Mapping[int, Ticket]) -> list[str]:
    return [
        f"{t.number} is {t.status.value} in queue {t.queue!r}, which the hall file does not have"
        for t in state.tickets
        if t.open and not state.spec.has_queue(t.queue)
    ]


def _windows_are_those_of_the_hall_file(state: HallState, tickets: Mapping[int, Ticket]) -> list[str]:
    stored = {w.number for w in state.windows}
    configured = {w.number for w in state.spec.windows}
    found = [f"window {n} is in the hall file but not stored" for n in sorted(configured - stored)]
    return found + [f"window {n} is stored but not in the hall file" for n in sorted(stored - configured)]


def _a_ticket_sent_to_a_window_waits_for_one_that_works(state: HallState, tickets: Mapping[int, Ticket]) -> list[str]:
    by_number = {w.number: w for w in state.windows}
    found = []
    for t in state.tickets:
        if t.status is not TicketStatus.WAITING or t.target_window is None:
            continue
        window = by_number.get(t.target_window)
        if window is None or window.status is WindowStatus.CLOSED or not state.spec.has_window(t.target_window):
            found.append(f"{t.number} waits for window {t.target_window}, which is closed or gone")
        elif not state.spec.window(t.target_window).serves_queue(t.queue):
            found.append(f"{t.number} waits for window {t.target_window}, which does not serve {t.queue!r}")
    return found


def _places_in_a_line_are_distinct(state: HallState, tickets: Mapping[int, Ticket]) -> list[str]:
    counts = Counter((t.queue, t.place) for t in state.tickets if t.status is TicketStatus.WAITING)
    return [f"{n} tickets share place {place} in {queue!r}" for (queue, place), n in counts.items() if n > 1]


def _a_held_ticket_has_one_open_visit_at_its_window(state: HallState, tickets: Mapping[int, Ticket]) -> list[str]:
    open_visits: dict[int, list[Visit]] = {}
    for v in state.visits:
        if v.open:
            open_visits.setdefault(v.ticket_id, []).append(v)
    found = []
    for t in state.tickets:
        visits = open_visits.get(t.id, [])
        if t.held and (len(visits) != 1 or visits[0].window != t.window):
            found.append(f"{t.number} is {t.status.value} at window {t.window} with open visits {visits}")
        if not t.held and visits:
            found.append(f"{t.number} is {t.status.value} but still has an open visit at window {visits[0].window}")
    return found


def _handling_time_is_the_sum_of_its_visits(state: HallState, tickets: Mapping[int, Ticket]) -> list[str]:
    sums: dict[int, float] = {}
    for v in state.visits:
        sums[v.ticket_id] = sums.get(v.ticket_id, 0.0) + v.handling_seconds
    return [
        f"{t.number} records {t.handling_seconds:.3f} s of handling, its visits {sums.get(t.id, 0.0):.3f} s"
        for t in state.tickets
        if abs(t.handling_seconds - sums.get(t.id, 0.0)) > _EPSILON
    ]


def _a_checked_in_appointment_holds_its_own_ticket(state: HallState, tickets: Mapping[int, Ticket]) -> list[str]:
    found = []
    for a in state.appointments:
        checked_in = a.status is AppointmentStatus.CHECKED_IN
        if checked_in != (a.ticket_id is not None):
            found.append(f"appointment {a.reference} is {a.status.value} with ticket {a.ticket_id}")
            continue
        if a.ticket_id is None:
            continue
        t = tickets.get(a.ticket_id)
        if t is None:
            found.append(f"appointment {a.reference} holds ticket {a.ticket_id}, which is not a ticket of this hall")
        elif t.appointment != a.reference or t.origin_queue != a.queue:
            found.append(
                f"appointment {a.reference} ({a.queue!r}) holds {t.number}, issued in {t.origin_queue!r} "
                f"for appointment {t.appointment!r}"
            )
    return found


def _a_ticket_of_an_appointment_is_its_only_one(state: HallState, tickets: Mapping[int, Ticket]) -> list[str]:
    by_reference = {a.reference: a for a in state.appointments}
    counts = Counter(t.appointment for t in state.tickets if t.appointment in by_reference)
    found = [f"appointment {ref} has {n} tickets" for ref, n in counts.items() if n > 1]
    return found + [
        f"{t.number} names appointment {t.appointment}, whose ticket is {by_reference[t.appointment].ticket_id}"
        for t in state.tickets
        if t.appointment in by_reference and by_reference[t.appointment].ticket_id != t.id
    ]


def _no_appointment_is_booked_for_a_closed_day(state: HallState, tickets: Mapping[int, Ticket]) -> list[str]:
    return [
        f"appointment {a.reference} of {a.service_day} is still booked on service day {state.open_day}"
        for a in state.appointments
        if a.status is AppointmentStatus.BOOKED and a.service_day < state.open_day
    ]


def _one_rating_per_ticket(state: HallState, tickets: Mapping[int, Ticket]) -> list[str]:
    counts = Counter(r.ticket_id for r in state.ratings)
    return [f"ticket {ticket} has {n} ratings" for ticket, n in counts.items() if n > 1]


def _a_rating_is_of_a_finished_ticket_of_its_hall(state: HallState, tickets: Mapping[int, Ticket]) -> list[str]:
    found = []
    for r in state.ratings:
        t = tickets.get(r.ticket_id)
        if t is None or r.hall_id != state.hall_id:
            found.append(f"rating {r.id} (hall {r.hall_id}) is of ticket {r.ticket_id}, not a ticket of this hall")
        elif t.status is not TicketStatus.DONE:
            found.append(f"rating {r.id} is of {t.number}, which is {t.status.value}")
    return found


def _an_open_invitation_is_of_a_finished_unrated_ticket_of_its_window(
    state: HallState, tickets: Mapping[int, Ticket]
) -> list[str]:
    rated = {r.ticket_id for r in state.ratings}
    open_at = Counter(i.window for i in state.invitations if i.open)
    found = [f"window {window} has {n} open rating invitations" for window, n in open_at.items() if n > 1]
    for i in state.invitations:
        if not i.open:
            continue
        t = tickets.get(i.ticket_id)
        if t is None:
            found.append(f"window {i.window} invites a rating of ticket {i.ticket_id}, not a ticket of this hall")
        elif t.status is not TicketStatus.DONE or t.window != i.window:
            found.append(f"window {i.window} invites a rating of {t.number}, {t.status.value} at window {t.window}")
        elif t.id in rated:
            found.append(f"window {i.window} still invites a rating of {t.number}, which is rated")
    return found


_RULES = (
    _window_holds_an_open_ticket_of_its_hall,
    _a_called_or_served_ticket_is_held_by_its_window,
    _window_state_is_consistent,
    _a_clerk_works_one_window,
    _one_open_ticket_per_id_per_queue,
    _a_number_is_issued_once_a_day,
    _no_open_ticket_from_an_earlier_day,
    _open_tickets_are_in_queues_of_the_hall,
    _windows_are_those_of_the_hall_file,
    _a_ticket_sent_to_a_window_waits_for_one_that_works,
    _places_in_a_line_are_distinct,
    _a_held_ticket_has_one_open_visit_at_its_window,
    _handling_time_is_the_sum_of_its_visits,
    _a_checked_in_appointment_holds_its_own_ticket,
    _a_ticket_of_an_appointment_is_its_only_one,
    _no_appointment_is_booked_for_a_closed_day,
    _one_rating_per_ticket,
    _a_rating_is_of_a_finished_ticket_of_its_hall,
    _an_open_invitation_is_of_a_finished_unrated_ticket_of_its_window,
)
