"""The clients of `bench.hall_day`, each kind in a child process of its own (started with
multiprocessing's spawn), so that their CPU is theirs and not the worker's:

- `screens`: hall screens (one zone each) and window screens, noting when each call arrives;
- `clerks`: one signed-in Socket.IO client per window, running it with the counter's
  commands (open, call next, recall, no-show, start, finish, transfer, suspend and
  resume, pause, close for lunch) and following the hall's events as the counter does;
- `issuers`: guidance desks (the guide's sessions) and kiosks (device tokens) issuing the
  day's tickets over HTTP on schedule, and the desks cancelling some.

Each talks to the parent over a pipe: ("ready", stats) once connected; the parent sends
("go", t0, wall_per_hour) with the day's start (time.monotonic(), one clock for every
process on Linux); at the end each sends ("results", ...). The clerks are also told
("issuing_done",) and the screens ("collect", expected, drain).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import time
import traceback
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import aiohttp
import socketio

from bench.hall_day_plan import (
    BY_CODE,
    ISSUING_ENDS,
    NO_SHOW_SHARE,
    OPENING,
    QUEUES,
    SERVICE_CV,
    SUSPEND_SHARE,
    Arrival,
    WindowPlan,
)
from tests.support.live import HALL, PASSWORD

CONNECT_BATCH = 20
COMMAND_TIMEOUT = 20  # seconds for an ack before the command is sent again with its key
PREFIXES = {q.prefix: q.code for q in QUEUES}


@dataclass
class DayClock:
    t0: float  # time.monotonic() at 08:30
    wall_per_hour: float

    def hour(self) -> float:
        return 8.5 + (time.monotonic() - self.t0) / self.wall_per_hour

    def at(self, hour: float) -> float:
        return self.t0 + (hour - 8.5) * self.wall_per_hour

    def minutes(self, day_minutes: float) -> float:
        return day_minutes / 60 * self.wall_per_hour

    async def sleep_until(self, hour: float) -> None:
        await asyncio.sleep(max(0.0, self.at(hour) - time.monotonic()))

    async def sleep_minutes(self, day_minutes: float) -> None:
        await asyncio.sleep(self.minutes(day_minutes))


def _quiet() -> None:
    # engineio logs "packet queue is empty, aborting" for every socket that closes
    logging.getLogger("engineio.client").setLevel(logging.CRITICAL)
    logging.getLogger("socketio.client").setLevel(logging.CRITICAL)


async def _wait_go(conn: Connection) -> DayClock:
    while not conn.poll():
        await asyncio.sleep(0.02)
    _, t0, wall_per_hour = conn.recv()
    return DayClock(t0, wall_per_hour)


# ---- screens --------------------------------------------------------------------------


async def open_screen(
    url: str,
    token: str,
    scope: dict[str, Any],
    on_called: Callable[[dict[str, Any]], None],
    on_disconnect: Callable[[str], None],
    on_other: Callable[[str], None],
) -> Any:
    """One screen connected and subscribed to `scope` (`{"zone": …}` or `{"window": …}`);
    returns an object with `async disconnect()`. python-socketio for now; the one place
    to switch the screens to the lean Engine.IO client (`bench/lean_client.py`)."""
    client = socketio.AsyncClient(reconnection=False)
    client.on("ticket_called", on_called)
    client.on("disconnect", lambda reason=None: on_disconnect(str(reason)))
    client.on("*", lambda event, payload=None: on_other(event))
    await client.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=15)
    answer = await client.call("subscribe", {"hall": HALL, **scope}, timeout=15)
    if not answer or not answer.get("ok"):
        await client.disconnect()
        raise RuntimeError(f"subscribe refused: {answer}")
    return client


async def _screens(url: str, specs: list[tuple[str, str, dict[str, Any]]], conn: Connection, limit: float) -> None:
    """`specs`: (label, device token, scope) per screen. Per screen, call key
    ("A012/1": number and call count) -> arrival time."""
    _quiet()
    arrivals: dict[str, dict[str, float]] = {label: {} for label, _, _ in specs}
    other: Counter[str] = Counter()
    disconnects: Counter[str] = Counter()
    clients: list[Any] = []
    errors: list[str] = []
    deadline = time.monotonic() + limit

    async def connect(label: str, token: str, scope: dict[str, Any]) -> None:
        mine = arrivals[label]

        def called(payload: dict[str, Any]) -> None:
            mine.setdefault(f"{payload['ticket']['number']}/{payload['call_count']}", time.monotonic())

        def lost(reason: str) -> None:
            disconnects[reason] += 1

        def seen(event: str) -> None:
            other[event] += 1

        try:
            clients.append(await open_screen(url, token, scope, called, lost, seen))
        except Exception as error:  # reported to the parent, not raised
            errors.append(f"{label}: {type(error).__name__}: {error}")

    began = time.monotonic()
    for start in range(0, len(specs), CONNECT_BATCH):
        await asyncio.gather(*(connect(*spec) for spec in specs[start : start + CONNECT_BATCH]))
    conn.send(("ready", {"connected": len(clients), "errors": errors, "connect_s": time.monotonic() - began}))
    while not conn.poll() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    _, expected, drain = conn.recv() if conn.poll() else ("collect", {}, 0.0)
    # expected: screen label -> call keys it should have; wait until each has them all
    until = min(time.monotonic() + drain, deadline)
    while time.monotonic() < until and any(
        key not in arrivals[label] for label, keys in expected.items() for key in keys
    ):
        await asyncio.sleep(0.05)
    stats = {"disconnects": dict(disconnects), "other_events": dict(other)}
    conn.send(("results", arrivals, stats))
    await asyncio.gather(*(c.disconnect() for c in clients), return_exceptions=True)


def _reporting(conn: Connection, body: Any) -> None:
    """Run a child's coroutine; an exception goes to the parent as ("error", traceback)."""
    try:
        asyncio.run(body)
    except BaseException:
        conn.send(("error", traceback.format_exc()))
        raise


def run_screens(url: str, specs: list[tuple[str, str, dict[str, Any]]], conn: Connection, limit: float) -> None:
    _reporting(conn, _screens(url, specs, conn, limit))


# ---- clerks ---------------------------------------------------------------------------


@dataclass
class Call:
    window: int
    number: str
    sent: float  # just before call_next went out
    answered: float  # its ack
    call_count: int = 0  # from the window's own ticket_called event
    seen: float = math.nan  # when that event reached the clerk's own console
    queue: str = ""


@dataclass
class HallView:
    """What the clerks' process knows of the hall as a whole: for the end of the day."""

    issuing_done: bool = False
    busy: set[int] = field(default_factory=set)  # windows holding a ticket or in a command
    suspended: int = 0  # tickets suspended and not yet resumed
    closing: bool = False
    refusals: Counter[str] = field(default_factory=Counter)  # "command: code"
    failures: Counter[str] = field(default_factory=Counter)  # timeouts, lost connections
    acks: defaultdict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    calls: list[Call] = field(default_factory=list)
    actions: Counter[str] = field(default_factory=Counter)


class Clerk:
    """One window's clerk: signed in, connected, subscribed to the hall like the counter."""

    def __init__(self, url: str, plan: WindowPlan, hall: HallView, rng: random.Random) -> None:
        self.url, self.plan, self.hall, self.rng = url, plan, hall, rng
        self.number = plan.number
        # the counter's link reconnects, and subscribes again (see `_connected`)
        self.client = socketio.AsyncClient(reconnection=True, reconnection_delay=0.5)
        self.waiting: dict[str, tuple[int, int]] = {}  # queue -> (seq, count)
        self.wake = asyncio.Event()
        self.last_called: dict[str, tuple[int, float, str]] = {}  # number -> (call count, seen, queue)
        self.own_call = asyncio.Event()
        self.suspended: list[tuple[str, float]] = []  # (number, due hour)
        self.connects = 0
        self.client.on("*", self._event)
        self.client.on("connect", self._connected)
        self.client.on("disconnect", self._disconnected)

    def _disconnected(self, reason: Any = None) -> None:
        if not self.hall.closing:
            self.hall.failures[f"clerk disconnected: {reason}"] += 1

    async def _connected(self) -> None:
        self.connects += 1
        if self.connects > 1:  # a reconnect: subscribe again, for the counts
            asyncio.get_running_loop().create_task(self._subscribe())

    async def _subscribe(self) -> None:
        answer = await self.client.call("subscribe", {"hall": HALL}, timeout=15)
        if not answer or not answer.get("ok"):
            raise RuntimeError(f"{self.plan.clerk} subscribe refused: {answer}")
        data = answer["data"]
        for queue in (data.get("snapshot") or {}).get("queues", []):
            if data["seq"] > self.waiting.get(queue["code"], (-1, 0))[0]:
                self.waiting[queue["code"]] = (data["seq"], queue["waiting"])
        self.wake.set()

    async def sign_in(self) -> str:
        """The session cookie. One at a time: the server counts a sign-in against the
        client address's failures until its password is checked (`accounts.py`), and
        refuses more than `LOGIN_ADDRESS_FREE_ATTEMPTS` (20) in flight from one address."""
        async with (
            aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session,
            session.post(
                f"{self.url}/api/v1/session", json={"username": self.plan.clerk, "password": PASSWORD}
            ) as response,
        ):
            if response.status != 200:
                raise RuntimeError(f"{self.plan.clerk} sign-in: HTTP {response.status} {await response.text()}")
            return "; ".join(f"{c.key}={c.value}" for c in session.cookie_jar)

    async def connect(self, cookies: str) -> None:
        await self.client.connect(self.url, headers={"Cookie": cookies}, transports=["websocket"], wait_timeout=15)
        await self._subscribe()

    def _event(self, event: str, payload: Any = None) -> None:
        if not isinstance(payload, dict):
            return
        seq = payload.get("seq", 0)
        for queue, count in (payload.get("waiting") or {}).items():
            if seq > self.waiting.get(queue, (-1, 0))[0]:
                self.waiting[queue] = (seq, count)
                if count and queue in self.plan.serves:
                    self.wake.set()
        if event == "ticket_called" and payload["window"]["number"] == self.number:
            # may come before the command's ack: kept until the ack says which ticket
            ticket = payload["ticket"]
            self.last_called[ticket["number"]] = (payload["call_count"], time.monotonic(), ticket["queue"])
            self.own_call.set()

    def has_waiting(self) -> bool:
        return any(self.waiting.get(q, (0, 0))[1] > 0 for q in self.plan.serves)

    async def command(self, name: str, **fields: Any) -> tuple[dict[str, Any] | None, str | None]:
        """Send a window command with an idempotency key, as the counter does: again with
        the same key when no ack comes. Returns (data, None) or (None, problem code)."""
        payload = {"hall": HALL, "window": self.number, "idempotency_key": uuid.uuid4().hex, **fields}
        self.hall.actions[name] += 1
        for _ in range(30):  # about half a minute: the link reconnects meanwhile
            sent = time.monotonic()
            try:
                ack = await self.client.call(name, payload, timeout=COMMAND_TIMEOUT)
            except Exception as error:  # no ack in time, or the connection went
                self.hall.failures[f"{name}: {type(error).__name__}"] += 1
                await asyncio.sleep(1)
                continue
            self.hall.acks[name].append(time.monotonic() - sent)
            if ack.get("ok"):
                return ack["data"], None
            code = str(ack.get("problem", {}).get("code"))
            self.hall.refusals[f"{name}: {code}"] += 1
            return None, code
        return None, "no_ack"

    # ---- the day ----------------------------------------------------------------------

    async def day(self, clock: DayClock) -> None:
        rng, plan = self.rng, self.plan
        lunch = 12.0 if plan.number % 2 else 12.5  # 错时午休: the hall serves through lunch
        pauses = sorted(rng.uniform(9.5, 16.5) for _ in range(rng.choice((1, 1, 2))))
        await clock.sleep_until(OPENING + rng.uniform(0, 5) / 60)
        await self.command("open_window")
        lunched = False
        while True:
            hour = clock.hour()
            if self.hall.closing:
                break
            due = [s for s in self.suspended if s[1] <= hour]
            if due:
                self.suspended.remove(due[0])
                await self._resume(clock, due[0][0])
                continue
            if not lunched and hour >= lunch and not self.suspended:
                lunched = True
                await self.command("close_window")
                await clock.sleep_until(lunch + 1 + rng.uniform(0, 3) / 60)
                await self.command("open_window")
                continue
            if pauses and hour >= pauses[0] and hour < ISSUING_ENDS:
                pauses.pop(0)
                await self.command("pause_window", reason="临时离开")
                await clock.sleep_minutes(rng.uniform(5, 15))
                await self.command("resume_window")
                continue
            if self.has_waiting():
                await clock.sleep_minutes(rng.uniform(0.1, 0.5))  # the clerk reacts
                if await self._call(clock):
                    continue
            self.wake.clear()
            # every ticket event carries its queue's waiting count: the clerk calls when
            # the counter shows someone waiting, and looks at the clock now and then
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=1)
        await self.command("close_window")

    async def _call(self, clock: DayClock) -> bool:
        """Call next and see the citizen through; False when nobody was waiting."""
        self.hall.busy.add(self.number)
        try:
            sent = time.monotonic()
            self.last_called.clear()
            data, _ = await self.command("call_next")
            if data is None or not data.get("ticket"):
                return False
            call = Call(self.number, data["ticket"], sent, time.monotonic())
            self.hall.calls.append(call)
            deadline = time.monotonic() + 10
            while call.number not in self.last_called and time.monotonic() < deadline:
                self.own_call.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.own_call.wait(), timeout=deadline - time.monotonic())
            if call.number in self.last_called:
                call.call_count, call.seen, call.queue = self.last_called[call.number]
            else:
                self.hall.failures["own ticket_called not seen by the counter within 10 s"] += 1
            queue = call.queue or PREFIXES[call.number[0]]
            await self._see_through(clock, call.number, queue)
            return True
        finally:
            self.hall.busy.discard(self.number)

    async def _see_through(self, clock: DayClock, number: str, queue: str) -> None:
        rng = self.rng
        if rng.random() < NO_SHOW_SHARE:
            await clock.sleep_minutes(1)
            await self.command("recall")
            await clock.sleep_minutes(1.5)
            await self.command("mark_no_show")
            return
        await clock.sleep_minutes(rng.uniform(0.3, 1.0))  # the citizen walks to the window
        await self.command("start_service")
        await self._serve(clock, queue, rng.lognormvariate(*_lognormal(BY_CODE[queue].mean_minutes)), number)

    async def _serve(self, clock: DayClock, queue: str, minutes: float, number: str) -> None:
        rng = self.rng
        hour = clock.hour()
        if rng.random() < SUSPEND_SHARE and (9.5 < hour < 11.3 or 13.6 < hour < 16.3):
            await clock.sleep_minutes(minutes / 2)
            data, _ = await self.command("suspend", reason="补充材料")
            if data is not None:
                self.suspended.append((number, hour + rng.uniform(10, 20) / 60))
                self.hall.suspended += 1
            return
        await clock.sleep_minutes(minutes)
        draw = rng.random()
        for to_queue, share in BY_CODE[queue].transfers:
            if draw < share and to_queue != queue:
                await self.command("transfer", to_queue=to_queue, reason="转办")
                return
            draw -= share
        outcome = "collected" if queue == "pickup" else ("consulted" if rng.random() < 0.15 else "accepted")
        await self.command("finish_service", outcome=outcome)

    async def _resume(self, clock: DayClock, number: str) -> None:
        self.hall.busy.add(self.number)
        try:
            data, _ = await self.command("resume_ticket", ticket_number=number)
            self.hall.suspended -= 1
            if data is not None:
                await clock.sleep_minutes(self.rng.uniform(1, 3))
                await self.command("finish_service", outcome="accepted")
        finally:
            self.hall.busy.discard(self.number)


def _lognormal(mean: float) -> tuple[float, float]:
    sigma = math.sqrt(math.log(1 + SERVICE_CV**2))
    return math.log(mean) - sigma**2 / 2, sigma


async def _end_of_day(hall: HallView, clerks: list[Clerk], clock: DayClock) -> None:
    """Close the hall once issuing is over and, for two seconds running, no window holds
    a ticket, nothing is suspended and no clerk sees anyone waiting."""
    quiet_since: float | None = None
    while True:
        await asyncio.sleep(0.2)
        calm = (
            hall.issuing_done
            and clock.hour() >= ISSUING_ENDS
            and not hall.busy
            and hall.suspended == 0
            and not any(c.has_waiting() for c in clerks)
        )
        if not calm:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > 2:
            hall.closing = True
            for clerk in clerks:
                clerk.wake.set()
            return


async def _clerks(url: str, plans: list[WindowPlan], seed: int, conn: Connection, limit: float) -> None:
    _quiet()
    hall = HallView()
    clerks = [Clerk(url, plan, hall, random.Random(seed * 1000 + plan.number)) for plan in plans]
    errors: list[str] = []
    began = time.monotonic()

    cookies: dict[int, str] = {}
    for clerk in clerks:
        try:
            cookies[clerk.number] = await clerk.sign_in()
        except Exception as error:
            errors.append(f"{clerk.plan.clerk}: {type(error).__name__}: {error}")

    async def connect(clerk: Clerk) -> None:
        if clerk.number not in cookies:
            return
        try:
            await clerk.connect(cookies[clerk.number])
        except Exception as error:
            errors.append(f"{clerk.plan.clerk}: {type(error).__name__}: {error}")

    for start in range(0, len(clerks), CONNECT_BATCH):
        await asyncio.gather(*(connect(c) for c in clerks[start : start + CONNECT_BATCH]))
    conn.send(
        ("ready", {"connected": len(clerks) - len(errors), "errors": errors, "connect_s": time.monotonic() - began})
    )
    clock = await _wait_go(conn)

    async def listen() -> None:
        while not hall.issuing_done:
            if conn.poll():
                conn.recv()  # ("issuing_done",)
                hall.issuing_done = True
            await asyncio.sleep(0.1)

    tasks = [asyncio.create_task(c.day(clock)) for c in clerks if c.client.connected]
    helpers = [asyncio.create_task(listen()), asyncio.create_task(_end_of_day(hall, clerks, clock))]
    done, _ = await asyncio.wait(tasks, timeout=max(1.0, began + limit - time.monotonic()))
    timed_out = len(tasks) - len(done)
    for task in (*tasks, *helpers):
        task.cancel()
    for task in done:
        if task.exception() is not None:
            hall.failures[f"clerk task: {task.exception()!r}"[:200]] += 1
    conn.send(
        (
            "results",
            {
                "calls": hall.calls,
                "refusals": dict(hall.refusals),
                "failures": dict(hall.failures),
                "acks": dict(hall.acks),
                "actions": dict(hall.actions),
                "timed_out": timed_out,
                "suspended_left": hall.suspended,
            },
        )
    )
    await asyncio.gather(*(c.client.disconnect() for c in clerks), return_exceptions=True)


def run_clerks(url: str, plans: list[WindowPlan], seed: int, conn: Connection, limit: float) -> None:
    _reporting(conn, _clerks(url, plans, seed, conn, limit))


# ---- desks and kiosks -----------------------------------------------------------------


async def _issuers(
    url: str, desks: int, kiosk_tokens: list[str], day: list[Arrival], conn: Connection, limit: float
) -> None:
    """The desks (the guide's sessions) and kiosks (device tokens) take turns at the
    day's citizens, each issued at its time; the desks cancel those who leave."""
    api = f"{url}/api/v1/halls/{HALL}"
    failures: Counter[str] = Counter()
    refusals: Counter[str] = Counter()
    answers: list[float] = []
    moments: list[float] = []  # when each ticket that was issued went out
    lags: list[float] = []
    issued: list[tuple[int, str, str]] = []  # ticket id, number, channel
    cancelled = [0]

    async def desk_session() -> tuple[aiohttp.ClientSession, dict[str, str]]:
        session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        async with session.post(f"{url}/api/v1/session", json={"username": "guide", "password": PASSWORD}) as r:
            body = await r.json()
            if r.status != 200:
                raise RuntimeError(f"guide sign-in: HTTP {r.status} {body}")
        return session, {"X-CSRF-Token": body["csrf_token"]}

    sessions = [await desk_session() for _ in range(desks)]
    kiosks = [(aiohttp.ClientSession(), {"Authorization": f"Bearer {token}"}) for token in kiosk_tokens]
    conn.send(("ready", {"connected": desks + len(kiosks), "errors": [], "connect_s": 0.0}))
    clock = await _wait_go(conn)
    desk_share = [a for a in day if not a.kiosk]
    kiosk_share = [a for a in day if a.kiosk]
    cancels: list[asyncio.Task[None]] = []

    async def post(session: aiohttp.ClientSession, headers: dict[str, str], path: str, body: dict[str, Any]) -> Any:
        try:
            async with session.post(f"{api}{path}", json=body, headers=headers, timeout=aiohttp.ClientTimeout(30)) as r:
                data = await r.json(content_type=None)
                if r.status in (200, 201):
                    return data
                refusals[f"{path.split('/')[-1] if 'cancel' in path else 'issue'}: {data.get('code', r.status)}"] += 1
        except Exception as error:
            failures[f"{path}: {type(error).__name__}"] += 1
        return None

    async def cancel_later(ticket_id: int, after: float) -> None:
        session, headers = sessions[ticket_id % len(sessions)]
        await clock.sleep_minutes(after)
        if await post(session, headers, f"/tickets/{ticket_id}/cancel", {"reason": "群众离开"}) is not None:
            cancelled[0] += 1

    async def arrive(name: str, session: aiohttp.ClientSession, headers: dict[str, str], arrival: Arrival) -> None:
        due = clock.at(arrival.hour)
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        if time.monotonic() > clock.t0 + limit:
            failures["issuing stopped by the time limit"] += 1
            return
        sent = time.monotonic()
        lags.append(sent - due)
        body: dict[str, Any] = {"queue": arrival.queue}
        if arrival.priority:
            body["priority"] = "senior"
        data = await post(session, headers, "/tickets", body)
        answers.append(time.monotonic() - sent)
        if data is not None:
            moments.append(sent)
            # a kiosk gets the public shape (no id: tickets go by ref); only desks cancel
            issued.append((data.get("id"), data["number"], name))
            if arrival.cancel_after is not None and "id" in data:
                cancels.append(asyncio.create_task(cancel_later(data["id"], arrival.cancel_after)))

    # an open loop: each citizen comes at their time, however slow the server answers
    # (compressed, a desk or kiosk serves many citizens at once)
    await asyncio.gather(
        *(arrive(f"desk{n % desks + 1}", *sessions[n % desks], a) for n, a in enumerate(desk_share)),
        *(arrive(f"kiosk{n % len(kiosks) + 1}", *kiosks[n % len(kiosks)], a) for n, a in enumerate(kiosk_share)),
    )
    await asyncio.gather(*cancels)
    for session, _ in (*sessions, *kiosks):
        await session.close()
    conn.send(
        (
            "results",
            {
                "issued": issued,
                "refusals": dict(refusals),
                "failures": dict(failures),
                "answers": answers,
                "moments": moments,
                "lags": lags,
                "cancelled": cancelled[0],
            },
        )
    )


def run_issuers(
    url: str, desks: int, kiosk_tokens: list[str], day: list[Arrival], conn: Connection, limit: float
) -> None:
    _reporting(conn, _issuers(url, desks, kiosk_tokens, day, conn, limit))
