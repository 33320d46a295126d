"""The review pad (评价器): `/pad`, the touch page at a window where the citizen rates the
service just finished there (好差评, docs/pad.md).

A device's page, as the screens and the kiosk are: its token comes in the address's
fragment (`/pad#token=hqd_…`), which the page keeps; the HTML holds no data. What it
shows arrives once the token is accepted: its window from the subscribe snapshot, the
rating its window invites as `rating_requested` (or the subscribe answer's `rating`).
The page is the citizen's: nothing on it is chosen or filled in by staff.

Templates and scripts are in this package (`templates/pad/`, `static/`, served at
`/pad/static/`).
"""

from __future__ import annotations

from flask import Blueprint, render_template

from queue_server.pages import protect


def create_blueprint() -> Blueprint:
    bp = Blueprint("pad", __name__, template_folder="templates", static_folder="static", static_url_path="/pad/static")
    bp.after_request(protect)

    @bp.get("/pad")
    def pad() -> str:
        """No data in the page: it arrives once the pad's device token is accepted."""
        return render_template("pad/pad.html")

    return bp
