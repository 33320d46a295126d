"""The catalogue: what a desk or kiosk may issue a ticket for, with the keys to find it.

Every item, bundle (一件事) and queue of the hall with its pinyin initials and full
pinyin (`domain.search_keys`, computed here on the server so that every page searches
alike), and each queue as a citizen would find it now: waiting, issued today against its
cap, issuing or not and when, the day's average handling time and the windows that
serve it, and the estimated wait for a ticket taken now, from the hall's predictions
(`services.estimates`, docs/estimates.md). The pages keep the counts live from the hall's
events (`waiting`, window states) and the estimate from `queue_waits_estimated`, which
the server pushes when a figure changes: the pages compute no estimate of their own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from queue_server import storage
from queue_server.domain import clock, estimate
from queue_server.domain.access import Permission, Principal
from queue_server.domain.search_keys import SearchKeys, names_of, search_keys
from queue_server.domain.tickets import PriorityClass
from queue_server.services.base import ServicesBase
from queue_server.services.estimates import hall_predictions


def _keys(stored: dict[str, SearchKeys], name: str) -> dict[str, str]:
    """Its keys as the hall's import stored them; computed here (pypinyin loaded in this
    process) only for a hall imported before they were stored."""
    keys = stored.get(name) or search_keys(name)
    return {"initials": keys.initials, "pinyin": keys.pinyin}


class CatalogueUseCases(ServicesBase):
    def catalogue(self, principal: Principal | None, hall_code: str, now: datetime) -> dict[str, Any]:
        """The hall's items, bundles and queues with their search keys and live figures."""
        with self.store.read() as db:
            hall = self._hall_for(db, hall_code, principal, Permission.VIEW_CATALOGUE)
            row = storage.halls.by_id(db, hall.id)
            assert row is not None
            spec = hall.spec
            day = row["service_day"] or clock.service_day(now, spec).isoformat()
            waiting = storage.tickets.waiting_counts(db, hall.id)
            figures = storage.tickets.queue_days(db, hall.id, day)
            open_windows = {w["number"] for w in storage.windows.views(db, hall.id) if w["status"] == "open"}
            seq = row["last_seq"]
            predicted = hall_predictions(db, hall, day, now, new_ticket_queues=[q.code for q in spec.queues])
            keys = storage.search_keys.of(db, names_of(spec))
        local_day = clock.local(now, spec).date()
        queues = []
        for queue in spec.queues:
            day_figures = figures.get(queue.code, {"issued": 0, "served": 0, "handling_seconds": 0.0})
            average = estimate.average_handling_minutes(
                day_figures["served"], day_figures["handling_seconds"], queue.avg_service_minutes
            )
            serving = hall.windows_serving(queue.code)
            opened = len([number for number in serving if number in open_windows])
            ahead = waiting.get(queue.code, 0)
            queues.append(
                {
                    "code": queue.code,
                    "prefix": queue.prefix,
                    "name": queue.name,
                    "kind": queue.kind.value,
                    **_keys(keys, queue.name),
                    "waiting": ahead,
                    "issued": day_figures["issued"],
                    "daily_cap": queue.daily_cap,
                    "issuing": clock.is_issuing(queue, spec, now),
                    "issuing_hours": [str(r) for r in clock.issuing_hours(queue, spec, local_day)],
                    "priority_calls": queue.priority_max_in_row > 0,
                    "average_handling_minutes": round(average, 2),
                    "windows": serving,
                    "windows_open": opened,
                    "estimated_wait_minutes": estimate.whole_minutes(predicted.new_ticket[queue.code]),
                }
            )
        return {
            "hall": {"code": spec.code, "name": spec.name, "timezone": spec.timezone},
            "service_day": day,
            "seq": seq,
            "priority_classes": [p.value for p in PriorityClass],
            "queues": queues,
            "items": [
                {"code": i.code, "name": i.name, "department": i.department, "queue": i.queue, **_keys(keys, i.name)}
                for i in spec.items
            ],
            "bundles": [
                {"code": b.code, "name": b.name, "queue": b.queue, "items": list(b.items), **_keys(keys, b.name)}
                for b in spec.bundles
            ],
        }
