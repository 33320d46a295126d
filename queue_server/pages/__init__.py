"""The staff's shared pages: the landing page at `/` and the sign-in page at `/login`.

Every staff page (the guidance desk, the clerk's console, and the manager's dashboard
later) sends a visitor without a session to `/login?next=<its path>`; the
sign-in page posts to `POST /api/v1/session` from a script and returns to `next`, a path
on this server only. What the pages share in the browser (the session and its CSRF
token, the API's problem answers, the three languages) is in `static/`, served at
`/pages/static/`.

Pages carry no inline script or style: every answer gets a Content-Security-Policy that
allows scripts, styles and images from this server only (`queue_server.security`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, current_app, redirect, render_template, request, session

from queue_server.domain.access import Principal, Role, Unauthenticated
from queue_server.realtime import SESSION_TOKEN

# The policy of the pages: scripts, styles, images and fonts from this server only, no
# inline script or style, talk only to this server (the websocket of the same host named
# for browsers that do not count it as 'self'), no framing, no form posted by the
# browser itself (the sign-in form is sent by its script).
# Staff pages, their paths and roles, as the landing page lists them.
PAGES: tuple[dict[str, str], ...] = (
    {"path": "/desk", "name": "导办台", "who": "导办人员（guide）、大厅管理员（manager）：登录使用"},
    {"path": "/counter", "name": "窗口工作台", "who": "窗口工作人员（clerk）：登录后开窗、叫号、办结"},
    {"path": "/kiosk", "name": "自助取号机", "who": "自助取号设备（kiosk）：地址后加 #token=设备令牌"},
    {"path": "/screens/hall", "name": "综合屏", "who": "综合屏设备（hall_screen）：地址后加 #token=设备令牌"},
    {"path": "/screens/window", "name": "窗口屏", "who": "窗口屏设备（window_screen）：地址后加 #token=设备令牌"},
    {"path": "/manage/staffing", "name": "排班建议", "who": "大厅管理员（manager）、系统管理员（admin）：登录使用"},
    {"path": "/pad", "name": "评价器", "who": "窗口评价器（review_pad）：地址后加 #token=设备令牌"},
    {"path": "/login", "name": "工作人员登录", "who": "所有工作人员"},
)


def protect(response: Response) -> Response:
    """An `after_request` for page blueprints: a page that names who is signed in is never
    kept by a cache. The security headers come from `queue_server.security`, around every
    answer."""
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def signed_in(now: datetime | None = None) -> Principal | None:
    """The person signed in with this request's session cookie, or None (none, ended,
    idle or disabled). Counts as use of the session, as an API call does."""
    token = session.get(SESSION_TOKEN)
    if not token:
        return None
    ext: dict[str, Any] = current_app.extensions["hall_queue"]
    try:
        principal: Principal = ext["accounts"].session_principal(token, now or ext["now"](), touch=True)
    except Unauthenticated:
        return None
    return principal


def sign_in_redirect() -> Response:
    """To the sign-in page, coming back here afterwards."""
    here = request.full_path.rstrip("?")
    return redirect(f"/login?next={quote(here, safe='/')}", code=303)  # type: ignore[return-value]


def refused_page(principal: Principal, page: str, roles: tuple[Role, ...]) -> tuple[str, int]:
    """A signed-in person whose role may not use this page: say whose page it is."""
    return (
        render_template(
            "pages/refused.html",
            page=page,
            role=principal.actor.value,
            name=principal.name,
            roles="、".join(ROLE_NAMES[r] for r in roles),
        ),
        403,
    )


ROLE_NAMES = {Role.GUIDE: "导办人员", Role.CLERK: "窗口工作人员", Role.MANAGER: "大厅管理员", Role.ADMIN: "系统管理员"}


def create_blueprint() -> Blueprint:
    bp = Blueprint(
        "pages", __name__, template_folder="templates", static_folder="static", static_url_path="/pages/static"
    )
    bp.after_request(protect)

    @bp.get("/")
    def landing() -> str:
        """What is served here and for whom; no data, no sign-in needed."""
        return render_template("pages/landing.html", pages=PAGES)

    @bp.get("/login")
    def login() -> str:
        """The form; the script posts it to /api/v1/session and goes on to `next`."""
        return render_template("pages/login.html")

    return bp
