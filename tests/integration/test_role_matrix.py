"""Every route and every socket event, every kind of caller: who gets in and who gets a
401 or 403, and that a caller who may not see a hall (or an account) cannot tell whether
it exists.

The routes and events come from the code: the URL map `app.register_routes` builds and
`realtime.CLIENT_EVENTS`, so a new one is walked as soon as it exists, and fails until
this file says who may call it. Who may is written out here by hand, apart from the
code's own matrix (`domain.access`), so that a change to either shows up as a failure;
an expectation left behind by a route that is gone fails too.

The callers: nobody signed in; a guide, a clerk, a manager and an administrator of every
hall; each kind of device of the demo hall; and of the town hall a guide, a clerk, a
manager, an administrator of that hall only, and each kind of device; and a citizen's
phone holding a ticket of each hall. Over HTTP a phone sends no credential (its ticket's
reference is in the address of the one route that takes it), so it is refused as nobody
signed in is; on the socket it connects with the reference (`auth.ticket`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from queue_server import auth, storage
from queue_server.app import register_routes
from queue_server.cli import demo_hall_toml
from queue_server.commands import COMMANDS
from queue_server.domain import clock
from queue_server.domain.access import DeviceKind, Role
from queue_server.realtime import CLIENT_EVENTS, MARK_SHOWN, READ_PROGRESS, SESSION_TOKEN, SUBSCRIBE
from tests.conftest import MONDAY_10AM_SHANGHAI, PASSWORD


@dataclass(frozen=True)
class Caller:
    actor: str  # a role or a device kind, "citizen" (a phone with a ticket's reference), or "anonymous"
    hall: str | None  # None: every hall (the administrator), or nobody's


ROLES = frozenset(r.value for r in Role)
KINDS = frozenset(k.value for k in DeviceKind)
CALLERS: dict[str, Caller] = {
    "anonymous": Caller("anonymous", None),
    "guide": Caller("guide", "demo"),
    "clerk1": Caller("clerk", "demo"),
    "manager": Caller("manager", "demo"),
    "admin": Caller("admin", None),
    **{kind: Caller(kind, "demo") for kind in sorted(KINDS)},
    "other_guide": Caller("guide", "town"),
    "other_clerk": Caller("clerk", "town"),
    "other_manager": Caller("manager", "town"),
    "other_admin": Caller("admin", "town"),
    **{f"town_{kind}": Caller(kind, "town") for kind in sorted(KINDS)},
    "citizen": Caller("citizen", "demo"),
    "town_citizen": Caller("citizen", "town"),
}
CITIZENS = frozenset({"citizen", "town_citizen"})


@dataclass(frozen=True)
class May:
    """Who may call: these actors, and with `of_hall` only those of the demo hall (the one
    asked about) or of every hall."""

    actors: frozenset[str]
    of_hall: bool = True

    def admits(self, who: str) -> bool:
        caller = CALLERS[who]
        if caller.actor not in self.actors:
            return False
        return not self.of_hall or caller.hall == "demo" or (caller.hall is None and caller.actor == "admin")


def may(*actors: str, of_hall: bool = True) -> May:
    return May(frozenset(actors), of_hall)


ANYONE = May(frozenset({"anonymous", "citizen", *ROLES, *KINDS}), of_hall=False)
SIGNED_IN = May(frozenset({*ROLES, *KINDS}), of_hall=False)
# every role and device of the hall but the booking platform: it is the city's machine and
# sees the hall's bookings only
OF_THE_HALL = May(frozenset({*ROLES, *KINDS}) - {"booking_platform"})
CLERK = may("clerk")
CLERK_OR_MANAGER = may("clerk", "manager")

# Who may run each window command, at window 14, where clerk1 has E001 called; the same
# over HTTP and over the socket.
WINDOW_COMMANDS: dict[str, May] = {
    "open_window": CLERK,
    "close_window": CLERK_OR_MANAGER,
    "pause_window": CLERK_OR_MANAGER,
    "resume_window": CLERK_OR_MANAGER,
    "release_window": may("manager"),
    "call_next": CLERK,
    "call_number": CLERK,
    "recall": CLERK,
    "mark_no_show": CLERK,
    "start_service": CLERK,
    "finish_service": CLERK,
    "transfer": CLERK,
    "suspend": CLERK,
    "resume_ticket": CLERK,
}
WINDOW_BODIES: dict[str, dict[str, Any]] = {
    "call_number": {"ticket_number": "E002"},
    "resume_ticket": {"ticket_number": "E002"},
    "transfer": {"to_window": 15},
    "release_window": {"reason": "测试"},
}

API = "/api/v1"
# a 差评整改 step: each with a body that would do
CASE_BODIES: dict[str, dict[str, Any]] = {
    "contact": {"note": "已电话联系"},
    "reply": {"reply": "已答复", "fix": "已整改"},
    "confirm": {"satisfied": True},
    "appeal": {"reason": "恶意差评"},
    "appeal-decision": {"upheld": False},
    "close": {},
}
# booked for the day by _day(); the routes that name an appointment name this one
BOOKING = {"reference": "YY-ROLES", "service_day": "2026-11-23", "slot_start": "10:00", "slot_end": "10:30"}
WINDOW_ACTION = f"POST {API}/halls/<hall>/windows/<uint:window>/<action>"
# "METHOD rule" -> who may. Rules as the URL map spells them.
ROUTES: dict[str, May] = {
    f"GET {API}/health": ANYONE,
    f"GET {API}/openapi.json": ANYONE,
    f"POST {API}/session": ANYONE,
    f"GET {API}/session": SIGNED_IN,
    f"DELETE {API}/session": ANYONE,
    f"GET {API}/halls": SIGNED_IN,
    f"GET {API}/halls/<hall>": OF_THE_HALL,
    f"GET {API}/halls/<hall>/events": OF_THE_HALL,
    f"GET {API}/halls/<hall>/catalogue": may("guide", "clerk", "manager", "admin", "kiosk"),
    f"PUT {API}/halls/<hall>/config": may("admin"),
    f"POST {API}/halls/<hall>/tickets": may("guide", "manager", "kiosk"),
    f"GET {API}/halls/<hall>/tickets/<uint:ticket_id>": may("guide", "clerk", "manager", "admin"),
    f"POST {API}/halls/<hall>/tickets/<uint:ticket_id>/cancel": may("guide", "manager"),
    f"POST {API}/halls/<hall>/tickets/<uint:ticket_id>/reprint": may("guide", "manager"),
    f"GET {API}/halls/<hall>/print-jobs": may("guide", "manager", "admin"),
    f"GET {API}/halls/<hall>/printers": may("guide", "manager", "admin"),
    # staff see the line; a search by ID number is refused to clerks (test_ticket_search)
    f"GET {API}/halls/<hall>/tickets": may("guide", "clerk", "manager", "admin"),
    f"POST {API}/halls/<hall>/tickets/search": may("guide", "clerk", "manager", "admin"),
    f"POST {API}/halls/<hall>/appointments": may("manager", "admin", "booking_platform"),
    f"GET {API}/halls/<hall>/appointments": may("guide", "manager", "admin", "booking_platform"),
    f"GET {API}/halls/<hall>/appointments/<reference>": may("guide", "manager", "admin", "booking_platform"),
    f"POST {API}/halls/<hall>/appointments/<reference>/check-in": may("guide", "manager", "kiosk"),
    f"POST {API}/halls/<hall>/appointments/<reference>/cancel": may("manager", "admin", "booking_platform"),
    f"POST {API}/halls/<hall>/sweep": may("manager", "admin"),
    f"PUT {API}/halls/<hall>/notice": may("manager"),
    f"GET {API}/halls/<hall>/screens": may("manager", "admin"),
    f"PUT {API}/halls/<hall>/screens/<uint:device_id>": may("manager"),
    f"GET {API}/halls/<hall>/announcements/<uint:seq>.wav": OF_THE_HALL,
    **{f"{WINDOW_ACTION}:{name}": allowed for name, allowed in WINDOW_COMMANDS.items()},
    # the clerk's console: window 14 as clerk1 (signed in there) or a manager sees it
    f"GET {API}/halls/<hall>/windows/<uint:window>": CLERK_OR_MANAGER,
    f"GET {API}/halls/<hall>/clerk/today": CLERK,
    # an administrator of one hall lists and reads its own hall's
    f"GET {API}/users": may("admin", of_hall=False),
    f"GET {API}/audit": may("admin", of_hall=False),
    # the 好差评 feed's outbox: a manager or an administrator of one hall sees its own
    # hall's records; a letter of another hall answers as one that does not exist (404)
    f"GET {API}/feed": may("manager", "admin", of_hall=False),
    f"GET {API}/feed/dead-letters": may("manager", "admin", of_hall=False),
    f"POST {API}/feed/dead-letters/<uint:letter_id>/retry": may("manager", "admin", of_hall=False),
    # acting on clerk2, of the demo hall
    f"POST {API}/users/<uint:user_id>/disable": may("admin"),
    f"POST {API}/users/<uint:user_id>/enable": may("admin"),
    f"POST {API}/users/<uint:user_id>/unlock": may("admin"),
    f"PUT {API}/users/<uint:user_id>/role": may("admin"),
    f"PUT {API}/users/<uint:user_id>/password": may("admin"),
    f"PUT {API}/users/<uint:user_id>/staff-number": may("admin"),
    # a clerk of the demo hall: an administrator of every hall (of the town, another hall's: 403)
    f"POST {API}/users": may("admin"),
    # the hall's devices: its managers and the administrators; revoking the spare kiosk
    f"GET {API}/halls/<hall>/devices": may("manager", "admin"),
    f"POST {API}/halls/<hall>/devices": may("manager", "admin"),
    f"POST {API}/halls/<hall>/devices/<uint:device_id>/revoke": may("manager", "admin"),
    # 好差评: the review pad rates (E001 is not finished: 409, not refused), staff never
    # (national rule: 403); managers and administrators read
    f"POST {API}/halls/<hall>/ratings": may("review_pad"),
    f"GET {API}/halls/<hall>/ratings": may("manager", "admin"),
    # 差评整改: managers and administrators read the cases and the figures, the hall's
    # managers act (no case 1 in this day: 404 for those let in)
    f"GET {API}/halls/<hall>/review-cases": may("manager", "admin"),
    f"GET {API}/halls/<hall>/review-cases/<uint:case_id>": may("manager", "admin"),
    f"GET {API}/halls/<hall>/review-figures": may("manager", "admin"),
    f"GET {API}/halls/<hall>/staffing": may("manager", "admin"),
    # the managers' alerts: no alert 1 in this day: 404 for those let in
    f"GET {API}/halls/<hall>/alerts": may("manager", "admin"),
    f"POST {API}/halls/<hall>/alerts/<uint:alert_id>/acknowledge": may("manager", "admin"),
    f"GET {API}/halls/<hall>/reports/<kind>": may("manager", "admin"),
    f"GET {API}/halls/<hall>/dashboard": may("manager", "admin"),
    **{f"POST {API}/halls/<hall>/review-cases/<uint:case_id>/{step}": may("manager") for step in CASE_BODIES},
    # the phone's reference is the credential, as for its progress; a staff session is refused
    f"POST {API}/t/<ref>/rating": May(frozenset({"anonymous", "citizen", *KINDS}), of_hall=False),
    # the screens' pages and their files hold no data: the token opens the data later
    "GET /screens/hall": ANYONE,
    "GET /screens/window": ANYONE,
    "GET /screens/static/<path:filename>": ANYONE,
    "GET /": ANYONE,
    "GET /login": ANYONE,
    "GET /pages/static/<path:filename>": ANYONE,
    "GET /kiosk": ANYONE,
    "GET /ticket-printer/static/<path:filename>": ANYONE,
    # the review pad's page holds no data either: its device token opens its window's ratings
    "GET /pad": ANYONE,
    "GET /pad/static/<path:filename>": ANYONE,
    # a page (STAFF_PAGES): the desk of the hall of whoever signed in
    "GET /desk": may("guide", "manager", of_hall=False),
    # a page (STAFF_PAGES): the clerk's console
    "GET /counter": may("clerk", of_hall=False),
    "GET /counter/static/<path:filename>": ANYONE,
    "GET /manage/static/<path:filename>": ANYONE,
    # a page (STAFF_PAGES): administration of the hall's devices (and, for administrators, accounts)
    "GET /manage/admin": may("manager", "admin", of_hall=False),
    # a page (STAFF_PAGES): staffing advice, for the hall of whoever signed in
    "GET /manage/staffing": may("manager", "admin", of_hall=False),
    # a page (STAFF_PAGES): the reports, of the hall of whoever signed in (an administrator picks one)
    "GET /manage/reports": may("manager", "admin", of_hall=False),
    # a page (STAFF_PAGES): the managers' live dashboard, of the hall of whoever signed in
    "GET /manage": may("manager", "admin", of_hall=False),
    # the ticket is looked for in the caller's own hall: another hall's is not found there
    "GET /desk/tickets/<uint:ticket_id>/preview.png": may("guide", "manager", of_hall=False),
    # a citizen's phone: the same page for any reference; the reference is the credential
    # of its data, so anyone may ask (throttled, tests/integration/test_phone.py)
    "GET /t/<ref>": ANYONE,
    "GET /t/static/<path:filename>": ANYONE,
    f"GET {API}/t/<ref>": ANYONE,
}
# Pages for people, not programs: whoever has no staff session (nobody, a device) is sent
# to the sign-in page, and a signed-in person who may not use it gets a page that says
# whose it is.
STAFF_PAGES = frozenset(
    {"GET /desk", "GET /counter", "GET /manage", "GET /manage/admin", "GET /manage/staffing", "GET /manage/reports"}
)
BODIES: dict[str, Any] = {
    f"POST {API}/session": {"username": "guide", "password": PASSWORD},
    f"PUT {API}/halls/<hall>/config": "TOML",
    f"POST {API}/halls/<hall>/tickets": {"queue": "household"},
    f"POST {API}/halls/<hall>/tickets/<uint:ticket_id>/cancel": {},
    f"POST {API}/halls/<hall>/tickets/<uint:ticket_id>/reprint": {"station": "desk-1"},
    f"POST {API}/halls/<hall>/tickets/search": {"queue": "household"},
    f"POST {API}/halls/<hall>/appointments": {**BOOKING, "reference": "YY-NEW", "queue": "household"},
    f"POST {API}/halls/<hall>/appointments/<reference>/check-in": {},
    f"POST {API}/halls/<hall>/appointments/<reference>/cancel": {},
    f"POST {API}/halls/<hall>/sweep": {},
    f"PUT {API}/halls/<hall>/notice": {"notice": "通知"},
    f"PUT {API}/halls/<hall>/screens/<uint:device_id>": {"rows": 5},
    f"PUT {API}/users/<uint:user_id>/role": {"role": "guide"},
    f"PUT {API}/users/<uint:user_id>/password": {"password": "another-pass-2026"},
    f"PUT {API}/users/<uint:user_id>/staff-number": {"staff_number": "GH-0001"},
    f"POST {API}/users": {
        "username": "newclerk",
        "display_name": "新窗口人员",
        "role": "clerk",
        "hall": "demo",
        "password": "new-pass-2026",
    },
    f"POST {API}/halls/<hall>/devices": {"kind": "kiosk", "name": "新取号机"},
    f"POST {API}/halls/<hall>/ratings": {"ticket_ref": "0" * 32, "level": "satisfied"},
    f"POST {API}/t/<ref>/rating": {"level": "satisfied"},
    **{f"{WINDOW_ACTION}:{name}": body for name, body in WINDOW_BODIES.items()},
    **{f"POST {API}/halls/<hall>/review-cases/<uint:case_id>/{step}": body for step, body in CASE_BODIES.items()},
}
# a route that takes another of the day's values for a name in its path
SPARE = {f"POST {API}/halls/<hall>/devices/<uint:device_id>/revoke": {"device_id": "spare_device"}}
QUERIES = {
    f"GET {API}/halls/<hall>/events": "?since=0",
    f"GET {API}/halls/<hall>/review-figures": "?from=2026-11-23&to=2026-11-23",
    f"GET {API}/halls/<hall>/reports/<kind>": "?month=2026-11",
}

# event -> who may; window commands at window 14, as over HTTP.
SOCKET_EVENTS: dict[str, May] = {
    # a phone subscribes to its own ticket's hall (its citizen stream)
    SUBSCRIBE: May(OF_THE_HALL.actors | {"citizen"}),
    # a phone's own ticket, of whichever hall; nobody else reads a ticket this way
    READ_PROGRESS: may("citizen", of_hall=False),
    # no hall in the payload: a screen marks what it drew of its own hall
    MARK_SHOWN: may("hall_screen", "window_screen", of_hall=False),
    "issue_ticket": may("guide", "manager", "kiosk"),
    "cancel_ticket": may("guide", "manager"),
    "reprint_ticket": may("guide", "manager"),
    # a printer's agent, of its own hall: the job answered is the desk printer's
    "fetch_print_jobs": may("printer"),
    "print_result": may("printer"),
    "check_in_appointment": may("guide", "manager", "kiosk"),
    # 好差评: the window's pad or the ticket's own phone; never staff (national rule)
    "submit_rating": may("review_pad", "citizen"),
    "acknowledge_alert": may("manager", "admin"),
    **WINDOW_COMMANDS,
}
SOCKET_PAYLOADS: dict[str, dict[str, Any]] = {
    SUBSCRIBE: {"hall": "{hall}"},
    MARK_SHOWN: {"seq": 1},
    READ_PROGRESS: {},
    "issue_ticket": {"hall": "{hall}", "queue": "household"},
    "cancel_ticket": {"hall": "{hall}", "ticket_id": "{ticket}"},
    "reprint_ticket": {"hall": "{hall}", "ticket_id": "{ticket}", "station": "desk-1"},
    "fetch_print_jobs": {"hall": "{hall}"},
    "print_result": {"hall": "{hall}", "job": "{job}", "ok": True, "state": "printed"},
    "check_in_appointment": {"hall": "{hall}", "reference": "YY-ROLES"},
    "submit_rating": {"hall": "{hall}", "ticket_ref": "{ref}", "level": "satisfied"},
    "acknowledge_alert": {"hall": "{hall}", "alert_id": 1},
    **{name: {"hall": "{hall}", "window": 14, **WINDOW_BODIES.get(name, {})} for name in WINDOW_COMMANDS},
}


@dataclass(frozen=True)
class Route:
    key: str  # the key of ROUTES
    method: str
    rule: str

    @property
    def id(self) -> str:
        return self.key.removeprefix(f"{self.method} ").removeprefix(API) + f" {self.method}"


def enumerate_routes(app: Flask) -> list[Route]:
    """Every (method, route) the app serves, a window route once per window command."""
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):  # type: ignore[operator]
            key = f"{method} {rule.rule}"
            if key == WINDOW_ACTION:
                found += [Route(f"{key}:{c.name}", method, rule.rule) for c in COMMANDS.values() if c.window_scoped]
            else:
                found.append(Route(key, method, rule.rule))
    return found


def _routes_in_code() -> list[Route]:
    bare = Flask("routes", static_folder=None)  # as the app (create_app): no static folder
    register_routes(bare)
    return sorted(enumerate_routes(bare), key=lambda r: r.key)


IN_CODE = _routes_in_code()


# ---- calling ---------------------------------------------------------------------------------


def _session(app: Flask, client: FlaskClient, username: str) -> str:
    """A signed-in session for `username`, made straight in the store: signing in checks a
    password, slowly on purpose, and is tested elsewhere. Returns its CSRF token."""
    token, csrf = secrets.token_urlsafe(32), auth.new_csrf_token()
    at = clock.iso(MONDAY_10AM_SHANGHAI)
    with app.extensions["hall_queue"]["store"].write() as db:
        user = storage.people.user_by_username(db, username)
        assert user is not None, username
        storage.sessions.insert_session(
            db,
            {
                "token_digest": auth.token_digest(token),
                "user_id": user["id"],
                "address": None,
                "created_at": at,
                "last_seen_at": at,
            },
        )
    cookie = app.session_interface.get_signing_serializer(app).dumps(  # type: ignore[attr-defined]
        {SESSION_TOKEN: token, "csrf_token": csrf}
    )
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
    return csrf


def _caller(app: Flask, who: str) -> tuple[FlaskClient, dict[str, str]]:
    client = app.test_client()
    if who == "anonymous" or who in CITIZENS:
        return client, {}
    if who in app.config["TEST_TOKENS"]:
        return client, {"Authorization": f"Bearer {app.config['TEST_TOKENS'][who]}"}
    return client, {"X-CSRF-Token": _session(app, client, who)}


def _day(app: Flask) -> dict[str, Any]:
    """A little of a day: E001 (printed at desk-1) and E002 waiting in household, E001
    called at window 14 by clerk1. Returns what the routes name: a ticket, its print job,
    a call, a screen, clerk2's account."""
    setup, headers = _caller(app, "guide")
    first = setup.post(f"{API}/halls/demo/tickets", json={"queue": "household", "station": "desk-1"}, headers=headers)
    ticket, job = first.get_json()["id"], first.get_json()["print_job"]["id"]
    setup.post(f"{API}/halls/demo/tickets", json={"queue": "household"}, headers=headers)
    clerk, clerk_headers = _caller(app, "clerk1")
    assert clerk.post(f"{API}/halls/demo/windows/14/open-window", headers=clerk_headers).status_code == 200
    assert clerk.post(f"{API}/halls/demo/windows/14/call-next", headers=clerk_headers).status_code == 200
    manager, manager_headers = _caller(app, "manager")
    booked = manager.post(
        f"{API}/halls/demo/appointments", json={**BOOKING, "queue": "household"}, headers=manager_headers
    )
    assert booked.status_code == 201, booked.get_data(as_text=True)
    town, town_headers = _caller(app, "other_guide")
    town_ticket = town.post(f"{API}/halls/town/tickets", json={"queue": "general"}, headers=town_headers).get_json()
    with app.extensions["hall_queue"]["store"].read() as db:
        call = next(db.query("SELECT seq FROM events WHERE type = 'ticket_called'"))["seq"]
        ref = next(db.query("SELECT ref FROM tickets WHERE id = ?", [ticket]))["ref"]
        screen = next(db.query("SELECT id FROM devices WHERE name = 'hall_screen'"))["id"]
        users = {row["username"]: row["id"] for row in db.query("SELECT id, username FROM users")}
    spare, _ = auth.create_device(  # to revoke: the callers' own devices stay
        app.extensions["hall_queue"]["store"],
        hall_code="demo",
        kind=DeviceKind.KIOSK,
        name="spare",
        window=None,
        now=MONDAY_10AM_SHANGHAI,
    )
    return {
        "hall": "demo",
        "ticket_id": ticket,
        "job": job,
        "seq": call,
        "device_id": screen,
        "spare_device": spare,
        "window": 14,
        "user_id": users["clerk2"],
        "letter_id": 1,  # none: the callers let in are told so (404), the others refused first
        "case_id": 1,
        "alert_id": 1,
        "kind": "clerk-review",
        "filename": "screens.css",
        "reference": BOOKING["reference"],
        "users": users,
        "ref": ref,
        "tickets": {"citizen": ref, "town_citizen": town_ticket["ref"]},
    }


def _url(route: Route, values: dict[str, Any]) -> str:
    path = route.rule
    values = {**values, **{name: values[other] for name, other in SPARE.get(route.key, {}).items()}}
    for name, value in values.items():
        path = path.replace(f"<{name}>", str(value)).replace(f"<uint:{name}>", str(value))
        path = path.replace(f"<path:{name}>", str(value))
    if route.key.startswith(f"{WINDOW_ACTION}:"):
        path = path.replace("<action>", route.key.rsplit(":", 1)[1].replace("_", "-"))
    assert "<" not in path, path
    return path + QUERIES.get(route.key, "")


def _request(app: Flask, who: str, route: Route, values: dict[str, Any]) -> Any:
    client, headers = _caller(app, who)
    body = BODIES.get(route.key)
    if body == "TOML":
        text = demo_hall_toml(always_open=False).encode()
        return client.open(
            _url(route, values), method=route.method, data=text, headers=headers, content_type="application/toml"
        )
    return client.open(_url(route, values), method=route.method, json=body, headers=headers)


def _refusal(who: str) -> int:
    return 401 if who == "anonymous" or who in CITIZENS else 403


# ---- the routes ------------------------------------------------------------------------------


@pytest.mark.parametrize("route", IN_CODE, ids=[r.id for r in IN_CODE])
def test_each_route_lets_in_exactly_its_callers(app: Flask, route: Route) -> None:
    allowed = ROUTES.get(route.key)
    assert allowed is not None, f"{route.key} is served but this file does not say who may call it: add it to ROUTES"
    values = _day(app)
    for who in CALLERS:
        response = _request(app, who, route, values)
        if allowed.admits(who):
            assert response.status_code not in (401, 403), f"{who} was refused {route.key}: {response.get_json()}"
        elif route.key in STAFF_PAGES and CALLERS[who].actor not in ROLES:  # no staff session: a device too
            assert response.status_code == 303, f"{who} on {route.key}: {response.status_code}"
            assert response.headers["Location"].startswith("/login?next=")
        elif route.key in STAFF_PAGES:
            assert response.status_code == 403, f"{who} on {route.key}: {response.status_code}"
            assert response.mimetype == "text/html"
        else:
            assert response.status_code == _refusal(who), (
                f"{who} on {route.key}: {response.status_code} {response.get_data(as_text=True)}"
            )
            assert response.mimetype == "application/problem+json"


def _probed(route: Route) -> bool:
    return "<hall>" in route.rule or "<uint:user_id>" in route.rule


PROBED = [route for route in IN_CODE if _probed(route)]


@pytest.mark.parametrize("route", PROBED, ids=[r.id for r in PROBED])
def test_a_hall_or_account_one_may_not_see_answers_the_same_whether_or_not_it_exists(app: Flask, route: Route) -> None:
    """Anonymous callers get 401 and everyone else who may not see it 403, with the same
    body, for a hall (or an account) of another hall and for one that does not exist; only
    an administrator of every hall is told that there is none."""
    values = _day(app)
    users = values["users"]
    for who, caller in CALLERS.items():
        theirs = caller.hall or "demo"
        other = {**values, "hall": "town" if theirs == "demo" else "demo"}
        other["user_id"] = users["other_guide"] if theirs == "demo" else users["clerk2"]
        nowhere = {**values, "hall": "atlantis", "user_id": 10**9}
        missing = _request(app, who, route, nowhere)
        if caller.actor == "admin" and caller.hall is None:  # sees every hall and account
            if ROUTES[route.key].admits(who) and not route.rule.endswith("/config"):  # a hall file names its hall
                assert missing.status_code == 404, f"{route.key}: {missing.get_data(as_text=True)}"
            continue
        elsewhere = _request(app, who, route, other)
        assert (elsewhere.status_code, elsewhere.get_json()) == (missing.status_code, missing.get_json()), (
            f"{who} on {route.key}: another's {elsewhere.status_code} {elsewhere.get_json()}, "
            f"none {missing.status_code} {missing.get_json()}"
        )
        assert elsewhere.status_code == _refusal(who), f"{who} on {route.key}: {elsewhere.status_code}"


def test_the_routes_walked_are_the_apps_and_every_expectation_is_of_one(app: Flask) -> None:
    assert {r.key for r in enumerate_routes(app)} == {r.key for r in IN_CODE}
    assert set(ROUTES) == {r.key for r in IN_CODE}, "an expectation for a route that is not served"
    assert len(IN_CODE) > 40  # the walk really read the URL map


# ---- the socket ------------------------------------------------------------------------------


def _socket(app: Flask, who: str, values: dict[str, Any]) -> Any:
    socketio = app.extensions["socketio"]
    if who == "anonymous":
        return socketio.test_client(app)
    if who in CITIZENS:
        return socketio.test_client(app, auth={"ticket": values["tickets"][who]})
    if who in app.config["TEST_TOKENS"]:
        return socketio.test_client(app, auth={"token": app.config["TEST_TOKENS"][who]})
    client = app.test_client()
    _session(app, client, who)
    return socketio.test_client(app, flask_test_client=client)


def _emit(app: Flask, who: str, event: str, values: dict[str, Any]) -> Any:
    socket = _socket(app, who, values)
    if not socket.is_connected():
        return None
    payload = SOCKET_PAYLOADS.get(event, {})
    filled = {k: (v.format(hall=values["hall"]) if v == "{hall}" else v) for k, v in payload.items()}
    if filled.get("ticket_id") == "{ticket}":
        filled["ticket_id"] = values["ticket_id"]
    if filled.get("job") == "{job}":
        filled["job"] = values["job"]
    if filled.get("ticket_ref") == "{ref}":  # a phone names its own ticket; anyone else the demo one
        filled["ticket_ref"] = values["tickets"].get(who, values["ref"])
    answer = socket.emit(event, filled, callback=True)
    socket.disconnect()
    return answer


@pytest.mark.parametrize("event", CLIENT_EVENTS)
def test_each_socket_event_lets_in_exactly_its_callers(app: Flask, event: str) -> None:
    allowed = SOCKET_EVENTS.get(event)
    assert allowed is not None, f"the socket handles {event} but this file does not say who may: add it"
    values = _day(app)
    for who in CALLERS:
        answer = _emit(app, who, event, values)
        if who == "anonymous":
            assert answer is None, "an anonymous socket is refused at the door"
        elif allowed.admits(who):
            refused = not answer["ok"] and answer["problem"]["status"] in (401, 403)
            assert not refused, f"{who} was refused {event}: {answer}"
        else:
            assert answer["ok"] is False and answer["problem"]["status"] == 403, f"{who} on {event}: {answer}"


HALL_EVENTS = [event for event in CLIENT_EVENTS if "hall" in SOCKET_PAYLOADS.get(event, {})]


@pytest.mark.parametrize("event", HALL_EVENTS)
def test_a_socket_event_for_a_hall_one_may_not_see_answers_the_same_whether_or_not_it_exists(
    app: Flask, event: str
) -> None:
    values = _day(app)
    for who, caller in CALLERS.items():
        if who == "anonymous":
            continue  # refused at the door (above)
        theirs = caller.hall or "demo"
        other = _emit(app, who, event, {**values, "hall": "town" if theirs == "demo" else "demo"})
        nowhere = _emit(app, who, event, {**values, "hall": "atlantis"})
        if caller.actor == "admin" and caller.hall is None:
            if SOCKET_EVENTS[event].admits(who):
                assert nowhere["problem"]["status"] == 404, f"{event}: {nowhere}"
            continue
        assert other == nowhere, f"{who} on {event}: other hall {other}, none {nowhere}"
        assert other["problem"]["status"] == 403, f"{who} on {event}: {other}"


def test_the_events_walked_are_the_sockets_and_every_expectation_is_of_one(app: Flask) -> None:
    handled = set(app.extensions["socketio"].server.handlers["/"]) - {"connect", "disconnect", "*"}
    assert handled == set(CLIENT_EVENTS)
    assert set(SOCKET_EVENTS) == set(CLIENT_EVENTS) == set(SOCKET_PAYLOADS)


# ---- the rest of the door --------------------------------------------------------------------


def test_the_other_hall_lists_only_its_own_hall(app: Flask) -> None:
    client, headers = _caller(app, "other_manager")
    assert client.get(f"{API}/halls", headers=headers).get_json() == {
        "halls": [{"code": "town", "name": "某镇便民服务中心"}]
    }
    client, headers = _caller(app, "admin")
    assert {h["code"] for h in client.get(f"{API}/halls", headers=headers).get_json()["halls"]} == {"demo", "town"}


def test_a_window_one_may_not_work_answers_the_same_whether_or_not_it_exists(app: Flask) -> None:
    """A device or a guide learns nothing about window numbers: 403 for window 14 and 999 alike."""
    for who in ("kiosk", "guide", "hall_screen"):
        client, headers = _caller(app, who)
        there = client.post(f"{API}/halls/demo/windows/14/call-next", headers=headers)
        nowhere = client.post(f"{API}/halls/demo/windows/999/call-next", headers=headers)
        assert there.status_code == nowhere.status_code == 403 and there.get_json() == nowhere.get_json()
    client, headers = _caller(app, "clerk1")
    assert client.post(f"{API}/halls/demo/windows/999/call-next", headers=headers).status_code == 404


def test_a_revoked_device_is_refused_at_once(app: Flask, store) -> None:  # type: ignore[no-untyped-def]
    client, headers = _caller(app, "kiosk")
    assert client.get(f"{API}/halls/demo", headers=headers).status_code == 200
    with store.read() as db:
        device_id = next(db.query("SELECT id FROM devices WHERE name = 'kiosk'"))["id"]
    auth.revoke_device(store, device_id, MONDAY_10AM_SHANGHAI)
    response = client.get(f"{API}/halls/demo", headers=headers)
    assert response.status_code == 401 and "吊销" in response.get_json()["detail"]


def test_signed_in_writes_need_the_csrf_token(app: Flask) -> None:
    client, headers = _caller(app, "guide")
    assert client.post(f"{API}/halls/demo/tickets", json={"queue": "household"}).status_code == 403
    forged = client.post(f"{API}/halls/demo/tickets", json={"queue": "household"}, headers={"X-CSRF-Token": "forged"})
    assert forged.status_code == 403
    assert client.post(f"{API}/halls/demo/tickets", json={"queue": "household"}, headers=headers).status_code == 201


def test_wrong_password_and_sign_out(app: Flask) -> None:
    client = app.test_client()
    response = client.post(f"{API}/session", json={"username": "guide", "password": "wrong-password"})
    assert response.status_code == 401 and response.get_json()["detail"] == "用户名或密码不正确"
    response = client.post(f"{API}/session", json={"username": "nobody", "password": "wrong-password"})
    assert response.status_code == 401 and response.get_json()["detail"] == "用户名或密码不正确"
    response = client.post(f"{API}/session", json={"username": "guide", "password": PASSWORD})
    headers = {"X-CSRF-Token": response.get_json()["csrf_token"]}
    assert client.get(f"{API}/session").get_json()["user"]["role"] == "guide"
    assert client.delete(f"{API}/session", headers=headers).status_code == 204
    assert client.get(f"{API}/session").status_code == 401
