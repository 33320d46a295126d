"""Who may do what: the role matrix, in one table that a test walks whole."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from queue_server.domain.errors import DomainError


class Role(StrEnum):
    GUIDE = "guide"  # 导办 staff at the guidance desk
    CLERK = "clerk"  # 窗口工作人员
    MANAGER = "manager"
    ADMIN = "admin"


class DeviceKind(StrEnum):
    HALL_SCREEN = "hall_screen"
    WINDOW_SCREEN = "window_screen"
    KIOSK = "kiosk"
    PRINTER = "printer"
    REVIEW_PAD = "review_pad"
    BOOKING_PLATFORM = "booking_platform"  # the city's appointment platform: pushes and cancels bookings


WINDOW_BOUND_DEVICES = frozenset({DeviceKind.WINDOW_SCREEN, DeviceKind.REVIEW_PAD})


class Citizen(StrEnum):
    """Whoever holds a ticket's public reference (its QR code): no account, no device.
    Public audience, its ticket's hall only, and there only that ticket (docs/phone.md)."""

    TICKET = "citizen"


class Permission(StrEnum):
    VIEW_HALL = "view_hall"  # snapshot, live events
    ISSUE_TICKET = "issue_ticket"
    READ_TICKET = "read_ticket"
    CANCEL_TICKET = "cancel_ticket"
    OPERATE_WINDOW = "operate_window"  # the clerk logged in at that window
    SUPERVISE_WINDOW = "supervise_window"  # pause or close any window of the hall
    READ_LOG = "read_log"  # a ticket's full transition log
    SWEEP_DAY = "sweep_day"
    CONFIGURE_HALL = "configure_hall"
    CONFIGURE_SCREENS = "configure_screens"  # the notice and each screen's settings
    VIEW_SCREENS = "view_screens"  # which screens are online, last seen
    MANAGE_USERS = "manage_users"  # disable, enable, unlock accounts; set their password or role
    MANAGE_DEVICES = "manage_devices"  # list, register and revoke the hall's devices (screens, kiosks, …)
    FIND_TICKETS = "find_tickets"  # the day's tickets by status, queue, number, window
    FIND_BY_ID = "find_by_id"  # a citizen's tickets by ID number (matched by its keyed hash)
    BOOK_APPOINTMENT = "book_appointment"  # push (create) and cancel appointments
    VIEW_APPOINTMENTS = "view_appointments"  # the day's appointments and their states
    READ_AUDIT = "read_audit"  # the audit log of administrators' and managers' actions
    VIEW_CATALOGUE = "view_catalogue"  # items, bundles, queues with search keys and live figures
    PRINT_TICKETS = "print_tickets"  # a printer's agent: take its jobs, report how each printed
    VIEW_PRINT_JOBS = "view_print_jobs"  # print jobs and the printers' states
    REPRINT_TICKET = "reprint_ticket"
    FOLLOW_TICKET = "follow_ticket"  # a citizen's phone: its own ticket's progress, its hall's citizen stream
    RATE_SERVICE = "rate_service"  # 好差评: the window's review pad, or the ticket's own phone; never staff
    VIEW_RATINGS = "view_ratings"  # the hall's ratings, filtered; its 差评整改 cases and 好差评 figures
    VIEW_FEED = "view_feed"  # the 好差评 feed's outbox: counts, the last success and error, the dead letters
    RETRY_FEED = "retry_feed"  # send a dead letter again
    HANDLE_REVIEW_CASES = "handle_review_cases"  # 差评整改: record contact, reply, callback, appeal; close
    VIEW_ALERTS = "view_alerts"  # the managers' alerts: long waits, many waiting, paused windows, devices offline
    ACKNOWLEDGE_ALERT = "acknowledge_alert"  # a manager saw an alert (who and when are kept)
    VIEW_DASHBOARD = "view_dashboard"  # the live dashboard's figures: queues, windows, devices, 好差评 today


Actor = Role | DeviceKind | Citizen

MATRIX: dict[Permission, frozenset[Actor]] = {
    # the booking platform is the city's machine, not a screen of the hall: it sees bookings only
    Permission.VIEW_HALL: frozenset({*Role, *DeviceKind}) - {DeviceKind.BOOKING_PLATFORM},
    Permission.ISSUE_TICKET: frozenset({Role.GUIDE, Role.MANAGER, DeviceKind.KIOSK}),
    # staff only: a ticket's id counts up, and a device must not walk the day's tickets (a
    # citizen's own page will read one by its public reference)
    Permission.READ_TICKET: frozenset({Role.GUIDE, Role.CLERK, Role.MANAGER, Role.ADMIN}),
    Permission.CANCEL_TICKET: frozenset({Role.GUIDE, Role.MANAGER}),
    Permission.OPERATE_WINDOW: frozenset({Role.CLERK}),
    Permission.SUPERVISE_WINDOW: frozenset({Role.MANAGER}),
    Permission.READ_LOG: frozenset({Role.MANAGER, Role.ADMIN}),
    Permission.SWEEP_DAY: frozenset({Role.MANAGER, Role.ADMIN}),
    Permission.CONFIGURE_HALL: frozenset({Role.ADMIN}),
    Permission.CONFIGURE_SCREENS: frozenset({Role.MANAGER}),
    Permission.VIEW_SCREENS: frozenset({Role.MANAGER, Role.ADMIN}),
    Permission.MANAGE_USERS: frozenset({Role.ADMIN}),
    # a hall's manager puts up and takes down its screens, kiosks, printers and pads
    Permission.MANAGE_DEVICES: frozenset({Role.MANAGER, Role.ADMIN}),
    # staff see the line (a clerk, the queues it serves); devices never list tickets
    Permission.FIND_TICKETS: frozenset({Role.GUIDE, Role.CLERK, Role.MANAGER, Role.ADMIN}),
    # whether a citizen is in the hall is the desk's and the managers' business, not a window's
    Permission.FIND_BY_ID: frozenset({Role.GUIDE, Role.MANAGER, Role.ADMIN}),
    # check-in issues a ticket: ISSUE_TICKET (the desk, a kiosk, a manager)
    Permission.BOOK_APPOINTMENT: frozenset({Role.MANAGER, Role.ADMIN, DeviceKind.BOOKING_PLATFORM}),
    # the platform reads back what became of its bookings (check-ins, no-shows: 爽约)
    Permission.VIEW_APPOINTMENTS: frozenset({Role.GUIDE, Role.MANAGER, Role.ADMIN, DeviceKind.BOOKING_PLATFORM}),
    Permission.READ_AUDIT: frozenset({Role.ADMIN}),
    # who issues (desk, kiosk), who transfers (clerks) and who oversees; not the screens,
    # printers or review pads, which never choose an item
    Permission.VIEW_CATALOGUE: frozenset({Role.GUIDE, Role.CLERK, Role.MANAGER, Role.ADMIN, DeviceKind.KIOSK}),
    Permission.PRINT_TICKETS: frozenset({DeviceKind.PRINTER}),
    Permission.VIEW_PRINT_JOBS: frozenset({Role.GUIDE, Role.MANAGER, Role.ADMIN}),
    Permission.REPRINT_TICKET: frozenset({Role.GUIDE, Role.MANAGER}),
    # the reference is the credential: staff and devices have their own ways to a ticket
    Permission.FOLLOW_TICKET: frozenset({Citizen.TICKET}),
    # national rule (国办发〔2019〕51号): the citizen rates; staff may invite, never rate
    Permission.RATE_SERVICE: frozenset({DeviceKind.REVIEW_PAD, Citizen.TICKET}),
    Permission.VIEW_RATINGS: frozenset({Role.MANAGER, Role.ADMIN}),
    # managers answer for the 好差评 figures; administrators run the link to the platform
    Permission.VIEW_FEED: frozenset({Role.MANAGER, Role.ADMIN}),
    Permission.RETRY_FEED: frozenset({Role.MANAGER, Role.ADMIN}),
    # the hall's managers answer for the 好差评 figures: they follow each 差评 up
    Permission.HANDLE_REVIEW_CASES: frozenset({Role.MANAGER}),
    Permission.VIEW_ALERTS: frozenset({Role.MANAGER, Role.ADMIN}),
    Permission.ACKNOWLEDGE_ALERT: frozenset({Role.MANAGER, Role.ADMIN}),
    # managers watch the hall all day; administrators may look
    Permission.VIEW_DASHBOARD: frozenset({Role.MANAGER, Role.ADMIN}),
}


class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"
    title = "Sign-in required"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    title = "Not allowed"


@dataclass(frozen=True)
class Principal:
    """Whoever is asking: a signed-in person or a registered device."""

    actor: Actor
    name: str
    hall_id: int | None  # None: every hall (administrators only)
    user_id: int | None = None
    device_id: int | None = None
    window: int | None = None  # for window-bound devices
    operator: bool = False  # the operator's own command line, or the server's own timer
    username: str | None = None  # a person's user name (the audit log names them by it)
    ticket_ref: str | None = None  # a citizen's own ticket, by its public reference

    @property
    def is_staff(self) -> bool:
        """A signed-in person of the hall (guide, clerk, manager, administrator)."""
        return isinstance(self.actor, Role)

    @property
    def is_device(self) -> bool:
        return isinstance(self.actor, DeviceKind)


def bound_window(principal: Principal | None) -> int | None:
    """The window a window screen or review pad is bound to: all of the hall it may see."""
    if principal is not None and principal.actor in WINDOW_BOUND_DEVICES:
        return principal.window
    return None


# Whoever holds the instance folder (the secret key and the database file) may do anything
# through the command line; the server's timer acts with the same standing. Never a
# request's principal: nothing from the network can become the operator.
OPERATOR = Principal(actor=Role.ADMIN, name="命令行", hall_id=None, operator=True)


def require(principal: Principal | None, permission: Permission, hall_id: int | None) -> Principal:
    """Return the principal if it may use `permission` in `hall_id`; raise otherwise.

    `hall_id` None: there is no such hall. Who asks comes before what exists: a caller of
    one hall is refused a hall that does not exist exactly as another hall's (403), and
    nobody signed in gets 401 either way, so no one but an administrator (who sees every
    hall) can probe which hall codes exist. The caller raises `NotFound` for those who
    get through to a hall that is not there."""
    return require_any(principal, (permission,), hall_id)


def require_any(principal: Principal | None, permissions: Sequence[Permission], hall_id: int | None) -> Principal:
    """`require` for a use case that any of `permissions` opens (a window action: the
    clerk's or the manager's), checked before anything of the hall is read."""
    if principal is None:
        raise Unauthenticated("请先登录，或使用设备令牌连接")
    if principal.operator:
        return principal
    allowed = [p for p in permissions if principal.actor in MATRIX[p]]
    if not allowed:
        first = permissions[0].value if permissions else None
        raise Forbidden(f"当前身份（{principal.actor.value}）无权执行此操作", permission=first)
    if principal.hall_id is not None and principal.hall_id != hall_id:
        raise Forbidden("您的账号或设备不属于这个大厅", permission=allowed[0].value)
    return principal
