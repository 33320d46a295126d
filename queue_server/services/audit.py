"""Reading the audit log (domain.audit): administrators only, an administrator of one
hall that hall's entries only. The entries themselves are written by the use cases that
do what they record."""

from __future__ import annotations

from typing import Any

from queue_server import storage
from queue_server.domain.access import Permission, Principal, require
from queue_server.domain.audit import AuditAction
from queue_server.domain.errors import NotFound
from queue_server.services.base import ServicesBase


class AuditUseCases(ServicesBase):
    def audit_log(
        self,
        principal: Principal | None,
        *,
        limit: int,
        before: int | None = None,
        since: str | None = None,
        hall: str | None = None,
        actor: str | None = None,
        action: AuditAction | None = None,
    ) -> tuple[list[dict[str, Any]], int | None]:
        """Up to `limit` entries, newest first, as filtered; and the `before` that asks for
        the page after this one (None: this was the last). Who asks is checked before a
        hall named in the filter is looked up: only an administrator of every hall learns
        that a code names none."""
        with self.store.read() as db:
            if hall is not None:
                row = storage.halls.by_code(db, hall)
                require(principal, Permission.READ_AUDIT, row["id"] if row else None)
                if row is None:
                    raise NotFound(f"没有编码为 {hall!r} 的大厅", field="hall")
            else:
                who = require(principal, Permission.READ_AUDIT, principal.hall_id if principal else None)
                if who.hall_id is not None:  # an administrator of one hall: its entries only
                    own = storage.halls.by_id(db, who.hall_id)
                    hall = own["code"] if own else ""
            rows = storage.audit.entries(
                db,
                limit=limit + 1,
                before=before,
                since=since,
                hall=hall,
                actor=actor,
                action=action.value if action else None,
            )
        page = rows[:limit]
        return page, page[-1]["id"] if len(rows) > limit else None
