"""Hall and window screens: the pages that hang in the hall (see docs/signage.md)."""

from __future__ import annotations

from flask import Blueprint, render_template


def create_blueprint() -> Blueprint:
    bp = Blueprint("signage", __name__, template_folder="templates", static_folder="static", static_url_path="/static")

    @bp.get("/hall")
    def hall_screen() -> str:
        """No data in the page itself: it arrives over Socket.IO once the token is accepted."""
        return render_template("signage/hall.html")

    @bp.get("/window")
    def window_screen() -> str:
        return render_template("signage/window.html")

    return bp
