"""The staffing advice page, `/manage/staffing` (docs/staffing.md): per queue, the windows
needed now and in each of the hall's next hours against the windows open, the target
(adjustable on the page), and which windows could move where. A shell: the advice comes
from `GET /api/v1/halls/{hall}/staffing` once the script runs, and is asked again when
the hall's events say something changed."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from manage_client.pages import manager_page

TITLE = "排班建议"


def add_routes(bp: Blueprint) -> None:
    @bp.get("/manage/staffing")
    def staffing() -> Any:
        """The page for the hall's managers and administrators."""
        return manager_page("manage_client/staffing.html", TITLE)
