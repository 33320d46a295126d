"""The citizen's phone page (扫码查看排队进度): `/t/{ref}`, opened from a ticket's QR code.

The page holds no data: its script reads the reference from its own address, asks
`GET /api/v1/t/{ref}` for the ticket's progress and then follows it live over Socket.IO
with the reference as its credential (docs/phone.md). Its files are plain ES modules and
one style sheet, no build step; the Socket.IO client is the screens' vendored copy. Every
address in the page is relative, so that it also works behind a gateway that serves the
hall under a path of its own (`PUBLIC_BASE_URL`).
"""

from __future__ import annotations

from flask import Blueprint, render_template


def create_blueprint() -> Blueprint:
    bp = Blueprint("phone", __name__, template_folder="templates", static_folder="static", static_url_path="/static")

    @bp.get("/<ref>")
    def ticket_page(ref: str) -> str:
        """The same page for any reference: whether it names a ticket is the API's answer,
        throttled there, so the page itself tells nothing."""
        return render_template("phone/ticket.html")

    return bp
