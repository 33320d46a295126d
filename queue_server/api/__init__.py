"""The JSON API under /api/v1. Every error is application/problem+json."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, request, send_file, session
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter

from queue_server import auth, inputs
from queue_server.accounts import Accounts
from queue_server.api.openapi import openapi_document
from queue_server.commands import COMMANDS
from queue_server.domain import clock
from queue_server.domain.access import Permission, Principal, Role, Unauthenticated, require
from queue_server.domain.audit import AuditAction
from queue_server.domain.errors import DomainError, InvalidInput, MalformedRequest
from queue_server.domain.printing import JobState
from queue_server.problems import CONTENT_TYPE, from_domain_error, problem
from queue_server.realtime import SESSION_TOKEN
from queue_server.services import Event, Services
from queue_server.speech import SpeechUnavailable

log = logging.getLogger(__name__)

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
STAFF_NUMBER_MAX = 20  # 工号
AUDIT_PAGE, AUDIT_PAGE_MAX = 100, 500  # audit entries per page: by default, at most
CSRF_HEADER = "X-CSRF-Token"
SESSION_ENDPOINTS = frozenset({"api.login", "api.logout"})
# anonymous: the ticket's reference is the credential (api/phone.py, api/ratings.py)
PHONE_ENDPOINTS = frozenset({"api.ticket_progress", "api.rate_ticket"})


def _ext() -> dict[str, Any]:
    return current_app.extensions["hall_queue"]  # type: ignore[no-any-return]


def _accounts() -> Accounts:
    return _ext()["accounts"]  # type: ignore[no-any-return]


def _services() -> Services:
    return _ext()["services"]  # type: ignore[no-any-return]


def _now() -> datetime:
    return _ext()["now"]()  # type: ignore[no-any-return]


def _publish(events: list[Event]) -> None:
    _ext()["realtime"].publish(events)


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json", headers=headers)


def problem_response(body: dict[str, Any]) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=body["status"], mimetype=CONTENT_TYPE)


def _body() -> dict[str, Any]:
    """The request's JSON object; an empty body counts as {} (a `null` body does not)."""
    if not request.get_data(cache=True):
        return {}
    if not request.is_json:
        raise MalformedRequest("请求体须是 JSON（Content-Type: application/json）")
    try:
        data = json.loads(request.get_data(cache=True))
    except (ValueError, UnicodeDecodeError):
        raise MalformedRequest("请求体不是合法的 JSON：请检查括号、引号和逗号") from None
    except RecursionError:
        raise MalformedRequest("请求体的 JSON 嵌套过深") from None
    return inputs.mapping(data)


def _principal() -> Principal | None:
    principal: Principal | None = g.get("principal")
    return principal


class Identifier(BaseConverter):
    """`<uint:…>` in a route: a whole number in ASCII digits that fits SQLite's integers.
    Werkzeug's `int` also takes other scripts' digits (a full-width ３) and any length."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


def register_error_handlers(app: Flask) -> None:
    """Problem+json for every error under /api/; HTML pages keep Flask's own pages."""

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError) -> Response:
        response = problem_response(from_domain_error(error))
        retry_after = error.extra.get("retry_after")
        if retry_after is not None:  # 429: when to try again, for programs as for people
            response.headers["Retry-After"] = str(retry_after)
        return response

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response | HTTPException:
        if not request.path.startswith("/api/"):
            return error
        detail = {
            404: "没有这个地址：请查看 /api/v1/openapi.json 中的接口列表",
            405: f"此地址不支持 {request.method} 方法",
            413: f"请求体过大：最多 {current_app.config['MAX_CONTENT_LENGTH']} 字节",
        }.get(error.code or 500, error.description or "请求有误")
        code = (error.name or "error").lower().replace(" ", "_")
        return problem_response(problem(error.code or 500, code, error.name, detail))

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return problem_response(problem(500, "internal", "Internal error", "服务器内部错误，请稍后重试；问题已记录"))


def create_blueprint() -> Blueprint:
    bp = Blueprint("api", __name__)

    @bp.before_request
    def identify() -> None:
        g.principal = None
        if request.endpoint in PHONE_ENDPOINTS:
            return  # a citizen's phone: the ticket's reference in the address is its credential
        header = request.headers.get("Authorization", "")
        if header:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token:
                raise Unauthenticated("Authorization 头须为 “Bearer <设备令牌>”")
            g.principal = auth.device_principal(_ext()["store"], token.strip())
            if g.principal is None:
                raise Unauthenticated("设备令牌无效或已吊销：请联系管理员重新登记此设备")
            return
        if SESSION_TOKEN in session:
            try:
                g.principal = _accounts().session_principal(session[SESSION_TOKEN], _now(), touch=True)
            except Unauthenticated:
                session.clear()
                if request.endpoint in SESSION_ENDPOINTS:
                    return  # signing in again, or out, needs no session that still stands
                raise
            unsafe = request.method in UNSAFE_METHODS and request.endpoint != "api.login"
            if unsafe and not auth.csrf_matches(session.get("csrf_token"), request.headers.get(CSRF_HEADER)):
                raise CsrfFailed("缺少或错误的 X-CSRF-Token：请重新登录后再试")

    @bp.get("/health")
    def health() -> Response:
        """Public liveness probe; says nothing about halls or people."""
        return _json({"status": "ok"})

    @bp.get("/openapi.json")
    def openapi() -> Response:
        return _json(openapi_document())

    @bp.post("/session")
    def login() -> Response:
        args = _body()
        inputs.only(args, {"username", "password"})
        username = inputs.text(args, "username", max_length=64, required=True)
        password = args.get("password")
        if not isinstance(password, str) or not password:
            raise InvalidInput("缺少字段 password", field="password")
        signed_in = _accounts().sign_in(username, password, request.remote_addr, _now())  # type: ignore[arg-type]
        _warn_if_cookie_cannot_come_back()
        ended = _accounts().sign_out(session[SESSION_TOKEN], _now()) if SESSION_TOKEN in session else []
        _ext()["realtime"].close_sessions(ended)  # a new sign-in in this browser replaces the old one
        session.clear()
        session[SESSION_TOKEN] = signed_in.token
        session["csrf_token"] = auth.new_csrf_token()
        return _json({"user": _who(signed_in.principal), "csrf_token": session["csrf_token"]})

    @bp.get("/session")
    def whoami() -> Response:
        principal = _principal()
        if principal is None:
            raise Unauthenticated("尚未登录")
        return _json({"user": _who(principal), "csrf_token": session.get("csrf_token")})

    @bp.delete("/session")
    def logout() -> Response:
        """Sign out. A clerk's window closes with it when nothing is in its hands (else it
        stays, and a manager can release it)."""
        principal = _principal()
        token = session.get(SESSION_TOKEN)
        session.clear()
        if token is not None:  # ended on the server: the cookie is worth nothing from now on
            _ext()["realtime"].close_sessions(_accounts().sign_out(token, _now()))
        if principal is not None and principal.user_id is not None:
            _publish(_services().sign_out(principal, _now()))
        return Response(status=204)

    @bp.get("/halls")
    def halls() -> Response:
        if _principal() is None:
            raise Unauthenticated("请先登录，或使用设备令牌")
        return _json({"halls": _services().list_halls(_principal())})

    @bp.put("/halls/<hall>/config")
    def put_hall_config(hall: str) -> Response:
        """The hall file as its bytes (UTF-8, a BOM allowed); `?effective=next-day`
        schedules it for the next service day instead of refusing live conflicts."""
        caller = _caller()
        args = dict(request.args)
        inputs.only(args, {"effective"})
        effective = args.get("effective", "now")
        if effective not in ("now", "next-day"):
            raise InvalidInput("effective 只能是 now 或 next-day", field="effective")
        raw = request.get_data(cache=True)
        if not raw.strip():
            raise InvalidInput("请求体须是大厅配置 TOML 文本")
        result, events = _services().import_hall(
            caller, raw, _now(), expected_code=hall, effective="next-day" if effective == "next-day" else "now"
        )
        _publish(events)
        return _json(result)

    @bp.get("/halls/<hall>")
    def snapshot(hall: str) -> Response:
        return _json(_services().snapshot(_principal(), hall, _now()))

    @bp.get("/halls/<hall>/catalogue")
    def catalogue(hall: str) -> Response:
        """Items, bundles and queues with their pinyin keys and live figures (desk, kiosk)."""
        inputs.only(dict(request.args), set())
        return _json(_services().catalogue(_principal(), hall, _now()))

    @bp.get("/halls/<hall>/events")
    def events(hall: str) -> Response:
        """The hall's events after `since` (the last sequence number applied), as the
        socket's `subscribe` gives them: shaped for the caller's audience, and of its own
        window only for a window-bound device. `seq`: the last one looked at."""
        args = dict(request.args)
        inputs.only(args, {"since"})
        since = inputs.integer(args, "since", 0, 2**62, required=True)
        limit = current_app.config["CATCH_UP_LIMIT"]
        events, last, complete = _services().catch_up(_principal(), hall, since, limit)  # type: ignore[arg-type]
        return _json({"events": events, "seq": last, "complete": complete})

    @bp.post("/halls/<hall>/tickets")
    def issue(hall: str) -> Response:
        args = _fields("issue_ticket", _body(), idempotency_key=request.headers.get("Idempotency-Key"))
        result, events = COMMANDS["issue_ticket"](_services(), _principal(), hall, args, _now())
        _publish(events)
        replayed = result.pop("replayed", False)
        headers = {"Idempotent-Replayed": "true"} if replayed else None
        return _json(result, 200 if replayed else 201, headers)

    @bp.get("/halls/<hall>/tickets/<uint:ticket_id>")
    def ticket(hall: str, ticket_id: int) -> Response:
        return _json(_services().ticket(_principal(), hall, ticket_id, _now()))

    @bp.post("/halls/<hall>/tickets/<uint:ticket_id>/cancel")
    def cancel(hall: str, ticket_id: int) -> Response:
        return _run("cancel_ticket", hall, _fields("cancel_ticket", _body(), ticket_id=ticket_id))

    @bp.post("/halls/<hall>/tickets/<uint:ticket_id>/reprint")
    def reprint(hall: str, ticket_id: int) -> Response:
        """A new print job for an open ticket, at the station in the body or where it last printed."""
        return _run("reprint_ticket", hall, _fields("reprint_ticket", _body(), ticket_id=ticket_id))

    @bp.get("/halls/<hall>/print-jobs")
    def print_jobs(hall: str) -> Response:
        """The hall's print jobs, newest first; `before` (a job id) pages back."""
        args = dict(request.args)
        inputs.only(args, {"ticket", "state", "printer", "before", "limit"})
        jobs = _services().print_jobs(
            _principal(),
            hall,
            ticket_id=inputs.integer(args, "ticket", 1, 2**62, required=False),
            state=inputs.choice(args, "state", JobState),
            printer_id=inputs.integer(args, "printer", 1, 2**62, required=False),
            before=inputs.integer(args, "before", 1, 2**62, required=False),
            limit=inputs.integer(args, "limit", 1, 500, required=False) or 100,
        )
        return _json({"print_jobs": jobs})

    @bp.get("/halls/<hall>/printers")
    def printers(hall: str) -> Response:
        """Each printer: its station, whether its agent is connected, the last state it reported."""
        listed = _services().printers(_principal(), hall)
        return _json({"printers": _ext()["realtime"].printers(listed)})

    @bp.get("/halls/<hall>/windows/<uint:window>")
    def window_console(hall: str, window: int) -> Response:
        """One window as the clerk's console shows it: the ticket in hand (waited, the
        windows it passed), the queues served with their waiting counts, the next few, the
        tickets it suspended. The clerk signed in at it, or a manager."""
        inputs.only(dict(request.args), set())
        return _json(_services().window_console(_principal(), hall, window, _now()))

    @bp.get("/halls/<hall>/clerk/today")
    def clerk_today(hall: str) -> Response:
        """The signed-in clerk's day: the windows they may open (own, or covering: 顶岗),
        the one they are at, and their own figures today."""
        inputs.only(dict(request.args), set())
        return _json(_services().clerk_today(_principal(), hall, _now()))

    @bp.post("/halls/<hall>/windows/<uint:window>/<action>")
    def window_action(hall: str, window: int, action: str) -> Response:
        name = action.replace("-", "_")
        command = COMMANDS.get(name)
        if command is None or not command.window_scoped:
            raise NotFoundAction(f"窗口没有 {action!r} 操作：可用的有 {', '.join(_window_actions())}")
        args = _fields(name, _body(), window=window, idempotency_key=request.headers.get("Idempotency-Key"))
        result, events = COMMANDS[name](_services(), _principal(), hall, args, _now())
        _publish(events)
        replayed = result.pop("replayed", False)
        return _json(result, headers={"Idempotent-Replayed": "true"} if replayed else None)

    @bp.put("/halls/<hall>/notice")
    def put_notice(hall: str) -> Response:
        args = _body()
        inputs.only(args, {"notice"})
        if "notice" not in args:
            raise InvalidInput("请给出 notice：公告文本，或 null 恢复大厅配置中的公告", field="notice")
        result, events = _services().set_notice(_principal(), hall, args["notice"], _now())
        _publish(events)
        return _json(result)

    @bp.get("/halls/<hall>/screens")
    def list_screens(hall: str) -> Response:
        screens = _services().list_screens(_principal(), hall)
        return _json({"screens": _ext()["realtime"].screens(screens)})

    @bp.put("/halls/<hall>/screens/<uint:device_id>")
    def put_screen(hall: str, device_id: int) -> Response:
        screen = _services().configure_screen(_principal(), hall, device_id, _body(), _now())
        _ext()["realtime"].screen_configured(device_id, screen["settings"])
        return _json(_ext()["realtime"].screens([screen])[0])

    @bp.get("/halls/<hall>/announcements/<uint:seq>.wav")
    def announcement_audio(hall: str, seq: int) -> Response:
        """The call logged as `seq`, spoken by espeak-ng: for screens without a Chinese voice."""
        args = dict(request.args)
        inputs.only(args, {"language", "rate"})
        language = inputs.text(args, "language", max_length=8) or "zh-CN"
        rate = _rate(args.get("rate"))
        text = _services().announcement(_principal(), hall, seq, language)
        try:
            path = _ext()["speech"].render(text, language, rate)
        except SpeechUnavailable:
            raise SpeechMissing("服务器没有可用的离线语音引擎（espeak-ng）：请安装后重试") from None
        return send_file(path, mimetype="audio/wav", max_age=86400)

    @bp.post("/halls/<hall>/sweep")
    def sweep(hall: str) -> Response:
        args = _body()
        inputs.only(args, {"include_today"})
        result, events = _services().sweep(_caller(), hall, _now(), include_today=inputs.boolean(args, "include_today"))
        _publish(events)
        return _json(result)

    # ---- the audit log: an administrator's side of `queue-server audit` ----------------

    @bp.get("/audit")
    def audit_log() -> Response:
        """Administrators' and managers' actions, newest first, filtered; `before` pages on."""
        caller = _caller()
        require(caller, Permission.READ_AUDIT, caller.hall_id)  # who asks comes before what they ask
        args = dict(request.args)
        inputs.only(args, {"since", "hall", "actor", "action", "before", "limit"})
        since = inputs.instant(args, "since")
        entries, next_before = _services().audit_log(
            caller,
            limit=inputs.integer(args, "limit", 1, AUDIT_PAGE_MAX, required=False) or AUDIT_PAGE,
            before=inputs.integer(args, "before", 1, 2**62, required=False),
            since=clock.iso(since) if since else None,
            hall=inputs.text(args, "hall", max_length=40),
            actor=inputs.text(args, "actor", max_length=80),
            action=inputs.choice(args, "action", AuditAction),
        )
        return _json({"entries": entries, "next_before": next_before})

    # ---- accounts: an administrator's side of `queue-server user ...` -------------------

    @bp.get("/users")
    def users() -> Response:
        return _json({"users": _accounts().users(_caller(), _now())})

    @bp.post("/users/<uint:user_id>/disable")
    def disable_user(user_id: int) -> Response:
        """Every session of the user ends, and its open links close at once."""
        inputs.only(_body(), set())
        user, ended = _accounts().disable(_caller(), user_id, _now())
        _ext()["realtime"].close_sessions(ended)
        return _json(user)

    @bp.post("/users/<uint:user_id>/enable")
    def enable_user(user_id: int) -> Response:
        inputs.only(_body(), set())
        return _json(_accounts().enable(_caller(), user_id, _now()))

    @bp.post("/users/<uint:user_id>/unlock")
    def unlock_user(user_id: int) -> Response:
        """Lift the lock and forget the failed sign-ins counted against the user name."""
        inputs.only(_body(), set())
        return _json(_accounts().unlock(_caller(), user_id, _now())[0])

    @bp.put("/users/<uint:user_id>/role")
    def put_user_role(user_id: int) -> Response:
        args = _body()
        inputs.only(args, {"role", "hall"})
        role = inputs.text(args, "role", max_length=16, required=True)
        if role not in {r.value for r in Role}:
            raise InvalidInput(f"role 只能是 {', '.join(r.value for r in Role)}", field="role")
        hall = inputs.text(args, "hall", max_length=40)
        user, ended = _accounts().set_role(_caller(), user_id, Role(role), hall, _now())
        _ext()["realtime"].close_sessions(ended)
        return _json(user)

    @bp.put("/users/<uint:user_id>/staff-number")
    def put_user_staff_number(user_id: int) -> Response:
        """The user's staff number (工号), shown on review pads and carried by ratings; null clears it."""
        args = _body()
        inputs.only(args, {"staff_number"})
        if "staff_number" not in args:
            raise InvalidInput("请给出 staff_number：工号，或 null 清除", field="staff_number")
        staff_number = inputs.text(args, "staff_number", max_length=STAFF_NUMBER_MAX)
        return _json(_accounts().set_staff_number(_caller(), user_id, staff_number, _now()))

    @bp.put("/users/<uint:user_id>/password")
    def put_user_password(user_id: int) -> Response:
        args = _body()
        inputs.only(args, {"password"})
        password = args.get("password")
        if not isinstance(password, str) or not password:
            raise InvalidInput("缺少字段 password", field="password")
        user, ended = _accounts().set_password(_caller(), user_id, password, _now())
        _ext()["realtime"].close_sessions(ended)
        return _json(user)

    # finding tickets and appointments: a module of their own, using this one's helpers
    from queue_server.api import appointments

    appointments.add_routes(bp)
    # a citizen's phone: a ticket's progress by its public reference
    from queue_server.api import phone

    phone.add_routes(bp)
    # 好差评: the review pad's and the phone's ratings, the managers' list
    from queue_server.api import ratings

    ratings.add_routes(bp)

    # the 好差评 feed's outbox, for managers and administrators
    from queue_server.api import feed

    feed.add_routes(bp)

    # 差评整改 and the 好差评 figures
    from queue_server.api import review_cases

    review_cases.add_routes(bp)

    # staffing advice (Erlang C), for managers and administrators
    from queue_server.api import staffing

    staffing.add_routes(bp)

    # the managers' alerts
    from queue_server.api import alerts

    alerts.add_routes(bp)
    # creating accounts; the hall's devices: listed, registered, revoked
    from queue_server.api import admin

    admin.add_routes(bp)
    # reports (per day or month; JSON or CSV), for managers and administrators
    from queue_server.api import reports

    reports.add_routes(bp)
    # the managers' live dashboard
    from queue_server.api import dashboard

    dashboard.add_routes(bp)
    return bp


def _warn_if_cookie_cannot_come_back() -> None:
    """A Secure cookie set over plain HTTP is dropped by the browser: the sign-in
    succeeds and the next request is 401. Say so in the log, once per process."""
    if request.is_secure or not current_app.config["SESSION_COOKIE_SECURE"] or _ext().get("warned_plain_http"):
        return
    _ext()["warned_plain_http"] = True
    log.warning(
        "a sign-in came over plain HTTP while SESSION_COOKIE_SECURE is on: browsers will not send the session"
        " cookie back. Serve over HTTPS (behind a proxy, set PROXY_HOPS so that its X-Forwarded-Proto counts),"
        " or on a plain-HTTP intranet set QUEUE_SESSION_COOKIE_SECURE=false"
    )


def _fields(name: str, body: dict[str, Any], **from_request: Any) -> dict[str, Any]:
    """A command's arguments over HTTP: its own fields from the body, and what the address
    or a header carries (the window, the ticket, the Idempotency-Key) from there only. The
    body may not repeat those, nor name the hall as a socket payload does: a value the
    server would silently override is refused by name instead."""
    inputs.only(body, COMMANDS[name].fields - from_request.keys())
    return body | {key: value for key, value in from_request.items() if value is not None}


def _run(name: str, hall: str, args: dict[str, Any]) -> Response:
    result, events = COMMANDS[name](_services(), _principal(), hall, args, _now())
    _publish(events)
    return _json(result)


def _rate(raw: str | None) -> float:
    if raw is None:
        return 1.0
    try:
        rate = float(raw)
    except ValueError:
        rate = -1
    if not 0.5 <= rate <= 2.0:
        raise InvalidInput("rate 须是 0.5 到 2.0 之间的数", field="rate")
    return rate


def _window_actions() -> list[str]:
    return [c.name.replace("_", "-") for c in COMMANDS.values() if c.window_scoped]


def _who(principal: Principal) -> dict[str, Any]:
    return {
        "name": principal.name,
        "role": principal.actor.value,
        "hall_id": principal.hall_id,
        "user_id": principal.user_id,
        "device_id": principal.device_id,
        "window": principal.window,
    }


def _caller() -> Principal:
    """The signed-in caller. Services read `None` as the operator's own command line,
    so routes that reach such a use case must never pass `None` on."""
    principal = _principal()
    if principal is None:
        raise Unauthenticated("请先登录")
    return principal


class CsrfFailed(DomainError):
    status = 403
    code = "csrf_failed"
    title = "CSRF token missing or wrong"


class SpeechMissing(DomainError):
    status = 503
    code = "speech_unavailable"
    title = "No offline speech engine"


class NotFoundAction(DomainError):
    status = 404
    code = "unknown_action"
    title = "Unknown window action"
