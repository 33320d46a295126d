"""Use cases: each joins the rules and the store in one transaction.

Every use case takes the caller (`Principal`, or None for the operator's own command line
and the server's timer) and `now`, checks who is asking, does its work inside one
`Storage.write()` transaction that first closes the hall's service day if it has ended,
applies the pure transitions of `domain.lifecycle`, appends their events to the hall's
log, and returns `(result, events)`. The caller emits the events only after this
returned, that is after the commit. The use cases are grouped by what they act on, one
module each; `Services` is all of them over one store.
"""

from __future__ import annotations

from queue_server.domain.events import EventType
from queue_server.services.alerts import AlertUseCases
from queue_server.services.appointments import AppointmentUseCases, BookingRequest
from queue_server.services.audit import AuditUseCases
from queue_server.services.base import Event, Hall
from queue_server.services.catalogue import CatalogueUseCases
from queue_server.services.counter import CounterUseCases
from queue_server.services.dashboard import DashboardUseCases
from queue_server.services.devices import DeviceUseCases
from queue_server.services.feed import FeedUseCases
from queue_server.services.finding import FindingUseCases
from queue_server.services.halls import HallUseCases
from queue_server.services.phone import PhoneUseCases
from queue_server.services.printing import PrintJobNotice
from queue_server.services.ratings import PadNotice, RatingQuery, RatingUseCases, rating_record
from queue_server.services.reports import ReportUseCases
from queue_server.services.review_cases import CaseQuery, ReviewCaseUseCases
from queue_server.services.screens import ScreenUseCases
from queue_server.services.staffing import StaffingUseCases
from queue_server.services.tickets import IssueRequest, TicketUseCases
from queue_server.services.waits import WaitPushes, WaitUseCases
from queue_server.services.windows import WindowUseCases

__all__ = [
    "BookingRequest",
    "CaseQuery",
    "Event",
    "EventType",
    "Hall",
    "IssueRequest",
    "PadNotice",
    "PrintJobNotice",
    "RatingQuery",
    "Services",
    "WaitPushes",
    "rating_record",
]


class Services(
    HallUseCases,
    AppointmentUseCases,
    TicketUseCases,
    WindowUseCases,
    ScreenUseCases,
    FindingUseCases,
    AuditUseCases,
    CatalogueUseCases,
    PhoneUseCases,
    CounterUseCases,
    RatingUseCases,
    FeedUseCases,
    ReviewCaseUseCases,
    StaffingUseCases,
    AlertUseCases,
    DeviceUseCases,
    ReportUseCases,
    WaitUseCases,
    DashboardUseCases,
):
    """Every use case over one store. Holds only caches that the store can rebuild."""
