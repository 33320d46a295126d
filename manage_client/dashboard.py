"""The managers' live dashboard (`/manage`, docs/dashboard.md): the page only. Its figures
come from `GET /api/v1/halls/{hall}/dashboard` and the hall's live events once its script
runs (`static/dashboard.js`); its actions go through the API as every page's do."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from manage_client.pages import manager_page


def add_routes(bp: Blueprint) -> None:
    @bp.get("/manage")
    def dashboard() -> Any:
        """The page, for a manager or an administrator signed in."""
        return manager_page("manage_client/dashboard.html", "管理看板")
