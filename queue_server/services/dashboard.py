"""The managers' live dashboard (`GET /halls/{hall}/dashboard`, docs/dashboard.md): the hall
as a manager watches it, read in one transaction with the hall's sequence number, so that
the page applies exactly the events after it.

Per queue: waiting now with each waiting ticket's issue time (the page ages the oldest by
its clock), the day's waits (issue to first call) and tickets issued and served per local
hour. Per window: its state, clerk, ticket and since when. The hall's devices, online or
not on any server process (the API adds presence: `realtime.Realtime.device_presence`).
Today's 好差评 counts and the open 差评 cases, read as `review_figures` and
`review_cases` read them. The rules of counting are `domain.dashboard`'s; the page's
reducer counts the same from the events.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from queue_server import storage
from queue_server.domain import clock, dashboard
from queue_server.domain.access import Permission, Principal
from queue_server.domain.review_cases import CaseState, Counts
from queue_server.services.base import ServicesBase
from queue_server.services.review_cases import _brief as case_brief

OPEN_CASE_STATES = tuple(state.value for state in CaseState if state is not CaseState.CLOSED)


class DashboardUseCases(ServicesBase):
    def dashboard(self, principal: Principal | None, hall_code: str, now: datetime) -> dict[str, Any]:
        """Everything the dashboard draws, as of the returned `seq`."""
        with self.store.read() as db:
            hall = self._hall_for(db, hall_code, principal, Permission.VIEW_DASHBOARD)
            row = storage.halls.by_id(db, hall.id)
            assert row is not None
            spec = hall.spec
            day = row["service_day"] or clock.service_day(now, spec).isoformat()
            # a big hall's day is thousands of tickets: read off the hub, as the reports do
            tickets = self.offload(storage.dashboard.day_tickets, db, hall.id, day)
            waiting = storage.dashboard.waiting_tickets(db, hall.id)
            windows = storage.windows.views(db, hall.id)
            since = storage.dashboard.window_changes(db, hall.id, dashboard.WINDOW_CHANGES)
            devices = storage.dashboard.devices(db, hall.id)
            counts = Counts()
            for figures in self.offload(storage.review_cases.figure_counts, db, hall.id, day, day, None):
                counts += Counts.of_row(figures)
            cases = [
                case_brief(hall, case, storage.review_cases.case_of_row(case), now)
                for case in storage.review_cases.listed(
                    db, hall.id, states=OPEN_CASE_STATES, opened_from=None, opened_before=None
                )
            ]
        days = dashboard.count_day(tickets, [q.code for q in spec.queues], spec)
        cases.sort(key=lambda case: (not case["overdue"], case["opened_at"], case["id"]))
        return {
            "hall": {"code": spec.code, "name": spec.name, "timezone": spec.timezone},
            "service_day": day,
            "notice": hall.notice(row["notice"]),
            "seq": row["last_seq"],
            "now": clock.iso(now),
            "queues": [
                {
                    "code": queue.code,
                    "name": queue.name,
                    "prefix": queue.prefix,
                    "wait_threshold_minutes": dashboard.wait_threshold_minutes(spec, queue.code),
                    "waiting": sum(1 for ticket in waiting if ticket["queue"] == queue.code),
                    "waiting_tickets": [
                        {"id": ticket["id"], "issued_at": ticket["issued_at"]}
                        for ticket in waiting
                        if ticket["queue"] == queue.code
                    ],
                    **days[queue.code].as_dict(),
                }
                for queue in spec.queues
            ],
            "windows": [
                {
                    "number": window["number"],
                    "name": window["name"],
                    "zone": window["zone"],
                    "status": window["status"],
                    "state": dashboard.window_state(window["status"], window["ticket_number"]).value,
                    "clerk": window["clerk_name"] if window["status"] != "closed" else None,
                    "clerk_number": window["clerk_staff_number"] if window["status"] != "closed" else None,
                    "ticket": window["ticket_number"],
                    "ticket_id": window["ticket_id"],
                    "ticket_status": window["ticket_status"],
                    "since": since.get(window["number"]),
                }
                for window in windows
            ],
            "devices": [
                {
                    "id": device["id"],
                    "kind": device["kind"],
                    "name": device["name"],
                    "window": device["window"],
                    "station": device["station"],
                    "last_seen": device["last_seen_at"],
                }
                for device in devices
            ],
            "ratings": {
                "finished": counts.finished,
                "rated": counts.rated,
                "citizen_rated": counts.citizen_rated,
                "good": counts.good,
                "bad": counts.bad,
            },
            "cases": cases,
        }
