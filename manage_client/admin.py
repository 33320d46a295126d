"""Administration (`/manage/admin`): the hall's devices for its managers and the
administrators, and the accounts for the administrators.

The page is a shell like every manager page: the lists come from the API once its script
runs (`static/admin.js`): `GET /api/v1/users`, `GET /api/v1/halls/{hall}/devices`, and the
changes go through the same API (and so the same use cases as `queue-server user` and
`queue-server device`). A device's token and address are shown once, as the register
answer carries them, with a QR code of the address for the TV's browser; nothing of them
is kept by the page.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from manage_client.pages import manager_page

TITLE = "用户与设备管理"


def add_routes(bp: Blueprint) -> None:
    @bp.get("/manage/admin")
    def admin() -> Any:
        """The page only: which hall, its devices and the accounts come by the API."""
        return manager_page("manage_client/admin.html", TITLE)
