"""The reports page (`/manage/reports`, docs/reports.md): a manager (or an administrator)
picks a hall, a report and a day or a month; the page reads it from the API and shows it
as a table, links its CSV and prints it on A4 (`static/reports.css`, `@media print`).
The page itself holds no data (`manager_page`)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from manage_client.pages import manager_page


def add_routes(bp: Blueprint) -> None:
    @bp.get("/manage/reports")
    def reports() -> Any:
        return manager_page("manage_client/reports.html", "报表")
