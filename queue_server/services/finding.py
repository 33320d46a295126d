"""Finding tickets: the desk's waiting list, a number or a citizen's tickets looked up,
a manager's view of a window's day, one page at a time (see `domain.search`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from queue_server import storage
from queue_server.domain import clock, search
from queue_server.domain.access import Permission, Principal, require
from queue_server.domain.identity import id_digest
from queue_server.domain.search import Cursor, TicketSearch
from queue_server.services.base import ServicesBase
from queue_server.services.estimates import hall_predictions


class FindingUseCases(ServicesBase):
    def find_tickets(
        self,
        principal: Principal | None,
        hall_code: str,
        query: TicketSearch,
        now: datetime,
        *,
        id_number: str | None = None,
    ) -> dict[str, Any]:
        """One page of the day's tickets matching `query`, each as `ticket` shows it (with
        people ahead and the estimated wait while it waits). `id_number`: the citizen's,
        matched by its keyed hash; it needs the permission to look citizens up."""
        digest = id_digest(id_number, self._id_secret) if id_number is not None else None
        with self.store.read() as db:
            hall = self._hall_for(db, hall_code, principal, Permission.FIND_TICKETS)
            if digest is not None:
                require(principal, Permission.FIND_BY_ID, hall.id)
                query = replace(query, id_digest=digest)
            search.check_against(query, hall.spec)
            day = (query.day or clock.service_day(now, hall.spec)).isoformat()
            found = storage.tickets.search(
                db,
                hall.id,
                day=day,
                statuses=sorted(s.value for s in query.statuses),
                queues=list(query.queues),
                number=query.number,
                window=query.window,
                id_digest=query.id_digest,
                after=(query.after.group, query.after.key, query.after.ticket_id) if query.after else None,
                limit=query.limit + 1,  # one more tells whether there is a next page
            )
            page = found[: query.limit]
            more = len(found) > query.limit
            # one play of the hall for the whole page (services.estimates)
            predictions = hall_predictions(db, hall, day, now)
            return {
                "service_day": day,
                "tickets": [self._ticket_view(db, hall, ticket, now, predictions) for ticket, _ in page],
                "next_cursor": Cursor(*page[-1][1]).encode() if more else None,
            }
