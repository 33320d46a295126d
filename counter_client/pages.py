"""The clerk's console (`/counter`): a window PC's page where a clerk opens a window, calls,
serves and finishes, by big buttons or by keys (a USB caller keypad types keys).

- Without a session it sends to `/login?next=/counter`; another role is told whose page it
  is (403). The page holds no data: the clerk's day, the window and its live figures come
  from the API and Socket.IO once the script runs (`static/counter.js`), under the same
  Content-Security-Policy as every staff page (no inline script or style).

Templates and scripts are in this package (`templates/counter_client/`, `static/`, served
at `/counter/static/`); the pages' shared modules (session, i18n, the screens' link and
model) are imported from where they live. docs/counter.md says how the console works.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from queue_server.domain.access import Role
from queue_server.pages import protect, refused_page, sign_in_redirect, signed_in

COUNTER_ROLES = (Role.CLERK,)


def create_blueprint() -> Blueprint:
    bp = Blueprint(
        "counter_client",
        __name__,
        template_folder="templates",
        static_folder="static",
        static_url_path="/counter/static",
    )
    bp.after_request(protect)

    @bp.get("/counter")
    def counter() -> Any:
        """The page only, for a clerk signed in; everything else comes by the API."""
        principal = signed_in()
        if principal is None:
            return sign_in_redirect()
        if principal.actor not in COUNTER_ROLES:
            return refused_page(principal, "窗口工作台", COUNTER_ROLES)
        return render_template("counter_client/counter.html", user=principal.name)

    return bp
