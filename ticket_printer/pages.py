"""The guidance desk (`/desk`) and the self-service kiosk (`/kiosk`): the pages where a
citizen gets a number, and the desk's preview of the printed ticket.

- `/desk` is for guides (and managers): without a session it sends to
  `/login?next=/desk`; another role is told whose page it is.
- `/kiosk` is a device's page: its token comes in the address's fragment
  (`/kiosk#token=hqd_…`), which the page keeps, as the screens do; the HTML holds no data.
- `/desk/tickets/<id>/preview.png` is the ticket as it prints (`preview.render_preview_png`),
  for the guide or manager of the ticket's hall.

Templates and scripts are in this package (`templates/ticket_printer/`, `static/`,
served at `/ticket-printer/static/`); docs/desk.md says how the pages work.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, render_template, request

from queue_server import inputs
from queue_server.domain.access import Forbidden, Role, Unauthenticated
from queue_server.domain.errors import InvalidInput
from queue_server.pages import protect, refused_page, sign_in_redirect, signed_in
from queue_server.phone import public_base_url
from ticket_printer.layout import PAPER_58, PAPER_80
from ticket_printer.preview import render_preview_png

DESK_ROLES = (Role.GUIDE, Role.MANAGER)
PAPERS = {"58": PAPER_58, "80": PAPER_80}


def _ext() -> dict[str, Any]:
    return current_app.extensions["hall_queue"]  # type: ignore[no-any-return]


def create_blueprint() -> Blueprint:
    bp = Blueprint(
        "ticket_printer",
        __name__,
        template_folder="templates",
        static_folder="static",
        static_url_path="/ticket-printer/static",
    )
    bp.after_request(protect)

    @bp.get("/desk")
    def desk() -> Any:
        """The page only; the hall, its catalogue and its live figures come by the API and
        the socket once the page runs, with the session this check saw."""
        principal = signed_in()
        if principal is None:
            return sign_in_redirect()
        if principal.actor not in DESK_ROLES:
            return refused_page(principal, "导办台", DESK_ROLES)
        return render_template("ticket_printer/desk.html", user=principal.name)

    @bp.get("/kiosk")
    def kiosk() -> str:
        """No hall data in the page: it arrives once the kiosk's device token is accepted.
        The page carries where phones reach the server, for the QR code of a ticket shown
        on screen (`queue_server.phone.public_base_url`, as printed tickets have it)."""
        return render_template("ticket_printer/kiosk.html", phone_base=public_base_url(current_app.config))

    @bp.get("/desk/tickets/<uint:ticket_id>/preview.png")
    def preview(ticket_id: int) -> Response:
        """The ticket as it printed (or, never printed, as it would print now), one pixel
        a printer dot. `?paper=58|80` (80 by default)."""
        principal = signed_in()
        if principal is None and request.headers.get("Authorization"):
            # a device's token names a device, never a guide: it is known, and not allowed
            raise Forbidden("号票预览只对登录的导办人员和大厅管理员开放，设备不能使用")
        if principal is None:
            raise Unauthenticated("请先登录")
        if principal.actor not in DESK_ROLES or principal.hall_id is None:
            raise Forbidden("只有导办人员和大厅管理员可以预览号票")
        args = dict(request.args)
        inputs.only(args, {"paper"})
        paper = PAPERS.get(args.get("paper", "80"))
        if paper is None:
            raise InvalidInput("paper 只能是 58 或 80", field="paper")
        services = _ext()["services"]
        ticket = services.printed_ticket(principal, services.hall_code(principal.hall_id), ticket_id, _ext()["now"]())
        response = Response(render_preview_png(ticket, paper), mimetype="image/png")
        response.headers["Cache-Control"] = "private, no-store"
        return response

    return bp
