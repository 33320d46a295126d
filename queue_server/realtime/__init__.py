"""Socket.IO: who is connected, what they subscribe to, and the one place that emits.

Clients connect with `auth={"token": <device token>}`, with a signed-in browser
session, or (a citizen's phone) with `auth={"ticket": <a ticket's public reference>}`.
They then send `subscribe` with the hall (and a zone or window) and the last sequence
number they applied; the acknowledgement carries the events they missed, or a fresh
snapshot when they are too far behind (a phone: its ticket's progress instead).
Commands (`call_next`, ...) answer through their acknowledgement: `{"ok": true, "data":
...}` or `{"ok": false, "problem": ...}`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from flask import request, session
from flask_socketio import ConnectionRefusedError, SocketIO, disconnect, join_room, leave_room
from flask_socketio import rooms as rooms_of

from queue_server import auth, inputs, storage
from queue_server.accounts import Accounts
from queue_server.commands import COMMANDS, Command
from queue_server.domain import clock, privacy
from queue_server.domain.access import (
    WINDOW_BOUND_DEVICES,
    Citizen,
    DeviceKind,
    Forbidden,
    Permission,
    Principal,
    Unauthenticated,
    require,
)
from queue_server.domain.errors import DomainError
from queue_server.domain.events import SEQUENCE_ADVANCED
from queue_server.domain.phone import TicketNotFound
from queue_server.domain.privacy import audience_of
from queue_server.domain.screens import SCREEN_KINDS
from queue_server.phone import Phone
from queue_server.problems import from_domain_error, problem
from queue_server.realtime import presence, rooms, wire
from queue_server.realtime.debounce import Debounced
from queue_server.realtime.memory import MemoryTrim
from queue_server.realtime.presence import Change, PresenceStore, ScreenLink
from queue_server.realtime.printing import PRINTING_EVENTS, PrinterLinks
from queue_server.realtime.stubs import StubRanges
from queue_server.services import Event, PadNotice, PrintJobNotice, Services

log = logging.getLogger(__name__)

_ABSENT: Any = object()  # a handler called without a payload (not the same as `null`)


def _payload(data: Any) -> dict[str, Any]:
    return {} if data is _ABSENT else inputs.mapping(data)


SUBSCRIBE = "subscribe"
MARK_SHOWN = "mark_shown"
READ_PROGRESS = "read_progress"  # a citizen's phone: its own ticket's progress, afresh
WAIT_ESTIMATED = "wait_estimated"  # to one ticket's phones: its new wait figures (docs/estimates.md)
QUEUE_WAITS_ESTIMATED = "queue_waits_estimated"  # to desks and kiosks: each queue's wait for a ticket taken now
ISSUING_ACTORS = ("guide", "manager", "admin", "kiosk")  # whose pages show each queue's wait (role rooms)
# Every event a client may send: each gets a handler (`Realtime.__init__`), and the role
# matrix test walks them all.
CLIENT_EVENTS: tuple[str, ...] = (SUBSCRIBE, MARK_SHOWN, READ_PROGRESS, *COMMANDS, *PRINTING_EVENTS)
# control events: to one connection, no sequence number, not replayed (docs/signage.md)
SCREEN_CONFIGURED = "screen_configured"
ANNOUNCER_CHANGED = "announcer_changed"
# to a hall's managers and administrators: one of its devices came online or went offline
DEVICE_PRESENCE = "device_presence"
# ("device", token), ("session", the signed-in session's token) or ("ticket", a ticket's public reference)
Credential = tuple[str, str]
SESSION_TOKEN = "session_token"  # the key of the session token in the signed cookie (api.login)
# devices that count as online from their connect (screens: from their subscribe)
PRESENT_AT_CONNECT = frozenset({DeviceKind.KIOSK, DeviceKind.REVIEW_PAD})


class Realtime(PrinterLinks):
    def __init__(
        self,
        socketio: SocketIO,
        store: storage.Storage,
        services: Services,
        accounts: Accounts,
        catch_up_limit: int,
        now: Callable[[], datetime],
        speech_available: Callable[[], bool],
        recheck_seconds: float = 30,
        memory_trim_after: int = 100,
        presence_store: PresenceStore | None = None,
        phone: Phone | None = None,
        wait_push_delay: float = 0.3,
        wait_push_max_pause: float | None = None,
        stub_delay: float = 0.0,
    ) -> None:
        self.socketio = socketio
        self.store = store
        self.services = services
        self.accounts = accounts
        self.catch_up_limit = catch_up_limit
        self.now = now
        self.speech_available = speech_available
        self.recheck_seconds = recheck_seconds
        self.phone = phone  # None: no citizens' phones (their connections are refused)
        self._rechecking = False
        self._telling = False  # an announcer change is being sent (`_tell_announcers`)
        self._closed = False
        self._credentials: dict[str, Credential] = {}  # sid -> what it connected with
        self._waits_refreshed_at: datetime | None = None  # the timer's last round of wait figures
        # after writes: each hall's figures played at most once per `wait_push_delay`, and
        # long plays spaced out up to `wait_push_max_pause` (realtime/debounce.py)
        self.wait_pushes = Debounced(
            self.push_waits,
            wait_push_delay,
            socketio.start_background_task,
            socketio.sleep,
            max_pause=wait_push_max_pause,
        )
        # `sequence_advanced` stubs, coalesced per room for `stub_delay` seconds (realtime/stubs.py)
        self.stubs = StubRanges(
            lambda stub, to: socketio.emit(SEQUENCE_ADVANCED, stub, to=to),
            stub_delay,
            socketio.start_background_task,
            socketio.sleep,
        )
        # this process's memory, or Redis shared by every server process (MESSAGE_QUEUE)
        self.presence: PresenceStore = presence_store or presence.Presence()
        # freed memory handed back to the system after a wave of links opening or closing (realtime/memory.py)
        # Engine.IO forgets a closed socket only at its next check, within the ping
        # interval and timeout (its service task): trim once that is over
        forgotten = float(socketio.server_options.get("ping_interval", 25)) + float(
            socketio.server_options.get("ping_timeout", 20)
        )
        self.memory = MemoryTrim(
            socketio.start_background_task, socketio.sleep, threshold=memory_trim_after, delay=forgotten + 5
        )
        socketio.on_event("connect", self._on_connect)
        socketio.on_event("disconnect", self._on_disconnect)
        socketio.on_event(SUBSCRIBE, self._on_subscribe)
        socketio.on_event(MARK_SHOWN, self._on_mark_shown)
        socketio.on_event(READ_PROGRESS, self._on_read_progress)
        for command in COMMANDS.values():
            socketio.on_event(command.name, self._command_handler(command))
        self._register_printing()  # the printer agent's fetch_print_jobs and print_result
        socketio.on_event("*", self._on_unknown)
        if self.presence.beat_seconds is not None:
            socketio.start_background_task(self._keep_presence)

    def publish(self, events: Iterable[Event]) -> None:
        """Send committed events to their rooms. Call only after the transaction committed.

        Each event goes out three times, each encoded once: whole to the staff rooms it
        concerns, its public part (`domain.privacy`) to the public ones, and its citizen
        part (no ticket's reference) to the hall's phones. The scope rooms
        that an event does not concern (other zones, other windows) get
        `sequence_advanced` with its number instead, so that every subscriber sees an
        unbroken sequence and holds back what arrives early until the gap is filled;
        those stubs are coalesced per room (`self.stubs`, realtime/stubs.py), and a room's
        pending ones go out before anything else is sent to it."""
        for event in events:
            if isinstance(event, PrintJobNotice):  # not a hall event: to staff and printers (realtime/printing.py)
                self._publish_print_job(event)
                continue
            if isinstance(event, PadNotice):  # not a hall event: to the window's review pads
                self._publish_pad_notice(event)
                continue
            hall = self.services.cached_hall(event.hall)
            zones, windows = (hall.zone_codes, tuple(hall.windows)) if hall else ((), ())
            show_clerk_names = hall.spec.show_clerk_names if hall else False
            payload = event.payload()
            elsewhere = rooms.not_for_event(payload, zones, windows)
            for audience in rooms.AUDIENCES:
                shaped = privacy.event_for(payload, audience, show_clerk_names=show_clerk_names)
                to = rooms.for_event(payload, zones, windows, audience)
                if shaped is None:  # staff only: the public rooms learn its number alone
                    elsewhere += to
                else:
                    self.stubs.before(to, event.seq)
                    self.socketio.emit(event.type, shaped, to=to)
            # citizens' phones: one room per hall, every event, no ticket's reference
            citizen = privacy.citizen_event(payload)
            phones = rooms.citizen_room(event.hall)
            if citizen is None:
                elsewhere.append(phones)
            else:
                self.stubs.before([phones], event.seq)
                self.socketio.emit(event.type, citizen, to=phones)
            if elsewhere:
                self.stubs.add(event.hall, event.seq, elsewhere)
        self.wait_pushes.mark(event.hall for event in events if isinstance(event, Event))

    def push_waits(self, halls: Iterable[str]) -> None:
        """After writes (debounced: `wait_pushes`) or as time passes (`refresh_waits`),
        each waiting ticket's new wait figures to its own phones (`wait_estimated`, never to another's), and each
        queue's figure for a ticket taken now (`queue_waits_estimated`) to those who issue
        tickets (guides, managers, administrators, kiosks: their role rooms); only the
        figures that changed (docs/estimates.md). A failure here is logged and never keeps
        events from going out."""
        for hall_code in sorted(halls):
            try:
                pushes = self.services.wait_pushes(hall_code, self.now())
            except Exception:  # the events went out; the figures come with the next write or round
                log.exception("wait figures of hall %s not pushed", hall_code)
                continue
            for ticket in pushes.tickets:
                self.socketio.emit(WAIT_ESTIMATED, ticket.payload, to=rooms.ticket_room(hall_code, ticket.ref))
            if pushes.queues is not None:
                to = [rooms.role_room(hall_code, actor) for actor in ISSUING_ACTORS]
                self.socketio.emit(QUEUE_WAITS_ESTIMATED, pushes.queues, to=to)

    def refresh_waits(self) -> None:
        """The timer's round: time passing moves the figures too (a service running
        long, the lunch break coming), so every hall's are played again at most once a
        minute and the changed ones pushed."""
        now = self.now()
        if self._waits_refreshed_at is not None and (now - self._waits_refreshed_at).total_seconds() < 60:
            return
        self._waits_refreshed_at = now
        self.push_waits(self.services.hall_codes())

    def _publish_pad_notice(self, notice: PadNotice) -> None:
        """A rating opened or closed at a window: to that window's review pads only."""
        payload = {"hall": notice.hall, "type": notice.type, "at": notice.at, **notice.data}
        self.socketio.emit(notice.type, payload, to=rooms.pad_room(notice.hall, notice.window))

    # ---- handlers -------------------------------------------------------------------

    def _on_connect(self, credentials: dict[str, Any] | None = None) -> None:
        self.memory.link_opened()  # refused or not, it allocated
        token = credentials.get("token") if isinstance(credentials, dict) else None
        ticket = credentials.get("ticket") if isinstance(credentials, dict) else None
        if isinstance(token, str) and token:
            credential: Credential = ("device", token)
        elif ticket is not None:
            self._admit_citizen(ticket)
            return
        elif SESSION_TOKEN in session:
            credential = ("session", session[SESSION_TOKEN])
        else:
            raise ConnectionRefusedError("请先登录，或使用设备令牌连接")
        if credential[0] == "session":
            try:
                principal: Principal | None = self.accounts.session_principal(credential[1], self.now(), touch=True)
            except Unauthenticated as refused:  # ended, idle or disabled: says which
                raise ConnectionRefusedError(refused.detail) from None
        else:
            principal = self._resolve(credential)
        if principal is None:
            raise ConnectionRefusedError("设备令牌无效或已吊销：请联系管理员重新登记此设备")
        self._credentials[request.sid] = credential  # type: ignore[attr-defined]
        if principal.device_id is not None:
            # where messages to this device find it, on whichever process it is connected:
            # `screen_configured` to a screen, `print_job` to a printer, how a kiosk's tickets printed
            join_room(rooms.device_room(principal.device_id))
        if principal.actor is DeviceKind.PRINTER:
            self._printer_connected(principal)
        elif principal.actor in PRESENT_AT_CONNECT:
            self._device_connected(principal)
        if principal.device_id is not None and principal.actor not in SCREEN_KINDS and principal.hall_id is not None:
            # the managers' dashboards learn it is online (a screen: when it subscribes)
            self._device_presence(self.services.hall_code(principal.hall_id), principal.device_id)
        self._start_rechecking()

    def _device_connected(self, principal: Principal) -> None:
        """A kiosk or review pad is online while its link lasts (screens join when they
        subscribe, printers in `_printer_connected`): the managers' alerts watch them all."""
        assert principal.device_id is not None and principal.hall_id is not None
        hall = self.services.hall_code(principal.hall_id)
        self.presence.join(request.sid, principal.device_id, hall, None, self.now())  # type: ignore[attr-defined]
        self.services.record_seen(principal.device_id, self.now(), None)

    def online_devices(self, device_ids: Iterable[int]) -> set[int]:
        """Which of these devices are connected now, to any server process (the presence
        store: this process's memory when it is the only one, else Redis)."""
        return self.presence.online(device_ids)

    def _admit_citizen(self, ref: Any) -> None:
        """A citizen's phone, its ticket's reference as its credential: throttled per
        client address and per ticket, refused with the sentence the page shows."""
        if self.phone is None:
            raise ConnectionRefusedError("此服务器未开放扫码查看排队进度")
        try:
            principal = self.phone.admit(ref, request.remote_addr, self.now())
        except DomainError as refused:
            raise ConnectionRefusedError(refused.detail) from None
        assert principal.ticket_ref is not None
        self._credentials[request.sid] = ("ticket", principal.ticket_ref)  # type: ignore[attr-defined]
        self._start_rechecking()

    def _start_rechecking(self) -> None:
        if not self._rechecking and self.recheck_seconds > 0:
            self._rechecking = True
            self.socketio.start_background_task(self._recheck_credentials)

    def _recheck_credentials(self) -> None:
        """While anyone is connected, look every `recheck_seconds` whether their token or
        account still stands, and close the links of those that do not: a revoked screen
        goes blank even if it never sends anything."""
        try:
            while self._credentials:
                self.socketio.sleep(self.recheck_seconds)
                self.close_revoked_links()
        finally:
            self._rechecking = False

    def close_revoked_links(self) -> int:
        """Disconnect every link whose token was revoked or account disabled; returns how many."""
        closed = 0
        for sid, credential in list(self._credentials.items()):
            if self._resolve(credential) is None:
                log.info("closing a link whose credential was revoked")
                self.socketio.server.disconnect(sid, namespace="/")
                closed += 1
        return closed

    def close_sessions(self, digests: Iterable[str]) -> int:
        """Disconnect at once the links signed in with these sessions (ended in this
        process: sign-out, an administrator's change); returns how many."""
        ended = set(digests)
        closed = 0
        for sid, (kind, value) in list(self._credentials.items()):
            if kind == "session" and auth.token_digest(value) in ended:
                self.socketio.server.disconnect(sid, namespace="/")
                closed += 1
        return closed

    def _on_disconnect(self, reason: Any = None) -> None:
        self._credentials.pop(request.sid, None)  # type: ignore[attr-defined]
        self.memory.link_closed()
        link, changes = self.presence.leave(request.sid)  # type: ignore[attr-defined]
        self._tell_announcers(changes)
        if link is not None:
            self.services.record_seen(link.device_id, self.now(), link.last_shown_seq)
            self._device_presence(link.hall, link.device_id)

    def _keep_presence(self) -> None:
        """Shared presence only: this process's heartbeat, and the links of processes
        that died handed on (their voices to screens still connected elsewhere)."""
        interval = self.presence.beat_seconds or 1.0
        while not self._closed:
            self.socketio.sleep(interval)
            if self._closed:
                break
            try:
                dropped, changes = self.presence.beat(self.now())
            except Exception:  # the heartbeat must outlive one bad round
                log.exception("presence heartbeat failed")
                continue
            self._tell_announcers(changes)
            if dropped:  # the database may make this wait for its lock: not in the heartbeat's way
                self.socketio.start_background_task(self._record_dropped, dropped)

    def _record_dropped(self, dropped: list[ScreenLink], seen_at: datetime | None = None) -> None:
        """Store when each link was last seen: `seen_at` for this process's own links
        (alive until now), else the last sign of life the presence kept."""
        for link in dropped:
            try:
                self.services.record_seen(link.device_id, seen_at or link.last_seen, link.last_shown_seq)
            except Exception:
                log.exception("could not store when screen %s was last seen", link.device_id)
            if not self._closed:
                self._device_presence(link.hall, link.device_id)

    def close(self) -> None:
        """This process stops: its screens leave the shared presence at once, and the
        zones they spoke for get a voice on another process without waiting for expiry."""
        if self._closed:
            return
        self._closed = True
        dropped, changes = self.presence.close()
        self._tell_announcers(changes)
        self._record_dropped(dropped, self.now())

    def _resolve(self, credential: Credential, *, in_use: bool = False) -> Principal | None:
        """`in_use`: a message from the link, which counts as the session being used."""
        kind, value = credential
        if kind == "device":
            return auth.device_principal(self.store, value)
        if kind == "ticket":
            return self.phone.principal(value, self.now()) if self.phone is not None else None
        return self.accounts.resolve(value, self.now(), touch=in_use)

    def _principal(self) -> Principal | None:
        """Who sent this message, checked afresh: a token revoked or an account disabled
        since the connection was made loses its access here, and the link is closed."""
        credential = self._credentials.get(request.sid)  # type: ignore[attr-defined]
        principal = self._resolve(credential, in_use=True) if credential else None
        if principal is None:
            disconnect()
        return principal

    def _on_unknown(self, event: str, *args: Any) -> dict[str, Any]:
        """Any event this server does not know still gets an answer."""
        if event == wire.MALFORMED:
            return {
                "ok": False,
                "problem": problem(400, "malformed_request", "Malformed request", "消息内容无法解析（嵌套过深）"),
            }
        known = sorted(CLIENT_EVENTS)
        return {
            "ok": False,
            "problem": problem(
                400,
                "unknown_event",
                "Unknown event",
                f"未知的事件 {str(event)[:60]!r}：可用的有 {', '.join(known)}",
            ),
        }

    def _on_subscribe(self, data: Any = _ABSENT) -> dict[str, Any]:
        def run() -> dict[str, Any]:
            args = _payload(data)
            inputs.only(args, {"hall", "zone", "window", "since"})
            principal = self._principal()
            if principal is None:
                raise Unauthenticated("请先登录，或使用设备令牌连接")
            if principal.actor is Citizen.TICKET:
                return self._subscribe_citizen(principal, args)
            hall_code = inputs.text(args, "hall", max_length=40, required=not principal.is_device)
            hall_code = hall_code or self.services.hall_code(principal.hall_id)  # type: ignore[arg-type]
            hall = self.services.visible_hall(principal, hall_code, Permission.VIEW_HALL)
            screen = self._screen_of(principal)
            zone = inputs.text(args, "zone", max_length=40)
            window = inputs.integer(args, "window", 1, 999, required=False)
            if (
                screen is not None
                and screen["kind"] == DeviceKind.HALL_SCREEN.value
                and zone is None
                and window is None
            ):
                zone = screen["settings"]["zone"]  # the manager's choice for this screen
            if principal.actor in WINDOW_BOUND_DEVICES:
                if window is None and zone is None:
                    window = principal.window
                if window != principal.window:
                    raise Forbidden(f"此设备只绑定 {principal.window} 号窗口")
            scope = rooms.Scope(hall=hall_code, zone=zone, window=window, audience=audience_of(principal))
            if scope.window is not None:
                hall.window(scope.window)
            if scope.zone is not None and scope.zone not in hall.zone_codes:
                raise Forbidden(f"大厅中没有区域 {scope.zone!r}")
            since = inputs.integer(args, "since", 0, 2**62, required=False)
            # A re-subscribe (say, the manager moved this screen to another zone) leaves
            # the old rooms. Join first, then read: an event committed in between arrives
            # twice at worst, and clients drop any sequence number they already applied.
            for room in rooms_of(request.sid, namespace="/"):  # type: ignore[attr-defined]
                if room != request.sid and not rooms.is_device_room(room):  # type: ignore[attr-defined]
                    leave_room(room)
            join_room(scope.room)
            join_room(rooms.role_room(hall_code, principal.actor.value))
            if principal.actor is DeviceKind.REVIEW_PAD and principal.window is not None:
                join_room(rooms.pad_room(hall_code, principal.window))
            now = self.now()
            answer: dict[str, Any] = {
                "scope": {"hall": scope.hall, "zone": scope.zone, "window": scope.window},
                "server_time": clock.iso(now),
            }
            if principal.actor is DeviceKind.REVIEW_PAD:
                # joined first, then read: an invitation opened in between comes both ways
                answer["rating"] = self.services.pad_invitation(principal, hall_code, now)
            if screen is not None:
                answer["screen"] = self._join_presence(screen, scope, now)
            # The notice as of the answer's seq: read before the events, a later change is
            # among them; a snapshot reads it with its own seq. Read on its own before the
            # snapshot, it could predate a notice_changed that the seq covers, which the
            # screen then drops as applied.
            if since is not None:
                notice = self.services.notice(hall_code)
                events, last, complete = self.services.catch_up(
                    principal, hall_code, since, self.catch_up_limit, zone=scope.zone, window=scope.window
                )
                if complete:
                    return {**answer, "notice": notice, "events": events, "seq": last}
            snapshot = self.services.snapshot(principal, hall_code, now)
            return {**answer, "notice": snapshot["notice"], "snapshot": snapshot, "seq": snapshot["seq"]}

        return self._answer(run)[0]

    def _subscribe_citizen(self, principal: Principal, args: dict[str, Any]) -> dict[str, Any]:
        """A citizen's phone follows its ticket's hall: the citizen room of that hall (every
        event, no ticket's reference), and its ticket's progress as of the ack's `seq`."""
        assert self.phone is not None  # a citizen principal comes only from the phone's door
        hall_code = inputs.text(args, "hall", max_length=40) or self.services.hall_code(principal.hall_id)  # type: ignore[arg-type]
        self.services.followed_hall(principal, hall_code)
        if args.get("zone") is not None or args.get("window") is not None:
            raise Forbidden("扫码页面只能关注本张票所在的大厅，不能指定区域或窗口")
        for room in rooms_of(request.sid, namespace="/"):  # type: ignore[attr-defined]
            if room != request.sid:  # type: ignore[attr-defined]
                leave_room(room)
        # join first, then read: an event committed in between is one the progress
        # already reflects (its seq is at most the ack's) or one that arrives after
        join_room(rooms.citizen_room(hall_code))
        assert principal.ticket_ref is not None  # a citizen follows one ticket
        join_room(rooms.ticket_room(hall_code, principal.ticket_ref))  # its own wait figures
        now = self.now()
        progress = self.phone.progress_of(principal, now)
        return {
            "scope": {"hall": hall_code, "zone": None, "window": None},
            "server_time": clock.iso(now),
            "seq": progress["seq"],
            "progress": progress,
        }

    def _on_read_progress(self, data: Any = _ABSENT) -> dict[str, Any]:
        """A citizen's phone asks where its ticket stands now (after a live event that
        touches its line, a gap in the sequence, or a reconnect)."""

        def run() -> dict[str, Any]:
            args = _payload(data)
            inputs.only(args, set())
            principal = self._principal()
            if principal is None:
                raise Unauthenticated("请先登录，或使用设备令牌连接")
            require(principal, Permission.FOLLOW_TICKET, principal.hall_id)
            if self.phone is None or principal.ticket_ref is None:
                raise TicketNotFound("此服务器未开放扫码查看排队进度")
            return self.phone.progress_of(principal, self.now())

        return self._answer(run)[0]

    def _on_mark_shown(self, data: Any = _ABSENT) -> dict[str, Any]:
        """A screen drew the call logged as `seq`: it is alive and up to date that far."""

        def run() -> dict[str, Any]:
            principal = self._principal()
            if principal is None or principal.actor not in SCREEN_KINDS:
                raise Forbidden("只有大厅屏和窗口屏确认显示")
            args = _payload(data)
            inputs.only(args, {"seq"})
            seq = inputs.integer(args, "seq", 1, 2**62)
            self.presence.seen(request.sid, self.now(), seq)  # type: ignore[attr-defined]
            return {"seq": seq}

        return self._answer(run)[0]

    def _screen_of(self, principal: Principal) -> dict[str, Any] | None:
        if principal.actor not in SCREEN_KINDS or principal.device_id is None:
            return None
        return self.services.screen(principal.device_id)

    def _join_presence(self, screen: dict[str, Any], scope: rooms.Scope, now: datetime) -> dict[str, Any]:
        group = None
        if screen["settings"]["voice"]["enabled"]:
            group = presence.announce_group(scope.hall, zone=scope.zone, window=scope.window)
        sid = request.sid  # type: ignore[attr-defined]
        announcer, changes = self.presence.join(sid, screen["device_id"], scope.hall, group, now)
        self._tell_announcers(changes)
        self._device_presence(scope.hall, screen["device_id"])
        return {**screen, "announcer": announcer, "speech_available": self.speech_available()}

    def _tell_announcers(self, changes: list[Change]) -> None:
        """An emit to a sid: the message queue carries it to the process the sid is on.

        Sending to a link whose pings have timed out closes it there and then, and its
        disconnect hands the voice on with another emit, inside this one: when a whole
        wave of screens drops (a switch failing), that chain ran thousands deep into
        RecursionError. An emit made while another is under way goes to a green thread
        of its own instead, each one stack deep."""
        if not changes:
            return
        if self._telling:
            self.socketio.start_background_task(self._tell_announcers, changes)
            return
        self._telling = True
        try:
            for sid, announcer in changes:
                self.socketio.emit(ANNOUNCER_CHANGED, {"announcer": announcer}, to=sid)
        finally:
            self._telling = False

    def screen_configured(self, device_id: int, settings: dict[str, Any]) -> None:
        """Tell each open page of a screen, on any server process, that a manager changed
        its settings; the page subscribes again and so moves to its new zone and announce
        group."""
        self.socketio.emit(SCREEN_CONFIGURED, {"settings": settings}, to=rooms.device_room(device_id))

    def _device_presence(self, hall: str, device_id: int) -> None:
        """Tell the hall's managers and administrators (their dashboards) whether the device
        is connected now to any server process, and since when it was last seen."""
        try:
            online = device_id in self.presence.online([device_id])
            payload = {"hall": hall, "device": {"id": device_id, "online": online, "last_seen": clock.iso(self.now())}}
            rooms_to = [rooms.role_room(hall, "manager"), rooms.role_room(hall, "admin")]
            self.socketio.emit(DEVICE_PRESENCE, payload, to=rooms_to)
        except Exception:  # a dashboard's figure must never break a device's link
            log.exception("could not tell the dashboards about device %s", device_id)

    def device_presence(self, listed: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Stored device records (`id`, `last_seen`) with whether each is connected now, on
        any server process (a connected device was last seen now)."""
        now = clock.iso(self.now())
        online = self.presence.links_of([device["id"] for device in listed])
        return [
            {
                **device,
                "online": bool(online.get(device["id"])),
                "last_seen": now if online.get(device["id"]) else device["last_seen"],
            }
            for device in listed
        ]

    def screens(self, listed: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Stored screen records with who is online now (on any server process)."""
        now = clock.iso(self.now())
        online = self.presence.links_of([screen["device_id"] for screen in listed])
        merged = []
        for screen in listed:
            links = online.get(screen["device_id"], [])
            shown = [link.last_shown_seq for link in links if link.last_shown_seq] + [screen["last_shown_seq"] or 0]
            merged.append(
                {
                    **screen,
                    "online": bool(links),
                    "connections": len(links),
                    "announcer": any(link.announcer for link in links),
                    "last_seen": now if links else screen["last_seen"],
                    "last_shown_seq": max(shown) or None,
                }
            )
        return merged

    def devices(self, listed: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Stored device records (`services.devices`) with whether each is connected now,
        on any server process; a connected one was last seen now. Revoked ones never are."""
        now = clock.iso(self.now())
        online = self.presence.links_of([d["device_id"] for d in listed if d["revoked_at"] is None])
        merged = []
        for device in listed:
            links = online.get(device["device_id"], [])
            merged.append({**device, "online": bool(links), "last_seen": now if links else device["last_seen"]})
        return merged

    def _command_handler(self, command: Command) -> Callable[[Any], dict[str, Any]]:
        def handler(data: Any = _ABSENT) -> dict[str, Any]:
            def run() -> tuple[dict[str, Any], list[Event]]:
                args = _payload(data)
                hall = inputs.text(args, "hall", max_length=40, required=True)
                principal = self._principal()
                return command(self.services, principal, hall, args, self.now())  # type: ignore[arg-type]

            answer, events = self._answer(run)
            self.publish(events)
            return answer

        handler.__name__ = f"on_{command.name}"
        return handler

    @staticmethod
    def _answer(run: Callable[[], Any]) -> tuple[dict[str, Any], list[Event]]:
        try:
            result = run()
        except DomainError as error:
            return {"ok": False, "problem": from_domain_error(error)}, []
        except Exception:
            log.exception("socket handler failed")
            return {
                "ok": False,
                "problem": problem(500, "internal", "Internal error", "服务器内部错误，请稍后重试"),
            }, []
        data, events = result if isinstance(result, tuple) else (result, [])
        return {"ok": True, "data": data}, events
