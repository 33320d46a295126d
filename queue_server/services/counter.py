"""What the clerk's console reads (counter_client/): the clerk's own standing and figures
today, and one window as its console shows it (the ticket in hand with the windows it
passed, the queues served with their waiting counts, the next few, the suspended ones).

Reads only; every window command is in `services.windows`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlite_utils

from queue_server import storage
from queue_server.domain import clock, counter, routing
from queue_server.domain.access import Forbidden, Permission, Principal, Role
from queue_server.domain.errors import NotFound
from queue_server.domain.hall import WindowSpec
from queue_server.domain.lifecycle import Ticket
from queue_server.services.base import Hall, ServicesBase

NEXT_SHOWN = 5  # tickets the console lists as next


class CounterUseCases(ServicesBase):
    def clerk_today(self, principal: Principal | None, hall_code: str, now: datetime) -> dict[str, Any]:
        """The signed-in clerk at the start of the console: the hall's windows with whether
        they may open each (and whether that would be covering, 顶岗), the window they are
        signed in at, and their own figures today, computed from the visits they made."""
        with self.store.read() as db:
            hall = self._hall_for(db, hall_code, principal, Permission.OPERATE_WINDOW)
            assert principal is not None
            if principal.actor is not Role.CLERK or principal.user_id is None:
                raise Forbidden("只有窗口工作人员有自己的窗口和当日数据", permission=Permission.OPERATE_WINDOW.value)
            user = storage.people.user_by_id(db, principal.user_id)
            day = self._open_day(db, hall, now)
            figures = storage.tickets.clerk_day(db, hall.id, principal.user_id, day)
            at = storage.windows.of_clerk(db, principal.user_id)
            views = {row["number"]: row for row in storage.windows.views(db, hall.id)}
        own = counter.own_windows(hall.spec, principal.username)
        served = int(figures.get("served") or 0)
        windows = []
        for spec in hall.spec.windows:
            row = views.get(spec.number)
            allowed = counter.may_open(hall.spec, spec.number, principal.username)
            covering = allowed and counter.standing(hall.spec, spec.number, principal.username).covering
            windows.append(
                {
                    "number": spec.number,
                    "name": spec.name,
                    "zone": spec.zone,
                    "status": row["status"] if row else "closed",
                    "clerk": row["clerk_name"] if row and row["status"] != "closed" else None,
                    "queues": [s.queue for s in spec.serves],
                    "may_open": allowed,
                    "own": spec.number in own,
                    "covering": covering,
                }
            )
        return {
            "hall": {"code": hall.spec.code, "name": hall.spec.name},
            "service_day": day,
            "clerk": {
                "name": principal.name,
                "username": principal.username,
                "staff_number": user["staff_number"] if user else None,
            },
            "window": at.number if at is not None and at.hall_id == hall.id else None,
            "own_windows": list(own),
            "windows": windows,
            "today": {
                "served": served,
                "average_handling_seconds": round(float(figures["served_seconds"]) / served, 1) if served else None,
                "handling_seconds": round(float(figures.get("handling_seconds") or 0), 1),
                "called": int(figures.get("called") or 0),
                "no_shows": int(figures.get("no_shows") or 0),
                "transferred": int(figures.get("transferred") or 0),
                "suspended": int(figures.get("suspended") or 0),
            },
        }

    def window_console(self, principal: Principal | None, hall_code: str, number: int, now: datetime) -> dict[str, Any]:
        """One window as its console shows it. For the clerk signed in at it, or a manager
        of the hall; another clerk is refused (403)."""
        with self.store.read() as db:
            hall = self._hall_for(db, hall_code, principal, Permission.OPERATE_WINDOW, Permission.SUPERVISE_WINDOW)
            assert principal is not None
            spec = hall.window(number)
            window = storage.windows.load(db, hall.id, number)
            if window is None:
                raise NotFound(f"大厅中没有 {number} 号窗口", field="window")
            if principal.actor is Role.CLERK and window.clerk_id != principal.user_id:
                raise Forbidden(
                    f"您没有在 {number} 号窗口登录：请先开窗，控制台只显示您自己登录的窗口",
                    permission=Permission.OPERATE_WINDOW.value,
                )
            hall_row = storage.halls.by_id(db, hall.id)
            assert hall_row is not None
            day = self._open_day(db, hall, now)
            held = storage.tickets.load(db, window.ticket_id) if window.ticket_id is not None else None
            ticket = self._console_ticket(db, hall, held, now) if held is not None else None
            upcoming = self._upcoming(db, hall, day, spec)
            suspended = [
                {**self._ticket_brief(hall, t), "suspended_at": clock.iso(t.suspended_at) if t.suspended_at else None}
                for t in storage.tickets.suspended_at(db, hall.id, number)
            ]
            waiting = storage.tickets.waiting_counts(db, hall.id)
            sent_here = len(storage.tickets.sent_to(db, hall.id, number))
            view = self._window_view(db, hall, number)
        return {
            "seq": hall_row["last_seq"],
            "service_day": day,
            "window": view,
            "queues": [
                {
                    "code": s.queue,
                    "name": hall.queue_name(s.queue),
                    "prefix": hall.spec.queue(s.queue).prefix if hall.spec.has_queue(s.queue) else "",
                    "rank": s.rank,
                    "waiting": waiting.get(s.queue, 0),
                }
                for s in spec.serves
            ],
            "sent_here": sent_here,
            "ticket": ticket,
            "next": upcoming,
            "suspended": suspended,
        }

    # ---- helpers ------------------------------------------------------------------------

    def _open_day(self, db: sqlite_utils.Database, hall: Hall, now: datetime) -> str:
        row = storage.halls.by_id(db, hall.id)
        return (row["service_day"] if row else None) or clock.service_day(now, hall.spec).isoformat()

    def _console_ticket(self, db: sqlite_utils.Database, hall: Hall, ticket: Ticket, now: datetime) -> dict[str, Any]:
        """The ticket in hand: its view, how long it waited before its first call, and
        the windows it passed before this one (with how each stay ended)."""
        view = self._ticket_view(db, hall, ticket, now)
        first_call = ticket.first_called_at or now
        visits = storage.tickets.visits_of(db, ticket.id)
        names = {w.number: w.name for w in hall.spec.windows}
        earlier = [
            {
                "window": v["window"],
                "name": names.get(v["window"], f"{v['window']}号窗口"),
                "ending": v["ending"],
                "ended_at": v["ended_at"],
                "handling_seconds": round(float(v["handling_seconds"] or 0), 1),
            }
            for v in visits
            if v["ended_at"] is not None
        ]
        bundle = next((b for b in hall.spec.bundles if b.code == ticket.bundle), None)
        item = next((i for i in hall.spec.items if i.code == ticket.item), None)
        return {
            **view,
            "item_name": item.name if item else None,
            "bundle_name": bundle.name if bundle else None,
            "waited_seconds": round(max((first_call - ticket.issued_at).total_seconds(), 0.0), 1),
            "earlier_windows": earlier,
        }

    def _upcoming(self, db: sqlite_utils.Database, hall: Hall, day: str, spec: WindowSpec) -> list[dict[str, Any]]:
        """The next few `call_next` would call here, in order (`routing.upcoming`)."""
        ranks = {s.queue: s.rank for s in spec.serves}
        rows = storage.tickets.line_fronts(db, hall.id, list(ranks), spec.number, NEXT_SHOWN)
        days = storage.tickets.queue_days(db, hall.id, day)
        streaks = {q: days[q]["priority_streak"] if q in days else 0 for q in ranks}
        caps = {q.code: q.priority_max_in_row for q in hall.spec.queues}
        by_id = {row["id"]: row for row in rows}
        chosen = routing.upcoming(
            [
                routing.Candidate(
                    ticket_id=r["id"],
                    queue=r["queue"],
                    priority=r["priority"] is not None,
                    place=r["place"],
                    targeted=r["target_window"] == spec.number,
                )
                for r in rows
            ],
            ranks,
            streaks,
            caps,
            NEXT_SHOWN,
        )
        return [
            {
                "id": c.ticket_id,
                "number": by_id[c.ticket_id]["number"],
                "queue": c.queue,
                "queue_name": hall.queue_name(c.queue),
                "priority": by_id[c.ticket_id]["priority"],
                "sent_here": c.targeted,
                "issued_at": by_id[c.ticket_id]["issued_at"],
            }
            for c in chosen
        ]
