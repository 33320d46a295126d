"""Who receives what: the two audiences of the hall's data and what the public one sees.

Every device is **public**: hall and window screens hang in the hall, kiosks and review pads
stand in it, printers sit on the guidance desk with their output in citizens' hands; a
device token is the credential most likely to leak. Staff (guides, clerks, managers,
administrators, and the operator's command line) are the **staff** audience and see
everything of their hall.

A public device receives public fields only (docs/privacy.md): tickets by their random
public reference (`ref`), never by their counting `id`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from queue_server.domain.access import Principal


class Audience(StrEnum):
    PUBLIC = "public"  # every device
    STAFF = "staff"  # guides, clerks, managers, administrators, the operator


def audience_of(principal: Principal | None) -> Audience:
    """Staff see everything of their hall; a device, or nobody known, sees the public part."""
    if principal is not None and (principal.operator or not principal.is_device):
        return Audience.STAFF
    return Audience.PUBLIC


# What a public device may see of a ticket (`ticket_view`); the rest is the staff's.
PUBLIC_TICKET_VIEW = frozenset(
    {
        "ref",
        "number",
        "service_day",
        "queue",
        "queue_name",
        "item",
        "bundle",
        "items",
        "priority",
        "channel",
        "status",
        "window",
        "target_window",
        "issued_at",
        "first_called_at",
        "called_at",
        "started_at",
        "finished_at",
        "people_ahead",
        "estimated_wait_minutes",
        "hall",
    }
)


def public_ticket_view(view: dict[str, Any]) -> dict[str, Any]:
    """A ticket as a kiosk that issued it sees it: by its reference, without the staff's
    fields (its counting id, its handling time, its outcome, its log)."""
    return {key: value for key, value in view.items() if key in PUBLIC_TICKET_VIEW}
