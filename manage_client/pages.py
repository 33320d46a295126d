"""The blueprint of the manager's pages and the check they share.

Every page here is a shell: the figures come from the API and Socket.IO once its script
runs, under the same Content-Security-Policy as every staff page (no inline script or
style). Without a session a visitor goes to `/login?next=<the page>`; a signed-in person of
another role is told whose page it is (403).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from queue_server.domain.access import Role
from queue_server.pages import protect, refused_page, sign_in_redirect, signed_in

MANAGE_ROLES = (Role.MANAGER, Role.ADMIN)


def manager_page(template: str, title: str, roles: tuple[Role, ...] = MANAGE_ROLES, **context: Any) -> Any:
    """Render `template` for a signed-in manager (or administrator), or send the visitor to
    sign in, or refuse another role by saying whose page it is."""
    principal = signed_in()
    if principal is None:
        return sign_in_redirect()
    if principal.actor not in roles:
        return refused_page(principal, title, roles)
    return render_template(template, user=principal.name, role=principal.actor.value, **context)


def create_blueprint() -> Blueprint:
    bp = Blueprint(
        "manage_client",
        __name__,
        template_folder="templates",
        static_folder="static",
        static_url_path="/manage/static",
    )
    bp.after_request(protect)
    from manage_client import admin

    admin.add_routes(bp)  # /manage/admin: users and devices
    from manage_client import staffing  # each page's module adds its routes

    staffing.add_routes(bp)
    from manage_client import reports

    reports.add_routes(bp)
    from manage_client import dashboard  # its module imports `manager_page` from here

    dashboard.add_routes(bp)
    return bp
